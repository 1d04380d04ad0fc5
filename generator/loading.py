"""YAML text -> plain data that remembers where every key and value was.

PyYAML's parser (libyaml's, or PyYAML's own as the reference) gives events
that carry their line and column; we build plain data from those events
ourselves, in one pass, instead of letting PyYAML compose nodes and construct
Python objects, which lets us:

* keep every scalar as the text the user wrote (``name: yes`` stays
  ``"yes"``; the model converts by the field's type),
* refuse what a deal file never needs and what hides mistakes: a key
  written twice (PyYAML silently keeps the last one), anchors and aliases
  (and with them the "billion laughs" bombs), explicit tags
  (``!!python/object``...), nesting deeper than any deal, and the raw
  characters YAML reads as line breaks where editors show none (U+0085,
  U+2028, U+2029: the rest of a comment line would become live keys),
* locate every problem at its line and column.

Nothing here executes or constructs anything from the file's content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import DealError, Diagnostic
from .messages import Msg
from .records import record

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Characters YAML 1.1 reads as line breaks where editors show none: a raw one would
# move every position after it one line down, and in a comment it would turn the
# rest of that line into live keys nobody sees. (Escaped, ``"\L"``, they are text.)
_HIDDEN_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "char-next-line", "\u2028": "char-line-separator",
                "\u2029": "char-paragraph-separator"}

Path_ = tuple[str | int, ...]
Position = tuple[int, int]


@record
class LoadedDeal:
    """A deal file's data, with the position of every key and value.

    ``data`` holds only dicts, lists, strings and ``None``: every scalar is
    the text written in the file (``None`` for YAML's null).
    """

    file: str
    data: dict[str, Any]
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def position(self, path: Path_) -> Position:
        """Where to point for a problem at ``path``.

        The value when it is there, else its key, else the nearest parent
        that exists (a missing field is reported at its section's key).
        """
        path = tuple(path)
        if path in self.values:
            return self.values[path]
        while path:
            if path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return (1, 1)

    def key_position(self, path: Path_) -> Position:
        """Where the key of ``path`` is written (for unknown keys)."""
        return self.keys.get(tuple(path)) or self.position(path)


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _Frame:
    """A collection being read (see :func:`_read`)."""

    __slots__ = ("data", "path", "kept", "cut", "mapping", "mark", "key", "first_line")

    def __init__(self, data: Any, path: Path_, kept: bool, cut: bool, mark: yaml.Mark) -> None:
        self.data = data
        self.path = path
        self.kept = kept  # its items are data (not under a key not plain or written twice)
        self.cut = cut  # its values are looked at by _values_cut_by_a_comment
        self.mapping = type(data) is dict
        self.mark = mark
        self.key: tuple[str | None, bool] | None = None  # (key, kept) while its value is read
        self.first_line: dict[str, int] = {}


@record
class _Document:
    """A document read by :func:`_read`."""

    root: type[Node] | None  # the kind of its root (None: the stream holds no document)
    root_mark: yaml.Mark | None
    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    problems: list[tuple[yaml.Mark, Msg]] = field(default_factory=list)  # anchors, tags...
    shape: list[Diagnostic] = field(default_factory=list)  # keys not plain, written twice
    scalars: list[tuple[Path_, Any]] = field(default_factory=list)  # (path, ScalarEvent)


_NODES: dict[type, type[Node]] = {ScalarEvent: ScalarNode, SequenceStartEvent: SequenceNode,
                                  MappingStartEvent: MappingNode}


def _read(parser: Any, file: str) -> _Document:
    """The one document of ``parser``'s events as plain data, with the position of every
    key and value, in one pass and without recursion.

    What PyYAML's composer would build nodes of, read straight into data: an alias
    reads as null and is recorded, never followed, as are an anchor and an explicit
    tag (``!`` alone only says "not resolved"); a node nested deeper than
    :data:`MAX_DEPTH` raises :class:`_TooDeep`; a key that is not a scalar, or one
    written twice, is recorded and its value left out. Events are asked for in the
    composer's order, so a file's YAML errors are the ones PyYAML raises (``expected
    a single document in the stream`` included).
    """
    get, peek = parser.get_event, parser.peek_event
    get()  # stream start
    if type(peek()) is StreamEndEvent:
        get()
        return _Document(None, None, None)
    get()  # document start
    doc = _Document(None, None, None)
    values, problems, scalars = doc.values, doc.problems, doc.scalars
    stack: list[_Frame] = []
    while True:
        event = get()
        kind = type(event)
        if kind is SequenceEndEvent or kind is MappingEndEvent:
            done = stack.pop()
            if not stack:
                break
            _place(stack[-1], done.data, None, done.mark, file, doc)
            continue
        # where this node goes: the root, an item, a mapping's key or its value
        parent = stack[-1] if stack else None
        if parent is None:
            where: Path_ | None = ()
            kept = cut = True
        elif not parent.mapping:
            where = (*parent.path, len(parent.data))
            kept, cut = parent.kept, parent.cut
        elif parent.key is None:  # a key: neither data nor looked at by _cut itself
            where, kept, cut = None, False, False
        else:
            key, accepted = parent.key
            where = (*parent.path, key) if key is not None else None
            kept, cut = parent.kept and accepted, parent.cut and key is not None
        if kind is AliasEvent:
            problems.append((event.start_mark, Msg("yaml-alias")))
            node: type[Node] = ScalarNode
            value: Any = ""
            style = None
        else:
            node = _NODES[kind]
            if event.anchor is not None:
                problems.append((event.start_mark, Msg("yaml-anchor", {"anchor": event.anchor})))
            tag = event.tag
            if tag is not None and tag != "!":
                problems.append((event.start_mark, Msg("yaml-tag", {"tag": tag})))
            if len(stack) >= MAX_DEPTH:
                raise _TooDeep(event.start_mark)
            if node is ScalarNode:
                value, style = event.value, event.style
        mark = event.start_mark
        if parent is None:
            doc.root, doc.root_mark = node, mark
        if kept and where is not None:
            values[where] = _pos(mark)
        if node is not ScalarNode:
            data: Any = {} if node is MappingNode else []
            stack.append(_Frame(data, where or (), kept, cut, mark))
            if parent is None:
                doc.data = data
            continue
        if cut and where is not None and not style and value \
                and mark.line == event.end_mark.line:
            scalars.append((where, event))
        if parent is None:
            doc.data = None if not style and value in NULLS else value
            break
        _place(parent, value, style, mark, file, doc)
    get()  # document end
    if type(peek()) is not StreamEndEvent:
        event = get()
        raise ComposerError("expected a single document in the stream", doc.root_mark,
                            "but found another document", event.start_mark)
    get()  # stream end
    return doc


def _place(parent: _Frame, value: Any, style: Any, mark: yaml.Mark, file: str,
           doc: _Document) -> None:
    """A node read (a scalar's text and ``style``; a collection's data, ``style`` None
    and ``value`` not a str) put in its collection: an item, a key, or a key's value."""
    scalar = type(value) is str
    if not parent.mapping:
        parent.data.append(None if scalar and not style and value in NULLS else value)
        return
    if parent.key is not None:  # the value of the key read before
        key, accepted = parent.key
        parent.key = None
        if accepted:
            parent.data[key] = None if scalar and not style and value in NULLS else value
        return
    if not scalar:
        parent.key = (None, False)
        if parent.kept:
            doc.shape.append(Diagnostic(file, *_pos(mark), ".".join(map(str, parent.path)),
                                        "error", "key-not-plain"))
        return
    child = (*parent.path, value)
    line = mark.line + 1
    if not parent.kept:
        parent.key = (value, False)
    elif value in parent.first_line:
        doc.shape.append(Diagnostic(file, *_pos(mark), ".".join(map(str, child)), "error",
                                    "duplicate-key", {"key": value,
                                                      "first": parent.first_line[value],
                                                      "second": line}))
        parent.key = (value, False)
    else:
        parent.first_line[value] = line
        doc.keys[child] = _pos(mark)
        parent.key = (value, True)


_FAST: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser as _FAST


def _compose(text: str, file: str) -> _Document:
    """The document, read with libyaml's parser (ten times faster than PyYAML's scanner).
    A file it refuses, or one with a tab (libyaml accepts tabs PyYAML refuses), is read
    with PyYAML's, whose errors and positions (in characters, where libyaml counts bytes)
    are the ones users see."""
    if _FAST is not None and "\t" not in text:
        try:
            return _read(_FAST(text), file)
        except yaml.YAMLError:
            pass  # read again below, for PyYAML's message and position
    loader = yaml.SafeLoader(text)
    try:
        return _read(loader, file)
    finally:
        loader.dispose()


def _pos(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _line_col(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return (line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _too_large(file: str, size: int | None) -> DealError:
    """``size`` is None when unknown (a device or a pipe that keeps giving bytes)."""
    if size is None:
        return DealError([Diagnostic(file, 0, 0, "", "error", "file-too-large-endless",
                                     {"max_kib": MAX_BYTES // 1024})])
    return DealError([Diagnostic(file, 0, 0, "", "error", "file-too-large",
                                 {"kib": round(size / 1024), "size": size,
                                  "max_kib": MAX_BYTES // 1024})])


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_BYTES:
        raise _too_large(file, len(raw))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        # in characters, as every other column: the bytes before e.start are valid UTF-8
        column = len(raw[raw.rfind(b"\n", 0, e.start) + 1:e.start].decode("utf-8")) + 1
        raise DealError([Diagnostic(file, line, column, "", "error", "not-utf8",
                                    {"byte": f"0x{raw[e.start]:02x}"})]) from None


def load_bytes(raw: bytes, file: str) -> LoadedDeal:
    """Parse a deal file's bytes.

    Args:
        raw: the file's content.
        file: the name to show in diagnostics.

    Returns:
        The data with its positions, and the non-fatal problems found
        (duplicate keys, anchors, tags) in ``diagnostics``; the caller
        decides, with the model's own findings, whether the deal stands.

    Raises:
        DealError: when the file cannot be read as a deal at all.
    """
    text = _decode(raw, file)

    def fatal(position: Position, code: str, **params: Any) -> DealError:
        return DealError([Diagnostic(file, *position, "", "error", code, params)])

    hidden = _HIDDEN_BREAKS.search(text)
    if hidden:
        raise fatal(_line_col(text, hidden.start()), "hidden-line-break",
                    char=f"U+{ord(hidden.group()):04X}", name=Msg(_BREAK_NAMES[hidden.group()]))

    try:
        # PyYAML checks the characters of a str stream in the constructor:
        # a NUL byte raises ReaderError there, so the loader is built inside the try.
        doc = _compose(text, file)
    except _TooDeep as e:
        raise fatal(_pos(e.mark), "yaml-too-deep", max=MAX_DEPTH) from None
    except yaml.reader.ReaderError as e:
        char = ord(e.character) if isinstance(e.character, str) else e.character
        raise fatal(_line_col(text, e.position), "yaml-character", char=f"U+{char:04X}") from None
    except yaml.MarkedYAMLError as e:
        hint = _hint(e, text)
        if hint is not None:
            position, code, params = hint
            raise fatal(position, code, **params) from None
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        position = _pos(mark) if mark else (1, 1)
        raise fatal(position, "yaml-invalid", detail=problem) from None
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML marks all its errors
        raise fatal((1, 1), "yaml-invalid", detail=str(e)) from None

    if doc.root is None:
        raise fatal((1, 1), "file-empty")
    if doc.root is not MappingNode:
        assert doc.root_mark is not None
        raise fatal(_pos(doc.root_mark), "top-level-not-mapping")

    loaded = LoadedDeal(file, doc.data, doc.values, doc.keys)
    loaded.diagnostics.extend(
        Diagnostic(file, *_pos(mark), "", "error", m.code, m.params) for mark, m in doc.problems
    )
    loaded.diagnostics.extend(doc.shape)
    loaded.diagnostics.extend(_values_cut_by_a_comment(doc.scalars, text.split("\n"), file))
    return loaded


# --- hints for the YAML mistakes people make every day ---------------------------------------

_KEY_VALUE = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s:#'\"][^:#]*?):[ \t]+(?P<value>.*?)\s*$")


def _quoted_example(key: str, value: str) -> str:
    return f'{key}: "{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'


def _hint(e: yaml.MarkedYAMLError, text: str) -> tuple[Position, str, dict[str, Any]] | None:
    """A plain-words code for PyYAML's most frequent refusals (None: no hint known)."""
    lines = text.split("\n")
    problem, context = e.problem or "", e.context or ""
    mark = e.problem_mark
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if problem == "mapping values are not allowed here" and mark is not None:
        match = _KEY_VALUE.match(line)
        if match and ": " in match["value"] + " ":
            return (_pos(mark), "yaml-colon-in-value",
                    {"example": _quoted_example(match["key"], match["value"])})
    if "'\\t'" in problem and mark is not None and "\t" in line[:mark.column + 1] \
            and not line[:mark.column].strip():
        return _pos(mark), "yaml-tab-indent", {}
    if context == "while scanning a quoted scalar" and e.context_mark is not None:
        opening = e.context_mark
        quote = lines[opening.line][opening.column] if opening.line < len(lines) else '"'
        return _pos(opening), "yaml-unclosed-quote", {"quote": quote}
    if problem.startswith("expected <block end>, but found") and mark is not None:
        match = _KEY_VALUE.match(line)
        if match and match["value"].startswith("'") and match["value"].count("'") > 2:
            inner = match["value"][1:-1] if match["value"].endswith("'") else match["value"][1:]
            return (_pos(mark), "yaml-apostrophe-in-quotes",
                    {"example": _quoted_example(match["key"], inner)})
    return None


_CUT = re.compile(r"[ \t]+#(?=\S)")


def _values_cut_by_a_comment(scalars: list[tuple[Path_, Any]], lines: list[str],
                             file: str) -> Iterator[Diagnostic]:
    """Plain values followed on their line by `` #text``: YAML made the rest a comment.

    ``name: Atelier #1 Bois`` reads as ``Atelier``. A comment written on
    purpose starts with ``# `` (a space after the sign); a ``#`` glued to a
    word is most likely part of the value. ``scalars``: the plain one-line
    values of the file (:func:`_read`), with their paths.
    """
    for path, event in scalars:
        end = event.end_mark
        if end.line >= len(lines):
            continue
        line = lines[end.line]
        match = _CUT.match(line, end.column)
        if match:
            rest = line[match.end() - 1:].rstrip()
            key = str(path[-1]) if path else ""
            yield Diagnostic(file, end.line + 1, match.end(),
                             ".".join(map(str, path)), "warning", "yaml-value-cut-by-comment",
                             {"value": event.value, "rest": rest,
                              "example": _quoted_example(key, f"{event.value} {rest}")})


def _open_for_reading(path: str | Path) -> BinaryIO:
    """Open a file to read it, without waiting for a writer.

    ``open()`` on a named pipe blocks until something writes to it, for ever if
    nothing does: opened non-blocking, then read blocking, a pipe with no writer
    reads as empty, and one with a writer (``<(cat deal.yaml)``) still works.
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # 0 on Windows, where open() does not wait
    fd = os.open(path, os.O_RDONLY | nonblocking | getattr(os, "O_BINARY", 0))
    try:
        if nonblocking:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def load_file(path: str | Path, display: str | None = None) -> LoadedDeal:
    """Read and parse a deal file; ``display`` is the name shown in messages."""
    name = display if display is not None else str(path)
    try:
        with _open_for_reading(path) as f:
            raw = f.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                # Name the size without reading it all: the file may be huge, or endless
                # (/dev/zero), which used to fill the memory.
                size = os.fstat(f.fileno()).st_size
                raise _too_large(name, size if size >= len(raw) else None)
    except OSError as e:
        raise DealError([Diagnostic(name, 0, 0, "", "error", "file-unreadable",
                                    {"reason": e.strerror or str(e)})]) from None
    return load_bytes(raw, name)
