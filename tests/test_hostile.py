"""The hostile corpus through the real command line (issue 6).

Users type names with ampersands and emoji, paste text from Word, share clause
files and run the tool on messy folders. Whatever they write, the tool must
hold: never a traceback, never a broken document, never code run from a file,
never a lost file, always in bounded time.

* ``tests/hostile/deals/``: deal files, each with its expected outcome in
  ``tests/hostile/cases.yaml`` (read its header) and in its first comment.
  Each runs through ``apport validate`` then ``apport build`` (and an accepted
  one through ``apport offer``): a few through the real program, the others
  through click's ``CliRunner``.
* ``tests/hostile/clauses/`` and ``tests/hostile/templates/``: clause files and
  Word templates that try to run code, loop for ever or read the disk, put
  into a copy of the library and used by ``apport build --clauses --templates``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import reading
import yaml
from click.testing import CliRunner
from lxml import etree
from quick import quick_cases
from strategies import IN_CONTRACT, get, printed_pieces, shown_in_notice, shown_in_offer

from generator.cli import cli
from generator.deals import check_file

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES: list[dict[str, Any]] = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))
APPORT = shutil.which("apport")
MARKER = "apport-hostile-marker"
TIME_LIMIT = 30.0  # seconds for one command, hostile input or not (they take well under 2)
JULIE = ROOT / "samples" / "julie-atelier-bois.yaml"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def apport(*args: str, cwd: Path, real: bool = False) -> Outcome:
    """Run ``apport ARGS`` in ``cwd``: the real program, or the same CLI in process."""
    start = time.monotonic()
    if real:
        head = [APPORT] if APPORT else [sys.executable, "-m", "generator"]
        done = subprocess.run([*head, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=TIME_LIMIT * 2, check=False,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        outcome = Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - start)
    else:
        previous = Path.cwd()
        os.chdir(cwd)
        try:
            result = CliRunner().invoke(cli, list(args))
        finally:
            os.chdir(previous)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"apport {' '.join(args)} raised {result.exception!r}")
        outcome = Outcome(result.exit_code, result.stdout, result.stderr,
                          time.monotonic() - start)
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.seconds < TIME_LIMIT, f"apport {' '.join(args)} took {outcome.seconds:.1f} s"
    return outcome


def well_formed(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None, path
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))


def text_of(path: Path) -> str:
    return reading.text(path) + reading.header_footer_text(path)


# --- the corpus of deal files --------------------------------------------------------------------


def test_every_hostile_file_has_exactly_one_case_that_its_comment_agrees_with() -> None:
    files = sorted(p.name for p in (HOSTILE / "deals").iterdir())
    assert sorted(c["file"] for c in CASES) == files
    for case in CASES:
        raw = (HOSTILE / "deals" / case["file"]).read_bytes().decode("utf-8-sig", "replace")
        first = next(line for line in raw.splitlines() if line.startswith("# "))
        assert first.startswith(f"# {case['expect']}: "), (case["file"], first)
        assert case["expect"] in ("accept", "refuse")
        assert case.get("literal") if case["expect"] == "accept" else case.get("errors")


def test_the_corpus_covers_the_issue() -> None:
    """Every kind of hostile input the issue lists has a case."""
    every = (HOSTILE / "deals").glob("*.yaml")
    corpus = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in every)
    for needle in ["{{", "{%", "{#", "{%p", "{{r", "<w:t>", "]]>", "&amp;", "<!DOCTYPE",
                   "\\ud800", "\\x85", "\\L", "\\P", "🧾", "مرحبا", "\u0301", "!!python/",
                   "!!binary", "&a ", "*a", "\t", ".inf", ".nan", "1e309", "2027-02-30",
                   "informed: yes", "named_in_offer: on", '""', "X" * 20000]:
        assert needle in corpus, needle
    escapes = {f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if c != 0x09}
    assert all(e in corpus for e in escapes), sorted(e for e in escapes if e not in corpus)
    files = {c["file"] for c in CASES}
    assert {"bom.yaml", "crlf.yaml", "nul-byte.yaml", "latin-1.yaml", "yaml-bomb.yaml",
            "deep-nesting-flow.yaml", "deep-nesting-block.yaml"} <= files
    assert (HOSTILE / "deals" / "nul-byte.yaml").read_bytes().count(b"\x00") == 1
    assert b"\r\n" in (HOSTILE / "deals" / "crlf.yaml").read_bytes()


ERROR_LINE = re.compile(r"^(?P<file>[^\n]*?):(?:(?P<line>\d+):(?P<column>\d+):)? error: ",
                        re.MULTILINE)


def _errors_of(output: str, file: str) -> list[str]:
    return [line for line in output.splitlines()
            if line.startswith(f"{file}:") and ": error: " in line]


def _expected_line(file: str, error: dict[str, str]) -> re.Pattern[str]:
    line, column = error["at"].split(":")
    where = f"{file}:{line}:{column}" if line != "0" else file
    field = f"{re.escape(error['path'])}: " if error["path"] else ""
    return re.compile(f"^{re.escape(where)}: error: {field}{re.escape(error['message'])}",
                      re.MULTILINE)


# The quick run keeps every refused file (they stop at validation), a few accepted ones
# (each a full build) and one through the real program; the full run takes them all.
QUICK_ACCEPTED = {"quotes-and-ampersands.yaml", "template-statement.yaml", "crlf.yaml",
                  "right-to-left.yaml"}
QUICK_REAL = "python-tags.yaml"


def _quick(case: dict[str, Any]) -> bool:
    if case.get("via") == "subprocess":
        return case["file"] == QUICK_REAL
    return case["expect"] == "refuse" or case["file"] in QUICK_ACCEPTED


@pytest.mark.parametrize("case", quick_cases(CASES, _quick), ids=[c["file"] for c in CASES])
def test_hostile_deal(case: dict[str, Any], tmp_path: Path) -> None:
    real = case.get("via") == "subprocess"
    (tmp_path / "deals").mkdir()
    shutil.copy(HOSTILE / "deals" / case["file"], tmp_path / "deals" / case["file"])
    file = f"deals/{case['file']}"

    validate = apport("validate", file, cwd=tmp_path, real=real)
    build = apport("build", file, "-o", "out", cwd=tmp_path, real=real)

    if case["expect"] == "refuse":
        _refused(case, file, validate, build, tmp_path, real)
    else:
        _accepted(case, file, validate, build, tmp_path)
    if case.get("marker"):
        assert not list(tmp_path.rglob(case["marker"])), "code from the file was run"


def _refused(case: dict[str, Any], file: str, validate: Outcome, build: Outcome,
             folder: Path, real: bool) -> None:
    assert validate.exit_code == 1, validate.output
    assert build.exit_code == 1, build.output
    for error in case["errors"]:
        expected = _expected_line(file, error)
        assert expected.search(validate.stderr), (expected.pattern, validate.stderr)
        assert expected.search(build.stderr), (expected.pattern, build.stderr)
    printed = _errors_of(validate.stderr, file)
    if not case.get("more_errors"):
        assert len(printed) == len(case["errors"]), "\n".join(printed)
    for line in printed:
        assert ERROR_LINE.match(line), line
    assert not list((folder / "out").glob("*.docx")), "a document was written for it"
    if not real:  # the same problems, located the same way, as JSON
        listed = json.loads(apport("validate", file, "--format", "json", cwd=folder).stdout)
        located = {(d["line"], d["column"], d["path"]) for d in listed if d["severity"] == "error"}
        for error in case["errors"]:
            line, column = map(int, error["at"].split(":"))
            assert (line, column, error["path"]) in located, (error, located)


def _accepted(case: dict[str, Any], file: str, validate: Outcome, build: Outcome,
              folder: Path) -> None:
    assert validate.exit_code == 0, validate.output
    assert build.exit_code == 0, build.output
    checked = check_file(folder / file)
    assert checked.deal is not None
    stem = Path(file).stem
    offer = folder / "out" / f"{stem}.offre.docx"
    contract = folder / "out" / f"{stem}.contrat.docx"
    notice = folder / "out" / f"{stem}.client.docx"
    documents = [contract, offer, notice] if checked.deal.has_commission else [offer, notice]
    assert sorted(p.name for p in (folder / "out").glob("*.docx")) == sorted(
        p.name for p in documents)
    texts = {}
    for document in documents:
        well_formed(document)
        texts[document] = text_of(document)
    everything = "\n".join(texts.values())
    for literal in case["literal"]:
        assert literal in everything, f"{literal!r} is not printed as written"
    # every value each document shows, as written
    data = checked.deal.model_dump(mode="json")
    for document, paths in ((offer, shown_in_offer(checked.deal)), (contract, IN_CONTRACT),
                            (notice, shown_in_notice(checked.deal))):
        if document not in texts:
            continue
        for path in paths:
            value = get(data, path)
            for piece in printed_pieces(value) if isinstance(value, str) else ():
                assert piece in texts[document], f"{path} = {piece!r} not in {document.name}"
    assert checked.reference in texts[offer]
    # and the offer as plain text, for an email
    text = apport("offer", file, cwd=folder)
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith(("Proposition d’apport d’affaires\n", "Un client pour vous\n"))


# --- hostile clause files and templates, through apport build --clauses --templates ------------


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A copy of the built-in clauses and templates: ``lib/clauses``, ``lib/templates``;
    and a deal: ``deals/julie.yaml``. The working folder is ``tmp_path``."""
    outcome = apport("clauses", "--export", "lib", cwd=tmp_path)
    assert outcome.exit_code == 0, outcome.output
    (tmp_path / "deals").mkdir()
    shutil.copy(JULIE, tmp_path / "deals" / "julie.yaml")
    return tmp_path / "lib"


def build_with(folder: Path, *, real: bool = False) -> Outcome:
    return apport("build", "deals", "-o", "out", "--clauses", "lib/clauses", "--templates",
                  "lib/templates", cwd=folder, real=real)


CLAUSES = [
    pytest.param("escape-class-globals.md", "refused by the sandbox", 8, False, id="class-globals"),
    pytest.param("escape-cycler.md", "refused by the sandbox", 8, False, id="cycler"),
    pytest.param("escape-self.md", "refused by the sandbox", 8, True, id="self",
                 marks=pytest.mark.slow),
    pytest.param("huge-loop.md", "loops in a clause may produce at most", 8, False,
                 id="huge-loop"),
    pytest.param("endless-loop.md", "took more than", None, True, id="endless-loop",
                 marks=pytest.mark.slow),  # test_clauses times a runaway clause out quickly
    pytest.param("include-from-disk.md", "cannot include, import or extend", 8, False,
                 id="include"),
]


@pytest.mark.parametrize(("name", "message", "line", "real"), CLAUSES)
def test_a_hostile_clause_stops_the_build_naming_its_file(library: Path, name: str,
                                                          message: str, line: int | None,
                                                          real: bool) -> None:
    folder = library.parent
    shutil.copy(HOSTILE / "clauses" / name, library / "clauses" / f"125-{name}")
    clause = f"lib/clauses/125-{name}"

    outcome = build_with(folder, real=real)

    assert outcome.exit_code == 1, outcome.output
    where = f"{clause}:{line}: error: " if line else f"{clause}: error: "
    assert where in outcome.stderr and message in outcome.stderr, outcome.stderr
    assert not (folder / "out" / "julie.contrat.docx").exists()
    assert not list(folder.rglob(MARKER)), "code from the clause was run"
    assert not list(folder.rglob(".apport-tmp-*"))


def _template_without(part: str, source: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(buffer, "w") as new:
        for item in old.infolist():
            if item.filename != part:
                new.writestr(item, old.read(item))
    return buffer.getvalue()


def _template_with_text(text: str, source: Path) -> bytes:
    """The template with ``text`` typed into its first paragraph's first run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(buffer, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "word/document.xml":
                data = re.sub(rb"(<w:t(?: [^>]*)?>)", lambda m: m.group(1) + text.encode(),
                              data, count=1)
            new.writestr(item, data)
    return buffer.getvalue()


TEMPLATES = [
    pytest.param(lambda t: (HOSTILE / "templates" / "not-a-zip.docx").read_bytes(),
                 "not a Word file (.docx)", id="not-a-zip"),
    pytest.param(lambda t: _template_without("word/document.xml", t),
                 "no word/document.xml inside", id="no-document-xml"),
    pytest.param(lambda t: _template_with_text(
        "{{ cycler.__init__.__globals__.os.system('touch apport-hostile-marker') }}", t),
        "refused by the sandbox", id="escape-in-template"),
    pytest.param(lambda t: _template_with_text("{{ ''.__class__.__mro__ }}", t),
                 "refused by the sandbox", id="class-in-template"),
    pytest.param(lambda t: _template_with_text("{% include 'word/document.xml' %}", t),
                 "contrat.docx: error:", id="include-in-template"),
]


@pytest.mark.parametrize(("make", "message"), TEMPLATES)
@pytest.mark.parametrize("kind", ["contrat", pytest.param("offre", marks=pytest.mark.slow)])
def test_a_hostile_template_stops_the_build_naming_its_file(library: Path, make: Any,
                                                            message: str, kind: str) -> None:
    folder = library.parent
    template = library / "templates" / f"{kind}.docx"
    template.write_bytes(make(template))

    outcome = build_with(folder)

    assert outcome.exit_code == 1, outcome.output
    assert f"lib/templates/{kind}.docx: error: " in outcome.stderr, outcome.stderr
    assert message.replace("contrat.docx", f"{kind}.docx") in outcome.stderr, outcome.stderr
    assert not (folder / "out" / f"julie.{kind}.docx").exists()
    assert not list(folder.rglob(MARKER)), "code from the template was run"
