"""What apport wrote in an output folder, and from what: the manifest and its journal.

``OUT/.apport-manifest.json`` lists, for each file apport wrote there, a typed
entry: for a document (:class:`DocumentEntry`) the deal's hash, the
``id@version`` and hash of every clause used, the template's and library's
hashes, the tool's version, the warnings and the hash of the bytes written;
for a file made from a document (:class:`FileEntry`: a redline, a PDF, an
email) the document it came from and its hash.

Format 2 (written since issue 15) states each clause's hash once: a table
``"clauses": {library: {id@version: sha256}}`` (the library being ``contrat``,
``offre`` or ``client``), and a document's ``"clauses"`` lists the
``id@version`` it used, in order; an entry whose clause was recorded with
another hash (a clause edited without its version going up) keeps its own
``{id@version: sha256}`` object, as in format 1. A format-1 manifest is read
as before and written in format 2 at its next save.

Durable as soon as the files are: before a deal's files are moved into place,
their entries are appended to ``OUT/.apport-manifest.journal`` (one line per
deal, one ``write``), each keeping the hash it replaces in
``previous_sha256``. A process killed at any moment thus leaves every file it
wrote known, whether the move happened or not, and apport never mistakes its
own file for a person's edit. The journal is folded into the manifest only
when it has grown (:meth:`Manifest.save_if_due`), so a build writes in
proportion to what it changed.

Written one document a line in name order, the manifest is gone through as a
stream by a build (:meth:`Manifest.open`, :class:`Window`), beside the deal list
in the same order, so that a build with nothing to do keeps nothing per document
(issue 15); one laid out otherwise (by hand, format 1) is read whole.

A manifest or journal that cannot be read as exactly this (hand-edited,
truncated, a folder in its place, ``NaN``, absurd nesting) is read as absent,
with a warning: every file in the folder is then treated as possibly a
person's, so nothing is lost, and nothing in it can forge a message.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import heapq
import json
import os
import re
import stat
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field, fields, replace
from json.decoder import scanstring as _scan_string  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from .diagnostics import Diagnostic
from .messages import known, params_from_json
from .records import record
from .writing import (
    FILE_MODE,
    OutputFolder,
    WriteError,
    error,
    os_error,
    sha256_file,
)

MANIFEST = ".apport-manifest.json"
JOURNAL = ".apport-manifest.journal"
STATUS = ".apport-manifest.status"  # see Statuses: machine-local, not part of the record
FORMAT = 2  # the one written
FORMATS = (1, 2)  # the ones read
MAX_BYTES = 512 * 1024 * 1024  # a manifest larger than this is not ours
_SHA_TEXT = re.compile("[0-9a-f]{64}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # never in a message apport recorded


class Kind(enum.StrEnum):
    """The documents rendered from a deal; the value is the middle of the file name."""

    CONTRACT = "contrat"
    OFFER = "offre"
    CLIENT = "client"
    REVIEW = "contrat.revue"  # the contract for the jurist, beside the one to sign

    @property
    def source(self) -> str:
        """The kind whose clause library and template render this one."""
        return _SOURCES[self]


_SOURCES = {kind: "contrat" if kind is Kind.REVIEW else kind.value for kind in Kind}
ALL_KINDS = tuple(Kind)


class Derived(enum.StrEnum):
    """Files made from a document rather than rendered from a deal."""

    REDLINE = "redline"  # NAME.contrat.redline.docx: tracked changes against the previous one
    PDF = "pdf"  # NAME.KIND.pdf
    EMAIL = "eml"  # offer --eml


# line, column, path, severity, message code, its parameters (generator.messages.params_to_json)
Warning = tuple[int, int, str, str, str, str]


@record(frozen=True, slots=True)
class DocumentEntry:
    """A document rendered from a deal, and everything it was rendered from."""

    kind: Kind
    deal: str  # the deal file as shown to the user
    sha256: str  # the bytes written
    deal_sha256: str
    template_sha256: str
    library_sha256: str
    tool: str
    clauses: Mapping[str, str] | None = None  # id@version -> sha256
    review: bool = False
    final: bool = False  # a contract built with --final: the copy to sign, no draft notice
    documents: tuple[str, ...] = ()  # every document of the deal, this one included
    warnings: tuple[Warning, ...] = ()
    deal_path: str | None = None  # absolute: to tell a deal that is gone
    previous_sha256: str | None = None  # what it replaced, until the move is known done


@record(frozen=True, slots=True)
class FileEntry:
    """A file made from a document (a redline, a PDF, an email)."""

    kind: Derived
    deal: str
    sha256: str
    source: str  # the document's name in the folder
    source_sha256: str  # its bytes when this file was made
    tool: str
    deal_path: str | None = None
    previous_sha256: str | None = None


Entry = DocumentEntry | FileEntry


def known_sha256(entry: Entry | None) -> tuple[str | None, ...]:
    """The bytes apport wrote under this entry's name (the last, and the one it may
    not have finished replacing)."""
    return (entry.sha256, entry.previous_sha256) if entry else ()


# --- reading -------------------------------------------------------------------------------------


class Damaged(ValueError):
    """Raised (internally) when a manifest or journal is not what apport writes."""


# What entries share is looked up in small tables, emptied when full: a manifest is read
# as a stream, and a table of every hash or deal seen would grow with the folder. What
# recurs across deals (a template's hash, a clause set, a warning) is met again at once.
_TABLE = 1024  # clause sets and warnings: a library's, not a deal's (198 and 317 for
# the benchmark's 1,000 varied deals), a few hundred kilobytes at most
_RECENT = 16  # what recurs within a deal (its name, path, list of documents)
_HASHED = 256  # hashes: those that recur across deals are a template's or a library's
_HASHES: dict[str, str] = {}  # hashes recently checked: one string object for each


def _sha(value: Any, what: str, shared: _Shared | None = None, name: str | None = None) -> str:
    """``value``, checked to be a hash (``what`` and ``name``: the words of the message,
    put together only when it is not)."""
    if isinstance(value, str):
        known = _HASHES.get(value)
        if known is not None:
            return known
        if len(value) == 64 and _SHA_TEXT.fullmatch(value):
            # Interned (when held): one string for each hash (an entry's, a deal's three
            # documents'), however many there are; the cache only spares the check.
            value = _held(value, shared)
            if len(_HASHES) >= _HASHED:
                _HASHES.clear()
            _HASHES[value] = value
            return value
    raise Damaged(f"{_label(what, name)} is not a hash")


def _label(what: str, name: str | None) -> str:
    return what if name is None else f"{name}: {what}"


def _held(value: str, shared: _Shared | None) -> str:
    """``value``, interned when what is read is held (a manifest loaded whole: one string
    for each name, path or hash wherever it recurs); as it is when it goes by (a stream:
    the table of interned strings would churn for nothing)."""
    return sys.intern(value) if shared is None or shared.held else value


def _text(value: Any, what: str, name: str | None = None) -> str:
    if not isinstance(value, str):
        raise Damaged(f"{_label(what, name)} is not text")
    return value


def _kind_of(name: str, value: Any) -> Kind:
    if value is None:  # written before entries had a kind
        for kind in sorted(Kind, key=lambda k: -len(k.value)):
            if name.endswith(f".{kind.value}.docx"):
                return kind
        raise Damaged(f"{name}: unknown kind of document")
    try:
        return Kind(value)
    except ValueError:
        raise Damaged(f"{name}: unknown kind {value!r}") from None


def _warning(value: Any, shared: _Shared | None = None) -> Warning:
    # The same warnings recur across entries (a deal's three documents, and deals alike):
    # each is checked once and shared.
    seen = shared.objects if shared is not None else None
    if seen is not None and isinstance(value, list) and len(value) == 6 \
            and type(value[0]) is int and type(value[1]) is int:
        try:
            known_warning = seen.get(tuple(value))
        except TypeError:  # a list inside: checked below, and refused
            known_warning = None
        if known_warning is not None:
            return known_warning
    if not isinstance(value, list) or len(value) != 6:
        raise _not_a_warning()
    line, column, path, severity, code, params = value
    if (not isinstance(line, int) or isinstance(line, bool)
            or not isinstance(column, int) or isinstance(column, bool)
            or not isinstance(path, str) or not isinstance(severity, str)
            or not isinstance(code, str) or not isinstance(params, str)
            or severity != "warning"  # (then without a control character)
            or _CONTROL.search(path) or _CONTROL.search(code) or _CONTROL.search(params)
            or not known(code)):
        raise _not_a_warning()
    if shared is None or value[5] not in shared.params:  # "{}" and others recur
        try:
            params_from_json(value[5])
        except (ValueError, TypeError, KeyError, ArithmeticError):
            raise Damaged("a warning's parameters are not readable") from None
        if shared is not None:
            if len(shared.params) >= _TABLE:
                shared.params.clear()
            shared.params.add(value[5])
    result = (value[0], value[1], value[2], value[3], value[4], value[5])
    return shared.one(result) if shared is not None else result


def _not_a_warning() -> Damaged:
    return Damaged("a warning is not [line, column, path, \"warning\", code, parameters]")


def _warnings(value: list[Any], shared: _Shared) -> tuple[Warning, ...]:
    last = shared.last.get("warnings")
    # (equal lists: the same text, and the same numbers, of the same type once checked)
    if last is not None and value == last[0] and all(
            type(w[0]) is int and type(w[1]) is int for w in value):
        return last[1]
    found = shared.one(tuple([_warning(w, shared) for w in value]))
    shared.last["warnings"] = (value, found)
    return found


class _Shared:
    """What entries read from one manifest share: its clause tables, and one object for
    each clause set, warning, list of documents and deal name that recurs (among the
    last few thousand: a deal's documents are read one after the other)."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]] | None = None,
                 held: bool = True) -> None:
        self.tables = tables or {}
        self.held = held  # what is read is kept (not gone through as a stream)
        self.objects: dict[Any, Any] = {}
        self.params: set[str] = set()  # warning parameters found readable

        self.recent: dict[Any, Any] = {}
        # The last list read (as parsed) of each field, and what it gave: a deal's documents
        # have the same list of documents and of warnings, one after the other, and often
        # the same clauses as the deal before; compared (not hashed) to the next one.
        self.last: dict[str, tuple[Any, Any]] = {}

    def one(self, value: Any) -> Any:
        return self.keep(value, value)

    def keep(self, key: Any, value: Any) -> Any:
        """``value`` kept under ``key`` (the one kept before, if any)."""
        objects = self.objects
        if len(objects) >= _TABLE and key not in objects:
            objects.clear()
        return objects.setdefault(key, value)

    def deal_one(self, value: Any) -> Any:
        """:meth:`one` for what recurs within a deal's entries only."""
        recent = self.recent
        if len(recent) >= _RECENT and value not in recent:
            recent.clear()
        return recent.setdefault(value, value)


_STREAMED = _Shared(held=False)  # (for what is only gone through)


def _clause_table(value: Any) -> dict[str, dict[str, str]]:
    """The ``clauses`` table of a format-2 manifest: library -> id@version -> sha256."""
    if not isinstance(value, dict):
        raise Damaged("the clause table is not an object")
    tables: dict[str, dict[str, str]] = {}
    for library, table in value.items():
        if library not in _LIBRARIES or not isinstance(table, dict):
            raise Damaged(f"the clause table of {library!r} is not an object")
        tables[library] = {sys.intern(_text(k, "a clause")): _sha(v, f"clause {k}")
                           for k, v in table.items()}
    return tables


_LIBRARIES = frozenset(_SOURCES.values())


def _clauses(name: str, value: Any, kind: Kind, shared: _Shared) -> Mapping[str, str] | None:
    """A document's clauses: ``[id@version, ...]`` in its library's table, or an object."""
    if value is None:
        return None
    if isinstance(value, list):
        source = _SOURCES[kind]
        last = shared.last.get(source)
        if last is not None and value == last[0]:  # (equal lists of text: the same text)
            return last[1]
        found = _listed_clauses(name, value, source, shared)
        shared.last[source] = (value, found)
        return found
    if not isinstance(value, dict):
        raise Damaged(f"{name}: clauses is not an object")
    clauses = {_held(_text(k, f"{name}: clause"), shared): _sha(v, f"{name}: clause {k}",
                                                                 shared)
               for k, v in value.items()}
    return shared.keep((None, tuple(clauses.items())), clauses)


def _listed_clauses(name: str, value: list[Any], source: str,
                    shared: _Shared) -> Mapping[str, str]:
    if True:
        key: Any = (source, tuple(value))
        try:
            found = shared.objects.get(key)  # the same list seen before: checked then
        except TypeError:  # a list or an object in the list
            found = None
        if found is None:
            table = shared.tables.get(source, {})
            if not all(isinstance(k, str) and k in table for k in value):
                raise Damaged(f"{name}: a clause is not in the manifest's table")
            found = shared.keep(key, {k: table[k] for k in value})
        return found


def _documents(name: str, value: Any, shared: _Shared) -> tuple[str, ...]:
    last = shared.last.get("documents")
    if last is not None and value == last[0]:  # (equal lists of text: the same text)
        return last[1]
    found = _listed_documents(name, value, shared)
    shared.last["documents"] = (value, found)
    return found


def _listed_documents(name: str, value: Any, shared: _Shared) -> tuple[str, ...]:
    if isinstance(value, list):
        names = tuple(value)
        try:
            found = shared.recent.get(names)  # the same list seen before: checked then
        except TypeError:
            found = None
        if found is not None:
            return found
        if all(isinstance(d, str) for d in names):  # the names the manifest's keys use
            return shared.deal_one(tuple(_held(d, shared) for d in names))
    raise Damaged(f"{name}: documents is not a list of names")


def entry_from_json(name: str, data: Any, shared: _Shared | None = None) -> Entry:
    """The typed entry of ``data`` (``shared``: the manifest's clause tables, and the
    objects its other entries share).

    Raises:
        Damaged: when any field is missing or of the wrong type.
    """
    if not isinstance(data, dict):
        raise Damaged(f"{name}: an entry is not an object")
    if not name or name in (".", "..") or "\0" in name or os.sep in name or (
            os.altsep is not None and os.altsep in name):
        # (the file would be outside the folder, or the folder itself: --prune removes
        # what the manifest says apport wrote)
        raise Damaged("a name is not that of a file of the folder")
    shared = shared or _Shared()
    held = shared.held
    get = data.get
    # (the words of a message are put together only for a field found wrong: an entry is
    # read at every build, a wrong one seldom)
    deal = _text(get("deal"), "deal", name)
    tool = sys.intern(_text(get("tool"), "tool", name))  # (one: the same for all)
    deal_path = get("deal_path")
    if deal_path is not None:
        deal_path = _text(deal_path, "deal_path", name)
    if held:
        deal = sys.intern(deal)
        deal_path = deal_path if deal_path is None else sys.intern(deal_path)
    previous = get("previous_sha256")
    if previous is not None:
        previous = _sha(previous, "previous_sha256", shared, name)
    sha = _sha(get("sha256"), "sha256", shared, name)
    if "source" in data:
        try:
            derived = Derived(str(get("kind")))
        except ValueError:
            raise Damaged(f"{name}: unknown kind") from None
        return FileEntry(kind=derived, deal=deal, sha256=sha,
                         source=_text(data["source"], "source", name),
                         source_sha256=_sha(get("source_sha256"), "source", shared, name),
                         tool=tool, deal_path=deal_path, previous_sha256=previous)
    kind = get("kind")
    kind = _KINDS.get(kind) if type(kind) is str else None
    if kind is None:
        kind = _kind_of(name, get("kind"))
    clauses = _clauses(name, get("clauses"), kind, shared)
    documents = _documents(name, get("documents", []), shared)
    warnings = get("warnings", [])
    if not isinstance(warnings, list):
        raise Damaged(f"{name}: warnings is not a list")
    review = get("review", False)
    if not isinstance(review, bool):
        raise Damaged(f"{name}: review is not true or false")
    final = get("final", False)
    if not isinstance(final, bool):
        raise Damaged(f"{name}: final is not true or false")
    return DocumentEntry(
        kind=kind, deal=deal, sha256=sha,
        deal_sha256=_sha(get("deal_sha256"), "deal_sha256", shared, name),
        template_sha256=_sha(get("template_sha256"), "template_sha256", shared, name),
        library_sha256=_sha(get("library_sha256"), "library_sha256", shared, name),
        tool=tool, clauses=clauses, review=review, final=final, documents=documents,
        warnings=_warnings(warnings, shared) if warnings else (),
        deal_path=deal_path, previous_sha256=previous)


_KINDS = {kind.value: kind for kind in Kind}


def entry_to_json(entry: Entry,
                  tables: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """``entry`` as JSON; with ``tables`` (library -> id@version -> sha256), a document's
    clauses found there are listed by ``id@version`` only (format 2)."""
    # Field by field (``dataclasses.asdict`` deep-copies every hash: a sixth of a build's
    # time went there), in the order of the fields.
    data: dict[str, Any] = {}
    for name in _FIELDS[type(entry)]:
        value = getattr(entry, name)
        if name == "kind":
            value = value.value
        elif name == "documents":
            value = list(value)
        elif name == "warnings":
            value = [list(w) for w in value]
        elif name == "clauses":
            data[name] = _clauses_to_json(value, tables.get(entry.kind.source) if tables
                                          and isinstance(entry, DocumentEntry) else None)
            continue
        elif name == "final" and not value:  # only for a copy to sign: drafts as before
            continue

        if value is not None:
            data[name] = value
    return data


_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in (DocumentEntry, FileEntry)}


def _clauses_to_json(clauses: Mapping[str, str] | None,
                     table: Mapping[str, str] | None) -> Any:
    if clauses is None:
        return None
    if table is not None and all(table.get(k) == v for k, v in clauses.items()):
        return list(clauses)
    return dict(clauses)


def _clause_tables(items: Iterable[tuple[str, Entry]]) -> dict[str, dict[str, str]]:
    """For each library, the hash of each ``id@version`` the documents ``items`` gives (in
    name order) used (the first entry decides when two disagree), sorted: format 2's
    table."""
    tables: dict[str, dict[str, str]] = {}
    for _name, entry in items:
        if isinstance(entry, DocumentEntry) and entry.clauses:
            table = tables.setdefault(entry.kind.source, {})
            clauses = entry.clauses
            for key in clauses.keys() - table.keys():  # (mostly none: a set operation)
                table[key] = clauses[key]
    return {library: dict(sorted(tables[library].items())) for library in sorted(tables)}


def _no_constant(value: str) -> Any:
    raise Damaged(f"{value} is not a number apport writes")


# (one decoder: ``json.loads`` with an option makes a new one at each call)
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _parse(text: str) -> Any:
    try:
        if text.startswith("\ufeff"):  # (refused by json.loads only, with its own words)
            return json.loads(text, parse_constant=_no_constant)
        return _DECODER.decode(text)
    except RecursionError:
        raise Damaged("nested too deeply") from None
    except (ValueError, OverflowError) as e:  # Damaged, JSONDecodeError
        raise Damaged(str(e).splitlines()[0] if str(e) else "not JSON") from None


def _check_regular(path: Path) -> int | None:
    """The size of a regular file (None: absent).

    Raises:
        Damaged: it is a folder, a link, a special file, or too large.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise Damaged(e.strerror or str(e)) from None
    if not stat.S_ISREG(st.st_mode):
        raise Damaged("not a regular file")
    if st.st_size > MAX_BYTES:
        raise Damaged("larger than any manifest apport writes")
    return st.st_size


def _read_regular(path: Path) -> str | None:
    """The text of a regular file (None: absent).

    Raises:
        Damaged: it is a folder, a link, a special file, too large, or not UTF-8.
    """
    if _check_regular(path) is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise Damaged(getattr(e, "strerror", None) or str(e)) from None


@record
class Manifest:
    """The entries of an output folder: its manifest with its journal played over it.

    Loaded whole (:meth:`load`), ``entries`` holds every entry. Opened as a stream
    (:meth:`open`, a build), the manifest file is only checked when opened and gone
    through again in name order (:meth:`effective`) as often as needed: ``entries`` then
    holds what the journal and this build set over it (and the entries loaded for the
    deals being built), ``dropped`` the names they took out of it, so that nothing is
    kept per document of the folder. Close it (:meth:`close`) when done.
    """

    entries: dict[str, Entry] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)  # damage found while reading
    manifest_bytes: int = 0
    journal_bytes: int = 0
    damaged: bool = False  # then written whole at the end of the build
    statuses: Statuses = field(default_factory=lambda: Statuses(None))
    base: _Base | None = None  # opened as a stream: the manifest file, gone through
    dropped: set[str] = field(default_factory=set)  # names of ``base`` no longer listed

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """Read ``out``'s manifest and journal whole; a damaged one reads as absent, said
        once."""
        return cls.open(out, whole=True)

    @classmethod
    def open(cls, out: Path, *, whole: bool = False) -> Manifest:
        """``out``'s manifest kept as a stream (``whole``: read into ``entries``), with
        its journal played over it; a damaged one reads as absent, said once.

        As a stream, its entries are checked as they are first gone through: a damaged
        one, or a layout that turns out to be another, raises :class:`Unexpected` there
        (see :meth:`fall_back`).
        """
        result = cls()
        path = out / MANIFEST
        try:
            try:  # as apport writes it: one document a line, read a line at a time
                base = _Base.open(path)
                if base is not None:
                    result.manifest_bytes = base.size
                    if whole:
                        with contextlib.closing(base):
                            result.entries.update(base.items(held=True))
                    else:
                        result.base = base
            except _OtherLayout:  # written otherwise (by hand, format 1): read whole
                result.entries, result.manifest_bytes = _read_whole(path)
        except Damaged as e:
            result.entries = {}
            result.damaged = True
            result.warnings.append(_damage(path, e))
        result.statuses = Statuses.load(out, whole=whole)
        # What the journal says is true even when the manifest is damaged.
        base_entries = dict(result.entries)
        try:
            result._replay(out / JOURNAL)
        except Damaged as e:
            result.entries = base_entries
            result.dropped = set()
            result.damaged = True
            result.warnings.append(_damage(out / JOURNAL, e))
        return result

    def fall_back(self, trouble: Unexpected) -> Diagnostic | None:
        """Read whole the manifest that, gone through as a stream, turned out laid out
        otherwise, or as absent the one found damaged (said: the note returned); the
        journal's entries over it as before."""
        assert self.base is not None
        base, self.base = self.base, None
        base.close()
        over, dropped = self.entries, self.dropped
        self.dropped = set()
        # (``trouble.cause`` is not raised again here: that would tie it and this frame in
        # a cycle, and the first pass's frames with them, which the command, running
        # without the cyclic collector, would keep to the end)
        entries: dict[str, Entry] = {}
        note = None
        if isinstance(trouble.cause, Damaged):
            note = _damage(base.path, trouble.cause)
        else:
            try:
                entries, self.manifest_bytes = _read_whole(base.path)
            except Damaged as e:
                note = _damage(base.path, e)
        if note is not None:
            self.damaged = True
            self.warnings.insert(0, note)
        for name in dropped:
            entries.pop(name, None)
        entries.update(over)
        self.entries = entries
        self.statuses.restart()
        return note

    def close(self) -> None:
        """Let go of the manifest and status files opened as streams."""
        if self.base is not None:
            self.base.close()
        self.statuses.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replay(self, path: Path) -> None:
        text = _read_regular(path)
        if not text:
            return
        self.journal_bytes = len(text)
        lines = text.split("\n")
        shared = _Shared()
        # The last piece has no newline: a line being written when the process died.
        for number, line in enumerate(lines[:-1], start=1):
            data = _parse(line)
            if not isinstance(data, dict) or not isinstance(data.get("set"), dict) \
                    or not isinstance(data.get("drop"), list):
                raise Damaged(f"line {number} is not a journal record")
            for name in data["drop"]:
                self._drop(_text(name, "a name"))
            for name, value in data["set"].items():
                self._set(sys.intern(name), entry_from_json(name, value, shared))

    def _set(self, name: str, entry: Entry) -> None:
        self.entries[name] = entry
        self.dropped.discard(name)

    def _drop(self, name: str) -> None:
        self.entries.pop(name, None)
        if self.base is not None:
            self.dropped.add(name)

    def listed(self, name: str) -> bool:
        """Whether ``name`` may be listed: set over the manifest, or (opened as a stream)
        not dropped from it (the caller knows it is there)."""
        return name in self.entries or (self.base is not None and name not in self.dropped)

    # - going through -

    def effective(self) -> Iterator[tuple[str, Entry]]:
        """Every entry, in name order: the manifest's, with the journal's and this build's
        over them (those set while this goes on may be left out)."""
        over = sorted(self.entries)
        if self.base is None:
            entries = self.entries
            yield from ((name, entries[name]) for name in over if name in entries)
            return
        skip = set(over) | self.dropped
        base = self._checked(self.base, skip)
        if not over:  # (no journal: the manifest alone)
            yield from base
            return
        yield from _merged(base, ((n, self.entries[n]) for n in over))

    @staticmethod
    def _checked(base: _Base, skip: set[str]) -> Iterator[tuple[str, Entry]]:
        try:
            if not skip:
                yield from base.items()
            else:
                for name, entry in base.items():
                    if name not in skip:
                        yield name, entry
        except (Damaged, _OtherLayout) as e:
            raise Unexpected(e) from None

    def names(self) -> Iterator[str]:
        """Every name listed, in order (the manifest's entries are not read, only named)."""
        over = sorted(self.entries)
        if self.base is None:
            yield from over
            return
        skip = set(over) | self.dropped
        yield from heapq.merge((n for n in self.base.names() if n not in skip), over)

    # - writing -

    def save(self, folder: OutputFolder) -> None:
        """Write every entry into the manifest (atomically), then empty the journal.

        Raises:
            WriteError: located, when the manifest cannot be written.
        """
        out = folder.path
        target = out / MANIFEST
        base = self.base  # (the entries not held, read from the manifest as it is now)
        try:
            folder.replace(_blocks(_manifest_lines(self.effective)), target,
                           before=base.close if base is not None else None)
        finally:
            if base is not None and base.closed:  # the manifest in place, gone through now
                try:
                    self.base = _Base.open(target)
                except (Damaged, _OtherLayout):
                    self.base = None
        if base is not None:
            self.entries = {}
            self.dropped = set()
        self.manifest_bytes = os.stat(target).st_size
        self.damaged = False
        try:
            os.unlink(out / JOURNAL)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise os_error(out / JOURNAL, e, "io-cannot-empty-journal") from None
        self.journal_bytes = 0

    def save_if_due(self, folder: OutputFolder, *, changed: bool) -> None:
        """Fold the journal into the manifest once it is a quarter of its size (or there is
        no manifest yet): writes stay proportional to what changed."""
        missing = not (folder.path / MANIFEST).exists()
        grown = self.journal_bytes * 4 >= max(self.manifest_bytes, 64 * 1024)
        if self.damaged or (missing and (changed or self.entries or self.journal_bytes)) or (
                self.journal_bytes and grown):
            self.save(folder)


def _merged(first: Iterable[tuple[str, Any]],
            second: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Two streams of ``(name, value)`` in name order (no name in both), as one."""
    return heapq.merge(first, second, key=lambda pair: pair[0])


V = TypeVar("V")


class Window(Generic[V]):
    """Values looked up by name in a stream of ``(name, value)`` pairs in name order, the
    names asked for coming in about that order: the pairs passed over on the way are kept
    until :meth:`forget_before` lets them go (so a lookup behind the stream finds only
    what is kept: nothing is read twice)."""

    def __init__(self, pairs: Iterable[tuple[str, V]]) -> None:
        self._pairs = iter(pairs)
        self._kept: dict[str, V] = {}
        self._order: deque[str] = deque()  # the names kept, in order (some taken since)
        self._ahead: tuple[str, V] | None = next(self._pairs, None)

    def _reach(self, name: str) -> None:
        while self._ahead is not None and self._ahead[0] <= name:
            key, value = self._ahead
            self._kept[key] = value
            self._order.append(key)
            self._ahead = next(self._pairs, None)

    def get(self, name: str) -> V | None:
        ahead = self._ahead
        if ahead is not None and ahead[0] <= name:
            self._reach(name)
        return self._kept.get(name)

    def take(self, name: str) -> V | None:
        """The value of ``name``, no longer kept."""
        ahead = self._ahead
        if ahead is not None and ahead[0] <= name:
            if ahead[0] == name:  # the next one (those before it are kept): not kept
                self._ahead = next(self._pairs, None)
                return ahead[1]
            self._reach(name)
        return self._kept.pop(name, None)

    def forget_before(self, name: str) -> Iterator[tuple[str, V]]:
        """The pairs before ``name`` not taken, in order, let go (consume it all)."""
        order, kept = self._order, self._kept
        while order and order[0] < name:
            key = order.popleft()
            if key in kept:
                yield key, kept.pop(key)
        while self._ahead is not None and self._ahead[0] < name:
            yield self._ahead
            self._ahead = next(self._pairs, None)

    def rest(self) -> Iterator[tuple[str, V]]:
        """Every pair not taken yet, in order, let go."""
        while self._order:
            key = self._order.popleft()
            if key in self._kept:
                yield key, self._kept.pop(key)
        while self._ahead is not None:
            yield self._ahead
            self._ahead = next(self._pairs, None)


# The manifest as apport writes it: the header (format, clause tables) indented, then one
# line per document, in name order, so that it is read (and written) a line at a time:
#   {
#    "format": 2,
#    "clauses": {...},
#    "documents": {
#     "NAME.contrat.docx": {...},
#     "NAME.offre.docx": {...}
#    }
#   }
_DOCUMENTS = ' "documents": {\n'
_END = (" }\n", "}\n")


def _manifest_lines(items: Callable[[], Iterable[tuple[str, Entry]]]) -> Iterator[str]:
    """The manifest's text, a line at a time, of the entries ``items()`` gives in name
    order (called twice: for the clause tables, then for the lines)."""
    tables = _clause_tables(items())
    head = json.dumps({"format": FORMAT, "clauses": tables}, indent=1, ensure_ascii=False,
                      allow_nan=False)
    pairs = iter(items())
    ahead = next(pairs, None)
    if ahead is None:
        yield head[:-2] + ',\n "documents": {}\n}'
        return
    yield head[:-2] + ",\n" + _DOCUMENTS
    while ahead is not None:
        name, entry = ahead
        ahead = next(pairs, None)
        yield "  " + json.dumps(name, ensure_ascii=False) + ": " + json.dumps(
            entry_to_json(entry, tables), ensure_ascii=False, allow_nan=False) + (
            ",\n" if ahead is not None else "\n")
    yield "".join(_END)[:-1]


class _OtherLayout(Exception):
    """The manifest is not laid out a document a line: read it whole."""


class Unexpected(Exception):
    """The manifest, gone through as a stream, is not as it was opened (damaged, or laid
    out otherwise): see :meth:`Manifest.fall_back`."""

    def __init__(self, cause: Damaged | _OtherLayout) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _read_whole(path: Path) -> tuple[dict[str, Entry], int]:
    """The entries of a manifest laid out otherwise (by hand, format 1), read whole, and
    its length.

    Raises:
        Damaged: it is not a manifest.
    """
    entries: dict[str, Entry] = {}
    text = _read_regular(path)
    if text is None:
        return entries, 0
    size = len(text)
    data = _parse(text)
    del text
    shared = _header(data)
    documents = data["documents"]
    for name in list(documents):  # each parsed entry let go once typed
        entries[sys.intern(_text(name, "a name"))] = entry_from_json(
            name, documents.pop(name), shared)
    return entries, size


def _header(data: Any) -> _Shared:
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        raise Damaged("not a manifest of format 1 or 2")
    if not isinstance(data.get("documents"), dict):
        raise Damaged("no documents")
    return _Shared(_clause_table(data.get("clauses")) if data["format"] >= 2 else None)


class _Base:
    """A manifest laid out as apport writes it (a document a line, in name order), open,
    gone through a line at a time as often as asked: never held whole."""

    def __init__(self, path: Path, file: BinaryIO, start: int, tables: Mapping[str, Any],
                 size: int) -> None:
        self.path = path
        self._file = file
        self._start = start  # where the first document's line is
        self._tables = tables
        self.size = size

    @classmethod
    def open(cls, path: Path) -> _Base | None:
        """The manifest at ``path`` (None: absent), its header read.

        Raises:
            Damaged: not a regular file, too large, not UTF-8.
            _OtherLayout: the layout is another (which does not make it damaged).
        """
        size = _check_regular(path)
        if size is None:
            return None
        try:
            file = open(path, "rb")  # noqa: SIM115 - kept open: see close()
        except OSError as e:
            raise Damaged(e.strerror or str(e)) from None
        try:
            header = []
            for line in _decoded(file):
                header.append(line)
                if line == _DOCUMENTS:
                    break
            else:
                raise _OtherLayout
            try:
                shared = _header(_parse("".join(header) + "}}"))
            except Damaged:
                raise _OtherLayout from None
            return cls(path, file, file.tell(), shared.tables, size)
        except BaseException:
            file.close()
            raise

    def close(self) -> None:
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def _bodies(self) -> Iterator[str]:
        """Each document's line, without its indent, comma and end of line.

        Raises:
            Damaged: not UTF-8, or unreadable.
            _OtherLayout: the layout is another.
        """
        return (line[2:stop] for line, stop in self._lines())

    def _lines(self) -> Iterator[tuple[str, int]]:
        """Each document's line, with where its body ends (before its comma and end of
        line); its body starts after the two spaces of its indent.

        Raises:
            Damaged: not UTF-8, or unreadable.
            _OtherLayout: the layout is another.
        """
        file = self._file
        file.seek(self._start)
        more = True
        try:
            for raw in file:
                line = raw.decode("utf-8")
                if line == _END[0] and not more:
                    if file.read().decode("utf-8") not in (_END[1], _END[1][:-1]):
                        raise _OtherLayout
                    return
                if not more or not line.startswith("  ") or not line.endswith("\n"):
                    raise _OtherLayout
                more = line.endswith(",\n")
                yield line, -2 if more else -1
        except UnicodeDecodeError as e:
            raise Damaged(str(e)) from None
        except OSError as e:
            raise Damaged(e.strerror or str(e)) from None
        raise _OtherLayout

    def items(self, *, held: bool = False) -> Iterator[tuple[str, Entry]]:
        """Every entry, in name order (``held``: the caller keeps them all).

        Raises:
            Damaged: an entry is wrong, or the file unreadable.
            _OtherLayout: the layout is another (names out of order among others).
        """
        shared = _Shared(self._tables, held=held)
        last: str | None = None
        for line, stop in self._lines():
            name, value = _item(line, stop)
            if last is not None and name <= last:
                raise _OtherLayout
            last = name
            yield _held(name, shared), entry_from_json(name, value, shared)

    def names(self) -> Iterator[str]:
        """Every name, in order, from a manifest :meth:`items` went through."""
        for body in self._bodies():
            yield _scan_string(body, 1)[0]


def _item(line: str, stop: int) -> tuple[str, Any]:
    """The name and value of a document's line (``line[2:stop]``: ``"NAME": {...}``), as
    ``json.loads("{" + body + "}")`` reads them, its one key.

    Raises:
        _OtherLayout: the line is not one name and its value.
    """
    stop += len(line)
    if line.startswith('"', 2):  # as apport writes it: read where it is, not copied
        try:
            name, end = _scan_string(line, 3)
            if line.startswith(": ", end):
                value, end = _DECODER.raw_decode(line, end + 2)
                if end == stop:
                    return name, value
        except (ValueError, OverflowError, RecursionError):  # (then as below)
            pass
    text = "{" + line[2:stop] + "}"  # any other way of writing it
    try:
        item, end = _DECODER.raw_decode(text)
    except (ValueError, OverflowError, RecursionError):  # (Damaged is a ValueError)
        raise _OtherLayout from None
    if end != len(text) or len(item) != 1:
        raise _OtherLayout
    ((name, value),) = item.items()
    return name, value


def _decoded(file: BinaryIO) -> Iterator[str]:
    try:
        for line in file:
            yield line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Damaged(str(e)) from None
    except OSError as e:
        raise Damaged(e.strerror or str(e)) from None


def _damage(path: Path, e: Damaged) -> Diagnostic:
    return Diagnostic(str(path), 0, 0, "", "warning", "manifest-damaged", {"detail": str(e)})


def _blocks(pieces: Iterable[str], count: int = 4096, trailer: str = "\n") -> Iterator[bytes]:
    """Many small pieces of text as a few blocks of UTF-8 (never one big string), then
    ``trailer``."""
    chunk: list[str] = []
    for piece in pieces:
        chunk.append(piece)
        if len(chunk) >= count:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    chunk.append(trailer)
    yield "".join(chunk).encode("utf-8")


class Journal:
    """Appends a deal's entries before its files move (see the module's docstring)."""

    def __init__(self, manifest: Manifest, out: Path) -> None:
        self.manifest = manifest
        self.path = out / JOURNAL
        self._fd: int | None = None

    def record(self, set_: Mapping[str, Entry], drop: Iterable[str] = ()) -> None:
        """Append one line and apply it to the manifest in memory (``drop``: names of the
        manifest, see :meth:`Manifest.listed`).

        Raises:
            WriteError: located; nothing was recorded (the line is taken back).
        """
        drop = [name for name in drop if self.manifest.listed(name)]
        if not set_ and not drop:
            return
        line = json.dumps({"set": {name: entry_to_json(e) for name, e in set_.items()},
                           "drop": drop}, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        data = (line + "\n").encode("utf-8")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                                   | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
                if not stat.S_ISREG(os.fstat(self._fd).st_mode):
                    raise error(self.path, "target-is-special")
            start = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                written = os.write(self._fd, data)
                if written != len(data):
                    raise OSError(28, "No space left on device")
            except OSError:
                os.ftruncate(self._fd, start)  # no half line left behind
                raise
        except OSError as e:
            raise os_error(self.path, e, "io-cannot-record") from None
        for name in drop:
            self.manifest._drop(name)
        for name, entry in set_.items():
            self.manifest._set(name, entry)
        self.manifest.journal_bytes += len(data)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def settled(entry: Entry) -> Entry:
    """The entry once its file is known to hold its bytes."""
    return replace(entry, previous_sha256=None) if entry.previous_sha256 else entry




# --- what a file holds, without reading it again when its status says -----------------------

# size, modification and status-change times (ns), inode
FileStatus = tuple[int, int, int, int]

# A file's times move by ticks of the system's clock (a few milliseconds, or a second or
# two on some file systems): a file changed within the tick in which apport took its status
# keeps that status. A status is therefore recorded only once the file has not changed for
# this long; a file placed or read more recently is read again by the next build (as git
# does with the files it calls "racily clean").
SETTLING_NS = 2_000_000_000

# A status as kept in memory: packed into 32 bytes (a tuple of four integers costs seven
# times that, for every file of the folder); the tuple itself for values out of range.
_PACKED = struct.Struct("<QqqQ")
Packed = bytes | FileStatus


def _pack(status: FileStatus) -> Packed:
    try:
        return _PACKED.pack(*status)
    except struct.error:
        return status


def _same(status: FileStatus | None, packed: Packed) -> bool:
    return status is not None and _pack(status) == packed


def _unpack(packed: Packed) -> FileStatus:
    return packed if isinstance(packed, tuple) else _PACKED.unpack(packed)


def file_status(path: str | Path) -> FileStatus | None:
    """What the file system says of the regular file ``path`` (a link not followed) that
    changes whenever its bytes do. None when absent or not a regular file, and where the
    status-change time is not that (Windows: it is the creation time there)."""
    if os.name != "posix":
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class Statuses:
    """For each file of an output folder, its status when apport last knew its bytes' hash:
    once written (status taken after the move, of the very file staged) or once read
    (status taken before reading). A file whose status is still that one holds those
    bytes, so a build with nothing to do reads no document again: any write to a file,
    or putting another file in its place, moves its status-change time, which no
    program can set back.

    Kept in ``OUT/.apport-manifest.status``, apart from the manifest: it depends on the
    machine (times, inodes), the manifest only on what was built. A status younger than
    ``SETTLING_NS`` is not recorded (see there). One JSON object per line,
    ``{name: [size, mtime_ns, ctime_ns, inode, sha256]}``: first the statuses in name
    order, one a line (gone through as a stream beside the manifest, never held), then
    a line for each build that learned something since (held while building; a later
    line says what is true of its names). Rewritten in order once those lines hold a
    quarter of the others (or 64 statuses), or twice what the manifest lists. Files
    written before (all of their lines read as appended ones) are read and rewritten so.
    It is only a shortcut: unreadable, it is ignored (every file is read) and rewritten.
    """

    def __init__(self, out: Path | None) -> None:
        self.path = out / STATUS if out is not None else None
        self.learned: dict[str, tuple[Packed, str]] = {}  # by this build
        self.appended: dict[str, tuple[Packed, str]] = {}  # the lines after those in order
        self.in_order = 0  # statuses in the lines in name order, one a line
        self.after = 0  # statuses in the lines after them
        self.records = 0  # statuses in the file
        self.damaged = False
        self._file: BinaryIO | None = None
        self._in_order_bytes = 0
        self._window: Window[tuple[Packed, str]] | None = None
        self.digest: str | None = None  # of the file's bytes as read (None: none read)

    @classmethod
    def load(cls, out: Path, *, whole: bool = False) -> Statuses:
        """The statuses of ``out``: those in name order kept as a stream (asked for in
        name order, see :meth:`forget_before`), or ``whole`` read at once."""
        result = cls(out)
        assert result.path is not None
        try:
            if _check_regular(result.path) is not None:
                result._file = file = open(result.path, "rb")  # noqa: SIM115 - see close()
                last: str | None = None
                in_order = True  # (the lines in name order come first)
                read = hashlib.sha256()  # (a no-op's vouch says which bytes, see vouch.py)
                for line in file:  # a line at a time: never the whole text, nor its lines
                    read.update(line)
                    if not line.endswith(b"\n"):  # being written: rewritten whole
                        raise Damaged("a line is cut")
                    if in_order:
                        name = _status_name(line)  # (the status itself read when asked for)
                        if name is not None and (last is None or name > last):
                            last = name
                            result.in_order += 1
                            result.records += 1
                            result._in_order_bytes += len(line)
                            continue
                        in_order = False
                    data = _parse(line.decode("utf-8"))
                    if not isinstance(data, dict):
                        raise Damaged("not an object")
                    for name, value in data.items():
                        result.appended[sys.intern(name)] = _status(value)
                    result.records += len(data)
                    result.after += len(data)
                    del line, data
                result.digest = read.hexdigest()
            if whole and result._file is not None:
                result.appended = {**dict(result._in_order()), **result.appended}
                result.close()
                result._in_order_bytes = 0
        except (Damaged, OSError, UnicodeDecodeError):
            result.close()
            result.appended = {}
            result.in_order = result.records = result.after = result._in_order_bytes = 0
            result.damaged = True
            result.digest = None
        return result

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._window = None

    def restart(self) -> None:
        """Statuses are to be asked for in name order from the first again."""
        self._window = None

    def unmoved(self, out: Path) -> int | None:
        """How many documents the file lists, when each still has the status recorded
        for it, so holds the bytes recorded (one ``lstat`` each; None: one has moved, is
        gone, or the file is missing or damaged)."""
        if self.damaged or self.digest is None:
            return None
        folder = os.path.join(out, "")
        appended = self.appended
        count = kept = 0  # the lines in name order; those a later line does not overrule
        for name, (packed, _sha) in self._in_order():
            count += 1
            if name in appended:
                continue
            kept += 1
            if not _same(file_status(folder + name), packed):
                return None
        if count != self.in_order:
            return None
        for name, (packed, _sha) in appended.items():
            if not _same(file_status(folder + name), packed):
                return None
        return kept + len(appended)

    def _in_order(self) -> Iterator[tuple[str, tuple[Packed, str]]]:
        """The statuses of the lines in name order, read again a line at a time (one
        that no longer reads ends them: it is only a shortcut)."""
        file, left = self._file, self._in_order_bytes
        if file is None:
            return
        file.seek(0)
        while left > 0:
            line = file.readline()
            left -= len(line)
            one = _one_status(line)
            if one is None:
                return
            yield one

    def _known(self, name: str) -> tuple[Packed, str] | None:
        """The status known for ``name``; one of the lines in name order is given once
        (asked for again, it is the one learned since that counts)."""
        known = self.learned.get(name) or self.appended.get(name)
        if known is None and self._in_order_bytes:
            if self._window is None:
                self._window = Window(self._in_order())
            known = self._window.take(name)
        return known

    def forget_before(self, name: str) -> None:
        """Let go of the statuses of the names before ``name`` (asked for in name order)."""
        if self._window is not None:
            for _ in self._window.forget_before(name):
                pass

    def sha256(self, path: str | Path, name: str | None = None) -> str | None:
        """The hash of the bytes of the file ``path`` (None: absent, or not a regular
        file): read only when its status is not the one recorded for them. ``name``:
        ``path``'s, when known."""
        name = os.path.basename(path) if name is None else name
        status = file_status(path)
        if status is not None:
            known = self._known(name)
            if known is not None and known[0] == _pack(status):
                return known[1]
        sha = sha256_file(Path(path))
        if status is not None and sha is not None:
            self.learn(name, status, sha)
        return sha

    def learn(self, name: str, status: FileStatus, sha: str) -> None:
        value = (_pack(status), sha)
        if self._known(name) != value:
            self.learned[name] = value

    def placed(self, path: Path, sha: str, inode: int | None) -> None:
        """``path`` was just moved into place from a staged file of inode ``inode``."""
        status = file_status(path)
        if status is not None and status[3] == inode:
            self.learn(path.name, status, sha)

    def save(self, folder: OutputFolder, manifest: Manifest) -> None:
        """Append what this build learned of the files ``manifest`` lists (or rewrite the
        file, see the class). A failure is not reported: the next build reads the files
        again."""
        crowded = self.after > max(64, self.in_order // 4)
        if self.path is None or not (self.learned or self.damaged or crowded):
            return
        settled = time.time_ns() - SETTLING_NS
        listed = 0
        live: dict[str, tuple[Packed, str]] = {}
        for name, value in _matched(manifest.names(), sorted(self.learned.items())):
            listed += 1
            if value is not None and _unpack(value[0])[2] < settled:
                live[name] = value
        try:
            if self.damaged or crowded or self.after + len(live) > max(
                    64, self.in_order // 4) or self.records + len(live) > 2 * listed + 64:
                over = {**self.appended, **self.learned}
                statuses = _merged(((n, v) for n, v in self._in_order() if n not in over),
                                   sorted(over.items()))
                kept = ((n, v) for n, v in _matched(manifest.names(), statuses)
                        if v is not None and _unpack(v[0])[2] < settled)
                count = [0]
                folder.replace(_counted(_status_lines(kept), count), self.path,
                               before=self.close)
                self.records = self.in_order = count[0]
                self.appended = {}
                self.after = 0
            elif live:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                             | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
                try:
                    if stat.S_ISREG(os.fstat(fd).st_mode):
                        os.write(fd, _status_line(live))
                finally:
                    os.close(fd)
                self.records += len(live)
                self.after += len(live)
        except (WriteError, OSError):
            return
        self.learned = {}
        self.damaged = False


def _matched(names: Iterable[str], pairs: Iterable[tuple[str, V]]) -> Iterator[
        tuple[str, V | None]]:
    """Each of ``names`` (in order) with its value in ``pairs`` (in name order), if any."""
    pairs = iter(pairs)
    ahead = next(pairs, None)
    for name in names:
        while ahead is not None and ahead[0] < name:
            ahead = next(pairs, None)
        if ahead is not None and ahead[0] == name:
            yield name, ahead[1]
        else:
            yield name, None


def _counted(lines: Iterable[bytes], count: list[int]) -> Iterator[bytes]:
    for line in lines:
        count[0] += line.count(b"\n")
        yield line


# A line of one status, as apport writes them in name order: read without a JSON parser.
# (the name's pattern is ``(?:[^"\\]|\\.)*`` unrolled: the same texts, matched in half the
# time, which counts at every status of the folder)
_ONE_STATUS = re.compile(rb'\{"([^"\\]*(?:\\.[^"\\]*)*)":\[([0-9]+),(-?[0-9]+),(-?[0-9]+),'
                         rb'([0-9]+),"([0-9a-f]{64})"\]\}\n')  # (times before 1970 are negative)


def _one_status(line: bytes) -> tuple[str, tuple[Packed, str]] | None:
    """The name and status of a line of one status (None: another line)."""
    found = _ONE_STATUS.fullmatch(line)
    name = _matched_name(found)
    if name is None:
        return None
    assert found is not None
    _, size, mtime, ctime, inode, sha = found.groups()
    return name, (_pack((int(size), int(mtime), int(ctime), int(inode))), sha.decode("ascii"))


def _status_name(line: bytes) -> str | None:
    """The name of a line of one status (None: another line), the status not read."""
    return _matched_name(_ONE_STATUS.fullmatch(line))


def _matched_name(found: re.Match[bytes] | None) -> str | None:
    if found is None:
        return None
    try:
        name = found.group(1).decode("utf-8")
        if "\\" in name:
            name = json.loads('"' + name + '"')
    except (UnicodeDecodeError, ValueError):
        return None
    return name


def _status(value: Any) -> tuple[Packed, str]:
    if not isinstance(value, list) or len(value) != 5 or not all(
            type(v) is int for v in value[:4]) or value[0] < 0 or value[3] < 0:
        raise Damaged("not [size, mtime, ctime, inode, sha256]")
    return _pack((value[0], value[1], value[2], value[3])), _sha(value[4], "a status",
                                                                 _STREAMED)


def _status_line(data: Mapping[str, tuple[Packed, str]]) -> bytes:
    """One line of statuses (those a build appends)."""
    line = json.dumps({name: [*_unpack(status), sha]
                       for name, (status, sha) in sorted(data.items())},
                      ensure_ascii=False, separators=(",", ":"))
    return (line + "\n").encode("utf-8")


def _status_lines(pairs: Iterable[tuple[str, tuple[Packed, str]]]) -> Iterator[bytes]:
    """Statuses in name order, one a line, in blocks."""
    return _blocks((json.dumps({name: [*_unpack(status), sha]}, ensure_ascii=False,
                               separators=(",", ":")) + "\n"
                    for name, (status, sha) in pairs), trailer="")
