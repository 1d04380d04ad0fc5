"""Builds at scale (issue 15): what a build with nothing to do reads, what the manifest
holds and rewrites, PDFs converted in parallel.

Speed itself is measured in ``benchmarks/bench_build.py``, never asserted here: these
tests pin down the behaviour the figures come from (deal folders listed once, a
manifest that shares the clause hashes, writes in proportion to what changed, files
not read again when their status says they are the ones apport wrote).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from quick import quick_cases

from generator import finding, manifest
from generator.build import MANIFEST, build
from generator.cli import cli
from generator.manifest import JOURNAL, STATUS, Manifest, entry_to_json
from generator.writing import OutputFolder

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


# these tests build twice in a row: file statuses recorded at once, except where they say
pytestmark = pytest.mark.usefixtures("statuses_at_once")






def invoke(lib: Path, *args: str):
    return CliRunner().invoke(cli, ["build", *args, "--clauses", str(lib / "clauses"),
                                    "--templates", str(lib / "templates"), "-j", "1"])


def test_apport_build_lists_the_deal_folders_once(deals, lib, tmp_path, monkeypatch):
    walked: list[Path] = []
    walk = finding._walk

    def counting(top: Path):
        walked.append(top)
        return walk(top)

    monkeypatch.setattr(finding, "_walk", counting)
    assert invoke(lib, str(deals), "-o", str(tmp_path / "out")).exit_code == 0
    assert invoke(lib, str(deals), "-o", str(tmp_path / "out")).exit_code == 0

    assert walked == [deals, deals]  # once per build


# --- the manifest: each clause hash once ------------------------------------------------------


def _format_1(out: Path) -> str:
    """The manifest of ``out`` as apport wrote it before format 2: every entry with its
    clauses' hashes."""
    loaded = Manifest.load(out)
    documents = {name: entry_to_json(loaded.entries[name]) for name in sorted(loaded.entries)}
    return json.dumps({"format": 1, "documents": documents}, indent=1, ensure_ascii=False)


def test_the_manifest_states_each_clause_hash_once(deals, tmp_path, sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    text = (out / MANIFEST).read_text(encoding="utf-8")
    data = json.loads(text)

    assert data["format"] == 2
    tables = data["clauses"]
    assert set(tables) == {"contrat", "offre", "client"}
    for name, entry in data["documents"].items():
        library = tables[name.split(".")[1] if ".revue." not in name else "contrat"]
        assert isinstance(entry["clauses"], list) and entry["clauses"], name
        assert all(key in library for key in entry["clauses"]), name
    for table in tables.values():
        for sha in table.values():  # once in the file, whatever the number of documents
            assert text.count(sha) == 1
    # what it says is what format 1 said, entry by entry
    loaded = Manifest.load(out)
    assert not loaded.warnings
    (out / MANIFEST).write_text(_format_1(out), encoding="utf-8")
    assert Manifest.load(out).entries == loaded.entries
    assert len(text) < len((out / MANIFEST).read_text(encoding="utf-8"))


def test_a_manifest_of_format_1_is_read_and_written_again_in_format_2(deals, tmp_path,
                                                                       sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    before = {p.name: p.read_bytes() for p in out.glob("*.docx")}
    (out / MANIFEST).write_text(_format_1(out), encoding="utf-8")

    report = build([deals], out, sources=sources, jobs=1)

    assert report.ok and not report.notes
    assert report.count("unchanged") == len(before) and not report.count("built")
    assert {p.name: p.read_bytes() for p in out.glob("*.docx")} == before
    loaded = Manifest.load(out)
    with OutputFolder(out) as folder:
        loaded.save(folder)
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["format"] == 2


def test_a_clause_recorded_with_two_hashes_keeps_both(deals, tmp_path, sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    loaded = Manifest.load(out)
    contracts = sorted(n for n, e in loaded.entries.items() if n.endswith(".contrat.docx"))
    first, second = contracts[0], contracts[1]
    key = next(iter(loaded.entries[second].clauses))
    other = "0" * 64
    loaded.entries[second] = replace(loaded.entries[second],
                                     clauses={**loaded.entries[second].clauses, key: other})
    with OutputFolder(out) as folder:
        loaded.save(folder)

    again = Manifest.load(out)

    assert not again.warnings
    assert again.entries == loaded.entries
    assert again.entries[second].clauses[key] == other
    assert again.entries[first].clauses[key] != other


@pytest.mark.parametrize("how", quick_cases(["a clause missing from the table",
                                             "a table of numbers",
                                             "a library that does not exist"]))
def test_a_manifest_whose_clause_table_is_wrong_reads_as_absent(deals, tmp_path, sources, how):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    if how == "a clause missing from the table":
        data["clauses"]["contrat"].pop(next(iter(data["clauses"]["contrat"])))
    elif how == "a table of numbers":
        data["clauses"]["offre"] = {"x@1": 1}
    else:
        data["clauses"]["brochure"] = {}
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")

    loaded = Manifest.load(out)

    assert loaded.damaged and not loaded.entries
    assert "the manifest is damaged" in str(loaded.warnings[0])


def test_the_manifest_holds_a_document_a_line_and_is_read_a_line_at_a_time(
        deals, tmp_path, sources, monkeypatch):
    from generator import manifest

    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    start = lines.index(' "documents": {')
    assert lines[-2:] == [" }", "}"]
    names = [next(iter(json.loads("{" + line.rstrip(",") + "}"))) for line in
             lines[start + 1:-2]]
    assert names == sorted(p.name for p in out.glob("*.docx"))
    expected = Manifest.load(out).entries

    read_whole = manifest._read_regular

    def whole(path):  # noqa: ANN001, ANN202
        assert Path(path).name != MANIFEST, "the manifest read whole"
        return read_whole(path)

    monkeypatch.setattr(manifest, "_read_regular", whole)
    assert not (out / JOURNAL).exists()  # (the journal is read whole: none here)
    monkeypatch.setattr(Manifest, "_replay", lambda self, path: None)
    assert Manifest.load(out).entries == expected


def test_a_manifest_laid_out_otherwise_is_read_whole(deals, tmp_path, sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    expected = Manifest.load(out).entries
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for text in (json.dumps(data, indent=1), json.dumps(data), json.dumps(data, indent=4)):
        (out / MANIFEST).write_text(text, encoding="utf-8")
        loaded = Manifest.load(out)
        assert not loaded.warnings and loaded.entries == expected


@pytest.mark.parametrize("how", quick_cases(["an entry's hash", "a line cut",
                                             "text after the end"]))
def test_a_damaged_line_of_the_manifest_makes_it_damaged(deals, tmp_path, sources, how):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    text = (out / MANIFEST).read_text(encoding="utf-8")
    if how == "an entry's hash":
        text = text.replace('"sha256": "', '"sha256": "x', 1)
    elif how == "a line cut":
        lines = text.splitlines(keepends=True)
        middle = lines.index(' "documents": {\n') + 2
        lines[middle] = lines[middle][:40] + "\n"
        text = "".join(lines)
    else:
        text += '{"format": 2}\n'
    (out / MANIFEST).write_text(text, encoding="utf-8")

    loaded = Manifest.load(out)

    assert loaded.damaged and not loaded.entries
    assert "the manifest is damaged" in str(loaded.warnings[0])


# --- a build with nothing to do reads no document again -------------------------------------


def _hashed(monkeypatch) -> list[str]:
    """The files whose bytes a build reads to hash them (the guarded writer's hash)."""
    from generator import manifest, writing

    read: list[str] = []
    original = writing.sha256_file

    def counting(path):  # noqa: ANN001, ANN202
        read.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(manifest, "sha256_file", counting)
    monkeypatch.setattr("generator.build.sha256_file", counting)
    return read


def test_a_build_with_nothing_to_do_reads_no_document(deals, tmp_path, sources, monkeypatch):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    read = _hashed(monkeypatch)

    report = build([deals], out, sources=sources, jobs=1)

    assert report.ok and report.count("unchanged") == len(report.documents)
    assert read == []


def _change_julie(deals: Path, rate: float = 16) -> None:
    """A change to one deal (its rate), so that its documents are built again."""
    deal = deals / "julie-atelier-bois.yaml"
    deal.write_text(re.sub(r"rate: [0-9.]+", f"rate: {rate}", deal.read_text(encoding="utf-8")),
                    encoding="utf-8")


def _same_size_edit(path: Path) -> bytes:
    """Change one byte of ``path`` in place, and set its modification time back."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-30] ^= 1  # inside the zip's central directory: same size, other bytes
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    return bytes(data)


@pytest.mark.parametrize("how", ["edited in place", "replaced by a copy"])
def test_a_document_changed_behind_the_same_size_and_time_is_still_protected(
        deals, tmp_path, sources, monkeypatch, how):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    target = out / "julie-atelier-bois.offre.docx"
    if how == "edited in place":
        edited = _same_size_edit(target)
    else:
        copy = tmp_path / "copy.docx"
        shutil.copy2(target, copy)
        edited = _same_size_edit(copy)
        os.replace(copy, target)
    _change_julie(deals)

    report = build([deals], out, sources=sources, jobs=1)

    assert [d.status for d in report.documents if d.name == target.name] == ["protected"]
    assert target.read_bytes() == edited



def test_a_document_changed_within_the_clock_tick_of_its_writing_is_still_protected(
        deals, tmp_path, sources, monkeypatch):
    """A file changed within one tick of the system's clock after apport wrote it keeps
    its size and all its times (here the clock does not tick at all). Its status was not
    recorded (too young), so the next build reads it and sees the change."""
    monkeypatch.setattr(manifest, "SETTLING_NS", 2_000_000_000)
    real = manifest.file_status
    first_seen: dict[int, tuple[int, int]] = {}

    def no_tick(path):
        status = real(path)
        if status is None:
            return None
        size, mtime, ctime, inode = status
        mtime, ctime = first_seen.setdefault(inode, (mtime, ctime))
        return size, mtime, ctime, inode

    monkeypatch.setattr(manifest, "file_status", no_tick)
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    target = out / "julie-atelier-bois.offre.docx"
    edited = _same_size_edit(target)
    _change_julie(deals)

    report = build([deals], out, sources=sources, jobs=1)

    assert [d.status for d in report.documents if d.name == target.name] == ["protected"]
    assert target.read_bytes() == edited


def test_a_status_is_recorded_once_the_file_settled(deals, tmp_path, sources, monkeypatch):
    monkeypatch.setattr(manifest, "SETTLING_NS", 2_000_000_000)
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    status = out / STATUS
    assert not status.exists() or not status.read_text(encoding="utf-8").strip()

    monkeypatch.setattr(manifest, "SETTLING_NS", 0)  # as if two seconds went by
    read = _hashed(monkeypatch)
    build([deals], out, sources=sources, jobs=1)
    assert sorted(read) == sorted(p.name for p in out.glob("*.docx"))
    read.clear()
    build([deals], out, sources=sources, jobs=1)
    assert read == []


@pytest.mark.parametrize("layout", ["appended", "in name order"])
def test_a_document_dated_before_1970_keeps_its_status(deals, tmp_path, sources, monkeypatch,
                                                       layout):
    """Times before 1970 are negative: such a status is kept, read back, and no more
    makes the whole file unreadable (then every file was read and the file rewritten at
    every build with nothing to do)."""
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    old = -10 * 365 * 86_400 * 10**9
    os.utime(next(out.glob("*.offre.docx")), ns=(old, old))
    build([deals], out, sources=sources, jobs=1)  # its status learned
    status = out / STATUS
    lines = status.read_text(encoding="utf-8").splitlines()
    if layout == "in name order":
        statuses = {k: v for line in lines for k, v in json.loads(line).items()}
        status.write_text("".join(json.dumps({k: statuses[k]}, separators=(",", ":")) + "\n"
                                  for k in sorted(statuses)), encoding="utf-8")
    before = status.read_bytes()
    assert b",-" in before

    read = _hashed(monkeypatch)
    assert build([deals], out, sources=sources, jobs=1).ok
    assert read == []
    assert status.read_bytes() == before


def test_the_statuses_are_kept_apart_from_the_manifest_and_read_as_a_shortcut_only(
        deals, tmp_path, sources, monkeypatch):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    manifest_text = (out / MANIFEST).read_text(encoding="utf-8")
    assert "file_status" not in manifest_text and str(os.stat(out).st_ino) not in manifest_text
    status = out / STATUS
    assert set(json.loads(status.read_text(encoding="utf-8").splitlines()[0])) == {
        p.name for p in out.glob("*.docx")}

    status.write_text("[[[ not what apport writes", encoding="utf-8")
    read = _hashed(monkeypatch)
    report = build([deals], out, sources=sources, jobs=1)

    assert report.ok and not report.notes  # a shortcut: no warning, every file read
    assert sorted(read) == sorted(p.name for p in out.glob("*.docx"))
    assert json.loads(status.read_text(encoding="utf-8").splitlines()[0])  # rewritten
    read.clear()
    build([deals], out, sources=sources, jobs=1)
    assert read == []


@pytest.mark.slow  # builds until the file is rewritten; the statuses' use stays quick above
def test_the_status_file_is_appended_to_and_rewritten_in_order(deals, tmp_path, sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    status = out / STATUS
    assert len(status.read_text(encoding="utf-8").splitlines()) == 1
    documents = sorted(p.name for p in out.glob("*.docx"))
    lines = []
    rewritten = []
    for step in range(40):
        _change_julie(deals, 10 + step / 10)
        build([deals], out, sources=sources, jobs=1)
        text = status.read_text(encoding="utf-8").splitlines()
        lines.append(len(text))
        if lines[-1] < lines[-2:][0]:
            rewritten.append([list(json.loads(line)) for line in text])

    assert lines[:3] == [2, 3, 4]  # one line per build that wrote something
    # rewritten on the way: each status on its line, in name order (read as a stream)
    assert rewritten and all(names == [[n] for n in documents] for names in rewritten)
    assert max(lines) < len(documents) + 64 // 3 + 2


# --- PDFs: one LibreOffice per worker --------------------------------------------------------

# A stand-in for LibreOffice that writes "%PDF-fake" for each document, notes its profile,
# and waits (up to 20 s) until ``expected`` runs have started: runs that come one after the
# other each wait in vain, and say so.
SIDE_BY_SIDE_SOFFICE = """#!{python}
import os, pathlib, sys, time
args = sys.argv[1:]
profile = next(a for a in args if a.startswith("-env:UserInstallation="))
out = pathlib.Path(args[args.index("--outdir") + 1])
docs = [pathlib.Path(a) for a in args if a.endswith(".docx")]
runs = pathlib.Path({runs!r})
(runs / str(os.getpid())).write_text(profile)
deadline = time.time() + 20
while len(list(runs.iterdir())) < {expected} and time.time() < deadline:
    time.sleep(0.05)
together = len(list(runs.iterdir())) >= {expected}
with open({log!r}, "a") as log:
    log.write(f"{{profile}} {{len(docs)}} {{'together' if together else 'alone'}}\\n")
for d in docs:
    (out / (d.stem + ".pdf")).write_bytes(b"%PDF-fake " + d.read_bytes()[-40:])
"""


def _side_by_side_soffice(tmp_path: Path, monkeypatch, expected: int) -> Path:
    import sys

    runs, log = tmp_path / "runs", tmp_path / "soffice.log"
    runs.mkdir()
    program = tmp_path / "soffice"
    program.write_text(SIDE_BY_SIDE_SOFFICE.format(python=sys.executable, runs=str(runs),
                                                   expected=expected, log=str(log)))
    program.chmod(0o755)
    monkeypatch.setenv("APPORT_SOFFICE", str(program))
    return log


def test_pdfs_are_converted_by_one_libreoffice_per_worker_each_with_its_profile(
        deals, tmp_path, sources, monkeypatch):
    log = _side_by_side_soffice(tmp_path, monkeypatch, expected=2)
    out = tmp_path / "out"
    told: list[tuple[int, int]] = []

    report = build([deals], out, sources=sources, jobs=2, pdf=True,
                   pdf_progress=lambda done, total: told.append((done, total)))

    assert report.ok, [d.error for d in report.documents if d.error]
    runs = [line.split() for line in log.read_text().splitlines()]
    documents = len(list(out.glob("*.docx")))
    assert len(runs) == 2 and {state for _, _, state in runs} == {"together"}
    assert len({profile for profile, _, _ in runs}) == 2  # each LibreOffice its own profile
    assert sum(int(count) for _, count, _ in runs) == documents
    assert sorted(p.name[:-4] for p in out.glob("*.pdf")) == sorted(
        p.name[:-5] for p in out.glob("*.docx"))
    assert told[0] == (0, documents) and told[-1] == (documents, documents)
    assert len(told) == 3  # said after each LibreOffice run


def test_pdfs_of_unchanged_documents_are_not_converted_again(deals, tmp_path, sources,
                                                            monkeypatch):
    log = _side_by_side_soffice(tmp_path, monkeypatch, expected=1)
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=2, pdf=True)
    build([deals], out, sources=sources, jobs=2, pdf=True)  # (the PDFs' statuses noted)
    statuses = {}  # laid out as in a large folder: in name order, one a line
    for line in (out / STATUS).read_text(encoding="utf-8").splitlines():
        statuses.update(json.loads(line))
    (out / STATUS).write_text("".join(json.dumps({name: statuses[name]}, separators=(
        ",", ":")) + "\n" for name in sorted(statuses)), encoding="utf-8")
    log.write_text("")
    read = _hashed(monkeypatch)

    report = build([deals], out, sources=sources, jobs=2, pdf=True)

    assert report.ok and log.read_text() == ""
    assert report.count("unchanged") == len(list(out.glob("*.docx"))) + len(
        list(out.glob("*.pdf")))
    assert read == []  # neither the documents nor their PDFs read again


# --- writes in proportion to what changed -----------------------------------------------------


def test_the_manifest_is_written_in_proportion_to_what_changed(deals, tmp_path, sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    journal = out / JOURNAL

    def state() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in out.iterdir() if p.name.startswith(MANIFEST[:-5])}

    before = state()
    assert not journal.exists()  # the first build wrote the manifest whole, once
    build([deals], out, sources=sources, jobs=1)
    assert state() == before  # nothing to do: nothing written

    sizes = []
    for step in range(30):
        _change_julie(deals, 10 + step / 10)
        build([deals], out, sources=sources, jobs=1)
        if not journal.exists():
            break
        lines = journal.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(sizes) + 1  # one line for the deal built
        assert set(json.loads(lines[-1])["set"]) == {
            f"julie-atelier-bois.{kind}.docx" for kind in ("contrat", "offre", "client")}
        assert state()[MANIFEST] == before[MANIFEST]  # the manifest itself not touched
        sizes.append(journal.stat().st_size)
    # folded into the manifest once it held a quarter of it (at least 16 KiB), not before
    assert sizes and sizes[-1] < 16 * 1024 <= sizes[-1] * (len(sizes) + 1) / len(sizes)
    assert state()[MANIFEST] != before[MANIFEST]


def test_unchanged_deals_counted_rather_than_listed_give_the_same_report(deals, tmp_path,
                                                                         sources):
    out = tmp_path / "out"
    build([deals], out, sources=sources, jobs=1)
    files = sorted(deals.glob("*.yaml"))
    files[0].unlink()  # its documents are stale now
    files[1].write_text(re.sub(r"rate: [0-9.]+", "rate: 12.5",
                               files[1].read_text(encoding="utf-8")), encoding="utf-8")

    listed = build([deals], out, sources=sources, jobs=1, check=True)
    counted = build([deals], out, sources=sources, jobs=1, check=True, list_unchanged=False)

    assert str(counted.summary) == str(listed.summary)
    assert counted.count("unchanged") == listed.count("unchanged") > 0
    assert [(d.name, d.status) for d in counted.documents] == [
        (d.name, d.status) for d in listed.documents if d.status != "unchanged"]
    quiet = [d for d in listed.diagnostics
             if d.file in listed.unchanged_deals and d.severity == "warning"]
    assert counted.unlisted_warnings == len(quiet) > 0
    assert counted.unlisted_warned_deals == len({d.file for d in quiet})
    assert not counted.unchanged_deals and len(counted.diagnostics) == len(
        listed.diagnostics) - len(quiet)

    written = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert written.count("stale") == sum(d.status == "outdated" and d.name.startswith(
        files[0].stem + ".") for d in listed.documents) > 0
    assert {p.name for p in out.glob("*.docx")} <= set(Manifest.load(out).entries)
    again = build([deals], out, sources=sources, jobs=1)  # the counted ones stay recorded
    assert again.count("unchanged") >= listed.count("unchanged") and not again.count("built")
