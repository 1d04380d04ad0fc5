"""The clause mechanism (generator.clauses): front matter, conditions, numbering,
cross-references, the tiny markup, value tokens and the sandbox.

Most tests write a small library into ``tmp_path``; a few read the built-in
one. Every error must be a :class:`ClauseError` naming the clause file and,
where there is one, its line (``file:line: error: ...``).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.clauses import (
    Library,
    Rendered,
    load_library,
    render,
    select,
)
from generator.cli import cli
from generator.deals import check_file
from generator.diagnostics import ClauseError
from generator.resources import OFFER_SUBDIR, clauses_dir, templates_dir
from generator.sandbox import MAX_ITERATIONS, MAX_OUTPUT
from generator.terms import derive, facts
from generator.text import Block, Run

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"


# --- helpers ----------------------------------------------------------------------------------


def article(clause_id: str, body: str = "Texte.\n", *, title: str | None = None,
            when: str | None = None, version: int = 1) -> str:
    """An article's file text: 5 front matter lines (6 with ``when``), then the body."""
    front = f"---\nid: {clause_id}\nversion: {version}\ntitle: {title or clause_id.title()}\n"
    if when is not None:
        front += f"when: {when}\n"
    return front + "---\n" + body


def part(clause_id: str, of: str, body: str = "Partie.\n", *, when: str | None = None) -> str:
    front = f"---\nid: {clause_id}\nversion: 1\npart_of: {of}\n"
    if when is not None:
        front += f"when: {when}\n"
    return front + "---\n" + body


def write_library(folder: Path, files: Mapping[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def load(folder: Path, files: Mapping[str, str]) -> Library:
    return load_library(write_library(folder, files))


def render_files(folder: Path, files: Mapping[str, str], context: Mapping[str, Any] | None = None,
                 deal_facts: Mapping[str, Any] | None = None) -> Rendered:
    return render(load(folder, files), deal_facts or {}, context or {})


def blocks_of(folder: Path, body: str, context: Mapping[str, Any] | None = None) -> list[Block]:
    """The blocks of a one-article library whose body is ``body``."""
    rendered = render_files(folder, {"010-a.md": article("a", body)}, context)
    return list(rendered.articles[0].blocks)


def texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def value_runs(blocks: list[Block]) -> list[Run]:
    return [r for b in blocks for r in b.runs if r.value]


def located(error: pytest.ExceptionInfo[ClauseError], file: Path, line: int | None) -> None:
    """The error names ``file`` and ``line`` in the one-line form editors read."""
    e = error.value
    assert e.file == str(file)
    assert e.line == line
    where = f"{file}:{line}" if line else str(file)
    assert str(e).startswith(f"{where}: error: "), str(e)


# --- front matter -----------------------------------------------------------------------------


BAD_FRONT_MATTER = [
    pytest.param("---\nversion: 1\ntitle: A\n---\nx\n", 2, "'id' is required", id="missing-id"),
    pytest.param("---\nid: a\ntitle: A\n---\nx\n", 2, "'version' is required",
                 id="missing-version"),
    pytest.param("---\nid: a\ntitle: A\nversion: premier\n---\nx\n", 4, "'version' is required",
                 id="version-not-a-number"),
    pytest.param("---\nid: a\nversion: 0\ntitle: A\n---\nx\n", 3, "from 1", id="version-zero"),
    pytest.param("---\nid: Article_1\nversion: 1\ntitle: A\n---\nx\n", 2,
                 "lower-case letters, digits and dashes", id="bad-id"),
    pytest.param("---\ntitle: A\nversion: 1\nid: a b\n---\nx\n", 4, "'id' is required",
                 id="bad-id-line"),
    pytest.param("---\nid: a\nversion: 1\ntitle: A\npart_of: b\n---\nx\n", 5,
                 "either 'title'.*or 'part_of'.*not both", id="title-and-part_of"),
    pytest.param("---\nid: a\nversion: 1\n---\nx\n", 2, "not neither", id="neither"),
    pytest.param("---\nid: a\nversion: 1\ntitle: A\ncolour: rouge\n---\nx\n", 5,
                 "unknown front matter key 'colour'", id="unknown-key"),
    pytest.param("---\nid: a\nversion: 1\ntitle: A\nx\n", 1, "not closed", id="unclosed"),
    pytest.param("id: a\nversion: 1\ntitle: A\n", 1, "starts with a front matter",
                 id="no-front-matter"),
    pytest.param("---\n---\nx\n", 2, "front matter is empty", id="empty"),
    pytest.param("---\nid: a\nid: b\nversion: 1\ntitle: A\n---\nx\n", 3,
                 r"'id' is written twice \(lines 2 and 3\)", id="key-twice"),
    pytest.param("---\nid: a\nversion: 1\ntitle: [A, B]\n---\nx\n", 4, "'title' must be text",
                 id="title-not-text"),
    pytest.param("---\nid: a\nversion: 1\ntitle: A\nwhen: client.informed ==\n---\nx\n", 5,
                 "'when' condition is not valid", id="bad-when"),
    pytest.param("---\nid: a\nversion: 1\ntitle: A\n  nested: [\n---\nx\n", 5,
                 "not valid YAML", id="bad-yaml"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FRONT_MATTER)
def test_front_matter_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int,
                                                    message: str) -> None:
    folder = write_library(tmp_path / "lib", {"010-ok.md": article("ok"), "020-bad.md": text})
    with pytest.raises(ClauseError, match=message) as error:
        load_library(folder)
    located(error, folder / "020-bad.md", line)


def test_part_of_must_name_an_article_of_the_library(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a"),
        "011-a-part.md": part("a-part", "nope"),
    })
    with pytest.raises(ClauseError, match="'part_of: nope' names no article") as error:
        load_library(folder)
    located(error, folder / "011-a-part.md", 4)


def test_part_of_cannot_name_a_part(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a"),
        "011-p.md": part("p", "a"),
        "012-q.md": part("q", "p"),
    })
    with pytest.raises(ClauseError, match="'part_of: p' names no article") as error:
        load_library(folder)
    located(error, folder / "012-q.md", 4)


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-objet.md": article("objet"),
        "020-autre.md": article("objet", title="Autre"),
    })
    with pytest.raises(ClauseError, match="the id 'objet' is already used by") as error:
        load_library(folder)
    located(error, folder / "020-autre.md", 2)
    assert str(folder / "010-objet.md") in str(error.value)


def test_a_folder_without_clauses_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "vide").mkdir()
    with pytest.raises(ClauseError, match="no clause files"):
        load_library(tmp_path / "vide")
    with pytest.raises(ClauseError, match="does not exist"):
        load_library(tmp_path / "absent")


def test_front_matter_is_read(tmp_path: Path) -> None:
    library = load(tmp_path / "lib", {
        "010-a.md": article("a", "Corps.\n", title="L'objet", version=3),
        "011-a-detail.md": part("a-detail", "a", when="flag"),
        "readme.txt": "not a clause",
    })
    a, detail = library.clauses
    assert (a.id, a.version, a.title, a.part_of, a.key, a.is_article) == (
        "a", 3, "L'objet", None, "a@3", True)
    assert (detail.part_of, detail.when, detail.when_line, detail.is_article) == (
        "a", "flag", 5, False)
    assert a.body_line == 6 and a.body == "Corps.\n"


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + article("a", "Un.\n{{ nope }}\n").replace("\n", "\r\n")
    folder = write_library(tmp_path / "lib", {"010-a.md": text})
    library = load_library(folder)
    with pytest.raises(ClauseError, match="unknown field `nope`") as error:
        render(library, {}, {})
    located(error, folder / "010-a.md", 7)


# --- conditions, parts and numbering ----------------------------------------------------------


LIBRARY = {
    "010-objet.md": article("objet", "Objet.\n"),
    "020-essai.md": article("essai", "Essai.\n", when="commission.covers_trial"),
    "021-essai-detail.md": part("essai-detail", "essai", "Détail de l'essai.\n",
                                when="unknown.field == 1"),
    "030-duree.md": article("duree", "Durée.\n"),
    "031-duree-tacite.md": part("duree-tacite", "duree", "Tacite.\n",
                                when="duration.renewal == 'tacit'"),
    "032-duree-fixe.md": part("duree-fixe", "duree", "Fixe.\n",
                              when="duration.renewal == 'none'"),
    "040-fin.md": article("fin", "Voir {{ ref('duree') }}.\n"),
}


def facts_of(trial: bool, renewal: str = "none") -> dict[str, Any]:
    return {"commission": {"covers_trial": trial}, "duration": {"renewal": renewal}}


def test_when_selects_articles_and_parts(tmp_path: Path) -> None:
    library = load(tmp_path / "lib", LIBRARY)
    decisions = {d.clause.id: d for d in select(library, facts_of(False, "tacit"))}
    assert {k for k, d in decisions.items() if d.included} == {
        "objet", "duree", "duree-tacite", "fin"}
    assert decisions["objet"].reason.render("en") == "always"
    assert decisions["duree-fixe"].reason.render("en") == \
        "duration.renewal == 'none' (duration.renewal = tacit)"


def test_a_part_is_dropped_unevaluated_when_its_article_is_out(tmp_path: Path) -> None:
    library = load(tmp_path / "lib", LIBRARY)
    # 'essai-detail' reads an unknown field: never evaluated while 'essai' is out
    decisions = {d.clause.id: d for d in select(library, facts_of(False))}
    assert not decisions["essai-detail"].included
    assert decisions["essai-detail"].reason.render("en") == "its article 'essai' is not included"
    # ... and evaluated (an error naming the file and the 'when' line) once it is in
    with pytest.raises(ClauseError, match="'when' condition reads an unknown field") as error:
        select(library, facts_of(True))
    located(error, tmp_path / "lib" / "021-essai-detail.md", 5)


def test_articles_are_numbered_1_to_n_after_conditions(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    files = dict(LIBRARY)
    files["021-essai-detail.md"] = part("essai-detail", "essai", "Détail.\n")
    library = load(folder, files)
    out = render(library, facts_of(False), {})
    assert [(a.number, a.id) for a in out.articles] == [(1, "objet"), (2, "duree"), (3, "fin")]
    assert out.articles[1].heading == f"Article 2{NBSP}– Duree"
    assert texts(list(out.articles[1].blocks)) == ["Durée.", "Fixe."]  # the part follows
    assert texts(list(out.articles[2].blocks)) == [f"Voir l’article{NBSP}2."]
    assert [c.id for c in out.used] == ["objet", "duree", "duree-fixe", "fin"]

    out = render(library, facts_of(True, "tacit"), {})
    assert [(a.number, a.id) for a in out.articles] == [
        (1, "objet"), (2, "essai"), (3, "duree"), (4, "fin")]
    assert texts(list(out.articles[1].blocks)) == ["Essai.", "Détail."]
    assert texts(list(out.articles[3].blocks)) == [f"Voir l’article{NBSP}3."]


def test_article_titles_get_typography(tmp_path: Path) -> None:
    out = render_files(tmp_path / "lib", {"010-a.md": article("a", title='"Durée : l\'essai"')})
    assert out.articles[0].title == f"Durée{NBSP}: l’essai"


# --- ref() ------------------------------------------------------------------------------------


def test_ref_gives_the_article_number_with_a_no_break_space(tmp_path: Path) -> None:
    out = render_files(tmp_path / "lib", {
        "010-a.md": article("a", "Selon {{ ref('c') }} et {{ ref('b-part') }}.\n"),
        "020-b.md": article("b"),
        "021-b-part.md": part("b-part", "b"),
        "030-c.md": article("c"),
    })
    (block,) = out.articles[0].blocks
    assert block.text == f"Selon l’article{NBSP}3 et l’article{NBSP}2."
    refs = [r for r in block.runs if r.text.startswith("l’article")]
    assert refs and not any(r.value for r in refs)  # our text, not a deal value


@pytest.mark.parametrize(("target", "why"), [
    ("b", "'b' is not included for this deal"),
    ("zzz", "'zzz' does not exist in the library"),
])
def test_ref_to_a_missing_clause_names_the_referring_file(tmp_path: Path, target: str,
                                                          why: str) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a", f"Un.\nVoir {{{{ ref('{target}') }}}}.\n"),
        "020-b.md": article("b", when="false"),
    })
    with pytest.raises(ClauseError, match=why) as error:
        render(load_library(folder), {}, {})
    located(error, folder / "010-a.md", 7)


# --- error lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "line", "message"), [
    ("Un.\nDeux {{ nope }}.\n", 7, "unknown field `nope`"),
    ("Un.\n\n{% if flag %}\nTrois.\n{% if flag %}\n{{ client.nom }}\n{% endif %}{% endif %}\n",
     11, "unknown field `client.nom`; did you mean `client.nom_`\\?"),
    ("{% for i in range(2) %}\n{% if i %}\n{{ missing }}\n{% endif %}\n{% endfor %}\n", 8,
     "unknown field `missing`"),
    ("Un.\nDeux {% if %}\n", 7, "template syntax: Expected an expression"),
    ("Un.\n{% if flag %}\nDeux.\n\n{% endfor %}\n", 10, "template syntax: .*unknown tag 'endfor'"),
    ("Un.\n\n\n{{ 1 + }}\n", 9, "template syntax"),
    ("Un.\n{% endfor %}\n", 7, "template syntax"),
])
def test_body_errors_name_the_file_and_the_line_of_the_file(tmp_path: Path, body: str, line: int,
                                                           message: str) -> None:
    folder = write_library(tmp_path / "lib", {"010-ok.md": article("ok"),
                                              "020-a.md": article("a", body)})
    with pytest.raises(ClauseError, match=message) as error:
        render(load_library(folder), {}, {"flag": True, "client": {"nom_": "x"}})
    located(error, folder / "020-a.md", line)


def test_error_lines_count_a_longer_front_matter(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": "---\n# commentaire\nid: a\nversion: 1\ntitle: A\nwhen: true\n---\n"
                    "Un.\n{{ nope }}\n",
    })
    with pytest.raises(ClauseError, match="unknown field `nope`") as error:
        render(load_library(folder), {}, {})
    located(error, folder / "010-a.md", 9)


# --- the markup -------------------------------------------------------------------------------


def test_a_tag_only_line_vanishes_and_an_inline_tag_keeps_its_newline(tmp_path: Path) -> None:
    body = ("Début\n{% if flag %}\nmilieu\n{% endif %}\nfin.\n\n"
            "Texte{% if flag %} conditionnel{% endif %}\nsuite.\n")
    on = blocks_of(tmp_path / "on", body, {"flag": True})
    assert texts(on) == ["Début milieu fin.", "Texte conditionnel suite."]
    off = blocks_of(tmp_path / "off", body, {"flag": False})
    # without the vanishing, the empty 'if' would leave a blank line: two paragraphs
    assert texts(off) == ["Début fin.", "Texte suite."]


def test_tag_only_lines_between_bullets(tmp_path: Path) -> None:
    body = "- un\n{% if flag %}\n- deux\n{% endif %}\n  {% if not flag %}\n- trois\n{% endif %}\n"
    out = blocks_of(tmp_path / "lib", body, {"flag": True})
    assert [(b.text, b.bullet) for b in out] == [("un", True), ("deux", True)]


def test_paragraphs_bullets_and_bold(tmp_path: Path) -> None:
    body = ("Premier **paragraphe**\nsur deux lignes.\n\n   \n"
            "Liste :\n- **un** point\n  qui continue\n- deux\n\nFin **gras {{ v }}** ici.\n")
    out = blocks_of(tmp_path / "lib", body, {"v": "valeur"})
    assert [(b.text, b.bullet) for b in out] == [
        ("Premier paragraphe sur deux lignes.", False),
        (f"Liste{NBSP}:", False),
        ("un point qui continue", True),
        ("deux", True),
        ("Fin gras valeur ici.", False),
    ]
    assert out[0].runs == (Run("Premier "), Run("paragraphe", bold=True),
                           Run(" sur deux lignes."))
    assert out[2].runs[0] == Run("un", bold=True)
    assert out[4].runs == (Run("Fin "), Run("gras ", bold=True),
                           Run("valeur", bold=True, value=True), Run(" ici."))


HOSTILE_VALUES = [
    "**gras**",
    "- puce",
    "a\n\n- b\n\nc",
    "{{ 7*7 }}",
    "{% raw %}",
    "{% if %}",
    "\ue0000\ue001",
    "\ue0001\ue001 et \ue000999\ue001",
    "<w:t>x</w:t>",
    "]]>&amp;<b>",
    "{#",
    "l'eau : « x » !",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_value_prints_literally_and_is_marked(tmp_path: Path, value: str) -> None:
    out = blocks_of(tmp_path / "lib", "Nom : {{ v }} ; fin.\n", {"v": value})
    assert len(out) == 1 and not out[0].bullet
    assert out[0].runs == (Run(f"Nom{NBSP}: "), Run(value, value=True), Run(f"{NBSP}; fin."))


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_value_in_a_bullet_and_in_bold(tmp_path: Path, value: str) -> None:
    out = blocks_of(tmp_path / "lib", "- **{{ v }}**\n", {"v": value})
    assert len(out) == 1 and out[0].bullet
    assert out[0].runs == (Run(value, bold=True, value=True),)


def test_typography_applies_to_literal_text_and_never_to_a_value(tmp_path: Path) -> None:
    value = "l'eau : « x » ! ok ?"
    out = blocks_of(tmp_path / "lib", "L'objet : « {{ v }} » !\n", {"v": value})
    (block,) = out
    literal = "".join(r.text for r in block.runs if not r.value)
    assert "'" not in literal and "L’objet" in literal
    assert f"{NBSP}:" in literal and f"«{NBSP}" in literal and f"{NBSP}»" in literal
    assert value_runs(out) == [Run(value, value=True)]


def test_every_printed_value_is_marked(tmp_path: Path) -> None:
    out = blocks_of(tmp_path / "lib", "{{ a }} {{ b.c }} {{ n }} {{ 'lit' }}\n",
                    {"a": "A", "b": {"c": "C"}, "n": 12})
    assert [r.text for r in value_runs(out)] == ["A", "C", "12", "lit"]


def test_captured_clause_text_stays_clause_text(tmp_path: Path) -> None:
    """A macro's output or a {% set %} block is clause text holding values, not one value."""
    body = ("{% macro chez(nom) %}chez **{{ nom }}**{% endmacro %}"
            "Livré {{ chez(v) }}.\n\n{% set phrase %}Bonjour {{ v }} !{% endset %}{{ phrase }}\n")
    out = blocks_of(tmp_path / "lib", body, {"v": "Zoé"})
    assert out[0].runs == (Run("Livré chez "), Run("Zoé", bold=True, value=True), Run("."))
    assert out[1].runs == (Run("Bonjour "), Run("Zoé", value=True), Run(f"{NBSP}!"))
    assert not any("\ue000" in b.text for b in out)


def test_range_loops_within_budget(tmp_path: Path) -> None:
    out = blocks_of(tmp_path / "lib", "{% for i in range(3) %}[{{ i }}]{% endfor %}\n")
    assert texts(out) == ["[0][1][2]"]


# --- hostile clause files ---------------------------------------------------------------------


def refused(tmp_path: Path, text: str, message: str | None = None,
            context: Mapping[str, Any] | None = None) -> ClauseError:
    """Load and render a library whose second file is ``text``: refused, in bounded time."""
    folder = write_library(tmp_path / "lib", {"010-ok.md": article("ok"), "020-evil.md": text})
    start = time.monotonic()
    with pytest.raises(ClauseError) as error:
        render(load_library(folder), {"client": {"informed": True}},
               {"client": {"name": "Atelier"}, **(context or {})})
    assert time.monotonic() - start < 5
    assert error.value.file == str(folder / "020-evil.md")
    assert str(error.value).startswith(f"{folder / '020-evil.md'}")
    if message:
        assert message in str(error.value)
    return error.value


MARKER = "MARKER"

ESCAPES = [
    pytest.param("{{ ''.__class__.__mro__ }}", "unsafe", id="mro"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe", id="subclasses"),
    pytest.param("{{ ref.__globals__ }}", "unsafe", id="ref-globals"),
    pytest.param("{{ ref.__globals__['__builtins__']['open']('MARKER', 'w') }}", "unsafe",
                 id="ref-globals-open"),
    pytest.param("{{ cycler.__init__.__globals__.os.system('touch MARKER') }}", "unsafe",
                 id="cycler-globals"),
    pytest.param("{{ self._TemplateReference__context }}", "unsafe", id="template-context"),
    pytest.param("{{ self._TemplateReference__context.cycler.__init__.__globals__.os"
                 ".popen('touch MARKER').read() }}", "unsafe", id="template-context-os"),
    pytest.param("{{ range.__self__ }}", "unsafe", id="range-self"),
    pytest.param("{{ range.__func__.__globals__ }}", "unsafe", id="range-globals"),
    pytest.param("{{ client.__class__ }}", "unsafe", id="dict-class"),
    pytest.param("{{ client.name.format.__globals__ }}", "unsafe", id="format-globals"),
    pytest.param("{{ '{0.__class__}'.format(client) }}", "unsafe", id="format-string"),
    pytest.param("{% set x = client.update({'name': 'x'}) %}", "unsafe", id="mutation"),
    pytest.param("{% include '/etc/passwd' %}", "cannot include, import or extend",
                 id="include"),
    pytest.param("{% import 'x' as y %}", "cannot include, import or extend", id="import"),
    pytest.param("{% from 'x' import y %}", "cannot include, import or extend", id="from-import"),
    pytest.param("{% extends 'x' %}", "cannot include, import or extend", id="extends"),
]


@pytest.mark.parametrize(("body", "message"), ESCAPES)
def test_escapes_from_the_sandbox_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              body: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    error = refused(tmp_path, article("evil", f"Texte.\n{body}\n"), message)
    assert error.line == 7
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("name", ["cycler", "joiner", "namespace", "lipsum", "dict"])
def test_default_globals_are_undefined(tmp_path: Path, name: str) -> None:
    refused(tmp_path, article("evil", f"{{{{ {name} }}}}\n"), f"unknown field `{name}`")


RUNAWAYS = [
    pytest.param("{% for i in range(10**9) %}x{% endfor %}", f"at most {MAX_ITERATIONS} items",
                 id="huge-range"),
    pytest.param("{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
                 f"at most {MAX_ITERATIONS} items", id="nested-ranges"),
    pytest.param("{{ 'x' * 10**8 }}", "may not build", id="huge-string"),
    pytest.param("{{ 'x' * 10**10 }}", "may not build", id="huger-string"),
    pytest.param("{{ [0] * 10**9 }}", "may not build", id="huge-list"),
    pytest.param("{{ 2 ** (10**9) }}", "may not build a number", id="huge-power"),
    pytest.param("{{ 10**4000 * 10**4000 }}", "may not build a number", id="huge-product"),
    pytest.param("{{ '%0999999999d' % 1 }}", "may not build", id="huge-format"),
    pytest.param("{{ '%*d' % (10**9, 1) }}", "may not build", id="star-format"),
    pytest.param("{{ 'x' * 99999 }}{{ 'y' * 99999 }}", f"at most {MAX_OUTPUT} characters",
                 id="values-over-budget"),
    pytest.param("{% for i in range(9000) %}{{ 'y' * 50 }}{% endfor %}",
                 f"at most {MAX_OUTPUT} characters", id="loop-of-values"),
    pytest.param("{% for i in range(9000) %}" + "z" * 50 + "{% endfor %}",
                 f"at most {MAX_OUTPUT} characters", id="loop-of-text"),
    pytest.param("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "recurses",
                 id="recursive-macro"),
    pytest.param("{% for a in 'x' * 99999 %}{% for b in 'x' * 99999 %}{% endfor %}{% endfor %}",
                 "took more than", id="endless-loop"),
    pytest.param("{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}"
                 "{% endif %}{% endmacro %}{{ d('xxxxxxxxxx', 40) }}", "may not build a text",
                 id="doubling-concatenation"),
    pytest.param("{% set a %}{% for i in range(9000) %}" + "y" * 20 + "{% endfor %}{% endset %}"
                 "{{ a|length }}", "may not build a text", id="set-block"),
    pytest.param("{{ (['y' * 99999] * 9999)|join }}", "may not build a value", id="join-filter"),
    pytest.param("{{ ['y' * 60000, 'y' * 60000]|join }}", "may not build a value",
                 id="join-filter-of-two"),
    pytest.param("{{ ''.join(['y' * 99999] * 9999) }}", "unsafe", id="join-method"),
    pytest.param("{{ 'x'.center(10**9) }}", "unsafe", id="center-method"),
    pytest.param("{{ ('y' * 99999).replace('', 'y' * 99999) }}", "unsafe", id="replace-method"),
    pytest.param("{{ 'x'|center(10**9) }}", "No filter named 'center'", id="center-filter"),
    pytest.param("{{ 'x'|indent(10**9) }}", "No filter named 'indent'", id="indent-filter"),
    pytest.param("{{ [1, 2]|random }}", "No filter named 'random'", id="random-filter"),
    pytest.param("{{ 1" + "0" * 5000 + " }}", "cannot be compiled", id="huge-literal"),
    pytest.param("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "cannot be compiled",
                 id="deep-nesting"),
]


@pytest.mark.parametrize(("body", "message"), RUNAWAYS)
def test_runaway_clauses_are_refused_in_bounded_time(tmp_path: Path, body: str,
                                                     message: str) -> None:
    refused(tmp_path, article("evil", f"Texte.\n{body}\n"), message)


def test_a_condition_reading_an_unknown_field_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, article("evil", when="client.informed and client.nmae == 'x'"),
                    "the 'when' condition reads an unknown field")
    assert error.line == 5


def test_a_hostile_condition_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, article("evil", when="client.__class__"), "failed")
    assert error.line == 5
    error = refused(tmp_path, article("evil", when="'\"x\" * 10**10'"), "may not build")
    assert error.line == 5


# --- the built-in library ---------------------------------------------------------------------


def test_the_built_in_library_loads() -> None:
    for folder in (clauses_dir(), clauses_dir() / OFFER_SUBDIR):
        library = load_library(folder)
        assert library.clauses
        ids = [c.id for c in library.clauses]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("stem", ["julie-atelier-bois", "essai-seulement"])
def test_the_built_in_library_renders_a_sample(stem: str) -> None:
    checked = check_file(ROOT / "samples" / f"{stem}.yaml")
    assert checked.deal is not None
    library = load_library(clauses_dir())
    out = render(library, facts(checked.deal),
                 derive(checked.deal, reference=checked.reference).as_context())
    assert [a.number for a in out.articles] == list(range(1, len(out.articles) + 1))
    assert [c.id for c in out.used] == [
        d.clause.id for d in select(library, facts(checked.deal)) if d.included]
    for a in out.articles:
        for block in a.blocks:
            assert not any(mark in block.text for mark in ("{{", "{%", "**", "\ue000"))


# --- the command line -------------------------------------------------------------------------


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_cli_lists_the_clauses() -> None:
    result = run("clauses")
    assert result.exit_code == 0
    assert "objet@2" in result.output
    assert "# offer clauses" in result.output


def test_cli_check_passes_on_the_built_in_library() -> None:
    result = run("clauses", "--check")
    assert result.exit_code == 0, result.output
    assert "0 problems" in result.output


def test_cli_check_fails_on_a_broken_body_naming_the_file(tmp_path: Path) -> None:
    copy = tmp_path / "clauses"
    shutil.copytree(clauses_dir(), copy)
    broken = copy / "010-objet.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n{{ introducer.nme }}\n",
                      encoding="utf-8")
    result = run("clauses", "--check", "--clauses", str(copy))
    assert result.exit_code == 1
    assert f"{broken}:" in result.output
    assert "nme" in result.output
    assert "Traceback" not in result.output


def test_cli_check_fails_on_a_broken_front_matter_naming_the_file(tmp_path: Path) -> None:
    copy = tmp_path / "clauses"
    shutil.copytree(clauses_dir(), copy)
    broken = copy / OFFER_SUBDIR / "020-client.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("version: 1", "version: un"),
                      encoding="utf-8")
    result = run("clauses", "--check", "--clauses", str(copy))
    assert result.exit_code == 1
    assert f"{broken}:3: error: 'version' is required" in result.output
    assert "Traceback" not in result.output


def test_cli_export_copies_clauses_and_templates(tmp_path: Path) -> None:
    target = tmp_path / "ma-bibliotheque"
    result = run("clauses", "--export", str(target))
    assert result.exit_code == 0, result.output
    source = clauses_dir()
    exported = sorted(p.relative_to(target / "clauses") for p in (target / "clauses").rglob("*"))
    assert exported == sorted(p.relative_to(source) for p in source.rglob("*")
                              if "__pycache__" not in p.parts)
    for path in source.rglob("*.md"):
        assert (target / "clauses" / path.relative_to(source)).read_bytes() == path.read_bytes()
    for name in ("contrat.docx", "offre.docx"):
        assert (target / "templates" / name).read_bytes() == (templates_dir() / name).read_bytes()
    load_library(target / "clauses")
    load_library(target / "clauses" / OFFER_SUBDIR)


def test_cli_export_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "pris"
    target.mkdir()
    (target / "notes.txt").write_text("à garder", encoding="utf-8")
    result = run("clauses", "--export", str(target))
    assert result.exit_code == 1
    assert str(target) in result.output and "not empty" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_cli_export_into_an_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "vide"
    target.mkdir()
    assert run("clauses", "--export", str(target)).exit_code == 0
    assert (target / "clauses" / "010-objet.md").is_file()


# --- messages that teach (issue 13) ----------------------------------------------------------


def test_an_unknown_field_is_named_as_written_with_the_closest_one(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a", "Un.\nSuite pendant {{ duration.tail_month }} mois.\n")})
    with pytest.raises(ClauseError) as error:
        render(load_library(folder), {}, {"duration": {"tail_months": 6, "notice_days": 30}})
    assert error.value.code == "clause-unknown-field-did-you-mean"
    assert str(error.value) == (f"{folder / '010-a.md'}:7: error: unknown field "
                                "`duration.tail_month`; did you mean `duration.tail_months`?")
    assert "dict object" not in str(error.value) and "attribute" not in str(error.value)
    assert "vouliez-vous dire « duration.tail_months »" in error.value.render("fr")


def test_a_when_condition_on_an_unknown_field_offers_the_closest_one(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a", when="duration.renewl == 'tacit'")})
    with pytest.raises(ClauseError) as error:
        render(load_library(folder), {"duration": {"renewal": "tacit"}}, {})
    assert error.value.code == "clause-when-unknown-field-did-you-mean"
    assert "`duration.renewl`; did you mean `duration.renewal`?" in str(error.value)
    assert error.value.line == 5


def test_ref_to_a_misspelt_clause_offers_the_closest_id(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {
        "010-a.md": article("a", "Voir {{ ref('transparance') }}.\n"),
        "020-b.md": article("transparence")})
    with pytest.raises(ClauseError) as error:
        render(load_library(folder), {}, {})
    assert error.value.code == "clause-ref-unknown-did-you-mean"
    assert "did you mean 'transparence'?" in str(error.value)


def test_check_reports_a_problem_once_with_its_share_of_combinations(tmp_path: Path) -> None:
    copy = tmp_path / "clauses"
    shutil.copytree(clauses_dir(), copy)
    broken = copy / "010-objet.md"
    broken.write_text(_next_version(broken.read_text(encoding="utf-8"))
                      + "\n{{ introducer.nme }}\n", encoding="utf-8")
    result = run("clauses", "--check", "--clauses", str(copy))
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(problems) == 1, result.output
    (line,) = problems
    assert line.count("error:") == 1
    match = re.search(r"contract: in (\d+) of (\d+) combinations, e\.g\. combination 1 \(", line)
    assert match and match[1] == match[2], line
    assert "1 problem" in result.output


def test_check_fails_on_a_clause_changed_without_its_version(tmp_path: Path) -> None:
    copy = tmp_path / "clauses"
    shutil.copytree(clauses_dir(), copy)
    edited = copy / "010-objet.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n",
                      encoding="utf-8")
    result = run("clauses", "--check", "--clauses", str(copy))
    assert result.exit_code == 1
    key = load_library(copy).by_id("objet").key  # type: ignore[union-attr]
    (line,) = [line for line in result.output.splitlines() if key in line]
    assert line.startswith(f"{edited}:") and "raise 'version'" in line
    edited.write_text(_next_version(edited.read_text(encoding="utf-8")), encoding="utf-8")
    assert run("clauses", "--check", "--clauses", str(copy)).exit_code == 0


def _next_version(text: str) -> str:
    """A clause file's text with its ``version`` one higher."""
    return re.sub(r"^version: (\d+)$", lambda m: f"version: {int(m[1]) + 1}", text, count=1,
                  flags=re.MULTILINE)


# --- an exported library's root, wherever a clause folder is expected -------------------------


def test_the_clauses_help_examples_work_on_an_exported_library(tmp_path: Path,
                                                               monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    helped = run("clauses", "--help").output
    examples = [re.split(r"\s{2,}", line.strip())[0] for line in helped.splitlines()
                if line.strip().startswith("apport clauses")]
    assert any("--export" in e for e in examples) and any("--check" in e for e in examples)
    for example in examples:  # as printed: the export first, then the check on its root
        result = run(*example.split()[1:])
        assert result.exit_code == 0, (example, result.output)
    exported = run("clauses", "--export", "another").output
    assert "--clauses another'" in exported and "--templates" not in exported


def test_build_reads_an_exported_library_root_and_its_templates(tmp_path: Path) -> None:
    root = tmp_path / "ma-bibliotheque"
    assert run("clauses", "--export", str(root)).exit_code == 0
    deal = ROOT / "samples" / "julie-atelier-bois.yaml"
    built = run("build", str(deal), "-o", str(tmp_path / "out"), "-j", "1", "--clauses", str(root))
    assert built.exit_code == 0, built.output
    listed = run("clauses", "--clauses", str(root))
    assert listed.exit_code == 0 and f"({root / 'clauses'})" in listed.output
    (root / "templates" / "offre.docx").write_bytes(b"not a Word file")  # its own templates
    broken = run("build", str(deal), "-o", str(tmp_path / "again"), "-j", "1",
                 "--clauses", str(root))
    assert broken.exit_code == 1
    assert str(root / "templates" / "offre.docx") in broken.output
