"""Tracked changes between two versions of a document: what a jurist reviews after a rebuild.

When a clause or a deal changes and a contract is built again, the jurist
must see what changed in that contract, and only that. :func:`redline`
returns the new document carrying Word tracked changes against the old
one, so Word's (or LibreOffice's) own review tools show, accept and reject
them; :func:`compare` and :func:`diff_text` give the same changes as text
for a terminal (``apport diff``).

How the two documents are aligned:

1. The body's blocks (paragraphs and tables) are aligned with
   :class:`difflib.SequenceMatcher` on their text, so unchanged clauses
   match even when articles moved. A paragraph whose style alone changed
   is matched too, and its old style recorded (``w:pPrChange``); keying on
   the style as well would show it as removed and added, and could shift
   the alignment of identical empty paragraphs.
2. In a stretch where blocks differ, each old block is paired with the most
   similar new one of the same kind, as ``difflib.Differ`` pairs lines: a
   paragraph whose words changed is paired with its old version, a
   paragraph with no similar counterpart is a whole paragraph added or
   removed (a new clause, a part that a deal no longer includes).
3. Inside a paired paragraph, words are compared: the deleted words keep
   the formatting of the old runs they came from, the kept and inserted
   words that of the new runs. A renumbered heading (« Article 5 » ->
   « Article 6 ») or a moved cross-reference (« l’article 7 » ->
   « l’article 8 ») comes out as one word replaced.
4. A table is paired with the table at its place; its rows are aligned
   like blocks (a row pairs with a similar row of as many cells), rows
   added or removed are tracked as rows, and paired rows are compared cell
   by cell, each cell like a small body. Table properties and column
   widths are the new table's.

Limits, by design:

* A paragraph holding more than plain runs (hyperlinks, fields as
  ``w:fldSimple``, comments, bookmarks) is never compared word by word: it
  is shown as removed and added whole.
* Formatting is tracked inside a paragraph whose words changed and for its
  paragraph properties (style); a paragraph whose text and style are equal
  is taken from the new document as it is, so a formatting-only change
  there is not shown.
* Old content is copied without what points at the old document's other
  parts (images, links, notes, comments, bookmarks): those parts are the
  new document's.
* Block elements other than paragraphs and tables (content controls) are
  kept from the new document without marks, and dropped from the old one.
* A document that already carries tracked changes is refused: accept or
  reject them first (:func:`accept_all`, :func:`reject_all`).
* Word cannot delete the last paragraph mark of a cell or of the document:
  where the old document had extra paragraphs there, Word's own « accept
  all » may leave an empty paragraph that :func:`accept_all` removes.

The output is deterministic: revisions carry no date (``w:date`` is
optional in OOXML), identifiers are numbered from the first one free, in
the order the changes are made, and the zip is written with fixed dates,
so the same two documents always give the same bytes.
"""

from __future__ import annotations

import copy
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import field
from difflib import SequenceMatcher
from typing import Literal

from lxml import etree

from .documents import MAIN_PART, XML_DECLARATION, _entry, _zip
from .errors import RedlineError
from .records import record

__all__ = [
    "Change",
    "RedlineError",
    "accept_all",
    "compare",
    "diff_text",
    "identical",
    "redline",
    "reject_all",
]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MAX_UNPACKED = 200 * 1024 * 1024
MAX_PACKED = 50 * 1024 * 1024  # bytes of a document read (a contract is some 30 KiB)
CUTOFF = 0.5  # paragraphs less similar than this are removed and added, not compared
MAX_PAIRINGS = 40_000  # similarity computations in one stretch before pairing in order

Source = bytes | str | os.PathLike[str]
ChangeKind = Literal["added", "removed", "changed"]


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, R, T, TBL, TR, TC = _w("p"), _w("r"), _w("t"), _w("tbl"), _w("tr"), _w("tc")
PPR, RPR, TRPR, TCPR, SECTPR = _w("pPr"), _w("rPr"), _w("trPr"), _w("tcPr"), _w("sectPr")
INS, DEL, DEL_TEXT = _w("ins"), _w("del"), _w("delText")
INSTR, DEL_INSTR = _w("instrText"), _w("delInstrText")
PPR_CHANGE, RPR_CHANGE = _w("pPrChange"), _w("rPrChange")
ID, AUTHOR = _w("id"), _w("author")

# Everything that says "this is a revision": refused in inputs, resolved by accept/reject.
_REVISIONS = [INS, DEL, _w("moveFrom"), _w("moveTo"), PPR_CHANGE, RPR_CHANGE,
              _w("tblPrChange"), _w("trPrChange"), _w("tcPrChange"), _w("sectPrChange"),
              _w("tblGridChange"), _w("tblPrExChange"), _w("numberingChange"),
              _w("cellIns"), _w("cellDel"), _w("cellMerge")]
_PROPERTY_CHANGES = {PPR_CHANGE, RPR_CHANGE, _w("tblPrChange"), _w("trPrChange"),
                     _w("tcPrChange"), _w("sectPrChange"), _w("tblGridChange"),
                     _w("tblPrExChange"), _w("numberingChange")}
_MOVE_RANGES = {_w("moveFromRangeStart"), _w("moveFromRangeEnd"), _w("moveToRangeStart"),
                _w("moveToRangeEnd")}
# Markers that may sit in a paragraph or between blocks without being content.
_MARKERS = {_w("proofErr"), _w("bookmarkStart"), _w("bookmarkEnd"), _w("commentRangeStart"),
            _w("commentRangeEnd"), _w("permStart"), _w("permEnd"), *_MOVE_RANGES}
# What of the old document points at its other parts, and so cannot come over.
_DANGLING = {_w("bookmarkStart"), _w("bookmarkEnd"), _w("commentRangeStart"),
             _w("commentRangeEnd"), _w("commentReference"), _w("footnoteReference"),
             _w("endnoteReference"), _w("permStart"), _w("permEnd")}
# Containers whose runs are wrapped when a whole paragraph is marked.
_RUN_CONTAINERS = {_w("hyperlink"), _w("fldSimple"), _w("smartTag"), _w("customXml"),
                   _w("sdt"), _w("sdtContent"), _w("dir"), _w("bdo")}
_HEADING = re.compile(r"^(heading|titre)\s?\d+$", re.IGNORECASE)
# A word, a punctuation mark, or spaces.
_WORD = re.compile(r"\w+|\s+|[^\w\s]")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_blank_text=False)


# --- reading and writing packages -------------------------------------------------------


@record
class _Package:
    """A .docx as its ordered parts, with the main part parsed."""

    name: str
    parts: list[tuple[str, bytes]]
    root: etree._Element

    @property
    def body(self) -> etree._Element:
        body = self.root.find(_w("body"))
        if body is None:
            raise RedlineError(self.name, "document-no-body", {"part": MAIN_PART})
        return body

    def to_bytes(self) -> bytes:
        """The package with the main part replaced, zipped deterministically."""
        main = (XML_DECLARATION.encode("utf-8")
                + etree.tostring(self.root, encoding="UTF-8"))
        return _zip(_entry(name, main if name == MAIN_PART else data)
                    for name, data in self.parts)


def _read_file(path: str | os.PathLike[str], file: str) -> bytes:
    """A document's bytes: a regular file of at most MAX_PACKED bytes (a FIFO, which would
    block, or a device such as /dev/zero, which never ends, is refused)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise RedlineError(file, "document-not-regular")
            raw = handle.read(MAX_PACKED + 1)
    except OSError as e:
        raise RedlineError(file, "document-unreadable",
                           {"reason": e.strerror or str(e)}) from None
    if len(raw) > MAX_PACKED:
        raise RedlineError(file, "document-too-large", {"mib": MAX_PACKED // 2**20})
    return raw


def _read(source: Source, name: str | None, default: str) -> _Package:
    if isinstance(source, bytes):
        file = name or default
        raw = source
    else:
        file = name or os.fspath(source)
        raw = _read_file(source, file)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise RedlineError(file, "document-unpacks-too-large", {"mib": MAX_UNPACKED >> 20})
            parts = [(i.filename, archive.read(i)) for i in infos]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError, zlib.error) as e:
        raise RedlineError(file, "not-a-word-file", {"detail": str(e)}) from None
    main = next((data for part, data in parts if part == MAIN_PART), None)
    if main is None:
        raise RedlineError(file, "not-a-word-file-part", {"part": MAIN_PART})
    try:
        root = etree.fromstring(main, _PARSER)
    except etree.XMLSyntaxError as e:
        raise RedlineError(file, "document-bad-xml",
                           {"part": MAIN_PART, "detail": str(e)}) from None
    package = _Package(file, parts, root)
    package.body  # noqa: B018 - fails early, naming the file, when there is no body
    return package


def _read_for_comparison(source: Source, name: str | None, default: str) -> _Package:
    package = _read(source, name, default)
    for element in package.body.iter(*_REVISIONS):
        local = etree.QName(element).localname
        raise RedlineError(package.name, "document-has-revisions", {"element": f"w:{local}"})
    return package


# --- paragraphs as characters with their formatting --------------------------------------


def _run_text(run: etree._Element) -> str:
    """The text of a run as python-docx reads it (so ``apport diff`` agrees with the tests)."""
    out: list[str] = []
    for child in run:
        tag = child.tag
        if tag in (T, DEL_TEXT):
            out.append(child.text or "")
        elif tag in (_w("tab"), _w("ptab")):
            out.append("\t")
        elif tag == _w("br"):
            out.append("\n" if child.get(_w("type"), "textWrapping") == "textWrapping" else "")
        elif tag == _w("cr"):
            out.append("\n")
        elif tag == _w("noBreakHyphen"):
            out.append("-")
    return "".join(out)


def _paragraph_text(p: etree._Element) -> str:
    return "".join(_run_text(r) for r in p.xpath("w:r | w:hyperlink/w:r", namespaces={"w": W}))


def _style(p: etree._Element) -> str:
    style = p.find(f"{PPR}/{_w('pStyle')}")
    return style.get(_w("val"), "") if style is not None else ""


@record
class _Flat:
    """A paragraph as a sequence of atoms: one per character, one per other run element.

    ``keys`` are what is compared (the character, or the element's XML),
    ``rprs`` the run formatting each atom comes from (an index into
    ``formats``), ``elements`` the run element of a non-character atom.
    """

    keys: list[str] = field(default_factory=list)
    rprs: list[int] = field(default_factory=list)
    elements: list[etree._Element | None] = field(default_factory=list)
    formats: list[etree._Element | None] = field(default_factory=list)
    format_keys: list[bytes] = field(default_factory=list)

    @classmethod
    def of_text(cls, text: str) -> _Flat:
        flat = cls(formats=[None], format_keys=[b""])
        for char in text:
            flat.add(char, 0, None)
        return flat

    def add(self, key: str, rpr: int, element: etree._Element | None) -> None:
        self.keys.append(key)
        self.rprs.append(rpr)
        self.elements.append(element)

    def format_index(self, rpr: etree._Element | None) -> int:
        key = _canonical(rpr) if rpr is not None else b""
        try:
            return self.format_keys.index(key)
        except ValueError:
            self.format_keys.append(key)
            self.formats.append(rpr)
            return len(self.formats) - 1

    def tokens(self) -> list[tuple[int, int]]:
        """Atom spans of the words, punctuation marks, spaces and other elements."""
        spans: list[tuple[int, int]] = []
        i, n = 0, len(self.keys)
        while i < n:
            if self.elements[i] is not None:
                spans.append((i, i + 1))
                i += 1
                continue
            j = i
            while j < n and self.elements[j] is None:
                j += 1
            text = "".join(self.keys[i:j])
            spans.extend((i + m.start(), i + m.end()) for m in _WORD.finditer(text))
            i = j
        return spans


_IGNORED_IN_RUN = {RPR, _w("lastRenderedPageBreak")}


def _flatten(p: etree._Element) -> _Flat | None:
    """The atoms of a paragraph made of plain runs; None when it holds more than runs."""
    flat = _Flat()
    for child in p:
        if not isinstance(child.tag, str) or child.tag in (PPR, _w("proofErr")):
            continue
        if child.tag != R:
            return None
        rpr = flat.format_index(child.find(RPR))
        for item in child:
            if not isinstance(item.tag, str) or item.tag in _IGNORED_IN_RUN:
                continue
            if item.tag == T:
                for char in item.text or "":
                    flat.add(char, rpr, None)
            else:
                flat.add(_canonical(item).decode("utf-8"), rpr, item)
    return flat


def _canonical(element: etree._Element) -> bytes:
    """An element's XML without the namespace declarations it merely inherits."""
    return etree.tostring(element, method="c14n", exclusive=True)


# --- word-level differences -----------------------------------------------------------------

Op = tuple[str, int, int, int, int]  # (tag, a1, a2, b1, b2) over atoms


def _token_keys(flat: _Flat, spans: list[tuple[int, int]]) -> list[str]:
    return ["".join(flat.keys[s:e]) for s, e in spans]


def _word_ops(a: _Flat, b: _Flat) -> list[Op]:
    """Opcodes over atoms, computed on words, then made readable.

    Spaces never start a match, so a change of several words reads as one
    replacement rather than words interleaved with kept spaces (a match is
    still extended over the spaces around it). Then, as diff-match-patch's
    semantic clean-up does, a kept stretch shorter than the changes on both
    of its sides is folded into them: « [-tout contrat conclu-]{+les
    contrats conclus+} », not a word kept here and there by chance.
    Finally common spaces at the edges of a replacement are kept, so
    « Article 5 – » -> « Article 6 – » changes the number alone.
    """
    sa, sb = a.tokens(), b.tokens()
    bounds_a = [s for s, _ in sa] + [len(a.keys)]
    bounds_b = [s for s, _ in sb] + [len(b.keys)]
    matcher = SequenceMatcher(str.isspace, _token_keys(a, sa), _token_keys(b, sb),
                              autojunk=False)
    segments: list[list[int]] = []  # [equal (1/0), a1, a2, b1, b2]
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        equal = int(tag == "equal")
        span = [equal, bounds_a[i1], bounds_a[i2], bounds_b[j1], bounds_b[j2]]
        if segments and not equal and not segments[-1][0]:
            segments[-1][2], segments[-1][4] = span[2], span[4]
        else:
            segments.append(span)

    def size(seg: list[int]) -> int:
        return max(seg[2] - seg[1], seg[4] - seg[3])

    folded = True
    while folded:
        folded = False
        for k in range(1, len(segments) - 1):
            before, kept, after = segments[k - 1], segments[k], segments[k + 1]
            if kept[0] and kept[2] - kept[1] <= min(size(before), size(after)):
                segments[k - 1:k + 2] = [[0, before[1], after[2], before[3], after[4]]]
                folded = True
                break

    ops: list[Op] = []
    for equal, a1, a2, b1, b2 in segments:
        if equal:
            ops.append(("equal", a1, a2, b1, b2))
            continue
        lead = 0
        while (a1 + lead < a2 and b1 + lead < b2 and a.keys[a1 + lead] == b.keys[b1 + lead]
               and a.keys[a1 + lead].isspace()):
            lead += 1
        trail = 0
        while (a2 - trail > a1 + lead and b2 - trail > b1 + lead
               and a.keys[a2 - trail - 1] == b.keys[b2 - trail - 1]
               and a.keys[a2 - trail - 1].isspace()):
            trail += 1
        if lead:
            ops.append(("equal", a1, a1 + lead, b1, b1 + lead))
        c1, c2, d1, d2 = a1 + lead, a2 - trail, b1 + lead, b2 - trail
        tag = "insert" if c1 == c2 else "delete" if d1 == d2 else "replace"
        ops.append((tag, c1, c2, d1, d2))
        if trail:
            ops.append(("equal", a2 - trail, a2, b2 - trail, b2))
    merged: list[Op] = []
    for op in ops:
        if merged and op[0] == "equal" == merged[-1][0]:
            merged[-1] = ("equal", merged[-1][1], op[2], merged[-1][3], op[4])
        else:
            merged.append(op)
    return merged


def _pieces(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Word-level differences of two texts: ``(" " | "-" | "+", text)`` pieces."""
    a, b = _Flat.of_text(old), _Flat.of_text(new)
    out: list[tuple[str, str]] = []
    for tag, a1, a2, b1, b2 in _word_ops(a, b):
        if tag == "equal":
            out.append((" ", new[b1:b2]))
            continue
        if a2 > a1:
            out.append(("-", old[a1:a2]))
        if b2 > b1:
            out.append(("+", new[b1:b2]))
    return tuple(out)


def _similarity(a: list[str], b: list[str]) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < CUTOFF or matcher.quick_ratio() < CUTOFF:
        return 0.0
    return matcher.ratio()


# --- blocks and their alignment --------------------------------------------------------------


@record
class _Block:
    """A paragraph, a table, a table row or another block element, as aligned.

    ``key`` is what must be equal for two blocks to be the same, ``words``
    what their similarity is measured on, ``group`` what two blocks must
    share to be compared at all beyond that (a paragraph's style, a row's
    number of cells).
    """

    element: etree._Element
    kind: Literal["p", "tbl", "tr", "other"]
    key: tuple[str, ...]
    flat: _Flat | None = None
    words: list[str] = field(default_factory=list)
    group: str = ""

    @property
    def text(self) -> str:
        return self.key[1] if self.kind == "p" else ""


def _cells(tr: etree._Element) -> tuple[str, ...]:
    return tuple("\n".join(_paragraph_text(p) for p in tc.findall(P)).strip()
                 for tc in tr.findall(TC))


def _row_text(tr: etree._Element) -> str:
    """A table row as one line: cells joined by `` | ``."""
    cells: list[str] = []
    for text in _cells(tr):
        if not cells or cells[-1] != text:  # a merged cell repeats
            cells.append(text)
    return " | ".join(cells)


def _block(element: etree._Element) -> _Block:
    if element.tag == P:
        flat = _flatten(element)
        text = _paragraph_text(element)
        words = [w for w in _token_keys(flat, flat.tokens()) if not w.isspace()] if flat else []
        style = _style(element)
        return _Block(element, "p", ("p", text), flat, words, style)
    if element.tag == TBL:
        rows = [_row_text(tr) for tr in element.findall(TR)]
        return _Block(element, "tbl", ("tbl", *rows), None, rows)
    if element.tag == TR:
        cells = _cells(element)
        words = [w for w in _WORD.findall(" ".join(cells)) if not w.isspace()]
        return _Block(element, "tr", ("tr", *cells), None, words, str(len(cells)))
    return _Block(element, "other", ("other", _canonical(element).decode("utf-8")))


def _blocks(container: etree._Element) -> list[_Block]:
    return [_block(child) for child in container
            if isinstance(child.tag, str) and child.tag not in (SECTPR, TCPR)]


Step = tuple[str, _Block | None, _Block | None]  # equal | insert | delete | pair


def _align(old: Sequence[_Block], new: Sequence[_Block]) -> list[Step]:
    """Old and new blocks in reading order: kept, added, removed, or paired for comparison.

    Blocks are matched on their text alone: a paragraph whose style changed
    (body text to heading) is the same paragraph, paired so that its old
    style is recorded, rather than a paragraph removed and one added. So
    two documents that read the same have no added or removed paragraph.
    """
    matcher = SequenceMatcher(None, [b.key for b in old], [b.key for b in new], autojunk=False)
    steps: list[Step] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            steps.extend(("pair" if o.group != n.group and _pairable(o, n) else "equal", o, n)
                         for o, n in zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            steps.extend(_pair(old[i1:i2], new[j1:j2]))
    return steps


def _pairable(a: _Block, b: _Block) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "p":
        return a.flat is not None and b.flat is not None
    if a.kind == "tr":
        return a.group == b.group
    return a.kind == "tbl"


def _pair(old: Sequence[_Block], new: Sequence[_Block]) -> list[Step]:
    """Pair a stretch of differing blocks, most similar first (as ``difflib.Differ`` does).

    A paragraph replaced by one paragraph of the same style, or a row by a
    row of as many cells, always pairs (« Assist'Pro » -> « Marie Durand »
    reads best as words changed). Tables of a stretch always pair (their
    rows are then aligned), so two tables never end up side by side, which
    Word would show as one.
    """
    if not old or not new:
        return [("delete", o, None) for o in old] + [("insert", None, n) for n in new]
    if (len(old) == len(new) == 1 and _pairable(old[0], new[0])
            and old[0].group == new[0].group):
        return [("pair", old[0], new[0])]  # one paragraph became another: show its words
    if len(old) * len(new) > MAX_PAIRINGS:
        steps: list[Step] = []
        for o, n in zip(old, new, strict=False):
            steps += [("pair", o, n)] if _pairable(o, n) else [("delete", o, None),
                                                                ("insert", None, n)]
        steps += [("delete", o, None) for o in old[len(new):]]
        return steps + [("insert", None, n) for n in new[len(old):]]
    best, where = -1.0, (-1, -1)
    for j, n in enumerate(new):
        for i, o in enumerate(old):
            if not _pairable(o, n):
                continue
            score = _similarity(o.words, n.words)
            if o.kind == "tbl":
                score = max(score, CUTOFF)
            if score > best:
                best, where = score, (i, j)
    if best < CUTOFF:
        return [("delete", o, None) for o in old] + [("insert", None, n) for n in new]
    i, j = where
    return (_pair(old[:i], new[:j]) + [("pair", old[i], new[j])]
            + _pair(old[i + 1:], new[j + 1:]))


def _align_rows(old: etree._Element, new: etree._Element) -> list[Step]:
    """The rows of two tables, aligned as blocks are (rows pair with rows of as many cells)."""
    return _align([_block(tr) for tr in old.findall(TR)],
                  [_block(tr) for tr in new.findall(TR)])


# --- writing tracked changes -------------------------------------------------------------------


class _Marks:
    """Makes revision elements with unique, document-ordered identifiers."""

    def __init__(self, author: str, first_id: int) -> None:
        self.author = author
        self.next_id = first_id

    def make(self, tag: str) -> etree._Element:
        element = etree.Element(tag, nsmap={"w": W})
        element.set(ID, str(self.next_id))
        element.set(AUTHOR, self.author)
        self.next_id += 1
        return element


def _first_free_id(*roots: etree._Element) -> int:
    highest = 0
    for root in roots:
        for value in root.xpath("//@w:id", namespaces={"w": W}):
            if str(value).lstrip("-").isdigit():
                highest = max(highest, int(value))
    return highest + 1


def _element(tag: str) -> etree._Element:
    return etree.Element(tag, nsmap={"w": W})


def _text_element(text: str, deleted: bool) -> etree._Element:
    t = _element(DEL_TEXT if deleted else T)
    t.set(XML_SPACE, "preserve")
    t.text = text
    return t


def _runs(flat: _Flat, start: int, end: int, *, deleted: bool,
          old: _Flat | None = None, old_start: int = 0,
          marks: _Marks | None = None) -> list[etree._Element]:
    """Runs for atoms ``start:end`` of ``flat``, one per formatting.

    With ``old`` (kept text), an atom whose old formatting differs gets an
    ``rPrChange`` holding the old one, so rejecting restores it.
    """
    runs: list[etree._Element] = []
    current: tuple[int, int] | None = None
    run: etree._Element | None = None
    text: list[str] = []

    def flush_text() -> None:
        if text and run is not None:
            run.append(_text_element("".join(text), deleted))
            text.clear()

    for index in range(start, end):
        rpr = flat.rprs[index]
        old_rpr = old.rprs[old_start + index - start] if old is not None else -1
        if (rpr, old_rpr) != current:
            flush_text()
            current = (rpr, old_rpr)
            run = _element(R)
            if flat.formats[rpr] is not None:
                run.append(copy.deepcopy(flat.formats[rpr]))
            if (old is not None and marks is not None
                    and old.format_keys[old_rpr] != flat.format_keys[rpr]):
                properties = run.find(RPR)
                if properties is None:
                    properties = _element(RPR)
                    run.insert(0, properties)
                change = marks.make(RPR_CHANGE)
                before = _element(RPR)
                recorded = old.formats[old_rpr]
                if recorded is not None:
                    before.extend(copy.deepcopy(c) for c in recorded)
                change.append(before)
                properties.append(change)
            runs.append(run)
        element = flat.elements[index]
        assert run is not None
        if element is None:
            text.append(flat.keys[index])
        else:
            flush_text()
            item = copy.deepcopy(element)
            if deleted and item.tag == INSTR:
                item.tag = DEL_INSTR
            run.append(item)
    flush_text()
    return runs


def _base_properties(ppr: etree._Element | None) -> list[etree._Element]:
    """The paragraph properties that ``pPrChange`` records (not the mark's, not the section)."""
    if ppr is None:
        return []
    return [c for c in ppr if isinstance(c.tag, str)
            and c.tag not in (RPR, SECTPR, PPR_CHANGE)]


def _ensure_ppr(p: etree._Element) -> etree._Element:
    ppr = p.find(PPR)
    if ppr is None:
        ppr = _element(PPR)
        p.insert(0, ppr)
    return ppr


def _mark_paragraph_mark(p: etree._Element, tag: str, marks: _Marks) -> None:
    """Track the paragraph mark itself (``pPr/rPr/w:ins|w:del``, which comes first there)."""
    ppr = _ensure_ppr(p)
    rpr = ppr.find(RPR)
    if rpr is None:
        rpr = _element(RPR)
        anchor = next((c for c in ppr if c.tag in (SECTPR, PPR_CHANGE)), None)
        if anchor is None:
            ppr.append(rpr)
        else:
            anchor.addprevious(rpr)
    rpr.insert(0, marks.make(tag))


def _wrap_runs(container: etree._Element, tag: str, marks: _Marks) -> None:
    """Wrap every run of ``container`` (and of its links and fields) in ``w:ins``/``w:del``."""
    group: list[etree._Element] = []

    def close() -> None:
        if group:
            wrapper = marks.make(tag)
            group[0].addprevious(wrapper)
            wrapper.extend(group)
            group.clear()

    for child in list(container):
        if child.tag == R:
            group.append(child)
            continue
        close()
        if child.tag in _RUN_CONTAINERS:
            _wrap_runs(child, tag, marks)
    close()
    if tag == DEL:
        for element in container.iter(T, INSTR):
            element.tag = DEL_TEXT if element.tag == T else DEL_INSTR


def _mark_whole(element: etree._Element, tag: str, marks: _Marks) -> etree._Element:
    """A whole paragraph or table marked inserted or deleted, marks and rows included."""
    paragraphs = [element] if element.tag == P else list(element.iter(P))
    if element.tag == TBL:
        for tr in element.iter(TR):
            trpr = tr.find(TRPR)
            if trpr is None:
                trpr = _element(TRPR)
                before = tr.find(_w("tblPrEx"))
                if before is None:
                    tr.insert(0, trpr)
                else:
                    before.addnext(trpr)
            trpr.append(marks.make(tag))
    for p in paragraphs:
        _wrap_runs(p, tag, marks)
        _mark_paragraph_mark(p, tag, marks)
    return element


def _sanitize(element: etree._Element) -> None:
    """Take out of old content what points at the old document's other parts.

    The output keeps the new document's parts (relationships, notes,
    comments), which such references would not find.
    """
    for item in list(element.iter(*_DANGLING)):
        _remove(item)
    for link in list(element.iter(_w("hyperlink"))):
        _unwrap(link)
    dangling = f"@*[namespace-uri()='{REL}']"
    for item in list(element.xpath(f".//*[{dangling}]")):
        if item.getparent() is not None:
            _remove(item)


def _diff_paragraph(old: _Block, new: _Block, marks: _Marks) -> etree._Element:
    """The new paragraph with its words compared to the old one's."""
    assert old.flat is not None and new.flat is not None
    a, b = old.flat, new.flat
    p = new.element
    for child in list(p):
        if child.tag != PPR:
            p.remove(child)
    old_base, new_base = _base_properties(old.element.find(PPR)), _base_properties(p.find(PPR))
    if [_canonical(c) for c in old_base] != [_canonical(c) for c in new_base]:
        change = marks.make(PPR_CHANGE)
        before = _element(PPR)
        before.extend(copy.deepcopy(c) for c in old_base)
        change.append(before)
        _ensure_ppr(p).append(change)
    for tag, a1, a2, b1, b2 in _word_ops(a, b):
        if tag == "equal":
            p.extend(_runs(b, b1, b2, deleted=False, old=a, old_start=a1, marks=marks))
            continue
        if a2 > a1:
            wrapper = marks.make(DEL)
            wrapper.extend(_runs(a, a1, a2, deleted=True))
            p.append(wrapper)
        if b2 > b1:
            wrapper = marks.make(INS)
            wrapper.extend(_runs(b, b1, b2, deleted=False))
            p.append(wrapper)
    return p


def _diff_table(old: etree._Element, new: etree._Element, marks: _Marks) -> etree._Element:
    """The new table with its rows aligned to the old one's, cells compared one by one."""
    steps = _align_rows(old, new)
    rows = new.findall(TR)
    position = new.index(rows[0]) if rows else len(new)
    for tr in rows:
        new.remove(tr)
    for offset, (tag, o, n) in enumerate(steps):
        if tag == "equal":
            assert n is not None
            row = n.element
        elif tag == "insert":
            assert n is not None
            row = _mark_row(n.element, INS, marks)
        elif tag == "delete":
            assert o is not None
            row = _mark_row(copy.deepcopy(o.element), DEL, marks)
        else:
            assert o is not None and n is not None
            cells = zip(o.element.findall(TC), n.element.findall(TC), strict=True)
            for old_cell, new_cell in cells:
                _merge(old_cell, new_cell, marks)
            row = n.element
        new.insert(position + offset, row)
    return new


def _mark_row(tr: etree._Element, tag: str, marks: _Marks) -> etree._Element:
    holder = _element(TBL)
    holder.append(tr)
    _mark_whole(holder, tag, marks)
    holder.remove(tr)
    return tr


def _merge(old: etree._Element, new: etree._Element, marks: _Marks) -> None:
    """Rewrite the blocks of ``new`` (a body or a cell) as tracked changes against ``old``."""
    steps = _align(_blocks(old), _blocks(new))
    head = [c for c in new if c.tag == TCPR]
    tail = [c for c in new if c.tag == SECTPR]
    for child in list(new):
        new.remove(child)
    new.extend(head)
    for tag, o, n in steps:
        if tag == "equal":
            assert n is not None
            new.append(n.element)
        elif tag == "insert":
            assert n is not None
            new.append(n.element if n.kind == "other" else _mark_whole(n.element, INS, marks))
        elif tag == "delete":
            assert o is not None
            if o.kind != "other":
                new.append(_mark_whole(copy.deepcopy(o.element), DEL, marks))
        elif o is not None and n is not None:
            if n.kind == "p":
                new.append(_diff_paragraph(o, n, marks))
            else:
                new.append(_diff_table(o.element, n.element, marks))
    new.extend(tail)


# --- the public functions -------------------------------------------------------------------


def redline(old: Source, new: Source, *, author: str = "apport", old_name: str | None = None,
            new_name: str | None = None) -> bytes:
    """The new document, carrying Word tracked changes against the old one.

    Only ``word/document.xml`` differs from ``new``: the styles, headers,
    footers and properties are the new document's, so accepting every
    change gives the new document's text and rejecting every change the
    old one's.

    Args:
        old: the document as it was (bytes, or the path of a .docx).
        new: the document as it is now.
        author: the name Word shows on each change.
        old_name: how errors name ``old`` when it is bytes (default: "old document").
        new_name: likewise for ``new``.

    Returns:
        The .docx bytes; the same inputs always give the same bytes.

    Raises:
        RedlineError: a file is not a Word document, already carries tracked
        changes, or ``author`` cannot be written in one.
    """
    if not author or re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", author):
        raise RedlineError("author", "redline-bad-author", {"author": repr(author)})
    before = _read_for_comparison(old, old_name, "old document")
    after = _read_for_comparison(new, new_name, "new document")
    _sanitize(before.body)
    marks = _Marks(author, _first_free_id(before.root, after.root))
    _merge(before.body, after.body, marks)
    return after.to_bytes()


@record(frozen=True)
class Change:
    """One paragraph (or table row) whose text differs between two documents.

    ``old_line`` and ``new_line`` are 1-based positions among the paragraphs
    and table rows of each body, in reading order (cells of a row joined by
    `` | ``); None on the side
    where the paragraph does not exist. ``pieces`` are the words, each
    marked ``" "`` (kept), ``"-"`` (removed) or ``"+"`` (added); ``heading``
    is the heading the paragraph falls under, for orientation.
    """

    kind: ChangeKind
    old_line: int | None
    new_line: int | None
    old: str
    new: str
    pieces: tuple[tuple[str, str], ...]
    heading: str = ""

    def word_diff(self, *, color: bool = False) -> str:
        """The paragraph with its changes as ``[-removed-]{+added+}`` (git's ``--word-diff``)."""
        red, green, reset = ("\x1b[31m", "\x1b[32m", "\x1b[m") if color else ("", "", "")
        out: list[str] = []
        for op, text in self.pieces:
            if op == "-":
                out.append(f"{red}[-{text}-]{reset}")
            elif op == "+":
                out.append(f"{green}{{+{text}+}}{reset}")
            else:
                out.append(text)
        return "".join(out)

    def header(self, *, color: bool = False) -> str:
        """``@@ -12 +13 @@ Article 8 – Commission``: where the change is, in each document."""
        where = " ".join(part for part in (
            f"-{self.old_line}" if self.old_line is not None else "",
            f"+{self.new_line}" if self.new_line is not None else "") if part)
        cyan, reset = ("\x1b[36m", "\x1b[m") if color else ("", "")
        return f"{cyan}@@ {where} @@{reset}" + (f" {self.heading}" if self.heading else "")


def _lines_of(block: _Block) -> list[str]:
    if block.kind == "p":
        return [block.text]
    if block.kind == "tbl":
        return list(block.key[1:])
    return []


def _is_heading(block: _Block | None) -> bool:
    return block is not None and block.kind == "p" and bool(_HEADING.match(block.group))


def _changes(before: etree._Element, after: etree._Element) -> Iterator[Change]:
    old_line = new_line = 0
    old_heading = new_heading = ""

    def make(kind: ChangeKind, old: str | None, new: str | None, heading: str) -> Change:
        pieces = _pieces(old or "", new or "") if kind == "changed" else (
            (("-", old),) if old is not None else (("+", new or ""),))
        return Change(kind, old_line if old is not None else None,
                      new_line if new is not None else None, old or "", new or "", pieces,
                      heading)

    for tag, o, n in _align(_blocks(before), _blocks(after)):
        context_old = "" if _is_heading(o) else old_heading
        context_new = "" if _is_heading(n) else new_heading
        if _is_heading(o):
            old_heading = o.text if o is not None else old_heading
        if _is_heading(n):
            new_heading = n.text if n is not None else new_heading
        if tag == "equal":
            assert o is not None and n is not None
            old_line += len(_lines_of(o))
            new_line += len(_lines_of(n))
        elif tag == "delete":
            assert o is not None
            for line in _lines_of(o):
                old_line += 1
                yield make("removed", line, None, context_old)
        elif tag == "insert":
            assert n is not None
            for line in _lines_of(n):
                new_line += 1
                yield make("added", None, line, context_new)
        elif o is not None and n is not None and o.kind == "p":
            old_line += 1
            new_line += 1
            if o.text != n.text:
                yield make("changed", o.text, n.text, context_new)
        elif o is not None and n is not None:
            for row_tag, ro, rn in _align_rows(o.element, n.element):
                old_text = _row_text(ro.element) if ro is not None else None
                new_text = _row_text(rn.element) if rn is not None else None
                old_line += ro is not None
                new_line += rn is not None
                if row_tag == "delete":
                    yield make("removed", old_text, None, context_old)
                elif row_tag == "insert":
                    yield make("added", None, new_text, context_new)
                elif old_text != new_text:
                    yield make("changed", old_text, new_text, context_new)


def compare(old: Source, new: Source, *, old_name: str | None = None,
            new_name: str | None = None) -> list[Change]:
    """The paragraphs whose text differs, aligned as :func:`redline` aligns them.

    Formatting and style changes are not listed: this is the text a reader
    sees. An empty list means the bodies read the same (:func:`identical`).

    Raises:
        RedlineError: as :func:`redline`.
    """
    before = _read_for_comparison(old, old_name, "old document")
    after = _read_for_comparison(new, new_name, "new document")
    return list(_changes(before.body, after.body))


def diff_text(old: Source, new: Source, *, color: bool, old_name: str | None = None,
              new_name: str | None = None) -> str:
    """The changes as text for a terminal, one hunk per changed paragraph.

    Each hunk is a header giving the paragraph's position in each document
    and the heading it falls under, then the paragraph with its words
    marked ``[-removed-]{+added+}`` (red and green with ``color``).
    Unchanged paragraphs are left out; the text is empty when the two
    documents read the same.

    Raises:
        RedlineError: as :func:`redline`.
    """
    hunks = [f"{c.header(color=color)}\n{c.word_diff(color=color)}\n"
             for c in compare(old, new, old_name=old_name, new_name=new_name)]
    return "".join(hunks)


def identical(old: Source, new: Source, *, old_name: str | None = None,
              new_name: str | None = None) -> bool:
    """Whether the two bodies read the same (paragraphs and table rows), whatever the format.

    This is what ``apport diff`` exits with: 0 when true, 1 otherwise;
    true exactly when :func:`compare` finds nothing.

    Raises:
        RedlineError: as :func:`redline`.
    """
    before = _read_for_comparison(old, old_name, "old document")
    after = _read_for_comparison(new, new_name, "new document")

    def lines(body: etree._Element) -> list[str]:
        return [line for block in _blocks(body) for line in _lines_of(block)]

    return lines(before.body) == lines(after.body)


# --- accepting and rejecting ------------------------------------------------------------------


def _remove(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it (lxml stores it on the element)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _unwrap(element: etree._Element) -> None:
    """Replace an element by its children."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    _remove(element)


def _is_mark(element: etree._Element) -> bool:
    """Whether an ``ins``/``del`` tracks a paragraph mark or a table row (not content)."""
    parent = element.getparent()
    return parent is not None and parent.tag in (RPR, TRPR)


def _next_block(p: etree._Element) -> etree._Element | None:
    sibling = p.getnext()
    while sibling is not None and (not isinstance(sibling.tag, str) or sibling.tag in _MARKERS):
        sibling = sibling.getnext()
    return sibling


def _join_with_next(p: etree._Element) -> None:
    """Remove a paragraph mark: the paragraph's content joins the next paragraph.

    Where no paragraph follows (before a table, at the end of a cell or of
    the body), an empty paragraph is removed, unless a cell would be left
    without one; a paragraph with content keeps it.
    """
    content = [c for c in p if c.tag != PPR]
    following = _next_block(p)
    parent = p.getparent()
    assert parent is not None
    if following is not None and following.tag == P:
        anchor = following.find(PPR)
        index = following.index(anchor) + 1 if anchor is not None else 0
        for offset, child in enumerate(content):
            following.insert(index + offset, child)
        _remove(p)
        return
    has_content = any(c.tag not in _MARKERS for c in content if isinstance(c.tag, str))
    last_in_cell = parent.tag == TC and len(parent.findall(P)) == 1
    if not has_content and not last_in_cell:
        _remove(p)


def _resolve(root: etree._Element, *, keep: str) -> None:
    """Accept (``keep=INS``) or reject (``keep=DEL``) every tracked change under ``root``."""
    drop = DEL if keep == INS else INS
    moved_drop, moved_keep = ((_w("moveFrom"), _w("moveTo")) if keep == INS
                              else (_w("moveTo"), _w("moveFrom")))
    # Rows first: a dropped row goes with everything in it.
    for trpr_mark in list(root.iter(drop)):
        if trpr_mark.getparent() is not None and trpr_mark.getparent().tag == TRPR:
            row = trpr_mark.getparent().getparent()
            table = row.getparent()
            _remove(row)
            if table is not None and table.find(TR) is None:
                _remove(table)
    for item in list(root.iter(drop, moved_drop)):
        if not _is_mark(item):
            _remove(item)
    for item in list(root.iter(keep, moved_keep)):
        if not _is_mark(item):
            _unwrap(item)
    for item in list(root.iter(*_MOVE_RANGES, _w("cellIns"), _w("cellDel"), _w("cellMerge"))):
        _remove(item)
    if keep == DEL:
        for item in root.iter(DEL_TEXT, DEL_INSTR):
            item.tag = T if item.tag == DEL_TEXT else INSTR
    for change in list(root.iter(*_PROPERTY_CHANGES)):
        if keep == DEL:
            _restore(change)
        _remove(change)
    for p in list(root.iter(P)):
        mark = p.find(f"{PPR}/{RPR}/{drop}")
        kept = p.find(f"{PPR}/{RPR}/{keep}")
        if kept is not None:
            _remove_mark(kept)
        if mark is not None:
            _remove_mark(mark)
            _join_with_next(p)
    for trpr_mark in list(root.iter(keep)):
        if trpr_mark.getparent() is not None and trpr_mark.getparent().tag == TRPR:
            _remove_mark(trpr_mark)


def _remove_mark(mark: etree._Element) -> None:
    """Remove a paragraph-mark or row mark, and the properties element it leaves empty."""
    holder = mark.getparent()
    _remove(mark)
    while holder is not None and holder.tag in (RPR, PPR, TRPR) and len(holder) == 0 \
            and not holder.attrib:
        parent = holder.getparent()
        _remove(holder)
        holder = parent


def _restore(change: etree._Element) -> None:
    """Put back the properties a ``*PrChange`` recorded (rejecting a formatting change)."""
    owner = change.getparent()
    recorded = change.find("*")
    if owner is None or recorded is None:
        return
    if change.tag == PPR_CHANGE:
        keep_tags = (RPR, SECTPR, PPR_CHANGE)
        for child in list(owner):
            if child.tag not in keep_tags:
                owner.remove(child)
        for offset, child in enumerate(list(recorded)):
            owner.insert(offset, child)
    elif change.tag == RPR_CHANGE:
        for child in list(owner):
            if child is not change and child.tag not in (INS, DEL):
                owner.remove(child)
        owner.extend(list(recorded))
        owner.append(change)  # removed by the caller; keeps the loop's list valid


def _resolved(docx: Source, name: str | None, keep: str) -> bytes:
    package = _read(docx, name, "document")
    _resolve(package.body, keep=keep)
    return package.to_bytes()


def accept_all(docx: Source, *, name: str | None = None) -> bytes:
    """The document with every tracked change accepted (its new version).

    Inserted text stays, deleted text goes, a deleted paragraph mark joins
    its paragraph to the next one, and formatting changes are kept.

    Raises:
        RedlineError: ``docx`` is not a Word file.
    """
    return _resolved(docx, name, INS)


def reject_all(docx: Source, *, name: str | None = None) -> bytes:
    """The document with every tracked change rejected (its old version).

    Deleted text comes back, inserted text goes, an inserted paragraph mark
    joins its paragraph to the next one, and recorded formatting returns.

    Raises:
        RedlineError: ``docx`` is not a Word file.
    """
    return _resolved(docx, name, DEL)

