"""Three documents that cannot disagree: contract, offer sheet and client notice.

Every value that more than one document states (rate in figures and words,
base, payment deadline, commission months, agreement months, tail, notice,
renewal, trial/follow-on case, cap, and the fixed delays of every contract)
comes from the one set of derived terms. This test renders the three
documents of every deal of the pairwise option matrix (and of deals drawn by
hypothesis) and checks that each value appears, written identically,
wherever it must; a mismatch names the combination and the document.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Any

import pytest
from documents_helpers import contract_bytes, notice_bytes, offer_bytes, text
from hypothesis import given
from hypothesis_profiles import PROFILE
from quick import quick_cases
from strategies import deals

from generator import french
from generator.library import option_deals
from generator.model import Deal
from generator.terms import Terms, derive

# The case of trial and follow-on contracts: (covers_trial, covers_follow_on) -> the clause
# that states it in the contract and in the offer.
CASES = {
    (True, True): ("contrats-essai-et-suite", "duree-essai-et-suite"),
    (True, False): ("contrats-essai-seul", "duree-essai-seul"),
    (False, True): ("contrats-suite-seule", "duree-suite-seule"),
    (False, False): ("contrats-ni-essai-ni-suite", "duree-premier-contrat"),
}


def flat(body: str) -> str:
    """The text as a reader sees it: no-break spaces as spaces, lines joined."""
    return " ".join(body.replace("\u00a0", " ").replace("\u202f", " ").split())


def clause_ids(data: bytes) -> set[str]:
    """The ``id`` of every clause a document records in its custom properties."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        custom = z.read("docProps/custom.xml").decode("utf-8")
    return {m.split("@")[0] for m in re.findall(r"<vt:lpwstr>([^<@]+@\d+)</vt:lpwstr>", custom)}


def documents(deal: Deal) -> dict[str, bytes]:
    docs = {"offre": offer_bytes(deal, "REF"), "client": notice_bytes(deal, "REF")}
    if deal.has_commission:
        docs["contrat"] = contract_bytes(deal, "REF")
    return docs


def expectations(deal: Deal, t: Terms) -> list[tuple[str, str, tuple[str, ...]]]:
    """(what, the value as written, the documents that must show it)."""
    if not deal.has_commission:
        return []
    both = ("contrat", "offre")
    c, d = t.commission, t.duration
    assert d is not None and t.liability is not None
    out = [
        ("rate in figures and words", c.rate, ("contrat", "offre", "client")),
        ("base", f"chiffre d’affaires hors taxes {c.base_word}", ("offre",)),
        ("base", f"Chiffre d’affaires {c.base_word}", ("contrat",)),
        ("payment deadline", c.due, both),
        ("payment ceiling", c.payment_ceiling, both),
        ("statement day", f"le {c.statement_day} de chaque mois", both),
        ("notification delay", c.notify_days, both),
        ("late-payment interest", c.late_interest, both),
        ("recovery indemnity", c.recovery_indemnity, both),
        ("agreement months", d.agreement, both),
        ("window of commissioned contracts", d.until, both),
        ("trial length", d.trial_length, both),
        ("confidentiality", t.obligations.confidentiality, both),
        ("data deletion", t.obligations.data_deletion, ("contrat", "offre", "client")),
        ("cure period", t.obligations.cure, both),
        ("amicable period", t.obligations.amicable, both),
    ]
    if d.recurring:
        assert d.months is not None
        out.append(("commission months", d.months, ("contrat", "offre", "client")))
        out.append(("start of the commission period", d.period_from, both))
    if d.tail:
        out.append(("tail", d.tail, ("contrat", "offre", "client")))
    if d.early_ending:  # an early ending, and the refusal of a renewal, need this notice
        out.append(("notice", d.notice, both))
    if t.liability.cap == "commissions":
        out.append(("cap", t.liability.floor, both))
    elif t.liability.cap == "amount":
        assert t.liability.amount is not None
        out.append(("cap", t.liability.amount, both))
    else:
        out.append(("no cap", "ne plafonne pas la responsabilité", both))
    if t.jurisdiction:
        out.append(("jurisdiction", t.jurisdiction, both))
    return out


def disagreements(deal: Deal) -> list[str]:
    """Every shared value missing from a document that must show it, named."""
    t = derive(deal, reference="REF")
    docs = documents(deal)
    bodies = {kind: flat(text(data)) for kind, data in docs.items()}
    problems = [f"{kind}: {what} «{flat(value)}» missing"
                for what, value, kinds in expectations(deal, t) for kind in kinds
                if flat(value) not in bodies[kind]]
    if deal.has_commission:
        # renewal: said in both, the same way
        renews = {"contrat": "renouvelé par tacite reconduction",
                  "offre": "se renouvelle tacitement"}
        problems += [f"{kind}: renewal is {'tacit' if t.duration.renewal else 'none'} "
                     f"but the text {'omits' if t.duration.renewal else 'states'} «{phrase}»"
                     for kind, phrase in renews.items()
                     if (phrase in bodies[kind]) != t.duration.renewal]
        # the two bases are never mixed up
        other = "facturé" if t.commission.collected else "encaissé"
        problems += [f"{kind}: base is {t.commission.base_word} but the text says «{other}»"
                     for kind in ("contrat", "offre")
                     if f"chiffre d’affaires {other}" in bodies[kind].lower()]
        # trial / follow-on: the same case in both
        contract_case, offer_case = CASES[(t.commission.covers_trial,
                                           t.commission.covers_follow_on)]
        if contract_case not in clause_ids(docs["contrat"]):
            problems.append(f"contrat: trial/follow-on case {contract_case} missing")
        if offer_case not in clause_ids(docs["offre"]):
            problems.append(f"offre: trial/follow-on case {offer_case} missing")
        # the client notice names the commission paid by the beneficiary (its rate and
        # duration are among the shared values above)
        if "je perçois de sa part une commission" not in bodies["client"]:
            problems.append("client: the commission paid by the beneficiary is not stated")
    else:
        if "sans aucune contrepartie" not in bodies["client"]:
            problems.append("client: does not say there is no commission")
        if "sans aucune contrepartie" not in bodies["offre"]:
            problems.append("offre: does not say there is no commission")
    # the three people, named identically where they must be
    for kind in docs:
        if flat(french.typed(deal.introducer.name)) not in bodies[kind]:
            problems.append(f"{kind}: the introducer's name is missing")
    for kind in ("contrat", "client"):
        if kind in bodies and flat(french.typed(deal.beneficiary.name)) not in bodies[kind]:
            problems.append(f"{kind}: the beneficiary's name is missing")
    return problems


MATRIX = [(str(label), Deal.model_validate(data)) for label, data in option_deals()]
# the quick run keeps two combinations with a commission and the one without; the
# full run, all of them
QUICK = {MATRIX[0][0], MATRIX[1][0], MATRIX[-1][0]}


def _cases(rows: list[tuple[str, Deal]]) -> list[Any]:
    return quick_cases(rows, lambda row: row[0] in QUICK, single=False)


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX),
                         ids=[f"m{i}" for i in range(len(MATRIX))])
def test_the_three_documents_agree_over_the_option_matrix(label: str, deal: Deal) -> None:
    problems = disagreements(deal)
    assert not problems, f"{label}:\n" + "\n".join(problems)


def test_a_mismatch_is_named_with_its_document() -> None:
    # A library whose offer forgot the tail: the check must name the offer and the value.
    label, deal = next((lab, d) for lab, d in MATRIX
                       if d.has_commission and d.duration and d.duration.tail_months)
    t = derive(deal, reference="REF")
    assert t.duration is not None and t.duration.tail
    docs = {kind: flat(text(data)) for kind, data in documents(deal).items()}
    docs["offre"] = docs["offre"].replace(flat(t.duration.tail), "six mois")
    missing = [f"{kind}: {what}" for what, value, kinds in expectations(deal, t)
               for kind in kinds if flat(value) not in docs[kind]]
    assert "offre: tail" in missing and "contrat: tail" not in missing, label


@pytest.mark.slow
@PROFILE
@given(data=deals())
def test_the_three_documents_agree_for_any_valid_deal(data: dict[str, Any]) -> None:
    deal = Deal.model_validate(data)  # the drawn deal is valid, as the loader gives it
    problems = disagreements(deal)
    assert not problems, "\n".join(problems)
