"""The one Jinja sandbox (issue 12, findings 12 and 13, and the ``when:`` tracebacks).

Clause bodies, ``when`` conditions and Word templates share
:mod:`generator.sandbox`: every case here is refused in bounded time with a
located message, never a traceback, a gigabyte or a memory address.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from test_clauses import article, write_library
from test_documents import docx_with

from generator.clauses import load_library, render
from generator.diagnostics import ClauseError, TemplateError
from generator.documents import WordTemplate
from generator.sandbox import DOCUMENT_TIME_LIMIT

ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def render_clause(tmp_path: Path, body: str = "Texte.", when: str | None = None) -> str:
    """Load and render a one-clause library; the text, or the ClauseError raised."""
    folder = write_library(tmp_path / "lib", {"010-evil.md": article("evil", body, when=when)})
    start = time.monotonic()
    try:
        rendered = render(load_library(folder), {"client": {"informed": True}, "n": 1},
                          {"client": {"name": "Atelier"}, "items": ["a", "b"]})
    except ClauseError as e:
        assert time.monotonic() - start < 10
        assert str(e).startswith(f"{folder / '010-evil.md'}:"), str(e)
        raise
    return " ".join(b.text for a in rendered.articles for b in a.blocks)


# --- finding 13: holes of the clause sandbox -----------------------------------------------------

HOLES = [
    pytest.param("{{ 'x'.encode().ljust(1500000000)|length }}", "unsafe", id="bytes-ljust"),
    pytest.param("{{ 'x'.encode() }}", "unsafe", id="encode"),
    pytest.param("{% set l = [[1] * 10000] * 2000 %}{{ l|tojson|length }}", "may not build",
                 id="tojson-of-shared-lists"),
    pytest.param("{% set a = [1] * 10000 %}{% set l = [a, a, a, a, a, a, a, a, a, a, a] %}"
                 "{{ l|tojson|length }}", "may not build", id="tojson-of-a-literal"),
    pytest.param("{% set a = [1] * 10000 %}{% set l = [a, a, a, a, a, a, a, a, a, a, a] %}"
                 "{{ l|string|length }}", "may not build", id="string-of-a-literal"),
    pytest.param("{% set a = [1] * 10000 %}{% set l = [a, a, a, a, a, a, a, a, a, a, a] %}"
                 "{{ ('%s' % [l])|length }}", "may not build", id="percent-of-a-literal"),
    pytest.param("{% set a = [1] * 10000 %}{% set l = [a, a, a, a, a, a, a, a, a, a, a] %}"
                 "{{ l|pprint|length }}", "may not build", id="pprint"),
    pytest.param("{% set a = [1] * 10000 %}{% set l = [a, a, a, a, a, a, a, a, a, a, a] %}"
                 "{{ (l ~ '')|length }}", "may not build", id="concatenation"),
    pytest.param("{{ ([[1] * 10000] * 2000)|sum(start=[])|length }}", "may not build",
                 id="finding-11-sum-of-lists"),
    pytest.param("{% set a = [1] * 10000 %}{{ [a, a, a]|sum(start=[])|length }}",
                 "adds numbers only", id="sum-start-list"),
    pytest.param("{{ [ref]|groupby('__globals__') }}", "unsafe", id="groupby-globals"),
    pytest.param("{{ [client]|groupby('__class__') }}", "unsafe", id="groupby-class"),
    pytest.param("{{ [client]|map(attribute='__class__')|list }}", "unsafe", id="map-class"),
    pytest.param("{{ [client]|map(attribute='__class__', default='x')|list }}", "unsafe",
                 id="map-class-default"),
    pytest.param("{{ [client, client]|sort(attribute='__class__') }}", "unsafe",
                 id="sort-class"),
    pytest.param("{{ ref|attr('__globals__') }}", "unsafe", id="attr-globals"),
    pytest.param("{{ [client]|selectattr('__class__')|list }}", "unsafe", id="selectattr"),
    pytest.param("{{ [ref] }}", "is not text", id="list-of-a-function"),
    pytest.param("{{ ref }}", "is not text", id="a-function"),
    pytest.param("{{ 'x'.upper }}", "is not text", id="a-method"),
    pytest.param("{{ ['x']|groupby('upper') }}", "is not text", id="groupby-method"),
    pytest.param("{{ [ref]|upper }}", "is not text", id="filter-of-a-function"),
    pytest.param("{{ ['a']|batch(10**9, 'x')|list|length }}", "at most", id="batch"),
    pytest.param("{{ ['a']|slice(10**9, 'x')|list|length }}", "at most", id="slice"),
]


@pytest.mark.parametrize(("body", "message"), HOLES)
def test_holes_of_the_sandbox_are_closed(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ClauseError, match=message) as error:
        render_clause(tmp_path, f"Texte.\n{body}\n")
    assert ":7: error: " in str(error.value)
    assert not ADDRESS.search(str(error.value))


def test_ordinary_filters_still_work(tmp_path: Path) -> None:
    text = render_clause(tmp_path, "{{ items|join(', ') }} {{ [1, 2]|sum }} "
                                   "{{ client.name|upper }} {{ items|length }}")
    assert text == "a, b 3 ATELIER 2"


# --- the when: conditions that ended in a traceback --------------------------------------------

CONDITIONS = [
    pytest.param("\"'%(a)s' % {}\"", "KeyError", id="key-error"),
    pytest.param("\"'x'.encode('nope')\"", "unsafe", id="lookup-error"),
    pytest.param("\"" + "(" * 3000 + "1" + ")" * 3000 + "\"", "cannot be compiled",
                 id="deep-nesting"),
    pytest.param("\"1" + "0" * 5000 + " > 1\"", "cannot be compiled", id="huge-integer"),
    pytest.param("\"[1, 2][5] == 1\"", "unknown field", id="index-error"),
]


@pytest.mark.parametrize(("when", "message"), CONDITIONS)
def test_a_condition_that_raises_is_a_located_error(tmp_path: Path, when: str,
                                                    message: str) -> None:
    with pytest.raises(ClauseError, match=re.escape(message)) as error:
        render_clause(tmp_path, when=when)
    assert ":5: error: the 'when' condition" in str(error.value)


# --- finding 12: Word templates have budgets ---------------------------------------------------

NESTED_LOOPS = ("{% for a in 'x' * 99999 %}{% for b in 'x' * 99999 %}{% endfor %}"
                "{% endfor %}")
TEMPLATES = [
    pytest.param(NESTED_LOOPS, f"took more than {DOCUMENT_TIME_LIMIT:g} s", id="nested-loops",
                 marks=pytest.mark.slow),  # waits for the whole budget: quick below
    pytest.param("{{ (9 ** 9999999) % 10 }}", "may not build a number", id="huge-power"),
    pytest.param("{{ ('x' * 1000000000)|length }}", "may not build", id="huge-string"),
    pytest.param("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
                 "recurses without end", id="recursive-macro"),
    pytest.param("{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}"
                 "{% endif %}{% endmacro %}{{ d('xxxxxxxxxx', 40) }}", "may not build",
                 id="doubling-concatenation"),
    pytest.param("{{ 'x'.encode().ljust(1500000000) }}", "unsafe", id="bytes"),
    pytest.param("{{ [{'a': nom}]|groupby('__class__') }}", "unsafe", id="groupby-class"),
    pytest.param("{{ nom.upper }}", "is not text", id="a-method"),
    pytest.param("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "cannot be compiled",
                 id="deep-nesting"),
]


@pytest.mark.parametrize(("text", "message"), TEMPLATES)
def test_a_runaway_template_is_refused_naming_its_file(tmp_path: Path, text: str,
                                                       message: str) -> None:
    start = time.monotonic()
    with pytest.raises(TemplateError, match=re.escape(message)) as error:
        WordTemplate(docx_with(tmp_path, "Avant.", text)).render(
            {"nom": "Zoé"}, {"title": "T"}, {})
    assert time.monotonic() - start < DOCUMENT_TIME_LIMIT + 10
    assert str(error.value).startswith(f"{tmp_path / 'modele.docx'}: error: ")
    assert not ADDRESS.search(str(error.value))


def test_a_runaway_template_is_stopped_by_the_document_time_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nested-loops case above with a budget of 1 s instead of the real one, so that the
    quick run sees the timer stop a template too."""
    import generator.documents

    monkeypatch.setattr(generator.documents, "DOCUMENT_TIME_LIMIT", 1.0)
    start = time.monotonic()
    with pytest.raises(TemplateError, match=re.escape("took more than 1 s")) as error:
        WordTemplate(docx_with(tmp_path, "Avant.", NESTED_LOOPS)).render(
            {"nom": "Zoé"}, {"title": "T"}, {})
    assert time.monotonic() - start < DOCUMENT_TIME_LIMIT
    assert str(error.value).startswith(f"{tmp_path / 'modele.docx'}: error: ")


def test_time_limit_within_another_keeps_the_outer_one() -> None:
    """A clause's limit inside a document's: the outer deadline is armed again on the way
    out (it was cancelled before), the sooner one applies inside, and the handler that was
    there before comes back."""
    import signal

    from generator.sandbox import Timeout, time_limit

    before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    with pytest.raises(Timeout), time_limit(0.3):
        with time_limit(0.01):
            pass
        while time.monotonic() - start < 5:
            pass
    assert time.monotonic() - start < 2
    start = time.monotonic()
    with pytest.raises(Timeout), time_limit(0.05), time_limit(5.0):
        while time.monotonic() - start < 5:
            pass
    assert time.monotonic() - start < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before


def test_a_dict_read_by_attribute_gives_jinja_sandbox_answer() -> None:
    """The sandbox's short way for plain dicts (no AttributeError raised and caught per
    read) answers as Jinja's own sandbox does: items, the class's methods, checks."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    from generator.sandbox import Sandbox

    ours = Sandbox()
    data = {"kind": "para", "items": "shadowed", "_hidden": 1, "__class__": 2}
    def answer(read: Any) -> Any:
        try:
            value = read()
        except Exception as e:  # the sandbox refuses: by raising
            return type(e), str(e)
        return type(value) if isinstance(value, jinja2.Undefined) else value

    for name in ("kind", "items", "get", "_hidden", "__class__", "missing", "update"):
        mine = answer(lambda: ours.getattr(data, name))  # noqa: B023
        theirs = answer(lambda: ImmutableSandboxedEnvironment.getattr(ours, data, name))  # noqa: B023
        assert mine == theirs, name
    assert answer(lambda: ours.getattr(data, "__class__"))[0] is SecurityError
