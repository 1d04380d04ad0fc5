"""A Word document shown as HTML: the same paragraphs, the same words, in the browser.

The preview is made from the very Word file the deal produces (rendered by
the same clauses, terms and template), read back paragraph by paragraph,
so that it cannot say anything the document does not: its text, read the
way the tests read a ``.docx`` (``tests/reading.py``), is the document's text.
Values taken from the deal (the review mode's character style) are marked.
"""

from __future__ import annotations

import html
import io
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
VALUE_STYLE = "ValeurDossier"
_TAGS = {"Title": "h1", "Heading1": "h2", "Heading2": "h3"}
_CLASSES = {"Subtitle": "subtitle", "ListBullet": "bullet", "TexteTableau": "cell"}


def _body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    body = root.find(f"{_W}body")
    assert body is not None
    return body


def _blocks(body: etree._Element) -> list[etree._Element]:
    return [child for child in body if child.tag in (f"{_W}p", f"{_W}tbl")]


def block_count(data: bytes) -> int:
    """How many paragraphs and tables the body of a Word document has, at its top level."""
    return len(_blocks(_body(data)))


def _run_html(run: etree._Element) -> str:
    pieces: list[str] = []
    for child in run:
        tag = child.tag
        if tag == f"{_W}t":
            pieces.append(html.escape(child.text or ""))
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            pieces.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            if child.get(f"{_W}type") not in ("page", "column"):
                pieces.append("<br>")
        elif tag == f"{_W}noBreakHyphen":
            pieces.append("-")
    text = "".join(pieces)
    if not text:
        return ""
    props = run.find(f"{_W}rPr")
    if props is not None:
        style = props.find(f"{_W}rStyle")
        bold = props.find(f"{_W}b")
        if bold is not None and bold.get(f"{_W}val") not in ("0", "false"):
            text = f"<strong>{text}</strong>"
        if style is not None and style.get(f"{_W}val") == VALUE_STYLE:
            text = f"<mark>{text}</mark>"
    return text


def _paragraph_html(p: etree._Element, *, in_cell: bool = False) -> str:
    inner = "".join(_run_html(r) for r in p.iter(f"{_W}r"))
    style_el = p.find(f"{_W}pPr/{_W}pStyle")
    style = style_el.get(f"{_W}val") if style_el is not None else ""
    if not inner and not in_cell:
        return ""  # an empty paragraph (spacing, a page break): no text to show
    tag = "p" if in_cell else _TAGS.get(style or "", "p")
    css = _CLASSES.get(style or "")
    return f'<{tag} class="{css}">{inner}</{tag}>' if css else f"<{tag}>{inner}</{tag}>"


def _table_html(table: etree._Element) -> str:
    rows = []
    for tr in table.iter(f"{_W}tr"):
        cells = []
        for tc in tr.findall(f"{_W}tc"):
            span = tc.find(f"{_W}tcPr/{_W}gridSpan")
            colspan = f' colspan="{int(span.get(f"{_W}val", "1"))}"' if span is not None else ""
            paragraphs = "".join(_paragraph_html(p, in_cell=True)
                                 for p in tc.findall(f"{_W}p"))
            cells.append(f"<td{colspan}>{paragraphs}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<table class="doc-table">' + "".join(rows) + "</table>"


def to_html(data: bytes, *, limit: int | None = None) -> str:
    """The body of the Word document ``data`` as HTML (its first ``limit`` blocks).

    Paragraph styles become headings, bullets and cells; bold stays bold;
    values from the deal (review mode) become ``<mark>``. No attribute or
    markup comes from the document's text: every piece of it is escaped.
    """
    out: list[str] = []
    for block in _blocks(_body(data))[:limit]:
        if block.tag == f"{_W}tbl":
            out.append(_table_html(block))
        else:
            out.append(_paragraph_html(block))
    return "\n".join(piece for piece in out if piece)
