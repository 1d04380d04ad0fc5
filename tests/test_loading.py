"""Reading a deal file: bytes -> text -> YAML nodes -> plain data with positions.

Covers the loader's refusals (encoding, size, duplicates, anchors, aliases,
tags, depth, several documents, not a mapping) and that every problem is
located at its line and column.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import (
    SAMPLES,
    errors,
    line_of,
    one,
    only,
    sample_text,
)

from generator.deals import check_file
from generator.diagnostics import DealError
from generator.loading import MAX_BYTES, MAX_DEPTH, load_bytes, load_file

JULIE = sample_text()


def only_error(result) -> object:
    """The single diagnostic of a file the loader refused outright."""
    assert not result.ok
    assert len(result.diagnostics) == 1, "\n".join(map(str, result.diagnostics))
    d = result.diagnostics[0]
    assert d.severity == "error"
    return d


# --- encoding -------------------------------------------------------------------------


def test_utf8_bom_is_accepted(check):
    result = check(b"\xef\xbb\xbf" + JULIE.encode())
    assert result.ok, result.diagnostics
    assert result.deal.client.name == "Atelier Bois & Co"


def test_utf8_bom_does_not_shift_columns(check):
    text = JULIE.replace("rate: 15", "rate: 35")
    result = check(b"\xef\xbb\xbf" + text.encode())
    d = only(result, "commission.rate")
    assert (d.line, d.column) == (line_of(text, "rate: 35"), 9)


def test_crlf_line_endings_are_accepted(check):
    result = check(JULIE.replace("\n", "\r\n").encode())
    assert result.ok, result.diagnostics
    # The block scalar keeps its paragraphs, with plain newlines.
    assert "\r" not in result.deal.offer.message
    assert "\n\n" in result.deal.offer.message


def test_crlf_positions_are_the_same_as_lf(check):
    text = JULIE.replace("rate: 15", "rate: 35")
    result = check(text.replace("\n", "\r\n").encode())
    d = only(result, "commission.rate")
    assert (d.line, d.column) == (line_of(text, "rate: 35"), 9)


def test_non_utf8_bytes_are_refused_with_line_and_column(check):
    raw = JULIE.encode().replace(b"name: Atelier Bois", b"name: Caf\xe9 Bois")
    d = only_error(check(raw))
    assert (d.line, d.column) == (line_of(JULIE, "name: Atelier Bois"), 12)
    assert "UTF-8" in d.message
    assert "0xe9" in d.message


def test_non_utf8_column_counts_characters_not_bytes(check):
    # "é" is two bytes in UTF-8; the column is the editor's, in characters.
    raw = JULIE.encode().replace("capacity: Présidente".encode(), b"capacity: Pr\xc3\xa9s\xff")
    d = only_error(check(raw))
    assert (d.line, d.column) == (line_of(JULIE, "capacity: Présidente"), 19)


def test_non_utf8_on_first_line(check):
    d = only_error(check(b"\xff\xfe: 1\n"))
    assert (d.line, d.column) == (1, 1)
    assert "UTF-8" in d.message


def test_utf16_file_is_refused_not_crashed(check):
    d = only_error(check(JULIE.encode("utf-16")))
    assert "UTF-8" in d.message


# --- emptiness and the top level -----------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# only a comment\n# and another\n",
                                     b"\xef\xbb\xbf"])
def test_empty_or_comment_only_file(check, content):
    d = only_error(check(content))
    assert d.line == 1
    assert "empty" in d.message


def test_document_marker_alone_is_refused(check):
    d = only_error(check(b"---\n"))
    assert d.line in (1, 2)


@pytest.mark.parametrize("content, where", [
    ("- introducer\n- beneficiary\n", (1, 1)),
    ("# a comment\njust some text\n", (2, 1)),
    ("# c\n\n  42\n", (3, 3)),
    ('"quoted"\n', (1, 1)),
    ("[a, b]\n", (1, 1)),
])
def test_top_level_must_be_a_mapping(check, content, where):
    d = only_error(check(content))
    assert (d.line, d.column) == where
    assert "top level must be a mapping" in d.message


def test_yaml_syntax_error_is_located(check):
    text = JULIE.replace("  place: Lyon", "  place: [Lyon")
    d = only_error(check(text))
    assert d.line >= line_of(text, "place: [Lyon")
    assert d.message.startswith("this is not valid YAML")


def test_tab_indentation_is_a_located_yaml_error(check):
    d = only_error(check("signature:\n\tplace: Lyon\n"))
    assert (d.line, d.column) == (2, 1)
    assert d.code == "yaml-tab-indent" and "replace the tab with spaces" in d.message


def test_several_yaml_documents_are_refused(check):
    text = JULIE + "---\nreference: other\n"
    d = only_error(check(text))
    assert d.line == line_of(text, "---")
    assert "document" in d.message


def test_nul_byte_is_refused_with_its_position(check):
    # PyYAML refuses it in the loader's constructor: this used to escape as a traceback.
    d = only_error(check(b"signature:\n  place: Ly\x00on\n"))
    assert (d.line, d.column) == (2, 12)
    assert "U+0000" in d.message


def test_raw_control_character_in_the_file_is_refused(check):
    d = only_error(check("signature:\n  place: Ly\x01on\n"))
    assert (d.line, d.column) == (2, 12)
    assert "U+0001" in d.message


def test_non_scalar_key_is_an_error(check):
    text = JULIE + "? [a, b]\n: 1\n"
    result = check(text)
    assert not result.ok
    d = [d for d in errors(result) if "key must be a plain word" in d.message]
    assert len(d) == 1
    assert d[0].line == line_of(text, "? [a, b]")


# --- size --------------------------------------------------------------------------------


def _padded(size: int) -> bytes:
    raw = JULIE.encode()
    padding = size - len(raw) - 3
    assert padding > 0
    raw += b"#" + b" " * padding + b"\n\n"
    assert len(raw) == size
    return raw


def test_file_of_exactly_256_kib_is_read(check):
    assert MAX_BYTES == 256 * 1024
    result = check(_padded(MAX_BYTES))
    assert result.ok, result.diagnostics


def test_file_over_256_kib_is_refused_naming_its_size(check):
    d = only_error(check(_padded(MAX_BYTES + 1)))
    assert f"{MAX_BYTES + 1} bytes" in d.message
    assert "256 KiB" in d.message
    assert d.line == 0  # the whole file


def test_oversized_bytes_are_refused_by_load_bytes_too():
    with pytest.raises(DealError, match=r"the file is 300 KiB \(307200 bytes\)"):
        load_bytes(b"#" * (300 * 1024), "f.yaml")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_refused_without_reading_it_all():
    # In a child process with a memory limit: a regression must fail, not swap.
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    code = ("from generator.deals import check_file; "
            "r = check_file('/dev/zero'); print(r.ok, r.diagnostics[0].message)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, preexec_fn=limit)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.startswith("False the file is larger than 256 KiB")


def test_large_file_message_names_its_size_in_kib(check):
    d = only_error(check(b"# " + b"x" * (1024 * 1024) + b"\n"))
    assert "1024 KiB" in d.message


# --- duplicates ----------------------------------------------------------------------


def test_duplicate_key_names_the_key_and_both_lines(check):
    text = JULIE.replace("  place: Lyon\n", "  place: Lyon\n  place: Paris\n")
    result = check(text)
    first = line_of(text, "place: Lyon")
    second = line_of(text, "place: Paris")
    d = only(result, "signature.place")
    assert (d.line, d.column) == (second, 3)
    assert "'place'" in d.message
    assert f"lines {first} and {second}" in d.message
    assert result.deal is None


def test_duplicate_top_level_section(check):
    text = JULIE + "disputes:\n  jurisdiction: Lyon\ndisputes:\n  jurisdiction: Paris\n"
    result = check(text)
    d = only(result, "disputes")
    first = line_of(text, "jurisdiction: Lyon") - 1
    assert f"lines {first} and {first + 2}" in d.message
    assert "'disputes'" in d.message


def test_duplicate_key_with_the_same_value_is_still_an_error(check):
    text = JULIE.replace("  rate: 15\n", "  rate: 15\n  rate: 15\n")
    d = only(check(text), "commission.rate")
    assert "written twice" in d.message


# --- anchors, aliases, tags --------------------------------------------------------------


def test_anchor_is_refused_at_its_line(check):
    text = JULIE.replace("  place: Lyon", "  place: &city Lyon")
    d = only_error(check(text))
    assert (d.line, d.column) == (line_of(text, "&city"), 10)
    assert "anchors" in d.message and "&city" in d.message


def test_alias_and_anchor_are_both_refused_at_their_lines(check):
    text = (JULIE.replace("  place: Lyon", "  place: &city Lyon")
            .replace("disputes:", "disputes:")  # no-op: keep the sample as is
            + "disputes:\n  jurisdiction: *city\n")
    result = check(text)
    assert not result.ok
    lines = {d.line for d in errors(result)}
    assert line_of(text, "&city") in lines
    assert line_of(text, "*city") in lines
    alias = [d for d in errors(result) if "aliases" in d.message]
    assert len(alias) == 1 and alias[0].line == line_of(text, "*city")


def test_merge_key_with_alias_is_refused(check):
    text = JULIE + "x: &base {a: 1}\ny:\n  <<: *base\n"
    result = check(text)
    assert any("aliases" in d.message for d in errors(result))
    assert any("anchors" in d.message for d in errors(result))


def test_billion_laughs_is_refused_fast(check):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    start = time.process_time()  # this process's processor time: other processes' load
    result = check(text)           # (tests run side by side, -n) does not count
    elapsed = time.process_time() - start
    assert elapsed < 2
    assert not result.ok
    assert sum("aliases" in d.message for d in result.diagnostics) == 8 * 9
    assert sum("anchors" in d.message for d in result.diagnostics) == 9


def test_python_tag_is_refused_and_never_executed(check, tmp_path):
    marker = tmp_path / "pwned"
    text = JULIE.replace(
        "  place: Lyon", f'  place: !!python/object/apply:os.system ["touch {marker}"]'
    )
    result = check(text)
    assert not marker.exists()
    assert not result.ok
    tag = [d for d in errors(result) if "tags" in d.message]
    assert len(tag) == 1
    assert (tag[0].line, tag[0].column) == (line_of(text, "!!python"), 10)
    assert "python/object/apply:os.system" in tag[0].message


@pytest.mark.parametrize("tagged", [
    "!!binary THlvbg==",
    "!!str Lyon",
    "!Lyon Lyon",
    "!<tag:yaml.org,2002:str> Lyon",
    "!!python/name:os.system",
])
def test_any_explicit_tag_is_refused_at_its_line(check, tagged):
    text = JULIE.replace("  place: Lyon", f"  place: {tagged}")
    result = check(text)
    assert not result.ok
    tag = [d for d in errors(result) if "tags" in d.message]
    assert len(tag) == 1, result.diagnostics
    assert tag[0].line == line_of(text, tagged)


def test_tag_on_a_section_is_refused(check):
    text = JULIE.replace("signature:\n", "signature: !!map\n")
    result = check(text)
    assert [d.line for d in errors(result) if "tags" in d.message] == [
        line_of(text, "!!map")]


def test_non_specific_tag_on_a_plain_scalar_is_harmless(check):
    # "!" alone only says "not resolved": the value stays the text written.
    result = check(JULIE.replace("  place: Lyon", "  place: ! Lyon"))
    assert result.ok, result.diagnostics
    assert result.deal.signature.place == "Lyon"


# --- depth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["[" * 10_000, "{" * 10_000, "a: " + "[" * 10_000,
                                     "[" * 10_000 + "]" * 10_000])
def test_deep_nesting_is_refused_without_crashing(check, content):
    start = time.process_time()  # processor time, as test_billion_laughs_is_refused_fast
    d = only_error(check(content))
    assert time.process_time() - start < 2
    assert "nested" in d.message
    assert d.line == 1


def test_deep_block_nesting_is_refused(check):
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * 40 + "v\n"
    d = only_error(check(text))
    assert "nested" in d.message


def test_nesting_within_the_limit_is_parsed():
    raw = ("a: " + "[" * 10 + "x" + "]" * 10 + "\n").encode()
    loaded = load_bytes(raw, "f.yaml")
    value = loaded.data["a"]
    for _ in range(10):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == "x"


# --- values are text --------------------------------------------------------------------


def test_every_scalar_is_kept_as_the_text_written():
    raw = (b"a: yes\nb: 2027\nc: on\nd: 2026-12-01\ne: 1.50\nf: 0x1F\ng: .inf\n"
           b"h: true\ni: ~\nj: null\nk:\nl: 'null'\nm: \"\"\nn: NULL\no: 007\n")
    data = load_bytes(raw, "f.yaml").data
    assert data == {
        "a": "yes", "b": "2027", "c": "on", "d": "2026-12-01", "e": "1.50", "f": "0x1F",
        "g": ".inf", "h": "true", "i": None, "j": None, "k": None, "l": "null", "m": "",
        "n": None, "o": "007",
    }


def test_block_scalar_keeps_its_text():
    raw = b"m: |\n  one\n\n  two\n"
    assert load_bytes(raw, "f.yaml").data == {"m": "one\n\ntwo\n"}


_LINES = {
    "client.name": "  name: Atelier Bois & Co",
    "signature.place": "  place: Lyon",
    "reference": "reference: AA-2026-014",
    "client.activity": "  activity: Menuiserie artisanale",
}


@pytest.mark.parametrize("path, written, expected", [
    ("client.name", "yes", "yes"),
    ("client.name", "2027", "2027"),
    ("signature.place", "on", "on"),
    ("signature.place", "no", "no"),
    ("reference", "2027", "2027"),
    ("reference", "1.0", "1.0"),
    ("client.activity", "null", None),  # YAML's null: the optional field is absent
    ("client.activity", "'null'", "null"),
    ("client.activity", "0o17", "0o17"),
    ("client.activity", "2026-12-01", "2026-12-01"),
    ("client.activity", "  padded  ", "padded"),
])
def test_text_fields_keep_what_was_written(check, path, written, expected):
    line = _LINES[path]
    key = line.split(":")[0]
    text = JULIE.replace(line, f"{key}: {written}")
    assert text != JULIE
    result = check(text)
    assert result.ok, result.diagnostics
    value = result.deal
    for part in path.split("."):
        value = getattr(value, part)
    assert value == expected


@pytest.mark.parametrize("written", ["yes", "no", "on", "off", "y", "1", "0", "Yes", "'yes'"])
def test_booleans_are_only_true_or_false(check, written):
    text = JULIE.replace("informed: true", f"informed: {written}")
    d = only(check(text), "client.informed")
    assert (d.line, d.column) == (line_of(text, "informed:"), 13)
    assert "must be true or false" in d.message


@pytest.mark.parametrize("written", ["true", "True", "TRUE", '"true"'])
def test_true_is_accepted_in_its_yaml_spellings(check, written):
    text = JULIE.replace("named_in_offer: false", f"named_in_offer: {written}")
    result = check(text)
    assert result.ok, result.diagnostics
    assert result.deal.client.named_in_offer is True


@pytest.mark.parametrize("written", [".inf", "-.inf", ".Inf", ".nan", ".NaN", "1e309", "1e1",
                                     "inf", "nan", "Infinity", "0x1F", "1_000", "1,5", "15%",
                                     "[15]", "{a: 1}", "''"])
def test_numbers_refuse_non_finite_and_non_decimal_spellings(check, written):
    text = JULIE.replace("rate: 15", f"rate: {written}")
    d = only(check(text), "commission.rate")
    assert d.line == line_of(text, f"rate: {written}")
    assert d.column == 9


@pytest.mark.parametrize("written", [".inf", ".nan", "1e309"])
def test_amounts_refuse_non_finite_numbers(check, written):
    text = JULIE.replace("estimated_revenue: 600", f"estimated_revenue: {written}")
    d = only(check(text), "client.estimated_revenue")
    assert "must be a number" in d.message


@pytest.mark.parametrize("written, fragment", [
    ("2027-02-30", "does not exist"),
    ("2026-13-01", "does not exist"),
    ("2027-2-3", "YYYY-MM-DD"),
    ("01/12/2026", "YYYY-MM-DD"),
    ("2026-12-01T10:00:00", "YYYY-MM-DD"),
    ("tomorrow", "YYYY-MM-DD"),
])
def test_dates_must_exist_and_be_written_iso(check, written, fragment):
    text = JULIE.replace("date: 2026-12-01", f"date: {written}")
    d = only(check(text), "signature.date")
    assert (d.line, d.column) == (line_of(text, f"date: {written}"), 9)
    assert fragment in d.message
    if fragment == "does not exist":
        assert written in d.message


def test_leap_day_is_a_date(check):
    text = JULIE.replace("date: 2026-12-01", "date: 2028-02-29").replace(
        "reply_by: 2026-11-24", "reply_by: 2028-02-20")
    result = check(text)
    assert result.ok, result.diagnostics
    assert result.deal.signature.date.isoformat() == "2028-02-29"


# --- positions -------------------------------------------------------------------------------


def test_value_error_points_at_the_value(check):
    text = JULIE.replace("  mission: recurring", "  mission:     weekly")
    d = only(check(text), "duration.mission")
    assert (d.line, d.column) == (line_of(text, "mission:     weekly"), 16)


def test_value_on_the_next_line_is_pointed_at(check):
    text = JULIE.replace("  rate: 15", "  rate:\n    35")
    d = only(check(text), "commission.rate")
    assert (d.line, d.column) == (line_of(text, "  rate:") + 1, 5)


def test_unknown_key_points_at_the_key(check):
    text = JULIE.replace("  payment_days: 15", "  payement_days: 15")
    d = only(check(text), "commission.payement_days")
    assert (d.line, d.column) == (line_of(text, "payement_days"), 3)
    assert "did you mean 'payment_days'" in d.message


def test_unknown_section_points_at_its_key(check):
    text = JULIE.replace("commission:\n", "comission:\n")
    result = check(text)
    d = one(result, "comission")
    assert (d.line, d.column) == (line_of(text, "comission:"), 1)
    assert "unknown key 'comission'" in d.message
    assert "did you mean 'commission'" in d.message
    # and the real section is then missing
    assert "required field is missing" in one(result, "commission").message


def test_missing_field_points_at_its_sections_key(check):
    text = JULIE.replace("  place: Lyon\n", "")
    d = only(check(text), "signature.place")
    assert (d.line, d.column) == (line_of(text, "signature:"), 1)
    assert d.message == "required field is missing"


def test_missing_nested_field_points_at_the_nearest_key(check):
    text = JULIE.replace("    capacity: Présidente\n", "")
    d = only(check(text), "beneficiary.representative.capacity")
    assert (d.line, d.column) == (line_of(text, "representative:"), 3)


def test_missing_section_points_at_the_top_of_the_file(check):
    text = JULIE.replace("role:\n  involvement: discovery_call\n  commitment: recommendation\n", "")
    d = only(check(text), "role")
    assert (d.line, d.column) == (1, 1)


def test_flow_mapping_positions(check):
    text = JULIE.replace("liability:\n  cap: commissions\n", "liability: {cap: capped}\n")
    d = only(check(text), "liability.cap")
    assert (d.line, d.column) == (line_of(text, "liability: {"), 18)


# --- the loader's own API ------------------------------------------------------------------


def test_load_bytes_records_key_and_value_positions():
    loaded = load_bytes(b"a:\n  b: x\n  c:\n    - 1\n    - 2\n", "f.yaml")
    assert loaded.data == {"a": {"b": "x", "c": ["1", "2"]}}
    assert loaded.keys[("a",)] == (1, 1)
    assert loaded.keys[("a", "b")] == (2, 3)
    assert loaded.values[("a", "b")] == (2, 6)
    assert loaded.values[("a", "c", 1)] == (5, 7)
    assert loaded.position(("a", "b")) == (2, 6)
    assert loaded.position(("a", "missing")) == (1, 1)
    assert loaded.position(("a", "b", "deeper")) == (2, 3)  # the nearest key
    assert loaded.position(("nothing",)) == (1, 1)
    assert loaded.key_position(("a", "b")) == (2, 3)


def test_load_bytes_raises_deal_error_when_unreadable():
    with pytest.raises(DealError) as info:
        load_bytes(b"- a\n", "f.yaml")
    assert info.value.diagnostics[0].file == "f.yaml"
    assert str(info.value).startswith("f.yaml:1:1: error: ")


def test_load_file_of_a_folder_is_a_deal_error(tmp_path):
    with pytest.raises(DealError) as info:
        load_file(tmp_path, "shown.yaml")
    assert "cannot read the file" in str(info.value)
    assert info.value.diagnostics[0].file == "shown.yaml"


def test_check_file_on_a_missing_file_does_not_raise(tmp_path):
    result = check_file(tmp_path / "nope.yaml")
    assert not result.ok
    assert "cannot read the file" in result.diagnostics[0].message


def test_loading_a_sample_keeps_positions_of_every_leaf():
    loaded = load_file(SAMPLES / "julie-atelier-bois.yaml")
    assert loaded.diagnostics == []
    assert loaded.values[("commission", "rate")] == (line_of(JULIE, "rate: 15"), 9)
    assert loaded.keys[("commission", "rate")] == (line_of(JULIE, "rate: 15"), 3)


def test_loading_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    path = Path(tmp_path / "d.yaml")
    path.write_text(JULIE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert check_file("d.yaml").ok


# --- hints for everyday YAML mistakes ------------------------------------------------------------


def _fatal(text: str):
    from generator.diagnostics import DealError
    from generator.loading import load_bytes

    with pytest.raises(DealError) as info:
        load_bytes(text.encode("utf-8"), "d.yaml")
    (d,) = info.value.diagnostics
    return d


def test_a_colon_inside_an_unquoted_value_says_to_quote_it():
    d = _fatal("client:\n  need: Gestion administrative : 10 h par mois\n")
    assert d.code == "yaml-colon-in-value" and (d.line, d.column) == (2, 32)
    assert 'put the value in quotes: need: "Gestion administrative : 10 h par mois"' in d.message
    assert "mapping values" not in d.message
    assert "mettez la valeur entre guillemets" in d.text("fr")


def test_a_tab_in_the_indentation_says_to_indent_with_spaces():
    d = _fatal("client:\n\tname: Atelier\n")
    assert d.code == "yaml-tab-indent" and (d.line, d.column) == (2, 1)
    assert "indents with spaces only" in d.message and "cannot start any token" not in d.message


def test_an_unbalanced_quote_points_at_the_opening_quote():
    d = _fatal('client:\n  name: "Atelier Bois\n  need: aide\nrole:\n  x: y\n')
    assert d.code == "yaml-unclosed-quote" and (d.line, d.column) == (2, 9)
    assert 'the quote " opened here is never closed' in d.message


def test_an_apostrophe_inside_single_quotes_says_to_use_double_quotes():
    d = _fatal("client:\n  name: 'L'Atelier'\n")
    assert d.code == "yaml-apostrophe-in-quotes"
    assert 'name: "L\'Atelier"' in d.message


def test_other_yaml_errors_keep_pyyaml_s_words_located():
    d = _fatal("client: [a\n")
    assert d.code == "yaml-invalid" and "not valid YAML" in d.message


def test_a_value_cut_by_a_hash_is_said_with_how_to_quote_it(check):
    text = JULIE.replace("name: Atelier Bois & Co", "name: Atelier #1 Bois")
    result = check(text)
    (d,) = [d for d in result.diagnostics if d.code == "yaml-value-cut-by-comment"]
    assert d.severity == "warning" and d.path == "client.name"
    assert d.line == line_of(text, "Atelier #1 Bois")
    assert "the value stops at 'Atelier'" in d.message and "'#1 Bois' is left out" in d.message
    assert 'put the whole value in quotes: name: "Atelier #1 Bois"' in d.message


@pytest.mark.parametrize("line", ["rate: 15  # percent", "rate: 15 #", 'name: "Atelier #1 Bois"'])
def test_a_comment_written_on_purpose_is_not_a_cut_value(line):
    from generator.loading import load_bytes

    loaded = load_bytes(f"commission:\n  {line}\n".encode(), "d.yaml")
    assert not loaded.diagnostics
