"""Word output: docxtpl templates compiled once, rendered fast, zipped deterministically.

Our templates are ordinary docxtpl templates (``{{ }}``, ``{%p %}``,
``{%tr %}``, ``{{r }}`` tags typed in Word), and docxtpl's own functions
clean the tags that Word splits across runs. But docxtpl re-reads,
re-patches and re-compiles its template for every document, then
re-serialises every part through python-docx (its issue #110). Here a
:class:`WordTemplate` does that work once per process: it keeps the
compiled Jinja template of each part that holds tags and the compressed
bytes of every other part, so a document costs one Jinja render per part
and one deflate of the parts that changed.

Output is deterministic: entries in the template's order, fixed dates and
attributes in the zip, document properties written from the deal only.
Values are inserted as data (autoescaped, sandboxed environment): a name
such as ``{{ 7*7 }}`` or ``<b>&`` prints as written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import CodeType
from typing import Any
from xml.parsers.expat import ErrorString, ExpatError, ParserCreate

import jinja2
from jinja2.sandbox import SecurityError

from . import codecache
from .errors import TemplateError
from .french import NBHY, ORDINAL_SUFFIX
from .records import record
from .sandbox import DOCUMENT_OUTPUT, DOCUMENT_TIME_LIMIT, Sandbox, Timeout
from .text import Block, Run
from .workers import doing

MAIN_PART = "word/document.xml"
# docxtpl's escapes for a literal tag in a template, printed by the template
# itself (so that a value holding "{_{" is not changed into "{{")
LITERAL_TAGS = {"{_{": "{{ '{{' }}", "}_}": "{{ '}}' }}", "{_%": "{{ '{%' }}",
                "%_}": "{{ '%}' }}"}
# What makes a part a template: a Jinja tag's opening or one of those escapes.
# Looked for in the part's bytes (ASCII: the same in UTF-8, whatever else the part
# holds), so that the long parts with none (styles, theme, fonts: a megabyte of
# XML in the three templates) are neither decoded nor scanned by a regular
# expression: that took 27 ms at every start.
TAG_MARKS = (b"{{", b"{%", b"{#", *(escape.encode() for escape in LITERAL_TAGS))


def _tagged(data: bytes) -> bool:
    """Whether a part holds one of :data:`TAG_MARKS` (each has a "{" or a "_}": a part
    with neither, most of them, is scanned twice rather than seven times)."""
    return (b"{" in data or b"_}" in data) and any(mark in data for mark in TAG_MARKS)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"
APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
APP_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
           "extended-properties")
CUSTOM_PART = "docProps/custom.xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
CORE_REL = ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
            "core-properties")
VALUE_STYLE = "ValeurDossier"
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024


@functools.cache
def _docxtpl() -> Any:
    """docxtpl's tag cleaning, used as docxtpl itself uses it (its methods only use
    their argument): one definition of what a tag in a Word template means. Imported
    when a template part is compiled, not when its code comes from the code cache:
    docxtpl brings python-docx and lxml, a fifth of a one-deal build's start-up."""
    from docxtpl import DocxTemplate

    return DocxTemplate.__new__(DocxTemplate)


@functools.cache
def _docxtpl_code() -> str | None:
    """The SHA-256 of docxtpl's tag-cleaning module (found, not imported), part of the
    key of a template part's cached code: the code depends on how docxtpl patches the
    part. ``None`` when it cannot be read: then nothing is cached."""
    try:
        spec = importlib.util.find_spec("docxtpl")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations)))
        return hashlib.sha256((folder / "template.py").read_bytes()).hexdigest()
    except (OSError, ImportError, ValueError):
        return None


class RichText:
    """A ``{{r }}`` value: Word runs printed as they are, unescaped (what docxtpl's
    ``RichText`` is to its templates: its ``xml``; defined here so that rendering
    needs no docxtpl import)."""

    __slots__ = ("xml",)

    def __init__(self) -> None:
        self.xml = ""

    def __str__(self) -> str:
        return self.xml

    __html__ = __str__


def _environment() -> Sandbox:
    """Templates are shared files too: the sandbox of clauses (strict, every value
    within budget), autoescaped for XML, with a document part's output budget."""
    return Sandbox(autoescape=True, max_output=DOCUMENT_OUTPUT)


_ENV = _environment()


# --- a tiny deterministic zip writer ----------------------------------------------------


@record(frozen=True)
class _Entry:
    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream
    method: int = zipfile.ZIP_DEFLATED


# Parts rendered for every document are deflated at level 1 (a quarter of level 6's time
# for document.xml, the part about a fifth larger); parts compressed once per template
# keep level 6.
FAST = 1


def _deflate(data: bytes, level: int = 6) -> _Entry:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush()
    return _Entry(b"", zlib.crc32(data), len(data), packed)


def _entry(name: str, data: bytes, level: int = 6) -> _Entry:
    e = _deflate(data, level)
    return _Entry(name.encode("utf-8"), e.crc, e.size, e.data)


_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00


def _static_entries(template_sha256: str, parts: dict[str, bytes]) -> dict[str, _Entry]:
    """A template's parts copied into every document, deflated (at level 6: once per
    template); kept between runs in the code cache under the template's SHA-256, with
    zlib's version (deflating them took 10 ms of every start)."""
    names = tuple(parts)

    def make() -> tuple[tuple[str, int, int, bytes], ...]:
        return tuple((name, e.crc, e.size, e.data)
                     for name in names for e in (_deflate(parts[name]),))

    def valid(found: Any) -> bool:
        return (isinstance(found, tuple) and len(found) == len(names)
                and all(isinstance(item, tuple) and len(item) == 4 and item[0] == name
                        and type(item[1]) is int and type(item[2]) is int
                        and type(item[3]) is bytes
                        for item, name in zip(found, names, strict=True)))

    kept = codecache.data(f"static parts, zlib {zlib.ZLIB_RUNTIME_VERSION}",
                          "\0".join((template_sha256, *names)).encode("utf-8"), make, valid)
    return {name: _Entry(name.encode("utf-8"), crc, size, packed)
            for name, crc, size, packed in kept}


def _zip(entries: Iterable[_Entry]) -> bytes:
    """Entries -> zip bytes, with fixed dates and attributes (byte-identical runs)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for e in entries:
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0800, e.method, _DOS_TIME,
                            _DOS_DATE, e.crc, len(e.data), e.size, len(e.name), 0)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0800, e.method,
                                   _DOS_TIME, _DOS_DATE, e.crc, len(e.data), e.size,
                                   len(e.name), 0, 0, 0, 0, 0, offset) + e.name)
        out += [local, e.name, e.data]
        offset += len(local) + len(e.name) + len(e.data)
        count += 1
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0)
    return b"".join(out) + directory + end


# --- the compiled template -------------------------------------------------------------


def _patched(xml: str) -> str:
    """A part's XML as the Jinja source it compiles: docxtpl's tag cleaning, a line per
    paragraph (for error lines), docxtpl's escaped literal tags printed by the template."""
    source = _docxtpl().patch_xml(xml)
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
    return re.sub("|".join(map(re.escape, LITERAL_TAGS)), lambda m: LITERAL_TAGS[m.group()],
                  source)


def _template_form(found: Any) -> bool:
    """Whether ``found`` (read from the code cache) has the form of
    :meth:`WordTemplate._parts`' answer: every part of the order compiled or copied."""
    if not (type(found) is tuple and len(found) == 3
            and all(type(item) is tuple for item in found)):
        return False
    order, compiled, static = found
    return (all(type(name) is str for name in order)
            and all(type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str
                    and type(pair[1]) is CodeType for pair in compiled)
            and all(type(entry) is tuple and len(entry) == 4 and type(entry[0]) is str
                    and type(entry[1]) is int and type(entry[2]) is int
                    and type(entry[3]) is bytes for entry in static)
            and MAIN_PART in {name for name, _ in compiled}
            and set(order) == {name for name, _ in compiled} | {entry[0] for entry in static})


class WordTemplate:
    """A Word template read, patched and compiled once; rendered many times."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.file = str(path)
        try:
            raw = self.path.read_bytes()
        except OSError as e:
            raise TemplateError(self.file, "template-unreadable",
                                {"reason": e.strerror or str(e)}) from None
        if len(raw) > MAX_TEMPLATE_BYTES:
            raise TemplateError(self.file, "template-too-large", {"mib": MAX_TEMPLATE_BYTES >> 20})
        self.sha256 = hashlib.sha256(raw).hexdigest()
        # what the bytes give is kept whole in the code cache, by their SHA-256: a template
        # read before is neither unzipped nor searched for tags again
        patcher = _docxtpl_code()
        order, compiled, static = (
            codecache.derived(_ENV, f"word template, docxtpl {patcher}, "
                              f"zlib {zlib.ZLIB_RUNTIME_VERSION}", self.sha256,
                              lambda: self._parts(raw), _template_form)
            if patcher is not None else self._parts(raw))
        self.order: list[str] = list(order)
        self.compiled: dict[str, jinja2.Template] = {
            name: _ENV.bounded(
                _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None))
            for name, code in compiled}
        self.static = {name: _Entry(name.encode("utf-8"), crc, size, packed)
                       for name, crc, size, packed in static}

    def _parts(self, raw: bytes) -> tuple[tuple[str, ...], tuple[tuple[str, CodeType], ...],
                                          tuple[tuple[str, int, int, bytes], ...]]:
        """The template's bytes checked and read: the order of its parts, the code of
        those that are templates, the others deflated (plain data, for the code cache).

        Raises:
            TemplateError: naming the file and the part at fault.
        """
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                infos = archive.infolist()
                if sum(i.file_size for i in infos) > 10 * MAX_TEMPLATE_BYTES:
                    raise TemplateError(self.file, "template-unpacks-too-large",
                                        {"mib": 10 * MAX_TEMPLATE_BYTES >> 20})
                parts = {i.filename: archive.read(i) for i in infos if not i.is_dir()}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
                NotImplementedError, RuntimeError, zlib.error) as e:
            raise TemplateError(self.file, "not-a-word-file", {"detail": str(e)}) from None
        unsafe = next((name for name in parts if not _safe_part_name(name)), None)
        if unsafe is not None:
            raise TemplateError(self.file, "template-unsafe-part", {"part": repr(unsafe)})
        for required in (MAIN_PART, "[Content_Types].xml", "_rels/.rels"):
            if required not in parts:
                raise TemplateError(self.file, "not-a-word-file-part", {"part": required})

        order = [n for n in parts if n not in (CORE_PART, CUSTOM_PART, APP_PART)]
        plain: dict[str, bytes] = {}  # copied as they are into every document
        compiled: dict[str, CodeType] = {}
        for name in order:
            data = parts[name]
            if name == "[Content_Types].xml":
                data = _with_override(data, CUSTOM_PART, CUSTOM_TYPE)
                data = _with_override(data, CORE_PART, CORE_TYPE)
                data = _with_override(data, APP_PART, APP_TYPE)
            elif name == "_rels/.rels":
                data = _with_relationship(data, "rIdApportCustom", CUSTOM_REL, CUSTOM_PART)
                data = _with_relationship(data, "rIdApportCore", CORE_REL, CORE_PART)
                data = _with_relationship(data, "rIdApportApp", APP_REL, APP_PART)
            if name.endswith(".xml") and _tagged(data):
                compiled[name] = self._compile(name, data)
            else:
                plain[name] = data
        if MAIN_PART not in compiled:
            compiled[MAIN_PART] = self._compile(MAIN_PART, parts[MAIN_PART])
        static = _static_entries(self.sha256, plain)
        return (tuple(order), tuple(compiled.items()),
                tuple((name, e.crc, e.size, e.data) for name, e in static.items()))

    def _compile(self, name: str, data: bytes) -> CodeType:
        try:
            xml = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateError(self.file, "template-part-not-utf8", {"part": name}) from None
        xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
        sources: list[str] = []

        def compile_part() -> tuple[Any, Any]:
            sources.append(_patched(xml))
            return _ENV.compile(sources[-1]), None

        try:
            # keyed by the part before docxtpl's patching, so that cached code needs
            # no docxtpl; the patching code is in the key (docxtpl's module, ours)
            patcher = _docxtpl_code()
            code, _ = (codecache.compiled(_ENV, f"template part, docxtpl {patcher}", xml,
                                          None, None, compile_part)
                       if patcher is not None else compile_part())
            return code
        except jinja2.TemplateSyntaxError as e:
            raise TemplateError(self.file, "template-bad-tag",
                                {"detail": e.message, "near": _near(sources[-1], e.lineno)}
                                ) from None
        except (ValueError, OverflowError, MemoryError, RecursionError) as e:
            # a literal too large to read, nesting too deep for the parser
            raise TemplateError(self.file, "template-cannot-compile",
                                {"part": name,
                                 "detail": f"{type(e).__name__}: {str(e)[:100]}"}) from None

    def render(self, context: Mapping[str, Any], properties: Mapping[str, str],
               custom: Mapping[str, str]) -> bytes:
        """Render one document.

        Args:
            context: the template's variables (RichText for ``{{r }}`` tags).
            properties: core properties: ``title``, ``subject``, ``keywords``.
            custom: custom document properties (name -> text).

        Raises:
            TemplateError: for an undefined name or a template that does not
            produce a valid Word file.
        """
        rendered: dict[str, _Entry] = {}
        doing(self.file)
        for name, template in self.compiled.items():
            try:
                xml = _ENV.render(template, context, seconds=DOCUMENT_TIME_LIMIT)
            except jinja2.UndefinedError as e:
                raise TemplateError(self.file, "template-undefined",
                                    {"part": name, "detail": e.message}) from None
            except SecurityError as e:
                raise TemplateError(self.file, "template-sandbox",
                                    {"part": name, "detail": str(e)}) from None
            except Timeout:
                raise TemplateError(self.file, "template-timeout",
                                    {"part": name, "seconds": DOCUMENT_TIME_LIMIT}) from None
            except RecursionError:
                raise TemplateError(self.file, "template-recursion", {"part": name}) from None
            except MemoryError:
                raise TemplateError(self.file, "template-memory", {"part": name}) from None
            except (jinja2.TemplateError, TypeError, ValueError, LookupError,
                    AttributeError) as e:
                raise TemplateError(self.file, "template-render-failed",
                                    {"part": name, "detail": str(e)}) from None
            # the line breaks put before paragraphs at compile time (for error positions)
            # taken out again; text replacements, not a regular expression: a fifth of
            # the time on a contract's 50,000 characters
            xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
            if "\n" in xml or "\t" in xml or "\a" in xml or "\f" in xml:
                xml = _docxtpl().resolve_listing(xml)
            data = (XML_DECLARATION + xml).encode("utf-8")
            try:
                _well_formed(data)
            except ExpatError as e:
                raise TemplateError(self.file, "template-invalid-xml",
                                    {"part": name, "detail": f"{ErrorString(e.code)}: line "
                                                             f"{e.lineno}, column {e.offset + 1}"}
                                    ) from None
            rendered[name] = _entry(name, data, FAST)
        entries = [rendered.get(name) or self.static[name] for name in self.order]
        entries.append(_entry(CORE_PART, _core_xml(properties), FAST))
        entries.append(_APP_ENTRY)
        entries.append(_entry(CUSTOM_PART, _custom_xml(custom), FAST))
        return _zip(entries)


def _well_formed(data: bytes) -> None:
    """Parse ``data`` as namespaced XML, building nothing (a third of lxml's time).

    Raises:
        ExpatError: where it is not well-formed (an unbound prefix included).
    """
    parser = ParserCreate(namespace_separator=" ")
    parser.Parse(data, True)


def _safe_part_name(name: str) -> bool:
    """A zip entry name that stays inside the document: relative, no ``..``, no drive,
    no backslash or control character (such a part would be copied into every document
    and written out of place by tools that unpack it)."""
    if not name or name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        return False
    if any(ord(c) < 32 for c in name):
        return False
    return all(segment not in ("", ".", "..") for segment in name.rstrip("/").split("/"))


def _near(source: str, lineno: int | None) -> str:
    lines = source.split("\n")
    index = max((lineno or 1) - 1, 0)
    text = re.sub(r"<[^>]+>", "", "".join(lines[index:index + 2]))
    return text[:80]


def _with_override(data: bytes, part: str, content_type: str) -> bytes:
    text = data.decode("utf-8")
    if f'PartName="/{part}"' in text:
        return data
    override = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
    return text.replace("</Types>", override + "</Types>").encode("utf-8")


def _with_relationship(data: bytes, rel_id: str, rel_type: str, target: str) -> bytes:
    text = data.decode("utf-8")
    if f'Type="{rel_type}"' in text:
        return data
    rel = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/>'
    return text.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")


def escape(text: str) -> str:
    """``xml.sax.saxutils.escape``: ``&``, ``<`` and ``>`` as entities (that module imports
    urllib.request, http.client and email, a tenth of a one-deal build's imports)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _core_xml(properties: Mapping[str, str]) -> bytes:
    fields = "".join(
        f"<{tag}>{escape(properties[key])}</{tag}>"
        for key, tag in (("title", "dc:title"), ("subject", "dc:subject"),
                         ("keywords", "cp:keywords"), ("language", "dc:language"))
        if properties.get(key)
    )
    return (XML_DECLARATION
            + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
              'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:dcterms="http://purl.org/dc/terms/" '
              'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            + fields
            + "<dc:creator>apport</dc:creator><cp:lastModifiedBy>apport</cp:lastModifiedBy>"
              "<cp:revision>1</cp:revision></cp:coreProperties>").encode("utf-8")


# Word rewrites docProps/app.xml when it saves a template: every document names
# the tool that made it, whichever template it came from.
APP_XML = (XML_DECLARATION
           + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
             'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
             '2006/docPropsVTypes"><Application>apport</Application><DocSecurity>0</DocSecurity>'
             '</Properties>').encode("utf-8")


_APP_ENTRY = _entry(APP_PART, APP_XML)


def _custom_xml(custom: Mapping[str, str]) -> bytes:
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" '
        f'name="{escape(name).replace(chr(34), "&quot;")}"><vt:lpwstr>{escape(value)}</vt:lpwstr>'
        "</property>"
        for pid, (name, value) in enumerate(custom.items(), start=2)
    )
    return (XML_DECLARATION
            + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
              'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
              '2006/docPropsVTypes">'
            + props + "</Properties>").encode("utf-8")


# --- rich text for templates ---------------------------------------------------------------


def _run_xml(text: str, *, bold: bool, style: str | None, superscript: bool = False) -> str:
    """One Word run; its properties in the schema's order, no-break hyphens as Word's own."""
    props = (f'<w:rStyle w:val="{style}"/>' if style else "") + ("<w:b/>" if bold else "") + (
        '<w:vertAlign w:val="superscript"/>' if superscript else "")
    content = "<w:noBreakHyphen/>".join(f'<w:t xml:space="preserve">{escape(piece)}</w:t>'
                                        for piece in text.split(NBHY))
    return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{content}</w:r>"


def rich(runs: Iterable[Run], *, review: bool = False) -> RichText:
    """Runs -> a RichText; deal values highlighted in review mode.

    The « er » of « 1er » before a month is set in superscript (plain text keeps "1er").
    """
    text = RichText()
    text.xml = _runs_xml(runs if type(runs) is tuple else tuple(runs), review)
    return text


@functools.lru_cache(maxsize=8192)
def _runs_xml(runs: tuple[Run, ...], review: bool) -> str:
    """The Word XML of a block's runs (most blocks are the clauses' own text, or hold
    values that recur from deal to deal: each block is wrapped once)."""
    return "".join([_word_runs(run, review and run.value) for run in runs])


@functools.lru_cache(maxsize=8192)
def _word_runs(run: Run, highlighted: bool) -> str:
    """The Word XML of one run (the clauses' own text recurs from deal to deal, and so
    do many values: each is escaped and wrapped once)."""
    style = VALUE_STYLE if highlighted else None
    xml = []
    position = 0
    for match in ORDINAL_SUFFIX.finditer(run.text):
        xml.append(_run_xml(run.text[position:match.start()], bold=run.bold, style=style))
        xml.append(_run_xml(match.group(), bold=run.bold, style=style, superscript=True))
        position = match.end()
    xml.append(_run_xml(run.text[position:], bold=run.bold, style=style))
    return "".join(xml)


def block_context(blocks: Iterable[Block], *, review: bool = False,
                  kind: str | None = None) -> list[dict[str, Any]]:
    """Blocks -> the dicts the templates' block loops read (``kind``, ``rich``)."""
    out = []
    for b in blocks:
        xml, text = _block_parts(b, review)
        rich_text = RichText()
        rich_text.xml = xml
        out.append({"kind": kind or ("bullet" if b.bullet else "para"), "rich": rich_text,
                    "text": text})
    return out


@functools.lru_cache(maxsize=8192)
def _block_parts(block: Block, review: bool) -> tuple[str, str]:
    """A block's Word XML and plain text (most blocks recur from deal to deal)."""
    return _runs_xml(block.runs, review), block.text


# --- a per-process cache --------------------------------------------------------------------

_CACHE: dict[tuple[str, int, int], WordTemplate] = {}


def load_template(path: str | Path) -> WordTemplate:
    """The compiled template at ``path``, compiled once per process.

    The cache key includes the file's size and modification time, so an
    edited template is compiled again.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as e:
        raise TemplateError(str(path), "template-unreadable",
                            {"reason": e.strerror or str(e)}) from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    template = _CACHE.get(key)
    if template is None:
        template = _CACHE[key] = WordTemplate(path)
    return template
