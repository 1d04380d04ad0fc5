"""Odd file systems: the tool holds on messy folders and never loses a file (issue 6).

An output path that is a file, inputs that do not exist, symbolic-link loops, a
folder named like a deal, a named pipe, an output folder that cannot be written,
a build that fails half-way: each ends with a located message and the right exit
code, in bounded time, and every file that was there is still there, whole.
Run through the CLI (click's ``CliRunner``), and the real program where the exit
code of the process itself matters.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import reading
from click.testing import CliRunner
from conftest import sample_text

import generator.writing
from generator.build import STAGING
from generator.cli import cli
from generator.manifest import Manifest

ROOT = Path(__file__).resolve().parent.parent
JULIE = ROOT / "samples" / "julie-atelier-bois.yaml"
APPORT = shutil.which("apport")
TIME_LIMIT = 30.0


def apport(*args: str, cwd: Path):
    """``apport ARGS`` in ``cwd`` through CliRunner: never a traceback, bounded time."""
    previous = Path.cwd()
    os.chdir(cwd)
    start = time.monotonic()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(previous)
    assert time.monotonic() - start < TIME_LIMIT
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert "Traceback" not in result.output, result.output
    return result


def real_apport(*args: str, cwd: Path, **options) -> subprocess.CompletedProcess[str]:
    head = [APPORT] if APPORT else [sys.executable, "-m", "generator"]
    done = subprocess.run([*head, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIME_LIMIT * 2, check=False, **options)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def deal(folder: Path, name: str, **replace: str) -> Path:
    """Julie's sample written as ``folder/name``, with some text replaced."""
    text = sample_text(JULIE.stem)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def files_of(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative name -> sha256), links not followed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith((STAGING, ".apport-part-"))]


def listed(out: Path) -> set[str]:
    """The names the manifest (with its journal) lists."""
    loaded = Manifest.load(out)
    assert not loaded.warnings, loaded.warnings
    return set(loaded.entries)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder with ``deals/julie.yaml``."""
    deal(tmp_path / "deals", "julie.yaml")
    return tmp_path


# --- the output path ---------------------------------------------------------------------------


def test_an_output_path_below_a_file_is_a_located_error(work: Path) -> None:
    (work / "report.txt").write_text("my notes", encoding="utf-8")

    result = apport("build", "deals", "-o", "report.txt/out", cwd=work)

    assert result.exit_code == 1
    assert "report.txt/out: error: cannot create the output folder" in result.stderr
    assert (work / "report.txt").read_text(encoding="utf-8") == "my notes"


def test_a_document_path_taken_by_a_folder_fails_its_deal_and_keeps_the_folder(
        work: Path) -> None:
    deal(work / "deals", "paul.yaml")
    (work / "out" / "julie.contrat.docx").mkdir(parents=True)
    (work / "out" / "julie.contrat.docx" / "keep.txt").write_text("mine", encoding="utf-8")

    result = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)

    assert result.exit_code == 1
    assert "out/julie.contrat.docx: error: is a folder, not a file" in result.stderr
    assert ("out/julie.offre.docx: error: not written, so that it stays in step"
            in result.stderr)
    assert (work / "out" / "julie.contrat.docx" / "keep.txt").read_text() == "mine"
    assert not (work / "out" / "julie.offre.docx").exists()  # the deal's documents go together
    assert (work / "out" / "paul.offre.docx").is_file()  # the other deals are written
    assert not temporaries(work / "out")
    assert listed(work / "out") == {"paul.client.docx", "paul.contrat.docx", "paul.offre.docx"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_document_that_is_a_link_to_a_file_of_the_user_is_not_written_through(
        work: Path) -> None:
    mine = work / "mine.docx"
    mine.write_bytes(b"a document of mine")
    (work / "out").mkdir()
    (work / "out" / "julie.contrat.docx").symlink_to(mine)

    result = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)

    assert result.exit_code == 1, result.output
    assert "out/julie.contrat.docx: error: is a symbolic link" in result.stderr
    assert mine.read_bytes() == b"a document of mine"
    assert (work / "out" / "julie.contrat.docx").is_symlink()


# --- the inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_missing_input_is_bad_usage_exit_2_and_nothing_is_written(work: Path,
                                                                   command: str) -> None:
    done = real_apport(command, "deals/julie.yaml", "deals/nowhere.yaml", cwd=work)

    assert done.returncode == 2, done.stderr
    assert "nowhere.yaml" in done.stderr
    assert not (work / "out").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_folder_with_link_loops_builds_each_deal_once(work: Path) -> None:
    deals = work / "deals"
    deal(deals / "sub", "paul.yaml")
    (deals / "sub" / "up").symlink_to(deals, target_is_directory=True)
    (deals / "self").symlink_to(".", target_is_directory=True)
    (deals / "zz-again.yaml").symlink_to(deals / "julie.yaml")  # the same deal, another name
    (deals / "ghost.yaml").symlink_to(work / "nowhere.yaml")  # a dangling link

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (work / "out").glob("*.docx")) == [
        "julie.client.docx", "julie.contrat.docx", "julie.offre.docx", "paul.client.docx",
        "paul.contrat.docx", "paul.offre.docx"]
    assert "(2 deals)" in result.stderr


def test_a_folder_named_like_a_deal_is_a_folder(work: Path) -> None:
    deal(work / "deals" / "x.yaml", "inner.yaml")

    for target in ("deals", "deals/x.yaml"):
        result = apport("build", target, "-o", f"out-{target.replace('/', '-')}", cwd=work)
        assert result.exit_code == 0, result.output
        assert (work / f"out-{target.replace('/', '-')}" / "inner.offre.docx").is_file()
    assert not (work / "out-deals" / "x.offre.docx").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_not_waited_for(work: Path) -> None:
    """``open()`` on a pipe nobody writes to used to block for ever."""
    os.mkfifo(work / "deals" / "pipe.yaml")

    done = real_apport("validate", "deals/pipe.yaml", cwd=work)  # named: read, found empty
    assert done.returncode == 1
    assert "deals/pipe.yaml:1:1: error: the file is empty" in done.stderr

    result = apport("build", "deals", "-o", "out", cwd=work)  # in a folder: not a deal file
    assert result.exit_code == 0, result.output
    assert "(1 deal)" in result.stderr


# --- an output folder that cannot be written ----------------------------------------------------


NOBODY_APPORT = [sys.executable, "-m", "generator"]


def _runs_as_nobody() -> list[str] | None:
    """The command prefix that runs this Python as an unprivileged user, if one can."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        probe = subprocess.run([*prefix, *NOBODY_APPORT, "--version"], capture_output=True,
                               timeout=30, check=False, cwd=tempfile.gettempdir(),
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if probe.returncode == 0 else None


def test_an_unwritable_output_folder_for_real(tmp_path: Path) -> None:
    """With real permissions: as this user, or as nobody when we are root."""
    if os.geteuid() != 0:
        prefix: list[str] = []
        folder = tmp_path
    else:
        found = _runs_as_nobody()
        if found is None:
            pytest.skip("running as root, which ignores file permissions, and the "
                        "unprivileged user 'nobody' cannot run this Python and its packages "
                        "(installed in a private folder); the code paths are tested with "
                        "monkeypatch below")
        prefix = found
        folder = Path(tempfile.mkdtemp(prefix="apport-perm-"))
        folder.chmod(0o777)
    try:
        deal(folder / "deals", "julie.yaml")
        (folder / "deals").chmod(0o755)
        (folder / "deals" / "julie.yaml").chmod(0o644)
        (folder / "out").mkdir()
        (folder / "out" / "old.docx").write_bytes(b"old")
        (folder / "out").chmod(0o555)
        done = subprocess.run([*prefix, *NOBODY_APPORT, "build", "deals", "-o", "out"],
                              cwd=folder, capture_output=True, text=True, timeout=60,
                              check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 1, done.stderr
        assert "out: error: the output folder is not writable" in done.stderr
        assert "Traceback" not in done.stderr
        assert (folder / "out" / "old.docx").read_bytes() == b"old"
    finally:
        (folder / "out").chmod(0o755)
        if prefix:
            shutil.rmtree(folder, ignore_errors=True)


def test_an_unwritable_output_folder_is_said_and_nothing_written(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (work / "out").mkdir()
    real_access = os.access
    monkeypatch.setattr(generator.writing.os, "access",  # "out" cannot be written (only)
                        lambda path, mode, **kw: False if Path(path).name == "out" and
                        mode & os.W_OK else real_access(path, mode, **kw))

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 1
    assert "out: error: the output folder is not writable" in result.stderr
    assert files_of(work / "out") == {}


def test_an_output_folder_that_cannot_be_created_is_said(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args, **kwargs) -> None:
        if self.name == "out":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 1
    assert "out: error: cannot create the output folder: Permission denied" in result.stderr


def test_a_write_failure_is_printed_in_the_located_form(work: Path) -> None:
    (work / "out" / "julie.contrat.docx").mkdir(parents=True)

    result = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)

    assert result.exit_code == 1
    assert "out/julie.contrat.docx: error: is a folder" in result.stderr, result.stderr


def test_a_document_that_cannot_be_moved_fails_its_deal_and_leaves_no_temporary_file(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The offer's move fails after the contract's was made: the contract's is undone."""
    deal(work / "deals", "paul.yaml")
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):  # noqa: ANN001, ANN202
        if Path(dst).name == "paul.offre.docx":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(generator.writing.os, "replace", replace)

    result = apport("build", "deals", "-o", "out", "-j", "1", cwd=work)

    assert result.exit_code == 1
    assert "out/paul.offre.docx: error: cannot write: Permission denied" in result.stderr
    assert sorted(p.name for p in (work / "out").glob("*.docx")) == [
        "julie.client.docx", "julie.contrat.docx", "julie.offre.docx"]
    assert not temporaries(work / "out")
    assert listed(work / "out") == {"julie.client.docx", "julie.contrat.docx", "julie.offre.docx"}


# --- a build that fails half-way ------------------------------------------------------------------

BOOM = """---
id: boum
version: 1
title: Boum
when: client.name == 'Boum'
---
Ce texte lit un champ qui n'existe pas : {{ client.champ_inconnu }}.
"""


@pytest.fixture
def half_way(work: Path) -> Path:
    """Three deals built once; then a clause that fails for the second one only."""
    assert apport("clauses", "--export", "lib", cwd=work).exit_code == 0
    for name in ("a", "b", "c"):
        deal(work / "deals", f"{name}.yaml", **{"reference: AA-2026-014": f"reference: {name}"})
    (work / "deals" / "julie.yaml").unlink()
    first = apport("build", "deals", "-o", "out", "--clauses", "lib/clauses", "--templates",
                   "lib/templates", cwd=work)
    assert first.exit_code == 0, first.output
    (work / "lib" / "clauses" / "125-boum.md").write_text(BOOM, encoding="utf-8")
    (work / "out" / "notes.txt").write_text("my notes", encoding="utf-8")
    return work


@pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_a_build_failing_half_way_loses_no_file(half_way: Path, jobs: str) -> None:
    work = half_way
    deal(work / "deals", "b.yaml", **{"reference: AA-2026-014": "reference: b",
                                      "name: Atelier Bois & Co": "name: Boum",
                                      "estimated_revenue: 600": "estimated_revenue: 700"})
    deal(work / "deals", "d.yaml", **{"reference: AA-2026-014": "reference: d"})  # a new one
    before = files_of(work / "out")

    result = apport("build", "deals", "-o", "out", "--clauses", "lib/clauses", "--templates",
                    "lib/templates", "-j", jobs, cwd=work)

    assert result.exit_code == 1
    assert "lib/clauses/125-boum.md:7: error: unknown field `client.champ_inconnu`" in result.stderr
    assert "b.contrat.docx" in result.stderr and "deals/b.yaml" in result.stderr
    after = files_of(work / "out")
    # the deals before and after the failing one are written, and the new one too
    assert {"d.contrat.docx", "d.offre.docx"} <= set(after)
    for name in ("a.contrat.docx", "a.offre.docx", "c.contrat.docx", "c.offre.docx",
                 "b.contrat.docx", "notes.txt"):
        assert after[name] == before[name], f"{name} was touched"
    assert not temporaries(work / "out")
    for name, entry in Manifest.load(work / "out").entries.items():
        assert after[name] == entry.sha256, f"the manifest is wrong about {name}"


def test_a_deal_whose_contract_fails_keeps_its_offer_as_it_was(half_way: Path) -> None:
    work = half_way
    deal(work / "deals", "b.yaml", **{"reference: AA-2026-014": "reference: b",
                                      "name: Atelier Bois & Co": "name: Boum",
                                      "rate: 15": "rate: 20"})
    before = files_of(work / "out")

    result = apport("build", "deals", "-o", "out", "--clauses", "lib/clauses", "--templates",
                    "lib/templates", "-j", "1", cwd=work)

    assert result.exit_code == 1
    after = files_of(work / "out")
    assert after["b.contrat.docx"] == before["b.contrat.docx"]
    assert after["b.offre.docx"] == before["b.offre.docx"], "b's offer says 20 %, its contract 15 %"


def test_permissions_of_written_documents_are_ordinary(work: Path) -> None:
    """Temporary files are private (0600); the documents renamed from them are not."""
    result = apport("build", "deals", "-o", "out", cwd=work)
    assert result.exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    for document in (work / "out").glob("*.docx"):
        assert stat.S_IMODE(document.stat().st_mode) == 0o666 & ~umask


# --- file names ----------------------------------------------------------------------------------


def test_a_deal_file_name_in_any_script_names_its_documents(work: Path) -> None:
    deal(work / "deals", "déal 🧾 <x> & 'q' {{ 7*7 }}.yaml",
         **{"reference: AA-2026-014\n": ""})  # the reference is then the file's name

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 0, result.output
    assert (work / "out" / "déal 🧾 <x> & 'q' {{ 7*7 }}.contrat.docx").is_file()
    assert "déal 🧾 <x> & 'q' {{ 7*7 }}" in reading.header_footer_text(
        work / "out" / "déal 🧾 <x> & 'q' {{ 7*7 }}.offre.docx")


def test_a_deal_file_name_with_control_characters_prints_on_one_line(work: Path) -> None:
    deal(work / "deals", "evil\x1b[31mred\nline.yaml")

    result = apport("build", "deals", "-o", "out", cwd=work)

    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        assert line.startswith("built "), line
    assert "\x1b" not in result.output


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes on POSIX systems only")
def test_a_deal_file_name_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path):
    """A name in another encoding (Latin-1 ``été.yaml``, as an old archive unpacks it)
    reaches Python with surrogates, which the manifest, UTF-8, cannot record: the deal
    is refused, located; the others are built and nothing is written under that name."""
    deals = tmp_path / "deals"
    deals.mkdir()
    shutil.copy(JULIE, deals / "a.yaml")
    try:
        odd = os.open(os.path.join(os.fsencode(deals), b"\xe9t\xe9.yaml"),
                      os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        pytest.skip("this file system takes UTF-8 names only")
    with os.fdopen(odd, "wb") as file:
        file.write(JULIE.read_bytes())

    for _ in range(2):  # and again, over what the first build recorded
        done = real_apport("build", "deals", "-o", "out", "-j", "1", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert "the file name is not UTF-8 text" in done.stderr, done.stderr
        assert "1 failed" in done.stderr
    # and through the CLI in this process, where the catalogue's coverage is counted
    caught = CliRunner().invoke(cli, ["build", str(deals), "-o", str(tmp_path / "out2"),
                                      "-j", "1"])
    assert caught.exit_code == 1, caught.output
    assert "the file name is not UTF-8 text" in caught.output
    assert sorted(name for name in os.listdir(tmp_path / "out")
                  if not name.startswith(".")) == [f"a.{kind}.docx"
                                                   for kind in ("client", "contrat", "offre")]
