"""Batch builds: incremental, protected, deterministic, parallel, crash-safe (issue 5).

Every test builds into its own ``tmp_path`` from a copy of the samples and a
snapshot of the clause library and templates (others may edit the built-in
ones while the tests run), through the library API (``generator.build.build``),
the CLI (click's ``CliRunner``) or a real ``apport build`` process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from generator import __version__
from generator.build import MANIFEST, STAGING, BuildReport, Sources, build
from generator.clauses import load_library, select
from generator.cli import cli
from generator.deals import check_file
from generator.manifest import STATUS, Manifest, entry_to_json
from generator.terms import facts

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
JULIE = "julie-atelier-bois"
SUMMARY = re.compile(r"^\d+ built, \d+ unchanged, \d+ failed, \d+ protected \(\d+ deals?\)$")


def reasons(document) -> list[str]:
    """A document's reasons to be built, as the English report words them."""
    return [str(r) for r in document.reasons]
APPORT = shutil.which("apport")


# --- helpers --------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(out: Path) -> dict:
    """The manifest's entries as JSON objects (its journal played over it)."""
    loaded = Manifest.load(out)
    assert not loaded.warnings, loaded.warnings
    return {name: entry_to_json(entry) for name, entry in loaded.entries.items()}


def documents(out: Path) -> dict[str, bytes]:
    """Every visible document of ``out`` with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.docx"))}


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of ``out`` (manifest included): bytes and modification time. Not the
    lock, nor the file statuses: a build records the statuses of files that settled
    since the one before (two seconds; tests/test_scale.py checks them)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.iterdir())
            if not p.name.startswith(".apport.lock") and p.name != STATUS}


def by_status(report: BuildReport, status: str) -> set[str]:
    return {d.name for d in report.documents if d.status == status}


def expected_names(deals: Path) -> set[str]:
    """The documents the spec promises for the deals of ``deals``."""
    names = set()
    for path in deals.rglob("*.yaml"):
        deal = check_file(path).deal
        assert deal is not None
        names.add(f"{path.stem}.offre.docx")
        names.add(f"{path.stem}.client.docx")
        if deal.has_commission:
            names.add(f"{path.stem}.contrat.docx")
    return names


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_whole_docx(path: Path) -> None:
    """A complete Word file: every zip entry checks out and python-docx opens it."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None, path
        assert "word/document.xml" in archive.namelist()
    docx.Document(str(path))


def document_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml").decode("utf-8")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def run(deals: Path, out: Path, sources: Sources, **options) -> BuildReport:
    options.setdefault("jobs", 1)
    return build([deals], out, sources=sources, **options)


def invoke(lib: Path, *args: str):
    """``apport build ARGS --clauses lib/clauses --templates lib/templates`` via CliRunner."""
    return CliRunner().invoke(cli, ["build", *args, "--clauses", str(lib / "clauses"),
                                    "--templates", str(lib / "templates")])


def apport_command(*args: str) -> list[str]:
    head = [APPORT] if APPORT else [sys.executable, "-m", "generator"]
    return [*head, *args]


# --- a first build ------------------------------------------------------------------------------


def test_first_build_writes_every_document_and_a_manifest_of_its_inputs(deals, out, sources):
    report = run(deals, out, sources)

    assert report.ok
    assert set(documents(out)) == expected_names(deals)
    assert by_status(report, "built") == expected_names(deals)
    assert all(reasons(d) == ["new"] for d in report.documents)
    listed = manifest(out)
    assert set(listed) == expected_names(deals)
    for name, entry in listed.items():
        stem, kind, _ = name.split(".")
        assert entry["deal_sha256"] == sha256(deals / f"{stem}.yaml")
        assert entry["sha256"] == sha256(out / name)
        assert entry["tool"] == __version__
        template = sources.templates / f"{kind}.docx"
        assert entry["template_sha256"] == sha256(template)
        library = load_library(sources.clauses / ("" if kind == "contrat" else kind))
        files = {c.key: sha256(Path(c.file)) for c in library.clauses}
        assert entry["clauses"], name
        for key, clause_sha in entry["clauses"].items():
            assert files[key] == clause_sha, key


def test_second_build_rewrites_nothing(deals, out, sources):
    run(deals, out, sources)
    before = snapshot(out)

    report = run(deals, out, sources)

    assert report.ok
    assert report.count("built") == 0
    assert by_status(report, "unchanged") == expected_names(deals)
    assert snapshot(out) == before  # same bytes, same times: not even rewritten


def test_an_up_to_date_deal_is_not_read_again_yet_keeps_its_warnings(deals, out, sources,
                                                                      monkeypatch):
    first = run(deals, out, sources)
    assert any(d.severity == "warning" for d in first.diagnostics)

    def no_reading(*args, **kwargs):
        raise AssertionError("an up-to-date deal was validated again")

    monkeypatch.setattr("generator.deals.check_file", no_reading)
    second = run(deals, out, sources)

    assert second.ok and second.count("unchanged") == len(expected_names(deals))
    assert second.diagnostics == first.diagnostics


def test_strict_fails_an_up_to_date_deal_that_has_warnings(deals, out, sources):
    first = run(deals, out, sources)
    warned = {Path(d.file).stem for d in first.diagnostics if d.severity == "warning"}
    assert warned

    report = run(deals, out, sources, strict=True)

    assert not report.ok
    assert {Path(f.file).stem for f in report.failures} == warned
    assert all(d.severity == "error" for d in report.diagnostics)
    assert {Path(d.file).stem for d in report.diagnostics} == warned


@pytest.mark.slow  # a variant of test_second_build_rewrites_nothing, which stays quick
def test_the_same_deals_named_by_another_path_are_up_to_date(deals, out, sources, monkeypatch):
    run(deals, out, sources)
    before = documents(out)
    monkeypatch.chdir(deals.parent)

    report = build(["deals"], out, sources=sources, jobs=1)

    assert report.ok and report.count("built") == 0
    assert documents(out) == before
    assert {e["deal"] for e in manifest(out).values()} == {
        f"deals/{n.split('.')[0]}.yaml" for n in expected_names(deals)}


def test_summary_is_one_line_with_the_four_counts(deals, out, lib):
    result = invoke(lib, str(deals), "-o", str(out))
    assert result.exit_code == 0, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert SUMMARY.match(last), last
    count = len(expected_names(deals))
    assert last.startswith(f"{count} built, 0 unchanged, 0 failed, 0 protected")
    assert sum(bool(SUMMARY.match(line)) for line in result.output.splitlines()) == 1


# --- incremental rebuilds ------------------------------------------------------------------------


def test_editing_one_deal_rebuilds_exactly_its_documents(deals, out, sources):
    run(deals, out, sources)
    before = snapshot(out)
    edit(deals / f"{JULIE}.yaml", "rate: 15", "rate: 16")

    report = run(deals, out, sources)

    # The three documents state the rate (the client notice too, for transparency).
    mine = {f"{JULIE}.contrat.docx", f"{JULIE}.offre.docx", f"{JULIE}.client.docx"}
    assert by_status(report, "built") == mine
    assert all(reasons(d) == ["deal changed"] for d in report.documents if d.name in mine)
    assert by_status(report, "unchanged") == expected_names(deals) - mine
    after = snapshot(out)
    for name in expected_names(deals) - mine:
        assert after[name] == before[name], name
    assert "16" in document_text(out / f"{JULIE}.contrat.docx")
    assert manifest(out)[f"{JULIE}.contrat.docx"]["deal_sha256"] == sha256(deals / f"{JULIE}.yaml")


def _users(out: Path, key: str) -> set[str]:
    return {name for name, entry in manifest(out).items() if key in entry["clauses"]}


def test_editing_a_clause_rebuilds_exactly_the_documents_that_use_it(deals, out, sources):
    clause_file = sources.clauses / "141-fin-droit-de-suite.md"
    clause = load_library(sources.clauses).by_id("fin-droit-de-suite")
    assert clause is not None and clause.when  # a conditional clause: some deals only
    run(deals, out, sources)
    users = _users(out, clause.key)
    # The same set from the selection itself, not from the manifest alone.
    library = load_library(sources.clauses)
    chosen = set()
    for path in deals.glob("*.yaml"):
        deal = check_file(path).deal
        if deal.has_commission and any(d.included and d.clause.id == clause.id
                                       for d in select(library, facts(deal))):
            chosen.add(f"{path.stem}.contrat.docx")
    assert users == chosen
    assert users and users != expected_names(deals)  # some documents, not all

    edit(clause_file, f"version: {clause.version}", f"version: {clause.version + 1}")
    edited = f"fin-droit-de-suite@{clause.version + 1}"
    edit(clause_file, "Les Parties conviennent", "Les Parties conviennent expressément")
    report = run(deals, out, sources)  # same process: the library must be read again

    assert by_status(report, "built") == users
    for d in report.documents:
        if d.name in users:
            assert reasons(d) == [f"clause `{edited}` changed"], d.reasons
            assert "conviennent expressément" in document_text(out / d.name)
    assert by_status(report, "unchanged") == expected_names(deals) - users
    assert _users(out, edited) == users
    assert manifest(out)[sorted(users)[0]]["clauses"][edited] == sha256(clause_file)


@pytest.mark.slow  # a variant of the clause edit above, which stays quick
def test_a_clause_that_no_deal_uses_changes_nothing(deals, out, sources):
    run(deals, out, sources)
    used = {key for entry in manifest(out).values() for key in entry["clauses"]}
    unused = [c for c in load_library(sources.clauses).clauses if c.key not in used]
    assert unused, "every clause is used by a sample: pick another test"
    path = Path(unused[0].file)
    before = snapshot(out)
    edit(path, f"version: {unused[0].version}", f"version: {unused[0].version + 1}")
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")

    report = run(deals, out, sources)

    assert report.ok and report.count("built") == 0
    assert by_status(report, "unchanged") == expected_names(deals)
    after = snapshot(out)
    assert {n: v for n, v in after.items() if not n.startswith(MANIFEST[:-5])} == {
        n: v for n, v in before.items() if not n.startswith(MANIFEST[:-5])}
    # and the next build finds everything up to date again, without writing anything
    assert run(deals, out, sources).count("unchanged") == len(expected_names(deals))
    assert snapshot(out) == after


def test_a_review_contract_depends_on_every_clause_it_lists(deals, out, sources, tmp_path):
    """The jurist's annex lists the clauses left out too (id@version and condition)."""
    run(deals, out, sources, review=True)
    reviews = {n.replace(".contrat.", ".contrat.revue.") for n in expected_names(deals)
               if ".contrat." in n}
    clause = load_library(sources.clauses).by_id("responsabilite-plafond-montant")
    using = {n for n, e in manifest(out).items()
             if ".revue." not in n and any(k.startswith(f"{clause.id}@") for k in e["clauses"])}
    path = Path(clause.file)
    edit(path, f"version: {clause.version}", f"version: {clause.version + 1}")

    report = run(deals, out, sources, review=True)

    assert by_status(report, "built") == reviews | using
    fresh = tmp_path / "fresh"
    run(deals, fresh, sources, review=True)
    assert documents(out) == documents(fresh)


def test_review_writes_the_jurists_copy_beside_the_contract_to_sign(deals, out, sources):
    """Issue 12: --review adds NAME.contrat.revue.docx; the clean contract stays as it is."""
    run(deals, out, sources)
    contracts = {n for n in expected_names(deals) if ".contrat." in n}
    reviews = {n.replace(".contrat.", ".contrat.revue.") for n in contracts}
    clean = {n: (out / n).read_bytes() for n in contracts}

    report = run(deals, out, sources, review=True)

    assert by_status(report, "built") == reviews
    assert all(reasons(d) == ["new"] for d in report.documents if d.name in reviews)
    assert {n: (out / n).read_bytes() for n in contracts} == clean
    for name in reviews:
        assert "Notes pour le juriste" in document_text(out / name)
    for name in contracts:
        assert "Notes pour le juriste" not in document_text(out / name)
    assert run(deals, out, sources, review=True).count("built") == 0
    # once asked for, the review copy is kept up to date, not called stale
    later = run(deals, out, sources)
    assert later.count("built") == 0 and later.count("stale") == 0
    assert by_status(later, "unchanged") == expected_names(deals) | reviews


def test_changing_a_template_rebuilds_that_kind_only(deals, out, sources):
    run(deals, out, sources)
    template = sources.templates / "offre.docx"
    # Same parts, stored instead of deflated: other bytes, still a valid template.
    with zipfile.ZipFile(template) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as dst:
        for info, data in parts:
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, data)
    template.write_bytes(buffer.getvalue())

    report = run(deals, out, sources)

    offers = {n for n in expected_names(deals) if ".offre." in n}
    assert by_status(report, "built") == offers
    assert all(reasons(d) == ["template changed"] for d in report.documents if d.name in offers)
    assert by_status(report, "unchanged") == expected_names(deals) - offers
    assert all(e["template_sha256"] == sha256(template)
               for n, e in manifest(out).items() if n in offers)


def test_a_new_tool_version_rebuilds_what_it_built(deals, out, sources):
    run(deals, out, sources)
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    name = f"{JULIE}.offre.docx"
    data["documents"][name]["tool"] = "0.0.1"
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")

    report = run(deals, out, sources)

    assert by_status(report, "unchanged") == expected_names(deals)  # same bytes: adopted
    assert [reasons(d) for d in report.documents if d.name == name] == [
        [f"apport 0.0.1 -> {__version__}"]]
    assert manifest(out)[name]["tool"] == __version__


def test_force_rebuilds_everything_to_the_same_bytes(deals, out, lib):
    assert invoke(lib, str(deals), "-o", str(out)).exit_code == 0
    before = documents(out)

    result = invoke(lib, str(deals), "-o", str(out), "--force")

    assert result.exit_code == 0, result.output
    assert result.stdout.count("built ") == len(before)
    assert "forced" in result.stdout
    assert documents(out) == before


# --- protected documents ------------------------------------------------------------------------


def test_a_hand_edited_document_is_left_alone_and_named(deals, out, lib):
    assert invoke(lib, str(deals), "-o", str(out)).exit_code == 0
    edited = out / f"{JULIE}.contrat.docx"
    edited.write_bytes(edited.read_bytes() + b"edited by hand")
    mine = edited.read_bytes()
    edit(deals / f"{JULIE}.yaml", "rate: 15", "rate: 16")  # an input changed too

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert edited.read_bytes() == mine
    assert str(edited) in result.stderr and "not overwritten" in result.stderr
    assert f"built {out / (JULIE + '.offre.docx')}" in result.stdout  # the rest is built
    last = result.stderr.strip().splitlines()[-1]
    # offer and client notice built (both state the rate), the contract protected
    assert last.startswith("2 built, 11 unchanged, 0 failed, 1 protected"), last
    assert manifest(out)[edited.name]["sha256"] != hashlib.sha256(mine).hexdigest()


@pytest.mark.slow  # a variant of the test above, which stays quick
def test_a_hand_edited_document_stays_protected_without_any_other_change(deals, out, lib):
    assert invoke(lib, str(deals), "-o", str(out)).exit_code == 0
    edited = out / f"{JULIE}.offre.docx"
    edited.write_bytes(b"my own notes")

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert edited.read_bytes() == b"my own notes"
    assert edited.name in result.stderr


def test_force_keeps_the_edited_copy_beside_the_new_document(deals, out, lib, tmp_path):
    assert invoke(lib, str(deals), "-o", str(out)).exit_code == 0
    edited = out / f"{JULIE}.contrat.docx"
    edited.write_bytes(b"my version")

    result = invoke(lib, str(deals), "-o", str(out), "--force")

    assert result.exit_code == 0, result.output
    kept = out / f"{JULIE}.contrat.edited.docx"
    assert kept.read_bytes() == b"my version"
    assert kept.name in result.stdout
    fresh = tmp_path / "fresh"
    assert invoke(lib, str(deals), "-o", str(fresh)).exit_code == 0
    assert edited.read_bytes() == (fresh / edited.name).read_bytes()
    assert manifest(out)[edited.name]["sha256"] == sha256(edited)
    # A second forced build keeps the first copy and names the next one apart.
    edited.write_bytes(b"my second version")
    assert invoke(lib, str(deals), "-o", str(out), "--force").exit_code == 0
    assert kept.read_bytes() == b"my version"
    assert (out / f"{JULIE}.contrat.edited-2.docx").read_bytes() == b"my second version"


def test_an_unlisted_file_with_the_right_bytes_is_adopted(deals, out, sources, tmp_path):
    run(deals, out, sources)
    other = tmp_path / "other"
    other.mkdir()
    for name, data in documents(out).items():
        (other / name).write_bytes(data)
    before = snapshot(other)

    report = run(deals, other, sources)

    assert report.ok
    assert by_status(report, "unchanged") == expected_names(deals)
    assert {n: v for n, v in snapshot(other).items()
            if not n.startswith(MANIFEST[:-5])} == before
    assert manifest(other) == manifest(out)


def test_an_unlisted_file_with_other_bytes_is_protected(deals, out, lib):
    out.mkdir()
    foreign = out / f"{JULIE}.offre.docx"
    foreign.write_bytes(b"not ours")

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert foreign.read_bytes() == b"not ours"
    assert str(foreign) in result.stderr
    assert set(documents(out)) == expected_names(deals)  # everything else was built
    assert foreign.name not in manifest(out)


# --- refused, invalid, failing deals -----------------------------------------------------------


def test_two_deals_with_the_same_output_name_are_refused_both_named(deals, out, lib):
    (deals / "a").mkdir()
    (deals / "b").mkdir()
    shutil.copy(deals / f"{JULIE}.yaml", deals / "a" / "pareil.yaml")
    shutil.copy(deals / "essai-seulement.yaml", deals / "b" / "pareil.yaml")

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert str(deals / "a" / "pareil.yaml") in result.stderr
    assert str(deals / "b" / "pareil.yaml") in result.stderr
    assert not list(out.glob("pareil.*"))
    written = set(documents(out))
    assert written == {n for n in expected_names(deals) if not n.startswith("pareil.")}


def test_an_invalid_deal_does_not_stop_the_others_and_every_failure_is_listed(deals, out, lib):
    for name, old, new in (("trop-cher", "rate: 15", "rate: 35"),
                           ("faute", "commission:", "comission:")):
        shutil.copy(deals / f"{JULIE}.yaml", deals / f"{name}.yaml")
        edit(deals / f"{name}.yaml", old, new)
    valid = expected_names(SAMPLES)

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert set(documents(out)) == valid
    assert re.search(r"trop-cher\.yaml:\d+:\d+: error: commission\.rate", result.stderr)
    assert re.search(r"faute\.yaml:\d+:\d+: error: .*comission", result.stderr)
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{len(valid)} built, 0 unchanged, 2 failed, 0 protected"), last


def test_a_clause_failing_for_one_deal_fails_that_deal_only(deals, out, lib, sources):
    (sources.clauses / "125-gros-client.md").write_text(
        "---\nid: gros-client\nversion: 1\ntitle: Gros client\n"
        "when: client.estimated_revenue > 5000\n---\nUn gros client.\n", encoding="utf-8")
    shutil.copy(deals / f"{JULIE}.yaml", deals / "sans-estimation.yaml")
    deal = deals / "sans-estimation.yaml"
    deal.write_text(re.sub(r"(?m)^  estimated_revenue: 600\b.*\n", "",
                           deal.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    assert "estimated_revenue" not in deal.read_text(encoding="utf-8")

    result = invoke(lib, str(deals), "-o", str(out))

    assert result.exit_code == 1
    assert "125-gros-client.md" in result.stderr and "sans-estimation.yaml" in result.stderr
    assert not (out / "sans-estimation.contrat.docx").exists()
    assert set(documents(out)) - {"sans-estimation.offre.docx",
                                  "sans-estimation.client.docx"} == expected_names(SAMPLES)
    assert "sans-estimation.contrat.docx" not in manifest(out)
    assert "Traceback" not in result.output


def test_an_output_path_that_is_a_file_is_a_located_error(deals, tmp_path, lib):
    target = tmp_path / "out.txt"
    target.write_text("a file")

    result = invoke(lib, str(deals), "-o", str(target))

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"{target}: error:" in result.stderr and "file" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == "a file"


def test_the_manifest_never_lists_a_file_that_does_not_exist(deals, out, sources):
    run(deals, out, sources)
    # A deal removed with its documents, another made invalid with its document deleted.
    (deals / "essai-seulement.yaml").unlink()
    for name in ("essai-seulement.contrat.docx", "essai-seulement.offre.docx",
                 f"{JULIE}.offre.docx"):
        (out / name).unlink()
    edit(deals / f"{JULIE}.yaml", "rate: 15", "rate: 35")

    report = run(deals, out, sources)

    assert not report.ok
    listed = manifest(out)
    for name, entry in listed.items():
        assert (out / name).is_file(), name
        assert entry["sha256"] == sha256(out / name)
    assert f"{JULIE}.contrat.docx" in listed  # still there, still listed


# --- check mode -----------------------------------------------------------------------------


def test_check_writes_nothing_and_fails_when_out_of_date(deals, out, lib, tmp_path):
    result = invoke(lib, str(deals), "-o", str(out), "--check")
    assert result.exit_code == 1
    assert not out.exists()

    assert invoke(lib, str(deals), "-o", str(out)).exit_code == 0
    before = snapshot(out)
    result = invoke(lib, str(deals), "-o", str(out), "--check")
    assert result.exit_code == 0, result.output

    edit(deals / f"{JULIE}.yaml", "rate: 15", "rate: 16")
    result = invoke(lib, str(deals), "-o", str(out), "--check")
    assert result.exit_code == 1
    assert f"out of date {out / (JULIE + '.contrat.docx')}: deal changed" in result.stdout
    assert snapshot(out) == before


@pytest.mark.slow  # --check with a changed deal stays quick
def test_check_with_a_changed_clause_fails_and_writes_nothing(deals, out, sources):
    run(deals, out, sources)
    before = snapshot(out)
    renewal = load_library(sources.clauses).by_id("duree-tacite-reconduction")
    assert renewal is not None
    edit(sources.clauses / "132-duree-tacite-reconduction.md", f"version: {renewal.version}",
         f"version: {renewal.version + 1}")

    report = run(deals, out, sources, check=True)

    assert not report.ok
    assert by_status(report, "outdated") == _users(out, renewal.key)
    assert snapshot(out) == before


# --- determinism and parallelism --------------------------------------------------------------


def test_jobs_1_and_jobs_2_write_the_same_bytes(deals, tmp_path, sources):
    one = run(deals, tmp_path / "j1", sources, jobs=1)
    two = run(deals, tmp_path / "j2", sources, jobs=2)

    assert one.ok and two.ok
    assert ([(d.name, d.status) for d in one.documents]
            == [(d.name, d.status) for d in two.documents])
    assert snapshot(tmp_path / "j1").keys() == snapshot(tmp_path / "j2").keys()
    for name in snapshot(tmp_path / "j1"):
        if name != STATUS:  # file statuses: times and inodes of this machine
            assert (tmp_path / "j1" / name).read_bytes() == (
                tmp_path / "j2" / name).read_bytes(), name


# Loaded as sitecustomize: the process believes it is five years later (what faketime does
# for the C library, done here for Python's clock functions).
FAKE_CLOCK = """
import time
_real, _localtime, _gmtime, _ctime = time.time, time.localtime, time.gmtime, time.ctime
_shift = 5 * 365 * 86400 + 12345.678
time.time = lambda: _real() + _shift
time.time_ns = lambda: int((_real() + _shift) * 1e9)
time.localtime = lambda secs=None: _localtime(time.time() if secs is None else secs)
time.gmtime = lambda secs=None: _gmtime(time.time() if secs is None else secs)
time.ctime = lambda secs=None: _ctime(time.time() if secs is None else secs)
"""


@pytest.mark.slow  # three real builds; jobs_1_and_jobs_2 and force_rebuilds stay quick
def test_builds_are_byte_identical_whatever_the_clock_or_time_zone(deals, tmp_path, lib):
    env = {k: v for k, v in os.environ.items() if k not in ("TZ", "PYTHONPATH")}
    fake = tmp_path / "fakeclock"
    fake.mkdir()
    (fake / "sitecustomize.py").write_text(FAKE_CLOCK)
    library = ["--clauses", str(lib / "clauses"), "--templates", str(lib / "templates")]
    runs = {
        "utc": {**env, "TZ": "UTC"},
        "tokyo": {**env, "TZ": "Asia/Tokyo"},
        "clock": {**env, "TZ": "America/Los_Angeles", "PYTHONPATH": str(fake)},
    }
    shifted = subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                             env=runs["clock"], capture_output=True, text=True, check=True)
    assert float(shifted.stdout) > time.time() + 4 * 365 * 86400  # the fake clock works
    for name, run_env in runs.items():
        done = subprocess.run(apport_command("build", str(deals), "-o", str(tmp_path / name),
                                             "-j", "1", *library),
                              env=run_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    os.utime(deals / f"{JULIE}.yaml", (0, 0))  # the deal's own dates do not matter either
    in_process = run(deals, tmp_path / "lib-api", Sources(lib / "clauses", lib / "templates"))
    assert in_process.ok

    def folder(out: Path) -> dict[str, bytes]:  # the file statuses depend on the machine
        return {p.name: p.read_bytes() for p in out.iterdir() if p.name != STATUS}

    reference = folder(tmp_path / "utc")
    assert set(reference) == expected_names(deals) | {MANIFEST, ".apport.lock"}
    for name in ("tokyo", "clock", "lib-api"):
        other = folder(tmp_path / name)
        assert other == reference, name


# --- crash safety ------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_killed_at_any_moment_leaves_whole_documents_and_an_honest_manifest(
        tmp_path, lib, jobs):
    many = tmp_path / "many"
    many.mkdir()
    text = (SAMPLES / f"{JULIE}.yaml").read_text(encoding="utf-8")
    for i in range(80):
        (many / f"deal-{i:03d}.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    library = ["--clauses", str(lib / "clauses"), "--templates", str(lib / "templates")]
    command = apport_command("build", str(many), "-o", str(out), "-j", jobs, *library)

    for kill_after in (12, 70):  # documents seen on disk before the kill
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            workers |= _children(process.pid)
            if out.is_dir() and len(list(out.glob("*.docx"))) >= kill_after:
                break
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the build ended before it was killed"
        # Its workers do not go on alone (nor wait forever for work that never comes).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_alive, workers)):
            time.sleep(0.05)
        assert not any(map(_alive, workers)), workers
        if jobs == "2":
            assert workers

        present = sorted(out.glob("*.docx"))
        assert len(present) >= kill_after
        for path in present:
            assert not path.name.startswith(STAGING)
            assert_whole_docx(path)
        if (out / MANIFEST).exists():
            for name, entry in manifest(out).items():
                assert (out / name).is_file(), name
                assert entry["sha256"] == sha256(out / name), name

    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = {f"deal-{i:03d}.{kind}.docx" for i in range(80)
             for kind in ("contrat", "offre", "client")}
    assert set(documents(out)) == names
    for name in names:
        assert_whole_docx(out / name)
    assert not (out / STAGING).exists()
    listed = manifest(out)
    assert set(listed) == names
    assert all(listed[n]["sha256"] == sha256(out / n) for n in names)
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
    assert again.stderr.strip().splitlines()[-1].startswith("0 built, 240 unchanged")


# --- the terminal ---------------------------------------------------------------------------------


def _many_deals(folder: Path, n: int) -> Path:
    folder.mkdir()
    text = (SAMPLES / f"{JULIE}.yaml").read_text(encoding="utf-8")
    for i in range(n):
        (folder / f"d{i:02d}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow  # two real builds of 25 deals
def test_progress_bar_on_a_terminal_only(tmp_path, lib):
    deals = _many_deals(tmp_path / "deals", 25)
    library = ["--clauses", str(lib / "clauses"), "--templates", str(lib / "templates")]

    piped = subprocess.run(apport_command("build", str(deals), "-o", str(tmp_path / "a"),
                                          "-j", "1", *library),
                           capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert "Building" not in piped.stderr

    controller, terminal = pty.openpty()
    process = subprocess.Popen(apport_command("build", str(deals), "-o", str(tmp_path / "b"),
                                              "-j", "1", *library),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=terminal)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal was closed by the process ending
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0
    assert b"Building" in seen
    assert SUMMARY.match(seen.decode("utf-8", "replace").strip().splitlines()[-1].strip())
