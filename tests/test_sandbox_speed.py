"""The sandbox's per-type answers asked once (issue 15, the Word template render): what
it knows of a value's type or of a dataclass attribute is the same at every read, so it
is worked out at the first and kept; every value is still checked, every unsafe read
still refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from jinja2.sandbox import SecurityError
from spying import calls

from generator import sandbox
from generator.sandbox import Sandbox


@dataclass(frozen=True)
class Record:
    rate: Any
    name: str
    _secret: str = "s"

    def shout(self) -> str:
        return self.name.upper()


def render(source: str, **context: Any) -> str:
    env = Sandbox()
    return env.render(env.from_string(source), context, seconds=2.0)


def test_a_dataclass_attribute_is_judged_once_and_read_at_every_render(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked = calls(monkeypatch, Sandbox, "is_safe_attribute", lambda _self, _obj, attr, _v: attr)
    monkeypatch.setattr(sandbox, "_RECORD_ATTRIBUTES", {})
    seen = [render("{{ r.rate }} {{ r.name }}", r=Record(rate, name))
            for rate, name in ((1, "Alice"), (2, "Bruno"), (3, "Chloé"))]
    assert seen == ["1 Alice", "2 Bruno", "3 Chloé"]
    assert asked == ["rate", "name"]
    # a method is still read Jinja's way, and called
    assert render("{{ r.shout() }}", r=Record(1, "Léa")) == "LÉA"


def test_an_unsafe_dataclass_attribute_is_refused_at_every_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_RECORD_ATTRIBUTES", {})
    for _ in range(3):
        with pytest.raises(SecurityError):
            render("{{ r._secret }}", r=Record(1, "x"))
        with pytest.raises(SecurityError):
            render("{{ r.__class__ }}", r=Record(1, "x"))
    # a format method met through a record is still Jinja's safe wrapper
    assert render("{{ r.name.format(1) }}", r=Record(1, "a{}b")) == "a1b"


def test_a_value_type_is_looked_into_once_and_every_value_still_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    looked = calls(monkeypatch, sandbox, "_not_data", type)
    monkeypatch.setattr(sandbox, "_KINDS", {str: True})  # as at start, types met since forgotten
    for value in (Decimal("1.5"), Decimal("2"), date(2026, 1, 1), date(2026, 2, 1), 1.5, 2.5):
        sandbox.check_value(value)
    assert looked == [Decimal, date, float]

    class Text(str):
        pass

    with pytest.raises(SecurityError):
        sandbox.check_value(Text("x" * 11), limit=10)
    sandbox.check_value(Text("x" * 10), limit=10)
    with pytest.raises(SecurityError):  # an integer's size is counted every time
        sandbox.check_value(10 ** 400, limit=100)
    for _ in range(2):  # a function is never printed, however often it comes
        with pytest.raises(SecurityError, match="not text"):
            sandbox.check_value(len)
        with pytest.raises(SecurityError, match="not text"):
            sandbox.check_value([1, len])
