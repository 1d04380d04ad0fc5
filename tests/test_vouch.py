"""A no-op rebuild vouched for (issue 15, ``generator/vouch.py``): a build that found every
deal up to date and wrote nothing records a digest of what its answer was made of; the
next one, finding the same, reports the same without going through the deals.

Each input of that answer has its test here: changed after a vouching no-op, the next
build must go through the deals (``_plan`` runs) and answer as that pass does.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from quick import quick_cases

from generator import build as build_module
from generator import manifest, vouch
from generator.build import build
from generator.cli import cli
from generator.manifest import JOURNAL, MANIFEST, STATUS
from generator.vouch import VOUCH

# these tests build again at once: statuses (and the manifest's) settle at once
pytestmark = pytest.mark.usefixtures("statuses_at_once")


def _noop(deals: Path | str, out: Path | str, sources: Any, **options: Any) -> Any:
    options.setdefault("jobs", 1)
    return build([deals], out, sources=sources, list_unchanged=False, **options)


def _told(report: Any) -> tuple[Any, ...]:
    """What the command prints of a report, and its exit code."""
    return (str(report.summary), report.deals, report.unlisted, report.unlisted_warnings,
            report.unlisted_warned_deals, report.ok, [str(n) for n in report.notes],
            [str(e) for e in report.errors], [(d.name, d.status) for d in report.documents],
            [str(d) for d in report.diagnostics], [str(f) for f in report.failures])


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the passes through the deals (``build._plan``)."""
    seen: list[int] = []
    plan = build_module._plan

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return plan(*args, **kwargs)

    monkeypatch.setattr(build_module, "_plan", counting)
    return seen


@pytest.fixture
def vouched(deals: Path, sources: Any, tmp_path: Path, passes: list[int]) -> dict[str, Any]:
    """Deals built, then rebuilt with nothing to do until a no-op vouched (and checked
    that the next one is answered by the vouch, the same)."""
    out = tmp_path / "out"
    _noop(deals, out, sources)
    first = _noop(deals, out, sources)  # (learns statuses)
    second = _noop(deals, out, sources)  # records the vouch
    assert (out / VOUCH).is_file()
    assert _told(first) == _told(second)
    del passes[:]
    third = _noop(deals, out, sources)
    assert passes == [], "the vouch was not used"
    assert _told(third) == _told(second)
    assert third.unlisted > 0
    return {"out": out, "told": _told(second)}


def _goes_through(passes: list[int]) -> None:
    assert passes, "the build answered from the vouch"


def test_a_vouched_noop_tells_what_the_pass_told(vouched, deals, sources, passes):
    for jobs in (1, 2):  # -j is not an input
        assert _told(_noop(deals, vouched["out"], sources, jobs=jobs)) == vouched["told"]
    assert passes == []


def test_the_manifest_rewritten_with_the_same_bytes(vouched, deals, sources, passes):
    out = vouched["out"]
    data = (out / MANIFEST).read_bytes()
    (out / "m.tmp").write_bytes(data)
    os.replace(out / "m.tmp", out / MANIFEST)
    assert _told(_noop(deals, out, sources)) == vouched["told"]
    _goes_through(passes)


def test_the_manifest_edited(vouched, deals, sources, passes):
    out = vouched["out"]
    text = (out / MANIFEST).read_text(encoding="utf-8")
    at = text.index('"sha256": "', text.index('"documents"')) + len('"sha256": "')
    (out / MANIFEST).write_text(text[:at] + "0" * 64 + text[at + 64:], encoding="utf-8")
    report = _noop(deals, out, sources)
    _goes_through(passes)
    assert _told(report) != vouched["told"]


def test_an_unsettled_manifest_never_vouches(deals, sources, tmp_path, passes, monkeypatch):
    out = tmp_path / "out"
    _noop(deals, out, sources)  # the statuses recorded (settled at once)
    assert (out / STATUS).is_file()
    monkeypatch.setattr(manifest, "SETTLING_NS", 3600 * 10**9)  # the manifest not settled
    for _ in range(3):
        _noop(deals, out, sources)
    assert not (out / VOUCH).exists()
    assert len(passes) == 4


def test_the_journal_present(vouched, deals, sources, passes):
    out = vouched["out"]
    (out / JOURNAL).write_bytes(b"")
    assert _told(_noop(deals, out, sources)) == vouched["told"]
    _goes_through(passes)


def test_the_status_file_edited(vouched, deals, sources, passes):
    out = vouched["out"]
    lines = (out / STATUS).read_bytes().splitlines(keepends=True)
    statuses = json.loads(lines[0])
    name = next(iter(statuses))
    statuses[name] = [*statuses[name][:4], "0" * 64]
    lines[0] = json.dumps(statuses, separators=(",", ":")).encode() + b"\n"
    (out / STATUS).write_bytes(b"".join(lines))
    report = _noop(deals, out, sources)
    _goes_through(passes)
    assert _told(report) != vouched["told"]  # the document reads as edited by hand


def test_a_status_line_appended(vouched, deals, sources, passes):
    out = vouched["out"]
    lines = (out / STATUS).read_bytes().splitlines(keepends=True)
    with open(out / STATUS, "ab") as f:
        f.write(lines[0])  # the same status again: said later
    _noop(deals, out, sources)
    _goes_through(passes)


def test_a_deal_edited(vouched, deals, sources, passes):
    deal = sorted(deals.glob("*.yaml"))[0]
    text = deal.read_text(encoding="utf-8")
    deal.write_text(text.replace("\n", "\n# edited\n", 1), encoding="utf-8")
    _noop(deals, vouched["out"], sources)
    _goes_through(passes)


def test_a_deal_added(vouched, deals, sources, passes):
    deal = sorted(deals.glob("*.yaml"))[0]
    shutil.copy(deal, deals / "zz-new-deal.yaml")
    report = _noop(deals, vouched["out"], sources)
    _goes_through(passes)
    assert any(d.name.startswith("zz-new-deal.") for d in report.documents)


def test_a_deal_removed(vouched, deals, sources, passes):
    sorted(deals.glob("*.yaml"))[0].unlink()
    report = _noop(deals, vouched["out"], sources)
    _goes_through(passes)
    assert any(d.status == "stale" for d in report.documents)
    del passes[:]
    _noop(deals, vouched["out"], sources)  # stale files told: never vouched
    _goes_through(passes)
    assert not [d for d in _noop(deals, vouched["out"], sources).documents
                if d.status != "stale"]


def test_a_deal_renamed(vouched, deals, sources, passes):
    deal = sorted(deals.glob("*.yaml"))[0]
    deal.rename(deals / ("renamed-" + deal.name))
    _noop(deals, vouched["out"], sources)
    _goes_through(passes)


def test_the_deals_given_by_another_path(vouched, deals, sources, passes, monkeypatch):
    monkeypatch.chdir(deals.parent)
    assert _told(_noop(Path(deals.name), vouched["out"], sources))[2:] == vouched["told"][2:]
    _goes_through(passes)


def test_the_same_display_from_another_folder(vouched, deals, sources, passes, tmp_path,
                                              monkeypatch):
    """``deals`` named the same, relative to another working folder: other absolute paths
    (recorded in the manifest), the same bytes."""
    monkeypatch.chdir(deals.parent)
    out = vouched["out"]
    _noop(Path(deals.name), out, sources)
    _noop(Path(deals.name), out, sources)
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copytree(deals, other / deals.name)
    monkeypatch.chdir(other)
    del passes[:]
    _noop(Path(deals.name), out, sources)
    _goes_through(passes)


def test_the_output_folder_given_otherwise(vouched, deals, sources, passes, monkeypatch):
    out = vouched["out"]
    monkeypatch.chdir(out.parent)
    assert _told(_noop(deals, Path(out.name), sources))[2:] == vouched["told"][2:]
    _goes_through(passes)


@pytest.mark.parametrize("how", ["touched", "edited", "removed"])
def test_a_document_changed(vouched, deals, sources, passes, how):
    out = vouched["out"]
    document = sorted(out.glob("*.offre.docx"))[0]
    if how == "touched":
        os.utime(document)
    elif how == "edited":
        document.write_bytes(document.read_bytes() + b"\0")
    else:
        document.unlink()
    report = _noop(deals, out, sources)
    _goes_through(passes)
    if how != "touched":
        assert _told(report) != vouched["told"]


def test_a_clause_edited(vouched, deals, sources, passes):
    clause = sorted((sources.clauses).glob("*.md"))[0]
    clause.write_text(clause.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _noop(deals, vouched["out"], sources)
    _goes_through(passes)


def test_a_template_changed(vouched, deals, sources, passes):
    template = sources.templates / "offre.docx"
    with zipfile.ZipFile(template) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(template, "w", zipfile.ZIP_STORED) as z:  # the same parts, stored
        for info, data in parts:
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, data)
    report = _noop(deals, vouched["out"], sources)
    _goes_through(passes)
    assert any(d.status == "built" for d in report.documents)


def test_another_version_of_apport(vouched, deals, sources, passes, monkeypatch):
    for module in (build_module, vouch):
        monkeypatch.setattr(module, "tool_version", lambda: "999.0")
    _noop(deals, vouched["out"], sources)
    _goes_through(passes)


@pytest.mark.parametrize("option", quick_cases(["review", "strict", "final", "prune", "redline",
                                                "check", "force", "pdf"], keep=2))
def test_an_option(vouched, deals, sources, passes, option, monkeypatch):
    if option == "pdf":  # no LibreOffice needed: the pass is what is checked
        monkeypatch.setattr(build_module, "_pdfs", lambda *args, **kwargs: None)
    _noop(deals, vouched["out"], sources, **{option: True})
    _goes_through(passes)


def test_only_some_kinds_and_listed(vouched, deals, sources, passes, monkeypatch):
    monkeypatch.setattr(build_module, "_pdfs", lambda *args, **kwargs: None)
    build([deals], vouched["out"], sources=sources, jobs=1)  # listed: each document
    _goes_through(passes)
    del passes[:]
    build([deals], vouched["out"], sources=sources, jobs=1, only=("offre",), pdf=True,
          list_unchanged=False)
    _goes_through(passes)


@pytest.mark.parametrize("damage", quick_cases([
    b"", b"{", b"\xff\xfe", b"[]\n", b'{"format": 1}\n', b"not json at all\n",
    "the counts edited", "the warnings edited", "the digest edited", "another format"],
    lambda damage: damage in (b"{", "the counts edited", "the digest edited")))
def test_a_damaged_or_edited_vouch_is_none(vouched, deals, sources, passes, damage):
    out = vouched["out"]
    recorded = json.loads((out / VOUCH).read_text(encoding="ascii"))
    if damage == "the counts edited":
        recorded["counts"]["unlisted"] += 1
        data = json.dumps(recorded).encode()
    elif damage == "the warnings edited":
        recorded["counts"]["unlisted_warnings"] += 1
        data = json.dumps(recorded).encode()
    elif damage == "the digest edited":
        recorded["digest"] = "0" * 64
        data = json.dumps(recorded).encode()
    elif damage == "another format":
        recorded["format"] = 2
        data = json.dumps(recorded).encode()
    else:
        assert isinstance(damage, bytes)
        data = damage
    (out / VOUCH).write_bytes(data)
    assert _told(_noop(deals, out, sources)) == vouched["told"]
    _goes_through(passes)


def test_the_vouch_a_folder(vouched, deals, sources, passes):
    out = vouched["out"]
    (out / VOUCH).unlink()
    (out / VOUCH).mkdir()
    assert _told(_noop(deals, out, sources)) == vouched["told"]
    _goes_through(passes)


def _cli(lib: Path, deals: Path, out: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["build", str(deals), "-o", str(out), "--clauses",
                                    str(lib / "clauses"), "--templates", str(lib / "templates"),
                                    "-j", "1", *args])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_command_prints_the_same_lines(deals, lib, tmp_path, passes, lang):
    """The vouched answer printed in the language asked, as the pass prints it."""
    out = tmp_path / "out"
    for _ in range(3):
        assert _cli(lib, deals, out).exit_code == 0
    assert (out / VOUCH).is_file()
    del passes[:]
    vouched_run = _cli(lib, deals, out, "--lang", lang)
    assert passes == []
    (out / VOUCH).unlink()
    through = _cli(lib, deals, out, "--lang", lang)
    assert passes
    assert (vouched_run.exit_code, vouched_run.output) == (through.exit_code, through.output)


@pytest.fixture
def many(deals: Path, sources: Any, tmp_path: Path, passes: list[int]) -> Path:
    """Enough deals for the statuses to be written in name order, one a line (and a
    vouch recorded)."""
    for copy in range(5):
        for deal in sorted(deals.glob("*.yaml"))[:5]:
            if copy:
                shutil.copy(deal, deals / f"c{copy}-{deal.name}")
    out = tmp_path / "out"
    for _ in range(4):
        _noop(deals, out, sources)
    lines = (out / STATUS).read_bytes().splitlines()
    assert len(lines) > 64 and all(len(json.loads(line)) == 1 for line in lines)
    del passes[:]
    _noop(deals, out, sources)
    assert passes == []
    return out


@pytest.mark.parametrize("change", ["a document touched", "a status edited",
                                    "a status line dropped"])
def test_statuses_in_name_order(many, deals, sources, passes, change):
    lines = (many / STATUS).read_bytes().splitlines(keepends=True)
    name, value = next(iter(json.loads(lines[40]).items()))
    if change == "a document touched":
        os.utime(many / name)
    elif change == "a status edited":
        lines[40] = json.dumps({name: [*value[:4], "0" * 64]},
                               separators=(",", ":")).encode() + b"\n"
        (many / STATUS).write_bytes(b"".join(lines))
    else:
        del lines[40]
        (many / STATUS).write_bytes(b"".join(lines))
    _noop(deals, many, sources)
    _goes_through(passes)
