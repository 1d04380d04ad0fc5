"""Tracked changes between two builds of a contract: what the jurist sees after a change.

Each scenario builds a real contract twice with the project's API, before
and after one kind of change (a clause's words, a clause added, a clause
removed, deal values, a party's name in the signature table), and checks
the one property that makes a redline trustworthy: accepting every change
gives exactly the new contract's text, rejecting every change exactly the
old one's. Then what a reader sees: words marked where they changed,
whole paragraphs where a clause came or went, a terminal diff like git's.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
import reading
from conftest import needs_libreoffice, page_count
from documents_helpers import ROOT, checked, kit, variant
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.clauses import load_library
from generator.contract import build_contract
from generator.model import Deal
from generator.pdf import convert
from generator.redline import (
    Change,
    RedlineError,
    accept_all,
    compare,
    diff_text,
    identical,
    redline,
    reject_all,
)

STEM = "julie-atelier-bois"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
NBSP = "\u00a0"



# --- the scenarios ---------------------------------------------------------------------------


def _contract(deal: Deal | None = None, clauses: Path | None = None, *,
              review: bool = False) -> bytes:
    k = kit()
    c = checked(STEM)
    library = load_library(clauses) if clauses else k.contract_library
    deal = deal or c.deal
    assert deal is not None
    return build_contract(deal, reference=c.reference, library=library,
                          template=k.contract_template, review=review).data


def _edit_clause(folder: Path) -> None:
    path = folder / "120-confidentialite.md"
    text = path.read_text(encoding="utf-8")
    assert "pendant {{ obligations.confidentiality }} après sa fin" in text
    path.write_text(text.replace("pendant {{ obligations.confidentiality }} après sa fin",
                                 "pendant trois (3)\u00a0ans après sa fin"), encoding="utf-8")


def _add_clause(folder: Path) -> None:
    (folder / "125-new.md").write_text(
        "---\nid: non-sollicitation\nversion: 1\ntitle: Non-sollicitation\n---\n"
        "Pendant la durée du présent contrat, aucune partie ne sollicite les salariés de "
        "l'autre.\n\nCette obligation cesse à la fin du contrat.\n", encoding="utf-8")


def _remove_clause(folder: Path) -> None:
    # No clause refers to it with ref('donnees-personnelles'), so removing it is valid.
    assert not any("donnees-personnelles" in p.read_text(encoding="utf-8")
                   for p in folder.glob("*.md") if p.name != "070-donnees-personnelles.md")
    (folder / "070-donnees-personnelles.md").unlink()


CLAUSE_CHANGES: dict[str, Callable[[Path], None]] = {
    "clause-edited": _edit_clause,
    "clause-added": _add_clause,
    "clause-removed": _remove_clause,
}
DEAL_CHANGES: dict[str, dict[str, object]] = {
    # 15 -> 20 changes words; a tail of 0 drops the « droit de suite » part.
    "deal-values": {"commission.rate": 20, "duration.tail_months": 0},
    # The beneficiary's name is also in the signature table.
    "party-renamed": {"beneficiary.name": "Marie Durand-Lefèvre"},
}
SCENARIOS = [*CLAUSE_CHANGES, *DEAL_CHANGES]


@dataclass(frozen=True)
class Pair:
    old: bytes
    new: bytes
    red: bytes


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], Pair]:
    """Every scenario, as plain contracts and in review mode (values highlighted)."""
    out: dict[tuple[str, bool], Pair] = {}
    for review in (False, True):
        old = _contract(review=review)
        for name in SCENARIOS:
            if name in CLAUSE_CHANGES:
                folder = tmp_path_factory.mktemp(name) / "clauses"
                shutil.copytree(ROOT / "clauses", folder)
                CLAUSE_CHANGES[name](folder)
                new = _contract(clauses=folder, review=review)
            else:
                new = _contract(variant(STEM, **DEAL_CHANGES[name]), review=review)
            assert new != old
            out[name, review] = Pair(old, new, redline(old, new))
    return out


def _main(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


# --- the round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("review", [False, True], ids=["contract", "review"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_accepting_gives_the_new_text_and_rejecting_the_old(pairs, scenario: str,
                                                             review: bool) -> None:
    pair = pairs[scenario, review]
    assert reading.paragraphs(accept_all(pair.red)) == reading.paragraphs(pair.new)
    assert reading.paragraphs(reject_all(pair.red)) == reading.paragraphs(pair.old)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_only_the_main_part_changes(pairs, scenario: str) -> None:
    pair = pairs[scenario, False]
    red, new = _parts(pair.red), _parts(pair.new)
    assert list(red) == list(new)  # same parts, same order
    assert [n for n in new if red[n] != new[n]] == ["word/document.xml"]
    assert reading.header_footer_text(pair.red) == reading.header_footer_text(pair.new)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_output_is_well_formed_deterministic_and_dateless(pairs, scenario: str) -> None:
    pair = pairs[scenario, True]
    assert redline(pair.old, pair.new) == pair.red
    for name, data in _parts(pair.red).items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(data)  # raises if not well-formed
    root = etree.fromstring(_parts(pair.red)["word/document.xml"])
    revisions = root.xpath("//w:ins | //w:del | //w:pPrChange | //w:rPrChange",
                           namespaces=NS)
    assert revisions
    ids = [r.get(f"{{{W}}}id") for r in revisions]
    assert len(ids) == len(set(ids))
    assert all(r.get(f"{{{W}}}author") == "apport" for r in revisions)
    assert not root.xpath("//@w:date", namespaces=NS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_markup_follows_the_schema_order(pairs, scenario: str) -> None:
    """What Word is strict about: where each revision element may stand."""
    root = etree.fromstring(_parts(pairs[scenario, True].red)["word/document.xml"])
    q = f"{{{W}}}"
    for p in root.iter(f"{q}p"):
        ppr = p.find(f"{q}pPr")
        assert ppr is None or p.index(ppr) == 0
    for mark in root.xpath("//w:pPr/w:rPr/w:ins | //w:pPr/w:rPr/w:del", namespaces=NS):
        assert mark.getparent().index(mark) == 0 and len(mark) == 0
    for wrapper in root.xpath("//w:p/w:ins | //w:p/w:del", namespaces=NS):
        assert wrapper.get(f"{q}id") and all(child.tag == f"{q}r" for child in wrapper)
    assert not root.xpath("//w:del//w:t | //w:ins//w:delText", namespaces=NS)
    assert not root.xpath("//w:delText[not(ancestor::w:del)]", namespaces=NS)
    for change in root.xpath("//w:pPrChange", namespaces=NS):
        assert change.getparent().index(change) == len(change.getparent()) - 1
        assert [c.tag for c in change] == [f"{q}pPr"]


# --- what each change looks like -------------------------------------------------------------


def test_identical_documents_have_no_changes(pairs) -> None:
    old = pairs["clause-edited", False].old
    red = redline(old, old)
    assert not re.search(r"<w:(ins|del|pPrChange|rPrChange)\b", _main(red))
    assert reading.paragraphs(red) == reading.paragraphs(old)
    assert identical(old, old) and compare(old, old) == [] and diff_text(old, old,
                                                                         color=True) == ""


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_identical_and_compare_agree(pairs, scenario: str) -> None:
    pair = pairs[scenario, False]
    assert not identical(pair.old, pair.new)
    assert compare(pair.old, pair.new)


def test_a_clause_edit_is_shown_word_by_word(pairs) -> None:
    pair = pairs["clause-edited", False]
    assert "pendant [-deux-]{+trois+} ([-2-]{+3+})\u00a0ans après sa fin" in diff_text(
        pair.old, pair.new, color=False)
    (change,) = compare(pair.old, pair.new)
    assert change.kind == "changed" and change.heading.startswith("Article 12")
    assert change.old_line == change.new_line
    xml = _main(pair.red)
    assert '<w:delText xml:space="preserve">deux</w:delText>' in xml
    assert '<w:t xml:space="preserve">trois</w:t>' in xml


def test_an_added_clause_is_inserted_whole_and_the_next_articles_renumbered(pairs) -> None:
    pair = pairs["clause-added", False]
    changes = compare(pair.old, pair.new)
    added = [c for c in changes if c.kind == "added"]
    assert [c.new for c in added][:1] == [f"Article 13{NBSP}– Non-sollicitation"]
    assert len(added) == 3 and all(c.old_line is None for c in added)
    renumbered = next(c for c in changes if c.old.startswith("Article 13"))
    assert renumbered.pieces == ((" ", "Article "), ("-", "13"), ("+", "14"),
                                 (" ", f"{NBSP}– Durée"))
    text = diff_text(pair.old, pair.new, color=False)
    assert f"{{+Article 13{NBSP}– Non-sollicitation+}}" in text
    assert f"l’article{NBSP}[-14-]{{+15+}}" in text  # ref('fin-du-contrat') moved
    # The new paragraphs, paragraph marks included, are inserted.
    root = etree.fromstring(_parts(pair.red)["word/document.xml"])
    heading = next(p for p in root.iter(f"{{{W}}}p")
                   if "Non-sollicitation" in "".join(p.itertext()))
    assert heading.xpath("w:pPr/w:rPr/w:ins", namespaces=NS)
    assert not heading.xpath("w:r", namespaces=NS)  # every run is inside w:ins


def test_a_removed_clause_stays_in_place_as_deleted(pairs) -> None:
    pair = pairs["clause-removed", False]
    changes = compare(pair.old, pair.new)
    removed = [c for c in changes if c.kind == "removed"]
    assert removed[0].old == f"Article 7{NBSP}– Données personnelles"
    assert len(removed) == 4 and all(c.new_line is None for c in removed)
    text = diff_text(pair.old, pair.new, color=False)
    assert f"[-Article 7{NBSP}– Données personnelles-]" in text
    assert "Article [-8-]{+7+}" in text
    assert f"selon l’article{NBSP}[-9-]{{+8+}}" in text
    root = etree.fromstring(_parts(pair.red)["word/document.xml"])
    gone = next(p for p in root.iter(f"{{{W}}}p")
                if "Données personnelles" in "".join(p.itertext()))
    assert gone.xpath("w:pPr/w:rPr/w:del", namespaces=NS)
    assert gone.xpath("w:del/w:r/w:delText", namespaces=NS)
    # It stands where it was: between article 6 and the renumbered commission article.
    body = [("".join(p.itertext())) for p in root.iter(f"{{{W}}}p")]
    where = body.index(f"Article 7{NBSP}– Données personnelles")
    assert body[where - 1].startswith("L’Apporteur déclare avoir informé le Client")
    assert body[where + 4] == f"Article 87{NBSP}– Commission"  # 8 deleted, 7 inserted


def test_new_deal_values_change_words_and_drop_a_part(pairs) -> None:
    pair = pairs["deal-values", False]
    text = diff_text(pair.old, pair.new, color=False)
    assert "égale à [-15-]{+20+}" in text and "([-quinze-]{+vingt+} pour cent)" in text
    assert "droit de suite" in text  # the removed part shows in article 14
    assert any(c.heading.startswith("Article 14") for c in compare(pair.old, pair.new))


def test_deleted_and_inserted_words_keep_their_formatting(pairs) -> None:
    xml = _main(pairs["deal-values", True].red)
    value = '<w:rPr><w:rStyle w:val="ValeurDossier"/></w:rPr>'
    assert re.search(rf'<w:del [^>]+><w:r>{re.escape(value)}<w:delText xml:space="preserve">'
                     r"15</w:delText>", xml)
    assert re.search(rf'<w:ins [^>]+><w:r>{re.escape(value)}<w:t xml:space="preserve">'
                     r"20</w:t>", xml)


def test_table_cells_are_compared_one_by_one(pairs) -> None:
    pair = pairs["party-renamed", False]
    rows = [c for c in compare(pair.old, pair.new) if " | " in c.new]
    assert len(rows) == 1 and rows[0].kind == "changed"
    assert "[-Assist’Pro-]{+Marie Durand-Lefèvre+}" in rows[0].word_diff()
    root = etree.fromstring(_parts(pair.red)["word/document.xml"])
    (table,) = root.iter(f"{{{W}}}tbl")
    assert table.xpath(".//w:del//w:delText[.=\"Assist’Pro\"]", namespaces=NS)
    assert not table.xpath(".//w:trPr/w:ins | .//w:trPr/w:del", namespaces=NS)


def test_diff_text_colours_and_locates_the_changes(pairs) -> None:
    pair = pairs["deal-values", False]
    coloured = diff_text(pair.old, pair.new, color=True)
    assert "\x1b[31m[-15-]\x1b[m\x1b[32m{+20+}\x1b[m" in coloured
    plain = diff_text(pair.old, pair.new, color=False)
    assert "\x1b" not in plain
    assert re.search(rf"^@@ -\d+ \+\d+ @@ Article 8{NBSP}– Commission$", plain, re.MULTILINE)
    assert plain == "".join(f"{c.header()}\n{c.word_diff()}\n"
                            for c in compare(pair.old, pair.new))


def test_the_author_is_written_on_every_change(pairs) -> None:
    pair = pairs["clause-edited", False]
    xml = _main(redline(pair.old, pair.new, author="Me Durand & associés"))
    assert 'w:author="Me Durand &amp; associés"' in xml and 'w:author="apport"' not in xml


# --- small documents: formatting, style, and many random edits -------------------------------


def _document(paragraphs: list[tuple[str, list[tuple[str, bool]]]],
              table: list[list[str]] | None = None, table_at: int = 0) -> bytes:
    document = docx.Document()
    for index, (style, runs) in enumerate(paragraphs):
        if table is not None and index == table_at:
            _table(document, table)
        p = document.add_paragraph(style=style)
        for text, bold in runs:
            p.add_run(text).bold = bold or None
    if table is not None and table_at >= len(paragraphs):
        _table(document, table)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document: docx.document.Document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, texts in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text


def _styles(data: bytes) -> list[str]:
    return [p.style.name if p.style else "" for p in docx.Document(io.BytesIO(data)).paragraphs]


def test_a_style_change_is_tracked_and_rejecting_restores_it() -> None:
    old = _document([("Normal", [("Objet du contrat", False)])])
    new = _document([("Heading 1", [("Objet du contrat", False)])])
    red = redline(old, new)
    assert "<w:pPrChange" in _main(red) and identical(old, new)
    assert _styles(accept_all(red)) == ["Heading 1"]
    assert _styles(reject_all(red)) == ["Normal"]


def test_formatting_of_kept_words_is_tracked_in_a_changed_paragraph() -> None:
    old = _document([("Normal", [("La commission est ", False), ("due", True),
                                 (" chaque mois.", False)])])
    new = _document([("Normal", [("La commission est ", False), ("due", False),
                                 (" chaque trimestre.", False)])])
    red = redline(old, new)
    assert re.search(r"<w:rPrChange [^>]+><w:rPr><w:b/></w:rPr></w:rPrChange>", _main(red))

    def bold_words(data: bytes) -> list[str]:
        return [r.text for p in docx.Document(io.BytesIO(data)).paragraphs for r in p.runs
                if r.bold]

    assert bold_words(accept_all(red)) == []
    assert bold_words(reject_all(red)) == ["due"]


def test_table_rows_added_are_tracked_as_rows_and_cells_word_by_word() -> None:
    old = _document([("Normal", [("Avant le tableau", False)])], [["a", "b"], ["c", "d"]], 1)
    new = _document([("Normal", [("Avant le tableau", False)])],
                    [["a", "b"], ["x", "y"], ["c", "d e"]], 1)
    red = redline(old, new)
    root = etree.fromstring(_parts(red)["word/document.xml"])
    rows = root.findall(".//w:tr", NS)
    assert [bool(r.xpath("w:trPr/w:ins", namespaces=NS)) for r in rows] == [False, True, False]
    assert [t.text for t in rows[2].xpath(".//w:ins//w:t", namespaces=NS)] == [" e"]
    assert [(c.kind, c.old, c.new) for c in compare(old, new)] == [
        ("added", "", "x | y"), ("changed", "c | d", "c | d e")]
    assert reading.paragraphs(reject_all(red)) == reading.paragraphs(old)


WORDS = st.sampled_from(["article", "commission", "Client", "15", "20", "%", "l’article",
                         "mois", ",", "jours", "Apporteur", " "])
RUNS = st.lists(st.tuples(st.lists(WORDS, max_size=6).map(" ".join), st.booleans()),
                max_size=3)
PARAGRAPHS = st.lists(st.tuples(st.sampled_from(["Normal", "Heading 1", "List Bullet"]), RUNS),
                      max_size=7)
TABLES = st.none() | st.integers(1, 3).flatmap(
    lambda cols: st.lists(st.lists(st.sampled_from(["", "a", "b c", "Pour l’Apporteur"]),
                                   min_size=cols, max_size=cols), min_size=1, max_size=3))


def _seen(document: bytes) -> list[str]:
    """The text a reader sees: a table row of empty cells reads as an empty line."""
    return [p if p.replace("|", "").strip() else "" for p in reading.paragraphs(document)]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=PARAGRAPHS, new=PARAGRAPHS, old_table=TABLES, new_table=TABLES,
       old_at=st.integers(0, 7), new_at=st.integers(0, 7))
# Found by hypothesis: a style change among identical empty paragraphs once
# came out as one paragraph removed and another added.
@example(old=[("Normal", []), ("Normal", []), ("Normal", [])],
         new=[("Normal", []), ("Heading 1", []), ("Normal", [])],
         old_table=None, new_table=None, old_at=0, new_at=0)
# A row with as many cells pairs with the most similar row, not the first one.
@example(old=[("Normal", [("Avant", False)])], new=[("Normal", [("Avant", False)])],
         old_table=[["a", "b"], ["c", "d"]], new_table=[["a", "b"], ["x", "y"], ["c", "d e"]],
         old_at=1, new_at=1)
# An empty paragraph become a table with one empty cell: a change of structure
# that no reader sees; identical() is about the text.
@example(
    old=[('Normal', [])],
    new=[],
    old_table=None,
    new_table=[['']],
    old_at=0,
    new_at=0,
)
# Likewise a row of empty cells: the reading helper joins cells with " | ", which is no
# text a reader sees.
@example(old=[], new=[("Normal", [])], old_table=[["", ""]], new_table=None,
         old_at=0, new_at=0)
def test_any_edit_round_trips(old, new, old_table, new_table, old_at, new_at) -> None:
    before = _document(old, old_table, old_at)
    after = _document(new, new_table, new_at)
    red = redline(before, after)
    assert reading.paragraphs(accept_all(red)) == reading.paragraphs(after)
    assert reading.paragraphs(reject_all(red)) == reading.paragraphs(before)
    assert _styles(accept_all(red)) == _styles(after)
    assert _styles(reject_all(red)) == _styles(before)
    # identical() compares what a reader sees: the text. compare() also reports a change
    # of structure with no text (an empty paragraph become an empty table): no changes
    # means identical, and identical means nothing visible changed.
    if compare(before, after) == []:
        assert identical(before, after)
    assert identical(before, after) == (_seen(before) == _seen(after))
    if identical(before, after):
        assert all(not (c.old or "").strip() and not (c.new or "").strip()
                   for c in compare(before, after))


# --- errors ----------------------------------------------------------------------------------


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, data)
    return out.getvalue()


BAD_DOCUMENTS = {
    "not-a-zip": (b"not a zip", "not a Word file"),
    "no-main-part": (_zip("readme.txt", b"x"), "no word/document.xml inside"),
    "broken-xml": (_zip("word/document.xml", b"<w:document"), "not well-formed XML"),
    "no-body": (_zip("word/document.xml", f'<w:document xmlns:w="{W}"/>'.encode()),
                "has no body"),
}


@pytest.mark.parametrize(("data", "message"), BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS)
def test_a_bad_document_is_a_located_error(pairs, data: bytes, message: str) -> None:
    good = pairs["clause-edited", False].old
    with pytest.raises(RedlineError, match=f"^NEW.docx: error: .*{message}"):
        redline(good, data, new_name="NEW.docx")
    with pytest.raises(RedlineError, match=f"^old document: error: .*{message}"):
        compare(data, good)
    with pytest.raises(RedlineError, match=f"^x.docx: error: .*{message}"):
        accept_all(data, name="x.docx")


def test_a_document_under_review_is_refused(pairs, tmp_path) -> None:
    pair = pairs["clause-edited", False]
    path = tmp_path / "revu.docx"
    path.write_bytes(pair.red)
    with pytest.raises(RedlineError, match=rf"^{re.escape(str(path))}: error: the document "
                                           "already carries tracked changes"):
        diff_text(pair.old, path, color=False)
    with pytest.raises(RedlineError, match="cannot read the document"):
        identical(tmp_path / "absent.docx", pair.old)
    with pytest.raises(RedlineError, match="author name"):
        redline(pair.old, pair.new, author="")


def test_accept_and_reject_leave_a_clean_document_alone(pairs) -> None:
    old = pairs["clause-edited", False].old
    for resolve in (accept_all, reject_all):
        assert reading.paragraphs(resolve(old)) == reading.paragraphs(old)


# --- what a reader sees in a PDF -------------------------------------------------------------


@needs_libreoffice
def test_the_redline_converts_to_pdf_with_the_changes_shown(pairs, tmp_path) -> None:
    pair = pairs["clause-added", False]
    path = tmp_path / "redline.docx"
    path.write_bytes(pair.red)
    (pdf,) = convert([path], tmp_path)
    assert 4 <= page_count(pdf) <= 10
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        # LibreOffice prints recorded changes: the old number struck next to the new one.
        assert "Non-sollicitation" in text
        assert re.search(r"Article 1314\s*– Durée", text)


def test_change_is_a_plain_value() -> None:
    change = Change("changed", 3, 4, "a b", "a c", ((" ", "a "), ("-", "b"), ("+", "c")), "")
    assert change.word_diff() == "a [-b-]{+c+}"
    assert change.header() == "@@ -3 +4 @@"
