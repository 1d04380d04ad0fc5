"""The worked example's rows (terms.example), shared by the offer and its plain text."""

from __future__ import annotations

from documents_helpers import variant

from generator.terms import derive


def _labels(**changes) -> list[str]:
    example = derive(variant("julie-atelier-bois", **changes), reference="R").example
    assert example is not None
    return [row.label for row in example.rows]


def test_a_single_commission_month_has_no_total_row() -> None:
    """Reader finding 3: « Chaque mois » and « Total sur un (1) mois » said the same."""
    assert _labels(**{"duration.commission_months": 1}) == ["Chaque mois"]
    assert _labels(**{"duration.commission_months": 1, "commission.covers_trial": False,
                      "commission.covers_follow_on": False}) == ["Mois d’essai",
                                                                 "Chaque mois suivant"]


def test_several_months_keep_their_total_row() -> None:
    assert _labels(**{"duration.commission_months": 2}) == ["Chaque mois",
                                                            "Total sur deux (2)\u00a0mois"]

