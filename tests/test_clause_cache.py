"""A clause's rendered text is kept by the values it reads (issue 15, clause rendering).

Most clauses read a few terms that recur from deal to deal, or none: their text is
rendered once per distinct set of values, and never served for values that would
print differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from spying import calls
from test_clauses import article, load

from generator.clauses import Library, render
from generator.sandbox import Sandbox


@dataclass(frozen=True)
class Terms:
    rate: Any
    name: str


def texts(library: Library, context: dict[str, Any]) -> list[str]:
    return [block.text for a in render(library, {}, context).articles for block in a.blocks]


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The clause templates the sandbox renders, by name."""
    return calls(monkeypatch, Sandbox, "render", lambda _self, template, *_a, **_k: template.name)


def test_a_clause_is_rendered_once_per_distinct_values(tmp_path: Path,
                                                       renders: list[str]) -> None:
    library = load(tmp_path, {
        "01.md": article("fixe", "Un texte sans valeur.\n"),
        "02.md": article("taux", "Au taux de {{ c.rate }}, voir {{ ref('fixe') }}.\n"),
        "03.md": article("nom", "Pour {{ c.name }}.\n"),
    })
    first = texts(library, {"c": Terms("10 %", "Alice")})
    assert texts(library, {"c": Terms("10 %", "Bruno")}) == [
        "Un texte sans valeur.", "Au taux de 10 %, voir l’article\u00a01.", "Pour Bruno."]
    assert first[2] == "Pour Alice."
    # the second deal rendered only the clause whose value changed
    assert renders == ["fixe", "taux", "nom", "nom"]


@pytest.mark.parametrize("values", [
    (1, True, 1.0),  # equal in Python, printed differently
    (Decimal("1.0"), Decimal("1.00"), Decimal("1")),
    ("a", "b", "c"),
])
def test_values_that_print_differently_are_never_confused(tmp_path: Path,
                                                          values: tuple[Any, ...]) -> None:
    library = load(tmp_path, {"01.md": article("taux", "Taux : {{ c.rate }}.\n")})
    seen = [texts(library, {"c": Terms(v, "x")})[0] for v in values]
    assert seen == [f"Taux\u00a0: {v}." for v in values]


def test_a_clause_reading_a_whole_value_or_a_cross_reference_follows_it(
        tmp_path: Path) -> None:
    library = load(tmp_path, {
        "01.md": article("a", "A.\n", when="show_a"),
        "02.md": article("b", "{{ c }} ; {{ c.name.upper() }} ; {{ ref('c') }}.\n"),
        "03.md": article("c", "C.\n"),
    })
    one = render(library, {"show_a": True}, {"c": Terms("1", "x")})
    two = render(library, {"show_a": False}, {"c": Terms("1", "y")})
    first, second = one.articles[1].blocks[0].text, two.articles[0].blocks[0].text
    assert first.startswith("Terms(rate='1', name='x')") and "; X\u00a0;" in first
    assert first.endswith("l’article\u00a03.")
    assert second.startswith("Terms(rate='1', name='y')") and "; Y\u00a0;" in second
    assert second.endswith("l’article\u00a02.")


def test_a_value_of_an_unknown_kind_is_rendered_every_time(tmp_path: Path,
                                                           renders: list[str]) -> None:
    library = load(tmp_path, {"01.md": article("o", "{{ o.rate|length }}\n")})
    assert texts(library, {"o": Terms({"un"}, "x")}) == ["1"]
    assert texts(library, {"o": Terms({"un"}, "x")}) == ["1"]
    assert renders == ["o", "o"]


def test_a_condition_is_decided_once_per_distinct_facts(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``when`` condition's answer is kept by the facts it reads: evaluated again only
    for new values of those facts, never served for others."""
    library = load(tmp_path, {
        "01.md": article("a", "A.\n", when="deal.rate > 10"),
        "02.md": article("b", "B.\n", when="deal.client.informed"),
    })
    evaluated: list[str] = []
    for clause in library.clauses:
        original = clause.condition

        def counting(*args: Any, _id: str = clause.id, _fn: Any = original,
                     **kwargs: Any) -> Any:
            evaluated.append(_id)
            return _fn(*args, **kwargs)

        object.__setattr__(clause, "condition", counting)

    def included(rate: Any, informed: bool, name: str) -> list[str]:
        facts = {"deal": {"rate": rate, "client": {"informed": informed, "name": name}}}
        return [d.clause.id for d in render(library, facts, {}).decisions if d.included]

    assert included(20, True, "Alice") == ["a", "b"]
    assert included(20, True, "Bruno") == ["a", "b"]  # a fact no condition reads
    assert evaluated == ["a", "b"]
    assert included(5, True, "Chloé") == ["b"]
    assert included(20, False, "Chloé") == ["a"]
    assert included(10.5, True, "Chloé") == ["a", "b"]  # 10.5 is not the 10 of the keys
    assert evaluated == ["a", "b", "a", "b", "a"]


def test_the_layouts_kept_are_bounded_in_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    # a body may print 100,000 characters: the layouts kept by their text are bounded by
    # what they hold, not only by their number, or a library's bodies would fill a worker
    from generator import clauses

    monkeypatch.setattr(clauses, "_LAYOUTS", {})
    monkeypatch.setattr(clauses, "_layouts_chars", 0)
    values = clauses._Values()
    for i in range(200):  # 10 million characters of distinct bodies
        blocks = clauses.parse_markup(f"{i} " + "x" * 50_000, values)
        assert blocks[0].text == f"{i} " + "x" * 50_000
    held = sum(map(len, clauses._LAYOUTS))
    assert 0 < held <= clauses._LAYOUTS_CHARS
    assert held == clauses._layouts_chars
