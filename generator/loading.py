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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import DealError, Diagnostic
from .messages import Msg

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

    problems: list[tuple[yaml.Mark, Msg]]
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
            self.problems.append((event.start_mark, Msg("yaml-alias")))
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            self.problems.append((event.start_mark, Msg("yaml-anchor", {"anchor": event.anchor})))
            event.anchor = None
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            self.problems.append((event.start_mark, Msg("yaml-tag", {"tag": tag})))
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


def _compose(text: str) -> tuple[Node | None, list[tuple[yaml.Mark, Msg]]]:
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
        root, problems = _compose(text)
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
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops this first
        raise fatal((1, 1), "yaml-too-deep", max=MAX_DEPTH) from None

    if root is None:
        raise fatal((1, 1), "file-empty")
    if not isinstance(root, MappingNode):
        raise fatal(_pos(root.start_mark), "top-level-not-mapping")

    loaded = LoadedDeal(file=file, data={})
    loaded.diagnostics.extend(
        Diagnostic(file, *_pos(mark), "", "error", m.code, m.params) for mark, m in problems
    )
    loaded.data = _to_data(root, (), loaded)
    loaded.diagnostics.extend(_values_cut_by_a_comment(root, (), text.split("\n"), file))
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


def _values_cut_by_a_comment(node: Node, path: Path_, lines: list[str],
                             file: str) -> Iterator[Diagnostic]:
    """Plain values followed on their line by `` #text``: YAML made the rest a comment.

    ``name: Atelier #1 Bois`` reads as ``Atelier``. A comment written on
    purpose starts with ``# `` (a space after the sign); a ``#`` glued to a
    word is most likely part of the value.
    """
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                yield from _values_cut_by_a_comment(value, (*path, key.value), lines, file)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _values_cut_by_a_comment(item, (*path, i), lines, file)
    elif isinstance(node, ScalarNode) and not node.style and node.value \
            and node.end_mark.line < len(lines) and node.start_mark.line == node.end_mark.line:
        line = lines[node.end_mark.line]
        match = _CUT.match(line, node.end_mark.column)
        if match:
            rest = line[match.end() - 1:].rstrip()
            key = str(path[-1]) if path else ""
            yield Diagnostic(file, node.end_mark.line + 1, match.end(),
                             ".".join(map(str, path)), "warning", "yaml-value-cut-by-comment",
                             {"value": node.value, "rest": rest,
                              "example": _quoted_example(key, f"{node.value} {rest}")})


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
                "key-not-plain",
            ))
            continue
        key = key_node.value
        child = (*path, key)
        line = key_node.start_mark.line + 1
        if key in first_line:
            loaded.diagnostics.append(Diagnostic(
                loaded.file, *_pos(key_node.start_mark), ".".join(map(str, child)), "error",
                "duplicate-key", {"key": key, "first": first_line[key], "second": line},
            ))
            continue
        first_line[key] = line
        loaded.keys[child] = _pos(key_node.start_mark)
        result[key] = _to_data(value_node, child, loaded)
    return result
