"""Deal names and the files they stand for: the workspace's deals folder, nothing else.

A deal's name is its file's stem: ``deals/NAME.yaml`` (or ``.yml``). Names
come from URLs, so they are checked before any file is touched: a name with
``/``, ``\\``, NUL or another control character, a leading ``.``, or more
than 100 characters is no deal (404), and a file whose real path leaves the
workspace (a symbolic link to elsewhere) is not read nor written.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..finding import DEAL_SUFFIXES
from ..records import record
from ..workspace import Workspace

MAX_NAME = 100
# File systems hold names of at most 255 bytes: a name's UTF-8 bytes, with the longest
# ending apport gives its files (".contrat.edited-99.docx"), must fit.
MAX_NAME_BYTES = 200
_BAD_NAME = re.compile("[/\\\\\x00-\x1f\x7f-\x9f\u2028\u2029]")


class NoSuchDeal(LookupError):
    """Raised when a name is not an acceptable deal name, or names no deal file."""


def valid_name(name: str) -> bool:
    """Whether ``name`` may name a deal: the spec's rule, and a name the file system
    can hold (100 letters of four bytes each cannot)."""
    return (0 < len(name) <= MAX_NAME and not name.startswith(".")
            and _BAD_NAME.search(name) is None
            and len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES)


def etag(data: bytes) -> str:
    """The ETag of a file's bytes (its SHA-256, quoted as HTTP wants)."""
    return '"' + hashlib.sha256(data).hexdigest() + '"'


@record(frozen=True)
class Deals:
    """The deal files of one workspace."""

    workspace: Workspace

    @property
    def folder(self) -> Path:
        return self.workspace.deals

    def names(self) -> list[str]:
        """Every deal's name, in natural order (files directly in the deals folder)."""
        if not self.folder.is_dir():
            return []
        found = {p.stem for p in self.folder.iterdir()
                 if p.suffix in DEAL_SUFFIXES and valid_name(p.stem) and self._inside(p)
                 and p.is_file()}
        return sorted(found, key=_natural)

    def path(self, name: str, *, existing: bool = True) -> Path:
        """The file of deal ``name``: the existing ``.yaml`` or ``.yml``, else a new ``.yaml``.

        Raises:
            NoSuchDeal: when the name is not acceptable, leads outside the
                workspace, or (with ``existing``) names no file.
        """
        if not valid_name(name):
            raise NoSuchDeal(name)
        for suffix in DEAL_SUFFIXES:
            candidate = self.folder / f"{name}{suffix}"
            try:
                found = os.path.lexists(candidate)
            except ValueError:
                found = False
            if found:
                if not self._inside(candidate) or not candidate.is_file():
                    raise NoSuchDeal(name)
                return candidate
        if existing:
            raise NoSuchDeal(name)
        candidate = self.folder / f"{name}.yaml"
        if not self._inside(candidate.parent):
            raise NoSuchDeal(name)
        return candidate

    def read(self, name: str) -> bytes:
        """The bytes of deal ``name``. Raises NoSuchDeal."""
        path = self.path(name)
        try:
            return path.read_bytes()
        except OSError:
            raise NoSuchDeal(name) from None

    def relative(self, path: Path) -> str:
        """``path`` as shown to the user: relative to the workspace."""
        try:
            return path.relative_to(self.workspace.root).as_posix()
        except ValueError:
            return path.name

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.workspace.root.resolve())
        except (OSError, ValueError, RuntimeError):
            return False
        return True


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"(\d+)", text)]
