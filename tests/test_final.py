"""``apport build --final``: the copy to sign, without the draft notice (issue 11, layout).

The contract keeps its file name (OUT/<stem>.contrat.docx); only the « Projet – à
faire relire par un juriste » header line, subtitle and document subject go. The
jurist's review copy stays a draft. The manifest records which copy was built, so
asking for the other one rebuilds the contract (and only it), and a contract edited
by a person stays protected either way.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from reading import header_footer_text, text

from generator.build import MANIFEST, Sources, build
from generator.cli import cli
from generator.terms import DRAFT_NOTICE

ROOT = Path(__file__).resolve().parent.parent
JULIE = "julie-atelier-bois"
CONTRACT = f"{JULIE}.contrat.docx"
REVIEW = f"{JULIE}.contrat.revue.docx"


@pytest.fixture
def deals(tmp_path: Path) -> Path:
    folder = tmp_path / "deals"
    folder.mkdir()
    shutil.copy(ROOT / "samples" / f"{JULIE}.yaml", folder)
    return folder


@pytest.fixture
def sources() -> Sources:
    return Sources.default()


def _run(deals: Path, out: Path, sources: Sources, **options):
    return build([deals], out, sources=sources, jobs=1, **options)


def _core(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("docProps/core.xml").decode("utf-8")


def _built(report) -> dict[str, list[str]]:
    return {d.name: [str(r) for r in d.reasons] for d in report.documents
            if d.status == "built"}


def test_final_contract_has_no_draft_notice_anywhere(deals, tmp_path, sources):
    out = tmp_path / "out"
    report = _run(deals, out, sources, final=True, review=True)
    assert report.ok
    contract = out / CONTRACT
    assert DRAFT_NOTICE not in header_footer_text(contract)
    assert "Projet" not in text(contract)
    assert "Projet" not in _core(contract)
    # the reference stays in the header, the notice line leaves no empty subtitle
    assert "AA-2026-014" in header_footer_text(contract)
    assert text(contract).splitlines()[:2] == ["Contrat d’apporteur d’affaires",
                                               "Entre les soussignés\u00a0:"]
    # the jurist's copy is a draft whatever is asked
    assert DRAFT_NOTICE in header_footer_text(out / REVIEW)
    assert DRAFT_NOTICE in text(out / REVIEW)
    entries = json.loads((out / MANIFEST).read_text())["documents"]
    assert entries[CONTRACT]["final"] is True
    assert not entries[REVIEW].get("final")
    assert not entries[f"{JULIE}.offre.docx"].get("final")


def test_switching_between_draft_and_final_rebuilds_the_contract_only(deals, tmp_path,
                                                                      sources):
    out = tmp_path / "out"
    _run(deals, out, sources)
    draft = (out / CONTRACT).read_bytes()
    assert DRAFT_NOTICE in header_footer_text(out / CONTRACT)
    others = {p.name: p.read_bytes() for p in out.glob("*.docx") if p.name != CONTRACT}

    report = _run(deals, out, sources, final=True)
    assert _built(report) == {CONTRACT: ["the copy to sign (--final)"]}
    assert DRAFT_NOTICE not in header_footer_text(out / CONTRACT)
    assert {p.name: p.read_bytes() for p in out.glob("*.docx") if p.name != CONTRACT} == others

    assert _built(_run(deals, out, sources, final=True)) == {}  # up to date

    report = _run(deals, out, sources)
    assert _built(report) == {CONTRACT: ["a draft again (without --final)"]}
    assert (out / CONTRACT).read_bytes() == draft


def test_a_contract_edited_by_hand_stays_protected_under_final(deals, tmp_path, sources):
    out = tmp_path / "out"
    _run(deals, out, sources)
    edited = (out / CONTRACT).read_bytes() + b"\0"
    (out / CONTRACT).write_bytes(edited)

    report = _run(deals, out, sources, final=True)

    assert not report.ok
    assert {d.name for d in report.documents if d.status == "protected"} == {CONTRACT}
    assert (out / CONTRACT).read_bytes() == edited


def test_cli_final_option_and_its_help(deals, tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(deals), "-o", str(out), "--final", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert DRAFT_NOTICE not in header_footer_text(out / CONTRACT)
    help_text = runner.invoke(cli, ["build", "--help"]).output
    assert "--final" in help_text
    assert "Projet" in help_text
