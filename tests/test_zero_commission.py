"""A rate of 0: the terms are ignored, yet a key the format does not know is still named."""

from __future__ import annotations

from conftest import set_path


def _zero(valid_deal, check, **changes):
    data = valid_deal()
    set_path(data, "commission.rate", 0)
    for path, value in changes.items():
        set_path(data, path.replace("__", "."), value)
    return check(data)


def test_invalid_values_in_ignored_terms_are_ignored(valid_deal, check):
    result = _zero(valid_deal, check, duration__mission="one_shot",
                   duration__commission_months=99, liability__cap="amount",
                   commission__payment_days=500)
    assert result.ok, [str(d) for d in result.diagnostics]


def test_a_typo_in_ignored_terms_is_still_an_unknown_key(valid_deal, check):
    result = _zero(valid_deal, check, duration__comission_months=3, commission__payment_dayz=1)
    errors = {(d.path, d.message) for d in result.diagnostics if d.severity == "error"}
    assert ("duration.comission_months",
            "unknown key 'comission_months'; did you mean 'commission_months'?") in errors
    assert ("commission.payment_dayz",
            "unknown key 'payment_dayz'; did you mean 'payment_days'?") in errors
    assert not result.ok


def test_with_a_commission_typos_are_reported_once(valid_deal, check):
    data = valid_deal()
    set_path(data, "duration.comission_months", 3)
    result = check(data)
    assert [d.path for d in result.diagnostics if d.severity == "error"] == [
        "duration.comission_months"]
