"""Word validity, checked by a validator we did not write (issue 11).

``openxml-audit`` ports the Open XML SDK's validator (the schema and semantic
checks Word's own tooling runs). Every document ``apport build`` writes —
whatever kinds it writes: contract, review copy, offer sheet, client notice —
and every redline must validate with zero errors. The documents come from
the real command, so a new kind of document is checked the day it exists.

The whole pairwise option matrix is the ``slow`` test; one sample runs in
the quick suite.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from strategies import yaml_text

from generator.cli import cli
from generator.library import option_deals
from generator.resources import clauses_dir, templates_dir

openxml_audit = pytest.importorskip("openxml_audit")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def validator():
    return openxml_audit.OpenXmlValidator()


def _apport(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _changed_library(tmp: Path) -> Path:
    """A copy of the built-in clauses with one always-present clause reworded."""
    library = tmp / "library"
    shutil.copytree(clauses_dir(), library)
    for clause in sorted(library.glob("*.md")):
        text = clause.read_text(encoding="utf-8")
        front = text.split("---", 2)[1]
        if "when:" not in front and "title:" in front:
            version = int(re.search(r"^version:\s*(\d+)", front, re.MULTILINE)[1])
            front = re.sub(r"^version:.*$", f"version: {version + 1}", front, flags=re.MULTILINE)
            body = text.split("---", 2)[2].rstrip()
            clause.write_text(f"---{front}---{body}\n\nUne phrase ajoutée pour comparer.\n",
                              encoding="utf-8")
            return library
    raise AssertionError("no always-present article in the library")


def _build_all(deals: Path, out: Path, tmp: Path) -> list[Path]:
    """Every document ``apport build --review`` writes, then the redlines of a clause change."""
    _apport("build", str(deals), "-o", str(out), "--review")
    _apport("build", str(deals), "-o", str(out), "--review", "--redline",
            "--clauses", str(_changed_library(tmp)))
    documents = sorted(out.glob("*.docx"))
    assert any(".redline." in d.name for d in documents), [d.name for d in documents]
    return documents


def _errors(validator, path: Path) -> list[str]:
    result = validator.validate(path)
    return [f"{path.name}: {e}" for e in result.errors
            if e.severity == openxml_audit.ValidationSeverity.ERROR]


def _kinds(documents: list[Path]) -> set[str]:
    return {".".join(d.name.split(".")[1:-1]) for d in documents}


def test_one_sample_every_kind_of_document_validates(tmp_path: Path, validator) -> None:
    deals = tmp_path / "deals"
    deals.mkdir()
    shutil.copy(ROOT / "samples" / "julie-atelier-bois.yaml", deals)
    documents = _build_all(deals, tmp_path / "out", tmp_path)
    assert {"contrat", "offre", "client", "contrat.redline"} <= _kinds(documents)
    errors = [e for d in documents for e in _errors(validator, d)]
    assert not errors, "\n".join(errors)


@pytest.mark.slow
def test_every_document_of_the_option_matrix_validates(tmp_path: Path, validator) -> None:
    deals = tmp_path / "deals"
    deals.mkdir()
    for number, (_label, data) in enumerate(option_deals(), start=1):
        (deals / f"m{number:02d}.yaml").write_text(yaml_text(data), encoding="utf-8")
    documents = _build_all(deals, tmp_path / "out", tmp_path)
    errors = [e for d in documents for e in _errors(validator, d)]
    assert not errors, "\n".join(errors)


# --- what the validator found, checked where it was made ------------------------------------


def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml",
                                                                                ".rels"))}


@pytest.mark.parametrize("template", sorted(p.name for p in templates_dir().glob("*.docx")))
def test_templates_keep_their_spaces_and_name_apport(template: str) -> None:
    parts = _parts(templates_dir() / template)
    assert "<Application>apport</Application>" in parts["docProps/app.xml"]
    assert "Microsoft" not in parts["docProps/app.xml"]
    for name, xml in parts.items():
        for match in re.finditer(r"<w:t( [^>]*)?>([^<]*)</w:t>", xml):
            attributes, text = match.group(1) or "", match.group(2)
            if text != text.strip() or "  " in text:
                assert 'xml:space="preserve"' in attributes, (name, text)


def test_a_document_names_apport_whatever_its_template_says(tmp_path: Path) -> None:
    deals = tmp_path / "deals"
    deals.mkdir()
    shutil.copy(ROOT / "samples" / "julie-atelier-bois.yaml", deals)
    templates = tmp_path / "templates"
    shutil.copytree(templates_dir(), templates)
    for template in templates.glob("*.docx"):  # as Word would leave it after an edit
        parts = {}
        with zipfile.ZipFile(template) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts["docProps/app.xml"] = parts["docProps/app.xml"].replace(
            b"<Application>apport</Application>", b"<Application>Microsoft Office Word"
            b"</Application>")
        with zipfile.ZipFile(template, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
    _apport("build", str(deals), "-o", str(tmp_path / "out"), "--templates", str(templates))
    for document in (tmp_path / "out").glob("*.docx"):
        app = _parts(document)["docProps/app.xml"]
        assert "<Application>apport</Application>" in app and "Microsoft" not in app


def test_the_templates_are_what_the_tool_makes(tmp_path: Path, monkeypatch) -> None:
    """templates/*.docx are generated: running tools/make_templates.py gives the same bytes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_templates",
                                                  ROOT / "tools" / "make_templates.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    assert tool.main() == 0
    made = sorted(p.name for p in (tmp_path / "templates").glob("*.docx"))
    assert made == sorted(p.name for p in (ROOT / "templates").glob("*.docx"))
    for name in made:
        assert (tmp_path / "templates" / name).read_bytes() == (
            ROOT / "templates" / name).read_bytes(), f"{name}: run python tools/make_templates.py"
