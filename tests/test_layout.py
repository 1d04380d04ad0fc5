"""Layout of the documents (issue 11): what a reader sees on the page.

The offer's worked example has its figures right-aligned; the signature
cells leave room to sign; the review annex is a section of its own, outside
the contract's « Page X sur Y » and without the initials footer. Checked in
the Word XML, and on the PDF that LibreOffice lays out when it is installed.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest
from documents_helpers import sample_contract, sample_offer
from lxml import etree

from generator.pdf import convert, find_soffice

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
BASE = "julie-atelier-bois"
CM = 567  # twentieths of a point in one centimetre


def _part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def _text(element: etree._Element) -> str:
    return "".join(element.xpath(".//w:t/text()", namespaces=NS))


def _footers(data: bytes) -> list[str]:
    """The text of the footer of each section, in order, fields shown by their instruction."""
    document = _part(data, "word/document.xml")
    rels = _part(data, "word/_rels/document.xml.rels")
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = []
    for sect_pr in document.iter(f"{{{W}}}sectPr"):
        ref = sect_pr.find("w:footerReference", NS)
        assert ref is not None, "every section names its footer"
        footer = _part(data, "word/" + targets[ref.get(f"{{{NS['r']}}}id")])
        pieces, cached = [], False  # a field's cached result is not shown
        for node in footer.iter(f"{{{W}}}t", f"{{{W}}}instrText", f"{{{W}}}fldChar"):
            if node.tag.endswith("}fldChar"):
                cached = node.get(f"{{{W}}}fldCharType") == "separate"
            elif node.tag.endswith("}instrText"):
                pieces.append(f"{{{node.text.strip()}}}")
            elif not cached:
                pieces.append(node.text or "")
        out.append("".join(pieces))
    return out


def test_the_worked_example_has_its_figures_right_aligned() -> None:
    document = _part(sample_offer(BASE), "word/document.xml")
    # the worked example: the table of four columns (the sheet has others, of two)
    tables = document.xpath("//w:tbl[count(w:tblGrid/w:gridCol) = 4]", namespaces=NS)
    assert len(tables) == 1
    rows = tables[0].xpath("w:tr", namespaces=NS)
    assert len(rows) >= 2
    for row in rows:
        cells = row.xpath("w:tc", namespaces=NS)
        assert len(cells) == 4
        alignments = [cell.xpath("string(w:p/w:pPr/w:jc/@w:val)", namespaces=NS) for cell in cells]
        assert alignments[0] in ("", "left", "start"), _text(row)
        assert alignments[1:] == ["right"] * 3, (_text(row), alignments)
        if row is not rows[0]:  # below the headings: amounts
            assert all(_text(cell).endswith("€") for cell in cells[1:]), _text(row)


def test_the_signature_cells_leave_room_to_sign() -> None:
    document = _part(sample_contract(BASE), "word/document.xml")
    row = document.xpath("//w:tbl[.//w:t[contains(., 'Date et signature')]]/w:tr",
                         namespaces=NS)[0]
    height = row.find("w:trPr/w:trHeight", NS)
    assert height is not None
    assert height.get(f"{{{W}}}hRule") in (None, "atLeast")
    assert int(height.get(f"{{{W}}}val")) >= 6 * CM
    assert row.find("w:trPr/w:cantSplit", NS) is not None


def test_the_contract_alone_counts_all_its_pages_and_carries_the_initials() -> None:
    footers = _footers(sample_contract(BASE))
    assert len(footers) == 1
    assert "Paraphes" in footers[0] and "{NUMPAGES}" in footers[0], footers


def test_the_review_annex_is_a_section_outside_the_page_count_without_initials() -> None:
    data = sample_contract(BASE, review=True)
    contract, annex = _footers(data)
    assert "Paraphes" in contract
    # « Page X sur Y »: Y is the page of the contract's last paragraph, not the document's count
    total = re.search(r"\{PAGE\} sur \{(.*?)\}", contract)
    assert total and total.group(1).startswith("PAGEREF "), contract
    bookmark = total.group(1).split()[1]
    document = _part(data, "word/document.xml")
    body = document.find("w:body", NS)
    children = list(body)
    breaks = [i for i, child in enumerate(children) if child.find("w:pPr/w:sectPr", NS) is not None]
    assert len(breaks) == 1
    (marked,) = document.xpath(f"//w:bookmarkStart[@w:name='{bookmark}']/..", namespaces=NS)
    assert marked is children[breaks[0]]  # on the contract's last paragraph
    assert "Notes pour le juriste" in "".join(_text(c) for c in children[breaks[0] + 1:])
    assert "Notes pour le juriste" not in "".join(_text(c) for c in children[:breaks[0]])
    # the annex: its own footer, no initials, no count of the contract's pages
    assert "Paraphes" not in annex and "Notes pour le juriste" in annex
    assert "NUMPAGES" not in annex and "PAGEREF" not in annex
    final = body.find("w:sectPr", NS)
    assert final.find("w:pgNumType", NS).get(f"{{{W}}}start") == "1"


@pytest.mark.slow
@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_on_paper_the_annex_is_not_counted(tmp_path) -> None:
    files = []
    for review in (False, True):
        path = tmp_path / f"{BASE}.{'revue' if review else 'contrat'}.docx"
        path.write_bytes(sample_contract(BASE, review=review))
        files.append(path)
    clean, reviewed = (subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                                      capture_output=True, text=True).stdout.split("\f")
                       for pdf in convert(files, tmp_path / "pdf"))
    clean, reviewed = [p for p in clean if p.strip()], [p for p in reviewed if p.strip()]
    pages = len(clean)
    for number, page in enumerate(clean, start=1):
        assert re.search(rf"Paraphes.*Page {number} sur {pages}\b", page), page[-300:]
    assert len(reviewed) > pages
    for number, page in enumerate(reviewed[:pages], start=1):
        assert re.search(rf"Paraphes.*Page {number} sur {pages}\b", page), page[-300:]
    for number, page in enumerate(reviewed[pages:], start=1):
        assert "Paraphes" not in page and f"page {number}" in page, page[-300:]
    assert "Notes pour le juriste" in reviewed[pages]
