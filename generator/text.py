"""Rich text shared by the clauses, the terms and the documents.

A :class:`Block` is a paragraph or a bullet item made of :class:`Run` s;
a run is bold or not, and marks whether its text came from the deal (so the
review mode can highlight every value a jurist must check). Documents turn
runs into Word runs; plain-text outputs join them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .french import elide_before
from .records import record


@record(frozen=True)
class Run:
    """A piece of text in one paragraph."""

    text: str
    bold: bool = False
    value: bool = False


@record(frozen=True)
class Block:
    """A paragraph, or a bullet item when ``bullet`` is true."""

    runs: tuple[Run, ...]
    bullet: bool = False

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


def value(text: str) -> Run:
    """A run of text that came from the deal."""
    return Run(text, value=True)


def paragraph(*runs: Run | str) -> Block:
    """A paragraph from runs; bare strings are our own (non-deal) text."""
    return Block(tuple(Run(r) if isinstance(r, str) else r for r in runs if r))


def elided(runs: Sequence[Run]) -> list[Run]:
    """Elide our own « de » before a value that starts with « un »: « d’un (1) mois ».

    The value's words are never changed; the text before it is ours.
    """
    out = list(runs)
    for i in range(len(out) - 1):
        if not out[i].value:
            text = elide_before(out[i].text, out[i + 1].text)
            if text != out[i].text:
                out[i] = replace(out[i], text=text)
    return out
