"""Everyday rough edges (issue 13): the order deals come in, a deal without a contract
saying so, and `apport diff` telling trouble from a difference."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import SAMPLES, sample_text

from generator.cli import cli
from generator.finding import find_deal_files, natural_key

NUMBERS = [1, 2, 9, 10, 11, 100]


def _numbered_deals(folder: Path, text: str | None = None) -> Path:
    folder.mkdir(parents=True)
    for n in reversed(NUMBERS):
        (folder / f"deal-{n}.yaml").write_text(text or sample_text(), encoding="utf-8")
    return folder


def _numbers(lines: list[str], pattern: str) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := re.search(pattern, line))]


def test_natural_key_reads_numbers_as_numbers() -> None:
    names = ["deal-10", "deal-2", "Deal-1", "deal-02", "deal-1b", "deal-1", "deal"]
    assert sorted(names, key=natural_key) == [
        "Deal-1", "deal", "deal-1", "deal-1b", "deal-02", "deal-2", "deal-10"]


def test_deal_files_are_found_in_natural_order(tmp_path: Path) -> None:
    deals = _numbered_deals(tmp_path / "deals")
    (deals / "lot-10").mkdir()
    (deals / "lot-2").mkdir()
    for lot in ("lot-10", "lot-2"):
        shutil.copy(deals / "deal-1.yaml", deals / lot / "deal-1.yaml")
    found = [p.relative_to(deals).as_posix() for p, _ in find_deal_files([deals])]
    assert found == [f"deal-{n}.yaml" for n in NUMBERS] + ["lot-2/deal-1.yaml",
                                                           "lot-10/deal-1.yaml"]
    given = [deals / "deal-10.yaml", deals / "deal-2.yaml"]  # as a shell glob orders them
    assert [p.name for p, _ in find_deal_files(given)] == ["deal-2.yaml", "deal-10.yaml"]


def test_validate_and_build_list_deals_in_natural_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    invalid = sample_text().replace("rate: 15", "rate: 35")
    _numbered_deals(tmp_path / "bad", invalid)
    validated = CliRunner().invoke(cli, ["validate", "bad"])
    assert _numbers(validated.output.splitlines(), r"deal-(\d+)\.yaml:\d+") == NUMBERS
    as_json = json.loads(CliRunner().invoke(cli, ["validate", "bad", "--format", "json"]).stdout)
    assert _numbers([d["file"] for d in as_json], r"deal-(\d+)") == NUMBERS

    _numbered_deals(tmp_path / "good")
    built = CliRunner().invoke(cli, ["build", "good", "-o", "out", "-j", "2"])
    assert built.exit_code == 0, built.output
    assert _numbers(built.output.splitlines(), r"^built .*deal-(\d+)\.contrat") == NUMBERS


def test_a_deal_at_rate_0_says_no_contract_was_written_and_why(tmp_path: Path,
                                                               monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "avec-le-coeur.yaml", "avec-le-coeur.yaml")
    shutil.copy(SAMPLES / "julie-atelier-bois.yaml", "julie.yaml")
    built = CliRunner().invoke(cli, ["build", "avec-le-coeur.yaml", "julie.yaml", "-o", "out"])
    assert built.exit_code == 0, built.output
    said = [line for line in built.output.splitlines() if "no contract" in line]
    assert said == [said[0]] and "avec-le-coeur.yaml" in said[0]
    assert "commission.rate is 0" in said[0] and "without commission" in said[0]
    assert not Path("out/avec-le-coeur.contrat.docx").exists()
    assert Path("out/julie.contrat.docx").exists()


def test_diff_exits_2_for_trouble_and_1_only_for_a_difference(tmp_path: Path) -> None:
    built = CliRunner().invoke(cli, ["build", str(SAMPLES / "julie-atelier-bois.yaml"),
                                     str(SAMPLES / "essai-seulement.yaml"),
                                     "-o", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    julie = str(tmp_path / "out" / "julie-atelier-bois.contrat.docx")
    trial = str(tmp_path / "out" / "essai-seulement.contrat.docx")
    text = tmp_path / "notes.docx"
    text.write_text("pas un document Word", encoding="utf-8")
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")

    def diff(*args: str) -> int:
        result = CliRunner().invoke(cli, ["diff", "--no-color", *args])
        assert "Traceback" not in result.output
        return result.exit_code

    assert diff(julie, julie) == 0
    assert diff(julie, trial) == 1
    assert diff(julie, str(text)) == 2
    assert diff(str(text), julie) == 2
    assert diff(str(empty), julie) == 2
    assert diff(julie, str(tmp_path / "missing.docx")) == 2
    assert diff(julie, str(tmp_path)) == 2
