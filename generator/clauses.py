"""The clause library: front matter, conditions, sandboxed rendering, numbering.

A clause is one file: a small YAML front matter between two ``---`` lines
(``id``, ``version``, ``title`` for an article or ``part_of`` for an optional
part of one, and a ``when`` condition on deal fields), then its French body.

The body is a Jinja template rendered in a sandboxed, strict-undefined
environment. It receives the derived terms of :mod:`generator.terms`
(formatted French text, never raw YAML) and ``ref('id')`` for
cross-references. Every value printed with ``{{ }}`` is replaced by an
opaque token before the markup is read, so nothing a user typed can become
markup, template code or XML: it is put back, literally, as its own run.

The markup is tiny:

* a blank line separates paragraphs;
* a line starting with ``- `` is a bullet item;
* ``**bold**`` sets text in bold.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import marshal
import re
import secrets
from collections.abc import Mapping
from dataclasses import field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.sandbox import SecurityError
from markupsafe import Markup

from . import codecache, french
from .errors import ClauseError
from .french import typography
from .messages import Msg
from .records import record
from .resources import CLAUSE_SUFFIX
from .sandbox import (
    _DICT_ATTRIBUTES,
    MAX_OUTPUT,
    TIME_LIMIT,
    Budget,
    Sandbox,
    Timeout,
    check_value,
    time_limit,
)
from .text import Block, Run, elided
from .workers import at_end, doing

ID_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,63}")
FRONT_KEYS = {"id", "version", "title", "part_of", "when"}

_TOKEN = re.compile("\ue000(\\d+)\ue001")
_VALUES = "__values"


# --- the sandbox -----------------------------------------------------------------


class _RefError(Exception):
    """``ref()`` named a clause that is not in the document (located by :func:`render_body`)."""

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def sandbox() -> Sandbox:
    """The environment of clause bodies and conditions.

    The sandbox of :mod:`generator.sandbox` (strict: an undefined name is an
    error, never a blank in a contract; no globals: a clause sees only what
    we give it; every value within a clause's budget), with the clauses' own
    ``de`` filter, and every printed value replaced by a token.
    """
    env = Sandbox(autoescape=False, keep_trailing_newline=False)
    env.filters["de"] = french.de
    env.finalize = _finalize
    return env


@jinja2.pass_context
def _finalize(context: Any, value: Any) -> Any:
    """Replace every printed value by a token (see :class:`_Values`)."""
    check_value(value)
    values = context.get(_VALUES)
    return values.token(value) if isinstance(values, _Values) else value


_ENV = sandbox()


# --- the library -------------------------------------------------------------------


@record(frozen=True)
class Clause:
    """One clause file, parsed and compiled."""

    id: str
    version: int
    title: str | None
    part_of: str | None
    when: str | None
    body: str
    file: str
    name: str
    body_line: int
    when_line: int
    id_line: int
    part_of_line: int
    sha256: str
    template: jinja2.Template = field(repr=False, compare=False)
    condition: Any = field(repr=False, compare=False)
    reads: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)
    when_reads: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """``id@version``, as recorded in documents and manifests."""
        return f"{self.id}@{self.version}"

    @property
    def is_article(self) -> bool:
        return self.part_of is None


def _split_front_matter(text: str, file: str) -> tuple[str, str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ClauseError(file, "clause-no-front-matter", line=1)
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise ClauseError(file, "clause-front-matter-unclosed", line=1)


def _front_matter(text: str, file: str) -> tuple[dict[str, Any], dict[str, int]]:
    from .diagnostics import DealError
    from .loading import load_bytes

    if not text.strip():
        raise ClauseError(file, "clause-front-matter-empty", line=2)
    try:
        # parsed from the file's second line, so that every line is the file's
        loaded = load_bytes(("\n" + text).encode("utf-8"), file)
    except DealError as e:
        first = e.diagnostics[0]
        raise ClauseError(file, "clause-front-matter-invalid",
                          {"problem": Msg(first.code, first.params)}, first.line or 2) from None
    if loaded.diagnostics:
        first = loaded.diagnostics[0]
        raise ClauseError(file, "clause-front-matter-invalid",
                          {"problem": Msg(first.code, first.params)}, first.line)
    lines = {str(path[0]): pos[0] for path, pos in loaded.keys.items() if len(path) == 1}
    return loaded.data, lines


_TAG_LINE = re.compile(r"^[ \t]*((?:\{%(?:(?!%\}).)*%\}[ \t]*)+)\n", re.MULTILINE)


def _tag_lines_vanish(body: str) -> str:
    """A line holding only block tags (``{% if %}``...) produces no output line.

    Jinja's ``trim_blocks`` would also eat the newline after a tag that ends
    a line of text (``... non.{% endif %}``), gluing two lines together; here
    only tag-only lines vanish. The newline is kept inside a comment so that
    line numbers in error messages stay those of the file.
    """
    return _TAG_LINE.sub(lambda m: m.group(1).rstrip() + "{#\n#}", body)


def _check_syntax(template_ast: nodes.Template, file: str, body_line: int) -> None:
    for node in template_ast.find_all((nodes.Include, nodes.Import, nodes.FromImport,
                                       nodes.Extends)):
        raise ClauseError(file, "clause-include", line=body_line + node.lineno - 1)


def _condition(when: str) -> tuple[CodeType, tuple[Any, ...] | None]:
    """The code of ``_ENV.compile_expression(when, undefined_to_none=False)``, kept by
    :mod:`generator.codecache` (the same steps as Jinja's method), and the facts it
    reads (:func:`_reads`)."""

    def compile_condition() -> tuple[CodeType, Any]:
        parser = Parser(_ENV, when, state="variable")
        expression = parser.parse_expression()
        if not parser.stream.eos:
            raise jinja2.TemplateSyntaxError("chunk after expression",
                                             parser.stream.current.lineno, None, None)
        expression.set_environment(_ENV)
        body = [nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)]
        tree = nodes.Template(body, lineno=1)
        tree.set_environment(_ENV)
        return _ENV.compile(tree), _reads(tree)

    return codecache.compiled(_ENV, "condition", when, None, None, compile_condition)


def _template(code: CodeType) -> jinja2.Template:
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)


def _read_clause(path: Path, file: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ClauseError(file, "clause-unreadable", {"reason": e.strerror or str(e)}) from None


def parse_clause(path: Path, display: str | None = None) -> Clause:
    """Read one clause file.

    Raises:
        ClauseError: naming the file and line of any problem.
    """
    file = display or str(path)
    raw = _read_clause(path, file)
    return _clause(_parse(raw, file), path.name, file, hashlib.sha256(raw).hexdigest())


# What a clause file's bytes give, whatever the process: its front matter's fields, its
# body and lines, the code of its condition and body and what they read (see _parse).
# Plain data and code objects: a library's are kept whole by the code cache.
_Parsed = tuple[str, int, "str | None", "str | None", "str | None", str, int, int, int, int,
                "CodeType | None", "tuple[Any, ...] | None", CodeType, "tuple[Any, ...] | None"]
_PARSED_TYPES: tuple[tuple[type, ...], ...] = (
    (str,), (int,), (str, type(None)), (str, type(None)), (str, type(None)), (str,), (int,),
    (int,), (int,), (int,), (CodeType, type(None)), (tuple, type(None)), (CodeType,),
    (tuple, type(None)))


def _parse(raw: bytes, file: str) -> _Parsed:
    """Check and compile one clause file's bytes.

    Raises:
        ClauseError: naming the file and line of any problem.
    """
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ClauseError(file, "clause-not-utf8") from None
    front_text, body, body_line = _split_front_matter(text, file)
    front, key_lines = _front_matter(front_text, file)

    unknown = sorted(set(front) - FRONT_KEYS)
    if unknown:
        raise ClauseError(file, "clause-unknown-key",
                          {"key": unknown[0], "known": sorted(FRONT_KEYS)},
                          key_lines.get(unknown[0]))
    clause_id = front.get("id")
    if not isinstance(clause_id, str) or not ID_PATTERN.fullmatch(clause_id):
        raise ClauseError(file, "clause-id-required", line=key_lines.get("id", 2))
    version = front.get("version")
    if not isinstance(version, str) or not version.isdigit() or int(version) < 1:
        raise ClauseError(file, "clause-version-required", line=key_lines.get("version", 2))
    title, part_of, when = front.get("title"), front.get("part_of"), front.get("when")
    for name, value in (("title", title), ("part_of", part_of), ("when", when)):
        if value is not None and not isinstance(value, str):
            raise ClauseError(file, "clause-key-not-text", {"key": name}, key_lines.get(name))
    if (title is None) == (part_of is None):
        raise ClauseError(file, "clause-title-or-part-of", line=key_lines.get("part_of", 2))

    when_line = key_lines.get("when", 2)
    when_code = when_reads = None
    if when is not None:
        try:
            when_code, when_reads = _condition(when)
        except jinja2.TemplateSyntaxError as e:
            raise ClauseError(file, "clause-when-invalid", {"detail": e.message},
                              when_line) from None
        except (ValueError, OverflowError, MemoryError, RecursionError) as e:
            # a literal too large to read, nesting too deep for the parser
            raise ClauseError(file, "clause-when-cannot-compile",
                              {"detail": f"{type(e).__name__}: {str(e)[:100]}"},
                              when_line) from None
    source = _tag_lines_vanish(body)

    def compile_body() -> tuple[CodeType, Any]:
        source_ast = _ENV.parse(source, name=clause_id, filename=file)
        _check_syntax(source_ast, file, body_line)
        return _ENV.compile(source_ast, name=clause_id, filename=file), _reads(source_ast)

    try:
        code, reads = codecache.compiled(_ENV, "clause", source, clause_id, file, compile_body)
    except jinja2.TemplateSyntaxError as e:
        raise ClauseError(file, "clause-syntax", {"detail": e.message},
                          body_line + (e.lineno or 1) - 1) from None
    except (ValueError, OverflowError, MemoryError, RecursionError) as e:
        # a literal too large to read, nesting too deep for the parser
        raise ClauseError(file, "clause-cannot-compile",
                          {"detail": f"{type(e).__name__}: {str(e)[:100]}"}, body_line) from None
    return (clause_id, int(version), title, part_of, when, body, body_line, when_line,
            key_lines.get("id", 2), key_lines.get("part_of", 2), when_code, when_reads, code,
            reads)


def _clause(parsed: _Parsed, name: str, file: str, sha256: str) -> Clause:
    """The clause ``parsed`` (from :func:`_parse`, or the code cache), its code loaded."""
    (clause_id, version, title, part_of, when, body, body_line, when_line, id_line,
     part_of_line, when_code, when_reads, code, reads) = parsed
    return Clause(
        id=clause_id, version=version, title=title, part_of=part_of, when=when,
        body=body, file=file, name=name, body_line=body_line, when_line=when_line,
        id_line=id_line, part_of_line=part_of_line, sha256=sha256,
        template=_ENV.bounded(_template(code)),
        condition=None if when_code is None else TemplateExpression(_template(when_code),
                                                                   False),
        reads=reads, when_reads=when_reads,
    )


def _parsed_form(found: Any, count: int) -> bool:
    """Whether ``found`` (read from the code cache) has the form of ``count`` parses."""
    return (type(found) is tuple and len(found) == count and all(
        type(entry) is tuple and len(entry) == len(_PARSED_TYPES)
        and all(isinstance(item, kinds) for item, kinds in zip(entry, _PARSED_TYPES, strict=True))
        for entry in found))


def _reads(template_ast: nodes.Template) -> tuple[Any, ...] | None:
    """What a clause body reads from its context, for :func:`render_body`'s cache.

    Each item is a name with the attributes read from it (``("commission", "rate")``),
    or ``("ref", target)`` for a cross-reference; ``range`` (a pure function) is left
    out. ``None``: the body reads its context in a way not followed here (a
    cross-reference to a computed target): it is rendered for every deal.
    """
    names = meta.find_undeclared_variables(template_ast)
    reads: set[tuple[Any, ...]] = set()

    def visit(node: nodes.Node, chain: tuple[str, ...], called: bool) -> bool:
        """``chain``: the attributes read above ``node``; ``called``: the last of them
        (or ``node`` itself) is called."""
        if isinstance(node, nodes.Getattr):
            return visit(node.node, (node.attr, *chain), called)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and (
                node.node.name == "ref" and "ref" in names):
            if (len(node.args) != 1 or not isinstance(node.args[0], nodes.Const)
                    or node.kwargs or node.dyn_args or node.dyn_kwargs):
                return False
            reads.add(("ref", node.args[0].value))
            return True
        if isinstance(node, nodes.Call):
            return visit(node.node, (), True) and all(
                visit(child, (), False) for child in node.iter_child_nodes()
                if child is not node.node)
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in names:
            if node.name == "range":
                return True
            if node.name == "ref":
                return False
            # a method called on a value (``x.upper()``) reads the value
            reads.add((node.name, *(chain[:-1] if called and chain else chain)))
            return True
        return all(visit(child, (), False) for child in node.iter_child_nodes())

    if not visit(template_ast, (), False):
        return None
    return tuple(sorted(reads, key=repr))


@record(frozen=True)
class Library:
    """Every clause of a folder, in file-name order."""

    folder: str
    clauses: tuple[Clause, ...]

    def __post_init__(self) -> None:
        seen: dict[str, Clause] = {}
        for clause in self.clauses:
            if clause.id in seen:
                raise ClauseError(clause.file, "clause-duplicate-id",
                                  {"id": clause.id, "other": seen[clause.id].file}, clause.id_line)
            seen[clause.id] = clause
        for clause in self.clauses:
            if clause.part_of is not None:
                parent = seen.get(clause.part_of)
                if parent is None or not parent.is_article:
                    raise ClauseError(clause.file, "clause-part-of-unknown",
                                      {"part_of": clause.part_of}, clause.part_of_line)

    def by_id(self, clause_id: str) -> Clause | None:
        return next((c for c in self.clauses if c.id == clause_id), None)


@functools.cache
def _library_kind() -> str:
    """The code cache's kind for a library's parsed files: with the versions of the YAML
    reader of the front matters."""
    import yaml

    libyaml = yaml._yaml.get_version_string() if yaml.__with_libyaml__ else None
    return f"clause library, PyYAML {yaml.__version__}, libyaml {libyaml}"


def load_library(folder: str | Path) -> Library:
    """Read every ``*.md`` clause of ``folder``.

    What the files' bytes give (:func:`_parse`) is kept whole in the code cache, by
    their names and SHA-256: a library read before is not parsed again.

    Raises:
        ClauseError: for the first clause file that has a problem.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ClauseError(str(folder), "clause-folder-missing")
    files = sorted(p for p in folder.iterdir() if p.suffix == CLAUSE_SUFFIX and p.is_file())
    if not files:
        raise ClauseError(str(folder), "clause-folder-empty", {"suffix": CLAUSE_SUFFIX})
    try:
        raws = [path.read_bytes() for path in files]
    except OSError:  # the first problem in file order, as a file-by-file read finds it
        return Library(str(folder), tuple(parse_clause(p, str(p)) for p in files))
    displays = [str(path) for path in files]
    hashes = [hashlib.sha256(raw).hexdigest() for raw in raws]
    named = "".join(f"{display}\0{sha}\n" for display, sha in zip(displays, hashes, strict=True))
    parsed = codecache.derived(
        _ENV, _library_kind(), named,
        lambda: tuple(_parse(raw, d) for raw, d in zip(raws, displays, strict=True)),
        lambda found: _parsed_form(found, len(files)))
    return Library(str(folder), tuple(_clause(entry, path.name, d, h) for entry, path, d, h
                                      in zip(parsed, files, displays, hashes, strict=True)))


# --- selection and rendering ------------------------------------------------------------


@record(frozen=True)
class Article:
    number: int
    id: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def heading(self) -> str:
        return f"Article {self.number}\u00a0– {self.title}"


@record(frozen=True)
class Decision:
    """Why a clause is in or out of a document (for the jurist's annex).

    The reason of a ``when`` condition, with the values it read, is worded only when
    :attr:`reason` is read (a review contract): ``why`` then holds the condition and
    ``facts`` the deal's fields.
    """

    clause: Clause
    included: bool
    why: Msg | str  # a message, or the 'when' condition read with ``facts``
    facts: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def reason(self) -> Msg:
        if isinstance(self.why, Msg):
            return self.why
        shown = ", ".join(f"{p} = {_show_fact(_lookup(self.facts or {}, p))}"
                          for p in _condition_paths(self.why))
        return Msg("clause-condition", {"when": self.why, "facts": shown})


@record(frozen=True)
class Rendered:
    articles: tuple[Article, ...]
    decisions: tuple[Decision, ...]

    @property
    def used(self) -> tuple[Clause, ...]:
        return tuple(d.clause for d in self.decisions if d.included)


@functools.lru_cache(maxsize=1024)
def _condition_paths(expression: str) -> tuple[str, ...]:
    """The dotted deal fields a condition reads, for explaining it."""
    ast = _ENV.parse("{{ " + expression + " }}")
    paths: list[str] = []

    def dotted(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            inner = dotted(node.node)
            return f"{inner}.{node.attr}" if inner else None
        return None

    for node in ast.find_all(nodes.Getattr):
        path = dotted(node)
        if path and not any(p.startswith(path + ".") or p == path for p in paths):
            paths = [p for p in paths if not path.startswith(p + ".")] + [path]
    return tuple(paths)


def _lookup(facts: Mapping[str, Any], path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _show_fact(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def select(library: Library, facts: Mapping[str, Any]) -> list[Decision]:
    """Decide which clauses a deal includes.

    Args:
        facts: the deal's fields as plain data (``Deal.model_dump()``): the
            names a ``when`` condition can read.
    """
    decisions: list[Decision] = []
    included_articles: set[str] = set()
    for clause in library.clauses:
        if clause.part_of is not None and clause.part_of not in included_articles:
            decisions.append(Decision(clause, False,
                                      Msg("clause-article-excluded", {"article": clause.part_of})))
            continue
        if clause.condition is None:
            ok, decision = True, Decision(clause, True, Msg("clause-always"))
        else:
            doing(clause.file)
            key = _values_key(("when", clause.file, clause.sha256), clause.when_reads, facts)
            known = _DECIDED.get(key) if key is not None else None
            try:
                if known is not None:
                    ok = known
                else:
                    with time_limit(TIME_LIMIT):
                        ok = bool(clause.condition(**facts))
                    if key is not None:
                        if len(_DECIDED) >= _RENDERED_SIZE:
                            _DECIDED.clear()
                        _DECIDED[key] = ok
            except jinja2.UndefinedError as e:
                code, params = _unknown_field(e, clause.when or "", facts)
                raise ClauseError(clause.file, "clause-when-" + code, params,
                                  clause.when_line) from None
            except Timeout:
                raise ClauseError(clause.file, "clause-when-timeout", {"seconds": TIME_LIMIT},
                                  clause.when_line) from None
            except RecursionError:
                raise ClauseError(clause.file, "clause-when-recursion", line=clause.when_line) \
                    from None
            except MemoryError:
                raise ClauseError(clause.file, "clause-when-memory", line=clause.when_line) \
                    from None
            except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError,
                    LookupError, AttributeError) as e:
                detail = f"{type(e).__name__}: {e}" if isinstance(e, LookupError) else str(e)
                raise ClauseError(clause.file, "clause-when-failed", {"detail": detail},
                                  clause.when_line) from None
            decision = Decision(clause, ok, clause.when or "", facts)
        if ok and clause.is_article:
            included_articles.add(clause.id)
        decisions.append(decision)
    return decisions


_SECRET_TOKEN = re.compile("\ue000([0-9a-f]{16}):(\\d+)\ue001")


class _Values:
    """Values printed by one clause, each replaced by an opaque token.

    Tokens carry a secret drawn for each render, so a value cannot forge one
    (a deal value ``\ue0001\ue001`` prints as written), and text the clause
    itself captured (a macro's output, a ``{% set %}`` block: clause text with
    tokens inside) is recognised and kept as clause text.
    """

    def __init__(self) -> None:
        self.items: list[Run] = []
        self.size = 0  # characters of the values printed so far
        self.secret = secrets.token_hex(8)
        self.marker = "\ue000" + self.secret + ":"

    def token(self, value: Any) -> str:
        if isinstance(value, str) and not isinstance(value, Reference) and self.marker in value:
            return str(value)  # the clause's own captured text
        run = Run(str(value), value=not isinstance(value, Reference))
        self.items.append(run)
        self.size += len(run.text)
        if self.size > MAX_OUTPUT:
            raise SecurityError(f"a clause may produce at most {MAX_OUTPUT} characters")
        return f"{self.marker}{len(self.items) - 1}\ue001"


class Reference(str):
    """A cross-reference (« l'article 7 »): our own text, not a deal value."""


# A clause's tokenised text is the same for every deal with the same options:
# its typography is computed once.
_typography = functools.lru_cache(maxsize=4096)(typography)

# A paragraph's layout: a Block when it holds no value; else its bullet and its pieces,
# each a Run of clause text or the (bold, index) of a value in the render's _Values.
_Layout = tuple[Block | tuple[bool, tuple[Run | tuple[bool, int], ...]], ...]
# A rendered body's layout, by its text with the render's secret dropped: the same for
# every deal whose values change only what is printed (most renders of a body).
_LAYOUTS: dict[str, _Layout] = {}
# Characters of the texts _LAYOUTS may hold: a body may print 100,000 (MAX_OUTPUT), so a
# count of entries alone would let a library's bodies fill a worker's memory budget.
_LAYOUTS_CHARS = 4_000_000
_layouts_chars = 0  # held now

# Layouts are kept between runs too, in the code cache (one file for this code of
# apport: a layout depends on its text and on clauses.py, french.py and text.py alone):
# a process reads them before forking its workers (:func:`read_layouts`), a worker adds
# those it made when it ends (:func:`keep_layouts`). A kept layout is clause text with
# the places of values, never a deal's values (every printed value is a place).
# text -> layout as plain data (_plain), marshalled: read whole, a layout decoded when used
# (decoding and checking all of them at every start took milliseconds)
_KEPT: dict[str, bytes] = {}
_MADE: dict[str, _Layout] = {}  # made by this process since
_KEPT_CHARS = 1_000_000  # characters of the texts the file may hold (the newest kept)
_KEPT_KIND = "clause layouts/2"


def _plain(layout: _Layout) -> tuple[Any, ...]:
    """``layout`` as plain data (for marshal): a Block as ``(0, runs, bullet)``, a
    paragraph with values as ``(1, bullet, pieces)``; a run as ``(text, bold, value)``,
    a value's place as ``(bold, index)``."""
    items: list[Any] = []
    for item in layout:
        if type(item) is Block:
            items.append((0, tuple((r.text, r.bold, r.value) for r in item.runs), item.bullet))
        else:
            bullet, pieces = item  # type: ignore[misc]
            items.append((1, bullet, tuple(
                (piece.text, piece.bold, piece.value) if type(piece) is Run else piece
                for piece in pieces)))
    return tuple(items)


def _unplain(items: tuple[Any, ...]) -> _Layout:
    layout: list[Block | tuple[bool, tuple[Run | tuple[bool, int], ...]]] = []
    for item in items:
        if item[0] == 0:
            layout.append(Block(tuple(Run(*run) for run in item[1]), bullet=item[2]))
        else:
            layout.append((item[1], tuple(Run(*piece) if len(piece) == 3 else piece
                                          for piece in item[2])))
    return tuple(layout)


def _is_run(run: Any) -> bool:
    return (type(run) is tuple and len(run) == 3 and type(run[0]) is str
            and type(run[1]) is bool and type(run[2]) is bool)


def _is_plain(items: Any) -> bool:
    """Whether ``items`` (read from the cache) has the form :func:`_plain` gives."""
    if type(items) is not tuple:
        return False
    for item in items:
        if type(item) is not tuple or len(item) != 3 or type(item[2 if item[0] == 0 else 1]) \
                is not bool or type(item[1 if item[0] == 0 else 2]) is not tuple:
            return False
        if item[0] == 0:
            if not all(_is_run(run) for run in item[1]):
                return False
        elif item[0] == 1:
            if not all(_is_run(piece) or (type(piece) is tuple and len(piece) == 2
                                          and type(piece[0]) is bool and type(piece[1]) is int)
                       for piece in item[2]):
                return False
        else:
            return False
    return True


def _kept_form(found: Any) -> bool:
    return type(found) is tuple and all(
        type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str
        and type(pair[1]) is bytes for pair in found)


def _kept_layout(kept: bytes) -> _Layout | None:
    """A kept layout, decoded, or ``None`` when it has not the form :func:`_plain` gives."""
    try:
        items = marshal.loads(kept)
    except (EOFError, ValueError, TypeError):
        return None
    return _unplain(items) if _is_plain(items) else None


@functools.cache
def _layout_code() -> bytes:
    """What a layout depends on beside its text: the code that makes it."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("clauses.py", "french.py", "text.py"):
        digest.update((here / name).read_bytes())
    return digest.digest()


def _made(text: str, layout: _Layout) -> None:
    global _made_chars
    if _made_chars + len(text) > _KEPT_CHARS:
        _MADE.clear()
        _made_chars = 0
    _MADE[text] = layout
    _made_chars += len(text)


_made_chars = 0


@functools.cache
def read_layouts() -> None:
    """Read the layouts kept by earlier runs, once (a process about to fork workers)."""
    try:
        found = codecache.read_data(_KEPT_KIND, _layout_code(), _kept_form)
    except OSError:
        return
    if found:
        _KEPT.update(found)


def keep_layouts() -> None:
    """Keep the layouts read and made by this process for the next runs (the newest
    ones, within :data:`_KEPT_CHARS`); nothing is written when none was made."""
    if not _MADE:
        return
    kept = {**_KEPT, **{text: marshal.dumps(_plain(layout)) for text, layout in _MADE.items()}}
    pairs: list[tuple[str, bytes]] = []
    chars = 0
    for text in reversed(kept):
        chars += len(text)
        if chars > _KEPT_CHARS:
            break
        pairs.append((text, kept[text]))
    global _made_chars
    codecache.write_data(_KEPT_KIND, _layout_code(), tuple(reversed(pairs)))
    _KEPT.update(pairs)
    _MADE.clear()
    _made_chars = 0


at_end(keep_layouts)


def _pieces(text: str) -> list[Run | tuple[bool, int]]:
    """Bold markers, value places and typography of one paragraph's text."""
    pieces: list[Run | tuple[bool, int]] = []
    text = _typography(text)  # tokens stand in for values: they get spacing, never changes
    for i, chunk in enumerate(text.split("**")):
        bold = i % 2 == 1
        position = 0
        for match in _TOKEN.finditer(chunk):
            literal = chunk[position:match.start()]
            if literal:
                pieces.append(Run(literal, bold=bold))
            pieces.append((bold, int(match.group(1))))
            position = match.end()
        if chunk[position:]:
            pieces.append(Run(chunk[position:], bold=bold))
    return pieces


def _layout(text: str) -> _Layout:
    """Rendered body text (tokens without their secret) -> its paragraphs and bullet
    items, laid out."""
    layout: list[Block | tuple[bool, tuple[Run | tuple[bool, int], ...]]] = []
    for chunk in re.split(r"\n[ \t]*\n", text.strip()):
        items: list[tuple[bool, list[str]]] = []
        for line in chunk.split("\n"):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("- "):
                items.append((True, [stripped[2:].strip()]))
            elif items:
                items[-1][1].append(stripped)
            else:
                items.append((False, [stripped]))
        for bullet, lines in items:
            pieces = _pieces(" ".join(lines))
            if any(type(piece) is tuple for piece in pieces):
                layout.append((bullet, tuple(pieces)))
                continue
            runs = elided(pieces)  # type: ignore[arg-type]  # runs alone
            if runs:
                layout.append(Block(tuple(runs), bullet=bullet))
    return tuple(layout)


def parse_markup(text: str, values: _Values) -> list[Block]:
    """Rendered body text -> paragraphs and bullet items."""
    # the render's secret dropped, so that the layouts' cache serves every render
    text = _SECRET_TOKEN.sub(
        lambda m: f"\ue000{m.group(2)}\ue001" if m.group(1) == values.secret else m.group(0),
        text)
    layout = _LAYOUTS.get(text)
    if layout is None:
        global _layouts_chars
        kept = _KEPT.get(text)
        layout = _kept_layout(kept) if kept is not None else None
        if layout is None:
            layout = _layout(text)
            _made(text, layout)
        if len(_LAYOUTS) >= _RENDERED_SIZE or _layouts_chars + len(text) > _LAYOUTS_CHARS:
            _LAYOUTS.clear()
            _layouts_chars = 0
        _LAYOUTS[text] = layout
        _layouts_chars += len(text)
    blocks: list[Block] = []
    for item in layout:
        if type(item) is Block:
            blocks.append(item)
            continue
        bullet, pieces = item  # type: ignore[misc]
        runs: list[Run] = []
        for piece in pieces:
            if type(piece) is Run:
                runs.append(piece)
                continue
            bold, index = piece  # type: ignore[misc]
            value = values.items[index]
            if value.text:
                runs.append(Run(value.text, bold=bold, value=value.value))
        runs = elided(runs)
        if runs:
            blocks.append(Block(tuple(runs), bullet=bullet))
    return blocks


def _error_line(clause: Clause, exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == clause.file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return clause.body_line + line - 1 if line else None


_NO_ATTRIBUTE = re.compile(r"'(?P<owner>.*)' has no attribute '(?P<name>[^']*)'")
_UNDEFINED_NAME = re.compile(r"'(?P<name>[^']*)' is undefined")


def _names_of(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    return [a for a in dir(value) if not a.startswith("_")]


def _unknown_field(e: jinja2.UndefinedError, source: str,
                   names: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Jinja's "'dict object' has no attribute 'x'" as the field a clause author wrote.

    The dotted name is read from the clause's own source line
    (``duration.tail_month``), and the closest field that exists is offered.
    """
    message = e.message or ""
    attribute = _NO_ATTRIBUTE.fullmatch(message)
    undefined = _UNDEFINED_NAME.fullmatch(message)
    if attribute:
        name = attribute["name"]
        written = re.search(rf"([A-Za-z_][\w.]*)\.{re.escape(name)}\b", source)
        parent = written.group(1) if written else None
        owner: Any = names
        for part in (parent or "").split(".") if parent else []:
            owner = owner.get(part) if isinstance(owner, Mapping) else getattr(owner, part, None)
        candidates = _names_of(owner) if parent and owner is not None else []
        field = f"{parent}.{name}" if parent else name
        prefix = f"{parent}." if parent else ""
    elif undefined:
        name = field = undefined["name"]
        candidates, prefix = [str(k) for k in names if not str(k).startswith("_")], ""
    else:
        return "undefined", {"detail": message}
    from difflib import get_close_matches  # (on an error only)

    close = get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return "unknown-field-did-you-mean", {"field": field, "suggestion": prefix + close[0]}
    return "unknown-field", {"field": field}


def render_body(clause: Clause, context: Mapping[str, Any]) -> list[Block]:
    """Render one clause body in the sandbox.

    Raises:
        ClauseError: naming the clause file and line for an undefined name,
        an unsafe access, a reference to a clause that is not in the
        document, or a render that runs away.
    """
    doing(clause.file)
    key = _cache_key(clause, context)
    if key is not None:
        cached = _RENDERED.get(key)
        if cached is not None:
            return list(cached)
    blocks = _render_body(clause, context)
    if key is not None:
        if len(_RENDERED) >= _RENDERED_SIZE:
            _RENDERED.clear()
        _RENDERED[key] = tuple(blocks)
    return blocks


# A clause reads a few of the deal's terms (``commission.rate``...); its text is the same
# for every deal where they are the same (the sandbox holds no state and no randomness),
# and most recur across the deals of a batch: the rendered blocks are kept, by clause
# and by the values it reads (see :func:`_reads`), and rendered again only for new ones.
_RENDERED: dict[tuple[Any, ...], tuple[Block, ...]] = {}
_RENDERED_SIZE = 4096


class _Uncacheable(Exception):
    pass


_ATOMS = frozenset({str, int, bool, type(None), date, Reference, Markup})


def _frozen(value: Any) -> Any:
    """``value`` as a key equal only to values that print the same (types kept: ``1``,
    ``True`` and ``1.0`` differ; a Decimal by its digits)."""
    kind = type(value)
    if kind in _ATOMS:
        return kind, value
    if kind is float or kind is Decimal:
        return kind, repr(value)
    if kind is list or kind is tuple:
        return kind, tuple(_frozen(item) for item in value)
    if kind is dict:
        return kind, tuple((_frozen(k), _frozen(v)) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return kind, tuple(_frozen(getattr(value, f.name)) for f in dataclasses.fields(value))
    raise _Uncacheable


def _cache_key(clause: Clause, context: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The key of ``clause`` rendered with ``context`` in :data:`_RENDERED`, or ``None``
    when not to be cached (a value of a kind not followed, a read that fails)."""
    return _values_key((clause.file, clause.sha256), clause.reads, context)


# A ``when`` condition's answer, by clause and by the facts it reads (as for bodies): the
# conditions of a library read few fields, whose values recur from deal to deal.
_DECIDED: dict[tuple[Any, ...], bool] = {}


def _values_key(head: tuple[Any, ...], reads: tuple[Any, ...] | None,
                context: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """``head`` and the values ``reads`` finds in ``context``, or ``None`` when not to be
    cached (no reads known, a value of a kind not followed, a read that fails)."""
    if reads is None:
        return None
    parts: list[Any] = list(head)
    try:
        for read in reads:
            if read[0] == "ref":
                value = context["ref"](read[1])
            else:
                value = context[read[0]]
                for attribute in read[1:]:
                    value = _attribute(value, attribute)
            parts.append(_frozen(value))
    except (_Uncacheable, _RefError, LookupError, AttributeError, TypeError):
        return None
    return tuple(parts)


def _attribute(value: Any, name: str) -> Any:
    """``value.name`` as Jinja reads it (an attribute, else an item); a name the sandbox
    refuses is not followed (the render says why)."""
    if name.startswith("_"):
        raise _Uncacheable
    if type(value) is dict and name not in _DICT_ATTRIBUTES:
        return value[name]  # as the sandbox reads it, without raising an AttributeError first
    try:
        return getattr(value, name)
    except AttributeError:
        return value[name]


def _render_body(clause: Clause, context: Mapping[str, Any]) -> list[Block]:
    values = _Values()
    env_context = dict(context)
    env_context["range"] = Budget().range
    try:
        text = _ENV.render(clause.template, {**env_context, _VALUES: values}, seconds=TIME_LIMIT)
    except Timeout:
        raise ClauseError(clause.file, "clause-timeout", {"seconds": TIME_LIMIT}) from None
    except ClauseError:
        raise
    except _RefError as e:
        raise ClauseError(clause.file, e.code, e.params, _error_line(clause, e)) from None
    except MemoryError:
        raise ClauseError(clause.file, "clause-memory") from None
    except jinja2.UndefinedError as e:
        line = _error_line(clause, e)
        lines = clause.body.split("\n")
        index = line - clause.body_line if line else -1
        source = lines[index] if 0 <= index < len(lines) else clause.body
        code, params = _unknown_field(e, source, context)
        raise ClauseError(clause.file, "clause-" + code, params, line) from None
    except SecurityError as e:
        raise ClauseError(clause.file, "clause-sandbox", {"detail": str(e)},
                          _error_line(clause, e)) from None
    except RecursionError:
        raise ClauseError(clause.file, "clause-recursion") from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError,
            AttributeError) as e:
        raise ClauseError(clause.file, "clause-render-failed", {"detail": str(e)},
                          _error_line(clause, e)) from None
    return parse_markup(text, values)


def render(library: Library, facts: Mapping[str, Any], context: Mapping[str, Any]) -> Rendered:
    """Select, number and render a deal's clauses.

    Args:
        facts: the deal's raw fields, for the ``when`` conditions.
        context: the derived terms, for the bodies.

    Returns:
        The numbered articles (parts appended to their article) and the
        decision taken on every clause of the library.
    """
    decisions = select(library, facts)
    numbers: dict[str, int] = {}
    for d in decisions:
        if d.included and d.clause.is_article:
            numbers[d.clause.id] = len(numbers) + 1
    for d in decisions:
        if d.included and d.clause.part_of is not None:
            numbers[d.clause.id] = numbers[d.clause.part_of]

    bodies: dict[str, list[Block]] = {}
    for d in decisions:
        if not d.included:
            continue
        clause = d.clause

        def ref(target: str) -> Reference:
            if target not in numbers:
                if library.by_id(target):
                    raise _RefError("clause-ref-excluded", {"target": target})
                from difflib import get_close_matches  # (on an error only)

                close = get_close_matches(target, [c.id for c in library.clauses], 1)
                if close:
                    raise _RefError("clause-ref-unknown-did-you-mean",
                                    {"target": target, "suggestion": close[0]})
                raise _RefError("clause-ref-unknown", {"target": target})
            return Reference(f"l’article\u00a0{numbers[target]}")

        blocks = render_body(clause, {**context, "ref": ref})
        owner = clause.part_of or clause.id
        bodies.setdefault(owner, []).extend(blocks)

    articles = tuple(
        Article(numbers[d.clause.id], d.clause.id, typography(d.clause.title or ""),
                tuple(bodies.get(d.clause.id, ())))
        for d in decisions if d.included and d.clause.is_article
    )
    return Rendered(articles, tuple(decisions))
