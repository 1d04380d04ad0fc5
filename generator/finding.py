"""Finding deal files below the paths a user gives.

Kept apart from :mod:`generator.deals` (and its pydantic model) so that a
build with nothing to do never imports the validation machinery.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DEAL_SUFFIXES = (".yaml", ".yml")
_NUMBERS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key for names as people read them: ``deal-2`` before ``deal-10``.

    Runs of digits compare as numbers, the rest as text; names that tie
    (``deal-02``, ``deal-2``) fall back to plain order, so the order is total.
    """
    pieces = _NUMBERS.split(name)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(pieces)), name


def natural_path_key(path: str | Path) -> tuple[Any, ...]:
    """:func:`natural_key` folder by folder, a folder's files before its subfolders (the
    order of the walk below): ``a/deal-2.yaml``, ``a/deal-10.yaml``, ``a/lot-1/x.yaml``."""
    *folders, name = Path(path).parts
    return (*((1, natural_key(f)) for f in folders), (0, natural_key(name)))


def find_deal_files(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Every deal file named or found below ``paths``, each once, in natural order
    (:func:`natural_key`: ``deal-2`` before ``deal-10``).

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
            for file, real in _walk(given):
                if real not in seen_files:
                    seen_files.add(real)
                    found.append((file, sys.intern(str(file))))  # as the manifest's
        elif given.exists():
            real = os.path.realpath(given)
            if real not in seen_files:
                seen_files.add(real)
                found.append((given, sys.intern(str(given))))
        else:
            raise FileNotFoundError(str(given))
    return sorted(found, key=lambda pair: natural_path_key(pair[1]))


def _walk(top: Path) -> Iterator[tuple[Path, str]]:
    """The deal files below ``top``, each with its real path (links resolved)."""
    visited: set[str] = set()
    for root, dirs, files in os.walk(top, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key)
        for name in sorted(files, key=natural_key):
            if name.endswith(DEAL_SUFFIXES) and not name.startswith("."):
                file = os.path.join(root, name)
                try:
                    st = os.lstat(file)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):  # in a real folder: its real path is known
                    yield Path(file), os.path.join(real, name)
                elif stat.S_ISLNK(st.st_mode) and os.path.isfile(file):
                    yield Path(file), os.path.realpath(file)
