"""The message catalogue: every code in both languages, the language chosen, codes kept."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest

from generator import messages
from generator.messages import Msg, render

# Messages that are the same words in both languages (only values inside).
SAME_IN_BOTH = {"clause-condition"}


def _fields(template: str) -> set[tuple[str, str]]:
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template)
            if name is not None}


def test_both_catalogues_have_the_same_codes_and_none_is_empty():
    en, fr = messages.catalogue("en"), messages.catalogue("fr")
    assert sorted(en) == sorted(fr)
    assert len(en) > 100
    assert all(en.values()) and all(fr.values())


@pytest.mark.parametrize("code", messages.codes())
def test_every_code_renders_in_both_languages_with_the_same_parameters(code):
    en, fr = messages.catalogue("en")[code], messages.catalogue("fr")[code]
    assert {n for n, _ in _fields(en)} == {n for n, _ in _fields(fr)}, code
    fields = _fields(en) | _fields(fr)
    numeric = {name for name, spec in fields if spec}
    params = {name: Decimal("1234.5") if name in numeric else "X" for name, _ in fields}
    english, french = render(code, params, "en"), render(code, params, "fr")
    assert english and french
    if code not in SAME_IN_BOTH:
        assert french != english, f"{code} is not translated"


def test_no_french_message_is_left_in_english():
    """A French message does not reuse a long English phrase (a forgotten translation)."""
    words = ("must be", "is not", "cannot", "the file", "required", "not allowed", "unknown key")
    for code, text in messages.catalogue("fr").items():
        outside = text.replace("(en anglais : {detail})", "")
        assert not any(w in outside for w in words), (code, text)


def test_numbers_and_amounts_follow_the_language():
    params = {"estimate": Decimal("4320.00"), "threshold": Decimal(2400)}
    assert "4,320.00\u00a0€" in render("das2-threshold", params, "en")
    assert "4\u202f320,00\u00a0€" in render("das2-threshold", params, "fr") or \
        "4\u00a0320,00\u00a0€" in render("das2-threshold", params, "fr")
    assert render("too-many-decimals", {"got": Decimal("12.5")}, "fr").endswith("(reçu 12,5)")
    assert render("too-many-decimals", {"got": Decimal("12.5")}, "en").endswith("(got 12.5)")


def test_a_message_inside_a_message_is_rendered_in_the_same_language():
    params = {"got": Msg("value-list")}
    assert render("number-expected", params, "fr").endswith("(reçu une liste)")
    assert render("number-expected", params, "en").endswith("(got a list)")


def test_counts_agree_with_their_word():
    summary = {"checked": 1, "valid": 1, "warned": 0, "invalid": 0}
    assert render("validate-summary", summary, "en").startswith("1 deal checked")
    assert render("validate-summary", {**summary, "checked": 2}, "en").startswith("2 deals")
    assert render("validate-summary", summary, "fr").startswith("1 dossier vérifié")


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(LookupError, match="no-such-code"):
        render("no-such-code", {}, "en")


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "fr"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": ""}, "fr"),
    ({"LC_ALL": "fr_BE"}, "fr"),
])
def test_the_language_follows_the_locale_as_posix_reads_it(environ, expected):
    assert messages.language_from_environ(environ) == expected


def test_parameters_survive_a_round_trip_through_json():
    import json

    params = {"got": Decimal("35"), "max": 30, "inner": Msg("value-list"), "list": ["a", "b"]}
    back = messages.from_plain(json.loads(json.dumps(messages.to_plain(params))))
    assert back == params
    assert render("rate-above-ceiling", back, "fr") == render("rate-above-ceiling", params, "fr")
