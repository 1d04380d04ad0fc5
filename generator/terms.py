"""Derived terms: the figures, words and dates computed once from a deal.

The contract's clauses, the Word templates, the offer sheet and the
validation rules all read their figures from here, so they can never
disagree. Everything a clause body receives is already formatted French
text (or a boolean to choose a wording); raw YAML never reaches a document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import field
from decimal import Decimal
from typing import Any

from . import french
from .figures import (  # noqa: F401 - the figures are part of the terms
    CAP_FLOOR,
    CENT,
    DAS2_THRESHOLD,
    VAT_RATE,
    commission_on,
    example_months,
    expected_commission,
    money,
    yearly_commission_incl_vat,
)
from .model import Deal, Party
from .records import record
from .text import Run, value

DRAFT_NOTICE = "Projet – à faire relire par un juriste"
BLANK_DATE = "____________________"

# Fixed terms of every contract, stated once: the clauses, the offer sheet and the
# client notice print them from here (the cap's floor and the DAS2 threshold, which
# the rules read too, with the figures in generator/figures.py).
RECOVERY_INDEMNITY = Decimal(40)     # Code de commerce D441-5
LATE_INTEREST = ("le taux d’intérêt appliqué par la Banque centrale européenne à son "
                 "opération de refinancement la plus récente, majoré de dix (10) points "
                 "de pourcentage")
TRIAL_MONTHS = 1                     # a "Contrat d'essai" lasts at most this long
NOTIFY_DAYS = 8                      # the beneficiary reports each contract signed
STATEMENT_DAY = 10                   # the monthly statement is due by this day
CONFIDENTIALITY_YEARS = 2            # confidentiality and non-circumvention after the end
DATA_DELETION_MONTHS = 3             # client data erased when no contract follows
CURE_DAYS = 15                       # to remedy a serious breach after formal notice
AMICABLE_DAYS = 30                   # to settle amicably before mediation
PAYMENT_CEILING_DAYS = 60            # every invoice paid at the latest this long after its
                                     # date (Code de commerce L441-10)

LEGAL_FORMS = {
    "ei": ("entrepreneur individuel", "EI"),
    "eurl": ("entreprise unipersonnelle à responsabilité limitée", "EURL"),
    "sarl": ("société à responsabilité limitée", "SARL"),
    "sasu": ("société par actions simplifiée unipersonnelle", "SASU"),
    "sas": ("société par actions simplifiée", "SAS"),
    "sa": ("société anonyme", "SA"),
}


# --- figures ------------------------------------------------------------------------


# --- the terms handed to clauses and templates --------------------------------------------


@record(frozen=True)
class PartyTerms:
    """A signatory, formatted. ``identity`` is the parties-block paragraph."""

    name: str
    form: str
    form_short: str
    siret: str
    siren: str
    address: str
    email: str | None
    vat_number: str | None
    is_company: bool
    signer: str
    capacity: str
    identity: tuple[Run, ...]
    vat_liable: bool
    designated: str  # "dénommée" for a company (une société), "dénommé" for an EI



def one_line(text: str) -> str:
    """Text typed on several lines (an address, a need), as one line, each line typed
    alone (:func:`french.typed`) as the user wrote it: typed once joined, a ``{{`` on one
    line and a ``}}`` on another made one span left untouched across the lines."""
    return ", ".join(french.typed(part.strip().rstrip(",")) for part in text.split("\n")
                     if part.strip())


def _vat_number(party: Party) -> list[Run]:
    if not party.vat_number:
        return []
    return [Run(", numéro de TVA intracommunautaire "), value(party.vat_number)]


def _party(party: Party) -> PartyTerms:
    form, short = LEGAL_FORMS[party.legal_form]
    groups = (party.siret[:3], party.siret[3:6], party.siret[6:9], party.siret[9:])
    siret = french.NBSP.join(groups)
    siren = french.NBSP.join(groups[:3])
    typed = french.typed  # the deal's text keeps its words, with French punctuation
    name, address = typed(party.name), one_line(party.address)
    runs: list[Run] = [value(name)]
    if party.is_company:
        runs.append(Run(f", {form} ({short})"))
        if party.share_capital is not None:
            runs += [Run(" au capital de "), value(french.amount(party.share_capital))]
        if party.registry:
            runs += [Run(", immatriculée au registre du commerce et des sociétés de "),
                     value(typed(party.registry)), Run(" sous le numéro "), value(siren)]
        runs += [Run(", SIRET "), value(siret), Run(", dont le siège social est situé "),
                 value(address)]
        runs += _vat_number(party)
        assert party.representative is not None
        signer = typed(party.representative.name)
        capacity = typed(party.representative.capacity)
        runs += [Run(", représentée par "), value(signer), Run(", en sa qualité de "),
                 value(capacity)]
    else:
        runs += [Run(f", {form} ({short}), SIRET "), value(siret),
                 Run(", dont l’adresse professionnelle est "), value(address)]
        runs += _vat_number(party)
        signer, capacity = name, f"{form[0].upper()}{form[1:]}"
    return PartyTerms(
        name=name, form=f"{form} ({short})", form_short=short, siret=siret,
        siren=siren, address=address, email=party.email, vat_number=party.vat_number,
        is_company=party.is_company, signer=signer, capacity=capacity,
        identity=tuple(runs), vat_liable=party.vat == "liable",
        designated="dénommée" if party.is_company else "dénommé",
    )


@record(frozen=True)
class CommissionTerms:
    """The commission, formatted. ``rate`` is figures then words."""

    zero: bool
    rate: str
    rate_figures: str
    rate_words: str
    base: str
    base_word: str
    payment_days: str
    payment_days_number: int
    covers_trial: bool
    covers_follow_on: bool
    vat_mention: str
    vat_liable: bool
    collected: bool
    invoiced: bool
    due: str  # when each commission falls due: « quinze (15) jours après … »
    late_interest: str
    recovery_indemnity: str
    statement_day: str
    notify_days: str
    # formatted when a deal's terms are (not at import: ``apport validate`` formats nothing)
    payment_ceiling: str = field(
        default_factory=lambda: french.count(PAYMENT_CEILING_DAYS, "jour", "jours"))
    das2_threshold: str = field(default_factory=lambda: french.amount(DAS2_THRESHOLD))
    yearly_incl_vat: str | None = None  # the estimated commissions over 12 months, VAT incl.
    das2_expected: bool = False  # the estimate is above the DAS2 threshold


@record(frozen=True)
class DurationTerms:
    one_shot: bool
    recurring: bool
    months: str | None
    months_number: int | None
    agreement: str
    renewal: bool
    notice: str
    notice_days: int
    early_ending: bool  # notice_days > 0: either party may end it early, for convenience
    tail: str | None
    tail_months_number: int
    period_start: str  # what starts the commission period: « le premier paiement … »
    period_from: str   # the same after « à compter »: « du premier paiement … »
    until: str         # how long a contract may be signed and still earn commission
    trial_length: str  # the longest a « Contrat d'essai » may last


@record(frozen=True)
class LiabilityTerms:
    cap: str
    amount: str | None
    floor: str  # the commissions cap is never below this sum


@record(frozen=True)
class ObligationTerms:
    """Durations the contract fixes whatever the deal (printed from here only)."""

    confidentiality: str
    data_deletion: str
    cure: str
    amicable: str


@record(frozen=True)
class ClientTerms:
    name: str | None  # None in the offer when the client must not be named
    activity: str | None
    need: str | None
    informed: bool
    named_in_offer: bool


@record(frozen=True)
class SignatureTerms:
    place: str
    date: str | None
    date_or_blank: str
    originals: str
    originals_number: int
    closing: str


@record(frozen=True)
class ExampleRow:
    """One line of the worked example."""

    label: str
    revenue: str
    commission: str
    kept: str


@record(frozen=True)
class ExampleTerms:
    """The worked example of the offer sheet (and of the contract's annex).

    With an estimate: figures. Without: the same rows with the formula.
    """

    estimated: bool
    rows: tuple[ExampleRow, ...]
    months: int
    total_commission: str | None
    total_commission_figures: str | None
    commission_vat_note: str | None
    # A beneficiary under the VAT franchise cannot recover the VAT her introducer charges:
    # what she really pays, per payment and in total, and what she really keeps.
    vat_cost: bool = False
    cost_incl_vat: str | None = None
    total_cost_incl_vat: str | None = None
    kept_after_vat: str | None = None


@record(frozen=True)
class Terms:
    """Everything a clause or a template may print about a deal."""

    reference: str
    draft_notice: str
    introducer: PartyTerms
    beneficiary: PartyTerms
    client: ClientTerms
    involvement: str
    discovery_call: bool
    success: bool
    commission: CommissionTerms
    duration: DurationTerms | None
    liability: LiabilityTerms | None
    obligations: ObligationTerms
    jurisdiction: str | None
    signature: SignatureTerms
    example: ExampleTerms | None
    reply_by: str | None
    message: tuple[str, ...]

    def as_context(self) -> dict[str, Any]:
        """The names a clause body sees."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _commission(deal: Deal) -> CommissionTerms:
    c = deal.commission
    base_word = "encaissé" if c.base == "collected" else "facturé"
    liable = deal.introducer.vat == "liable"
    yearly = yearly_commission_incl_vat(deal)
    return CommissionTerms(
        zero=not deal.has_commission,
        rate=french.percent_full(c.rate),
        rate_figures=french.percent(c.rate),
        rate_words=french.percent_in_words(c.rate),
        base=f"du chiffre d’affaires hors taxes {base_word}",
        base_word=base_word,
        payment_days=french.count(c.payment_days, "jour", "jours"),
        payment_days_number=c.payment_days,
        covers_trial=c.covers_trial,
        covers_follow_on=c.covers_follow_on,
        vat_mention=(french.typography("TVA non applicable, art. 293 B du CGI") if not liable
                     else "majorée de la TVA au taux en vigueur"),
        vat_liable=liable,
        collected=c.base == "collected",
        invoiced=c.base == "invoiced",
        due=_due(c.base, c.payment_days),
        late_interest=LATE_INTEREST,
        recovery_indemnity=french.amount_full(RECOVERY_INDEMNITY),
        statement_day=french.number_full(STATEMENT_DAY),
        notify_days=french.count(NOTIFY_DAYS, "jour", "jours"),
        yearly_incl_vat=french.amount(yearly) if yearly is not None else None,
        das2_expected=yearly is not None and yearly > DAS2_THRESHOLD,
    )


def _due(base: str, days: int) -> str:
    """When a commission falls due: after the payment (collected), after the invoice's
    due date whether or not the client pays (invoiced)."""
    if base == "collected":
        event = "l’encaissement du paiement dont elle provient"
    else:
        event = ("la date d’échéance de la facture dont elle provient, que cette facture "
                 "ait été payée ou non")
    if days == 0:
        return f"dès {event}"
    return f"{french.count(days, 'jour', 'jours')} après {event}"


def _period_start(base: str) -> tuple[str, str]:
    """What starts the commission period, bare and after « à compter »."""
    if base == "collected":
        return ("le premier paiement encaissé qui ouvre droit à commission",
                "du premier paiement encaissé qui ouvre droit à commission")
    return ("la première facture émise qui ouvre droit à commission",
            "de la première facture émise qui ouvre droit à commission")


def _until(renewal: bool, tail_months: int) -> str:
    """The window in which a contract with the client must be signed to earn commission."""
    # no comma inside: the window is followed by « . », « , » or a verb in the clauses
    window = "pendant la durée du contrat" + (" et de ses renouvellements" if renewal else "")
    if tail_months:  # « au plus tard un (1) mois après », never « dans les un (1) mois »
        window += f" ou au plus tard {french.count(tail_months, 'mois', 'mois')} après sa fin"
    return window


def _duration(deal: Deal) -> DurationTerms | None:
    d = deal.duration
    if d is None:
        return None
    start, start_from = _period_start(deal.commission.base)
    return DurationTerms(
        one_shot=d.mission == "one_shot",
        recurring=d.mission == "recurring",
        months=french.count(d.commission_months, "mois", "mois") if d.commission_months else None,
        months_number=d.commission_months,
        agreement=french.count(d.agreement_months, "mois", "mois"),
        renewal=d.renewal == "tacit",
        notice=french.count(d.notice_days, "jour", "jours"),
        notice_days=d.notice_days,
        early_ending=d.notice_days > 0,
        tail=french.count(d.tail_months, "mois", "mois") if d.tail_months else None,
        tail_months_number=d.tail_months,
        period_start=start,
        period_from=start_from,
        until=_until(d.renewal == "tacit", d.tail_months),
        trial_length=french.count(TRIAL_MONTHS, "mois", "mois"),
    )


def _signature(deal: Deal) -> SignatureTerms:
    s = deal.signature
    date = french.date_long(s.date) if s.date else None
    originals = french.number_in_words(s.originals)
    date_or_blank = f"le {date}" if date else f"le {BLANK_DATE}"
    place = french.typed(s.place)
    return SignatureTerms(
        place=place, date=date, date_or_blank=date_or_blank, originals=originals,
        originals_number=s.originals,
        closing=f"Fait à {place}, {date_or_blank}, en {originals} exemplaires originaux, "
                "dont un pour chaque Partie.",
    )


def _example(deal: Deal) -> ExampleTerms | None:
    if not deal.has_commission or deal.duration is None:
        return None
    revenue = deal.client.estimated_revenue
    one_shot = deal.duration.mission == "one_shot"
    months = 1 if one_shot else example_months(deal)
    rate = deal.commission.rate
    vat_note = french.typography(
        "La commission est facturée hors taxes, majorée de la TVA (20 %)."
        if deal.introducer.vat == "liable"
        else "La commission est facturée sans TVA (art. 293 B du CGI).")
    if revenue is None:
        what = "montant de la mission (HT)" if one_shot else "montant mensuel (HT)"
        row = ExampleRow("Mission" if one_shot else "Chaque mois", what,
                         f"montant × {french.percent(rate)}",
                         f"montant × {french.percent(100 - rate)}")
        return ExampleTerms(estimated=False, rows=(row,), months=months, total_commission=None,
                            total_commission_figures=None, commission_vat_note=vat_note)

    def line(label: str, revenue: Decimal, commission: Decimal) -> ExampleRow:
        return ExampleRow(label, french.amount(revenue), french.amount(commission),
                          french.amount(revenue - commission))

    commission = commission_on(deal, revenue)
    if one_shot:
        rows = [line("Mission", revenue, commission)]
    else:
        period = deal.duration.commission_months or 0
        if months == period:
            rows = [line("Chaque mois", revenue, commission)]
        else:  # the trial alone, or nothing, earns commission
            rows = [line("Mois d’essai", revenue, commission if months else Decimal(0)),
                    line("Chaque mois suivant", revenue, Decimal(0))]
        if period > 1:  # over one month, the total would repeat the month's row
            rows.append(line(f"Total sur {french.count(period, 'mois', 'mois')}",
                             revenue * period, commission * months))
    total = expected_commission(deal)
    assert total is not None
    vat_cost = deal.introducer.vat == "liable" and deal.beneficiary.vat == "franchise"
    cost = money(commission * (1 + VAT_RATE))
    return ExampleTerms(
        estimated=True, rows=tuple(rows), months=months,
        total_commission=french.amount_full(total), total_commission_figures=french.amount(total),
        commission_vat_note=vat_note, vat_cost=vat_cost,
        cost_incl_vat=french.amount(cost) if vat_cost else None,
        total_cost_incl_vat=french.amount(cost * months) if vat_cost else None,
        kept_after_vat=french.amount(revenue - cost) if vat_cost else None,
    )


def paragraphs(text: str | None) -> tuple[str, ...]:
    """Free text -> paragraphs: blank lines separate them, single newlines join.

    A line of spaces counts as blank; each paragraph gets French punctuation.
    """
    if not text:
        return ()
    chunks = [" ".join(line.strip() for line in chunk.split("\n") if line.strip())
              for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    return tuple(french.typed(c) for c in chunks if c)


@functools.lru_cache(maxsize=16)  # the contract and the offer of a deal share one derivation
def derive(deal: Deal, *, reference: str) -> Terms:
    """Compute every derived term of ``deal`` once.

    Args:
        reference: the deal's reference (its ``reference`` field or, by
            default, the file name without extension).
    """
    liability = None
    if deal.liability is not None:
        liability = LiabilityTerms(
            cap=deal.liability.cap,
            amount=(french.amount_full(deal.liability.cap_amount)
                    if deal.liability.cap_amount is not None else None),
            floor=french.amount_full(CAP_FLOOR),
        )
    return Terms(
        reference=reference,
        draft_notice=DRAFT_NOTICE,
        introducer=_party(deal.introducer),
        beneficiary=_party(deal.beneficiary),
        client=ClientTerms(
            name=french.typed(deal.client.name),
            activity=french.typed(deal.client.activity) if deal.client.activity else None,
            need=one_line(deal.client.need) if deal.client.need else None,
            informed=deal.client.informed, named_in_offer=deal.client.named_in_offer,
        ),
        involvement=deal.role.involvement,
        discovery_call=deal.role.involvement == "discovery_call",
        success=deal.role.commitment == "success",
        commission=_commission(deal),
        duration=_duration(deal),
        liability=liability,
        obligations=ObligationTerms(
            confidentiality=french.count(CONFIDENTIALITY_YEARS, "an", "ans"),
            data_deletion=french.count(DATA_DELETION_MONTHS, "mois", "mois"),
            cure=french.count(CURE_DAYS, "jour", "jours"),
            amicable=french.count(AMICABLE_DAYS, "jour", "jours"),
        ),
        jurisdiction=french.typed(deal.disputes.jurisdiction) if deal.disputes.jurisdiction
        else None,
        signature=_signature(deal),
        example=_example(deal),
        reply_by=french.date_long(deal.offer.reply_by) if deal.offer.reply_by else None,
        message=paragraphs(deal.offer.message),
    )


def facts(deal: Deal) -> dict[str, Any]:
    """The deal's raw fields, for the clauses' ``when`` conditions."""
    return deal.model_dump(mode="python")
