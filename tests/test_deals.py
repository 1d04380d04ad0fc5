"""The deal file end to end: check_file, load_deal, the outcome object, and
finding deal files below folders."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, SCHEMA, errors, one, sample_dict, sample_text, set_path, to_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.deals import CheckedDeal, check_file, find_deal_files, load_deal
from generator.diagnostics import ApportError, DealError, Diagnostic, to_json

JULIE = sample_text()


# --- check_file and its outcome ---------------------------------------------------------------


def test_check_file_of_a_valid_deal(tmp_path):
    path = tmp_path / "julie.yaml"
    path.write_text(JULIE, encoding="utf-8")
    result = check_file(path)
    assert isinstance(result, CheckedDeal)
    assert result.ok and result.deal is not None
    assert result.diagnostics == []
    assert result.file == str(path)
    assert result.stem == "julie"
    assert result.reference == "AA-2026-014"


def test_reference_defaults_to_the_file_name(tmp_path):
    path = tmp_path / "sans-reference.yml"
    path.write_text(JULIE.replace("reference: AA-2026-014\n", ""), encoding="utf-8")
    result = check_file(path)
    assert result.ok
    assert result.deal.reference is None
    assert result.reference == "sans-reference"


def test_stem_never_comes_from_the_contents(tmp_path):
    path = tmp_path / "file-name.yaml"
    path.write_text(JULIE.replace("reference: AA-2026-014", "reference: ../../etc/passwd"),
                    encoding="utf-8")
    result = check_file(path)
    assert result.stem == "file-name"


def test_display_name_is_used_in_every_diagnostic(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(JULIE.replace("rate: 15", "rate: 35").replace("place: Lyon", "plce: Lyon"),
                    encoding="utf-8")
    result = check_file(path, "deals/shown.yaml")
    assert len(result.diagnostics) >= 2
    assert {d.file for d in result.diagnostics} == {"deals/shown.yaml"}
    assert result.file == "deals/shown.yaml"


def test_invalid_deal_has_no_model_and_sorted_diagnostics(check):
    text = (JULIE.replace("rate: 15", "rate: 35").replace("originals: 2", "originals: 1")
            .replace("informed: true", "informed: oui"))
    result = check(text)
    assert result.deal is None and not result.ok
    assert result.diagnostics == sorted(result.diagnostics)
    assert [d.path for d in result.diagnostics] == ["signature.originals", "client.informed",
                                                    "commission.rate"]


def test_warnings_keep_the_model(check):
    result = check(JULIE.replace("informed: true", "informed: false"))
    assert result.ok and result.deal is not None
    assert [d.severity for d in result.diagnostics] == ["warning"]


def test_strict_drops_the_model(check):
    result = check(JULIE.replace("informed: true", "informed: false"), strict=True)
    assert result.deal is None
    assert [d.severity for d in result.diagnostics] == ["error"]


def test_check_file_never_raises_for_a_folder(tmp_path):
    result = check_file(tmp_path)
    assert not result.ok
    assert "cannot read" in result.diagnostics[0].message


# --- load_deal ----------------------------------------------------------------------------------


def test_load_deal_returns_the_model():
    deal = load_deal(SAMPLES / "julie-atelier-bois.yaml")
    assert deal.beneficiary.name == "Assist'Pro"


def test_load_deal_raises_with_every_diagnostic(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(JULIE.replace("rate: 15", "rate: 35").replace("originals: 2", "originals: 1"),
                    encoding="utf-8")
    with pytest.raises(DealError) as info:
        load_deal(path)
    assert isinstance(info.value, ApportError)
    assert {d.path for d in info.value.diagnostics} == {"commission.rate", "signature.originals"}
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}:") for line in lines)


def test_load_deal_strict(tmp_path):
    path = tmp_path / "warned.yaml"
    path.write_text(JULIE.replace("informed: true", "informed: false"), encoding="utf-8")
    assert load_deal(path).client.informed is False
    with pytest.raises(DealError, match="client.informed"):
        load_deal(path, strict=True)


# --- messages from pydantic, in plain words ----------------------------------------------------


@pytest.mark.parametrize("old, new, path, message", [
    ("rate: 15", "rate: 12.5\n  extra: 1", "commission.extra",
     "unknown key 'extra'; the keys here are: rate, base, payment_days, covers_trial, "
     "covers_follow_on"),
    ("  place: Lyon\n", "", "signature.place", "required field is missing"),
    ("rate: 15", "rate: 35", "commission.rate", "must be at most 30 (got 35)"),
    ("rate: 15", "rate: 30.50", "commission.rate", "must be at most 30 (got 30.50)"),
    ("originals: 2", "originals: 1", "signature.originals", "must be at least 2 (got 1)"),
    ("estimated_revenue: 600", "estimated_revenue: 1000000000.01", "client.estimated_revenue",
     "must be at most 1000000000 (got 1000000000.01)"),
    ("share_capital: 1000", "share_capital: -1", "beneficiary.share_capital",
     "must be at least 0 (got -1)"),
    ("  base: collected", "  base: encaissé", "commission.base",
     "must be one of: collected, invoiced (got 'encaissé')"),
    ("place: Lyon", "place: [Lyon]", "signature.place", "must be text (got a list)"),
    ("place: Lyon", "place:", "signature.place", "must be text (got nothing)"),
    ("liability:\n  cap: commissions", "liability: commissions", "liability",
     "must be a group of keys, one per line below it (got 'commissions')"),
    ("informed: true", "informed: 1", "client.informed", "must be true or false (got '1')"),
])
def test_plain_messages(check, old, new, path, message):
    assert old in JULIE
    result = check(JULIE.replace(old, new))
    assert one(result, path).message == message


def test_long_values_are_shortened_in_messages(check):
    result = check(JULIE.replace("informed: true", "informed: " + "x" * 100))
    d = one(result, "client.informed")
    assert "x" * 37 + "..." in d.message
    assert "x" * 41 not in d.message


def test_no_python_names_in_messages(check):
    text = (JULIE.replace("rate: 15", "rate: abc").replace("originals: 2", "originals: 1.5")
            .replace("place: Lyon", "place: {a: 1}").replace("  informed: true", "  informed: []")
            .replace("reply_by: 2026-11-24", "reply_by: 2026-99-99"))
    result = check(text)
    assert len(errors(result)) == 5
    for d in result.diagnostics:
        for word in ("Decimal", "pydantic", "Input should", "dict", "NoneType", "str_type",
                     "Value error", "validation"):
            assert word not in d.message, d


# --- diagnostics ---------------------------------------------------------------------------------


def test_diagnostic_text_form():
    d = Diagnostic("deals/julie.yaml", 23, 9, "commission.rate", "error",
                   "rate-above-ceiling", {"got": 35, "max": 30})
    assert str(d) == "deals/julie.yaml:23:9: error: commission.rate: must be at most 30 (got 35)"
    w = Diagnostic("deals/julie.yaml", 12, 3, "client.informed", "warning", "client-not-informed")
    assert str(w) == ("deals/julie.yaml:12:3: warning: client.informed: "
                      "the client has not been told about the introduction and the commission; "
                      "tell the client before the first contact")
    assert w.render("fr").startswith("deals/julie.yaml:12:3: warning: client.informed: "
                                      "le client n'a pas été informé")


def test_diagnostic_without_path_or_line():
    assert str(Diagnostic("f.yaml", 0, 0, "", "error", "file-too-large-endless",
                          {"max_kib": 256})) == ("f.yaml: error: the file is larger than 256 KiB; "
                                                 "a deal file may be at most 256 KiB")
    assert str(Diagnostic("f.yaml", 2, 1, "", "error", "key-not-plain")) == \
        "f.yaml:2:1: error: a key must be a plain word, not a list or a mapping"


def test_diagnostic_as_error():
    w = Diagnostic("f", 1, 1, "p", "warning", "m")
    assert w.as_error() == Diagnostic("f", 1, 1, "p", "error", "m")


def test_to_json_keys():
    import json
    data = json.loads(to_json([Diagnostic("f", 1, 2, "p", "warning", "value-nothing")]))
    assert data == [{"file": "f", "line": 1, "column": 2, "path": "p", "severity": "warning",
                     "code": "value-nothing", "message": "nothing"}]
    french = json.loads(to_json([Diagnostic("f", 1, 2, "p", "warning", "value-nothing")], "fr"))
    assert french[0]["code"] == "value-nothing" and french[0]["message"] == "rien"


def test_diagnostics_sort_by_file_then_position():
    a = Diagnostic("a", 10, 1, "z", "error", "m")
    b = Diagnostic("a", 2, 5, "y", "warning", "m")
    c = Diagnostic("b", 1, 1, "x", "error", "m")
    assert sorted([c, a, b]) == [b, a, c]


# --- finding deal files --------------------------------------------------------------------------


def _tree(root: Path) -> None:
    (root / "a").mkdir()
    (root / "a" / "b").mkdir()
    (root / "a" / "one.yaml").write_text("x: 1\n")
    (root / "a" / "b" / "two.yml").write_text("x: 1\n")
    (root / "three.yaml").write_text("x: 1\n")
    (root / "notes.txt").write_text("x\n")
    (root / "data.json").write_text("{}\n")
    (root / "README.YAML.bak").write_text("x\n")


def test_folders_are_walked_recursively(tmp_path):
    _tree(tmp_path)
    found = [p.relative_to(tmp_path).as_posix() for p, _ in find_deal_files([tmp_path])]
    assert sorted(found) == ["a/b/two.yml", "a/one.yaml", "three.yaml"]


def test_display_names_are_the_paths_given(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = find_deal_files(["a"])
    assert [name for _, name in found] == [os.path.join("a", "one.yaml"),
                                           os.path.join("a", "b", "two.yml")]


def test_files_named_directly_are_taken_whatever_their_suffix(tmp_path):
    path = tmp_path / "deal.txt"
    path.write_text("x: 1\n")
    assert find_deal_files([path]) == [(path, str(path))]


def test_each_file_once(tmp_path):
    _tree(tmp_path)
    one_ = tmp_path / "a" / "one.yaml"
    found = find_deal_files([one_, tmp_path, one_])
    assert [p for p, _ in found].count(one_) == 1
    assert len(found) == 3


def test_missing_path_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        find_deal_files([tmp_path / "nope"])


def test_folder_named_like_a_deal_is_a_folder(tmp_path):
    folder = tmp_path / "x.yaml"
    folder.mkdir()
    (folder / "inner.yaml").write_text("x: 1\n")
    found = find_deal_files([tmp_path])
    assert [p for p, _ in found] == [folder / "inner.yaml"]
    found = find_deal_files([folder])
    assert [p for p, _ in found] == [folder / "inner.yaml"]


def test_hidden_files_and_folders_are_skipped(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("x: 1\n")
    (tmp_path / ".hidden.yaml").write_text("x: 1\n")
    (tmp_path / "seen.yaml").write_text("x: 1\n")
    assert [p.name for p, _ in find_deal_files([tmp_path])] == ["seen.yaml"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_ends(tmp_path):
    _tree(tmp_path)
    (tmp_path / "a" / "b" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a", target_is_directory=True)
    found = find_deal_files([tmp_path])
    assert len(found) == 3
    assert len({os.path.realpath(p) for p, _ in found}) == 3


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_broken_and_file_symlinks(tmp_path):
    (tmp_path / "real.yaml").write_text("x: 1\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    (tmp_path / "broken.yaml").symlink_to(tmp_path / "missing.yaml")
    found = find_deal_files([tmp_path])
    assert len(found) == 1  # the file and its link are one deal; the broken link is none


def test_samples_folder(tmp_path):
    shutil.copytree(SAMPLES, tmp_path / "samples")
    found = find_deal_files([tmp_path / "samples"])
    assert [p.name for p, _ in found] == sorted(p.name for p in SAMPLES.glob("*.yaml"))


def test_diagnostics_never_carry_control_characters_or_surrogates():
    d = Diagnostic("a\x1bb.yaml", 1, 1, "signature.\x1b[31mred\nx", "error",
                   "unknown-key", {"key": "\x1b[31mred\nx \ud800 \u2028", "known": ["place"]})
    assert d.path == "signature.\\u001b[31mred\\u000ax"
    assert d.message == ("unknown key '\\u001b[31mred\\u000ax \\ud800 \\u2028'; "
                         "the keys here are: place")
    assert d.file == "a\\u001bb.yaml"
    assert "\n" not in str(d) and "\x1b" not in str(d)
    str(d).encode("utf-8")  # a lone surrogate would not encode
    to_json([d]).encode("utf-8")


def test_diagnostics_keep_ordinary_unicode_and_tabs_escaped():
    d = Diagnostic("f", 1, 1, "p", "error", "text-expected", {"got": "'encaissé' — « ok »\t"})
    assert d.message == "must be text (got 'encaissé' — « ok »\\u0009)"


@pytest.mark.parametrize("key", ["\\e[31mred", "a\\nb", "\\ud800", "\\x85", "\\u2028"])
def test_keys_with_control_characters_are_reported_escaped(check, key):
    text = JULIE.replace("  place: Lyon\n", f'  place: Lyon\n  "{key}": 1\n  "{key}": 2\n')
    result = check(text)
    assert not result.ok
    for d in result.diagnostics:
        line = str(d)
        assert "\n" not in line and "\x1b" not in line and "\x85" not in line
        line.encode("utf-8")
    assert any("written twice" in d.message for d in result.diagnostics)


# --- property: whatever value a field holds, check_file reports, never raises ----------------


def _schema_leaves() -> set[str]:
    """Every leaf field of format 1, from the committed schema."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    defs = schema["$defs"]

    def objects(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return objects(defs[node["$ref"].rsplit("/", 1)[1]])
        found = [node] if "properties" in node else []
        for option in node.get("anyOf", []) + node.get("allOf", []):
            found += objects(option)
        return found

    leaves: set[str] = set()

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, child in node["properties"].items():
            path = f"{prefix}{name}"
            inner = objects(child)
            if inner:
                for obj in inner:
                    walk(obj, path + ".")
            else:
                leaves.add(path)

    walk(schema, "")
    return leaves


def _sample_leaves(data: dict[str, Any], prefix: str = "") -> set[str]:
    leaves: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict):
            leaves |= _sample_leaves(value, f"{prefix}{key}.")
        else:
            leaves.add(f"{prefix}{key}")
    return leaves


LEAVES = sorted(_schema_leaves() | _sample_leaves(sample_dict()))
MARKER = "HYPOTHESIS_VALUE_MARKER"
PLAIN_SAFE = re.compile(r"[A-Za-z0-9_.+()/@][A-Za-z0-9_.+()/@ '-]*")

INTERESTING = [
    "", " ", "true", "false", "True", "yes", "no", "on", "off", "null", "~", "Null", "0", "-0",
    "+1", "-1", "15", "30", "30.01", "12.345", "1e309", "1e1", ".inf", "-.inf", ".nan", "0x1F",
    "0o17", "1_000", "2026-12-01", "2027-02-30", "2026-12-01T10:00:00", "9" * 40,
    "73282932000074", "356 000 000 00048", "35600000000014", "FR40303265045", "FR41946512365",
    "ei", "sasu", "amount", "none", "recurring", "one_shot", "liable", "x" * 2001, "é" * 10_001,
    "a\tb", "a\nb", "\u2028", "\x00", "\x1b[31m", "\ud800", "\uffff", "- a", "[", "{",
    "&a x", "*a", "!!str x", "!!python/object/apply:os.system ['true']", "#", ": ", "'", '"',
    "|", ">", "%TAG", "@", "`", "? x", "---", "...", "<<",
]

scalar_text = st.one_of(
    st.sampled_from(INTERESTING),
    st.text(max_size=40),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=30),
    st.text(st.sampled_from("\x00\x01\t\n\r\x1b\x7f\x85\u2028\ufeff\ufffe '\"\\:#-&*!|>{}[],"),
            max_size=12),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.dates().map(str),
)


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


@pytest.fixture(scope="module")
def property_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property") / "deal.yaml"


def test_property_leaves_cover_the_format():
    for path in ["commission.rate", "beneficiary.representative.capacity", "liability.cap_amount",
                 "disputes.jurisdiction", "offer.message", "signature.originals",
                 "introducer.vat_number", "duration.tail_months", "reference"]:
        assert path in LEAVES
    assert len(LEAVES) >= 45


@pytest.mark.slow
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(LEAVES), value=scalar_text,
       style=st.sampled_from(["quoted", "plain", "raw"]),
       sample=st.sampled_from([p.stem for p in sorted(SAMPLES.glob("*.yaml"))]))
def test_any_value_in_any_field_is_reported_never_raised(property_file, path, value, style,
                                                         sample):
    data = sample_dict(sample)
    set_path(data, path, MARKER)
    if style == "plain" and not (PLAIN_SAFE.fullmatch(value) and value == value.strip()):
        style = "quoted"
    rendered = _double_quoted(value) if style == "quoted" else value
    text = to_yaml(data)
    assert text.count(MARKER) == 1
    property_file.write_bytes(
        text.replace(MARKER, rendered).encode("utf-8", errors="surrogatepass"))

    result = check_file(property_file)  # must not raise

    assert result.ok == (result.deal is not None)
    assert result.ok == (not any(d.severity == "error" for d in result.diagnostics))
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1, d
        assert d.path or d.message, d
        assert d.message, d
        assert d.severity in ("error", "warning")
        line = str(d)
        assert "\n" not in line and "Traceback" not in line
        line.encode("utf-8")
    to_json(result.diagnostics).encode("utf-8")
