"""Nothing lost, nothing written outside OUT (issue 12): the guarded writer, the lock, the
manifest's journal, stale outputs, and the tracebacks that became located lines.

Each test names the finding of issue 12 it reproduces; each failed before the change.
Commands run through click's ``CliRunner`` or, where the process itself matters (a
kill, a file-size limit, three builds at once), as real ``apport`` processes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.writing
from generator.cli import cli
from generator.manifest import MANIFEST, Manifest
from generator.writing import STAGING, OutputFolder

ROOT = Path(__file__).resolve().parent.parent
JULIE = ROOT / "samples" / "julie-atelier-bois.yaml"
APPORT = shutil.which("apport")

# A stand-in for LibreOffice: writes "%PDF-fake <name>" for each document and logs each run.
FAKE_SOFFICE = """#!{python}
import pathlib, sys
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--outdir") + 1])
docs = [a for a in args if a.endswith(".docx")]
with open({log!r}, "a") as log:
    log.write(" ".join(pathlib.Path(d).name for d in docs) + "\\n")
for d in docs:
    p = pathlib.Path(d)
    (out / (p.stem + ".pdf")).write_bytes(b"%PDF-fake " + p.read_bytes()[-40:])
"""


# --- helpers -------------------------------------------------------------------------------------


def apport(*args: str, cwd: Path, env: dict[str, str] | None = None):
    """``apport ARGS`` in ``cwd`` through CliRunner: never a traceback."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(previous)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception), result.output)
    assert "Traceback" not in result.output, result.output
    return result


def real_apport(*args: str, cwd: Path, **options) -> subprocess.CompletedProcess[str]:
    head = [APPORT] if APPORT else [sys.executable, "-m", "generator"]
    done = subprocess.run([*head, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, **options)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def command(*args: str) -> list[str]:
    head = [APPORT] if APPORT else [sys.executable, "-m", "generator"]
    return [*head, *args]


def deal(folder: Path, name: str, **replace: str) -> Path:
    text = JULIE.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_docx(path: Path, marker: str = "relu par la juriste") -> bytes:
    """A person's edit: the same Word file with one more word in it."""
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"</w:body>", f"<w:p><w:r><w:t>{marker}</w:t></w:r></w:p></w:body>".encode())
    path.unlink()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path.read_bytes()


def fake_soffice(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose LibreOffice is the stand-in above, and its log."""
    log = folder / "soffice.log"
    program = folder / "soffice"
    program.write_text(FAKE_SOFFICE.format(python=sys.executable, log=str(log)))
    program.chmod(0o755)
    return {**os.environ, "APPORT_SOFFICE": str(program)}, log


@pytest.fixture
def work(tmp_path: Path) -> Path:
    deal(tmp_path / "deals", "julie.yaml")
    return tmp_path


# --- losing what a person edited -----------------------------------------------------------------


def test_1_offer_pdf_never_replaces_an_edited_offer_sheet(work: Path) -> None:
    assert apport("build", "deals", "-o", "out", cwd=work).exit_code == 0
    edited = edit_docx(work / "out" / "julie.offre.docx")
    env, _log = fake_soffice(work)

    result = apport("offer", "deals/julie.yaml", "--pdf", "-o", "out", cwd=work, env=env)

    assert result.exit_code == 1
    assert "out/julie.offre.docx: error: not overwritten" in result.stderr
    assert (work / "out" / "julie.offre.docx").read_bytes() == edited
    again = apport("build", "deals", "-o", "out", cwd=work)
    assert again.exit_code == 1 and "1 protected" in again.stderr


def test_1_offer_pdf_writes_through_the_manifest(work: Path) -> None:
    env, _log = fake_soffice(work)

    result = apport("offer", "deals/julie.yaml", "--pdf", "-o", "out", cwd=work, env=env)

    assert result.exit_code == 0, result.output
    entries = Manifest.load(work / "out").entries
    assert {"julie.offre.docx", "julie.offre.pdf"} <= set(entries)
    build = apport("build", "deals", "-o", "out", cwd=work)
    assert build.exit_code == 0, build.output
    assert "built out/julie.offre.docx" not in build.stdout  # the same offer: up to date


def test_2_a_deal_named_like_a_temporary_file_keeps_its_edited_documents(work: Path) -> None:
    deal(work / "deals", ".apport-tmp-julie.yaml")
    named = ("deals/julie.yaml", "deals/.apport-tmp-julie.yaml")
    assert apport("build", *named, "-o", "out", cwd=work).exit_code == 0
    contract = work / "out" / ".apport-tmp-julie.contrat.docx"
    edited = edit_docx(contract)

    for _ in range(2):
        result = apport("build", *named, "-o", "out", cwd=work)
        assert contract.read_bytes() == edited
        assert "1 protected" in result.stderr


def test_3_redline_never_replaces_an_edited_redline(work: Path) -> None:
    assert apport("build", "deals", "-o", "out", cwd=work).exit_code == 0
    deal(work / "deals", "julie.yaml", **{"rate: 15": "rate: 20"})
    assert apport("build", "deals", "-o", "out", "--redline", cwd=work).exit_code == 0
    redline = work / "out" / "julie.contrat.redline.docx"
    edited = edit_docx(redline, "changements acceptés")
    deal(work / "deals", "julie.yaml", **{"rate: 15": "rate: 25"})

    result = apport("build", "deals", "-o", "out", "--redline", cwd=work)

    assert result.exit_code == 1
    assert "out/julie.contrat.redline.docx: error: not overwritten" in result.stderr
    assert redline.read_bytes() == edited
    forced = apport("build", "deals", "-o", "out", "--redline", "--force", cwd=work)
    assert forced.exit_code == 0, forced.output
    assert (work / "out" / "julie.contrat.redline.edited.docx").read_bytes() == edited


def test_4_documents_moved_before_an_interruption_are_still_known_as_apports(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between moves: the journal already holds what was being written."""
    for name in ("a", "b", "c"):
        deal(work / "deals", f"{name}.yaml")
    (work / "deals" / "julie.yaml").unlink()
    real_replace = os.replace
    moved = []

    def replace(src, dst, *args, **kwargs):  # noqa: ANN001, ANN202
        if Path(dst).name.endswith(".docx"):
            moved.append(Path(dst).name)
            if len(moved) == 4:  # b's offer: b's contract is in place, the build dies
                raise KeyboardInterrupt
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(generator.writing.os, "replace", replace)
    first = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)
    assert first.exit_code == 130
    monkeypatch.setattr(generator.writing.os, "replace", real_replace)
    for name in ("a", "b", "c"):  # every deal changes after the kill
        deal(work / "deals", f"{name}.yaml", **{"rate: 15": "rate: 18"})

    result = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)

    assert result.exit_code == 0, result.output
    assert "0 protected" in result.stderr


def test_5_a_second_build_waits_for_the_first_and_says_who_holds_the_folder(
        work: Path) -> None:
    (work / "out").mkdir()
    with OutputFolder(work / "out"):
        process = subprocess.Popen(command("build", "deals", "-o", "out"), cwd=work,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        said = ""  # up to the line that says it waits (no fixed sleep: the quick run)
        while "waiting for apport" not in said:
            line = process.stderr.readline()
            assert line, f"the second build ended without waiting: {said}"
            said += line
        time.sleep(0.5)
        assert process.poll() is None, "the second build did not wait"
    out, err = process.communicate(timeout=120)
    err = said + err
    assert process.returncode == 0, err
    assert f"out: waiting for apport (process {os.getpid()}" in err
    assert (work / "out" / "julie.contrat.docx").is_file()


@pytest.mark.slow  # three real builds of 13 deals racing
def test_5_three_builds_at_once_leave_everything_whole(work: Path) -> None:
    for i in range(12):
        deal(work / "deals", f"d{i:02d}.yaml", **{"rate: 15": f"rate: {10 + i}"})
    processes = [subprocess.Popen(command("build", "deals", "-o", "out", "-j", "1"), cwd=work,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors

    loaded = Manifest.load(work / "out")
    assert not loaded.warnings
    names = {p.name for p in (work / "out").glob("*.docx")}
    assert names == set(loaded.entries) and len(names) == 39  # 13 deals, 3 documents each
    for name, entry in loaded.entries.items():
        assert sha(work / "out" / name) == entry.sha256, name
        with zipfile.ZipFile(work / "out" / name) as archive:
            assert archive.testzip() is None
    assert not (work / "out" / STAGING).exists()
    check = real_apport("build", "deals", "-o", "out", "--check", cwd=work)
    assert check.returncode == 0, check.stdout + check.stderr


def _file_size_limit(limit: int):  # noqa: ANN202
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_6_a_write_failure_keeps_the_previous_pair(work: Path) -> None:
    assert real_apport("build", "deals", "-o", "out", cwd=work).returncode == 0
    before = {n: sha(work / "out" / n) for n in ("julie.contrat.docx", "julie.offre.docx")}
    limit = (work / "out" / "julie.offre.docx").stat().st_size + 2048  # the offer fits
    assert (work / "out" / "julie.contrat.docx").stat().st_size > limit  # the contract not
    deal(work / "deals", "julie.yaml", **{"rate: 15": "rate: 20"})

    done = real_apport("build", "deals", "-o", "out", cwd=work,
                       preexec_fn=_file_size_limit(limit))

    assert done.returncode == 1
    assert "julie.contrat.docx: error: cannot write: the file is larger than" in done.stderr
    after = {n: sha(work / "out" / n) for n in before}
    assert after == before, "the contract and the offer disagree on the rate"
    again = real_apport("build", "deals", "-o", "out", cwd=work)
    assert again.returncode == 0, again.stderr
    assert "0 protected" in again.stderr


def test_7_documents_no_deal_produces_are_listed_checked_and_pruned(work: Path) -> None:
    deal(work / "deals", "paul.yaml")
    deal(work / "deals", "zero.yaml")
    assert apport("build", "deals", "-o", "out", cwd=work).exit_code == 0
    (work / "deals" / "paul.yaml").unlink()  # a deal deleted
    deal(work / "deals", "zero.yaml", **{"rate: 15": "rate: 0"})  # no contract any more
    edited = edit_docx(work / "out" / "paul.offre.docx")

    listed = apport("build", "deals", "-o", "out", cwd=work)
    assert listed.exit_code == 0, listed.output
    assert "out/paul.contrat.docx: warning: no deal produces it any more" in listed.stderr
    assert "out/zero.contrat.docx: warning: no deal produces it any more" in listed.stderr

    check = apport("build", "deals", "-o", "out", "--check", cwd=work)
    assert check.exit_code == 1
    assert "out of date out/paul.contrat.docx: no deal produces it any more" in check.stdout

    pruned = apport("build", "deals", "-o", "out", "--prune", cwd=work)
    assert pruned.exit_code == 0, pruned.output
    assert not (work / "out" / "paul.contrat.docx").exists()
    assert not (work / "out" / "zero.contrat.docx").exists()
    assert (work / "out" / "paul.offre.docx").read_bytes() == edited  # edited: kept, named
    assert "out/paul.offre.docx: warning: no deal produces it any more" in pruned.stderr
    assert "edited since apport wrote it: kept" in pruned.stderr
    assert "paul.contrat.docx" not in Manifest.load(work / "out").entries


# --- writing where it must not -------------------------------------------------------------------


def test_8_build_pdf_never_writes_through_a_link(work: Path) -> None:
    env, _log = fake_soffice(work)
    outside = work / "outside.pdf"
    outside.write_bytes(b"mine")
    (work / "out").mkdir()
    (work / "out" / "julie.contrat.pdf").symlink_to(outside)

    result = apport("build", "deals", "-o", "out", "--pdf", cwd=work, env=env)

    assert result.exit_code == 1
    assert "out/julie.contrat.pdf: error: is a symbolic link" in result.stderr
    assert outside.read_bytes() == b"mine"
    assert (work / "out" / "julie.offre.pdf").read_bytes().startswith(b"%PDF")


def test_9_offer_eml_refuses_links_pipes_and_devices(work: Path) -> None:
    target = work / "precious.txt"
    target.write_text("precious")
    (work / "link.eml").symlink_to(target)
    os.mkfifo(work / "pipe.eml")
    cases = {"link.eml": "is a symbolic link", "pipe.eml": "is not a regular file"}
    if os.geteuid() == 0:
        os.mknod(work / "null.eml", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        cases["null.eml"] = "is not a regular file"

    for name, message in cases.items():
        result = apport("offer", "deals/julie.yaml", "--eml", name, cwd=work)
        assert result.exit_code == 1, name
        assert f"{name}: error: {message}" in result.stderr
    assert target.read_text() == "precious"
    assert stat.S_ISFIFO(os.lstat(work / "pipe.eml").st_mode)
    if "null.eml" in cases:
        assert stat.S_ISCHR(os.lstat(work / "null.eml").st_mode)


def test_9_offer_eml_is_protected_like_every_output(work: Path) -> None:
    assert apport("offer", "deals/julie.yaml", "--eml", "julie.eml", cwd=work).exit_code == 0
    assert apport("offer", "deals/julie.yaml", "--eml", "julie.eml", cwd=work).exit_code == 0
    (work / "julie.eml").write_bytes(b"my own notes")

    result = apport("offer", "deals/julie.yaml", "--eml", "julie.eml", cwd=work)

    assert result.exit_code == 1 and "julie.eml: error: not overwritten" in result.stderr
    assert (work / "julie.eml").read_bytes() == b"my own notes"


@pytest.mark.parametrize("part", ["../../evil.txt", "/etc/evil.txt"])
def test_10_a_template_with_parts_outside_the_document_is_refused(work: Path,
                                                                  part: str) -> None:
    assert apport("clauses", "--export", "lib", cwd=work).exit_code == 0
    template = work / "lib" / "templates" / "offre.docx"
    with zipfile.ZipFile(template, "a") as archive:
        archive.writestr(part, "not part of a document")

    result = apport("build", "deals", "-o", "out", "--clauses", "lib/clauses", "--templates",
                    "lib/templates", cwd=work)

    assert result.exit_code == 1
    assert "lib/templates/offre.docx: error:" in result.stderr and part in result.stderr
    assert not list((work / "out").glob("*.docx")) if (work / "out").exists() else True


# --- tracebacks that became located lines --------------------------------------------------------


def test_a_250_character_deal_name_fails_alone(work: Path) -> None:
    long = "x" * 250
    deal(work / "deals", f"{long}.yaml")

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 1
    assert f"deals/{long}.yaml: error: the file name is too long" in result.stderr
    assert (work / "out" / "julie.contrat.docx").is_file()


def test_offer_eml_into_a_missing_folder_creates_it(work: Path) -> None:
    result = apport("offer", "deals/julie.yaml", "--eml", "nodir/x.eml", cwd=work)

    assert result.exit_code == 0, result.output
    assert (work / "nodir" / "x.eml").read_bytes().startswith(b"From:") or \
        b"Subject:" in (work / "nodir" / "x.eml").read_bytes()


@pytest.mark.parametrize("args", [
    ("init", "notes.txt/ws"),
    ("clauses", "--export", "notes.txt/lib"),
    ("offer", "deals/julie.yaml", "--pdf", "-o", "notes.txt/out"),
    ("offer", "deals/julie.yaml", "--eml", "notes.txt/x.eml"),
])
def test_a_path_under_an_ordinary_file_is_a_located_error(work: Path, args) -> None:
    (work / "notes.txt").write_text("my notes")
    env, _log = fake_soffice(work)

    result = apport(*args, cwd=work, env=env)

    assert result.exit_code == 1, result.output
    assert "notes.txt/" in result.stderr and "notes.txt is a file, not a folder" in \
        result.stderr
    assert (work / "notes.txt").read_text() == "my notes"


DAMAGED = {
    "clauses as a list": lambda m: _set_entry(m, "clauses", [1, 2]),
    "NaN": lambda m: m.replace('"review": false', '"review": NaN', 1),
    "dicts in documents": lambda m: _set_entry(m, "documents", [{"a": 1}]),
    "deep nesting": lambda m: "[" * 200_000,
    "forged message": lambda m: _set_entry(m, "warnings", [[1, 1, "x", "error", "\x1b[31m"]]),
}


def _set_entry(text: str, key: str, value) -> str:  # noqa: ANN001
    data = json.loads(text)
    for entry in data["documents"].values():
        entry[key] = value
    return json.dumps(data)


@pytest.mark.parametrize("how", sorted(DAMAGED))
def test_a_damaged_manifest_reads_as_absent_with_a_warning(work: Path, how: str) -> None:
    assert apport("build", "deals", "-o", "out", cwd=work).exit_code == 0
    manifest = work / "out" / MANIFEST
    manifest.write_text(DAMAGED[how](manifest.read_text(encoding="utf-8")), encoding="utf-8")
    edited = edit_docx(work / "out" / "julie.offre.docx")

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert f"out/{MANIFEST}: warning: the manifest is damaged" in result.stderr
    assert "read as absent" in result.stderr
    assert (work / "out" / "julie.offre.docx").read_bytes() == edited  # never lost
    assert "\x1b" not in result.output
    assert result.exit_code == 1  # the offer: protected, its origin unknown
    assert not Manifest.load(work / "out").warnings  # rewritten whole


@pytest.mark.parametrize("name", ["../victim.docx", "sub/../../victim.docx", "..", ""])
def test_a_manifest_naming_a_file_outside_its_folder_reads_as_damaged(work: Path,
                                                                     name: str) -> None:
    """--prune removes the stale files whose bytes are the ones the manifest says apport
    wrote: a name that leads out of the folder is not one apport writes."""
    assert apport("build", "deals", "-o", "out", cwd=work).exit_code == 0
    victim = work / "victim.docx"
    victim.write_bytes(b"a person's file beside the output folder")
    manifest = work / "out" / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    entry = dict(next(iter(data["documents"].values())))
    entry.update(sha256=hashlib.sha256(victim.read_bytes()).hexdigest(),
                 deal="deals/gone.yaml", deal_path=str(work / "deals" / "gone.yaml"))
    data["documents"][name] = entry
    manifest.write_text(json.dumps(data), encoding="utf-8")

    result = apport("build", "deals", "-o", "out", "--prune", cwd=work)

    assert victim.exists()
    assert f"out/{MANIFEST}: warning: the manifest is damaged" in result.stderr
    assert "removed" not in result.output
    assert not Manifest.load(work / "out").warnings  # rewritten whole


def test_a_folder_named_like_the_manifest_is_a_located_error(work: Path) -> None:
    (work / "out" / MANIFEST).mkdir(parents=True)

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 1
    assert f"out/{MANIFEST}: warning: the manifest is damaged" in result.stderr
    assert f"out/{MANIFEST}: error: is a folder, not a file" in result.stderr


def test_a_full_disk_while_writing_the_manifest_is_a_located_error(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = generator.writing._write_temp

    def full(folder, prefix, data, target):  # noqa: ANN001, ANN202
        if Path(target).name == MANIFEST:
            raise generator.writing.os_error(target, OSError(errno.ENOSPC, "full"))
        return real(folder, prefix, data, target)

    monkeypatch.setattr(generator.writing, "_write_temp", full)

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 1
    assert f"out/{MANIFEST}: error: cannot write: no space left on the device" in result.stderr
    # what was written is known all the same: the journal holds it
    monkeypatch.setattr(generator.writing, "_write_temp", real)
    again = apport("build", "deals", "-o", "out", cwd=work)
    assert again.exit_code == 0 and "0 protected" in again.stderr


# --- PDFs as outputs, warnings of unchanged deals (issue 13) -------------------------------------


def test_pdfs_are_converted_again_only_when_their_document_changed(work: Path) -> None:
    deal(work / "deals", "paul.yaml")
    env, log = fake_soffice(work)
    first = apport("build", "deals", "-o", "out", "--pdf", cwd=work, env=env)
    assert first.exit_code == 0, first.output
    assert sorted(log.read_text().split()) == sorted(
        f"{s}.{k}.docx" for s in ("julie", "paul") for k in ("contrat", "offre", "client"))

    log.write_text("")
    second = apport("build", "deals", "-o", "out", "--pdf", cwd=work, env=env)
    assert second.exit_code == 0 and log.read_text() == ""

    deal(work / "deals", "paul.yaml", **{"rate: 15": "rate: 20"})
    third = apport("build", "deals", "-o", "out", "--pdf", cwd=work, env=env)
    assert third.exit_code == 0
    # the three documents state the rate: all three converted again, nothing else
    assert sorted(log.read_text().split()) == ["paul.client.docx", "paul.contrat.docx",
                                               "paul.offre.docx"]

    (work / "out" / "julie.offre.pdf").write_bytes(b"%PDF annotated by hand")
    log.write_text("")
    forced = apport("build", "deals", "-o", "out", "--pdf", "--force", cwd=work, env=env)
    assert forced.exit_code == 0
    assert (work / "out" / "julie.offre.edited.pdf").read_bytes() == b"%PDF annotated by hand"


def test_warnings_of_unchanged_deals_are_summed_up_in_one_line(work: Path) -> None:
    deal(work / "deals", "julie.yaml", **{"informed: true": "informed: false"})
    first = apport("build", "deals", "-o", "out", cwd=work)
    assert "warning: client.informed" in first.stderr

    second = apport("build", "deals", "-o", "out", cwd=work)

    assert "client.informed" not in second.stderr
    assert "1 warning of 1 unchanged deal not repeated" in second.stderr


# --- a kill at any moment, then a changed deal ---------------------------------------------------


@pytest.mark.slow
def test_20_kills_at_random_moments_leave_no_false_protection_and_lose_no_edit(
        tmp_path: Path) -> None:
    deals = tmp_path / "deals"
    for i in range(40):
        deal(deals, f"d{i:02d}.yaml", **{"rate: 15": f"rate: {5 + i % 20}"})
    out = tmp_path / "out"
    rnd = random.Random(12)
    false_protected, lost = 0, 0
    for trial in range(20):
        jobs = "2" if trial % 2 else "1"
        process = subprocess.Popen(command("build", str(deals), "-o", str(out), "-j", jobs),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.3, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        # then a person changes a deal, and edits one document already there
        changed = deals / f"d{rnd.randrange(40):02d}.yaml"
        text = changed.read_text(encoding="utf-8")
        changed.write_text(text.replace("estimated_revenue: 600",
                                        f"estimated_revenue: {700 + trial}"), encoding="utf-8")
        present = sorted(out.glob("d*.docx")) if out.exists() else []
        edited_path = rnd.choice(present) if present else None
        edited = edit_docx(edited_path) if edited_path else None

        done = subprocess.run(command("build", str(deals), "-o", str(out), "-j", jobs),
                              capture_output=True, text=True, timeout=300)
        protected = {line.split(": error: not overwritten")[0]
                     for line in done.stderr.splitlines() if ": error: not overwritten" in line}
        expected = {str(edited_path)} if edited_path else set()
        false_protected += len(protected - expected)
        if edited_path is not None:
            lost += edited_path.read_bytes() != edited
            edited_path.unlink()  # the person takes her copy away; the next build rewrites it
    assert false_protected == 0
    assert lost == 0
    rebuilt = subprocess.run(command("build", str(deals), "-o", str(out)),
                             capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    final = subprocess.run(command("build", str(deals), "-o", str(out), "--check"),
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    assert not Manifest.load(out).warnings


# --- replacing one of apport's own records whole -------------------------------------------------


def test_replace_writes_the_whole_file_and_lets_the_reader_go_first(tmp_path: Path) -> None:
    target = tmp_path / "out" / ".apport-manifest"
    calls: list[bytes | None] = []
    with OutputFolder(tmp_path / "out") as folder:
        target.write_bytes(b"before\n")
        folder.replace(b"after\n", target,
                       before=lambda: calls.append(target.read_bytes()))
        assert target.read_bytes() == b"after\n"
        assert calls == [b"before\n"]  # called once, the previous file still in place
        assert list(folder.staging.iterdir()) == []


@pytest.mark.parametrize("planted", ["link", "folder"])
def test_replace_refuses_a_target_it_must_not_write_over(tmp_path: Path, planted: str) -> None:
    out = tmp_path / "out"
    target = out / ".apport-manifest.vouch"
    outside = tmp_path / "someone-elses.txt"
    outside.write_bytes(b"theirs")
    calls: list[str] = []
    with OutputFolder(out) as folder:
        if planted == "link":
            target.symlink_to(outside)
        else:
            target.mkdir()
        with pytest.raises(generator.writing.WriteError) as raised:
            folder.replace(b"ours", target, before=lambda: calls.append("reader let go"))
        assert str(target) in str(raised.value) or target.name in str(raised.value)
        assert calls == []  # the reader keeps its file: nothing is replaced
        assert list(folder.staging.iterdir()) == []  # the staged copy is gone
    assert outside.read_bytes() == b"theirs"
    assert target.is_symlink() if planted == "link" else target.is_dir()
