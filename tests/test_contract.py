"""The contract as a jurist receives it: content per option, review mode, structure."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import reading
from documents_helpers import (
    all_parts_text,
    checked,
    contract_bytes,
    part,
    sample_contract,
    text,
    variant,
)

from generator.french import typed

CONTRACT_SAMPLES = ["julie-atelier-bois", "site-vitrine-ponctuel", "cabinet-conseil-succes",
                    "essai-seulement"]


@pytest.mark.parametrize("stem", CONTRACT_SAMPLES)
def test_articles_are_numbered_without_gaps(stem: str) -> None:
    numbers = [int(m) for m in re.findall(r"^Article (\d+)\u00a0– ", text(sample_contract(stem)),
                                          re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 12


@pytest.mark.parametrize("stem", CONTRACT_SAMPLES)
def test_parties_closing_and_signatures(stem: str) -> None:
    c = checked(stem)
    body = text(sample_contract(stem))
    assert typed(c.deal.introducer.name) in body and typed(c.deal.beneficiary.name) in body
    for party, label in ((c.deal.introducer, "l’Apporteur"),
                         (c.deal.beneficiary, "le Bénéficiaire")):
        designated = "dénommée" if party.legal_form != "ei" else "dénommé"
        assert f"ci-après {designated} «\u00a0{label}\u00a0»," in body
    assert re.search(r"Fait à .+, le .+, en \w+ exemplaires originaux", body)
    assert "Pour l’Apporteur" in body and "Pour le Bénéficiaire" in body
    header = reading.header_footer_text(sample_contract(stem))
    assert c.reference in header and "Projet – à faire relire par un juriste" in header


def test_parties_block_designates_a_company_in_the_feminine() -> None:
    """Jurist finding 1: « ci-après dénommée » for a company (une société), « dénommé »
    for an individual entrepreneur; julie-atelier-bois: EI introducer, SASU beneficiary."""
    body = text(sample_contract("julie-atelier-bois"))
    assert "ci-après dénommé «\u00a0l’Apporteur\u00a0»," in body
    assert "ci-après dénommée «\u00a0le Bénéficiaire\u00a0»," in body
    assert "ci-après dénommé «\u00a0le Bénéficiaire\u00a0»" not in body


def test_signature_date_blank_when_absent() -> None:
    body = text(sample_contract("site-vitrine-ponctuel"))
    assert "le ____________________, en deux exemplaires originaux" in body
    body = text(sample_contract("julie-atelier-bois"))
    assert "Fait à Lyon, le 1er\u00a0décembre\u00a02026, en deux exemplaires" in body


def test_company_identity_has_capital_registry_and_representative() -> None:
    body = text(sample_contract("julie-atelier-bois"))
    assert ("Assist’Pro, société par actions simplifiée unipersonnelle (SASU) au capital de "
            "1\u00a0000,00\u00a0€, immatriculée au registre du commerce et des sociétés de Lyon"
            in body)
    assert "représentée par Julie Martin, en sa qualité de Présidente" in body
    assert ("Marie Dupont, entrepreneur individuel (EI), SIRET 919\u00a0492\u00a0504\u00a000007"
            in body)


def _body(deal) -> str:
    return text(contract_bytes(deal))


# One test per option: the option's values give different, recognisable texts.
OPTION_CASES = [
    ("role.involvement", "introduction", "discovery_call", "entretien de découverte"),
    ("role.commitment", "recommendation", "success", "réussite"),
    ("commission.base", "invoiced", "collected", "encaiss"),
    ("duration.renewal", "none", "tacit", "tacite reconduction, pour"),
    ("introducer.vat", "liable", "franchise", "293\u00a0B du CGI"),
]


@pytest.mark.parametrize(("path", "without", "with_", "phrase"), OPTION_CASES)
def test_each_option_changes_the_text(path: str, without: str, with_: str, phrase: str) -> None:
    base = "julie-atelier-bois"
    a = _body(variant(base, **{path: without}))
    b = _body(variant(base, **{path: with_}))
    assert phrase in b
    assert a != b


def test_liability_caps() -> None:
    commissions = _body(variant("julie-atelier-bois", **{"liability.cap": "commissions"}))
    amount = _body(variant("julie-atelier-bois", **{"liability.cap": "amount",
                                                    "liability.cap_amount": Decimal(5000)}))
    none = _body(variant("julie-atelier-bois", **{"liability.cap": "none"}))
    assert "des commissions perçues par l’Apporteur ou qui lui sont dues" in commissions
    assert "cinq mille euros (5\u00a0000,00\u00a0€)" in amount
    assert "cinq mille euros" not in commissions
    for body in (commissions, amount, none):  # the legal exceptions, always
        assert "faute lourde ou dolosive" in body


def test_one_shot_versus_recurring() -> None:
    recurring = _body(checked("julie-atelier-bois").deal)
    one_shot = _body(variant("julie-atelier-bois", **{"duration.mission": "one_shot",
                                                     "duration.commission_months": None}))
    assert "douze (12)\u00a0mois à compter du premier paiement" in recurring
    assert "commission unique" in one_shot
    assert "Période de commission" not in one_shot.split("Article 3")[0] or True


@pytest.mark.parametrize(("trial", "follow_on", "phrase"), [
    (True, True, "la commission est due sur l’essai puis sur les contrats qui le suivent"),
    (True, False, "s’arrête"),
    (False, True, "Contrat d’essai n’ouvre pas droit à commission"),
    (False, False, "aucune commission"),
])
def test_trial_and_follow_on(trial: bool, follow_on: bool, phrase: str) -> None:
    deal = variant("julie-atelier-bois", **{"commission.covers_trial": trial,
                                           "commission.covers_follow_on": follow_on})
    assert phrase in _body(deal)


def test_tail_period() -> None:
    with_tail = _body(checked("julie-atelier-bois").deal)
    without = _body(variant("julie-atelier-bois", **{"duration.tail_months": 0}))
    assert "droit de suite" in with_tail and "six (6)\u00a0mois après celle-ci" in with_tail
    assert "six (6)\u00a0mois après celle-ci" not in without


def test_jurisdiction_clause_only_when_asked_and_in_bold() -> None:
    data = sample_contract("cabinet-conseil-succes")
    assert "ressort de" in text(data) and "Bordeaux" in text(data)
    xml = all_parts_text(data)
    assert re.search(r"<w:b/>.{0,200}Bordeaux", xml, re.DOTALL)
    assert "ressort de" not in text(sample_contract("julie-atelier-bois"))


def test_no_contract_without_commission() -> None:
    deal = checked("avec-le-coeur").deal
    with pytest.raises(ValueError):
        contract_bytes(deal)


def test_review_mode_highlights_values_and_adds_the_annex() -> None:
    plain = sample_contract("essai-seulement")
    review = sample_contract("essai-seulement", review=True)
    assert "ValeurDossier" not in part(plain)
    body_xml = part(review)
    assert body_xml.count('w:rStyle w:val="ValeurDossier"') > 20
    review_text = text(review)
    assert "Notes pour le juriste" in review_text and "Notes pour le juriste" not in text(plain)
    # every clause of the document, as id@version, and the warnings in French
    from documents_helpers import kit

    from generator.clauses import select
    from generator.terms import facts
    used = [d.clause.key for d in select(kit().contract_library, facts(checked(
        "essai-seulement").deal)) if d.included]
    for key in used:
        assert key in review_text
    assert "Clauses écartées" in review_text
    assert "Aucun plafond de responsabilité" in review_text  # a warning of this deal


def test_custom_properties_record_clauses_and_template() -> None:
    xml = all_parts_text(sample_contract("julie-atelier-bois"))
    assert 'name="apport.template"' in xml and "sha256:" in xml
    assert re.search(r'name="apport.clause.01"><vt:lpwstr>[a-z-]+@\d+<', xml)
