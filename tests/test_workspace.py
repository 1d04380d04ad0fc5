"""Everyday use: a workspace, PDFs, a ready-to-send email."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import reading
from click.testing import CliRunner
from conftest import needs_libreoffice
from test_wizard import MINIMAL

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "julie-atelier-bois.yaml"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_makes_a_workspace_and_refuses_to_overwrite_it(in_tmp) -> None:
    result = run("init", "espace")
    assert result.exit_code == 0, result.output
    for path in ("apport.toml", "LISEZMOI.md", "deals/exemple.yaml", "clauses/010-objet.md",
                 "clauses/offre/010-recommandation.md", "templates/contrat.docx",
                 "templates/offre.docx", "clauses/client/040-donnees.md",
                 "templates/client.docx", "schema/deal.schema.json"):
        assert (in_tmp / "espace" / path).is_file(), path
    again = run("init", "espace")
    assert again.exit_code == 1 and "already exists" in again.output
    assert "Traceback" not in again.output


def test_the_workspace_notes_point_to_files_that_are_there(in_tmp) -> None:
    assert run("init", "espace").exit_code == 0
    notes = (in_tmp / "espace" / "LISEZMOI.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]*)\)", notes)
    assert links, "the notes link to the guide"
    for link in links:  # no placeholder address: files of the workspace
        assert "://" not in link and (in_tmp / "espace" / link).is_file(), link
    for name in re.findall(r"`([\w./-]+/)`", notes):  # the folders it describes
        assert (in_tmp / "espace" / name).is_dir() or name == "out/", name
    guide = (in_tmp / "espace" / "GUIDE.md").read_text(encoding="utf-8")
    assert guide == (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")


def test_init_refuses_a_non_empty_folder(in_tmp) -> None:
    (in_tmp / "busy").mkdir()
    (in_tmp / "busy" / "notes.txt").write_text("mine")
    result = run("init", "busy")
    assert result.exit_code == 1 and "not empty" in result.output
    assert (in_tmp / "busy" / "notes.txt").read_text() == "mine"


def test_commands_inside_a_workspace_use_its_folders(in_tmp, monkeypatch) -> None:
    run("init", "espace")
    monkeypatch.chdir(in_tmp / "espace" / "deals")  # below the root: found by walking up
    assert run("validate").exit_code == 0
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "espace" / "out" / "exemple.contrat.docx").is_file()
    assert (in_tmp / "espace" / "out" / "exemple.offre.docx").is_file()


def test_an_edited_workspace_clause_reaches_its_contracts(in_tmp, monkeypatch) -> None:
    run("init", "espace")
    monkeypatch.chdir(in_tmp / "espace")
    clause = in_tmp / "espace" / "clauses" / "160-dispositions-generales.md"
    text = clause.read_text(encoding="utf-8")
    clause.write_text(text.replace("version: 1", "version: 2", 1).rstrip()
                      + "\n\nClause ajoutée par le cabinet Martin.\n", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0, result.output
    body = reading.text(in_tmp / "espace" / "out" / "exemple.contrat.docx")
    assert "Clause ajoutée par le cabinet Martin." in body
    # and a second build, with no option, says why it rebuilt nothing
    assert "0 built, 3 unchanged" in run("build").output


def test_command_line_options_override_the_workspace(in_tmp, monkeypatch) -> None:
    run("init", "espace")
    monkeypatch.chdir(in_tmp / "espace")
    result = run("build", "-o", str(in_tmp / "ailleurs"))
    assert result.exit_code == 0
    assert (in_tmp / "ailleurs" / "exemple.offre.docx").is_file()
    assert not (in_tmp / "espace" / "out").exists()


def test_a_broken_config_is_located(in_tmp) -> None:
    (in_tmp / "apport.toml").write_text("[apport]\ndeals = 3\n")
    result = run("validate")
    assert result.exit_code == 1
    assert f"{in_tmp / 'apport.toml'}:2:9: error: 'deals' must be a folder name" in result.output


@pytest.mark.parametrize(("text", "where", "words"), [
    ('[apport]\ndeals = "deals"\nclauses = "x\n', ":3:", "this is not valid TOML"),
    ('[apport]\ndeals = "deals"\n  template = "t"\n', ":3:3:", "unknown key 'template'"),
    ("# nothing\n", ":1:1:", "an [apport] section is required"),
])
def test_config_errors_are_in_the_file_line_column_form(in_tmp, text, where, words) -> None:
    (in_tmp / "apport.toml").write_text(text)
    result = run("validate")
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[0]
    assert line.startswith(f"{in_tmp / 'apport.toml'}{where}") and ": error: " in line, line
    assert words in line and line.count("error:") == 1


def test_a_missing_folder_names_apport_toml_and_its_key(in_tmp) -> None:
    assert run("init", "ws").exit_code == 0
    config = in_tmp / "ws" / "apport.toml"
    config.write_text(config.read_text().replace('clauses = "clauses"', 'clauses = "mes-clauses"'))
    os.chdir(in_tmp / "ws")
    result = run("build")
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "error:" in line]
    assert line.startswith(f"{config.resolve()}:5:11: error: ") or \
        line.startswith(f"{config}:5:11: error: "), line
    assert "'clauses'" in line and "apport.toml" in line.split("error:")[1]
    assert "mes-clauses" in line


def test_outside_a_workspace_paths_are_required(in_tmp) -> None:
    result = run("build")
    assert result.exit_code == 2 and "apport init" in result.output


def test_eml_parsed_back(in_tmp) -> None:
    result = run("offer", str(SAMPLE), "--eml", "julie.eml")
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes((in_tmp / "julie.eml").read_bytes(),
                                       policy=email.policy.default)
    assert message["To"] == "Julie Martin <julie@assistpro.fr>"
    assert message["From"] == "Marie Dupont <marie@md-assistance.fr>"
    assert "Proposition d’apport d’affaires de Marie Dupont" in message["Subject"]
    assert message["X-Unsent"] == "1"
    body = message.get_body(("plain",)).get_content()
    assert "Qui vous recommande" in body and "15 % (quinze pour cent)" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "julie-atelier-bois.offre.docx"
    assert "Qui vous recommande" in reading.text(attachment.get_content())


@needs_libreoffice
def test_offer_pdf_and_eml_with_the_pdf_attached(in_tmp) -> None:
    result = run("offer", str(SAMPLE), "--eml", "julie.eml", "--pdf", "-o", "sortie")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "sortie" / "julie-atelier-bois.offre.pdf").is_file()
    message = email.message_from_bytes((in_tmp / "julie.eml").read_bytes(),
                                       policy=email.policy.default)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


@needs_libreoffice
def test_build_pdf_writes_a_pdf_beside_each_word_file(in_tmp) -> None:
    result = run("build", str(ROOT / "samples" / "avec-le-coeur.yaml"), str(SAMPLE), "--pdf",
                 "-o", "out")
    assert result.exit_code == 0, result.output
    for name in ("avec-le-coeur.offre", "julie-atelier-bois.offre", "julie-atelier-bois.contrat"):
        assert (in_tmp / "out" / f"{name}.pdf").read_bytes().startswith(b"%PDF")


def test_without_libreoffice_pdf_fails_clearly_but_word_files_are_written(in_tmp) -> None:
    env = {**os.environ, "APPORT_SOFFICE": str(in_tmp / "no-soffice")}
    completed = subprocess.run([sys.executable, "-m", "generator", "build", str(SAMPLE),
                                "--pdf", "-o", "out"], capture_output=True, text=True, env=env,
                               check=False)
    assert completed.returncode == 1
    assert "LibreOffice is needed" in completed.stderr and "apt install" in completed.stderr
    assert (in_tmp / "out" / "julie-atelier-bois.contrat.docx").is_file()
    assert "Traceback" not in completed.stderr


# The fewest answers a user types (those of tests/test_wizard.py), with a SIRET typo first.
ANSWERS = {**MINIMAL, "introducer.siret": ["987 789 328 00019", "987 789 328 00018"]}


def _recorded_answers() -> list[str]:
    """The answers in the order the wizard asks, as a user would type them."""
    from generator.wizard import run_wizard

    left = {k: [v] if isinstance(v, str) else list(v) for k, v in ANSWERS.items()}
    typed: list[str] = []

    def ask(question) -> str:
        answers = left.get(question.path)
        answer = answers.pop(0) if answers else ""
        typed.append(answer)
        return answer

    run_wizard(ask=ask, say=lambda line: None)
    return typed


def test_new_through_standard_input_with_a_wrong_siret_corrected(in_tmp) -> None:
    """The guided entry, driven as a user would, through stdin of the real command."""
    (in_tmp / "deals").mkdir()
    completed = subprocess.run([sys.executable, "-m", "generator", "new", "deals/neuf.yaml"],
                               input="\n".join(_recorded_answers()) + "\n", capture_output=True,
                               text=True, check=False, cwd=in_tmp)
    assert completed.returncode == 0, completed.stderr[-3000:]
    said = completed.stderr.replace("'", "’")
    assert "Réponse refusée : 987 789 328 00019 n’est pas un SIRET valide" in said
    check = run("validate", "deals/neuf.yaml")
    assert check.exit_code == 0, check.output
    text = (in_tmp / "deals" / "neuf.yaml").read_text(encoding="utf-8")
    assert "987 789 328 00018" in text and "00019" not in text
    again = subprocess.run([sys.executable, "-m", "generator", "new", "deals/neuf.yaml"],
                           input="", capture_output=True, text=True, check=False, cwd=in_tmp)
    assert again.returncode == 1 and "Traceback" not in again.stderr


def test_build_warns_when_a_clause_changed_without_its_version(in_tmp, monkeypatch) -> None:
    import hashlib

    assert run("init", "ws").exit_code == 0
    monkeypatch.chdir(in_tmp / "ws")
    assert run("build").exit_code == 0
    clause = in_tmp / "ws" / "clauses" / "010-objet.md"
    before = hashlib.sha256(clause.read_bytes()).hexdigest()
    clause.write_text(clause.read_text(encoding="utf-8") + "\nUne phrase de plus.\n",
                      encoding="utf-8")
    after = hashlib.sha256(clause.read_bytes()).hexdigest()
    result = run("build")
    (line,) = [line for line in result.output.splitlines() if "warning:" in line]
    assert "the text of objet@" in line and "clauses/010-objet.md" in line
    assert before[:12] in line and after[:12] in line
    assert "raise 'version'" in line
    # once the version goes up, the record holds both texts apart: no warning
    clause.write_text(re.sub(r"^version: (\d+)$", lambda m: f"version: {int(m[1]) + 1}",
                             clause.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE),
                      encoding="utf-8")
    assert "warning:" not in run("build").output


_TOML_IMPORTED = r"""
import sys
import generator.build, generator.cli
from generator.workspace import find_workspace
found = find_workspace(sys.argv[1])
print(found is not None, "tomllib" in sys.modules)
"""


def test_tomllib_is_read_only_where_there_is_a_workspace(in_tmp) -> None:
    """A build outside a workspace does not import tomllib (1.5 ms of its start)."""
    outside = subprocess.run([sys.executable, "-c", _TOML_IMPORTED, str(in_tmp)],
                             capture_output=True, text=True, check=True).stdout.split()
    assert outside == ["False", "False"]
    assert run("init", "ws").exit_code == 0
    inside = subprocess.run([sys.executable, "-c", _TOML_IMPORTED, str(in_tmp / "ws")],
                            capture_output=True, text=True, check=True).stdout.split()
    assert inside == ["True", "True"]
