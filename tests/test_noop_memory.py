"""A build with nothing to do holds nothing per deal (issue 15: 50,000 deals within 1.2x
the memory of 1,000): the manifest and the file statuses are gone through as streams
beside the deal list, in the order of ``stem + "."``, and the stale files are found in
the same pass.

The memory itself is measured in ``benchmarks/bench_noop_memory.py``; here the peak of
the allocations Python traces (``tracemalloc``) is compared between two sizes of the
same folder, which does not depend on the machine. The other tests pin down the pass:
stems whose documents interleave in the manifest's order, unicode names, deals added,
removed, renamed or clashing, old manifests and status files, damaged lines.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from test_scale import _hashed

from generator import manifest
from generator.build import MANIFEST, Sources, build
from generator.finding import DealFiles, deal_files, find_deal_files
from generator.manifest import STATUS, Derived, DocumentEntry, FileEntry, Manifest, Window
from generator.planning import stale
from generator.writing import OutputFolder

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
JULIE = "julie-atelier-bois"


pytestmark = pytest.mark.usefixtures("statuses_at_once")  # rebuilds follow at once


@pytest.fixture
def one(tmp_path: Path, sources: Sources) -> tuple[Path, Path]:
    """One sample deal built: its folder and its output folder."""
    deals = tmp_path / "one"
    deals.mkdir()
    shutil.copy(SAMPLES / f"{JULIE}.yaml", deals / f"{JULIE}.yaml")
    out = tmp_path / "one-out"
    assert build([deals], out, sources=sources, jobs=1).ok
    return deals, out


def fabricate(one: tuple[Path, Path], names: list[str], root: Path, *,
              pdfs: bool = False) -> tuple[Path, Path]:
    """A folder of deals named ``names`` and their documents, all of them up to date: the
    one deal's file and documents under each name (hard links), and a manifest listing
    them (as ``benchmarks/bench_noop_memory.py`` makes its large folders); ``pdfs``: a
    PDF of each document too, as ``--pdf`` records them."""
    base_deals, base_out = one
    deals, out = root / "deals", root / "out"
    deals.mkdir(parents=True)
    out.mkdir()
    loaded = Manifest.load(base_out)
    entries: dict[str, DocumentEntry | FileEntry] = {}
    pdf_text = b"not converted: only its record matters here"
    for name in names:
        os.link(base_deals / f"{JULIE}.yaml", deals / f"{name}.yaml")
        for kind in ("contrat", "offre", "client"):
            entry = loaded.entries[f"{JULIE}.{kind}.docx"]
            assert isinstance(entry, DocumentEntry)
            os.link(base_out / f"{JULIE}.{kind}.docx", out / f"{name}.{kind}.docx")
            entries[f"{name}.{kind}.docx"] = replace(
                entry, deal=str(deals / f"{name}.yaml"),
                deal_path=str(deals / f"{name}.yaml"),
                documents=tuple(d.replace(JULIE, name) for d in entry.documents))
            if pdfs:
                (out / f"{name}.{kind}.pdf").write_bytes(b"%PDF-1.4 " + pdf_text)
                entries[f"{name}.{kind}.pdf"] = FileEntry(
                    kind=Derived.PDF, deal=str(deals / f"{name}.yaml"),
                    sha256=hashlib.sha256(b"%PDF-1.4 " + pdf_text).hexdigest(),
                    source=f"{name}.{kind}.docx", source_sha256=entry.sha256,
                    tool=entry.tool, deal_path=str(deals / f"{name}.yaml"))
    with OutputFolder(out) as folder:
        Manifest(entries=entries).save(folder)
    return deals, out


def _noop_peak(deals: Path, out: Path, sources: Sources) -> int:
    """The peak of traced allocations of a build with nothing to do (as ``apport build``
    calls it), after one that noted the file statuses."""
    first = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert first.ok and first.count("built") == 0
    gc.collect()
    tracemalloc.start()
    try:
        files = deal_files([deals])  # as the command lists them, then builds
        report = build([deals], out, sources=sources, jobs=1, list_unchanged=False,
                       files=files)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok and report.count("unchanged") == 3 * len(files)
    assert not report.documents and not report.diagnostics
    return peak


@pytest.mark.slow  # fabricates and builds 2,000 deals twice
def test_the_memory_of_a_build_with_nothing_to_do_does_not_grow_with_the_deals(
        one, tmp_path, sources):
    small, large = 400, 2000
    peaks = {}
    for n in (small, large):
        deals, out = fabricate(one, [f"deal-{i:05d}" for i in range(n)], tmp_path / str(n))
        peaks[n] = _noop_peak(deals, out, sources)
    per_deal = (peaks[large] - peaks[small]) / (large - small)
    # A deal's name in the packed deal list (about 20 bytes) and the tables and free
    # lists that grow by steps (about 70 bytes a deal between these sizes); every
    # record of a deal kept (its entries, statuses, names, paths) cost 2,290 bytes.
    assert per_deal < 120, (peaks, per_deal)


@pytest.mark.slow  # fabricates and builds 2,400 deals twice
def test_the_pdfs_recorded_beside_the_documents_are_not_kept_either(one, tmp_path, sources):
    """A build without --pdf over a folder where PDFs were made: each PDF's record (its
    document named before it) is looked at as it goes by, not kept to the end."""
    small, large = 400, 2000
    peaks = {}
    for n in (small, large):
        deals, out = fabricate(one, [f"deal-{i:05d}" for i in range(n)], tmp_path / str(n),
                               pdfs=True)
        peaks[n] = _noop_peak(deals, out, sources)
    per_deal = (peaks[large] - peaks[small]) / (large - small)
    # (three PDF records kept a deal cost about 1,500 bytes)
    assert per_deal < 120, (peaks, per_deal)


# --- the pass: deal list and manifest side by side ----------------------------------------

# Names whose documents interleave in the manifest's name order ("a.b.offre.docx" comes
# between "a.client.docx" and "a.offre.docx"), which sort otherwise as file names
# ("a-b.yaml" < "a.b.yaml" < "a.yaml"), accents and other scripts, digits.
TRICKY = ["a", "a.b", "a.b.c", "a-b", "a.z", "a.contrat", "ab", "A", "b", "été", "ete",
          "zoé", "Zoe", "e\u0301t\u0301e\u0301", "日本", "deal-2", "deal-10", "x.offre"]


def test_the_deals_come_in_the_order_of_their_documents_in_the_manifest(tmp_path):
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    for index, stem in enumerate(TRICKY):
        (folders[index % 2] / f"{stem}.{'yml' if index % 3 else 'yaml'}").write_text("x: 1\n")
    (folders[1] / "a.yaml").write_text("x: 1\n")  # a stem in both folders: side by side

    found = list(deal_files(folders).by_stem())

    stems = [stem for stem, _ in found]
    assert stems == sorted(stems, key=lambda stem: stem + ".")
    assert [s for s, _ in found if s == "a"] == ["a", "a"]
    for stem, display in found:  # each document name of a stem sorts after "stem."
        assert Path(display).stem == stem
    names = sorted(f"{stem}.{kind}.docx" for stem in stems for kind in ("client", "offre"))
    assert names.index("a.b.client.docx") < names.index("a.offre.docx")  # interleaved


def test_the_deal_list_is_the_natural_list_of_before(tmp_path):
    """A compact list gives the very pairs ``find_deal_files`` gave."""
    (tmp_path / "lot-10").mkdir()
    (tmp_path / "lot-2").mkdir()
    for stem in TRICKY:
        (tmp_path / f"{stem}.yaml").write_text("x: 1\n")
    (tmp_path / "lot-10" / "deal-1.yml").write_text("x: 1\n")
    (tmp_path / "lot-2" / "deal-1.yaml").write_text("x: 1\n")
    (tmp_path / "lot-2" / "link.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "0-link.yaml").symlink_to(tmp_path / "zoé.yaml")  # before it: kept

    found = find_deal_files([tmp_path / "ab.yaml", tmp_path])

    displays = [display for _, display in found]
    assert displays[0] == str(tmp_path / "0-link.yaml")
    assert str(tmp_path / "zoé.yaml") not in displays  # reached by the link first
    assert str(tmp_path / "lot-2" / "link.yaml") not in displays  # b.yaml came first
    assert displays.count(str(tmp_path / "ab.yaml")) == 1
    assert len(displays) == len(TRICKY) + 2
    assert all(Path(display) == path for path, display in found)
    again = DealFiles.of(found)
    assert list(again) == found and len(again) == len(found)
    assert all(again.has_path(os.path.abspath(display)) for display in displays)
    assert not again.has_path(str(tmp_path / "zoé.yaml"))


def test_a_window_keeps_what_it_passed_until_told_to_forget(tmp_path):
    window = Window((name, name.upper()) for name in ["a", "b", "c", "d", "e"])
    assert window.get("c") == "C"  # passes a and b, keeps them
    assert window.take("a") == "A" and window.get("a") is None
    assert list(window.forget_before("c")) == [("b", "B")]
    assert window.get("b") is None and window.get("c") == "C"
    assert list(window.rest()) == [("c", "C"), ("d", "D"), ("e", "E")]


def _stale_names(report) -> dict[str, str]:
    return {d.name: d.reasons[0].code for d in report.documents
            if d.status in ("stale", "pruned", "outdated")}


@pytest.mark.slow  # several builds of a folder of tricky names
def test_a_build_over_tricky_names_finds_what_the_whole_manifest_says(one, tmp_path,
                                                                       sources):
    deals, out = fabricate(one, TRICKY, tmp_path / "tricky")
    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert report.ok and report.count("unchanged") == 3 * len(TRICKY)
    assert not _stale_names(report)

    # removed, renamed, changed, a clash, a deal no longer in the build but still there
    os.unlink(deals / "a.b.yaml")
    os.rename(deals / "a.yaml", deals / "a.renamed.yaml")
    text = (deals / "été.yaml").read_text(encoding="utf-8")
    os.unlink(deals / "été.yaml")
    (deals / "été.yaml").write_text(text.replace("rate: 15", "rate: 14"), encoding="utf-8")
    (deals / "lot").mkdir()
    shutil.copy(deals / "b.yaml", deals / "lot" / "ab.yaml")
    os.rename(deals / "zoé.yaml", tmp_path / "zoé.yaml")  # out of the build, still there
    expected_stale = _expected_stale([deals, tmp_path / "zoé.yaml"], out)

    report = build([deals, tmp_path / "zoé.yaml"], out, sources=sources, jobs=1,
                   list_unchanged=False)

    built = {d.name for d in report.documents if d.status == "built"}
    assert {f"a.renamed.{kind}.docx" for kind in ("contrat", "offre", "client")} <= built
    assert "été.contrat.docx" in built
    assert [f.code for f in report.failures] == ["build-names-clash"]
    stale_now = _stale_names(report)
    assert stale_now == {name: "stale-deal-gone" for name in expected_stale}
    assert set(stale_now) == {f"{stem}.{kind}.docx" for stem in ("a", "a.b")
                              for kind in ("contrat", "offre", "client")}
    # all but a, a.b (gone) and ab (clashing), with a.renamed
    assert report.count("unchanged") + len(built) == 3 * (len(TRICKY) - 2)
    assert report.count("unchanged") >= 3 * (len(TRICKY) - 4)

    pruned = build([deals, tmp_path / "zoé.yaml"], out, sources=sources, jobs=1,
                   list_unchanged=False, prune=True)
    assert {d.name for d in pruned.documents if d.status == "pruned"} == set(stale_now)
    assert not any((out / name).exists() for name in stale_now)
    assert (out / "zoé.offre.docx").exists()
    assert not set(stale_now) & set(Manifest.load(out).entries)


def _expected_stale(paths: list[Path], out: Path) -> set[str]:
    """What the whole manifest says is stale once the deals of ``paths`` are built (the
    documents of deals that are gone)."""
    entries = Manifest.load(out).entries
    present = {f"{Path(d).stem}.{k}.docx" for _, d in find_deal_files(paths)
               for k in ("contrat", "offre", "client")}
    return set(stale(entries, present, set()))


def test_unchanged_deals_under_tricky_names_are_all_found_up_to_date(one, tmp_path, sources):
    deals, out = fabricate(one, TRICKY, tmp_path / "tricky")
    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert report.ok and report.count("unchanged") == 3 * len(TRICKY)
    assert report.count("built") == 0 and not _stale_names(report)
    listed = build([deals], out, sources=sources, jobs=1)  # the library's default
    assert listed.ok and {d.name for d in listed.documents} == {
        f"{stem}.{kind}.docx" for stem in TRICKY for kind in ("contrat", "offre", "client")}


# --- old and damaged files --------------------------------------------------------------------


def test_a_manifest_laid_out_otherwise_still_gives_a_build_with_nothing_to_do(
        one, tmp_path, sources):
    deals, out = fabricate(one, TRICKY[:6], tmp_path / "old")
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")  # one line

    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)

    assert report.ok and not report.notes and report.count("unchanged") == 18


def test_a_manifest_whose_names_are_out_of_order_is_read_whole(one, tmp_path, sources):
    deals, out = fabricate(one, TRICKY[:6], tmp_path / "unordered")
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(' "documents": {\n') + 1
    body = lines[start:-2]
    body[0], body[1] = body[1], body[0]
    (out / MANIFEST).write_text("".join(lines[:start] + body + lines[-2:]), encoding="utf-8")
    expected = len(Manifest.load(out).entries)

    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)

    assert expected == 18
    assert report.ok and not report.notes and report.count("unchanged") == 18


def test_a_damaged_manifest_line_is_said_and_nothing_is_lost(one, tmp_path, sources):
    deals, out = fabricate(one, TRICKY[:6], tmp_path / "damaged")
    before = {p.name: p.read_bytes() for p in out.glob("*.docx")}
    text = (out / MANIFEST).read_text(encoding="utf-8")
    last = text.rindex('"sha256": "')
    (out / MANIFEST).write_text(text[:last] + '"sha256": "x' + text[last + 11:],
                                encoding="utf-8")

    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)

    assert [n.code for n in report.notes] == ["manifest-damaged"]
    assert {p.name: p.read_bytes() for p in out.glob("*.docx")} == before
    assert report.count("unchanged") == 18  # the same bytes: found so, and recorded
    assert not Manifest.load(out).warnings


def test_a_manifest_ending_in_bytes_that_are_not_utf8_is_said_damaged(one, tmp_path,
                                                                        sources):
    """Past the last document's line (where the stream reads the rest at once), a byte
    that is not UTF-8 makes the manifest damaged, as anywhere else: no traceback."""
    deals, out = fabricate(one, TRICKY[:3], tmp_path / "tail")
    before = {p.name: p.read_bytes() for p in out.glob("*.docx")}
    with open(out / MANIFEST, "ab") as f:
        f.write(b"\xff")

    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)

    assert [n.code for n in report.notes] == ["manifest-damaged"]
    assert "utf-8" in report.notes[0].params["detail"]
    assert {p.name: p.read_bytes() for p in out.glob("*.docx")} == before
    assert report.count("unchanged") == 9 and not Manifest.load(out).warnings


@pytest.mark.parametrize("how", ["old layout", "a damaged line", "out of order"])
def test_the_status_file_is_read_as_it_comes_and_rewritten_in_order(one, tmp_path, sources,
                                                                   monkeypatch, how):
    names = TRICKY + [f"n-{i}" for i in range(12)]  # 90 statuses: more than 64
    deals, out = fabricate(one, names, tmp_path / "statuses")
    build([deals], out, sources=sources, jobs=1)  # statuses noted
    lines = (out / STATUS).read_text(encoding="utf-8").splitlines()
    statuses = {k: v for line in lines for k, v in json.loads(line).items()}
    assert len(statuses) == 90 == len(lines)
    if how == "old layout":  # one line holding them all, as written before
        text = json.dumps(statuses, separators=(",", ":")) + "\n"
    elif how == "a damaged line":
        text = "\n".join(lines[:3] + ["{[ not json"] + lines[3:]) + "\n"
    else:
        text = "\n".join(reversed(lines)) + "\n"
    (out / STATUS).write_text(text, encoding="utf-8")
    read = _hashed(monkeypatch)
    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert report.ok and report.count("unchanged") == 90
    assert len(read) == (90 if how == "a damaged line" else 0)

    rewritten = (out / STATUS).read_text(encoding="utf-8").splitlines()
    names = [list(json.loads(line)) for line in rewritten]
    assert names == [[name] for name in sorted(statuses)]  # one a line, in name order
    read.clear()
    assert build([deals], out, sources=sources, jobs=1, list_unchanged=False).ok
    assert read == []


def test_the_journal_is_gone_through_over_the_manifest(one, tmp_path, sources):
    """Entries the journal set or dropped since the manifest was last written come in the
    stream at their place: a build after changes and a prune finds everything up to date,
    as the whole manifest with its journal says."""
    deals, out = fabricate(one, TRICKY[:8], tmp_path / "journal")
    text = (deals / "a.b.yaml").read_text(encoding="utf-8")
    os.unlink(deals / "a.b.yaml")
    (deals / "a.b.yaml").write_text(text.replace("rate: 15", "rate: 14"), encoding="utf-8")
    os.unlink(deals / "a-b.yaml")
    changed = build([deals], out, sources=sources, jobs=1, list_unchanged=False, prune=True)
    assert changed.count("built") >= 1 and changed.count("pruned") == 3
    assert (out / manifest.JOURNAL).exists()  # set and dropped, not folded in yet

    with Manifest.open(out) as streamed:
        gone_through = dict(streamed.effective())
    assert gone_through == Manifest.load(out).entries
    assert not any(name.startswith("a-b.") for name in gone_through)
    report = build([deals], out, sources=sources, jobs=1, list_unchanged=False)
    assert report.ok and report.count("unchanged") == 3 * 7 and not report.documents
