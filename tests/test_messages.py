"""The message catalogue: every code in both languages, the language chosen, codes kept."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest

from generator import messages
from generator.messages import Msg, render

# Messages that are the same words in both languages (only values inside).
SAME_IN_BOTH = {"clause-condition"}


def _fields(template: str) -> set[tuple[str, str]]:
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template)
            if name is not None}


def test_both_catalogues_have_the_same_codes_and_none_is_empty():
    en, fr = messages.catalogue("en"), messages.catalogue("fr")
    assert sorted(en) == sorted(fr)
    assert len(en) > 100
    assert all(en.values()) and all(fr.values())


@pytest.mark.parametrize("code", messages.codes())
def test_every_code_renders_in_both_languages_with_the_same_parameters(code):
    en, fr = messages.catalogue("en")[code], messages.catalogue("fr")[code]
    assert {n for n, _ in _fields(en)} == {n for n, _ in _fields(fr)}, code
    fields = _fields(en) | _fields(fr)
    numeric = {name for name, spec in fields if spec}
    params = {name: Decimal("1234.5") if name in numeric else "X" for name, _ in fields}
    english, french = render(code, params, "en"), render(code, params, "fr")
    assert english and french
    if code not in SAME_IN_BOTH:
        assert french != english, f"{code} is not translated"


def test_no_french_message_is_left_in_english():
    """A French message does not reuse a long English phrase (a forgotten translation)."""
    words = ("must be", "is not", "cannot", "the file", "required", "not allowed", "unknown key")
    for code, text in messages.catalogue("fr").items():
        outside = text.replace("(en anglais : {detail})", "")
        assert not any(w in outside for w in words), (code, text)


def test_numbers_and_amounts_follow_the_language():
    params = {"estimate": Decimal("4320.00"), "threshold": Decimal(2400)}
    assert "4,320.00\u00a0€" in render("das2-threshold", params, "en")
    assert "4\u202f320,00\u00a0€" in render("das2-threshold", params, "fr") or \
        "4\u00a0320,00\u00a0€" in render("das2-threshold", params, "fr")
    assert render("too-many-decimals", {"got": Decimal("12.5")}, "fr").endswith("(reçu 12,5)")
    assert render("too-many-decimals", {"got": Decimal("12.5")}, "en").endswith("(got 12.5)")


def test_a_message_inside_a_message_is_rendered_in_the_same_language():
    params = {"got": Msg("value-list")}
    assert render("number-expected", params, "fr").endswith("(reçu une liste)")
    assert render("number-expected", params, "en").endswith("(got a list)")


def test_counts_agree_with_their_word():
    summary = {"checked": 1, "valid": 1, "warned": 0, "invalid": 0}
    assert render("validate-summary", summary, "en").startswith("1 deal checked")
    assert render("validate-summary", {**summary, "checked": 2}, "en").startswith("2 deals")
    assert render("validate-summary", summary, "fr").startswith("1 dossier vérifié")


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(LookupError, match="no-such-code"):
        render("no-such-code", {}, "en")


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "fr"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": ""}, "fr"),
    ({"LC_ALL": "fr_BE"}, "fr"),
])
def test_the_language_follows_the_locale_as_posix_reads_it(environ, expected):
    assert messages.language_from_environ(environ) == expected


def test_parameters_survive_a_round_trip_through_json():
    import json

    params = {"got": Decimal("35"), "max": 30, "inner": Msg("value-list"), "list": ["a", "b"]}
    back = messages.from_plain(json.loads(json.dumps(messages.to_plain(params))))
    assert back == params
    assert render("rate-above-ceiling", back, "fr") == render("rate-above-ceiling", params, "fr")


# --- the rarer codes, each produced through the code that raises it -------------------------


def _docx(parts: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


_WORD = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>"}


def test_a_clause_file_that_is_not_utf8_or_not_readable(tmp_path):
    from generator.clauses import parse_clause
    from generator.errors import ClauseError

    bad = tmp_path / "010-a.md"
    bad.write_bytes(b"---\nid: a\nversion: 1\ntitle: \xff\n---\nx\n")
    with pytest.raises(ClauseError) as error:
        parse_clause(bad)
    assert error.value.code == "clause-not-utf8"
    folder = tmp_path / "020-b.md"
    folder.mkdir()
    with pytest.raises(ClauseError) as error:
        parse_clause(folder)
    assert error.value.code == "clause-unreadable"


def test_template_parts_too_large_or_not_utf8(tmp_path, monkeypatch):
    from generator import documents
    from generator.errors import TemplateError

    path = tmp_path / "t.docx"
    path.write_bytes(_docx({**_WORD, "word/document.xml": b"<w:document>\xff{{ x }}"}))
    with pytest.raises(TemplateError) as error:
        documents.WordTemplate(path)
    assert error.value.code == "template-part-not-utf8"
    monkeypatch.setattr(documents, "MAX_TEMPLATE_BYTES", 64)
    with pytest.raises(TemplateError) as error:
        documents.WordTemplate(path)
    assert error.value.code == "template-too-large"
    path.write_bytes(_docx({"word/document.xml": b" " * 2000}))
    monkeypatch.setattr(documents, "MAX_TEMPLATE_BYTES", 150)
    with pytest.raises(TemplateError) as error:
        documents.WordTemplate(path)
    assert error.value.code == "template-unpacks-too-large"


def test_a_document_to_compare_that_unpacks_too_large(monkeypatch):
    from generator import redline
    from generator.errors import RedlineError

    monkeypatch.setattr(redline, "MAX_UNPACKED", 100)
    data = _docx({"word/document.xml": b" " * 2000})
    with pytest.raises(RedlineError) as error:
        redline.compare(data, data)
    assert error.value.code == "document-unpacks-too-large"


def test_a_config_that_is_not_utf8(tmp_path):
    from generator.errors import ConfigError
    from generator.workspace import load_workspace

    config = tmp_path / "apport.toml"
    config.write_bytes(b"[apport]\ndeals = \"\xff\"\n")
    with pytest.raises(ConfigError) as error:
        load_workspace(config)
    assert error.value.code == "config-unreadable"
    assert str(error.value).startswith(f"{config}: error: cannot read the workspace config")


def test_the_library_check_words_misnumbered_articles_and_leftovers():
    from types import SimpleNamespace

    from generator.library import _text_problems

    block = SimpleNamespace(text="Texte {{ reste **")
    rendered = SimpleNamespace(articles=[SimpleNamespace(number=2, id="a", blocks=[block])])
    codes = [e.code for e in _text_problems(rendered, "lib")]
    assert codes == ["check-misnumbered", "check-leftover", "check-leftover"]


@pytest.mark.parametrize(("script", "code"), [
    ("#!/bin/sh\nsleep 5\n", "pdf-timeout"),
    ("#!/bin/sh\nexit 0\n", "pdf-not-produced"),
    (None, "pdf-cannot-run"),
])
def test_libreoffice_troubles_are_codes(tmp_path, monkeypatch, script, code):
    from generator.errors import PdfError
    from generator.pdf import convert

    program = tmp_path / "soffice"
    if script is None:
        program.write_text("not a program")  # not executable: the system refuses to run it
    else:
        program.write_text(script)
        program.chmod(0o755)
    monkeypatch.setenv("APPORT_SOFFICE", str(program))
    document = tmp_path / "a.docx"
    document.write_bytes(b"x")
    with pytest.raises(PdfError) as error:
        convert([document], timeout=0.5)
    assert error.value.code == code


def test_serve_outside_a_workspace_is_a_code(tmp_path):
    from generator.errors import ServeError
    from generator.web.server import workspace_for

    with pytest.raises(ServeError) as error:
        workspace_for(tmp_path / "nowhere")
    assert error.value.code == "serve-no-folder"
    with pytest.raises(ServeError) as error:
        workspace_for(tmp_path)
    assert error.value.code == "serve-no-workspace"
    assert "apport init" in str(error.value)


@pytest.mark.parametrize(("number", "code"), [(36, "reason-name-too-long"),
                                               (27, "reason-file-size-limit")])
def test_the_system_s_reasons_are_worded_once(number, code):
    import errno
    import os

    from generator.writing import os_error

    assert number in (errno.ENAMETOOLONG, errno.EFBIG)
    e = os_error("out/a.docx", OSError(number, os.strerror(number)), "io-cannot-read")
    assert e.code == "io-cannot-read" and e.params["reason"].code == code
    assert str(e).startswith("out/a.docx: error: cannot read: ")


@pytest.mark.parametrize(("kind", "english", "french"), [
    ("contract", "contract: in 2 of 5", "contrat : dans 2 combinaisons sur 5"),
    ("offer", "offer sheet: in 2 of 5", "fiche d'offre : dans 2 combinaisons sur 5"),
    ("client", "client notice: in 2 of 5", "information du client : dans 2 combinaisons sur 5"),
])
def test_a_check_problem_names_its_document_and_its_share(kind, english, french):
    from generator.errors import ClauseError
    from generator.library import Problem

    problem = Problem(ClauseError("lib/a.md", "clause-recursion", line=3), kind, 2, 5,
                      "combination 1 (x=y)")
    assert problem.render("en") == (f"lib/a.md:3: error: the clause recurses without end "
                                    f"({english} combinations, e.g. combination 1 (x=y))")
    assert f"({french}, par exemple combination 1 (x=y))" in problem.render("fr")


def test_a_file_apport_did_not_write_is_protected_with_its_own_words(tmp_path):
    from generator.writing import protected_error

    error = protected_error(tmp_path / "a.docx", listed=False)
    assert error.code == "protected-not-ours"
    assert "not written by apport (no manifest entry)" in str(error)


def test_a_document_to_compare_must_be_a_regular_file_of_bounded_size(tmp_path, monkeypatch):
    import os

    from generator import redline
    from generator.errors import RedlineError

    fifo = tmp_path / "pipe.docx"
    os.mkfifo(fifo)
    with pytest.raises(RedlineError) as error:
        redline.compare(fifo, fifo)
    assert error.value.code == "document-not-regular"
    document = tmp_path / "a.docx"
    document.write_bytes(b"x" * 100)
    monkeypatch.setattr(redline, "MAX_PACKED", 10)
    with pytest.raises(RedlineError) as error:
        redline.compare(document, document)
    assert error.value.code == "document-too-large"


# --- the catalogue's own reader reads what babel reads --------------------------------------

_TRICKY_PO = r'''# a comment
msgid ""
msgstr ""
"Project-Id-Version: apport\n"
"Content-Type: text/plain; charset=utf-8\n"

#. an automatic comment
#: somewhere.py:12
#, python-brace-format
msgid "joined"
msgstr ""
"a string on "
"two lines, {n}"

#, fuzzy, python-format
msgid "fuzzy-one"
msgstr "not used yet"

msgid "escaped"
msgstr "a \"quote\", a backslash \\ and a tab\there\nnext line"

msgid "untranslated"
msgstr ""

msgctxt "menu"
msgid "with-context"
msgstr "in a context"

msgid "plural"
msgid_plural "plurals"
msgstr[0] "one"
msgstr[1] "many"

#~ msgid "obsolete"
#~ msgstr "gone"

msgid "last"
msgstr "no blank line after it"'''


def _babel_read(text: str) -> dict[str, str]:
    import io

    from babel.messages.pofile import read_po

    po = read_po(io.BytesIO(text.encode("utf-8")), locale="en")
    return {str(m.id): str(m.string) for m in po
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str) and not m.context}


@pytest.mark.parametrize("lang", messages.LANGUAGES)
def test_the_catalogue_reader_reads_each_catalogue_as_babel_does(lang):
    text = (messages.LOCALE_DIR / f"{lang}.po").read_text("utf-8")
    assert messages.read_po(text) == _babel_read(text)


def test_the_catalogue_reader_reads_continued_escaped_and_left_out_entries_as_babel_does():
    found = messages.read_po(_TRICKY_PO)
    assert found == _babel_read(_TRICKY_PO)
    assert found["joined"] == "a string on two lines, {n}"
    assert found["escaped"] == 'a "quote", a backslash \\ and a tab\there\nnext line'
    assert not {"fuzzy-one", "untranslated", "obsolete", "with-context", "plural"} & found.keys()


def test_two_messages_are_equal_only_when_they_say_the_same_thing():
    a = messages.Msg("rate-above-ceiling", {"got": 35, "max": 30})
    same = messages.Msg("rate-above-ceiling", {"got": 35, "max": 30})
    other = messages.Msg("rate-above-ceiling", {"got": 40, "max": 30})

    assert a == same and hash(a) == hash(same)
    assert a != other
    assert len({a, same, other}) == 2  # a set of labels keeps both problems
