"""Properties of every valid deal, drawn over the whole option space (issue 6).

For any deal :func:`strategies.deals` draws (every enum, the bounds of every
range, optional fields present or absent, names in any script):

* the loader reads back, as text, exactly what the file says;
* ``apport build`` (:func:`generator.build.build`) writes its documents, twice
  to the same bytes, and every XML part of them (and of the contract for the
  jurist, ``--review``) is well-formed;
* every value the documents show (party names, signers, client, places,
  addresses...) prints literally;
* the offer's rate, months, days and amounts are the contract's.

Profiles: ``ci`` by default, ``HYPOTHESIS_PROFILE=long`` for 2 000 examples
(see :mod:`hypothesis_profiles`).
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
import reading
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis_profiles import PROFILE
from lxml import etree
from strategies import (
    IN_CONTRACT,
    deal_files,
    deals,
    get,
    printed_pieces,
    shown_in_notice,
    shown_in_offer,
    yaml_text,
)

from generator import french
from generator.build import Sources, build, load_kit
from generator.contract import build_contract
from generator.deals import validate_loaded
from generator.library import BASE_DEAL
from generator.loading import load_bytes
from generator.model import Deal
from generator.offer import build_offer
from generator.terms import commission_on, example_months

NBSP = "\u00a0"
KIT = load_kit(Sources.default())

def validated(text: str) -> Deal:
    deal, diagnostics = validate_loaded(load_bytes(text.encode("utf-8"), "deal.yaml"))
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    assert deal is not None and not errors, errors
    return deal


def well_formed(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))  # raises on any XML error


def table_rows(data: bytes) -> list[str]:
    """Every table row of a document, its cells joined by `` | `` (each cell once: a merged
    cell is one cell, two cells with the same text are two)."""
    rows = []
    for table in docx.Document(io.BytesIO(data)).tables:
        for row in table.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    cells.append(cell.text.strip())
            rows.append(" | ".join(cells))
    return rows


def document_text(data: bytes) -> str:
    return reading.text(data) + reading.header_footer_text(data)


def assert_shows(data: bytes, deal: dict[str, Any], paths: list[str], what: str) -> None:
    body = document_text(data)
    for path in paths:
        value = get(deal, path)
        if value is None:
            continue
        for piece in printed_pieces(value):
            assert piece in body, f"{path} = {piece!r} is not in the {what}"


# --- the loader ---------------------------------------------------------------------------------


@pytest.mark.slow
@PROFILE
@given(deal=deals(), plain=st.booleans())
def test_the_loader_reads_every_value_as_the_text_written(deal: dict[str, Any],
                                                          plain: bool) -> None:
    loaded = load_bytes(yaml_text(deal, plain=plain).encode("utf-8"), "deal.yaml")
    assert loaded.diagnostics == []
    assert loaded.data == deal
    validated(yaml_text(deal, plain=plain))


# --- build: well-formed, literal, deterministic ---------------------------------------------------


@pytest.mark.slow
@PROFILE
@given(drawn=deal_files())
@example(drawn=(BASE_DEAL, yaml_text(BASE_DEAL)))
def test_every_valid_deal_builds_well_formed_literal_and_identical_twice(
        drawn: tuple[dict[str, Any], str]) -> None:
    deal, text = drawn
    model = validated(text)
    with tempfile.TemporaryDirectory(prefix="apport-prop-") as tmp:
        folder = Path(tmp)
        (folder / "deals").mkdir()
        (folder / "deals" / "deal.yaml").write_text(text, encoding="utf-8")
        reports = [build([folder / "deals"], folder / out, jobs=1, review=out == "review")
                   for out in ("a", "b", "review")]
        for report in reports:
            assert report.ok, (report.failures, [d.error for d in report.documents])
        names = sorted(p.name for p in (folder / "a").glob("*.docx"))
        expected = ((["deal.contrat.docx"] if model.has_commission else [])
                    + ["deal.client.docx", "deal.offre.docx"])
        assert names == sorted(expected)
        documents = {name: (folder / "a" / name).read_bytes() for name in names}
        for name, data in documents.items():
            assert (folder / "b" / name).read_bytes() == data, f"{name} differs between builds"
            well_formed(data)
        if model.has_commission:
            review = (folder / "review" / "deal.contrat.docx").read_bytes()
            well_formed(review)
            assert_shows(review, deal, IN_CONTRACT, "contract for the jurist")

    reference = deal.get("reference", "deal")
    offer = documents["deal.offre.docx"]
    assert reference in reading.header_footer_text(offer)
    assert_shows(offer, deal, shown_in_offer(model), "offer")
    notice = documents["deal.client.docx"]
    assert reference in reading.header_footer_text(notice)
    assert_shows(notice, deal, shown_in_notice(model), "client notice")
    if model.has_commission:
        contract = documents["deal.contrat.docx"]
        assert reference in reading.header_footer_text(contract)
        assert_shows(contract, deal, IN_CONTRACT, "contract")


# --- the offer's figures are the contract's -------------------------------------------------------

PERCENT = re.compile(r"\d+(?:,\d+)?\u00a0%")


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", NBSP).replace(".", ",") + NBSP + "€"


def _percents_outside(body: str, values: list[str]) -> set[str]:
    """The percentages written in ``body`` that are not (part of) a deal value."""
    taken = [range(m.start(), m.end()) for v in values if v
             for m in re.finditer(re.escape(v), body)]
    return {m.group() for m in PERCENT.finditer(body)
            if not any(m.start() < r.stop and r.start < m.end() for r in taken)}


def _texts(deal: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for value in deal.values():
        if isinstance(value, dict):
            out += _texts(value)
        elif isinstance(value, str):
            out += printed_pieces(value)
    return out


@pytest.mark.slow
@PROFILE
@given(deal=deals(commission=True))
def test_the_offers_figures_are_the_contracts(deal: dict[str, Any]) -> None:
    model = validated(yaml_text(deal))
    contract_data = build_contract(model, reference="REF", library=KIT.contract_library,
                                   template=KIT.contract_template).data
    offer_data = build_offer(model, reference="REF", library=KIT.offer_library,
                             template=KIT.offer_template).data
    offer, contract = reading.text(offer_data), reading.text(contract_data)
    plain_offer, plain_contract = offer.replace(NBSP, " "), contract.replace(NBSP, " ")

    rate = model.commission.rate
    figures = f"{rate.normalize():f}".replace(".", ",") + NBSP + "%"
    assert figures in offer and figures in contract
    # every rate the offer shows is in the contract (VAT, 100 % and the values typed aside)
    values = _texts(deal)
    kept = f"{(100 - rate).normalize():f}".replace(".", ",") + NBSP + "%"
    assert _percents_outside(offer, values) - {f"20{NBSP}%", f"100{NBSP}%", kept} <= \
        _percents_outside(contract, values) | {figures}
    days = model.commission.payment_days
    if days:  # 0: see test_zero_payment_days_read_the_same_in_both
        assert f"({days}) jour" in plain_offer and f"({days}) jour" in plain_contract
    assert model.duration is not None
    months = model.duration.commission_months
    if months:
        assert f"({months}) mois" in plain_offer and f"({months}) mois" in plain_contract

    revenue = model.client.estimated_revenue
    if revenue is None:
        assert f"montant × {figures}" in offer and f"montant × {kept}" in offer
        return
    per = commission_on(model, revenue)
    assert per == (revenue * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    row = f"{_money(revenue)} | {_money(per)} | {_money(revenue - per)}"
    rows = table_rows(offer_data)
    if model.duration.mission == "one_shot":
        assert f"Mission | {row}" in rows, rows
    else:
        counted = example_months(model)
        assert months is not None
        total = f"{_money(revenue * months)} | {_money(per * counted)} | " \
                f"{_money(revenue * months - per * counted)}"
        total_row = f"Total sur {french.count(months, 'mois', 'mois')} | {total}"
        assert (total_row in rows) == (months > 1), rows
        if counted == months:
            assert f"Chaque mois | {row}" in rows, rows


def test_zero_payment_days_read_the_same_in_both() -> None:
    deal = {**BASE_DEAL, "commission": {**BASE_DEAL["commission"], "payment_days": "0"}}
    model = validated(yaml_text(deal))
    contract = reading.text(build_contract(model, reference="REF", library=KIT.contract_library,
                                           template=KIT.contract_template).data)
    offer = reading.text(build_offer(model, reference="REF", library=KIT.offer_library,
                                     template=KIT.offer_template).data)
    assert "dès sa réception" in contract and "zéro (0)" not in contract
    assert "zéro (0)" not in offer, "the offer says « dans un délai de zéro (0) jour »"
