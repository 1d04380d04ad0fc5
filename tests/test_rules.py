"""Every rule and every warning of the spec, one change away from a valid deal.

Each test starts from a sample, changes one thing, and pins the field path,
the severity, a key part of the message and, where it makes sense, the line
and column; each fails if its rule is removed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import (
    DELETE,
    at,
    errors,
    key_pos,
    line_of,
    one,
    only,
    path_pos,
    sample_dict,
    sample_text,
    value_pos,
    warnings_,
)

from generator import rules

JULIE = sample_text()
LA_POSTE = "356 000 000 00048"


def no_warnings(result) -> None:
    assert not warnings_(result), "\n".join(map(str, warnings_(result)))


def test_base_sample_is_valid_without_warnings(check_change):
    result = check_change({})
    assert result.ok
    assert result.diagnostics == []


# ====================================================================================
# errors from the file's form (see test_loading.py for the loader's own refusals)
# ====================================================================================


def test_duplicate_key_error(check):
    text = JULIE.replace("  rate: 15\n", "  rate: 15\n  base: collected\n  rate: 16\n")
    result = check(text)
    dups = [d for d in errors(result) if "written twice" in d.message]
    assert {d.path for d in dups} == {"commission.rate", "commission.base"}
    rate = one(result, "commission.rate")
    assert f"lines {line_of(text, 'rate: 15')} and {line_of(text, 'rate: 16')}" in rate.message
    assert (rate.line, rate.column) == (line_of(text, "rate: 16"), 3)


def test_unknown_key_names_the_closest_key(check_change):
    result = check_change({"commission": DELETE, "comission": sample_dict()["commission"]})
    d = one(result, "comission")
    assert d.message == "unknown key 'comission'; did you mean 'commission'?"
    assert (d.line, d.column) == key_pos(result, "comission:")


def test_unknown_key_without_a_close_one_lists_the_keys(check_change):
    result = check_change("signature.xyzzy", "1")
    d = only(result, "signature.xyzzy")
    assert "unknown key 'xyzzy'" in d.message
    assert "place, date, originals" in d.message
    assert (d.line, d.column) == key_pos(result, "xyzzy:")


@pytest.mark.parametrize("typo, known", [("beneficiary.vat_numbre", "vat_number"),
                                         ("duration.comission_months", "commission_months"),
                                         ("client.informd", "informed"),
                                         ("beneficiary.representative.capcity", "capacity")])
def test_unknown_nested_keys(check_change, typo, known):
    d = only(check_change(typo, "x"), typo)
    assert f"did you mean '{known}'" in d.message


def test_missing_required_field(check_change):
    result = check_change("introducer.siret", DELETE)
    d = only(result, "introducer.siret")
    assert d.message == "required field is missing"
    assert (d.line, d.column) == key_pos(result, "introducer:")


def test_missing_introducer_vat(check_change):
    result = check_change("introducer.vat", DELETE)
    d = only(result, "introducer.vat")
    assert "missing" in d.message


@pytest.mark.parametrize("path, value, fragment", [
    ("signature.originals", "two", "must be a whole number"),
    ("signature.originals", 2.5, "must be a whole number"),
    ("commission.rate", "fifteen", "must be a number"),
    ("client.estimated_revenue", [600], "must be a number"),
    ("client.informed", "oui", "must be true or false"),
    ("signature.date", "demain", "YYYY-MM-DD"),
    ("client.name", ["a", "b"], "must be text (got a list)"),
    ("client.name", {"first": "a"}, "must be text (got a group of keys)"),
    ("signature", "Lyon", "must be a group of keys"),
    ("role", ["introduction"], "must be a group of keys"),
])
def test_wrong_type(check_change, path, value, fragment):
    result = check_change(path, value)
    d = only(result, path)
    assert fragment in d.message
    # at the value: on the key's line, or just below it for a block list or mapping
    assert d.line - path_pos(result, path)[0] in (0, 1)


@pytest.mark.parametrize("path, value, message", [
    ("commission.rate", 35, "must be at most 30 (got 35)"),
    ("commission.rate", 30.5, "must be at most 30 (got 30.5)"),
    ("commission.rate", -1, "must be at least 0 (got -1)"),
    ("commission.rate", -0.5, "must be at least 0 (got -0.5)"),
    ("signature.originals", 1, "must be at least 2 (got 1)"),
    ("signature.originals", 0, "must be at least 2 (got 0)"),
    ("signature.originals", 11, "must be at most 10 (got 11)"),
    ("commission.payment_days", 61, "must be at most 60 (got 61)"),
    ("duration.commission_months", 0, "must be at least 1 (got 0)"),
    ("duration.commission_months", 61, "must be at most 60 (got 61)"),
    ("duration.agreement_months", 61, "must be at most 60 (got 61)"),
    ("duration.notice_days", 366, "must be at most 365 (got 366)"),
    ("duration.tail_months", 25, "must be at most 24 (got 25)"),
    ("beneficiary.share_capital", 1_000_000_001, "must be at most 1000000000 (got 1000000001)"),
    ("client.estimated_revenue", -600, "must be at least 0 (got -600)"),
])
def test_out_of_range(check_change, path, value, message):
    result = check_change(path, value)
    d = only(result, path)
    assert d.message == message
    assert (d.line, d.column) == value_pos(result, f"{path.split('.')[-1]}: {value}")


def test_rate_35_message_and_position_as_in_the_spec(check):
    text = JULIE.replace("  rate: 15", "  rate: 35")
    d = only(check(text, "julie.yaml"), "commission.rate")
    assert str(d) == (f"julie.yaml:{line_of(text, 'rate: 35')}:9: error: commission.rate: "
                      "must be at most 30 (got 35)")


@pytest.mark.parametrize("path, value", [
    ("introducer.legal_form", "EI"), ("introducer.legal_form", "sarl-u"),
    ("introducer.vat", "oui"), ("beneficiary.vat", "exempt"),
    ("role.involvement", "call"), ("role.commitment", "best_effort"),
    ("liability.cap", "capped"), ("commission.base", "paid"),
    ("duration.mission", "monthly"), ("duration.renewal", "auto"),
])
def test_bad_enum(check_change, path, value):
    result = check_change(path, value)
    d = only(result, path)
    assert d.message.startswith("must be one of: ")
    assert f"(got '{value}')" in d.message
    assert (d.line, d.column) == value_pos(result, f"{path.split('.')[-1]}: {value}")


def test_bad_enum_lists_the_choices(check_change):
    d = only(check_change("duration.mission", "monthly"), "duration.mission")
    assert d.message == "must be one of: one_shot, recurring (got 'monthly')"


@pytest.mark.parametrize("line, path", [
    ("  name: Atelier Bois & Co", "client.name"),
    ("  place: Lyon", "signature.place"),
    ("    capacity: Présidente", "beneficiary.representative.capacity"),
    ("  address: \"12 rue des Lilas, 69003 Lyon\"", "introducer.address"),
    ("  need: \"Gestion administrative, 10 h par mois\"", "client.need"),
    ("reference: AA-2026-014", "reference"),
])
@pytest.mark.parametrize("escape", ["\\x01", "\\x00", "\\e", "\\x1f", "\\b", "\\v"])
def test_control_character_from_a_yaml_escape(check, line, path, escape):
    key = line.split(":")[0]
    text = JULIE.replace(line, f'{key}: "Before{escape}After"')
    assert text != JULIE
    result = check(text)
    d = only(result, path)
    assert "control character" in d.message
    assert (d.line, d.column) == (line_of(text, "Before"), len(key) + 3)


def test_control_character_in_the_offer_message(check):
    text = JULIE.split("  message: |")[0] + '  message: "Bonjour\\x07 Julie"\n'
    d = only(check(text), "offer.message")
    assert "U+0007" in d.message


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
             "\u202d", "\u202e", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\u2066",
             "\u2067", "\u2068", "\u2069", "\ufeff"]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("path", ["client.name", "beneficiary.representative.name",
                                  "client.need", "offer.message", "signature.place"])
def test_invisible_or_direction_changing_character_is_an_error(check_change, char, path):
    result = check_change(path, f"Atelier{char}Bois")
    d = only(result, path)
    assert f"invisible or direction-changing character (U+{ord(char):04X}) at position 8" \
        in d.message


def test_invisible_character_raw_in_the_file(check):
    # Written as is (not as an escape): a right-to-left override hidden in a name.
    text = JULIE.replace("  name: Atelier Bois & Co", "  name: Atelier \u202eoC & sioB")
    d = only(check(text), "client.name")
    assert "U+202E" in d.message
    assert (d.line, d.column) == (line_of(text, "Atelier \u202e"), 9)


def test_right_to_left_letters_without_marks_are_fine(check_change):
    assert check_change("client.name", "مرحبا بالعالم שלום").ok


def test_tab_from_a_yaml_escape_is_allowed(check):
    result = check(JULIE.replace("  name: Atelier Bois & Co", '  name: "Atelier\\tBois"'))
    assert result.ok, result.diagnostics


def test_line_break_in_a_one_line_field(check):
    text = JULIE.replace("  place: Lyon", '  place: "Ly\\non"')
    d = only(check(text), "signature.place")
    assert "one line" in d.message


def test_text_too_long_names_the_limit(check_change):
    d = only(check_change("client.activity", "x" * 2001), "client.activity")
    assert d.message == "is too long: at most 2000 characters (got 2001)"


def test_message_too_long_names_its_limit(check_change):
    d = only(check_change("offer.message", "x" * 10_001), "offer.message")
    assert d.message == "is too long: at most 10000 characters (got 10001)"


# --- SIRET ----------------------------------------------------------------------------------


@pytest.mark.parametrize("siret, fragment", [
    ("946 512 365 0000", "must be 14 digits (got 13)"),
    ("946 512 365 000022", "must be 14 digits (got 15)"),
    ("946512365", "must be 14 digits (got 9)"),
    ("946 512 365 0000X", "only digits"),
    ("946 512 365 00003", "not a valid SIRET"),
    ("946 512 366 00002", "not a valid SIRET"),
    ("12345678000006", "not a valid SIRET"),  # Luhn on the 14 digits only: SIREN is wrong
    ("356 000 000 00014", "not a valid SIRET"),  # La Poste: digits sum to 19
])
def test_invalid_siret(check_change, siret, fragment):
    result = check_change({"beneficiary.siret": siret, "beneficiary.vat_number": DELETE})
    d = only(result, "beneficiary.siret")
    assert fragment in d.message
    assert (d.line, d.column) == value_pos(result, f"siret: {siret}")


def test_invalid_introducer_siret(check_change):
    result = check_change("introducer.siret", "919 492 504 00008")
    assert "not a valid SIRET" in only(result, "introducer.siret").message


@pytest.mark.parametrize("siret", [LA_POSTE, "35600000000001", "356 000 000 00010"])
def test_la_poste_sirets_are_valid(check_change, siret):
    result = check_change({"beneficiary.siret": siret, "beneficiary.vat_number": DELETE})
    assert result.ok, result.diagnostics
    assert result.deal.beneficiary.siren == "356000000"


def test_la_poste_with_its_vat_number(check_change):
    result = check_change({"beneficiary.siret": LA_POSTE,
                           "beneficiary.vat_number": "FR39356000000"})
    assert result.ok, result.diagnostics


def test_a_numeric_siret_is_read_as_text(check):
    text = JULIE.replace('siret: "946 512 365 00002"', "siret: 94651236500002")
    result = check(text)
    assert result.ok, result.diagnostics
    assert result.deal.beneficiary.siret == "94651236500002"


# --- VAT number -----------------------------------------------------------------------------


def test_vat_number_of_another_siren(check_change):
    result = check_change("beneficiary.vat_number", "FR40303265045")
    d = only(result, "beneficiary.vat_number")
    assert "does not match the SIREN 946512365" in d.message
    assert "FR41946512365" in d.message
    assert (d.line, d.column) == value_pos(result, "vat_number: FR40303265045")


def test_introducer_vat_number_of_another_siren(check_change):
    result = check_change("introducer.vat_number", "FR41946512365")
    d = only(result, "introducer.vat_number")
    assert "does not match the SIREN 919492504" in d.message


def test_introducer_vat_number_matching(check_change):
    result = check_change("introducer.vat_number", "FR 60 919 492 504")
    assert result.ok, result.diagnostics
    assert result.deal.introducer.vat_number == "FR60919492504"


@pytest.mark.parametrize("vat, fragment", [
    ("FR42946512365", "not a valid French VAT number"),
    ("DE41946512365", "must start with FR"),
    ("FR4194651236", "two-character key"),
])
def test_invalid_vat_number(check_change, vat, fragment):
    d = only(check_change("beneficiary.vat_number", vat), "beneficiary.vat_number")
    assert fragment in d.message


# --- cross-field errors ---------------------------------------------------------------------


def test_same_siren_for_introducer_and_beneficiary_reports_both_paths(check_change):
    result = check_change({"beneficiary.siret": "919 492 504 00015",
                           "beneficiary.vat_number": DELETE})
    assert sorted(d.path for d in errors(result)) == ["beneficiary.siret", "introducer.siret"]
    intro, bene = one(result, "introducer.siret"), one(result, "beneficiary.siret")
    assert "same SIREN (919492504)" in intro.message
    assert intro.message == bene.message
    assert (intro.line, intro.column) == value_pos(result, "siret: 919 492 504 00007")
    assert (bene.line, bene.column) == value_pos(result, "siret: 919 492 504 00015")


def test_two_establishments_of_one_business_are_the_same_party(check_change):
    # Same SIRET: obviously the same business.
    result = check_change({"beneficiary.siret": "919 492 504 00007",
                           "beneficiary.vat_number": DELETE})
    assert {d.path for d in errors(result)} == {"beneficiary.siret", "introducer.siret"}


def test_company_without_representative(check_change):
    result = check_change("beneficiary.representative", DELETE)
    d = only(result, "beneficiary.representative")
    assert "required for a company (sasu)" in d.message
    assert (d.line, d.column) == key_pos(result, "beneficiary:")


@pytest.mark.parametrize("form", ["eurl", "sarl", "sasu", "sas", "sa"])
def test_every_company_form_needs_a_representative(check_change, form):
    result = check_change({"beneficiary.legal_form": form, "beneficiary.representative": DELETE})
    assert f"({form})" in only(result, "beneficiary.representative").message


def test_company_introducer_without_representative(check_change):
    result = check_change("introducer.representative", DELETE, sample="cabinet-conseil-succes")
    assert "required for a company (sarl)" in only(result, "introducer.representative").message


def test_ei_with_representative(check_change):
    result = check_change("beneficiary.legal_form", "ei")
    d = only(result, "beneficiary.representative")
    assert "not allowed for an individual entrepreneur" in d.message
    assert (d.line, d.column) == key_pos(result, "name: Julie Martin")  # the mapping's start


def test_ei_introducer_with_representative(check_change):
    result = check_change("introducer.representative", {"name": "X", "capacity": "Y"})
    assert "individual entrepreneur" in only(result, "introducer.representative").message


def test_commission_months_missing_for_recurring(check_change):
    result = check_change("duration.commission_months", DELETE)
    d = only(result, "duration.commission_months")
    assert "required for a recurring mission" in d.message
    assert (d.line, d.column) == key_pos(result, "duration:")


def test_commission_months_present_for_one_shot(check_change):
    result = check_change("duration.mission", "one_shot")
    d = only(result, "duration.commission_months")
    assert "not allowed for a one-shot mission" in d.message
    assert (d.line, d.column) == value_pos(result, "commission_months: 12")


def test_one_shot_without_commission_months_is_valid(check_change):
    result = check_change({"duration.mission": "one_shot", "duration.commission_months": DELETE})
    assert result.ok, result.diagnostics


def test_cap_amount_missing(check_change):
    result = check_change("liability.cap", "amount")
    d = only(result, "liability.cap_amount")
    assert "required when cap is 'amount'" in d.message
    assert (d.line, d.column) == key_pos(result, "liability:")


def test_cap_amount_null_is_missing(check_change):
    result = check_change({"liability.cap": "amount", "liability.cap_amount": None})
    assert "required" in only(result, "liability.cap_amount").message


@pytest.mark.parametrize("amount", [0, "0.00"])
def test_cap_amount_zero(check_change, amount):
    result = check_change({"liability.cap": "amount", "liability.cap_amount": amount})
    d = only(result, "liability.cap_amount")
    assert "must be above 0" in d.message


def test_cap_amount_negative(check_change):
    result = check_change({"liability.cap": "amount", "liability.cap_amount": -5})
    assert "at least 0" in only(result, "liability.cap_amount").message


def test_cap_amount_positive_is_valid(check_change):
    result = check_change({"liability.cap": "amount", "liability.cap_amount": 0.01})
    assert result.ok, result.diagnostics
    assert result.deal.liability.cap_amount == Decimal("0.01")


@pytest.mark.parametrize("cap", ["commissions", "none"])
def test_cap_amount_present_when_cap_is_not_amount(check_change, cap):
    result = check_change({"liability.cap": cap, "liability.cap_amount": 500})
    d = only(result, "liability.cap_amount")
    assert f"only used when cap is 'amount' (cap is '{cap}')" in d.message
    assert (d.line, d.column) == value_pos(result, "cap_amount: 500")


def test_cap_amount_null_when_cap_is_not_amount_is_fine(check_change):
    # The spec's own example writes "cap_amount: null" with cap: commissions.
    result = check_change({"liability.cap": "commissions", "liability.cap_amount": None})
    assert result.ok, result.diagnostics


def test_reply_by_after_the_signature_date_is_a_warning(check_change):
    # The offer comes before the signature: the rule was backwards (issue 11).
    result = check_change("offer.reply_by", "2026-12-10")
    assert result.ok
    d = one(result, "offer.reply_by", "warning")
    assert "after the signature date (2026-12-10 > 2026-12-01)" in d.message
    assert "before the beneficiary has to answer the offer" in d.message
    assert (d.line, d.column) == value_pos(result, "reply_by: 2026-12-10")


@pytest.mark.parametrize("reply_by", ["2026-11-30", "2026-12-01"])
def test_reply_by_before_or_on_the_signature_date_is_fine(check_change, reply_by):
    result = check_change("offer.reply_by", reply_by)
    assert result.ok
    no_warnings(result)


def test_reply_by_without_a_signature_date_is_fine(check_change):
    result = check_change({"offer.reply_by": "2030-01-01", "signature.date": DELETE})
    assert result.ok
    no_warnings(result)


@pytest.mark.parametrize("section", ["liability", "duration"])
def test_liability_and_duration_required_with_a_commission(check_change, section):
    result = check_change(section, DELETE)
    d = only(result, section)
    assert "required when there is a commission" in d.message
    assert (d.line, d.column) == (1, 1)


def test_every_problem_of_a_file_is_reported_at_once(check_change):
    result = check_change({"commission.rate": 35, "signature.originals": 1,
                           "client.informed": "yes", "comission": "x",
                           "role.involvement": "call"})
    assert {d.path for d in errors(result)} == {
        "commission.rate", "signature.originals", "client.informed", "comission",
        "role.involvement"}
    assert result.diagnostics == sorted(result.diagnostics)


def test_every_cross_field_error_is_reported_at_once(check_change):
    result = check_change({"duration.commission_months": DELETE, "liability.cap": "amount",
                           "beneficiary.representative": DELETE,
                           "beneficiary.vat_number": "FR40303265045"})
    assert {d.path for d in errors(result)} == {
        "duration.commission_months", "liability.cap_amount", "beneficiary.representative",
        "beneficiary.vat_number"}


# ====================================================================================
# warnings
# ====================================================================================


def test_client_not_informed(check_change):
    result = check_change("client.informed", False)
    assert result.ok
    d = one(result, "client.informed", "warning")
    assert "the client has not been told about the introduction" in d.message
    assert (d.line, d.column) == value_pos(result, "informed: false")
    assert len(result.diagnostics) == 1


def test_client_informed_defaults_to_false(check_change):
    result = check_change("client.informed", DELETE)
    d = one(result, "client.informed", "warning")
    assert (d.line, d.column) == key_pos(result, "client:")


def test_trial_only_on_a_recurring_mission(check_change):
    result = check_change("commission.covers_follow_on", False)
    assert result.ok
    d = one(result, "commission.covers_follow_on", "warning")
    assert "stop after the trial" in d.message
    assert (d.line, d.column) == value_pos(result, "covers_follow_on: false")
    assert len(result.diagnostics) == 1


def test_trial_only_on_a_one_shot_mission_is_no_warning(check_change):
    result = check_change({"commission.covers_follow_on": False, "duration.mission": "one_shot",
                           "duration.commission_months": DELETE})
    assert result.ok
    no_warnings(result)


@pytest.mark.parametrize("mission", ["recurring", "one_shot"])
def test_neither_trial_nor_follow_on_covered(check_change, mission):
    changes = {"commission.covers_follow_on": False, "commission.covers_trial": False,
               "duration.mission": mission}
    if mission == "one_shot":
        changes["duration.commission_months"] = DELETE
    result = check_change(changes)
    assert result.ok
    d = one(result, "commission.covers_trial", "warning")
    assert "no commission at all" in d.message
    assert (d.line, d.column) == value_pos(result, "covers_trial: false")
    assert not at(result, "commission.covers_follow_on")


def test_follow_on_without_trial_is_no_warning(check_change):
    result = check_change("commission.covers_trial", False)
    assert result.ok
    no_warnings(result)


def test_no_liability_cap(check_change):
    result = check_change("liability.cap", "none")
    assert result.ok
    d = one(result, "liability.cap", "warning")
    assert "no limit of liability" in d.message
    assert (d.line, d.column) == value_pos(result, "cap: none")
    assert len(result.diagnostics) == 1


def test_jurisdiction_with_an_ei_introducer(check_change):
    result = check_change("disputes.jurisdiction", "Lyon")
    assert result.ok
    d = one(result, "disputes.jurisdiction", "warning")
    assert "binds only traders" in d.message and "(ei)" in d.message
    assert (d.line, d.column) == value_pos(result, "jurisdiction: Lyon")


def test_jurisdiction_with_an_ei_beneficiary(check_change):
    result = check_change("disputes.jurisdiction", "Bordeaux", sample="site-vitrine-ponctuel")
    assert one(result, "disputes.jurisdiction", "warning")


def test_jurisdiction_between_two_companies_is_no_warning(check, valid_deal):
    deal = valid_deal()
    deal["introducer"] = valid_deal("cabinet-conseil-succes")["introducer"]
    deal["disputes"] = {"jurisdiction": "Lyon"}
    result = check(deal)
    assert result.ok, result.diagnostics
    no_warnings(result)


def test_no_jurisdiction_is_no_warning(check_change):
    result = check_change("disputes.jurisdiction", None)
    assert result.ok
    no_warnings(result)


# --- identification, capacity, names (issue 11) ------------------------------------------------


@pytest.mark.parametrize("missing", ["share_capital", "registry"])
def test_company_without_capital_or_registry(check_change, missing):
    result = check_change(f"beneficiary.{missing}", DELETE)
    assert result.ok
    d = only(result, f"beneficiary.{missing}", "warning")
    assert "identification in the contract is incomplete" in d.message
    assert "R123-237" in d.message


def test_company_introducer_without_capital_and_registry(check_change):
    result = check_change({"introducer.legal_form": "sarl", "introducer.representative":
                           {"name": "Marie Dupont", "capacity": "Gérante"}})
    assert {d.path for d in warnings_(result)} == {"introducer.share_capital",
                                                    "introducer.registry"}


def test_an_ei_needs_no_capital(check_change):
    result = check_change({"beneficiary": sample_dict("site-vitrine-ponctuel")["beneficiary"]})
    assert not at(result, "beneficiary.share_capital", "warning")


@pytest.mark.parametrize("form, capacity, warned", [
    ("eurl", "Présidente", True), ("sarl", "Président", True), ("sasu", "Gérante", True),
    ("sa", "Gérant", True), ("eurl", "Gérante", False), ("sarl", "Co-gérant", False),
    ("sasu", "Présidente", False), ("sas", "Directrice générale", False),
    ("eurl", "Directeur général", True), ("sarl", "Mandataire", False),
])
def test_capacity_of_another_company_form(check_change, form, capacity, warned):
    result = check_change({"beneficiary.legal_form": form,
                           "beneficiary.representative.capacity": capacity})
    found = at(result, "beneficiary.representative.capacity", "warning")
    assert bool(found) == warned, result.diagnostics
    if warned:
        assert f"'{capacity}' is not an office of a company of this form ({form})" \
            in found[0].message


@pytest.mark.parametrize("path, name, word", [
    ("client.name", "Atelier Bоis & Co", "Bоis"),          # Cyrillic o
    ("beneficiary.name", "Assist'Prο", "Assist'Prο"),      # Greek omicron
    ("beneficiary.representative.name", "Julie Mаrtin", "Mаrtin"),
    ("introducer.name", "Marie Dupоnt", "Dupоnt"),
])
def test_name_mixing_latin_with_look_alikes(check_change, path, name, word):
    result = check_change(path, name)
    assert result.ok
    d = only(result, path, "warning")
    assert f"the word '{word}' mixes Latin letters with Cyrillic or Greek" in d.message


@pytest.mark.parametrize("name", ["Мария Дюпон", "Ατελιέ", "Atelier Bois & Co", "Zoé Ünal",
                                  "Atelier Мария"])
def test_names_in_one_script_per_word_are_fine(check_change, name):
    assert not at(check_change("client.name", name), "client.name", "warning")


# --- liability cap and durations (issue 11) ------------------------------------------------------


@pytest.mark.parametrize("changes, warned, fragment", [
    # julie: 600 € a month at 15 % over 12 months = 1 080 € expected
    ({"liability.cap": "amount", "liability.cap_amount": 1079}, True, "(1,080.00\u00a0€)"),
    ({"liability.cap": "amount", "liability.cap_amount": 1080}, False, None),
    # only the trial month: 90 €
    ({"liability.cap": "amount", "liability.cap_amount": 89,
      "commission.covers_follow_on": False}, True, "(90.00\u00a0€)"),
    # no estimate: 1 000 €
    ({"liability.cap": "amount", "liability.cap_amount": 999,
      "client.estimated_revenue": DELETE}, True, "1,000.00\u00a0€ (no revenue estimate)"),
    ({"liability.cap": "amount", "liability.cap_amount": 1000,
      "client.estimated_revenue": DELETE}, False, None),
    # one-shot: one commission
    ({"liability.cap": "amount", "liability.cap_amount": 89, "duration.mission": "one_shot",
      "duration.commission_months": DELETE}, True, "(90.00\u00a0€)"),
])
def test_trivial_cap_amount(check_change, changes, warned, fragment):
    result = check_change(changes)
    assert result.ok
    found = at(result, "liability.cap_amount", "warning")
    assert bool(found) == warned, result.diagnostics
    if warned:
        assert fragment in found[0].message and "art. 1170" in found[0].message


@pytest.mark.parametrize("changes, warned", [
    ({"duration.commission_months": 19}, True),    # 12 + 6 = 18
    ({"duration.commission_months": 18}, False),
    ({"duration.commission_months": 19, "commission.covers_follow_on": False}, False),
    ({"duration.commission_months": 13, "duration.tail_months": 0}, True),
])
def test_commission_period_longer_than_the_agreement_and_its_tail(check_change, changes,
                                                                     warned):
    result = check_change(changes)
    found = at(result, "duration.commission_months", "warning")
    assert bool(found) == warned, result.diagnostics
    if warned:
        assert "longer than the agreement and its tail" in found[0].message


# --- DAS2 -------------------------------------------------------------------------------------

DAS2 = "client.estimated_revenue"


def das2(result):
    found = at(result, DAS2, "warning")
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("changes, estimate", [
    # recurring, franchise: rate × revenue × 12 months
    ({"commission.rate": 10, "client.estimated_revenue": 2000}, None),  # 2400.00: not above
    ({"commission.rate": 10, "client.estimated_revenue": 2001}, "2401.20"),
    ({"commission.rate": 10, "client.estimated_revenue": "2000.05"}, "2400.12"),
    # liable introducer: + 20 % VAT
    ({"commission.rate": 10, "client.estimated_revenue": 1666, "introducer.vat": "liable"},
     None),  # 2399.04
    ({"commission.rate": 10, "client.estimated_revenue": 1667, "introducer.vat": "liable"},
     "2400.48"),
    # months are capped at 12 ("over any 12 months")
    ({"commission.rate": 10, "client.estimated_revenue": 2000,
      "duration.commission_months": 24}, None),
    ({"commission.rate": 10, "client.estimated_revenue": 2001,
      "duration.commission_months": 60}, "2401.20"),
    # fewer months: fewer commissions
    ({"commission.rate": 10, "client.estimated_revenue": 4000,
      "duration.commission_months": 6}, None),
    ({"commission.rate": 10, "client.estimated_revenue": 4001,
      "duration.commission_months": 6}, "2400.60"),
    # one_shot: the revenue is the total, one commission
    ({"commission.rate": 10, "client.estimated_revenue": 24000, "duration.mission": "one_shot",
      "duration.commission_months": DELETE}, None),
    ({"commission.rate": 10, "client.estimated_revenue": 24001, "duration.mission": "one_shot",
      "duration.commission_months": DELETE}, "2400.10"),
    ({"commission.rate": 10, "client.estimated_revenue": 20000, "duration.mission": "one_shot",
      "duration.commission_months": DELETE, "introducer.vat": "liable"}, None),
    ({"commission.rate": 10, "client.estimated_revenue": 20001, "duration.mission": "one_shot",
      "duration.commission_months": DELETE, "introducer.vat": "liable"}, "2400.12"),
    # the beneficiary's VAT does not matter, only the introducer's
    ({"commission.rate": 10, "client.estimated_revenue": 2000, "beneficiary.vat": "liable"},
     None),
    # only the trial month when follow-on contracts are not covered
    ({"commission.rate": 10, "client.estimated_revenue": 24000,
      "commission.covers_follow_on": False}, None),
    ({"commission.rate": 10, "client.estimated_revenue": 24001,
      "commission.covers_follow_on": False}, "2400.10"),
    # nothing when neither is covered
    ({"commission.rate": 30, "client.estimated_revenue": 1_000_000,
      "commission.covers_follow_on": False, "commission.covers_trial": False}, None),
    # no estimate, no warning
    ({"commission.rate": 30, "client.estimated_revenue": DELETE}, None),
])
def test_das2_threshold(check_change, changes, estimate):
    result = check_change(changes)
    assert result.ok, result.diagnostics
    d = das2(result)
    if estimate is None:
        assert d is None, d
    else:
        assert d is not None, result.diagnostics
        assert d.code == "das2-threshold"
        assert d.params["estimate"] == Decimal(estimate)
        assert "incl. VAT over 12 months" in d.message and "DAS2" in d.message
        assert (d.line, d.column) == value_pos(result, "estimated_revenue:")


def test_das2_not_for_a_recommendation_without_commission(check_change):
    result = check_change({"commission": {"rate": 0}, "client.estimated_revenue": 1_000_000})
    assert result.ok
    assert das2(result) is None


def test_das2_on_a_sample(check):
    from conftest import SAMPLES
    result = check((SAMPLES / "cabinet-conseil-succes.yaml").read_text(encoding="utf-8"))
    d = das2(result)
    # 2400 × 12.5 % = 300 a month, 12 months of the 24, + 20 % VAT
    assert d is not None and d.params["estimate"] == Decimal("4320.00")
    assert "4,320.00\u00a0€" in d.message


# --- strict --------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, path", [
    ({"client.informed": False}, "client.informed"),
    ({"liability.cap": "none"}, "liability.cap"),
    ({"commission.covers_follow_on": False}, "commission.covers_follow_on"),
    ({"commission.covers_follow_on": False, "commission.covers_trial": False},
     "commission.covers_trial"),
    ({"disputes.jurisdiction": "Lyon"}, "disputes.jurisdiction"),
    ({"client.estimated_revenue": 100_000}, DAS2),
    ({"offer.reply_by": "2026-12-10"}, "offer.reply_by"),
    ({"beneficiary.registry": DELETE}, "beneficiary.registry"),
    ({"beneficiary.legal_form": "eurl"}, "beneficiary.representative.capacity"),
    ({"liability.cap": "amount", "liability.cap_amount": 10}, "liability.cap_amount"),
    ({"client.name": "Atelier Bоis"}, "client.name"),
    ({"duration.commission_months": 24}, "duration.commission_months"),
])
def test_strict_turns_each_warning_into_an_error(check_change, changes, path):
    lenient = check_change(changes)
    assert lenient.ok and one(lenient, path, "warning")
    strict = check_change(changes, strict=True)
    assert not strict.ok and strict.deal is None
    d = one(strict, path, "error")
    assert d.message == one(lenient, path, "warning").message
    assert not warnings_(strict)


def test_strict_on_a_deal_without_warnings(check_change):
    result = check_change({}, strict=True)
    assert result.ok and result.diagnostics == []


# --- rate 0 -------------------------------------------------------------------------------------


def test_rate_zero_makes_liability_and_duration_optional(check_change):
    result = check_change({"commission": {"rate": 0}, "liability": DELETE, "duration": DELETE})
    assert result.ok, result.diagnostics
    assert not result.deal.has_commission
    assert result.diagnostics == []


def test_rate_zero_ignores_liability_duration_and_other_commission_keys(check_change):
    result = check_change({
        "commission.rate": 0, "commission.payment_days": 999, "commission.base": "paid",
        "commission.covers_trial": False, "commission.covers_follow_on": False,
        "liability": {"cap": "none", "cap_amount": 5},
        "duration": {"mission": "one_shot", "commission_months": 99},
    })
    assert result.ok, result.diagnostics
    assert result.diagnostics == []  # no cap warning, no trial warning, no range error
    assert result.deal.liability is None and result.deal.duration is None


def test_rate_zero_keeps_the_parties_rules(check_change):
    result = check_change({"commission": {"rate": 0}, "beneficiary.representative": DELETE})
    assert "required for a company" in only(result, "beneficiary.representative").message


def test_rate_zero_keeps_the_informed_warning(check_change):
    result = check_change({"commission": {"rate": 0}, "client.informed": False})
    assert result.ok
    assert one(result, "client.informed", "warning")


def test_rate_zero_still_needs_role(check_change):
    result = check_change({"commission": {"rate": 0}, "role": DELETE})
    assert only(result, "role").message == "required field is missing"


# --- the rule registry ---------------------------------------------------------------------------


def test_every_rule_of_the_spec_is_registered():
    names = {r.__name__ for r in rules.RULES}
    assert names >= {
        "terms_required_with_commission", "distinct_parties", "parties", "commission_months",
        "cap_amount", "reply_after_signature", "client_informed", "trial_coverage",
        "no_liability_cap", "jurisdiction_with_ei", "das2_threshold", "company_identification",
        "capacity_of_another_form", "trivial_cap", "mixed_scripts",
        "commission_outlasts_agreement",
    }


def test_rules_check_on_a_valid_model_has_no_findings(check_change):
    deal = check_change({}).deal
    assert rules.check(deal) == []


def test_a_message_naming_a_client_the_offer_must_not_name(check_change):
    result = check_change({"client.named_in_offer": False,
                           "offer.message": "Bonjour, le client Atelier Bois & Co cherche."})
    d = one(result, "offer.message", "warning")
    assert d.code == "client-named-in-message"
    assert "the offer sheet would reveal the client's name" in d.message
    assert not at(check_change({"client.named_in_offer": True,
                                "offer.message": "Atelier Bois & Co cherche."}),
                  "offer.message", "warning")
