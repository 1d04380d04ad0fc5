"""Finding deal files below the paths a user gives.

Kept apart from :mod:`generator.deals` (and its pydantic model) so that a
build with nothing to do never imports the validation machinery.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

DEAL_SUFFIXES = (".yaml", ".yml")



def find_deal_files(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Every deal file named or found below ``paths``, sorted, each once.

    Folders are walked recursively, following symbolic links but never the
    same folder twice (a link loop ends there); a folder named ``x.yaml``
    is a folder, not a deal. Returns ``(path, display name)`` pairs.

    Raises:
        FileNotFoundError: when a path given does not exist.
    """
    found: list[tuple[Path, str]] = []
    seen_files: set[str] = set()
    for given in paths:
        given = Path(given)
        if given.is_dir():
            for file in _walk(given):
                real = os.path.realpath(file)
                if real not in seen_files:
                    seen_files.add(real)
                    found.append((file, str(file)))
        elif given.exists():
            real = os.path.realpath(given)
            if real not in seen_files:
                seen_files.add(real)
                found.append((given, str(given)))
        else:
            raise FileNotFoundError(str(given))
    return found


def _walk(top: Path) -> Iterator[Path]:
    visited: set[str] = set()
    for root, dirs, files in os.walk(top, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs.sort()
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.endswith(DEAL_SUFFIXES) and not name.startswith("."):
                path = Path(root) / name
                if path.is_file():
                    yield path
