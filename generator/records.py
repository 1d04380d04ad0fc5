"""Dataclasses made at less cost: :func:`record`.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` and
``__hash__`` (and, when frozen, ``__setattr__`` and ``__delattr__``) as
Python source and compiles it when the class is made, at every start of the
command: our 44 classes made on the way of ``apport build`` spent about a
third of a millisecond each compiling methods (see benchmarks/README.md).
:func:`record` leaves ``__init__`` and the frozen guards to ``dataclasses``
and makes the others from functions written once here (closures over the
class's field names: nothing compiled), which do what the generated ones do:
equality of the compared fields' values for two objects of the same class
(``NotImplemented`` otherwise), the hash of the tuple of the hashed fields'
values (frozen classes; a mutable class is unhashable), ``Name(field=value!r,
...)`` with ``...`` for an object met again inside its own representation.
Classes stay dataclasses (``fields``, ``replace``, ``asdict`` work on them).
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform, overload

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

_SHOWN = "__record_shown__"


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an object's values of ``names``, as a tuple."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return attrgetter(*names)


def _eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in getattr(self.__class__, _SHOWN))
    return f"{self.__class__.__qualname__}({shown})"


def _named(cls: type, method: F) -> F:
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return method


def _methods(cls: C, frozen: bool) -> C:
    fields = dataclasses.fields(cls)
    # as dataclasses decides (eq, no unsafe_hash): a __hash__ written in the class is kept
    # (Python sets __hash__ to None in a class that writes __eq__ only: that one is not)
    own_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    hashed = own_hash is dataclasses.MISSING or (own_hash is None and "__eq__" in cls.__dict__)
    made: dict[str, Any] = {_SHOWN: tuple(f.name for f in fields if f.repr)}
    if "__repr__" not in cls.__dict__:
        made["__repr__"] = _repr
    if "__eq__" not in cls.__dict__:
        made["__eq__"] = _named(cls, _eq(_values([f.name for f in fields if f.compare])))
    if hashed:
        made["__hash__"] = (_named(cls, _hash(_values([f.name for f in fields
                                                       if (f.compare if f.hash is None
                                                           else f.hash)])))
                            if frozen else None)
    for name, value in made.items():
        setattr(cls, name, value)
    return cls


@overload
def record(cls: C, /) -> C: ...


@overload
def record(*, frozen: bool = False, slots: bool = False) -> Callable[[C], C]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: C | None = None, /, *, frozen: bool = False,
           slots: bool = False) -> C | Callable[[C], C]:
    """``@dataclasses.dataclass`` (with ``frozen`` and ``slots`` as there, the other
    options at their defaults), its ``__eq__``, ``__hash__`` and ``__repr__`` shared."""

    def wrap(cls: C) -> C:
        made: Any = dataclasses.dataclass(frozen=frozen, slots=slots, eq=False, repr=False)(cls)
        return _methods(cast(C, made), frozen)

    return wrap if cls is None else wrap(cls)
