"""Every line the command line and the build report print follows the language (issue 13).

French when the locale says so (``LANG=fr_FR.UTF-8``) or with ``--lang fr``,
English with ``--lang en`` or by default; the same lines, in the same order,
each located problem said once (no ``error: FILE: error:``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, sample_text

from generator.cli import cli

FRENCH = {"LANG": "fr_FR.UTF-8"}

# Words of the English report and command lines: none may be left in a French line.
ENGLISH = ("built ", "unchanged", " failed", " protected", "invalid deal", "would both",
           "no contract", "not repeated", " deals)", " deal)", "no deal produces", "removed ",
           "out of date", "copied ", "wrote ", "created the workspace", "next: ",
           "no such file", "no deal files", "interrupted", "combination ")


def apport(*args: str, lang: str | None = None, env: dict[str, str] | None = None) -> Any:
    """``apport ARGS`` in this process, with ``--lang`` when given."""
    head, rest = args[0], list(args[1:])
    if lang:
        rest += ["--lang", lang]
    return CliRunner().invoke(cli, [head, *rest], env=env)


def lines(result: Any) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def no_english(output: list[str]) -> None:
    for line in output:
        # The located form's severity word stays ("file: error: ..."), as editors read it.
        words = re.sub(r"^(\S+: )?(error|warning): ", "", line)
        left = [w for w in ENGLISH if w in words]
        assert not left, (left, line)


def said_once(output: list[str]) -> None:
    for line in output:
        assert not re.search(r"\b(error|warning): .*\b(error|warning): ", line), line


@pytest.fixture
def batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Deals that make every kind of report line: written, invalid, at rate 0, two deals
    that would write the same names, a deal with warnings."""
    deals = tmp_path / "deals"
    deals.mkdir()
    for name in ("julie-atelier-bois", "avec-le-coeur", "essai-seulement"):
        shutil.copy(SAMPLES / f"{name}.yaml", deals)
    (deals / "bad.yaml").write_text(sample_text().replace("rate: 15", "rate: 35"),
                                    encoding="utf-8")
    (deals / "sub").mkdir()
    shutil.copy(SAMPLES / "julie-atelier-bois.yaml", deals / "sub" / "atelier.yaml")
    shutil.copy(SAMPLES / "julie-atelier-bois.yaml", deals / "atelier.yaml")
    monkeypatch.chdir(tmp_path)
    return deals


def _build_lines(lang: str | None, env: dict[str, str] | None = None) -> list[list[str]]:
    """The lines of a first build, a second one (unchanged), one after a deal is gone
    (stale), ``--check`` and ``--prune``; each in a fresh output folder."""
    out = f"out-{lang or 'env'}"
    runs = [apport("build", "deals", "-o", out, "-j", "1", lang=lang, env=env),
            apport("build", "deals", "-o", out, "-j", "1", lang=lang, env=env)]
    Path("deals/avec-le-coeur.yaml").rename("avec-le-coeur.yaml")
    runs += [apport("build", "deals", "-o", out, "-j", "1", "--check", lang=lang, env=env),
             apport("build", "deals", "-o", out, "-j", "1", lang=lang, env=env),
             apport("build", "deals", "-o", out, "-j", "1", "--prune", lang=lang, env=env)]
    Path("avec-le-coeur.yaml").rename("deals/avec-le-coeur.yaml")
    assert all(r.exit_code == 1 for r in runs), [r.output for r in runs]
    return [lines(r) for r in runs]


def test_the_build_report_speaks_french_and_english_line_for_line(batch: Path) -> None:
    english = _build_lines("en")
    french = _build_lines("fr")

    assert [len(run) for run in french] == [len(run) for run in english]
    first = "\n".join(english[0])
    for expected in ("built out-en/julie-atelier-bois.contrat.docx: new",
                     "deals/bad.yaml: error: invalid deal, nothing written",
                     "would both write atelier.*.docx; rename one of them",
                     "no contract for deals/avec-le-coeur.yaml",
                     "deals/bad.yaml:"):
        assert expected in first, first
    assert re.search(r"^\d+ built, 0 unchanged, 2 failed, 0 protected \(6 deals\)$", first,
                     re.M), first
    assert any("not repeated" in line for line in english[1]), english[1]
    assert any(line.startswith("out of date ") and "no deal produces it any more" in line
               for line in english[2]), english[2]
    assert any(": warning: no deal produces it any more (deals/avec-le-coeur.yaml is gone); "
               "--prune removes it" in line for line in english[3]), english[3]
    assert any(line.startswith("removed ") for line in english[4]), english[4]

    french_first = "\n".join(french[0])
    for expected in ("écrit out-fr/julie-atelier-bois.contrat.docx : nouveau",
                     "deals/bad.yaml: error: dossier invalide, rien n'est écrit",
                     "écriraient tous deux atelier.*.docx ; renommez l'un d'eux",
                     "pas de contrat pour deals/avec-le-coeur.yaml",
                     "doit être au plus 30"):
        assert expected in french_first, french_first
    assert re.search(r"^documents : \d+ écrits, 0 inchangé, 2 en échec, 0 protégé "
                     r"\(6 dossiers\)$", french_first, re.M), french_first
    assert any("non répétés" in line or "non répété" in line for line in french[1]), french[1]
    assert any(line.startswith("à refaire ") for line in french[2]), french[2]
    assert any("plus aucun dossier ne le produit (deals/avec-le-coeur.yaml a disparu) ; "
               "--prune le supprime" in line for line in french[3]), french[3]
    assert any(line.startswith("supprimé ") for line in french[4]), french[4]
    for run in french:
        no_english(run)
    for run in english + french:
        said_once(run)


def test_the_locale_chooses_french_and_lang_en_overrides_it(batch: Path) -> None:
    from_locale = _build_lines(None, env=FRENCH)[0]
    assert any(line.startswith("documents : ") for line in from_locale), from_locale
    no_english(from_locale)

    english = apport("build", "deals", "-o", "out-en2", "-j", "1", lang="en", env=FRENCH)
    assert "invalid deal, nothing written" in english.output


def test_the_command_lines_own_words_follow_the_language(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    checks = [
        (("validate", "missing.yaml"), "no such file or folder: missing.yaml",
         "ni fichier ni dossier de ce nom : missing.yaml"),
        (("validate", "empty"), "no deal files (*.yaml, *.yml) in empty",
         "aucun fichier de dossier (*.yaml, *.yml) dans empty"),
        (("build",), "give deal files or folders", "indiquez des fichiers ou des dossiers"),
        (("clauses", "--export", "lib"), "copied ", "fichiers copiés dans lib ;"),
        (("init", "espace"), "created the workspace espace/", "espace de travail espace/ créé"),
        (("clauses",), "# offer clauses (", "# clauses de la fiche d'offre ("),
    ]
    for args, english, french in checks:
        shutil.rmtree(tmp_path / "lib", ignore_errors=True)
        shutil.rmtree(tmp_path / "espace", ignore_errors=True)
        in_english = apport(*args, lang="en")
        assert english in in_english.output, (args, in_english.output)
        shutil.rmtree(tmp_path / "lib", ignore_errors=True)
        shutil.rmtree(tmp_path / "espace", ignore_errors=True)
        in_french = apport(*args, lang="fr")
        assert french in in_french.output, (args, in_french.output)
        assert in_french.exit_code == in_english.exit_code
        if args[0] != "clauses" or len(args) > 1:
            no_english([line for line in lines(in_french)
                        if not line.startswith(("Usage:", "Try "))])
