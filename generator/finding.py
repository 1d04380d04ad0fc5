"""Finding deal files below the paths a user gives.

Kept apart from :mod:`generator.deals` (and its pydantic model) so that a
build with nothing to do never imports the validation machinery.
"""

from __future__ import annotations

import array
import bisect
import heapq
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

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


# A deal file's name as the deal list keeps it: ``STEM.\0REST`` (``julie.\0.yaml``). Plain
# order of these is the order of ``STEM + "."``, the order in which a stem's documents
# (``STEM.contrat.docx``...) come in the manifest; the name is ``STEM + REST``.
_MARK = ".\0"


def _keyed(name: str) -> str:
    dot = name.rfind(".")  # Path(name).stem, without a Path
    stem = name[:dot] if 0 < dot < len(name) - 1 else name
    return stem + _MARK + name[len(stem):]


def _unkeyed(keyed: str) -> tuple[str, str]:
    """The stem and the file name of a deal list's name."""
    stem, _, rest = keyed.partition(_MARK)
    return stem, stem + rest


class _Packed(Sequence[str]):
    """Names in one string, found by their offsets: a name costs its characters and 4
    bytes, not a string object and its pointer (about 75 bytes)."""

    def __init__(self, names: list[str]) -> None:
        self._text = "".join(names)
        self._starts = array.array("I", [0])
        end = 0
        for name in names:
            end += len(name)
            self._starts.append(end)

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._text[self._starts[index]:self._starts[index + 1]]

    def __iter__(self) -> Iterator[str]:
        text, starts = self._text, self._starts
        return (text[starts[i]:starts[i + 1]] for i in range(len(starts) - 1))


class DealFiles:
    """The deal files found below some paths: for each folder as shown, the names of its
    deal files, sorted by stem, then packed in one string (a list of 50,000 deals costs
    their names, about 20 bytes a deal, not a ``Path`` and a pair).

    ``len()`` counts them; :meth:`by_stem` gives them in the order of their documents in
    the manifest; iterating gives ``(path, display name)`` pairs in natural order
    (:func:`natural_path_key`), as :func:`find_deal_files` returns them.
    """

    def __init__(self) -> None:
        # folder as shown ("" or ending in "/") -> its names (a list while they are added)
        self._folders: dict[str, Sequence[str]] = {}
        self._sorted = True
        self._absolute: dict[str, str] = {}  # folder as shown -> its absolute path

    def add(self, shown: str, name: str) -> None:
        self.add_keyed(shown, [_keyed(name)])

    def add_keyed(self, shown: str, keyed: list[str]) -> None:
        """Add the names of ``keyed`` (as :func:`_keyed` makes them: the list is kept)."""
        if not keyed:
            return
        names = self._folders.setdefault(shown, keyed)
        if isinstance(names, list):
            if names is not keyed:
                names.extend(keyed)
        else:  # (packed already: names added after the list was looked at)
            self._folders[shown] = [*names, *keyed]
        self._sorted = False

    @classmethod
    def of(cls, pairs: Iterable[tuple[Path, str]]) -> DealFiles:
        """The deal list of ``(path, display name)`` pairs (display names as
        :func:`find_deal_files` makes them: ``str(path)``)."""
        result = cls()
        for _path, display in pairs:
            folder, _, name = display.rpartition(os.sep)
            result.add(folder + os.sep if folder or display.startswith(os.sep) else "", name)
        return result

    def _sort(self) -> None:
        if not self._sorted:
            for shown, names in self._folders.items():
                if isinstance(names, list):
                    names.sort()  # plain strings: no key per name kept while sorting
                    self._folders[shown] = _Packed(names)
                    names.clear()
            self._sorted = True

    def has_path(self, path: str) -> bool:
        """Whether the deal at the absolute path ``path`` is in the list (as
        ``os.path.abspath`` makes it of a display name)."""
        self._sort()
        where, name = os.path.split(path)
        keyed = _keyed(name)
        for shown, names in self._folders.items():
            absolute = self._absolute.get(shown)
            if absolute is None:
                absolute = self._absolute[shown] = os.path.abspath(shown or os.curdir)
            if absolute == where:
                at = bisect.bisect_left(names, keyed)
                if at < len(names) and names[at] == keyed:
                    return True
        return False

    def __len__(self) -> int:
        return sum(len(names) for names in self._folders.values())

    def __bool__(self) -> bool:
        return any(self._folders.values())

    def by_stem(self) -> Iterator[tuple[str, str]]:
        """``(stem, display name)`` of every deal file, in the order of ``stem + "."``
        (then of the rest of the name, then of the folder): deals sharing a stem come
        one after the other."""
        self._sort()
        if len(self._folders) == 1:  # (one folder: no merge)
            ((shown, names),) = self._folders.items()
            for keyed in names:
                stem, _, rest = keyed.partition(_MARK)
                yield stem, shown + stem + rest
            return
        streams = [_tagged(names, order, shown)
                   for order, (shown, names) in enumerate(sorted(self._folders.items()))]
        for keyed, _order, shown in heapq.merge(*streams):
            stem, name = _unkeyed(keyed)
            yield stem, shown + name

    def __iter__(self) -> Iterator[tuple[Path, str]]:
        displays = sorted((shown + _unkeyed(keyed)[1] for shown, names in self._folders.items()
                           for keyed in names), key=natural_path_key)
        return ((Path(display), display) for display in displays)


def _tagged(names: Iterable[str], order: int, shown: str) -> Iterator[tuple[str, int, str]]:
    return ((keyed, order, shown) for keyed in names)


def find_deal_files(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Every deal file named or found below ``paths``, each once, in natural order
    (:func:`natural_key`: ``deal-2`` before ``deal-10``).

    Folders are walked recursively, following symbolic links but never the
    same folder twice (a link loop ends there); a folder named ``x.yaml``
    is a folder, not a deal. Returns ``(path, display name)`` pairs.

    Raises:
        FileNotFoundError: when a path given does not exist.
    """
    return list(deal_files(paths))


def deal_files(paths: Iterable[str | Path]) -> DealFiles:
    """:func:`find_deal_files` as a compact :class:`DealFiles`.

    A file reached twice (a link to it, a folder given twice, a file given and found in
    a folder given) counts once, under the name it was first reached by (the paths in
    the order given, each folder's files in natural order before its subfolders).

    Raises:
        FileNotFoundError: when a path given does not exist.
    """
    found = DealFiles()
    folders: set[str] = set()  # real folders whose files were taken
    seen: set[str] = set()  # real paths of the files taken through a link or by name

    def taken_already(real: str, before: str | None = None) -> bool:
        """Whether the file of real path ``real`` was taken: by name or through a link,
        or as a file of a folder walked (``before``: the name, in ``real``'s own folder,
        of the link being looked at, when that folder is the one being walked)."""
        if real in seen:
            return True
        where, name = os.path.split(real)
        if where not in folders or not _is_deal_name(name):
            return False
        return before is None or natural_key(name) < natural_key(before)

    for given in paths:
        given = Path(given)
        if given.is_dir():
            for shown, real_folder, regular, links in _walk(given):
                if real_folder in folders:  # walked from another path given: all taken
                    continue
                folders.add(real_folder)
                shown = str(Path(shown))  # as a Path shows it: "a/./b" is "a/b"
                prefix = "" if shown == "." else os.path.join(shown, "")
                for name in sorted(links, key=natural_key):
                    real = os.path.realpath(os.path.join(shown, name))
                    same_folder = os.path.dirname(real) == real_folder
                    if not taken_already(real, name if same_folder else None):
                        seen.add(real)
                        found.add(prefix, name)
                if seen:  # a file taken through a link or by name before: not twice
                    regular = [keyed for keyed in regular if os.path.join(
                        real_folder, _unkeyed(keyed)[1]) not in seen]
                found.add_keyed(prefix, regular)
        elif given.exists():
            real = os.path.realpath(given)
            if not taken_already(real):
                seen.add(real)
                display = str(given)
                found.add(display[:len(display) - len(given.name)], given.name)
        else:
            raise FileNotFoundError(str(given))
    return found


def _is_deal_name(name: str) -> bool:
    return name.endswith(DEAL_SUFFIXES) and not name.startswith(".")


def _walk(top: Path) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """Every folder below ``top`` (``top`` included), each once, in natural order (a
    folder before its subfolders): the folder as shown, its real path, the names of its
    deal files that are regular files (as :func:`_keyed` makes them, in no order), and
    the names of those that are links to one."""
    visited: set[str] = set()
    pending = [os.fspath(top)]
    while pending:
        root = pending.pop()
        real = os.path.realpath(root)
        if real in visited:
            continue
        visited.add(real)
        regular: list[str] = []
        links: list[str] = []
        folders: list[str] = []
        try:
            with os.scandir(root) as it:
                for entry in it:  # one at a time: never the folder's whole listing twice
                    name = entry.name
                    if name.startswith("."):
                        continue
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        folders.append(name)
                    elif name.endswith(DEAL_SUFFIXES):
                        try:
                            if entry.is_file(follow_symlinks=False):
                                regular.append(_keyed(name))
                            elif entry.is_symlink() and os.path.isfile(entry.path):
                                links.append(name)
                        except OSError:
                            continue
        except OSError:
            continue
        yield root, real, regular, links
        pending.extend(os.path.join(root, name)
                       for name in sorted(folders, key=natural_key, reverse=True))
