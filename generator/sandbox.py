"""The one Jinja sandbox: clause bodies, ``when`` conditions and Word templates.

Clause files and Word templates are shared files, so what they may compute
is bounded here, before it is computed, whatever the file says:

* Jinja's immutable sandbox: no attribute starting with ``_`` (refused at
  once, also when a filter such as ``groupby``, ``map``, ``sort`` or
  ``attr`` looks it up), no mutation, no globals but ours;
* ``*``, ``**`` and ``%``, concatenation (``~``, macros, ``{% set %}``
  blocks), ``join``, ``sum``, ``batch``, ``slice`` and every filter refuse
  values beyond the budget: a text or list of more than :data:`MAX_OUTPUT`
  characters or items (a list shared many times counts each time, as
  printing it would), an integer of more than :data:`MAX_INT_BITS` bits;
* text methods that pad or replace (``ljust``, ``replace``...), ``encode``
  and every method of bytes are withheld;
* a printed value is text, a number or plain data: never a function, a
  method or another object whose text would be its memory address;
* a render has a time limit (Python code only: a loop in C is stopped by
  the OS limits of :mod:`generator.workers`) and a bounded output.
"""

from __future__ import annotations

import _signal
import dataclasses
import functools
import signal
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import StrictUndefined
from jinja2.runtime import markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

MAX_OUTPUT = 100_000  # characters of one rendered clause; items or characters of any value
MAX_ITERATIONS = 10_000  # items a clause may produce with range()
TIME_LIMIT = 2.0  # seconds for one clause
MAX_INT_BITS = 4096  # size of an integer a clause may compute
DOCUMENT_OUTPUT = 20_000_000  # characters of one rendered part of a Word document
DOCUMENT_TIME_LIMIT = 10.0  # seconds for one part of a Word document


class Timeout(Exception):
    """A render ran past its time limit (caught and located by the caller)."""


def too_big(what: str) -> SecurityError:
    return SecurityError(f"a clause or template may not build {what}")


_PLAIN = (str, int, float, Decimal, date, type(None))


def _size(value: Any, memo: dict[int, int], cap: int) -> int:
    """The characters and items printing ``value`` would write, roughly; a part
    shared many times counts each time (stops counting past ``cap``)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return 1 + value.bit_length() // 3
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        key = id(value)
        known = memo.get(key)
        if known is not None:
            return known
        memo[key] = cap + 1  # a value that holds itself is over any budget
        total = len(value)
        items: Iterable[Any] = value.items() if isinstance(value, dict) else value
        for item in items:
            total += _size(item, memo, cap)
            if total > cap:
                break
        memo[key] = total
        return total
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return 1


def _not_data(value: Any) -> Any:
    """What in ``value`` is not data but an object whose text shows its address (a
    function, a method, a module, a class, an iterator), or ``None``."""
    if isinstance(value, (*_PLAIN, jinja2.Undefined)):  # an undefined value raises when printed
        return None
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        items: Iterable[Any] = (
            (x for pair in value.items() for x in pair) if isinstance(value, dict) else value)
        return next((bad for item in items if (bad := _not_data(item)) is not None), None)
    if callable(value) or isinstance(value, (types.ModuleType, Iterator, types.GeneratorType)):
        return value
    return None


# What :func:`check_value` needs to know of a value, by its type: ``True``, a text (its
# length counts); ``False``, a single value that is data (a number, a date, a rich text:
# nothing to count); absent, a value to look into (an integer, a container, bytes) or one
# whose type is not data. The answer for such types depends on the type alone.
_KINDS: dict[type, bool] = {str: True, Markup: True}
_LOOKED_INTO = (int, list, tuple, set, frozenset, dict, bytes, bytearray)


def _kind(kind: type, value: Any) -> bool | None:
    if issubclass(kind, str):
        known = True
    elif issubclass(kind, _LOOKED_INTO) or _not_data(value) is not None:
        return None
    else:
        known = False
    if len(_KINDS) < 256:
        _KINDS[kind] = known
    return known


def check_value(value: Any, limit: int = MAX_OUTPUT) -> None:
    """Refuse a value whose text would exceed ``limit`` or would not be data."""
    kind = type(value)
    known = _KINDS.get(kind)
    if known is None:
        known = _kind(kind, value)
    if known is True:  # the common case, at once
        if len(value) > limit:
            raise too_big(f"a text of more than {limit} characters")
        return
    if known is False:
        return
    if _size(value, {}, limit) > limit:
        raise too_big(f"a value of more than {limit} items or characters")
    bad = _not_data(value)
    if bad is not None:
        raise SecurityError(f"a {type(bad).__name__} is not text: it cannot be printed")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a value that would not fit the budget.

    Jinja's sandbox bounds neither: ``'x' * 10**10`` or ``2 ** 10**9`` would fill
    the memory (or run in C, out of reach of the time limit).
    """
    sized = (str, bytes, list, tuple)
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sized) and isinstance(times, int) and (
                    _size(seq, {}, MAX_OUTPUT) * times > MAX_OUTPUT):
                raise too_big(f"a value of more than {MAX_OUTPUT} items or characters")
        if (isinstance(left, int) and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS):
            raise too_big(f"a number of more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if (isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
                and right * abs(left).bit_length() > MAX_INT_BITS):
            raise too_big(f"a number of more than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str):
        import re

        width = 0
        for spec in re.finditer(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?", left):
            for number in spec.groups():
                if number == "*" or (number and len(number) > 6):
                    raise too_big("a formatted text wider than the budget")
                width += int(number or 0)
        if width > MAX_OUTPUT:
            raise too_big(f"a formatted text of more than {MAX_OUTPUT} characters")
        check_value(right)


class Budget:
    """Counts what one render may spend, so a hostile clause ends in bounded time."""

    def __init__(self) -> None:
        self.iterations = 0

    def range(self, *args: int) -> Iterator[int]:
        for i in range(*args):
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise SecurityError(f"loops in a clause may produce at most {MAX_ITERATIONS} items")
            yield i


# Filters and text methods that can build a text far larger than their input
# (``x|center(10**9)``, ``s.replace('', big)``, ``''.join([big] * 9999)``): a
# clause has no need of them, its values come formatted. Bytes have no place
# in a document: ``encode`` and every bytes method are withheld.
_UNSAFE_FILTERS = ("center", "indent", "wordwrap", "format", "replace")

# ``random`` would make two builds of the same deal differ: a document is a
# function of its deal and its library, nothing else.
_NON_DETERMINISTIC_FILTERS = ("random",)
_UNSAFE_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "format",
                             "format_map", "replace", "join", "translate", "encode"})


# Filters that go through a sequence (or look an attribute up) without printing it:
# their input may be an iterator (``x|map(...)|list``) or hold functions.
_SEQUENCE_FILTERS = frozenset({
    "attr", "batch", "count", "d", "default", "dictsort", "first", "groupby", "items", "join",
    "last", "length", "list", "map", "max", "min", "reject", "rejectattr", "reverse",
    "select", "selectattr", "slice", "sort", "sum", "unique"})


def _wrap_filter(env: Sandbox, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` refusing an input over the budget, or (for a filter that makes text of
    it) that is not data."""
    skip = 1 if getattr(fn, "jinja_pass_arg", None) else 0
    sequence = name in _SEQUENCE_FILTERS

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) > skip and not isinstance(args[skip], jinja2.Undefined):
            value = args[skip]
            if not sequence:
                check_value(value, env.max_output)
            elif _size(value, {}, env.max_output) > env.max_output:
                raise too_big(f"a value of more than {env.max_output} items or characters")
        return fn(*args, **kwargs)

    return checked


def _count_argument(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``batch`` and ``slice``: their count makes as many lists (``batch(10**9, 'x')``)."""
    position = 2 if getattr(fn, "jinja_pass_arg", None) else 1

    @functools.wraps(fn)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        count = (args[position] if len(args) > position
                 else kwargs.get("linecount", kwargs.get("slices")))
        if isinstance(count, int) and count > MAX_ITERATIONS:
            raise SecurityError(f"the '{name}' filter takes at most {MAX_ITERATIONS}")
        return fn(*args, **kwargs)

    return bounded


def _sum_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``sum`` adds numbers: adding lists (``sum(start=[])``) copies them again and
    again, in C, out of reach of the time limit."""

    @functools.wraps(fn)
    def numbers(environment: Any, iterable: Any, attribute: Any = None,
                start: Any = 0) -> Any:
        if not isinstance(start, (int, float, Decimal)):
            raise SecurityError("the 'sum' filter adds numbers only")
        total = fn(environment, iterable, attribute, start)
        if not isinstance(total, (int, float, Decimal)):
            raise SecurityError("the 'sum' filter adds numbers only")
        return total

    return numbers


_DICT_ATTRIBUTES = frozenset(dir(dict))

# Whether the attribute of a dataclass (the terms the clauses read: ``commission.rate``...)
# is safe to read, by class and name: the sandbox's answer, which depends on the class and
# the name alone (never on the value read), asked once instead of at every read (its
# checks test the object against a dozen types, abstract ones among them).
_RECORD_ATTRIBUTES: dict[tuple[type, str], bool] = {}
_METHODS = (types.MethodType, types.BuiltinMethodType)


class Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox of clause bodies and conditions (``max_output``: a clause's budget)
    or of Word templates (the budget of a document part)."""

    # Intercepted operators are checked at run time and never constant-folded
    # at compile time (where no budget applies).
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *, max_output: int = MAX_OUTPUT, **options: Any) -> None:
        super().__init__(undefined=StrictUndefined, auto_reload=False, **options)
        self.max_output = max_output
        self.finalize = self.checked
        self.globals.clear()
        for name in _UNSAFE_FILTERS + _NON_DETERMINISTIC_FILTERS:
            del self.filters[name]
        self.filters["join"] = self._join_filter
        self.filters["sum"] = _sum_filter(self.filters["sum"])
        for name in ("batch", "slice"):
            self.filters[name] = _count_argument(name, self.filters[name])
        for name, fn in list(self.filters.items()):
            self.filters[name] = _wrap_filter(self, name, fn)

    def checked(self, value: Any) -> Any:
        """A printed value: data within the budget (the default ``finalize``)."""
        check_value(value, self.max_output)
        return value

    def concat(self, parts: Iterable[Any]) -> str:
        """The text of a macro, a ``{% set %}`` block or a render, refused before it is
        built when over the budget (doubling a text thirty times in a recursive
        macro would fill the memory long before the time limit)."""
        return self._joined(parts)

    def _joined(self, parts: Iterable[Any], separator: str = "") -> str:
        texts = []
        total = 0
        for part in parts:
            if not isinstance(part, str):
                check_value(part, self.max_output)
                part = str(part)
            total += len(part) + len(separator)
            if total > self.max_output + len(separator):
                raise too_big(f"a text of more than {self.max_output} characters")
            texts.append(part)
        return separator.join(texts)

    def _markup_joined(self, parts: Iterable[Any]) -> str:
        parts = list(parts)
        self._joined(parts)  # the budget
        return markup_join(parts)

    def _join_filter(self, value: Any, d: str = "", attribute: Any = None) -> str:
        if attribute is not None:
            raise SecurityError("the 'join' filter takes no attribute in a clause or template")
        if self.autoescape:
            return Markup(self._joined([escape(v) for v in value], str(escape(d))))
        return self._joined(value, str(d))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` as Jinja's sandbox reads it; for a plain dict, whose
        instances have no attribute but the class's, the item at once: the same
        answer without raising and catching an AttributeError (the templates read
        hundreds of them per document)."""
        kind = type(obj)
        if kind is dict and attribute not in _DICT_ATTRIBUTES:
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        safe = _RECORD_ATTRIBUTES.get((kind, attribute))
        if safe is not None:
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass  # Jinja's way below: an item, else undefined
            else:
                if type(value) not in _METHODS:  # str.format is wrapped by Jinja's way
                    return value if safe else self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, (bytes, bytearray)):
            return False
        if isinstance(obj, str) and attr in _UNSAFE_METHODS:
            return False
        safe = super().is_safe_attribute(obj, attr, value)
        kind = type(obj)
        if (type(attr) is str and dataclasses.is_dataclass(kind)
                and len(_RECORD_ATTRIBUTES) < 4096):
            _RECORD_ATTRIBUTES[kind, attr] = safe
        return safe

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        """Refused at once: an undefined value would still let a filter such as
        ``groupby('__globals__')`` print the object it came from."""
        raise SecurityError(f"access to attribute {attribute!r} of "
                            f"{type(obj).__name__!r} object is unsafe.")

    def bounded(self, template: jinja2.Template) -> jinja2.Template:
        """``template``, its concatenations (``a ~ b``) bounded too."""
        namespace = template.root_render_func.__globals__
        namespace["str_join"] = self.concat
        namespace["markup_join"] = self._markup_joined
        return template

    def render(self, template: jinja2.Template, context: Mapping[str, Any], *,
               seconds: float) -> str:
        """``template`` rendered with ``context``, within this sandbox's output budget
        and ``seconds``.

        Raises:
            Timeout: past the time limit.
            SecurityError: past the output budget.
            and whatever the template raises.
        """
        out: list[str] = []
        size = 0
        with time_limit(seconds):
            for piece in template.generate(context):
                size += len(piece)
                if size > self.max_output:
                    raise SecurityError(f"a clause or template may produce at most "
                                        f"{self.max_output} characters")
                out.append(piece)
        return "".join(out)


def _expire(signum: int, frame: Any) -> None:
    raise Timeout()


_TIMERS = hasattr(signal, "setitimer")


class time_limit:  # noqa: N801 - used as a function: ``with time_limit(2.0):``
    """Interrupt a render that runs too long (Unix, main thread; else no limit).

    A context manager of its own rather than a generator, and the C functions of
    :mod:`_signal`: it runs around every clause of every deal, so it must cost
    microseconds. Within another limit, the sooner deadline applies, and the
    outer one is armed again on the way out.
    """

    __slots__ = ("seconds", "armed", "previous", "outer", "start")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        if not _TIMERS or threading.current_thread() is not threading.main_thread():
            return
        previous = _signal.getsignal(signal.SIGALRM)
        self.previous = None if previous is _expire else previous
        if self.previous is not None:
            _signal.signal(signal.SIGALRM, _expire)
        self.outer = _signal.setitimer(signal.ITIMER_REAL, self.seconds)[0]
        if self.outer:
            self.start = time.monotonic()
            if self.outer < self.seconds:
                _signal.setitimer(signal.ITIMER_REAL, self.outer)
        self.armed = True

    def __exit__(self, *exc: object) -> None:
        if not self.armed:
            return
        self.armed = False
        _signal.setitimer(signal.ITIMER_REAL, 0)
        if self.outer:
            left = self.outer - (time.monotonic() - self.start)
            _signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6))
        if self.previous is not None:
            _signal.signal(signal.SIGALRM, self.previous)
