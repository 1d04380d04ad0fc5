"""The option matrix's test data (generator/library.py)."""

from __future__ import annotations


def test_the_option_matrix_gives_each_company_form_a_fitting_capacity() -> None:
    """Jurist finding 8: a SARL's representative is its « Gérante », not « Présidente »."""
    from generator.library import option_deals
    from generator.model import Deal
    from generator.rules import capacity_of_another_form

    forms: set[str] = set()
    for label, data in option_deals():
        deal = Deal.model_validate(data)
        assert list(capacity_of_another_form(deal)) == [], label
        forms |= {p.legal_form for p in (deal.introducer, deal.beneficiary) if p.is_company}
    assert {"sarl", "sasu"} <= forms
