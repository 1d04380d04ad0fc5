"""The contract's legal substance (issue 11): each finding, then the jurist's checklist.

The finding tests render the clause library for a sample with one or two
options changed and check the phrase a jurist would look for, per option
combination; each fails on the wording the issue reported. The checklist
test builds the Word contract of every deal of the pairwise option matrix
(:func:`generator.library.option_deals`) and checks the 11 points of
``DOMAIN.md`` on its text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from documents_helpers import contract_bytes, text
from test_clause_library import DELETE, make_deal, plain, render, text_of

from generator import french, terms
from generator.library import option_deals
from generator.model import Deal

ONE_SHOT = {"duration.mission": "one_shot", "duration.commission_months": DELETE}
FOLLOW_ON_ONLY = {"commission.covers_trial": "false", "commission.covers_follow_on": "true"}


def article(text: str, title: str) -> str:
    """One article of a contract's text, from its heading to the next one."""
    match = re.search(rf"Article \d+ – {re.escape(title)}\n(.*?)(?=\nArticle \d+ – |\Z)",
                      text, re.S)
    assert match, f"no article {title!r}"
    return match.group(1)


# --- 1. the liability cap has a floor ------------------------------------------------------------


@pytest.mark.parametrize("base", ["collected", "invoiced"])
def test_cap_on_commissions_has_a_floor_and_counts_commissions_due(base: str) -> None:
    text = text_of({"liability.cap": "commissions", "commission.base": base})
    cap = article(text, "Responsabilité")
    assert "au plus élevé des deux montants suivants : mille euros (1 000,00 €)" in cap
    assert "commissions perçues par l'Apporteur ou qui lui sont dues" in cap
    assert "effectivement perçues" not in cap
    assert "ne prive pas de sa substance" not in cap


def test_the_floor_is_the_terms_figure() -> None:
    deal = make_deal({"liability.cap": "commissions"})
    floor = terms.derive(deal, reference="X").liability.floor
    assert floor == "mille euros (1\u00a0000,00\u00a0€)"
    assert plain(floor) in text_of({"liability.cap": "commissions"})


@pytest.mark.parametrize("cap", ["commissions", "amount"])
def test_no_self_serving_sentence_on_the_essential_obligation(cap: str) -> None:
    changes = {"liability.cap": cap, "liability.cap_amount": "5000" if cap == "amount"
               else DELETE}
    cap_text = article(text_of(changes), "Responsabilité")
    assert "obligation essentielle" not in cap_text
    assert "faute lourde ou dolosive" in cap_text


# --- 2. collected and invoiced really differ -----------------------------------------------------


def test_collected_base_bears_the_default_on_the_introducer() -> None:
    commission = article(text_of({"commission.base": "collected"}), "Commission")
    assert "n'est jamais due sur une somme que le Client ne paie pas" in commission
    assert "exigible quinze (15) jours après l'encaissement du paiement" in commission
    assert "que le Client paie ou non" not in commission


def test_invoiced_base_is_due_whether_or_not_the_client_pays() -> None:
    text = text_of({"commission.base": "invoiced"})
    commission = article(text, "Commission")
    assert "Elle est due que le Client paie ou non ces factures" in commission
    assert "le Bénéficiaire supporte seul le risque du défaut de paiement du Client" \
        in commission
    assert ("exigible quinze (15) jours après la date d'échéance de la facture dont elle "
            "provient, que cette facture ait été payée ou non") in commission
    # the old wording, which made "invoiced" a fiction
    assert "n'est jamais due sur une somme que le Client ne paie pas" not in text
    assert "à mesure que le Client la paie" not in text


@pytest.mark.parametrize("base, start", [
    ("collected", "à compter du premier paiement encaissé qui ouvre droit à commission"),
    ("invoiced", "à compter de la première facture émise qui ouvre droit à commission"),
])
def test_the_period_starts_at_the_first_payment_or_invoice(base: str, start: str) -> None:
    text = text_of({"commission.base": base})
    assert start in article(text, "Commission")
    assert "premier paiement reçu du Client par le Bénéficiaire" not in text


@pytest.mark.parametrize("base", ["collected", "invoiced"])
def test_due_wording_comes_from_the_terms(base: str) -> None:
    deal = make_deal({"commission.base": base, "commission.payment_days": "0"})
    due = terms.derive(deal, reference="X").commission.due
    assert due.startswith("dès ")
    assert f"devient exigible {plain(due)}." in plain(
        "\n".join(b.text for a in render(deal).articles for b in a.blocks))


# --- 3. a tacit renewal never restarts the period ------------------------------------------------


@pytest.mark.parametrize("mission", [{}, ONE_SHOT])
def test_renewal_neither_restarts_nor_reopens_the_period(mission: dict[str, Any]) -> None:
    text = text_of({"duration.renewal": "tacit", **mission})
    duration = article(text, "Durée")
    assert "Le renouvellement ne fait pas courir une nouvelle Période de commission" in duration
    assert "ne peut être tenu pour un nouveau Premier contrat" in duration
    if not mission:
        assert "ne recommence pas, ne prolonge pas et ne rouvre pas" in duration


def test_without_renewal_no_renewal_sentence() -> None:
    assert "Le renouvellement ne fait pas courir" not in text_of({"duration.renewal": "none"})


# --- 4. one-shot with follow-on: each mission its own commission, and until when -----------------


@pytest.mark.parametrize("tail, until", [
    ("6", "pendant la durée du contrat ou au plus tard six (6) mois après sa fin"),
    ("0", "pendant la durée du contrat donne lieu"),
])
def test_one_shot_follow_on_says_for_how_long(tail: str, until: str) -> None:
    text = text_of({**ONE_SHOT, "duration.tail_months": tail})
    commission = article(text, "Commission")
    assert "Chaque nouvelle mission conclue entre le Bénéficiaire et le Client" in commission
    assert until in commission
    assert "donne lieu à sa propre commission unique" in commission
    assert "une mission conclue après ce terme n'ouvre pas droit à commission" in commission


def test_one_shot_without_follow_on_has_one_commission() -> None:
    text = text_of({**ONE_SHOT, "commission.covers_follow_on": "false"})
    assert "sa propre commission unique" not in text
    assert "Seul le Premier contrat ouvre droit à commission" in text


# --- 5. an uncommissioned trial does not start the period ----------------------------------------


def test_uncommissioned_trial_does_not_start_the_period() -> None:
    text = text_of(FOLLOW_ON_ONLY)
    assert "L'essai, qui n'ouvre pas droit à commission, ne fait pas commencer cette période" \
        in text
    assert "ne la fait pas commencer" in article(text, "Définitions")


# --- 6. an objective « Contrat d'essai » ---------------------------------------------------------


@pytest.mark.parametrize("changes", [{}, FOLLOW_ON_ONLY, ONE_SHOT])
def test_trial_contract_is_defined_objectively(changes: dict[str, Any]) -> None:
    definitions = article(text_of(changes), "Définitions")
    assert "désigné par écrit" in definitions
    assert "sa durée n'excède pas un (1) mois" in definitions
    assert "n'est pas un Contrat d'essai, quelle que soit la façon dont" in definitions
    assert "en général un mois" not in definitions


# --- 7. commitment to success: messages and a mediator, never terms ------------------------------


def test_success_commitment_is_limited_to_messages_and_a_mediator() -> None:
    mission = article(text_of({"role.commitment": "success"}), "Mission de l'Apporteur")
    assert "rechercher une solution amiable" not in mission
    assert "leur indique un médiateur indépendant" in mission
    assert "il ne propose aucune solution ni aucune condition" in mission
    assert "ne recherche pas lui-même un accord" in mission


# --- 8. the end of the agreement -----------------------------------------------------------------


@pytest.mark.parametrize("renewal", ["none", "tacit"])
def test_notice_means_early_ending_for_convenience_whatever_the_renewal(renewal: str) -> None:
    end = article(text_of({"duration.renewal": renewal, "duration.notice_days": "45"}),
                  "Résiliation et fin du contrat")
    assert ("Chaque Partie peut mettre fin au présent contrat à tout moment, sans avoir à "
            "justifier d'un motif, en le notifiant à l'autre Partie au moins quarante-cinq "
            "(45) jours à l'avance") in end


@pytest.mark.parametrize("renewal", ["none", "tacit"])
def test_notice_zero_means_no_early_ending(renewal: str) -> None:
    end = article(text_of({"duration.renewal": renewal, "duration.notice_days": "0"}),
                  "Résiliation et fin du contrat")
    assert "Aucune Partie ne peut mettre fin au présent contrat avant son terme sans motif" \
        in end
    assert "zéro (0) jour" not in end
    assert ("par le refus de son renouvellement" in end) == (renewal == "tacit")


def test_tail_does_not_follow_the_introducers_own_serious_breach() -> None:
    end = article(text_of({"duration.tail_months": "6"}), "Résiliation et fin du contrat")
    assert ("Ce droit de suite ne s'applique pas lorsque le présent contrat prend fin par sa "
            "résiliation pour un manquement grave de l'Apporteur") in end


@pytest.mark.parametrize("tail", ["0", "6"])
@pytest.mark.parametrize("mission", [{}, ONE_SHOT])
def test_commissions_on_contracts_already_brought_continue(tail: str,
                                                           mission: dict[str, Any]) -> None:
    end = article(text_of({"duration.tail_months": tail, **mission}),
                  "Résiliation et fin du contrat")
    assert "les Contrats apportés conclus avant cette date continuent d'ouvrir droit à " \
        "commission après celle-ci" in end
    assert "y compris un manquement de l'Apporteur" in end


# --- 9. what the introducer's invoices state -----------------------------------------------------


def test_invoice_mentions_and_recovery_indemnity() -> None:
    invoicing = article(text_of(), "Relevés, facturation et paiement")
    for phrase in ("article L. 441-9 du Code de commerce", "la date d'échéance du paiement",
                   "le taux des pénalités de retard",
                   "l'indemnité forfaitaire pour frais de recouvrement",
                   "quarante euros (40,00 €) (articles L. 441-10 et D. 441-5",
                   "l'identité et le numéro SIREN de chaque Partie"):
        assert phrase in invoicing, phrase
    # the e-invoicing reform is referred to without dates that may move
    assert "sous forme électronique" in invoicing
    assert "2026" not in invoicing and "2027" not in invoicing


# --- 10. the amicable step does not block an injunction to pay -----------------------------------


def test_amicable_step_does_not_block_an_injunction_to_pay() -> None:
    disputes = article(text_of(), "Droit applicable et litiges")
    assert "ne fait pas obstacle à ce que l'Apporteur présente" in disputes
    assert "requête en injonction de payer (articles 1405 et suivants" in disputes


# --- values dropped or misrendered ---------------------------------------------------------------


def test_review_annex_states_the_early_ending() -> None:
    for days, phrase in (("15", "Résiliation pour convenance : par l’une ou l’autre Partie, "
                                "quinze (15) jours à l’avance"),
                         ("1", "Résiliation pour convenance : par l’une ou l’autre Partie, "
                               "un (1) jour à l’avance"),
                         ("0", "Résiliation pour convenance : exclue\n")):
        deal = make_deal({"duration.renewal": "none", "duration.notice_days": days})
        body = text(contract_bytes(deal, review=True)).replace("\u00a0", " ")
        assert phrase in body, phrase
        assert "Préavis :" not in body
        assert "préavis de 0 jour" not in body and "de un (1)" not in body


def test_defined_term_parties_keeps_its_capital() -> None:
    text = text_of({"disputes.jurisdiction": "Lyon"})
    assert not re.search(r"\b(les|des|deux|chaque|aucune|une|la|l'autre) parties?\b", text), \
        re.findall(r".{30}\bparties?\b.{10}", text)


# --- the second reading (jurist): wording that broke on unusual combinations --------------------

def wording_problems(text: str) -> list[str]:
    """Punctuation and elisions a proof-reader marks, whatever the combination."""
    return [m.group(0) for m in re.finditer(r".{25}(?:,[.,;]|\b(?:de|les) une?\b).{10}", text)]


@pytest.mark.parametrize("changes", [
    {"duration.renewal": "tacit", **ONE_SHOT},
    {"duration.renewal": "tacit", "duration.tail_months": "6"},
    {"duration.renewal": "tacit"},
])
def test_the_signing_window_leaves_no_dangling_comma(changes: dict[str, Any]) -> None:
    text = text_of(changes)
    assert "pendant la durée du contrat et de ses renouvellements" in article(
        text, "Contrats ouvrant droit à commission")
    assert not wording_problems(text), wording_problems(text)


@pytest.mark.parametrize("changes, phrase", [
    ({"duration.agreement_months": "1", "duration.commission_months": "1"},
     "Il est conclu à durée déterminée, pour un (1) mois à compter de cette date"),
    ({"duration.agreement_months": "1", "duration.commission_months": "1",
      "duration.renewal": "tacit"},
     "pour une nouvelle période de même durée, soit un (1) mois"),
    ({"duration.commission_months": "1"}, "et s'achève un (1) mois plus tard"),
    ({"commission.payment_days": "1"}, "un (1) jour après sa réception"),
    ({"duration.tail_months": "1"},
     "après la fin du présent contrat, au plus tard un (1) mois après celle-ci, ouvre"),
    ({"duration.tail_months": "1"}, "pendant la durée du contrat ou au plus tard un (1) mois "
                                    "après sa fin"),
    ({**ONE_SHOT, "duration.tail_months": "1"}, "soit jusqu'à un (1) mois après sa fin"),
    ({"liability.cap": "amount", "liability.cap_amount": "1000000"},
     "est limitée à un million d'euros (1 000 000,00 €)"),
])
def test_de_never_stands_before_un(changes: dict[str, Any], phrase: str) -> None:
    text = text_of(changes)
    assert phrase in text
    assert not wording_problems(text), wording_problems(text)


@pytest.mark.parametrize("city, phrase", [("Annecy", "du ressort d'Annecy"),
                                          ("Lyon", "du ressort de Lyon")])
def test_jurisdiction_city_is_elided(city: str, phrase: str) -> None:
    assert phrase in article(text_of({"disputes.jurisdiction": city}),
                             "Droit applicable et litiges")


@pytest.mark.parametrize("originals", ["2", "3"])
def test_closing_keeps_the_capital_of_parties(originals: str) -> None:
    deal = make_deal({"signature.originals": originals})
    body = plain(text(contract_bytes(deal)))
    assert "exemplaires originaux, dont un pour chaque Partie." in body
    assert "chaque partie" not in body


@pytest.mark.parametrize("changes", [FOLLOW_ON_ONLY, {}])
def test_the_contract_after_the_trial_is_not_signed_outside_the_period(
        changes: dict[str, Any]) -> None:
    # Recurring: the period starts with the first commissioned payment, so the contract
    # that follows the trial is signed *before* it starts; « conclus pendant la Période de
    # commission » would exclude the very contract the coverage is about.
    contracts = article(text_of(changes), "Contrats ouvrant droit à commission")
    assert "Contrats ultérieurs conclus avant le terme de la Période de commission" in contracts
    assert "Contrats ultérieurs conclus pendant la Période de commission" not in contracts


@pytest.mark.parametrize("renewal", ["none", "tacit"])
def test_ending_the_agreement_to_dodge_the_commission_is_circumvention(renewal: str) -> None:
    clause = article(text_of({"duration.renewal": renewal, "duration.tail_months": "0"}),
                     "Confidentialité et non-contournement")
    assert "ou en mettant fin au présent contrat" in clause
    assert ("ou en refusant son renouvellement" in clause) == (renewal == "tacit")
    assert "dans le but de conclure ensuite avec le Client un contrat qui aurait ouvert droit " \
        "à commission" in clause
    assert "une indemnité égale à la commission qui aurait été due" in clause


# --- the jurist's checklist, on every contract of the pairwise matrix ----------------------------


@cache
def matrix() -> list[tuple[str, Deal, str]]:
    out = []
    for label, data in option_deals():
        deal = Deal.model_validate(data)
        if deal.has_commission:
            out.append((label, deal, text(contract_bytes(deal, "MATRICE"))))
    return out


def _checklist(deal: Deal, body: str) -> list[str]:
    """The 11 points of DOMAIN.md, each as phrases the contract must hold."""
    t = terms.derive(deal, reference="MATRICE")
    d, c = t.duration, t.commission
    assert d is not None and deal.liability is not None
    cap = {"commissions": "au plus élevé des deux montants suivants",
           "amount": f"est limitée à {t.liability.amount}" if t.liability else "",
           "none": "ne plafonne pas la responsabilité des Parties"}[deal.liability.cap]
    points = {
        1: ["".join(r.text for r in t.introducer.identity),
            "".join(r.text for r in t.beneficiary.identity),
            "Le Client est un tiers au présent contrat"],
        2: ["Il est limité à cette seule mise en relation", "de négocier, au nom ou pour le compte",
            "d’établir un devis", "de conclure ou de signer un contrat",
            "d’encaisser, pour le compte du Bénéficiaire", "aucun lien de subordination",
            "aucune exclusivité"],
        3: ["entretien de découverte" if t.discovery_call else "ne conduit pas d’entretien",
            "favoriser la réussite" if t.success else "simple recommandation",
            "obligation de moyens"],
        4: [cap] + ([] if deal.liability.cap == "none" else ["faute lourde ou dolosive"]),
        5: [c.rate, f"Chiffre d’affaires {c.base_word}", c.due,
            ("commission unique" if d.one_shot else f"pendant {d.months}"),
            "Contrat d’essai", c.vat_mention, "soixante (60) jours", c.recovery_indemnity],
        6: ["en toute transparence", "article 14 du règlement (UE) 2016/679"],
        7: [f"à durée déterminée, pour {d.agreement}",
            "tacite reconduction", "manquement grave",
            (f"au moins {d.notice} à l’avance" if d.early_ending
             else "Aucune Partie ne peut mettre fin au présent contrat avant son terme"),
            (f"au plus tard {d.tail} après celle-ci" if d.tail
             else "ne comporte pas de droit de suite")],
        8: [f"pendant {t.obligations.confidentiality} après sa fin",
            "s’interdit de contourner l’Apporteur", "limité au seul Client"],
        9: ["soumis au droit français", "solution amiable", "article 750-1",
            f"ressort {french.de(t.jurisdiction)}" if t.jurisdiction else "règles de droit commun"],
        10: [t.signature.closing, "Pour l’Apporteur", "Pour le Bénéficiaire",
             t.introducer.signer, t.beneficiary.signer],
        11: [t.draft_notice],
    }
    # no-break spaces and hyphens (French typography) read as ordinary ones on both sides
    return [f"point {n}: {phrase!r} missing" for n, phrases in points.items()
            for phrase in phrases if french.plain(phrase) not in french.plain(body)]


def test_the_matrix_is_not_empty() -> None:
    assert len(matrix()) >= 15


def test_jurist_checklist_on_every_contract_of_the_matrix() -> None:
    problems = []
    for label, deal, body in matrix():
        problems += [f"{label}: {p}" for p in _checklist(deal, body)]
        problems += [f"{label}: proof-reading: {w!r}" for w in wording_problems(body)]
        if "Lu et approuvé" in body:
            problems.append(f"{label}: « Lu et approuvé » has no legal force")
    assert not problems, "\n".join(problems)


# --- transparency: the client notice gives the rate, so the contract allows it ------------------


@pytest.mark.parametrize("informed", ["true", "false"])
def test_the_contract_lets_the_client_be_told_the_rate_base_and_length(informed: str) -> None:
    """The client notice states the commission's rate, base and length; the confidentiality
    article's carve-out covers only what the transparency article provides, so that article
    must say the client is told them (reader's finding 9)."""
    transparency = article(text_of({"client.informed": informed}), "Transparence envers le Client")
    assert "le taux de cette commission, son assiette et sa durée" in transparency
    if informed == "true":
        assert "l'Apporteur lui en confirme par écrit le taux, l'assiette et la durée" \
            in transparency
    else:
        assert "de son taux, de son assiette et de sa durée avant tout premier contact" \
            in transparency
