"""The figures derived from a deal's commission terms: pure arithmetic on the model.

Kept apart from :mod:`generator.terms` (which puts them into words for the
documents, with babel and num2words) so that the validation rules can read
them without loading the documents' machinery: ``apport validate`` computes
the DAS2 estimate and the cap's floor, never a sentence. :mod:`generator.terms`
re-exports every name here; a figure lives in this one place.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Deal

VAT_RATE = Decimal("0.20")
CENT = Decimal("0.01")
CAP_FLOOR = Decimal(1000)            # the least the commissions cap can ever be
DAS2_THRESHOLD = Decimal(2400)       # fees above this, VAT included, a year to one payee are
                                     # declared by the payer (DAS2, CGI art. 240)


def money(amount: Decimal) -> Decimal:
    """Round to the cent, half up, as invoices do."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def commission_on(deal: Deal, revenue: Decimal) -> Decimal:
    """The commission (excl. VAT) on ``revenue`` at the deal's rate."""
    return money(revenue * deal.commission.rate / 100)


def example_months(deal: Deal) -> int:
    """How many months of revenue the worked example counts (recurring missions).

    The whole commission period when follow-on contracts are covered; the
    first month only when only a trial would be covered; none when neither
    is (a client who starts with a trial then brings nothing).
    """
    assert deal.duration is not None and deal.duration.commission_months is not None
    if deal.commission.covers_follow_on:
        return deal.duration.commission_months
    return 1 if deal.commission.covers_trial else 0


def expected_commission(deal: Deal) -> Decimal | None:
    """The commission (excl. VAT) the estimate brings over the commission period.

    The worked example's total: one commission for a one-shot mission, the
    commissioned months of a recurring one (see :func:`example_months`).
    ``None`` when the deal gives no estimate or no commission.
    """
    revenue = deal.client.estimated_revenue
    if revenue is None or not deal.has_commission or deal.duration is None:
        return None
    if deal.duration.mission == "one_shot":
        return commission_on(deal, revenue)
    if deal.duration.commission_months is None:
        return None
    return commission_on(deal, revenue) * example_months(deal)


def yearly_commission_incl_vat(deal: Deal) -> Decimal | None:
    """The estimated commissions, VAT included, over the busiest 12 months.

    ``None`` when the deal gives no estimate or no commission. Used for the
    DAS2 warning (payers declare fees above 2 400 € a year to one payee).
    """
    revenue = deal.client.estimated_revenue
    if revenue is None or not deal.has_commission or deal.duration is None:
        return None
    if deal.duration.mission == "one_shot":
        total = commission_on(deal, revenue)
    else:
        if deal.duration.commission_months is None:
            return None
        total = commission_on(deal, revenue) * min(example_months(deal), 12)
    if deal.introducer.vat == "liable":
        total = money(total * (1 + VAT_RATE))
    return total
