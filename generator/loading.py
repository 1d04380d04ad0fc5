"""YAML text -> plain data that remembers where every key and value was.

PyYAML's composer gives nodes that carry their line and column; we build
plain data from those nodes ourselves instead of letting PyYAML construct
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import DealError, Diagnostic

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Characters YAML 1.1 reads as line breaks where editors show none: a raw one would
# move every position after it one line down, and in a comment it would turn the
# rest of that line into live keys nobody sees. (Escaped, ``"\L"``, they are text.)
_HIDDEN_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "next line", "\u2028": "line separator", "\u2029": "paragraph separator"}

Path_ = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass
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


class _Checks:
    """A composer that records anchors, aliases and tags instead of honouring them."""

    problems: list[tuple[yaml.Mark, str]]
    depth: int
    check_event: Any  # from the parser this mixes with
    get_event: Any
    peek_event: Any

    def _start_checks(self) -> None:
        self.problems = []
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()
            self.problems.append(
                (event.start_mark, "aliases (*name) are not allowed in a deal file; "
                 "write the value out")
            )
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            self.problems.append(
                (event.start_mark, f"anchors (&{event.anchor}) are not allowed in a deal file")
            )
            event.anchor = None
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            self.problems.append(
                (event.start_mark, f"tags ({tag}) are not allowed in a deal file; "
                 "write the plain value")
            )
            event.tag = None
            if hasattr(event, "implicit"):
                event.implicit = (True, True)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(event.start_mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _Loader(_Checks, yaml.SafeLoader):
    """PyYAML's pure-Python reader, scanner and parser: the reference, and its messages."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start_checks()


_FAST: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _FastLoader(_Checks, yaml.composer.Composer, CParser, yaml.resolver.Resolver):
        """libyaml's C parser for the events, our (Python) composer and checks on top.

        Ten times faster than the pure-Python scanner. A file it refuses is read
        again by :class:`_Loader`, whose messages and positions (in characters,
        where libyaml counts bytes) are the ones users see.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_checks()

        def dispose(self) -> None:
            pass

    _FAST = _FastLoader


def _compose(text: str) -> tuple[Node | None, list[tuple[yaml.Mark, str]]]:
    """The root node and the recorded problems; YAML errors as PyYAML raises them."""
    if _FAST is not None and "\t" not in text:  # libyaml accepts tabs PyYAML refuses
        try:
            fast = _FAST(text)
            return fast.get_single_node(), fast.problems
        except yaml.YAMLError:
            pass  # read again below, for PyYAML's message and position
    loader = _Loader(text)
    try:
        return loader.get_single_node(), loader.problems
    finally:
        loader.dispose()


def _pos(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _line_col(text: str, index: int) -> Position:
    line = text.count("\n", 0, index) + 1
    return (line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _too_large(file: str, size: int | None) -> DealError:
    """``size`` is None when unknown (a device or a pipe that keeps giving bytes)."""
    shown = (f"{size / 1024:.0f} KiB ({size} bytes)" if size is not None
             else f"larger than {MAX_BYTES // 1024} KiB")
    return DealError([Diagnostic(
        file, 0, 0, "", "error",
        f"the file is {shown}; a deal file may be at most {MAX_BYTES // 1024} KiB",
    )])


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
        raise DealError([Diagnostic(
            file, line, column, "", "error",
            f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
            "save it as UTF-8",
        )]) from None


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

    def fatal(position: Position, message: str) -> DealError:
        return DealError([Diagnostic(file, *position, "", "error", message)])

    hidden = _HIDDEN_BREAKS.search(text)
    if hidden:
        raise fatal(_line_col(text, hidden.start()),
                    f"character U+{ord(hidden.group()):04X} ({_BREAK_NAMES[hidden.group()]}) "
                    "is not allowed in a deal file: YAML reads it as a line break where "
                    "editors show none; remove it or press Enter instead")

    try:
        # PyYAML checks the characters of a str stream in the constructor:
        # a NUL byte raises ReaderError there, so the loader is built inside the try.
        root, problems = _compose(text)
    except _TooDeep as e:
        raise fatal(_pos(e.mark), f"the data is nested more than {MAX_DEPTH} levels deep") from None
    except yaml.reader.ReaderError as e:
        raise fatal(
            _line_col(text, e.position),
            f"character U+{ord(e.character) if isinstance(e.character, str) else e.character:04X} "
            "is not allowed in a YAML file",
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        position = _pos(mark) if mark else (1, 1)
        raise fatal(position, f"this is not valid YAML: {problem}") from None
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML marks all its errors
        raise fatal((1, 1), f"this is not valid YAML: {e}") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops this first
        raise fatal((1, 1), "the data is nested too deeply") from None

    if root is None:
        raise fatal((1, 1), "the file is empty; a deal starts with keys such as 'introducer:'")
    if not isinstance(root, MappingNode):
        raise fatal(_pos(root.start_mark), "the top level must be a mapping of keys "
                    "(such as 'introducer:'), not a list or a single value")

    loaded = LoadedDeal(file=file, data={})
    loaded.diagnostics.extend(
        Diagnostic(file, *_pos(mark), "", "error", message) for mark, message in problems
    )
    loaded.data = _to_data(root, (), loaded)
    return loaded


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
        raise DealError([Diagnostic(name, 0, 0, "", "error",
                                    f"cannot read the file: {e.strerror or e}")]) from None
    return load_bytes(raw, name)


def _to_data(node: Node, path: Path_, loaded: LoadedDeal) -> Any:
    loaded.values[path] = _pos(node.start_mark)
    if isinstance(node, ScalarNode):
        if not node.style and node.value in NULLS:  # plain: None (PyYAML) or "" (libyaml)
            return None
        return node.value
    if isinstance(node, SequenceNode):
        return [_to_data(item, (*path, i), loaded) for i, item in enumerate(node.value)]
    result: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            loaded.diagnostics.append(Diagnostic(
                loaded.file, *_pos(key_node.start_mark), ".".join(map(str, path)), "error",
                "a key must be a plain word, not a list or a mapping",
            ))
            continue
        key = key_node.value
        child = (*path, key)
        line = key_node.start_mark.line + 1
        if key in first_line:
            loaded.diagnostics.append(Diagnostic(
                loaded.file, *_pos(key_node.start_mark), ".".join(map(str, child)), "error",
                f"the key '{key}' is written twice (lines {first_line[key]} and {line}); "
                "keep only one",
            ))
            continue
        first_line[key] = line
        loaded.keys[child] = _pos(key_node.start_mark)
        result[key] = _to_data(value_node, child, loaded)
    return result
