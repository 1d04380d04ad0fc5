"""The contract's clause library (``clauses/*.md``), rendered for real deals.

Two kinds of tests:

* every sample with a commission, and every combination of the options a
  deal can choose, renders without error into articles numbered 1..N with
  no empty article and no leftover markup or template code;
* for each option, the contract's text changes the way the option says:
  a distinctive French phrase is there with one value and not with the
  other.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from generator import clauses, rules, terms
from generator.deals import load_deal
from generator.library import OPTIONS as ALL_OPTIONS
from generator.loading import load_file
from generator.model import Deal

ROOT = Path(__file__).resolve().parent.parent
CLAUSES = ROOT / "clauses"
SAMPLES = ROOT / "samples"
BASE = "julie-atelier-bois"  # EI introducer under the VAT franchise, recurring, 6-month tail

DELETE = object()
FILE_NAME = re.compile(r"(\d{3})-([a-z][a-z0-9-]*)\.md")


# --- helpers ----------------------------------------------------------------------------


@functools.cache
def library() -> clauses.Library:
    return clauses.load_library(CLAUSES)


@functools.cache
def _sample_data(name: str) -> dict[str, Any]:
    return load_file(SAMPLES / f"{name}.yaml").data


def sample_data(name: str = BASE) -> dict[str, Any]:
    """A sample as the loader reads it (every scalar a string), fresh copy."""
    return copy.deepcopy(_sample_data(name))


def make_deal(changes: dict[str, Any] | None = None, sample: str = BASE) -> Deal:
    """A sample with ``{"a.b": "value"}`` changes (``DELETE`` removes a key), validated."""
    data = sample_data(sample)
    for path, new in (changes or {}).items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        if new is DELETE:
            node.pop(last, None)
        else:
            node[last] = new
    deal = Deal.model_validate(data)
    problems = [f for f in rules.check(deal) if f[1] == "error"]
    assert not problems, f"the test built an invalid deal: {problems}"
    return deal


def render(deal: Deal) -> clauses.Rendered:
    return clauses.render(library(), terms.facts(deal),
                          terms.derive(deal, reference="X").as_context())


def contract_text(rendered: clauses.Rendered) -> str:
    """The whole contract as plain text, one line per heading or paragraph."""
    return "\n".join(a.heading + "\n" + "\n".join(b.text for b in a.blocks)
                     for a in rendered.articles)


def plain(text: str) -> str:
    """Typographic apostrophes and no-break spaces back to ASCII, for readable asserts."""
    return text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u2011", "-")


def text_of(changes: dict[str, Any] | None = None, sample: str = BASE) -> str:
    return plain(contract_text(render(make_deal(changes, sample))))


LEFTOVERS = ("{{", "}}", "{%", "%}", "{#", "#}", "**", "\ue000", "\ue001", "None")


def check_contract(rendered: clauses.Rendered, label: str) -> None:
    """Numbering, no empty article, no leftover markup, clean spacing."""
    articles = rendered.articles
    assert 12 <= len(articles) <= 16, f"{label}: {len(articles)} articles"
    for i, article in enumerate(articles, 1):
        assert article.number == i, f"{label}: article {article.id} numbered {article.number}"
        assert article.heading.startswith(f"Article\u00a0{i}\u00a0– ") or \
            article.heading.startswith(f"Article {i}\u00a0– "), f"{label}: {article.heading}"
        assert article.title.strip(), f"{label}: article {i} has no title"
        assert article.blocks, f"{label}: article {i} ({article.id}) is empty"
        for block in article.blocks:
            text = block.text
            assert text.strip(), f"{label}: empty paragraph in article {i}"
            for bad in LEFTOVERS:
                assert bad not in text, f"{label}: {bad!r} left in article {i}: {text}"
            assert "  " not in text, f"{label}: double space in article {i}: {text}"
            assert not re.search(r" [,.)]", text), f"{label}: space before punctuation: {text}"
            assert text[-1] in ".;:", f"{label}: paragraph without final punctuation: {text}"
            for run in block.runs:
                if not run.value:
                    assert "'" not in run.text, f"{label}: straight apostrophe: {run.text}"
    text = contract_text(rendered)
    assert "Lu et approuvé" not in text


# --- the library itself ------------------------------------------------------------------


def test_library_loads_with_one_file_per_clause() -> None:
    lib = library()
    assert 25 <= len(lib.clauses) <= 50
    for clause in lib.clauses:
        match = FILE_NAME.fullmatch(clause.name)
        assert match, f"{clause.name}: expected NNN-<id>.md"
        assert match.group(2) == clause.id, f"{clause.name}: the file name and id differ"
        assert clause.version >= 1
    articles = [c for c in lib.clauses if c.is_article]
    assert all(c.when is None for c in articles), "every article is always present"
    parts = [c for c in lib.clauses if not c.is_article]
    assert all(c.when for c in parts), "a part exists only to depend on an option"


def test_parts_follow_their_article() -> None:
    owner = None
    for clause in library().clauses:
        if clause.is_article:
            owner = clause.id
        else:
            assert clause.part_of == owner, f"{clause.name} sorts away from its article"


# --- every sample, every combination ------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_samples_render(path: Path) -> None:
    deal = load_deal(path)
    if not deal.has_commission:
        pytest.skip("no commission: no contract, only the offer sheet")
    check_contract(render(deal), path.stem)


# The options whose full product is rendered (1,536 deals), with the values
# generator.library gives them ("" for absent): one list of values for both.
PRODUCT = ("role.involvement", "role.commitment", "liability.cap", "duration.mission",
           "commission.covers_trial", "commission.covers_follow_on", "duration.renewal",
           "duration.tail_months", "disputes.jurisdiction", "introducer.vat")
OPTIONS: dict[str, list[Any]] = {path: ALL_OPTIONS[path] for path in PRODUCT}


def combination(values: dict[str, Any]) -> dict[str, Any]:
    """The changes for one combination, with the fields each option requires."""
    changes = {path: (DELETE if value == "" else value) for path, value in values.items()}
    changes["liability.cap_amount"] = "500" if values["liability.cap"] == "amount" else DELETE
    changes["duration.commission_months"] = (
        "12" if values["duration.mission"] == "recurring" else DELETE)
    return changes


@pytest.mark.slow
def test_every_combination_of_options_renders() -> None:
    count = 0
    for combo in itertools.product(*OPTIONS.values()):
        values = dict(zip(OPTIONS, combo, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in values.items())
        check_contract(render(make_deal(combination(values))), label)
        count += 1
    assert count == 2 * 2 * 3 * 2 * 2 * 2 * 2 * 2 * 2 * 2


def test_every_clause_is_used_and_every_part_can_be_left_out() -> None:
    """Changing one option at a time (and the samples) reaches every clause file."""
    deals = [load_deal(p) for p in sorted(SAMPLES.glob("*.yaml"))]
    deals = [d for d in deals if d.has_commission]
    base = {path: values[0] for path, values in OPTIONS.items()}
    for path, values in {**OPTIONS, "commission.base": ALL_OPTIONS["commission.base"],
                         "client.informed": ALL_OPTIONS["client.informed"]}.items():
        for value in values:
            deals.append(make_deal(combination({**base, path: value})))
    deals.append(make_deal(combination({**base, "commission.covers_trial": "false",
                                        "commission.covers_follow_on": "false"})))
    included: set[str] = set()
    excluded: set[str] = set()
    for deal in deals:
        for decision in render(deal).decisions:
            (included if decision.included else excluded).add(decision.clause.id)
    every = {c.id for c in library().clauses}
    assert included == every, f"clauses never used: {sorted(every - included)}"
    conditional = {c.id for c in library().clauses if c.when}
    assert conditional <= excluded, f"always included: {sorted(conditional - excluded)}"


# --- each option changes the text ----------------------------------------------------------


def differs(changes_a: dict[str, Any], changes_b: dict[str, Any], phrase_a: str,
            phrase_b: str | None = None, sample: str = BASE) -> tuple[str, str]:
    """Assert ``phrase_a`` is only in A (and ``phrase_b`` only in B); return both texts."""
    a, b = text_of(changes_a, sample), text_of(changes_b, sample)
    assert phrase_a in a, f"{phrase_a!r} missing with {changes_a}"
    assert phrase_a not in b, f"{phrase_a!r} present with {changes_b}"
    if phrase_b is not None:
        assert phrase_b in b, f"{phrase_b!r} missing with {changes_b}"
        assert phrase_b not in a, f"{phrase_b!r} present with {changes_a}"
    return a, b


def test_involvement_discovery_call() -> None:
    differs({"role.involvement": "discovery_call"}, {"role.involvement": "introduction"},
            "conduit en outre avec le Client un entretien de découverte",
            "L'Apporteur ne conduit pas d'entretien de découverte avec le Client")
    a, b = text_of({"role.involvement": "discovery_call"}), text_of(
        {"role.involvement": "introduction"})
    assert "en complément de celui de l'Apporteur" in a
    assert "en complément de celui de l'Apporteur" not in b


def test_commitment_success() -> None:
    a, _ = differs({"role.commitment": "success"}, {"role.commitment": "recommendation"},
                   "s'engage par ailleurs à favoriser la réussite de la collaboration",
                   "L'engagement de l'Apporteur est de simple recommandation")
    assert "jusqu'au terme de la Période de commission" in a
    assert "relève d'une obligation de moyens" in a


def test_the_ban_on_acting_for_the_beneficiary_is_always_there() -> None:
    for commitment in ("recommendation", "success"):
        text = text_of({"role.commitment": commitment})
        for phrase in ("de négocier, au nom ou pour le compte du Bénéficiaire",
                       "d'établir un devis", "de conclure ou de signer un contrat",
                       "d'encaisser, pour le compte du Bénéficiaire",
                       "L'Apporteur est tenu d'une obligation de moyens",
                       "n'est donc pas un contrat d'agent commercial",
                       "aucune exclusivité", "aucun lien de subordination"):
            assert phrase in text


CAPS = {
    "commissions": "est limitée au plus élevé des deux montants suivants : mille euros "
                   "(1 000,00 €), ou le montant total hors taxes des commissions perçues par "
                   "l'Apporteur ou qui lui sont dues",
    "amount": "est limitée à cinq cents euros (500,00 €)",
    "none": "Le présent contrat ne plafonne pas la responsabilité des Parties",
}


@pytest.mark.parametrize("cap", list(CAPS))
def test_liability_cap(cap: str) -> None:
    changes = {"liability.cap": cap,
               "liability.cap_amount": "500" if cap == "amount" else DELETE}
    text = text_of(changes)
    assert CAPS[cap] in text
    for other, phrase in CAPS.items():
        if other != cap:
            assert phrase not in text
    exceptions = "Ce plafond ne s'applique ni en cas de faute lourde ou dolosive"
    assert (exceptions in text) == (cap != "none")
    # Finding 1: no self-serving sentence that the cap keeps the essential obligation.
    assert "ne prive pas de sa substance" not in text and "article 1170" not in text
    assert "effectivement perçues" not in text
    assert "ni de sa solvabilité" in text


def test_mission_one_shot_or_recurring() -> None:
    a, b = differs({"duration.mission": "one_shot", "duration.commission_months": DELETE},
                   {"duration.mission": "recurring", "duration.commission_months": "24"},
                   "chaque Contrat apporté donne lieu à une commission unique",
                   "soit pendant vingt-quatre (24) mois à compter du premier paiement encaissé "
                   "qui ouvre droit à commission")
    assert "jusqu'au paiement complet, par le Client, du prix des missions concernées" in a
    assert ("« Période de commission » : la période pendant laquelle un contrat conclu entre "
            "le Bénéficiaire et le Client peut ouvrir droit à commission, c'est-à-dire la "
            "durée du présent contrat") in a
    assert ("« Période de commission » : la période qui commence à la date du premier paiement "
            "encaissé qui ouvre droit à commission, au sens de l'article 8, et s'achève "
            "vingt-quatre (24) mois plus tard" in b)


TRIAL = {
    ("true", "true"): "la commission est due sur l'essai puis sur les contrats qui le suivent",
    ("true", "false"): "elle s'arrête à la fin de l'essai",
    ("false", "true"): "aucune commission n'est due sur l'essai, mais elle l'est sur les "
                       "contrats qui le suivent",
    ("false", "false"): "aucune commission n'est due, ni sur l'essai ni sur les contrats qui "
                        "le suivent",
}


@pytest.mark.parametrize("trial, follow_on", list(TRIAL))
@pytest.mark.parametrize("mission", ["recurring", "one_shot"])
def test_trial_and_follow_on(trial: str, follow_on: str, mission: str) -> None:
    changes = {"commission.covers_trial": trial, "commission.covers_follow_on": follow_on,
               "duration.mission": mission,
               "duration.commission_months": "12" if mission == "recurring" else DELETE}
    text = text_of(changes)
    for key, phrase in TRIAL.items():
        assert (phrase in text) == (key == (trial, follow_on)), (key, phrase)
    later = ("Les Contrats ultérieurs n'ouvrent pas droit à commission" in text)
    assert later == (follow_on == "false")


def test_commission_rate_and_base() -> None:
    a, b = differs({"commission.rate": "12.5", "commission.base": "collected"},
                   {"commission.rate": "12.5", "commission.base": "invoiced"},
                   "La commission est assise sur le Chiffre d'affaires encaissé, c'est-à-dire sur "
                   "les sommes hors taxes effectivement reçues",
                   "La commission est assise sur le Chiffre d'affaires facturé, c'est-à-dire sur "
                   "le montant hors taxes des factures")
    assert "une commission égale à 12,5 % (douze virgule cinq pour cent) du Chiffre " \
           "d'affaires encaissé" in a
    assert "du Chiffre d'affaires facturé au titre des Contrats apportés" in b


def test_payment_days() -> None:
    differs({"commission.payment_days": "30"}, {"commission.payment_days": "0"},
            "devient exigible trente (30) jours après l'encaissement du paiement dont elle "
            "provient",
            "devient exigible dès l'encaissement du paiement dont elle provient")
    text = text_of()
    assert "au plus tard soixante (60) jours après sa date d'émission" in text
    assert "majoré de dix (10) points de pourcentage" in text
    assert "quarante euros (40,00 €)" in text and "L. 441-10" in text
    assert "au plus tard le dix (10) de chaque mois, un relevé" in text


def test_vat_franchise_or_liable() -> None:
    differs({"introducer.vat": "franchise"}, {"introducer.vat": "liable"},
            "portent la mention « TVA non applicable, art. 293 B du CGI »",
            "la commission, stipulée hors taxes, est majorée de la TVA au taux en vigueur")


def test_ei_mention_on_the_introducers_invoices() -> None:
    ei = text_of(sample=BASE)  # Marie Dupont, EI
    company = text_of(sample="cabinet-conseil-succes")  # a SARL
    phrase = "fait suivre son nom de la mention « EI » sur ses factures"
    assert phrase in ei
    assert phrase not in company


def test_client_informed_or_to_be_informed() -> None:
    differs({"client.informed": "true"}, {"client.informed": "false"},
            "L'Apporteur déclare avoir informé le Client, avant la signature",
            "le Client n'a pas encore été informé de la Mise en relation")


def test_client_activity_and_need() -> None:
    a, b = differs({}, {"client.activity": DELETE, "client.need": DELETE},
                   "dont l'activité est la suivante : « Menuiserie artisanale »",
                   "recherche un professionnel indépendant pour l'assister dans son activité")
    assert "pour répondre au besoin suivant : « Gestion administrative, 10 h par mois »" in a
    assert "Atelier Bois & Co (le « Client »)" in b


def test_renewal_tacit_or_none() -> None:
    a, b = differs({"duration.renewal": "tacit", "duration.notice_days": "45"},
                   {"duration.renewal": "none"},
                   "il est renouvelé par tacite reconduction, pour une nouvelle période de "
                   "même durée, soit douze (12) mois",
                   "Il prend fin de plein droit à son terme, sans tacite reconduction")
    assert "au moins quarante-cinq (45) jours avant le terme de la période en cours" in a
    assert "article 1214 du Code civil" in a
    assert "article 1212 du Code civil" in b
    no_notice = text_of({"duration.renewal": "tacit", "duration.notice_days": "0"})
    assert "au plus tard le dernier jour de la période en cours" in no_notice
    assert "zéro (0) jour" not in no_notice


def test_agreement_duration() -> None:
    differs({"duration.agreement_months": "18"}, {"duration.agreement_months": "12"},
            "à durée déterminée, pour dix-huit (18) mois à compter de cette date")


def _number_of(rendered: clauses.Rendered, article_id: str) -> int:
    return next(a.number for a in rendered.articles if a.id == article_id)


def test_tail_period() -> None:
    with_tail = render(make_deal({"duration.tail_months": "6"}))
    end = _number_of(with_tail, "fin-du-contrat")
    a, b = differs({"duration.tail_months": "6"}, {"duration.tail_months": "0"},
                   "au plus tard six (6) mois après celle-ci, ouvre droit à commission",
                   "Le présent contrat ne comporte pas de droit de suite")
    assert f"ou au plus tard six (6) mois après sa fin, dans les conditions du droit de " \
        f"suite prévu à l'article {end}" in a
    assert "droit de suite prévu" not in b
    assert "jusqu'au terme de la Période de commission" in b  # contracts already concluded


def test_jurisdiction_clause_in_bold() -> None:
    a, b = differs({"disputes.jurisdiction": "Lyon"}, {"disputes.jurisdiction": DELETE},
                   "le tribunal compétent du ressort de Lyon",
                   "À défaut de solution amiable, le litige est porté devant la juridiction "
                   "compétente selon les règles de droit commun")
    assert "Si les deux Parties ont la qualité de commerçant" in a
    rendered = render(make_deal({"disputes.jurisdiction": "Lyon"}))
    disputes = next(a for a in rendered.articles if a.id == "litiges")
    runs = [r for block in disputes.blocks for r in block.runs]
    lyon = [r for r in runs if r.text == "de Lyon"]  # the preposition elides with the city
    assert lyon and all(r.bold and r.value for r in lyon)
    assert any(r.bold and "tribunal compétent du ressort" in r.text for r in runs)
    for phrase in ("soumis au droit français", "article 750-1 du Code de procédure civile",
                   "n'excédant pas 5 000,00 €"):
        assert phrase in a and phrase in b


def test_always_present_protections() -> None:
    text = text_of()
    for phrase in ("Le Client est un tiers au présent contrat",
                   "article 14 du règlement (UE) 2016/679",
                   "pendant deux (2) ans après sa fin",
                   "Il n'interdit pas au Bénéficiaire de travailler avec le Client",
                   "dans les quinze (15) jours suivant une mise en demeure",
                   "refuser de travailler avec lui, sans avoir à se justifier",
                   "Il ne peut être modifié que par un avenant écrit"):
        assert phrase in text, phrase
