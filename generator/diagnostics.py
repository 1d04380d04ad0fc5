"""Diagnostics: located problems found in something a user wrote.

Every problem the tool finds in a file becomes a :class:`Diagnostic` located
at a file, line and column, in the form that editors and CI tools read
(``file:line:col: severity: path: message``). A diagnostic holds a stable
``code`` and its ``params``; :mod:`generator.messages` words it in the
reader's language. The error tree lives in :mod:`generator.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any, Literal

from .errors import (  # noqa: F401 - the error tree used to live here
    ApportError,
    ClauseError,
    DealError,
    OutputError,
    TemplateError,
    Worded,
    printable,
)
from .records import record

Severity = Literal["error", "warning"]


@record(frozen=True)
class Diagnostic(Worded):
    """One problem, located in a file.

    ``line`` and ``column`` are 1-based; 0 means "the whole file" (for
    problems such as a file that is too large). ``code`` is stable (tools
    key on it); :meth:`message` words it with ``params``.
    """

    file: str
    line: int
    column: int
    path: str
    severity: Severity
    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", printable(self.file))
        object.__setattr__(self, "path", printable(self.path))

    def _key(self) -> tuple[Any, ...]:
        return (self.file, self.line, self.column, self.path, self.severity, self.code)

    def __lt__(self, other: Diagnostic) -> bool:
        return self._key() < other._key()

    def _where(self) -> tuple[str | None, int | None, int | None, str]:
        return self.file, self.line, self.column, self.path

    def as_error(self) -> Diagnostic:
        """The same problem raised to an error (``--strict``)."""
        return Diagnostic(self.file, self.line, self.column, self.path, "error", self.code,
                          self.params)

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The ``--format json`` object: the spec's keys, the message in ``lang``."""
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path,
                "severity": self.severity, "code": self.code, "message": self.text(lang)}


def to_json(diagnostics: Iterable[Diagnostic], lang: str | None = None) -> str:
    """The ``--format json`` form: one array of objects with the spec's keys."""
    import json  # (this form only: a plain validation needs none)

    return json.dumps([d.as_dict(lang) for d in diagnostics], ensure_ascii=False, indent=2)
