"""The spec's rules that relate several fields, and its warnings.

Each rule is a small function that looks at a validated :class:`Deal` and
yields :class:`Finding` s (a path, a severity, a message code and its
parameters, worded by :mod:`generator.messages`); :func:`check` runs them
all, so every problem of a deal is reported at once. Identifiers are checked through
python-stdnum in :mod:`generator.model`; here we only relate them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from . import figures
from .model import Deal, Party, vat_key


class Finding(NamedTuple):
    """One problem a rule found: where, how serious, and its message code."""

    path: str
    severity: str
    code: str
    params: dict[str, Any] = {}


def error(path: str, code: str, **params: Any) -> Finding:
    return Finding(path, "error", code, params)


def warning(path: str, code: str, **params: Any) -> Finding:
    return Finding(path, "warning", code, params)

Rule = Callable[[Deal], Iterator[Finding]]

DAS2_THRESHOLD = figures.DAS2_THRESHOLD

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
            yield error("liability", "liability-required")
        if deal.duration is None:
            yield error("duration", "duration-required")


@rule
def distinct_parties(deal: Deal) -> Iterator[Finding]:
    if deal.introducer.siren == deal.beneficiary.siren:
        yield error("introducer.siret", "same-siren", siren=deal.introducer.siren)
        yield error("beneficiary.siret", "same-siren", siren=deal.introducer.siren)


def _party_rules(prefix: str, party: Party) -> Iterator[Finding]:
    if party.is_company and party.representative is None:
        yield error(f"{prefix}.representative", "representative-required",
                    form=party.legal_form)
    if not party.is_company and party.representative is not None:
        yield error(f"{prefix}.representative", "representative-not-allowed")
    if party.vat_number is not None:
        expected = "FR" + vat_key(party.siren) + party.siren
        if party.vat_number != expected:
            yield error(f"{prefix}.vat_number", "vat-number-mismatch", siren=party.siren,
                        expected=expected)


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
        yield error("duration.commission_months", "commission-months-required")
    if d.mission == "one_shot" and d.commission_months is not None:
        yield error("duration.commission_months", "commission-months-not-allowed")


@rule
def cap_amount(deal: Deal) -> Iterator[Finding]:
    liability = deal.liability
    if liability is None:
        return
    if liability.cap == "amount":
        if liability.cap_amount is None:
            yield error("liability.cap_amount", "cap-amount-required")
        elif liability.cap_amount <= 0:
            yield error("liability.cap_amount", "cap-amount-not-positive",
                        got=liability.cap_amount)
    elif liability.cap_amount is not None:
        yield error("liability.cap_amount", "cap-amount-unused", cap=liability.cap)


# --- warnings ------------------------------------------------------------------


@rule
def reply_after_signature(deal: Deal) -> Iterator[Finding]:
    reply_by, signed = deal.offer.reply_by, deal.signature.date
    if reply_by is not None and signed is not None and reply_by > signed:
        yield warning("offer.reply_by", "reply-after-signature", reply_by=reply_by.isoformat(),
                      signed=signed.isoformat())


@rule
def client_informed(deal: Deal) -> Iterator[Finding]:
    if not deal.client.informed:
        yield warning("client.informed", "client-not-informed")


@rule
def trial_coverage(deal: Deal) -> Iterator[Finding]:
    if not deal.has_commission or deal.duration is None:
        return
    c = deal.commission
    if deal.duration.mission == "recurring" and c.covers_trial and not c.covers_follow_on:
        yield warning("commission.covers_follow_on", "commission-stops-after-trial")
    if not c.covers_trial and not c.covers_follow_on:
        yield warning("commission.covers_trial", "nothing-covered")


@rule
def no_liability_cap(deal: Deal) -> Iterator[Finding]:
    if deal.has_commission and deal.liability is not None and deal.liability.cap == "none":
        yield warning("liability.cap", "no-liability-cap")


@rule
def jurisdiction_with_ei(deal: Deal) -> Iterator[Finding]:
    if deal.disputes.jurisdiction and "ei" in (deal.introducer.legal_form,
                                               deal.beneficiary.legal_form):
        yield warning("disputes.jurisdiction", "jurisdiction-with-ei")


@rule
def das2_threshold(deal: Deal) -> Iterator[Finding]:
    estimate = figures.yearly_commission_incl_vat(deal)
    if estimate is not None and estimate > DAS2_THRESHOLD:
        yield warning("client.estimated_revenue", "das2-threshold", estimate=estimate,
                      threshold=DAS2_THRESHOLD)


@rule
def unnamed_client_in_message(deal: Deal) -> Iterator[Finding]:
    message = deal.offer.message
    if message and not deal.client.named_in_offer and deal.client.name.casefold() in \
            message.casefold():
        yield warning("offer.message", "client-named-in-message")


@rule
def company_identification(deal: Deal) -> Iterator[Finding]:
    for prefix, party in (("introducer", deal.introducer), ("beneficiary", deal.beneficiary)):
        if not party.is_company:
            continue
        if party.share_capital is None:
            yield warning(f"{prefix}.share_capital", "company-share-capital-missing")
        if party.registry is None:
            yield warning(f"{prefix}.registry", "company-registry-missing")


@rule
def capacity_of_another_form(deal: Deal) -> Iterator[Finding]:
    for prefix, party in (("introducer", deal.introducer), ("beneficiary", deal.beneficiary)):
        if party.representative is None or not party.is_company:
            continue
        capacity = party.representative.capacity.casefold()
        for office, forms in _OFFICES.items():
            if office in capacity and party.legal_form not in forms:
                yield warning(f"{prefix}.representative.capacity", "capacity-of-another-form",
                              capacity=party.representative.capacity, form=party.legal_form)
                break


@rule
def trivial_cap(deal: Deal) -> Iterator[Finding]:
    liability = deal.liability
    if not deal.has_commission or liability is None or liability.cap != "amount" \
            or liability.cap_amount is None or liability.cap_amount <= 0:
        return
    expected = figures.expected_commission(deal)
    floor = figures.CAP_FLOOR if expected is None else expected
    if liability.cap_amount < floor:
        if expected is not None:
            yield warning("liability.cap_amount", "cap-below-expected-commission",
                          expected=expected)
        else:
            yield warning("liability.cap_amount", "cap-below-floor", floor=figures.CAP_FLOOR)


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
                yield warning(path, "mixed-scripts", word=word)
                break


@rule
def commission_outlasts_agreement(deal: Deal) -> Iterator[Finding]:
    d = deal.duration
    if not deal.has_commission or d is None or d.mission != "recurring" \
            or d.commission_months is None or not deal.commission.covers_follow_on:
        return
    reach = d.agreement_months + d.tail_months
    if d.commission_months > reach:
        yield warning("duration.commission_months", "commission-outlasts-agreement",
                      months=d.commission_months, reach=reach)
