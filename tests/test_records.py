"""generator.records: dataclasses whose __eq__, __hash__ and __repr__ are shared functions
behave as the ones ``dataclasses`` writes, and apport's modules compile none of those."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from dataclasses import field
from typing import Any

import pytest

from generator.records import record


def _pair(frozen: bool, slots: bool = False) -> tuple[type, type]:
    """The same class, made by ``dataclasses`` and by ``record``."""

    def body() -> dict[str, Any]:
        return {"__annotations__": {"a": "int", "b": "Any", "c": "tuple[int, ...]", "d": "str"},
                "b": field(default=None, compare=False),
                "c": field(default_factory=tuple, repr=False),
                "d": field(default="x", hash=False)}

    plain = dataclasses.dataclass(frozen=frozen, slots=slots)(type("Thing", (), body()))
    shared = record(frozen=frozen, slots=slots)(type("Thing", (), body()))
    return plain, shared


@pytest.mark.parametrize(("frozen", "slots"), [(True, False), (False, False), (True, True),
                                               (False, True)])
def test_same_equality_hash_and_repr_as_dataclasses(frozen: bool, slots: bool) -> None:
    plain, shared = _pair(frozen, slots)
    cases = [((1,), (1,)), ((1, "u"), (1, "v")), ((1, None, (2,)), (1, None, (3,))),
             ((1, None, (), "y"), (1,)), ((2,), (1,))]
    for left, right in cases:
        p1, p2, s1, s2 = plain(*left), plain(*right), shared(*left), shared(*right)
        assert (s1 == s2) is (p1 == p2)
        assert (s1 != s2) is (p1 != p2)
        assert repr(s1) == repr(p1)
        assert s1.__eq__(object()) is NotImplemented and p1.__eq__(object()) is NotImplemented
        assert shared.__hash__ is None if not frozen else hash(s1) == hash(p1)
    assert plain.__hash__ is None if not frozen else plain.__hash__ is not None
    assert dataclasses.is_dataclass(shared)
    assert dataclasses.replace(shared(1), a=2) == shared(2)


def test_a_class_of_another_kind_is_not_equal() -> None:
    _plain, shared = _pair(True)
    _plain, other = _pair(True)
    assert shared(1) != other(1)
    assert shared(1) == shared(1)


def test_an_object_inside_itself_is_shown_as_dots() -> None:
    @record
    class Node:
        child: Any = None

    node = Node()
    node.child = node
    assert repr(node) == "test_an_object_inside_itself_is_shown_as_dots.<locals>.Node(child=...)"


def test_methods_written_in_the_class_are_kept() -> None:
    @record(frozen=True)
    class Own:
        a: int

        def __hash__(self) -> int:
            return 7

        def __repr__(self) -> str:
            return "own"

    assert hash(Own(1)) == 7
    assert repr(Own(1)) == "own"
    assert Own(1) == Own(1)


def test_apport_modules_compile_no_comparison_hash_or_repr() -> None:
    """Importing what ``apport build`` imports, dataclasses writes no ``__eq__``,
    ``__hash__`` or ``__repr__`` for apport's classes (each was about a third of a
    millisecond of every start)."""
    script = textwrap.dedent("""
        import dataclasses, sys
        made = []
        original = dataclasses._create_fn
        def counted(name, *args, **kwargs):
            frame = sys._getframe(2)
            made.append((name, frame.f_locals.get("cls")))
            return original(name, *args, **kwargs)
        dataclasses._create_fn = counted
        import generator.build, generator.contract, generator.offer, generator.notice
        import generator.cli
        ours = sorted({f"{cls.__module__}.{cls.__qualname__}.{name}" for name, cls in made
                       if isinstance(cls, type) and cls.__module__.startswith("generator")
                       and name in ("__eq__", "__hash__", "__repr__")})
        inits = sum(1 for name, cls in made if isinstance(cls, type)
                    and cls.__module__.startswith("generator") and name == "__init__")
        print(inits, ours)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split(" ", 1)
    assert int(out[0]) > 30  # the classes were made (and seen)
    assert out[1].strip() == "[]"
