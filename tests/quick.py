"""Which cases of a parametrized test the quick run keeps (``pytest -m "not slow"``).

The full run (``pytest -q``, what CI runs) takes every case. The quick run keeps a
representative of each mechanism and leaves the rest of a matrix, a corpus or a list
of samples to the full run: :func:`quick_cases` marks those ``slow``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from _pytest.mark import ParameterSet


def quick_cases(values: Iterable[Any], keep: int | Callable[[Any], bool] = 1, *,
                single: bool = True) -> list[ParameterSet]:
    """``values`` as parameters, all of them but the kept ones marked ``slow``.

    ``keep``: how many of the first values stay in the quick run, or a predicate on a
    value. ``single``: each value is one argument (else a tuple of the arguments, as
    ``parametrize`` takes them for several names). ``pytest.param`` values keep their
    own marks and id.
    """
    cases = []
    for index, value in enumerate(values):
        case = value if isinstance(value, ParameterSet) else (
            pytest.param(value) if single else pytest.param(*value))
        argument = case.values[0] if len(case.values) == 1 else case.values
        quick = keep(argument) if callable(keep) else index < keep
        if not quick:
            case = pytest.param(*case.values, marks=[*case.marks, pytest.mark.slow],
                                id=case.id)
        cases.append(case)
    return cases
