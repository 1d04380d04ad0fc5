"""The spec's rules that relate several fields, and its warnings.

Each rule is a small function that looks at a validated :class:`Deal` and
yields ``(path, severity, message)``; :func:`check` runs them all, so every
problem of a deal is reported at once. Identifiers are checked through
python-stdnum in :mod:`generator.model`; here we only relate them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from . import terms
from .model import Deal, Party, vat_key

Finding = tuple[str, str, str]  # (path, severity, message)
Rule = Callable[[Deal], Iterator[Finding]]

DAS2_THRESHOLD = terms.DAS2_THRESHOLD

# The offices that represent each company form, and the ones that belong to other forms:
# a "Présidente" signing for an EURL is a capacity the company does not have.
_OFFICES = {"gérant": ("eurl", "sarl"), "président": ("sasu", "sas", "sa"),
            "directeur général": ("sasu", "sas", "sa"),
            "directrice générale": ("sasu", "sas", "sa")}

RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def check(deal: Deal) -> list[Finding]:
    """Every cross-field error and warning of ``deal``, in rule order."""
    return [finding for r in RULES for finding in r(deal)]


def check_partial(sections: dict[str, Any]) -> list[Finding]:
    """The rules that can run on the valid ``sections`` of an invalid deal.

    A rule that reads a missing (invalid) section raises AttributeError on
    it and is skipped: its finding would be guesswork.
    """
    deal = Deal.model_construct(**sections)
    for name in Deal.model_fields:
        if name not in sections:
            deal.__dict__.pop(name, None)  # absent, not defaulted: reading it raises
    findings: list[Finding] = []
    for r in RULES:
        try:
            findings.extend(r(deal))
        except AttributeError:
            continue
    return findings


# --- errors --------------------------------------------------------------------


@rule
def terms_required_with_commission(deal: Deal) -> Iterator[Finding]:
    if deal.has_commission:
        if deal.liability is None:
            yield "liability", "error", "required when there is a commission (add 'cap:')"
        if deal.duration is None:
            yield "duration", "error", "required when there is a commission (add 'mission:')"


@rule
def distinct_parties(deal: Deal) -> Iterator[Finding]:
    if deal.introducer.siren == deal.beneficiary.siren:
        message = (f"the introducer and the beneficiary have the same SIREN "
                   f"({deal.introducer.siren}); they must be two different businesses")
        yield "introducer.siret", "error", message
        yield "beneficiary.siret", "error", message


def _party_rules(prefix: str, party: Party) -> Iterator[Finding]:
    if party.is_company and party.representative is None:
        yield (f"{prefix}.representative", "error",
               f"required for a company ({party.legal_form}): who signs, and in what capacity")
    if not party.is_company and party.representative is not None:
        yield (f"{prefix}.representative", "error",
               "not allowed for an individual entrepreneur (ei): she signs herself")
    if party.vat_number is not None:
        expected = "FR" + vat_key(party.siren) + party.siren
        if party.vat_number != expected:
            yield (f"{prefix}.vat_number", "error",
                   f"does not match the SIREN {party.siren} of the SIRET "
                   f"(expected {expected})")


@rule
def parties(deal: Deal) -> Iterator[Finding]:
    yield from _party_rules("introducer", deal.introducer)
    yield from _party_rules("beneficiary", deal.beneficiary)


@rule
def commission_months(deal: Deal) -> Iterator[Finding]:
    d = deal.duration
    if d is None:
        return
    if d.mission == "recurring" and d.commission_months is None:
        yield ("duration.commission_months", "error",
               "required for a recurring mission: for how many months is the commission paid?")
    if d.mission == "one_shot" and d.commission_months is not None:
        yield ("duration.commission_months", "error",
               "not allowed for a one-shot mission (a single commission is paid); remove it")


@rule
def cap_amount(deal: Deal) -> Iterator[Finding]:
    liability = deal.liability
    if liability is None:
        return
    if liability.cap == "amount":
        if liability.cap_amount is None:
            yield "liability.cap_amount", "error", "required when cap is 'amount'"
        elif liability.cap_amount <= 0:
            yield ("liability.cap_amount", "error",
                   f"must be above 0 (got {liability.cap_amount})")
    elif liability.cap_amount is not None:
        yield ("liability.cap_amount", "error",
               f"only used when cap is 'amount' (cap is '{liability.cap}'); remove it")


# --- warnings ------------------------------------------------------------------


@rule
def reply_after_signature(deal: Deal) -> Iterator[Finding]:
    reply_by, signed = deal.offer.reply_by, deal.signature.date
    if reply_by is not None and signed is not None and reply_by > signed:
        yield ("offer.reply_by", "warning",
               f"is after the signature date ({reply_by.isoformat()} > {signed.isoformat()}): "
               "the contract would be dated before the beneficiary has to answer the offer")


@rule
def client_informed(deal: Deal) -> Iterator[Finding]:
    if not deal.client.informed:
        yield ("client.informed", "warning",
               "the client has not been told about the introduction and the commission; "
               "tell the client before the first contact")


@rule
def trial_coverage(deal: Deal) -> Iterator[Finding]:
    if not deal.has_commission or deal.duration is None:
        return
    c = deal.commission
    if deal.duration.mission == "recurring" and c.covers_trial and not c.covers_follow_on:
        yield ("commission.covers_follow_on", "warning",
               "the commission will stop after the trial: the contracts that follow it "
               "earn nothing")
    if not c.covers_trial and not c.covers_follow_on:
        yield ("commission.covers_trial", "warning",
               "neither the trial nor the contracts that follow are covered: a client who "
               "starts with a trial brings no commission at all")


@rule
def no_liability_cap(deal: Deal) -> Iterator[Finding]:
    if deal.has_commission and deal.liability is not None and deal.liability.cap == "none":
        yield "liability.cap", "warning", "no limit of liability for the introducer"


@rule
def jurisdiction_with_ei(deal: Deal) -> Iterator[Finding]:
    if deal.disputes.jurisdiction and "ei" in (deal.introducer.legal_form,
                                               deal.beneficiary.legal_form):
        yield ("disputes.jurisdiction", "warning",
               "a jurisdiction clause binds only traders; with an individual entrepreneur "
               "(ei) it is likely ineffective")


@rule
def das2_threshold(deal: Deal) -> Iterator[Finding]:
    estimate = terms.yearly_commission_incl_vat(deal)
    if estimate is not None and estimate > DAS2_THRESHOLD:
        yield ("client.estimated_revenue", "warning",
               f"the commissions are estimated at {estimate:.2f} € incl. VAT over 12 months, "
               f"above {DAS2_THRESHOLD} €: the beneficiary must declare them (DAS2)")


@rule
def unnamed_client_in_message(deal: Deal) -> Iterator[Finding]:
    message = deal.offer.message
    if message and not deal.client.named_in_offer and deal.client.name.casefold() in \
            message.casefold():
        yield ("offer.message", "warning",
               "names the client, but client.named_in_offer is false: the offer sheet would "
               "reveal the client's name; remove it from the message or set named_in_offer")


@rule
def company_identification(deal: Deal) -> Iterator[Finding]:
    for prefix, party in (("introducer", deal.introducer), ("beneficiary", deal.beneficiary)):
        if not party.is_company:
            continue
        if party.share_capital is None:
            yield (f"{prefix}.share_capital", "warning",
                   "missing for a company: its identification in the contract is incomplete "
                   "(Code de commerce R123-237)")
        if party.registry is None:
            yield (f"{prefix}.registry", "warning",
                   "missing for a company: its identification in the contract is incomplete "
                   "(Code de commerce R123-237, R123-238)")


@rule
def capacity_of_another_form(deal: Deal) -> Iterator[Finding]:
    for prefix, party in (("introducer", deal.introducer), ("beneficiary", deal.beneficiary)):
        if party.representative is None or not party.is_company:
            continue
        capacity = party.representative.capacity.casefold()
        for office, forms in _OFFICES.items():
            if office in capacity and party.legal_form not in forms:
                yield (f"{prefix}.representative.capacity", "warning",
                       f"'{party.representative.capacity}' is not an office of a company of "
                       f"this form ({party.legal_form}); check who represents it")
                break


@rule
def trivial_cap(deal: Deal) -> Iterator[Finding]:
    liability = deal.liability
    if not deal.has_commission or liability is None or liability.cap != "amount" \
            or liability.cap_amount is None or liability.cap_amount <= 0:
        return
    expected = terms.expected_commission(deal)
    floor = terms.CAP_FLOOR if expected is None else expected
    if liability.cap_amount < floor:
        why = (f"the commission expected over the commission period ({floor:.2f} €)"
               if expected is not None else f"{terms.CAP_FLOOR} € (no revenue estimate)")
        yield ("liability.cap_amount", "warning",
               f"is below {why}: a cap that small may empty the introducer's essential "
               "obligation (Code civil art. 1170)")


def _scripts(word: str) -> set[str]:
    found = set()
    for ch in word:
        if ch.isalpha():
            found.add(unicodedata.name(ch, "?").split(" ")[0])
    return found


@rule
def mixed_scripts(deal: Deal) -> Iterator[Finding]:
    names = [("introducer.name", deal.introducer.name),
             ("beneficiary.name", deal.beneficiary.name), ("client.name", deal.client.name)]
    for prefix, party in (("introducer", deal.introducer), ("beneficiary", deal.beneficiary)):
        if party.representative is not None:
            names.append((f"{prefix}.representative.name", party.representative.name))
    for path, name in names:
        for word in name.split():
            scripts = _scripts(word)
            if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
                yield (path, "warning",
                       f"the word '{word}' mixes Latin letters with Cyrillic or Greek ones: "
                       "it reads the same but is not the same name")
                break


@rule
def commission_outlasts_agreement(deal: Deal) -> Iterator[Finding]:
    d = deal.duration
    if not deal.has_commission or d is None or d.mission != "recurring" \
            or d.commission_months is None or not deal.commission.covers_follow_on:
        return
    reach = d.agreement_months + d.tail_months
    if d.commission_months > reach:
        yield ("duration.commission_months", "warning",
               f"{d.commission_months} months is longer than the agreement and its tail "
               f"({reach} months): follow-on contracts signed after them earn nothing, so the "
               "later months of the worked example may never be owed")
