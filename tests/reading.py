"""Reading Word documents back as text, for the tests and golden files (``apport diff``
reads them its own way, in :mod:`generator.redline`).

The text of a document is the list of its paragraphs in reading order:
body paragraphs and table cells (row by row, cells joined by `` | ``);
headers and footers are read separately.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


def _open(source: str | Path | bytes):  # noqa: ANN202 - python-docx's Document
    return Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))


def _body(container) -> list[str]:  # noqa: ANN001
    lines: list[str] = []
    for child in container.iter_inner_content():
        if isinstance(child, Paragraph):
            lines.append(child.text)
        elif isinstance(child, Table):
            for row in child.rows:
                cells: list[str] = []
                previous = None
                for cell in row.cells:
                    if cell._tc is previous:  # a merged cell is listed once per grid column
                        continue
                    previous = cell._tc
                    cells.append("\n".join(p.text for p in cell.paragraphs).strip())
                lines.append(" | ".join(cells))
    return lines


def paragraphs(source: str | Path | bytes) -> list[str]:
    """The body's paragraphs (and table rows), in order."""
    return _body(_open(source))


def text(source: str | Path | bytes) -> str:
    """The body as text: one paragraph per line, empty paragraphs dropped."""
    return "\n".join(p for p in paragraphs(source) if p.strip()) + "\n"


def header_footer_text(source: str | Path | bytes) -> str:
    """The headers' and footers' paragraphs, one per line."""
    doc = _open(source)
    parts: list[str] = []
    for section in doc.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    return "\n".join(parts)
