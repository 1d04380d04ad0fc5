"""``apport build --redline``: tracked changes for every contract a build rewrites."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import reading
from click.testing import CliRunner

from generator.cli import cli
from generator.redline import accept_all, reject_all

ROOT = Path(__file__).resolve().parent.parent


def _setup(tmp_path: Path) -> tuple[Path, list[str]]:
    lib = tmp_path / "lib"
    assert CliRunner().invoke(cli, ["clauses", "--export", str(lib)]).exit_code == 0
    deals = tmp_path / "deals"
    shutil.copytree(ROOT / "samples", deals)
    options = [str(deals), "-o", str(tmp_path / "out"), "--clauses", str(lib / "clauses"),
               "--templates", str(lib / "templates"), "-j", "1"]
    return lib, options


def test_redline_for_each_rewritten_contract_accepts_to_new_and_rejects_to_old(tmp_path):
    lib, options = _setup(tmp_path)
    assert CliRunner().invoke(cli, ["build", *options]).exit_code == 0
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in out.glob("*.contrat.docx")}

    clause = lib / "clauses" / "120-confidentialite.md"
    text = clause.read_text(encoding="utf-8")
    assert "{{ obligations.confidentiality }}" in text
    edited = text.replace("{{ obligations.confidentiality }}", "trois (3)\u00a0ans")
    clause.write_text(edited.replace("version: 2", "version: 3", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", *options, "--redline"])
    assert result.exit_code == 0, result.output

    for name, old in before.items():
        redline_path = out / name.replace(".contrat.docx", ".contrat.redline.docx")
        assert f"changes shown in {redline_path}" in result.output
        redline = redline_path.read_bytes()
        new = (out / name).read_bytes()
        assert reading.paragraphs(accept_all(redline)) == reading.paragraphs(new)
        assert reading.paragraphs(reject_all(redline)) == reading.paragraphs(old)
        with zipfile.ZipFile(io.BytesIO(redline)) as z:
            document = z.read("word/document.xml").decode("utf-8")
        assert "<w:del " in document and "<w:ins " in document
    assert not list(out.glob("*.offre.redline.docx"))  # contracts only


def test_no_redline_for_a_first_build_or_without_the_option(tmp_path):
    lib, options = _setup(tmp_path)
    assert CliRunner().invoke(cli, ["build", *options, "--redline"]).exit_code == 0
    assert not list((tmp_path / "out").glob("*.redline.docx"))
    assert CliRunner().invoke(cli, ["build", *options, "--force"]).exit_code == 0
    assert not list((tmp_path / "out").glob("*.redline.docx"))


def test_diff_command_exit_codes_and_marked_words(tmp_path):
    lib, options = _setup(tmp_path)
    assert CliRunner().invoke(cli, ["build", *options]).exit_code == 0
    contract = tmp_path / "out" / "julie-atelier-bois.contrat.docx"
    old = tmp_path / "old.docx"
    old.write_bytes(contract.read_bytes())
    same = CliRunner().invoke(cli, ["diff", str(old), str(contract)])
    assert same.exit_code == 0 and same.output == ""

    deal = tmp_path / "deals" / "julie-atelier-bois.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("rate: 15", "rate: 20"),
                    encoding="utf-8")
    assert CliRunner().invoke(cli, ["build", *options]).exit_code == 0
    changed = CliRunner().invoke(cli, ["diff", str(old), str(contract), "--no-color"])
    assert changed.exit_code == 1
    assert "[-15-]{+20+}" in changed.output and "[-quinze-]{+vingt+}" in changed.output
    assert "\x1b[" not in changed.output
    missing = CliRunner().invoke(cli, ["diff", str(old), str(tmp_path / "nope.docx")])
    assert missing.exit_code == 2
