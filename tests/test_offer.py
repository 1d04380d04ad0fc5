"""The offer sheet: what the referred assistant reads, from the same terms as the contract."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from documents_helpers import (
    SAMPLES,
    all_parts_text,
    checked,
    notice_bytes,
    offer_bytes,
    sample_contract,
    sample_offer,
    text,
    variant,
)
from quick import quick_cases

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


# --- issue 11: the offer says what the contract says, plainly ----------------------------------

from generator.library import option_deals  # noqa: E402
from generator.model import Deal  # noqa: E402
from generator.offer import offer_text  # noqa: E402
from generator.terms import derive  # noqa: E402


def _flat(body: str) -> str:
    return " ".join(body.replace("\u00a0", " ").replace("\u202f", " ").split())


def _matrix() -> list[tuple[str, Deal]]:
    return [(str(label), Deal.model_validate(data)) for label, data in option_deals()]


MATRIX = _matrix()
# the quick run keeps two combinations with a commission and the one without; the
# full run, all of them
QUICK = {MATRIX[0][0], MATRIX[1][0], MATRIX[-1][0]}


def _cases(rows: list[tuple[str, Deal]]) -> list[Any]:
    return quick_cases(rows, lambda row: row[0] in QUICK, single=False)


def _offer(deal: Deal) -> str:
    return _flat(text(offer_bytes(deal, "REF")))


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX), ids=[m[0][:40] for m in MATRIX])
def test_the_offer_states_every_obligation_of_the_beneficiary(label: str, deal: Deal) -> None:
    body = _offer(deal)
    if not deal.has_commission:
        assert "apport d’affaires" not in body and "contrat signé" not in body, label
        assert "aucun contrat à signer" in body, label
        return
    t = derive(deal, reference="REF")
    for needed in (
        f"dans les {t.commission.notify_days} de sa signature",  # notify each contract
        f"plus tard le {t.commission.statement_day} de chaque mois",  # monthly statement
        "conserver les pièces",  # records
        "article 14 du RGPD",  # the client's personal-data notice
        f"{t.obligations.confidentiality} après sa fin",  # confidentiality and its length
        "ne pas contourner",  # non-circumvention...
        t.duration.until,  # ...and its window
        "déclaration DAS2",
        # the payment sequence: statement -> invoice -> payment, deadline, late costs
        "relevé", "vous facture ses commissions", f"au plus tard {t.commission.payment_ceiling}",
        t.commission.due, t.commission.recovery_indemnity, "pénalités",
        # what happens when the client leaves or never pays, who ends it, what stays owed
        "Le client ne vous paie pas", "Le client arrête de travailler avec vous",
        "Qui peut y mettre fin", f"{t.obligations.cure} qui suivent une mise en demeure",
        # length, jurisdiction, liability
        f"conclu pour {t.duration.agreement}", "droit français", "injonction de payer",
        "Pour accepter", "Pour refuser",
    ):
        assert _flat(needed) in body, (needed, label)
    assert ("Ne prenez pas contact avec lui" in body) == (not deal.client.informed), label
    if t.duration.early_ending:
        assert f"en prévenant l’autre au moins {_flat(t.duration.notice)} à l’avance" in body
    assert ("se renouvelle tacitement" in body) == t.duration.renewal, label
    assert ("ne fait jamais recommencer ni rouvrir" in body) == (
        t.duration.renewal and t.duration.recurring), label
    if t.duration.tail:
        assert f"au plus tard {_flat(t.duration.tail)} après cette fin donne encore lieu" in body
        assert "manquement grave de l’apporteur" in body, label
    else:
        assert "pas de droit de suite" in body, label
    cap = {"commissions": _flat(t.liability.floor), "none": "ne plafonne pas",
           "amount": _flat(t.liability.amount or "")}[t.liability.cap]
    assert cap in body, label
    if t.jurisdiction:
        assert f"tribunal compétent de {t.jurisdiction}" in body, label


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX), ids=[m[0][:40] for m in MATRIX])
def test_never_invented_never_repeated_never_overclaimed(label: str, deal: Deal) -> None:
    body = _offer(deal)
    assert "faute de disponibilité" not in body, label  # no deal says so
    assert "reprend exactement" not in body, label  # the offer is a summary
    assert "avant le " not in body.replace("avant le signer", ""), label  # "au plus tard le"
    name = deal.introducer.name
    for paragraph in text(offer_bytes(deal, "REF")).splitlines():
        for sentence in re.split(r"(?<=[.!?:;])\s", paragraph):
            assert sentence.count(name) <= 1, (sentence, label)


@pytest.mark.parametrize(("label", "deal"), _cases(
    [m for m in MATRIX if m[1].has_commission]),
                         ids=[m[0][:40] for m in MATRIX if m[1].has_commission])
def test_the_two_bases_really_differ(label: str, deal: Deal) -> None:
    body = _offer(deal)
    if deal.commission.base == "invoiced":
        assert "que le client paie ou non" in body and "risque d’impayé" in body, label
        # (a cell of the table « Ce qui arrive / Ce qui reste dû »: capitalised)
        assert "La commission reste due sur ce que vous lui avez facturé" in body, label
        assert "qu’il les ait déjà réglées" not in body, label
    else:
        assert "n’est jamais due sur une somme qu’il ne paie pas" in body, label
        assert "que le client paie ou non" not in body, label


def test_one_shot_with_follow_on_says_how_long() -> None:
    deal = variant("site-vitrine-ponctuel", **{"commission.covers_follow_on": True,
                                               "duration.tail_months": 3})
    body = _offer(deal)
    assert ("Chaque nouvelle mission que vous signez avec le client pendant la durée du "
            "contrat ou au plus tard trois (3) mois après sa fin donne lieu à sa propre "
            "commission unique") in body
    without = _offer(variant("site-vitrine-ponctuel", **{"commission.covers_follow_on": False}))
    assert "Les missions suivantes ne donnent lieu à aucune commission" in without


def test_a_single_commission_month_with_follow_on_is_not_called_a_trial() -> None:
    deal = variant("julie-atelier-bois", **{"duration.commission_months": 1})
    body = _offer(deal)
    assert "seul ce mois d’essai" not in body and "seul le mois d’essai" not in body
    assert "de commission au total sur un (1) mois" in body


def test_the_trial_is_defined_objectively() -> None:
    body = _offer(variant("julie-atelier-bois", **{"commission.covers_trial": False}))
    assert "désigné par écrit comme un essai, d’une durée d’au plus un (1) mois" in body
    assert "ne fait pas commencer la période de commission" in body


def test_a_beneficiary_under_the_franchise_sees_what_she_really_pays() -> None:
    deal = variant("julie-atelier-bois", **{"introducer.vat": "liable",
                                            "beneficiary.vat": "franchise",
                                            "beneficiary.vat_number": None})
    body = _offer(deal)
    # 15 % of 600 = 90 HT, 108 TTC; over 12 months 1 296 TTC; she keeps 492
    assert "vous coûte en réalité 108,00 € TTC, soit 1 296,00 € TTC au total" in body
    assert "vous gardez 492,00 €" in body
    liable = _offer(variant("julie-atelier-bois", **{"introducer.vat": "liable"}))
    assert "en réalité" not in liable


def test_the_rounding_is_explained() -> None:
    assert "arrondis au centime pour chaque paiement" in _offer(checked("julie-atelier-bois").deal)


def test_das2_reaches_the_beneficiary_with_the_estimate() -> None:
    body = _offer(checked("cabinet-conseil-succes").deal)
    assert "déclaration DAS2" in body and "4 320,00 € TTC sur douze mois" in body


def test_rate_zero_sheet_has_no_contract_in_its_header() -> None:
    import reading

    data = sample_offer("avec-le-coeur")
    assert "contrat signé" not in reading.header_footer_text(data)
    assert "contrat signé" in reading.header_footer_text(sample_offer("julie-atelier-bois"))


def test_offer_text_and_word_say_the_same() -> None:
    c = checked("julie-atelier-bois")
    plain = _flat(offer_text(c.deal, reference=c.reference,
                             library=load_kit_offer_library()))
    word = _offer(c.deal)
    for phrase in ("Qui peut y mettre fin", "Vos engagements si vous acceptez",
                   "plus tard le dix (10) de chaque mois"):
        assert phrase in plain and phrase in word


def load_kit_offer_library():
    from documents_helpers import kit

    return kit().offer_library


# --- second reading (helper "reader"): the offer read as the referred assistant -------------

def _hand(**changes: object) -> Deal:
    """A matrix base deal with some fields changed (dotted paths; None removes)."""
    import copy

    from generator.library import BASE_DEAL

    data = copy.deepcopy(BASE_DEAL)
    for path, value in changes.items():
        section, key = path.split(".")
        if value is None:
            data[section].pop(key, None)
        else:
            data[section][key] = value
    return Deal.model_validate(data)


def _zero(**changes: object) -> Deal:
    import copy

    from generator.library import BASE_DEAL

    data = copy.deepcopy(BASE_DEAL)
    data["commission"] = {"rate": "0"}
    del data["liability"], data["duration"]
    for path, value in changes.items():
        section, key = path.split(".")
        data[section][key] = value
    return Deal.model_validate(data)


@pytest.mark.parametrize(("label", "deal"), _cases(
    [m for m in MATRIX if m[1].has_commission]),
                         ids=[m[0][:40] for m in MATRIX if m[1].has_commission])
def test_the_opening_and_the_one_shot_payments_follow_the_base(label: str, deal: Deal) -> None:
    # The first paragraph said « une commission sur ce qu'il vous paie » and a one-shot
    # commission was « versée au fur et à mesure des règlements » even on the invoiced base,
    # where the contract pays it on each invoice, paid or not.
    body = _offer(deal)
    if deal.commission.base == "invoiced":
        assert "une commission sur ce que vous facturez au client" in body, label
        assert "ce qu’il vous paie" not in body and "des règlements" not in body, label
        if deal.duration and deal.duration.mission == "one_shot":
            assert "au fur et à mesure de vos factures au client, qu’il les règle ou non" in body
    else:
        assert "une commission sur ce que le client vous paie" in body, label
        if deal.duration and deal.duration.mission == "one_shot":
            assert "au fur et à mesure des règlements du client" in body, label


@pytest.mark.parametrize(("label", "deal"), _cases(
    [m for m in MATRIX if m[1].has_commission]),
                         ids=[m[0][:40] for m in MATRIX if m[1].has_commission])
def test_a_renewal_of_a_one_shot_agreement_speaks_of_missions(label: str, deal: Deal) -> None:
    # A one-shot agreement has no « période de commission » in the offer: its renewal
    # must say that a mission already commissioned never earns a second commission.
    body = _offer(deal)
    t = derive(deal, reference="REF")
    assert t.duration is not None
    if t.duration.renewal and not t.duration.recurring:
        assert "ne fait jamais naître une nouvelle commission sur une mission" in body, label
        assert ("seules les nouvelles missions signées pendant la période renouvelée"
                in body) == t.commission.covers_follow_on, label


def test_counts_of_one_elide_and_read_naturally() -> None:
    # « un préavis de un (1) jour », « dans les un (1) mois qui suivent »
    deal = _hand(**{"duration.notice_days": "1", "duration.tail_months": "1",
                    "duration.agreement_months": "1", "duration.renewal": "tacit",
                    "duration.commission_months": "1"})
    body = _offer(deal)
    assert not re.search(r"\bde un\b|\bles un\b", body), re.findall(r".{30}\b(?:de|les) un\b.{20}",
                                                                 body)
    assert "en prévenant l’autre au moins un (1) jour à l’avance" in body
    assert "au plus tard un (1) mois après cette fin" in body
    notice = _flat(text(notice_bytes(deal, "REF")))
    assert not re.search(r"\bde un\b|\bles un\b", notice)


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX), ids=[m[0][:40] for m in MATRIX])
def test_the_introducer_is_never_il(label: str, deal: Deal) -> None:
    # « Il ne propose jamais de solution » spoke of Marie Dupont as « il ».
    body = _offer(deal)
    assert "Il ne propose" not in body, label
    if deal.role.commitment == "success":
        assert "sans jamais proposer de solution ni de conditions à votre place" in body, label


def test_success_without_commission_promises_no_commission_period() -> None:
    # Rate 0 has no contract, so no commission period for the follow-up to last.
    deal = _zero(**{"role.commitment": "success"})
    body = _offer(deal)
    assert "période de commission" not in body and "contrat d’apport" not in body
    assert "suivre la réussite" in body and "sans engagement de durée" in body
    notice = _flat(text(notice_bytes(deal, "REF")))
    assert "mon contrat" not in notice and "médiateur indépendant" in notice


@pytest.mark.parametrize(("label", "deal"), _cases(
    [m for m in MATRIX if m[1].has_commission]),
                         ids=[m[0][:40] for m in MATRIX if m[1].has_commission])
def test_the_payment_sequence_is_the_contracts(label: str, deal: Deal) -> None:
    # The contract: an invoice is payable when the commission falls due or, if it arrives
    # later, N days after receipt (at once when N is 0), and within 60 days of its date.
    body = _offer(deal)
    t = derive(deal, reference="REF")
    late = ("dès sa réception" if t.commission.payment_days_number == 0
            else f"{_flat(t.commission.payment_days)} après sa réception")
    assert ("vous réglez chaque facture à la date où la commission est due ou, si la facture "
            f"vous parvient plus tard, {late}, et en tout cas au plus tard "
            f"{_flat(t.commission.payment_ceiling)} après sa date") in body, label
    assert "Vous devez, sans qu’un rappel soit nécessaire, des pénalités de retard" in body


@pytest.mark.parametrize(("label", "deal"), _cases(
    [m for m in MATRIX if m[1].has_commission]),
                         ids=[m[0][:40] for m in MATRIX if m[1].has_commission])
def test_the_beneficiary_knows_the_client_is_told_the_rate(label: str, deal: Deal) -> None:
    body = _offer(deal)
    assert "le taux de la commission et sa durée" in body, label


def test_the_list_of_engagements_is_punctuated_as_one_list() -> None:
    # Every item but the last ends with « ; », the last with « . » (the non-circumvention
    # item ended with a full stop in the middle of the list).
    from generator.offer import render_offer

    for label, deal in MATRIX:
        if not deal.has_commission:
            continue
        _, rendered = render_offer(deal, reference="REF",
                                   library=load_kit_offer_library())
        section = next(a for a in rendered.articles if a.id == "engagements")
        items = [b.text.rstrip() for b in section.blocks if b.bullet]
        assert all(i.endswith(";") for i in items[:-1]), (label, items)
        assert items[-1].endswith("."), label
