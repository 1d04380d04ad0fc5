"""The pydantic model of format 1: conversion by the field's type, ranges,
enums, identifiers (SIRET, VAT number through python-stdnum), text rules.

These tests call the model directly on plain data, as the loader hands it
over (every scalar is text); ``test_rules.py`` drives whole files.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import SAMPLES, set_path
from pydantic import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from generator.loading import load_file
from generator.model import (
    COMPANY_FORMS,
    MAX_AMOUNT,
    MAX_MESSAGE,
    MAX_TEXT,
    Deal,
    Party,
    _bool,
    _date,
    _integer,
    _number,
    _siret,
    _vat_number,
    field_names,
    vat_key,
)


def text_data(name: str = "julie-atelier-bois") -> dict[str, Any]:
    """A sample as the loader gives it: every scalar is text."""
    return load_file(SAMPLES / f"{name}.yaml").data


def validate(changes: dict[str, Any], sample: str = "julie-atelier-bois") -> Deal:
    data = copy.deepcopy(text_data(sample))
    for path, value in changes.items():
        set_path(data, path, value)
    return Deal.model_validate(data)


def errors_of(changes: dict[str, Any], sample: str = "julie-atelier-bois") -> list[dict]:
    with pytest.raises(ValidationError) as info:
        validate(changes, sample)
    return info.value.errors(include_url=False)


def error_at(changes: dict[str, Any], path: str, sample: str = "julie-atelier-bois") -> dict:
    found = [e for e in errors_of(changes, sample) if ".".join(map(str, e["loc"])) == path]
    assert len(found) == 1, errors_of(changes, sample)
    return found[0]


def message(error: dict) -> str:
    from generator.model import message_of

    return message_of(error).render("en")


# --- the sample as text converts to typed values ----------------------------------------


def test_sample_converts_by_field_type():
    deal = Deal.model_validate(text_data())
    assert deal.commission.rate == Decimal(15)
    assert deal.signature.date == date(2026, 12, 1)
    assert deal.signature.originals == 2
    assert deal.client.informed is True
    assert deal.client.named_in_offer is False
    assert deal.client.estimated_revenue == Decimal(600)
    assert deal.introducer.siret == "91949250400007"  # spaces removed
    assert deal.beneficiary.siren == "946512365"
    assert deal.beneficiary.is_company and not deal.introducer.is_company
    assert deal.beneficiary.representative.capacity == "Présidente"
    assert deal.duration.commission_months == 12
    assert deal.has_commission


def test_defaults_of_format_1():
    data = text_data()
    for section, key in [("signature", "originals"), ("commission", "base"),
                         ("commission", "payment_days"), ("commission", "covers_trial"),
                         ("commission", "covers_follow_on"), ("duration", "agreement_months"),
                         ("duration", "renewal"), ("duration", "notice_days"),
                         ("duration", "tail_months"), ("client", "informed"),
                         ("client", "named_in_offer")]:
        del data[section][key]
    del data["offer"]
    deal = Deal.model_validate(data)
    assert deal.signature.originals == 2
    assert deal.commission.base == "collected"
    assert deal.commission.payment_days == 15
    assert deal.commission.covers_trial is True
    assert deal.commission.covers_follow_on is True
    assert deal.duration.agreement_months == 12
    assert deal.duration.renewal == "none"
    assert deal.duration.notice_days == 30
    assert deal.duration.tail_months == 0
    assert deal.client.informed is False
    assert deal.client.named_in_offer is False
    assert deal.offer.reply_by is None and deal.offer.message is None
    assert deal.disputes.jurisdiction is None


def test_model_is_frozen():
    deal = Deal.model_validate(text_data())
    with pytest.raises(ValidationError):
        deal.commission.rate = Decimal(20)  # type: ignore[misc]


# --- scalar converters ----------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("True", True), ("TRUE", True),
    ("false", False), ("False", False), ("FALSE", False), (True, True), (False, False),
])
def test_bool_accepts_true_and_false(text, expected):
    assert _bool(text) is expected


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "y", "n", "1", "0", "", " true",
                                  None, [], {}])
def test_bool_refuses_everything_else(text):
    with pytest.raises(ValueError, match="must be true or false"):
        _bool(text)


@pytest.mark.parametrize("text, expected", [
    ("15", Decimal(15)), ("12.5", Decimal("12.5")), ("12.50", Decimal("12.5")),
    ("0", Decimal(0)), ("+3", Decimal(3)), (" 7 ", Decimal(7)), (".5", Decimal("0.5")),
    ("1000000000", Decimal(1_000_000_000)), (5, Decimal(5)),
])
def test_number_accepts_decimals(text, expected):
    assert _number(text) == expected


@pytest.mark.parametrize("text", [".inf", "-.inf", ".nan", "inf", "nan", "NaN", "Infinity",
                                  "1e309", "1e2", "1E2", "0x1F", "0o17", "1_000", "1,5", "",
                                  "15 %", "quinze", True, None, [], {}, 1.5])
def test_number_refuses_non_decimal_spellings(text):
    with pytest.raises(ValueError, match="must be a number"):
        _number(text)


@pytest.mark.parametrize("text", ["12.345", "0.001", "12.500"])
def test_number_refuses_more_than_two_decimals(text):
    with pytest.raises(ValueError, match="at most two decimals"):
        _number(text)


@pytest.mark.parametrize("text, expected", [("2", 2), ("+3", 3), ("-1", -1), (" 12 ", 12), (4, 4)])
def test_integer_accepts_whole_numbers(text, expected):
    assert _integer(text) == expected


@pytest.mark.parametrize("text", ["2.0", "2.5", "1e3", "0x10", "", "two", "9" * 13, True, None])
def test_integer_refuses_the_rest(text):
    with pytest.raises(ValueError, match="must be a whole number"):
        _integer(text)


def test_date_converter():
    assert _date("2026-12-01") == date(2026, 12, 1)
    assert _date(date(2026, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(ValueError, match="does not exist"):
        _date("2027-02-30")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        _date("20261201")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        _date(None)


# --- SIRET, SIREN and VAT through python-stdnum: known vectors ------------------------------


def test_stdnum_known_vectors():
    assert stdnum_siret.is_valid("73282932000074")
    assert stdnum_siren.is_valid("732829320")
    assert stdnum_tva.is_valid("FR40303265045")
    assert not stdnum_siret.is_valid("73282932000075")
    assert not stdnum_siren.is_valid("732829321")


@pytest.mark.parametrize("written", ["73282932000074", "732 829 320 00074", " 73282932000074 ",
                                     "732.829.320.00074"])
def test_siret_valid_vectors(written):
    assert _siret(written) == "73282932000074"


def test_siret_must_have_14_digits():
    with pytest.raises(ValueError, match=r"must be 14 digits \(got 13\)"):
        _siret("7328293200007")
    with pytest.raises(ValueError, match=r"must be 14 digits \(got 15\)"):
        _siret("732829320000740")
    with pytest.raises(ValueError, match="only digits"):
        _siret("7328293200007A")


def test_siret_checksum_on_the_whole_number():
    with pytest.raises(ValueError, match="not a valid SIRET"):
        _siret("73282932000075")


def test_siret_checksum_on_the_siren_too():
    # 14 digits that pass Luhn as a whole, but whose SIREN 123456780 does not.
    assert stdnum_siret.luhn.is_valid("12345678000006")
    assert not stdnum_siren.is_valid("123456780")
    with pytest.raises(ValueError, match="not a valid SIRET"):
        _siret("12345678000006")


def test_la_poste_head_office_is_valid():
    assert _siret("356 000 000 00048") == "35600000000048"


def test_la_poste_sirets_use_the_sum_of_digits():
    # Fails Luhn, but its digits sum to 15: valid for La Poste.
    assert sum(map(int, "35600000000001")) % 5 == 0
    assert _siret("35600000000001") == "35600000000001"
    # Passes Luhn, but its digits sum to 19: invalid for La Poste.
    assert stdnum_siret.luhn.is_valid("35600000000014")
    assert sum(map(int, "35600000000014")) % 5 != 0
    with pytest.raises(ValueError, match="not a valid SIRET"):
        _siret("35600000000014")


@pytest.mark.parametrize("siren, key", [("303265045", "40"), ("946512365", "41"),
                                        ("732829320", "44"), ("919492504", "60")])
def test_vat_key(siren, key):
    assert vat_key(siren) == key
    assert stdnum_tva.is_valid(f"FR{key}{siren}")


@pytest.mark.parametrize("written", ["FR40303265045", "fr40303265045", "FR 40 303 265 045",
                                     "FR40.303.265.045", "FR-40-303265045"])
def test_vat_number_valid_vectors(written):
    assert _vat_number(written) == "FR40303265045"


@pytest.mark.parametrize("written, fragment", [
    ("DE123456789", "must start with FR"),
    ("40303265045", "must start with FR"),
    ("FR4030326504", "two-character key"),
    ("FR403032650451", "two-character key"),
    ("FR41303265045", "not a valid French VAT number"),
])
def test_vat_number_invalid_vectors(written, fragment):
    with pytest.raises(ValueError, match=fragment):
        _vat_number(written)


# --- text fields ----------------------------------------------------------------------------

ONE_LINE_TEXTS = ["reference", "signature.place", "introducer.name", "beneficiary.registry",
                  "beneficiary.representative.name", "beneficiary.representative.capacity",
                  "client.name", "client.activity", "disputes.jurisdiction"]
MULTILINE_TEXTS = ["introducer.address", "beneficiary.address", "client.need", "offer.message"]


@pytest.mark.parametrize("path", ONE_LINE_TEXTS + MULTILINE_TEXTS)
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_control_characters_are_refused_in_every_text(path, char):
    error = error_at({path: f"Lyon{char}x"}, path)
    assert "control character" in message(error)
    assert f"U+{ord(char):04X}" in message(error)


@pytest.mark.parametrize("path", ["signature.place", "offer.message"])
def test_tab_is_allowed_in_text(path):
    deal = validate({path: "a\tb"})
    section, key = path.split(".")
    assert getattr(getattr(deal, section), key) == "a\tb"


@pytest.mark.parametrize("path", ONE_LINE_TEXTS)
def test_newlines_are_refused_in_one_line_texts(path):
    for text in ["a\nb", "a\u2028b", "a\u2029b"]:
        assert "one line" in message(error_at({path: text}, path))
    # A lone carriage return is a control character there.
    assert "U+000D" in message(error_at({path: "a\rb"}, path))


@pytest.mark.parametrize("path", MULTILINE_TEXTS)
def test_newlines_are_allowed_in_address_need_and_message(path):
    deal = validate({path: "one\r\ntwo\u2028three\n"})
    section, key = path.split(".")
    assert getattr(getattr(deal, section), key) == "one\ntwo\nthree"


@pytest.mark.parametrize("path, text", [
    ("signature.place", ""), ("signature.place", "   "), ("client.name", " \t "),
    ("offer.message", ""), ("offer.message", "\n\n"), ("client.need", "  \n  "),
])
def test_text_must_not_be_blank(path, text):
    assert "must not be empty" in message(error_at({path: text}, path))


def test_text_is_stripped():
    assert validate({"client.name": "  Atelier  "}).client.name == "Atelier"


def test_text_length_limits():
    assert validate({"client.name": "x" * MAX_TEXT}).client.name == "x" * MAX_TEXT
    assert error_at({"client.name": "x" * (MAX_TEXT + 1)}, "client.name")["type"] == "too_long"
    assert error_at({"beneficiary.address": "x" * (MAX_TEXT + 1)}, "beneficiary.address")
    assert validate({"offer.message": "x" * MAX_MESSAGE}).offer.message == "x" * MAX_MESSAGE
    assert error_at({"offer.message": "x" * (MAX_MESSAGE + 1)}, "offer.message")


def test_text_refuses_structures():
    assert error_at({"client.name": ["a"]}, "client.name")["type"] == "string_type"
    assert error_at({"client.name": {"a": "b"}}, "client.name")["type"] == "string_type"
    assert error_at({"client.name": None}, "client.name")["type"] == "string_type"


@pytest.mark.parametrize("written", ["julie@assistpro.fr", "a.b+c@sub.example.org"])
def test_email_valid(written):
    assert validate({"beneficiary.email": written}).beneficiary.email == written


@pytest.mark.parametrize("written", ["julie", "julie@", "@assistpro.fr", "a@b", "a b@c.fr",
                                     "a@@b.fr"])
def test_email_invalid(written):
    assert "email" in message(error_at({"beneficiary.email": written}, "beneficiary.email"))


# --- ranges and enums -------------------------------------------------------------------------

RANGES = [
    ("signature.originals", 2, 10),
    ("commission.rate", 0, 30),
    ("commission.payment_days", 0, 60),
    ("duration.commission_months", 1, 60),
    ("duration.agreement_months", 1, 60),
    ("duration.notice_days", 0, 365),
    ("duration.tail_months", 0, 24),
]


@pytest.mark.parametrize("path, low, high", RANGES)
def test_ranges_accept_their_bounds(path, low, high):
    if path == "commission.rate":
        low = Decimal("0.01")  # 0 is the "avec le cœur" case, tested apart
    for value in (low, high):
        deal = validate({path: str(value)})
        section, key = path.split(".")
        assert getattr(getattr(deal, section), key) == value


@pytest.mark.parametrize("path, low, high", RANGES)
def test_ranges_refuse_beyond_their_bounds(path, low, high):
    below = error_at({path: str(low - 1)}, path)
    assert below["type"] == "greater_than_equal"
    above = error_at({path: str(high + 1)}, path)
    assert above["type"] == "less_than_equal"


def test_rate_up_to_two_decimals():
    assert validate({"commission.rate": "29.99"}).commission.rate == Decimal("29.99")
    assert error_at({"commission.rate": "30.01"}, "commission.rate")["type"] == "less_than_equal"
    assert error_at({"commission.rate": "-0.01"}, "commission.rate")["type"] == \
        "greater_than_equal"
    assert "two decimals" in message(error_at({"commission.rate": "12.345"}, "commission.rate"))


@pytest.mark.parametrize("path", ["beneficiary.share_capital", "client.estimated_revenue"])
def test_amounts_between_0_and_a_billion(path):
    section, key = path.split(".")
    assert getattr(getattr(validate({path: "1000000000"}), section), key) == MAX_AMOUNT
    assert getattr(getattr(validate({path: "0"}), section), key) == 0
    assert error_at({path: "1000000000.01"}, path)["type"] == "less_than_equal"
    assert error_at({path: "-1"}, path)["type"] == "greater_than_equal"


def test_cap_amount_upper_bound():
    changes = {"liability.cap": "amount", "liability.cap_amount": "1000000001"}
    assert error_at(changes, "liability.cap_amount")["type"] == "less_than_equal"


ENUMS = {
    "introducer.legal_form": ["ei", "eurl", "sarl", "sasu", "sas", "sa"],
    "introducer.vat": ["franchise", "liable"],
    "beneficiary.vat": ["franchise", "liable"],
    "role.involvement": ["introduction", "discovery_call"],
    "role.commitment": ["recommendation", "success"],
    "liability.cap": ["commissions", "amount", "none"],
    "commission.base": ["collected", "invoiced"],
    "duration.mission": ["one_shot", "recurring"],
    "duration.renewal": ["none", "tacit"],
}


@pytest.mark.parametrize("path", sorted(ENUMS))
def test_enums_refuse_other_values(path):
    for bad in ["other", ENUMS[path][0].upper(), ""]:
        assert error_at({path: bad}, path)["type"] == "literal_error"


def test_enum_values_are_exactly_the_spec():
    schema = Deal.model_json_schema()
    defs = schema["$defs"]
    assert defs["Party"]["properties"]["legal_form"]["enum"] == ENUMS["introducer.legal_form"]
    assert defs["Role"]["properties"]["involvement"]["enum"] == ENUMS["role.involvement"]
    assert defs["Role"]["properties"]["commitment"]["enum"] == ENUMS["role.commitment"]
    assert defs["Liability"]["properties"]["cap"]["enum"] == ENUMS["liability.cap"]
    assert defs["Commission"]["properties"]["base"]["enum"] == ENUMS["commission.base"]
    assert defs["Duration"]["properties"]["mission"]["enum"] == ENUMS["duration.mission"]
    assert defs["Duration"]["properties"]["renewal"]["enum"] == ENUMS["duration.renewal"]
    assert set(ENUMS["introducer.legal_form"]) - {"ei"} == COMPANY_FORMS


# --- required fields --------------------------------------------------------------------------

REQUIRED = ["signature", "signature.place", "introducer", "introducer.name",
            "introducer.legal_form", "introducer.siret", "introducer.address", "introducer.vat",
            "beneficiary", "beneficiary.name", "beneficiary.legal_form", "beneficiary.siret",
            "beneficiary.address", "client", "client.name", "role", "role.involvement",
            "role.commitment", "commission", "commission.rate", "liability.cap",
            "duration.mission", "beneficiary.representative.name",
            "beneficiary.representative.capacity"]


@pytest.mark.parametrize("path", REQUIRED)
def test_required_fields(path):
    data = copy.deepcopy(text_data())
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[last]
    with pytest.raises(ValidationError) as info:
        Deal.model_validate(data)
    missing = [e for e in info.value.errors() if e["type"] == "missing"]
    assert [".".join(map(str, e["loc"])) for e in missing] == [path]


def test_beneficiary_vat_is_optional_introducer_vat_is_not():
    data = copy.deepcopy(text_data())
    del data["beneficiary"]["vat"]
    assert Deal.model_validate(data).beneficiary.vat is None
    assert Party.model_fields["vat"].is_required() is False


@pytest.mark.parametrize("path, key", [("", "comission"), ("commission", "rat"),
                                       ("beneficiary.representative", "role")])
def test_unknown_keys_are_refused(path, key):
    full = f"{path}.{key}" if path else key
    assert error_at({full: "x"}, full)["type"] == "extra_forbidden"


def test_field_names_for_did_you_mean():
    assert "commission" in field_names(())
    assert field_names(("commission",)) == ["rate", "base", "payment_days", "covers_trial",
                                            "covers_follow_on"]
    assert field_names(("beneficiary", "representative")) == ["name", "capacity"]
    assert "vat" in field_names(("introducer",))
    assert field_names(("nope",)) == []
    assert field_names(("commission", "rate")) == []


# --- rate 0 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("zero", ["0", "0.00", "+0"])
def test_rate_zero_ignores_liability_duration_and_commission_terms(zero):
    deal = validate({
        "commission": {"rate": zero, "base": "weird", "payment_days": "999",
                       "covers_trial": "maybe"},
        "liability": {"cap": "bogus", "cap_amount": "-5"},
        "duration": {"mission": "forever", "commission_months": "999"},
    })
    assert not deal.has_commission
    assert deal.liability is None
    assert deal.duration is None
    assert deal.commission.base == "collected"  # the default: the written one is ignored


def test_rate_zero_makes_liability_and_duration_optional():
    data = copy.deepcopy(text_data())
    del data["liability"], data["duration"]
    data["commission"] = {"rate": "0"}
    deal = Deal.model_validate(data)
    assert deal.commission.rate == 0 and not deal.has_commission


def test_rate_zero_keeps_role_and_parties_required():
    data = copy.deepcopy(text_data())
    data["commission"] = {"rate": "0"}
    del data["role"]
    with pytest.raises(ValidationError) as info:
        Deal.model_validate(data)
    assert [e["loc"] for e in info.value.errors()] == [("role",)]


def test_a_non_zero_rate_keeps_the_terms_checked():
    assert error_at({"commission.rate": "0.01", "commission.base": "weird"}, "commission.base")


_STDNUM_IMPORTS = r"""
import sys
import generator.model
print("ssl" in sys.modules, "pydoc" in sys.modules)
import stdnum.util
from stdnum.fr import siret
name = stdnum.util.get_module_name(siret)  # stdnum reads pydoc: imported then
import ssl
print(name, stdnum.util.ssl.create_default_context is ssl.create_default_context,
      sys.modules["ssl"] is ssl, "pydoc" in sys.modules)
"""


def test_stdnum_brings_no_pydoc_or_ssl_until_it_reads_them() -> None:
    """python-stdnum's pydoc and ssl imports (3 % of a one-deal build's start) wait for
    stdnum to read them; then they are the standard modules themselves."""
    import subprocess
    import sys

    lines = subprocess.run([sys.executable, "-c", _STDNUM_IMPORTS], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert lines[0] == "False False"
    assert lines[1].startswith("SIRET (") and lines[1].endswith(" True True True")


_PLUGIN_SEARCH = r"""
import os, sys
import generator.model
from generator.model import Deal
print("importlib.metadata" in sys.modules, "email" in sys.modules)
from pydantic.plugin import _loader
os.environ.pop("PYDANTIC_DISABLE_PLUGINS")
print(list(_loader.get_plugins()), "importlib.metadata" in sys.modules)
import importlib.metadata
print(sys.modules["importlib.metadata"] is importlib.metadata,
      _loader.entry_points(group="console_scripts")
      == importlib.metadata.entry_points(group="console_scripts"))
"""


def test_pydantic_plugins_turned_off_bring_no_importlib_metadata_and_on_are_searched() -> None:
    """pydantic's plugin loader takes importlib.metadata's ``entry_points`` (the module
    with the email package: 9 ms of a one-deal build) for a search the command turns
    off: the module is imported when the function is called, as pydantic calls it when
    plugins are on."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}
    lines = subprocess.run([sys.executable, "-c", _PLUGIN_SEARCH], capture_output=True,
                           text=True, check=True, env=env).stdout.splitlines()
    assert lines == ["False False", "[] True", "True True"]
