"""Reader finding 1: « what stays owed » as a small two-column table in the offer sheet
(a generic section table of the offer template, filled for the section « fin »)."""

from __future__ import annotations

import io

import pytest
from documents_helpers import offer_bytes, sample_offer, variant
from docx import Document

from generator.build import Sources, load_kit
from generator.offer import offer_text

HEADER = ["Ce qui arrive", "Ce qui reste dû"]


def _owed_table(data: bytes):
    doc = Document(io.BytesIO(data))
    tables = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == HEADER]
    assert len(tables) == 1, [[c.text for c in t.rows[0].cells] for t in doc.tables]
    return doc, tables[0]


@pytest.mark.parametrize("stem", ["julie-atelier-bois", "site-vitrine-ponctuel"])
def test_what_stays_owed_is_a_two_column_table(stem: str) -> None:
    doc, table = _owed_table(sample_offer(stem))
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert len(rows) >= 4
    assert all(len(row) == 2 and row[0] and row[1] for row in rows)
    assert any(row[0] == "Le client ne vous paie pas" for row in rows)
    assert not any(row[1].startswith((":", "\u00a0:")) for row in rows)
    for row in table.rows:
        first, second = row.cells
        assert first.paragraphs[0].style.name == "Texte de tableau"
        assert second.paragraphs[0].style.name == "Texte de tableau"
        assert all(run.bold for run in first.paragraphs[0].runs if run.text.strip())
    # the rows are no longer bullets of the section too
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert not any(text.startswith("Le client ne vous paie pas") for text in bullets)


def test_the_table_keeps_the_deals_values_and_the_plain_text_keeps_its_bullets() -> None:
    deal = variant("julie-atelier-bois", **{"duration.tail_months": 6})
    _doc, table = _owed_table(offer_bytes(deal))
    assert any("six (6)\u00a0mois" in row.cells[1].text for row in table.rows)
    plain = offer_text(deal, reference="R", library=load_kit(Sources.default()).offer_library)
    assert "  • Le client ne vous paie pas : " in plain


def test_a_rate_zero_offer_has_no_such_table() -> None:
    data = offer_bytes(variant("julie-atelier-bois", **{"commission.rate": 0}))
    doc = Document(io.BytesIO(data))
    assert not any([c.text for c in t.rows[0].cells] == HEADER for t in doc.tables)
