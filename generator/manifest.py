"""What apport wrote in an output folder, and from what: the manifest and its journal.

``OUT/.apport-manifest.json`` lists, for each file apport wrote there, a typed
entry: for a document (:class:`DocumentEntry`) the deal's hash, the
``id@version`` and hash of every clause used, the template's and library's
hashes, the tool's version, the warnings and the hash of the bytes written;
for a file made from a document (:class:`FileEntry`: a redline, a PDF, an
email) the document it came from and its hash.

Durable as soon as the files are: before a deal's files are moved into place,
their entries are appended to ``OUT/.apport-manifest.journal`` (one line per
deal, one ``write``), each keeping the hash it replaces in
``previous_sha256``. A process killed at any moment thus leaves every file it
wrote known, whether the move happened or not, and apport never mistakes its
own file for a person's edit. The journal is folded into the manifest only
when it has grown (:meth:`Manifest.save_if_due`), so a build writes in
proportion to what it changed.

A manifest or journal that cannot be read as exactly this (hand-edited,
truncated, a folder in its place, ``NaN``, absurd nesting) is read as absent,
with a warning: every file in the folder is then treated as possibly a
person's, so nothing is lost, and nothing in it can forge a message.
"""

from __future__ import annotations

import enum
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .messages import known, params_from_json
from .writing import FILE_MODE, OutputFolder, error, os_error

MANIFEST = ".apport-manifest.json"
JOURNAL = ".apport-manifest.journal"
FORMAT = 1
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


_HASHES: dict[str, str] = {}  # hashes already checked: one string object for each


def _sha(value: Any, what: str) -> str:
    if isinstance(value, str):
        known = _HASHES.get(value)
        if known is not None:
            return known
        if len(value) == 64 and _SHA_TEXT.fullmatch(value):
            if len(_HASHES) < 100_000:
                _HASHES[value] = value
            return value
    raise Damaged(f"{what} is not a hash")


def _opt_sha(value: Any, what: str) -> str | None:
    return None if value is None else _sha(value, what)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Damaged(f"{what} is not text")
    return value


def _opt_text(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


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


def _warning(value: Any) -> Warning:
    if (not isinstance(value, list) or len(value) != 6 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value[:2])
            or not all(isinstance(v, str) for v in value[2:])
            or value[3] != "warning"
            or any(_CONTROL.search(v) for v in value[2:])
            or not known(value[4])):
        raise Damaged("a warning is not [line, column, path, \"warning\", code, parameters]")
    try:
        params_from_json(value[5])
    except (ValueError, TypeError, KeyError, ArithmeticError):
        raise Damaged("a warning's parameters are not readable") from None
    return (value[0], value[1], value[2], value[3], value[4], value[5])


def entry_from_json(name: str, data: Any) -> Entry:
    """The typed entry of ``data``.

    Raises:
        Damaged: when any field is missing or of the wrong type.
    """
    if not isinstance(data, dict):
        raise Damaged(f"{name}: an entry is not an object")
    deal = _text(data.get("deal"), f"{name}: deal")
    tool = sys.intern(_text(data.get("tool"), f"{name}: tool"))
    deal_path = _opt_text(data.get("deal_path"), f"{name}: deal_path")
    previous = _opt_sha(data.get("previous_sha256"), f"{name}: previous_sha256")
    sha = _sha(data.get("sha256"), f"{name}: sha256")
    if "source" in data:
        try:
            derived = Derived(str(data.get("kind")))
        except ValueError:
            raise Damaged(f"{name}: unknown kind") from None
        return FileEntry(kind=derived, deal=deal, sha256=sha,
                         source=_text(data["source"], f"{name}: source"),
                         source_sha256=_sha(data.get("source_sha256"), f"{name}: source"),
                         tool=tool, deal_path=deal_path, previous_sha256=previous)
    clauses = data.get("clauses")
    if clauses is not None:
        if not isinstance(clauses, dict):
            raise Damaged(f"{name}: clauses is not an object")
        clauses = {sys.intern(_text(k, f"{name}: clause")): _sha(v, f"{name}: clause {k}")
                   for k, v in clauses.items()}
    documents = data.get("documents", [])
    if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
        raise Damaged(f"{name}: documents is not a list of names")
    warnings = data.get("warnings", [])
    if not isinstance(warnings, list):
        raise Damaged(f"{name}: warnings is not a list")
    review = data.get("review", False)
    if not isinstance(review, bool):
        raise Damaged(f"{name}: review is not true or false")
    final = data.get("final", False)
    if not isinstance(final, bool):
        raise Damaged(f"{name}: final is not true or false")
    return DocumentEntry(
        kind=_kind_of(name, data.get("kind")), deal=deal, sha256=sha,
        deal_sha256=_sha(data.get("deal_sha256"), f"{name}: deal_sha256"),
        template_sha256=_sha(data.get("template_sha256"), f"{name}: template_sha256"),
        library_sha256=_sha(data.get("library_sha256"), f"{name}: library_sha256"),
        tool=tool, clauses=clauses, review=review, final=final, documents=tuple(documents),
        warnings=tuple(_warning(w) for w in warnings), deal_path=deal_path,
        previous_sha256=previous)


def entry_to_json(entry: Entry) -> dict[str, Any]:
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
            data[name] = dict(value) if value is not None else None
            continue
        elif name == "final" and not value:  # only for a copy to sign: drafts as before
            continue
        if value is not None:
            data[name] = value
    return data


_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in (DocumentEntry, FileEntry)}


def _no_constant(value: str) -> Any:
    raise Damaged(f"{value} is not a number apport writes")


def _parse(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise Damaged("nested too deeply") from None
    except (ValueError, OverflowError) as e:  # Damaged, JSONDecodeError
        raise Damaged(str(e).splitlines()[0] if str(e) else "not JSON") from None


def _read_regular(path: Path) -> str | None:
    """The text of a regular file (None: absent).

    Raises:
        Damaged: it is a folder, a link, a special file, too large, or not UTF-8.
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
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise Damaged(getattr(e, "strerror", None) or str(e)) from None


@dataclass
class Manifest:
    """The entries of an output folder: its manifest with its journal played over it."""

    entries: dict[str, Entry] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)  # damage found while reading
    manifest_bytes: int = 0
    journal_bytes: int = 0
    damaged: bool = False  # then written whole at the end of the build

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """Read ``out``'s manifest and journal; a damaged one reads as absent, said once."""
        result = cls()
        path = out / MANIFEST
        try:
            text = _read_regular(path)
            if text is not None:
                result.manifest_bytes = len(text)
                data = _parse(text)
                if not isinstance(data, dict) or data.get("format") != FORMAT:
                    raise Damaged("not a manifest of format 1")
                documents = data.get("documents")
                if not isinstance(documents, dict):
                    raise Damaged("no documents")
                result.entries = {_text(name, "a name"): entry_from_json(name, value)
                                  for name, value in documents.items()}
        except Damaged as e:
            result.entries = {}
            result.damaged = True
            result.warnings.append(_damage(path, e))
        # What the journal says is true even when the manifest is damaged.
        base = dict(result.entries)
        try:
            result._replay(out / JOURNAL)
        except Damaged as e:
            result.entries = base
            result.damaged = True
            result.warnings.append(_damage(out / JOURNAL, e))
        return result

    def _replay(self, path: Path) -> None:
        text = _read_regular(path)
        if not text:
            return
        self.journal_bytes = len(text)
        lines = text.split("\n")
        # The last piece has no newline: a line being written when the process died.
        for number, line in enumerate(lines[:-1], start=1):
            data = _parse(line)
            if not isinstance(data, dict) or not isinstance(data.get("set"), dict) \
                    or not isinstance(data.get("drop"), list):
                raise Damaged(f"line {number} is not a journal record")
            for name in data["drop"]:
                self.entries.pop(_text(name, "a name"), None)
            for name, value in data["set"].items():
                self.entries[name] = entry_from_json(name, value)

    # - writing -

    def save(self, folder: OutputFolder) -> None:
        """Write every entry into the manifest (atomically), then empty the journal.

        Raises:
            WriteError: located, when the manifest cannot be written.
        """
        out = folder.path
        documents = {name: entry_to_json(self.entries[name]) for name in sorted(self.entries)}
        payload = {"format": FORMAT, "documents": documents}
        encoder = json.JSONEncoder(indent=1, ensure_ascii=False, allow_nan=False)
        target = out / MANIFEST
        staged = folder.stage(_blocks(encoder.iterencode(payload)), target)
        from .writing import Move, check_target

        try:
            check_target(target)
        except Exception:
            folder.discard([staged])
            raise
        folder.commit([Move(staged, target)])
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


def _damage(path: Path, e: Damaged) -> Diagnostic:
    return Diagnostic(str(path), 0, 0, "", "warning", "manifest-damaged", {"detail": str(e)})


def _blocks(pieces: Iterable[str], count: int = 4096) -> Iterable[bytes]:
    """Many small pieces of text as a few blocks of UTF-8 (never one big string)."""
    chunk: list[str] = []
    for piece in pieces:
        chunk.append(piece)
        if len(chunk) >= count:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    chunk.append("\n")
    yield "".join(chunk).encode("utf-8")


class Journal:
    """Appends a deal's entries before its files move (see the module's docstring)."""

    def __init__(self, manifest: Manifest, out: Path) -> None:
        self.manifest = manifest
        self.path = out / JOURNAL
        self._fd: int | None = None

    def record(self, set_: Mapping[str, Entry], drop: Iterable[str] = ()) -> None:
        """Append one line and apply it to the manifest in memory.

        Raises:
            WriteError: located; nothing was recorded (the line is taken back).
        """
        drop = [name for name in drop if name in self.manifest.entries]
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
                    raise error(self.path, "is not a regular file")
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
            self.manifest.entries.pop(name, None)
        self.manifest.entries.update(set_)
        self.manifest.journal_bytes += len(data)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def settled(entry: Entry) -> Entry:
    """The entry once its file is known to hold its bytes."""
    return replace(entry, previous_sha256=None) if entry.previous_sha256 else entry

