"""The offer sheet: what the referred assistant reads, from the same terms as the contract."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from click.testing import CliRunner
from documents_helpers import (
    SAMPLES,
    all_parts_text,
    checked,
    offer_bytes,
    sample_contract,
    sample_offer,
    text,
    variant,
)

from generator.cli import cli
from generator.terms import commission_on, example_months

STEMS = [p.stem for p in SAMPLES]


@pytest.mark.parametrize("stem", STEMS)
def test_client_named_only_when_allowed(stem: str) -> None:
    deal = checked(stem).deal
    data = offer_bytes(deal, "REF")
    everything = all_parts_text(data)
    name = deal.client.name
    escaped = name.replace("&", "&amp;").replace("'", "&#x27;")
    present = name in everything or escaped in everything
    assert present == deal.client.named_in_offer
    # and the other way round, for the same deal
    flipped = variant(stem, **{"client.named_in_offer": not deal.client.named_in_offer})
    everything = all_parts_text(offer_bytes(flipped, "REF"))
    assert (name in everything or escaped in everything) == flipped.client.named_in_offer


def _percents(body: str) -> set[str]:
    return set(re.findall(r"\d+(?:,\d+)?\u00a0%", body))


@pytest.mark.parametrize("stem", [s for s in STEMS if s != "avec-le-coeur"])
def test_offer_figures_are_the_contracts(stem: str) -> None:
    deal = checked(stem).deal
    offer = text(sample_offer(stem))
    contract = text(sample_contract(stem))
    plain_offer, plain_contract = offer.replace("\u00a0", " "), contract.replace("\u00a0", " ")
    rate = f"{deal.commission.rate.normalize():f}".replace(".", ",") + "\u00a0%"
    assert rate in offer and rate in contract
    # every rate shown in the offer is in the contract (VAT and 100 % aside)
    assert _percents(offer) - {"20\u00a0%", "100\u00a0%"} <= _percents(contract)
    # the commission months
    if deal.duration.commission_months:
        months = f"({deal.duration.commission_months}) mois"
        assert months in plain_offer and months in plain_contract
    # payment days
    days = f"({deal.commission.payment_days}) jours"
    assert days in plain_offer and days in plain_contract
    # the worked example: commission = revenue x rate, total over the counted months
    revenue = deal.client.estimated_revenue
    if revenue is not None:
        per = commission_on(deal, revenue)
        months = 1 if deal.duration.mission == "one_shot" else example_months(deal)
        total = f"{per * months:,.2f}".replace(",", "\u00a0").replace(".", ",")
        assert total + "\u00a0€" in offer


def test_example_without_estimate_gives_the_formula() -> None:
    deal = variant("julie-atelier-bois", **{"client.estimated_revenue": None})
    body = text(offer_bytes(deal))
    assert "montant × 15\u00a0%" in body and "montant × 85\u00a0%" in body


def test_trial_only_says_the_commission_stops() -> None:
    body = text(sample_offer("essai-seulement"))
    assert "s’arrête après l’essai" in body
    assert "Mois d’essai | 800,00\u00a0€ | 160,00\u00a0€ | 640,00\u00a0€" in body
    assert "Chaque mois suivant | 800,00\u00a0€ | 0,00\u00a0€ | 800,00\u00a0€" in body


def test_one_shot_has_one_line_and_a_single_commission() -> None:
    body = text(sample_offer("site-vitrine-ponctuel"))
    assert "Mission | 1\u00a0500,00\u00a0€ | 150,00\u00a0€ | 1\u00a0350,00\u00a0€" in body
    assert "une seule commission" in body
    assert "Chaque mois" not in body


def test_zero_commission_says_so_plainly() -> None:
    body = text(sample_offer("avec-le-coeur"))
    assert "aucune commission" in body.lower()
    assert "Exemple" not in body and "%" not in body


def test_message_paragraphs_are_kept() -> None:
    body = text(sample_offer("julie-atelier-bois"))
    assert "Bonjour Julie," in body.splitlines()
    assert "Marie" in body.splitlines()


def test_the_beneficiary_may_refuse_and_run_her_own_call() -> None:
    body = text(sample_offer("julie-atelier-bois"))
    assert "refuser ce client" in body and "votre propre appel découverte" in body


def test_offer_command_prints_the_same_offer_as_text() -> None:
    result = CliRunner().invoke(cli, ["offer", str(SAMPLES[0])])
    assert result.exit_code == 0, result.output
    docx_text = text(sample_offer(SAMPLES[0].stem))
    for line in ("Qui vous recommande", "Le client", "Et maintenant"):
        assert line in result.output and line in docx_text


def test_offer_command_refuses_an_invalid_deal(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("introducer: [\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["offer", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output and "Traceback" not in result.output


def test_rate_in_words_in_contract() -> None:
    deal = variant("julie-atelier-bois", **{"commission.rate": Decimal("12.5")})
    assert "12,5\u00a0% (douze virgule cinq pour cent)" in text(offer_bytes(deal))
