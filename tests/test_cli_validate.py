"""``apport validate`` (and ``--version``): output forms and exit codes, through
click's CliRunner and through the real ``apport`` command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, line_of, sample_text

from generator.cli import cli

JULIE = sample_text()
KEYS = {"file", "line", "column", "path", "severity", "code", "message"}


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def deals(tmp_path, monkeypatch) -> Path:
    """A working folder holding ``deals/``, the current directory during the test."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals").mkdir()
    return tmp_path / "deals"


# --- exit codes -----------------------------------------------------------------------------


def test_samples_validate_with_exit_0():
    result = run("validate", str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stdout  # the samples draw warnings, and they are allowed
    assert "error:" not in result.output
    n = len(list(SAMPLES.glob("*.yaml")))
    assert f"{n} deals checked: {n} valid" in result.stderr


def test_invalid_deal_exits_1(deals):
    write(deals, "julie.yaml", JULIE.replace("rate: 15", "rate: 35"))
    result = run("validate", "deals/julie.yaml")
    assert result.exit_code == 1
    assert "1 invalid" in result.stderr


def test_one_invalid_among_valid_ones_exits_1(deals):
    write(deals, "good.yaml", JULIE)
    write(deals, "bad.yaml", JULIE.replace("originals: 2", "originals: 1"))
    result = run("validate", "deals")
    assert result.exit_code == 1
    assert "2 deals checked: 1 valid (0 with warnings), 1 invalid" in result.stderr


def test_valid_deal_exits_0_silently_but_for_the_summary(deals):
    write(deals, "julie.yaml", JULIE)
    result = run("validate", "deals/julie.yaml")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "1 deal checked: 1 valid (0 with warnings), 0 invalid"


@pytest.mark.parametrize("args", [
    ["validate", "--bogus", "x.yaml"],
    ["validate"],
    ["validate", "does-not-exist.yaml"],
    ["validate", "--format", "xml", "deals"],
    ["no-such-command"],
])
def test_bad_usage_exits_2(deals, args):
    write(deals, "julie.yaml", JULIE)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output


def test_missing_path_names_it(deals):
    result = run("validate", "deals/nope.yaml")
    assert result.exit_code == 2
    assert "deals/nope.yaml" in result.output


def test_folder_without_deals_is_bad_usage(deals):
    write(deals, "notes.txt", "nothing\n")
    result = run("validate", "deals")
    assert result.exit_code == 2
    assert "no deal files" in result.output


def test_strict_turns_warnings_into_exit_1(deals):
    write(deals, "warned.yaml", JULIE.replace("informed: true", "informed: false"))
    assert run("validate", "deals").exit_code == 0
    result = run("validate", "--strict", "deals")
    assert result.exit_code == 1
    assert ": error: client.informed: the client has not been told" in result.stderr


def test_strict_on_the_samples_exits_1():
    assert run("validate", "--strict", str(SAMPLES)).exit_code == 1


def test_strict_without_warnings_exits_0(deals):
    write(deals, "julie.yaml", JULIE)
    assert run("validate", "--strict", "deals").exit_code == 0


# --- the text form ----------------------------------------------------------------------------


def test_text_line_as_in_the_spec(deals):
    text = JULIE.replace("  rate: 15", "  rate: 35")
    write(deals, "julie.yaml", text)
    result = run("validate", "deals/julie.yaml")
    line = line_of(text, "rate: 35")
    assert (f"deals/julie.yaml:{line}:9: error: commission.rate: must be at most 30 (got 35)"
            in result.stderr.splitlines())


def test_warning_line_form(deals):
    text = JULIE.replace("  informed: true", "  informed: false")
    write(deals, "julie.yaml", text)
    result = run("validate", "deals/julie.yaml")
    assert result.exit_code == 0
    line = line_of(text, "informed: false")
    lines = [x for x in result.stdout.splitlines() if "warning" in x]
    assert len(lines) == 1
    assert lines[0].startswith(f"deals/julie.yaml:{line}:13: warning: client.informed: "
                               "the client has not been told about the introduction")


def test_every_problem_is_one_line(deals):
    write(deals, "a.yaml", JULIE.replace("rate: 15", "rate: 35").replace("originals: 2",
                                                                          "originals: 1"))
    write(deals, "b.yaml", JULIE.replace("  place: Lyon\n", "  place: Lyon\n  place: Paris\n"))
    result = run("validate", "deals")
    problems = [x for x in result.output.splitlines() if ": error: " in x]
    assert len(problems) == 3
    for x in problems:
        file, line, col, rest = x.split(":", 3)
        assert file in ("deals/a.yaml", "deals/b.yaml")
        assert int(line) >= 1 and int(col) >= 1
        assert rest.startswith(" error: ")


def test_oversized_file_message(deals):
    write(deals, "big.yaml", "# " + "x" * (300 * 1024) + "\n")
    result = run("validate", "deals")
    assert result.exit_code == 1
    assert "deals/big.yaml: error: the file is 300 KiB" in result.stderr


# --- the json form ------------------------------------------------------------------------------


def test_json_is_one_array_across_files(deals):
    write(deals, "a.yaml", JULIE.replace("rate: 15", "rate: 35"))
    write(deals, "sub/b.yaml", JULIE.replace("informed: true", "informed: false"))
    write(deals, "c.yaml", b"\xff\n")
    write(deals, "d.yaml", JULIE)
    result = run("validate", "--format", "json", "deals")
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # stdout holds the array and nothing else
    assert isinstance(data, list) and len(data) == 3
    assert all(set(item) == KEYS for item in data)
    by_file = {item["file"]: item for item in data}
    assert set(by_file) == {os.path.join("deals", "a.yaml"), os.path.join("deals", "c.yaml"),
                            os.path.join("deals", "sub", "b.yaml")}
    rate = by_file[os.path.join("deals", "a.yaml")]
    assert rate == {"file": os.path.join("deals", "a.yaml"), "line": line_of(JULIE, "rate: 15"),
                    "column": 9, "path": "commission.rate", "severity": "error",
                    "code": "rate-above-ceiling", "message": "must be at most 30 (got 35)"}
    warned = by_file[os.path.join("deals", "sub", "b.yaml")]
    assert warned["severity"] == "warning" and warned["path"] == "client.informed"
    encoding = by_file[os.path.join("deals", "c.yaml")]
    assert encoding["path"] == "" and encoding["line"] == 1
    assert isinstance(rate["line"], int) and isinstance(rate["column"], int)


def test_json_of_valid_deals_is_an_empty_array(deals):
    write(deals, "julie.yaml", JULIE)
    result = run("validate", "--format", "json", "deals")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_json_with_strict(deals):
    write(deals, "warned.yaml", JULIE.replace("informed: true", "informed: false"))
    result = run("validate", "--format", "json", "--strict", "deals")
    assert result.exit_code == 1
    assert [d["severity"] for d in json.loads(result.stdout)] == ["error"]


def test_json_keeps_unicode(deals):
    write(deals, "a.yaml", JULIE.replace("  base: collected", "  base: encaissé"))
    data = json.loads(run("validate", "--format", "json", "deals").stdout)
    assert data[0]["message"] == "must be one of: collected, invoiced (got 'encaissé')"


# --- folders ------------------------------------------------------------------------------------


def test_folders_are_walked_recursively(deals):
    write(deals, "x/y/z/deep.yml", JULIE.replace("rate: 15", "rate: 35"))
    write(deals, "top.yaml", JULIE)
    result = run("validate", "deals")
    assert result.exit_code == 1
    assert os.path.join("deals", "x", "y", "z", "deep.yml") + ":" in result.stderr
    assert "2 deals checked" in result.stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_does_not_hang(deals):
    write(deals, "sub/julie.yaml", JULIE)
    (deals / "sub" / "loop").symlink_to(deals, target_is_directory=True)
    (deals / "self").symlink_to(".", target_is_directory=True)
    result = run("validate", "deals")
    assert result.exit_code == 0, result.output
    assert "1 deal checked" in result.stderr


def test_folder_named_like_a_deal_is_not_read_as_a_file(deals):
    write(deals, "x.yaml/inner.yaml", JULIE)
    result = run("validate", "deals")
    assert result.exit_code == 0, result.output
    assert "1 deal checked: 1 valid" in result.stderr
    result = run("validate", "deals/x.yaml")
    assert result.exit_code == 0, result.output


# --- nothing a user writes shows a traceback -----------------------------------------------------

BAD_FILES: dict[str, bytes] = {
    "nul.yaml": b"signature:\n  place: \x00\n",
    "latin1.yaml": "client:\n  name: Café\n".encode("latin-1"),
    "utf16.yaml": JULIE.encode("utf-16"),
    "deep.yaml": b"[" * 10_000,
    "deep-map.yaml": b"{a: " * 5_000,
    "bomb.yaml": (b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                  b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"),
    "tag.yaml": b"signature: !!python/object/apply:os.system ['echo pwned']\n",
    "binary.yaml": b"reference: !!binary aGVsbG8=\n",
    "empty.yaml": b"",
    "comments.yaml": b"# nothing\n",
    "list.yaml": b"- a\n- b\n",
    "scalar.yaml": b"42\n",
    "two-docs.yaml": b"a: 1\n---\nb: 2\n",
    "syntax.yaml": b"a: [1, 2\nb: }\n",
    "tabs.yaml": b"a:\n\tb: 1\n",
    "key-list.yaml": b"? [a, b]\n: 1\n",
    "huge.yaml": b"#" * (256 * 1024 + 1),
    "surrogate.yaml": b'reference: "\\ud800"\n',
    "big-number.yaml": JULIE.replace("rate: 15", "rate: " + "9" * 5000).encode(),
    "big-int.yaml": JULIE.replace("originals: 2", "originals: " + "9" * 5000).encode(),
    "weird-date.yaml": JULIE.replace("date: 2026-12-01", "date: 0000-00-00").encode(),
    "c1.yaml": JULIE.replace("place: Lyon", 'place: "\\x85\\u2028"').encode(),
    "all-null.yaml": b"signature:\nintroducer:\nbeneficiary:\nclient:\nrole:\ncommission:\n",
    "lists.yaml": b"signature: []\nintroducer: [1]\ncommission: [[]]\n",
}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_traceback_for_bad_files(deals, fmt):
    for name, content in BAD_FILES.items():
        write(deals, name, content)
    result = CliRunner().invoke(cli, ["validate", "--format", fmt, "deals"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    if fmt == "json":
        data = json.loads(result.stdout)
        files = {Path(d["file"]).name for d in data}
        assert files == set(BAD_FILES)
        assert all(d["severity"] == "error" for d in data)
    else:
        for name in BAD_FILES:
            assert f"{name}:" in result.stderr, name
        assert f"{len(BAD_FILES)} deals checked: 0 valid" in result.stderr


# --- the real command ----------------------------------------------------------------------------


def _apport() -> list[str]:
    exe = shutil.which("apport")
    assert exe, "the apport console command is not installed"
    return [exe]


def _subprocess(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                          timeout=60, env=env)


def test_real_command_on_the_samples():
    proc = _subprocess([*_apport(), "validate", str(SAMPLES)])
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_real_command_exit_codes_and_no_traceback(tmp_path):
    for name, content in BAD_FILES.items():
        write(tmp_path / "deals", name, content)
    (tmp_path / "deals" / "loop").symlink_to(tmp_path / "deals", target_is_directory=True)
    proc = _subprocess([*_apport(), "validate", "deals"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{len(BAD_FILES)} deals checked" in proc.stderr
    proc = _subprocess([*_apport(), "validate", "--nope", "deals"], cwd=tmp_path)
    assert proc.returncode == 2
    proc = _subprocess([*_apport(), "validate", "missing"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr


def test_real_command_json(tmp_path):
    write(tmp_path, "julie.yaml", JULIE.replace("rate: 15", "rate: 35"))
    proc = _subprocess([sys.executable, "-m", "generator", "validate", "--format", "json",
                        "julie.yaml"], cwd=tmp_path)
    assert proc.returncode == 1
    assert [d["path"] for d in json.loads(proc.stdout)] == ["commission.rate"]


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"apport, version {version('apport')}"


def test_real_version():
    proc = _subprocess([*_apport(), "--version"])
    assert proc.returncode == 0
    assert version("apport") in proc.stdout


def test_escape_sequences_from_the_file_do_not_reach_the_terminal(deals):
    text = JULIE.replace("  place: Lyon\n", '  place: Lyon\n  "\\e[2J\\e[31mx\\ny": 1\n')
    write(deals, "a.yaml", text)
    for fmt in ("text", "json"):
        result = run("validate", "--format", fmt, "deals")
        assert result.exit_code == 1
        assert "\x1b" not in result.output
    problems = [x for x in run("validate", "deals").stderr.splitlines() if "unknown key" in x]
    assert len(problems) == 1  # one line, not split by the newline in the key
    assert "signature.\\u001b[2J\\u001b[31mx\\u000ay" in problems[0]


def test_lone_surrogate_in_a_key_does_not_crash_the_json_output(tmp_path):
    write(tmp_path, "s.yaml", '"\\ud800": 1\n"\\ud800": 2\n')
    proc = _subprocess([*_apport(), "validate", "--format", "json", "s.yaml"], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert any("written twice" in d["message"] for d in json.loads(proc.stdout))


def test_undecodable_file_name_does_not_crash(tmp_path):
    folder = tmp_path / "deals"
    folder.mkdir()
    try:
        name = os.fsdecode(b"a\xff\x1b.yaml")
        (folder / name).write_text(JULIE.replace("rate: 15", "rate: 35"), encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses such a name")
    for fmt in ("text", "json"):
        proc = _subprocess([*_apport(), "validate", "--format", fmt, "deals"], cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert "\x1b" not in proc.stdout + proc.stderr


# --- the language of messages ---------------------------------------------------------------

# Five kinds of mistakes (a bound, a checksum, a typo in a key, a missing field, a date) and
# a warning.
FIVE_MISTAKES = (JULIE.replace("rate: 15", "rate: 35")
                 .replace('"946 512 365 00002"', '"946 512 365 00003"')
                 .replace("covers_trial:", "covers_trail:")
                 .replace("  place: Lyon\n", "")
                 .replace("reply_by: 2026-11-24", "reply_by: 24/11/2026")
                 .replace("informed: true", "informed: false"))
FIVE_CODES = ["field-missing", "date-expected", "siret-checksum", "client-not-informed",
              "unknown-key-did-you-mean", "rate-above-ceiling"]


def _problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error: " in line or ": warning: " in line]


def test_a_french_locale_gives_french_messages_with_the_same_codes(deals):
    write(deals, "julie.yaml", FIVE_MISTAKES)
    english = CliRunner().invoke(cli, ["validate", "deals", "--format", "json", "--lang", "en"])
    french = CliRunner(env={"LANG": "fr_FR.UTF-8"}).invoke(
        cli, ["validate", "deals", "--format", "json"])
    assert english.exit_code == french.exit_code == 1
    en, fr = json.loads(english.stdout), json.loads(french.stdout)
    assert sorted(d["code"] for d in en) == sorted(d["code"] for d in fr) == sorted(FIVE_CODES)
    by_code = {d["code"]: d["message"] for d in fr}
    assert by_code["rate-above-ceiling"] == ("doit être au plus 30 (l'usage de la profession ; "
                                             "reçu 35)")
    assert by_code["unknown-key-did-you-mean"] == ("clé inconnue « covers_trail » ; vouliez-vous "
                                                   "dire « covers_trial » ?")
    assert by_code["field-missing"] == "champ obligatoire manquant"
    for english_one, french_one in zip(sorted(en, key=lambda d: d["code"]),
                                       sorted(fr, key=lambda d: d["code"]), strict=True):
        assert english_one["message"] != french_one["message"]
        assert {k: v for k, v in english_one.items() if k != "message"} == \
            {k: v for k, v in french_one.items() if k != "message"}


def test_lang_fr_on_the_command_line_gives_the_text_form_in_french(deals):
    write(deals, "julie.yaml", FIVE_MISTAKES)
    result = CliRunner().invoke(cli, ["validate", "deals", "--lang", "fr"])
    problems = _problems(result.output)
    assert len(problems) == len(FIVE_CODES)
    assert any(line.endswith("commission.rate: doit être au plus 30 (l'usage de la profession "
                             "; reçu 35)") for line in problems), problems
    assert "1 dossier vérifié : 0 valide (1 avec avertissements), 1 invalide" in result.stderr


def test_english_is_the_default_and_lang_en_overrides_a_french_locale(deals):
    write(deals, "julie.yaml", FIVE_MISTAKES)
    default = CliRunner().invoke(cli, ["validate", "deals"])
    forced = CliRunner(env={"LC_ALL": "fr_FR.UTF-8"}).invoke(
        cli, ["validate", "deals", "--lang", "en"])
    assert _problems(default.output) == _problems(forced.output)
    assert any(line.endswith("commission.rate: must be at most 30 (got 35)")
               for line in _problems(default.output))


def test_help_stays_in_english_under_a_french_locale():
    result = CliRunner(env={"LANG": "fr_FR.UTF-8"}).invoke(cli, ["validate", "--help"])
    assert "Check deal files and report every problem" in result.output
    assert "--lang [en|fr]" in result.output


def test_an_error_of_the_tree_speaks_french_too(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--lang", "fr"])
    (tmp_path / "x").mkdir(exist_ok=True)
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 1
    assert "error: un espace de travail existe déjà ici" in result.output
