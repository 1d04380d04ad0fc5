"""Counting what the code under test does: a function wrapped so that each call is noted.

``calls(monkeypatch, owner, "name", note)`` replaces ``owner.name`` (a module's function,
a class's method, an object's attribute) for the test by a function that appends
``note(*args, **kwargs)`` to the list it returns, then calls the original unchanged (the
list ``into``, when given: several functions noted in one list). ``noted``: called with
the result instead, after the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str,
          note: Callable[..., Any] | None = None, *, noted: Callable[[Any], Any] | None = None,
          into: list[Any] | None = None) -> list[Any]:
    seen: list[Any] = [] if into is None else into
    original = getattr(owner, name)

    def noting(*args: Any, **kwargs: Any) -> Any:
        if note is not None:
            seen.append(note(*args, **kwargs))
        result = original(*args, **kwargs)
        if noted is not None:
            seen.append(noted(result))
        return result

    monkeypatch.setattr(owner, name, noting)
    return seen
