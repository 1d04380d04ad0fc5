"""The rarer message codes, each produced for real by the code that says it: failures of
the operating system, of a worker, of a clause for one deal, the wizard's guards... (issue
13: every code has a test that produces it, in this process or in a worker it forks)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from generator import messages, workers
from generator.build import Sources, build
from generator.cli import cli
from generator.errors import ApportError, WizardError
from generator.manifest import JOURNAL
from generator.workers import Stopped
from generator.writing import WriteError

LONG = "x" * 300  # a file name longer than any file system takes (ENAMETOOLONG)
unix = pytest.mark.skipif(not workers.enforced(), reason="no fork/resource here")


def _deals(tmp_path: Path, *names: str) -> Path:
    deals = tmp_path / "deals"
    deals.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SAMPLES / f"{name}.yaml", deals)
    return deals


@pytest.fixture
def lib(tmp_path: Path) -> Sources:
    """A copy of the built-in clause library and templates."""
    result = CliRunner().invoke(cli, ["clauses", "--export", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    return Sources(clauses=tmp_path / "lib" / "clauses", templates=tmp_path / "lib" / "templates")


def _lines(report: Any) -> list[str]:
    return [str(f) for f in report.failures] + [str(d.error) for d in report.documents
                                                if d.error]


# --- the file system says no ------------------------------------------------------------------


def test_a_name_too_long_for_the_file_system_is_one_located_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.writing import check_target, ensure_folder, prepare_folder

    monkeypatch.chdir(tmp_path)
    for call, code in ((check_target, "io-cannot-look"), (ensure_folder, "io-cannot-create-folder"),
                       (prepare_folder, "io-cannot-use-output")):
        with pytest.raises(WriteError) as raised:
            call(Path(LONG))
        assert raised.value.code == code
        assert raised.value.params["reason"].code == "reason-name-too-long"
        assert str(raised.value).startswith(f"{LONG}: error: ")
        assert "nom du fichier est trop long" in raised.value.render("fr")


def test_a_journal_that_is_a_folder_fails_the_record_and_is_said(tmp_path: Path) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois")
    out = tmp_path / "out"
    (out / JOURNAL).mkdir(parents=True)

    report = build([deals], out, jobs=1)

    assert not report.ok
    said = [str(n) for n in report.notes] + [str(e) for e in report.errors] + _lines(report)
    assert any("the manifest is damaged" in line for line in said), said
    assert any("cannot record what was written" in line for line in said), said
    assert any("cannot empty the manifest's journal" in line for line in said), said


def test_a_stale_file_that_cannot_be_removed_is_said(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois", "avec-le-coeur")
    out = tmp_path / "out"
    assert build([deals], out, jobs=1).ok
    (deals / "avec-le-coeur.yaml").unlink()
    unlink = os.unlink

    def refused(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).name.startswith("avec-le-coeur."):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refused)
    report = build([deals], out, jobs=1, prune=True)

    failed = [d for d in report.documents if d.status == "failed"]
    assert failed and all(d.error.code == "io-cannot-remove" for d in failed), _lines(report)
    assert "impossible de supprimer" in failed[0].error.render("fr")


def test_a_pdf_batch_that_cannot_be_converted_is_said(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import pdf

    def no_space(*args: Any, **kwargs: Any) -> list[Path]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pdf, "convert", no_space)
    report = build([_deals(tmp_path, "avec-le-coeur")], tmp_path / "out", jobs=1, pdf=True)

    failed = [d for d in report.documents if d.status == "failed"]
    assert failed and all(d.name.endswith(".pdf") for d in failed)
    assert all(d.error.code == "pdf-cannot-convert" for d in failed)
    assert [str(r) for r in failed[0].reasons] == ["PDF"]
    assert "no space left on the device" in str(failed[0].error)


def test_an_output_folder_held_by_another_build_names_who_holds_it(tmp_path: Path) -> None:
    from generator.writing import OWNER, OutputFolder

    out = tmp_path / "out"
    waits: list[str] = []
    with OutputFolder(out):
        for owner, holder in (("4242 10:11:12\n", "apport (process 4242, since 10:11:12)"),
                              ("4242\n", "apport (process 4242)"),
                              ("nobody\n", "another apport process")):
            (out / OWNER).write_text(owner, encoding="utf-8")
            with pytest.raises(WriteError) as busy:
                OutputFolder(out, wait=0.1, on_wait=waits.append).open()
            assert busy.value.code == "output-folder-busy"
            assert f"the folder is in use by {holder}" in str(busy.value)
            assert waits.pop() == f"{out}: waiting for {holder}, which is writing into this folder"


# --- a deal's clauses or documents fail -------------------------------------------------------


def test_a_condition_failing_for_one_deal_fails_that_deal_only(tmp_path: Path,
                                                               lib: Sources) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois", "avec-le-coeur")
    assert build([deals], tmp_path / "out", sources=lib, jobs=1).ok  # then a clause is added
    (lib.clauses / "999-pour-un.md").write_text(
        "---\nid: pour-un\nversion: 1\ntitle: Pour un\nwhen: 1 / (commission.rate - 15) > 0\n"
        "---\nTexte.\n", encoding="utf-8")

    report = build([deals], tmp_path / "out", sources=lib, jobs=1)

    assert [f.code for f in report.failures] == ["build-while-choosing-clauses"]
    line = str(report.failures[0])
    assert line.startswith(f"{lib.clauses / '999-pour-un.md'}:5: error: the 'when' "
                           "condition"), line
    assert line.endswith("(while choosing the clauses of "
                         f"{deals / 'julie-atelier-bois.yaml'})"), line
    assert "en choisissant les clauses de" in report.failures[0].render("fr")
    assert {d.name for d in report.documents if d.status == "unchanged"} == {
        "avec-le-coeur.offre.docx", "avec-le-coeur.client.docx"}  # the other deal is fine


def test_a_contract_that_cannot_be_compared_is_written_without_redline(tmp_path: Path) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois")
    out = tmp_path / "out"
    assert build([deals], out, jobs=1).ok
    (out / "julie-atelier-bois.contrat.docx").write_bytes(b"not a Word file")

    report = build([deals], out, jobs=1, redline=True, force=True)

    contract = next(d for d in report.documents if d.name == "julie-atelier-bois.contrat.docx")
    assert contract.status == "built" and contract.redline is None
    assert contract.error is not None and contract.error.code == "build-no-redline"
    assert str(contract.error).startswith("julie-atelier-bois.contrat.docx: warning: "
                                          "no redline written: ")


def test_a_redline_of_a_stale_contract_is_stale_too(tmp_path: Path) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois")
    out = tmp_path / "out"
    assert build([deals], out, jobs=1).ok
    deal = deals / "julie-atelier-bois.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("rate: 15", "rate: 12"),
                    encoding="utf-8")
    assert build([deals], out, jobs=1, redline=True).ok
    deal.unlink()

    report = build([deals], out, jobs=1)

    redline = next(d for d in report.documents if d.name.endswith(".redline.docx"))
    assert redline.status == "stale"
    assert str(redline.reasons[0]) == "made from julie-atelier-bois.contrat.docx, which is stale"


def test_a_clause_removed_from_the_library_is_a_reason(tmp_path: Path, lib: Sources) -> None:
    deals = _deals(tmp_path, "julie-atelier-bois")
    out = tmp_path / "out"
    assert build([deals], out, sources=lib, jobs=1).ok
    removed = lib.clauses / "offre" / "021-client-informe.md"  # a part Julie's offer has
    removed.unlink()

    report = build([deals], out, sources=lib, jobs=1)

    offer = next(d for d in report.documents if d.name.endswith(".offre.docx"))
    assert any(r.code == "reason-clause-removed" for r in offer.reasons), offer.reasons
    assert any(str(r).endswith("removed") for r in offer.reasons)


def test_what_an_interrupted_build_or_a_review_flag_leaves_is_a_reason() -> None:
    from generator.manifest import DocumentEntry, Kind
    from generator.planning import Inputs, assess

    inputs = Inputs(kind=Kind.CONTRACT, deal_sha256="d", template_sha256="t",
                    library_sha256="l", tool="1", clauses={})
    entry = DocumentEntry(kind=Kind.CONTRACT, deal="a.yaml", sha256="new", deal_sha256="d",
                          template_sha256="t", library_sha256="l", tool="1", clauses={},
                          previous_sha256="old")
    assert [str(r) for r in assess(entry, inputs, "old") or []] == [
        "the build that wrote it was interrupted"]
    flagged = DocumentEntry(kind=Kind.CONTRACT, deal="a.yaml", sha256="new", deal_sha256="d",
                            template_sha256="t", library_sha256="l", tool="1", clauses={},
                            review=True)
    assert [r.render("fr") for r in assess(flagged, inputs, "new") or []] == [
        "mode revue changé"]


# --- workers --------------------------------------------------------------------------------


def _killed(task: int) -> int:
    if task == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return task


def _unsendable(task: int) -> Any:
    return (lambda: task) if task == 1 else task


@unix
def test_a_worker_killed_or_a_result_that_cannot_travel_is_a_stop() -> None:
    out = dict(workers.run(_killed, [0, 1, 2], jobs=1))
    assert isinstance(out[1], Stopped) and out[1].reason.code == "stopped-killed"
    assert str(out[1].message("deals/a.yaml")) == (
        "deals/a.yaml: error: the render was stopped: it was killed (out of memory?)")
    out = dict(workers.run(_unsendable, [0, 1, 2], jobs=1))
    assert isinstance(out[1], Stopped) and out[1].reason.code == "stopped-unsendable"
    assert out[0] == 0 and out[2] == 2


# --- the command line -----------------------------------------------------------------------


def test_an_offer_email_without_address_or_over_an_edited_one(tmp_path: Path) -> None:
    deal = tmp_path / "julie.yaml"
    text = (SAMPLES / "julie-atelier-bois.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("email:")]
    deal.write_text("\n".join(lines) + "\n", encoding="utf-8")
    eml = tmp_path / "julie.eml"

    first = CliRunner().invoke(cli, ["offer", str(deal), "--eml", str(eml)])
    assert first.exit_code == 0, first.output
    assert "to: no address in the deal: add one in your mail app" in first.output
    eml.write_text("edited", encoding="utf-8")
    again = CliRunner().invoke(cli, ["offer", str(deal), "--eml", str(eml), "--force",
                                     "--lang", "fr"])
    assert again.exit_code == 0, again.output
    assert f"copie modifiée de {eml} gardée sous julie.edited.eml" in again.output
    assert "à : pas d'adresse dans le dossier" in again.output


def test_new_without_input_is_a_usage_error_in_the_users_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ended = CliRunner().invoke(cli, ["new", "x.yaml", "--lang", "fr"], input="")
    assert ended.exit_code == 2
    assert "l'entrée standard s'est terminée avant la dernière question" in ended.output
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(click.UsageError) as closed:
        cli.main(["new", "x.yaml"], standalone_mode=False)
    assert "its standard input, which is closed" in closed.value.message


def test_an_output_that_cannot_be_written_is_one_line(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.cli import main

    class Full:
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self) -> int:
            raise OSError(errno.EBADF, "no file")

    monkeypatch.setattr(sys, "argv", ["apport", "schema"])
    monkeypatch.setattr(sys, "stdout", Full())
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"<stdout>: error: cannot write the output: {os.strerror(errno.ENOSPC)}")


def test_a_path_that_cannot_be_read_is_a_usage_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", LONG])
    assert result.exit_code == 2
    assert f"PATH: cannot read {LONG}: " in result.output, result.output


def test_a_port_taken_is_said(tmp_path: Path) -> None:
    import socket

    from generator.web.server import bind

    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(ApportError) as refused:
            bind(taken.getsockname()[1])
    finally:
        taken.close()
    assert refused.value.code == "serve-cannot-listen"
    assert "--port 0" in str(refused.value)


# --- the wizard's own guards ----------------------------------------------------------------


def test_the_wizard_refuses_a_file_that_would_not_read_back() -> None:
    from generator import wizard

    with pytest.raises(WizardError) as raised:
        wizard._validate("reference: B\n", {"reference": "A"})
    assert raised.value.code == "wizard-reads-back"


def test_the_wizard_stops_when_no_answer_can_correct_an_error() -> None:
    from generator import wizard
    from generator.diagnostics import Diagnostic

    talk = wizard._Wizard(ask=lambda q: "", say=lambda line: None, prefill={}, resume={})
    with pytest.raises(WizardError) as raised:
        talk.ask_again([Diagnostic("x.yaml", 1, 1, "nowhere", "error", "field-missing")])
    assert raised.value.code == "wizard-cannot-correct"
    assert messages.render(raised.value.code, raised.value.params, "fr")


# --- clauses and templates that fail to render ------------------------------------------------


@pytest.mark.parametrize(("body", "when", "code"), [
    ("{{ 1 + 'a' }}", None, "clause-render-failed"),
    ("{{ items[5] }}", None, "clause-undefined"),
    ("Texte.", '"[1, 2][5] == 1"', "clause-when-undefined"),
])
def test_a_clause_that_fails_to_render_is_located(tmp_path: Path, body: str, when: str | None,
                                                  code: str) -> None:
    from test_clauses import article, write_library

    from generator.clauses import load_library, render
    from generator.errors import ClauseError

    folder = write_library(tmp_path / "lib", {"010-a.md": article("a", body, when=when)})
    with pytest.raises(ClauseError) as raised:
        render(load_library(folder), {"n": 1}, {"items": ["a", "b"]})
    assert raised.value.code == code
    assert str(raised.value).startswith(f"{folder / '010-a.md'}:{5 if when else 6}: error: ")


@pytest.mark.parametrize(("text", "code"), [
    ("{{ 1 + 'a' }}", "template-render-failed"),
    ("{{ '<'|safe }}", "template-invalid-xml"),
])
def test_a_template_that_fails_to_render_is_named(tmp_path: Path, text: str, code: str) -> None:
    from test_documents import docx_with

    from generator.documents import WordTemplate
    from generator.errors import TemplateError

    with pytest.raises(TemplateError) as raised:
        WordTemplate(docx_with(tmp_path, "Avant.", text)).render({"nom": "Z"}, {"title": "T"}, {})
    assert raised.value.code == code
    assert str(raised.value).startswith(f"{tmp_path / 'modele.docx'}: error: word/document.xml: ")


def test_a_document_the_page_asks_for_that_cannot_be_built_is_said(tmp_path: Path) -> None:
    from generator.web import outputs

    text = (SAMPLES / "julie-atelier-bois.yaml").read_bytes()
    stem = "\U0001f600" * 61  # 244 bytes: its .yaml fits, its .contrat.docx does not
    with pytest.raises(ApportError) as raised:
        outputs.word(text, stem, "offre", Sources.default())
    assert raised.value.code == "build-failed"
    assert "the file name is too long" in str(raised.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a device file needs root")
def test_a_journal_that_is_a_device_is_refused_in_words(tmp_path: Path) -> None:
    import stat

    out = tmp_path / "out"
    out.mkdir()
    os.mknod(out / JOURNAL, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers

    report = build([_deals(tmp_path, "avec-le-coeur")], out, jobs=1)

    said = _lines(report) + [str(e) for e in report.errors]
    assert any(f"{out / JOURNAL}: error: is not a regular file" in line for line in said), said


# --- budgets reached: memory, recursion, time (the failure injected where it happens) ---------


class Failing:
    """A value whose comparison or text fails as a runaway would: out of memory, out of
    stack, or out of time (it spins past the clause's time budget)."""

    def __init__(self, failure: type[BaseException] | None) -> None:
        self.failure = failure

    def _fail(self, *args: object) -> bool:
        if self.failure is None:
            import time

            start = time.monotonic()
            while time.monotonic() - start < 10:  # stopped by the clause's timer before
                pass
            return True
        raise self.failure

    __gt__ = __str__ = _fail


@pytest.mark.parametrize(("failure", "code"), [
    (MemoryError, "clause-when-memory"),
    (RecursionError, "clause-when-recursion"),
    (None, "clause-when-timeout"),
])
def test_a_condition_that_runs_away_is_stopped_and_located(tmp_path: Path, failure: Any,
                                                          code: str) -> None:
    from test_clauses import article, write_library

    from generator.clauses import load_library, render
    from generator.errors import ClauseError

    folder = write_library(tmp_path / "lib", {"010-a.md": article("a", when='"n > 1"')})
    with pytest.raises(ClauseError) as raised:
        render(load_library(folder), {"n": Failing(failure)}, {})
    assert raised.value.code == code
    assert str(raised.value).startswith(f"{folder / '010-a.md'}:5: error: the 'when' condition")


def test_a_clause_or_template_out_of_memory_is_named(tmp_path: Path) -> None:
    from test_clauses import article, write_library
    from test_documents import docx_with

    from generator.clauses import load_library, render
    from generator.documents import WordTemplate
    from generator.errors import ClauseError, TemplateError

    folder = write_library(tmp_path / "lib", {"010-a.md": article("a", "{{ n }}")})
    with pytest.raises(ClauseError) as clause:
        render(load_library(folder), {}, {"n": Failing(MemoryError)})
    assert clause.value.code == "clause-memory"
    with pytest.raises(TemplateError) as template:
        WordTemplate(docx_with(tmp_path, "Avant.", "{{ nom }}")).render(
            {"nom": Failing(MemoryError)}, {"title": "T"}, {})
    assert template.value.code == "template-memory"


def test_a_lock_or_staging_folder_the_system_refuses_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import filelock

    from generator.writing import STAGING, OutputFolder

    def no_lock(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    with monkeypatch.context() as patch:
        patch.setattr(filelock.FileLock, "acquire", no_lock)
        with pytest.raises(WriteError) as locked:
            OutputFolder(tmp_path / "a").open()
    assert locked.value.code == "io-cannot-lock"

    mkdir = Path.mkdir

    def no_staging(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name == STAGING:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", no_staging)
    with pytest.raises(WriteError) as staging:
        OutputFolder(tmp_path / "b").open()
    assert staging.value.code == "io-cannot-create-staging"
    assert str(staging.value).endswith("cannot create the staging folder: no space left on the "
                                       "device")
