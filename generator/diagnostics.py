"""Diagnostics and the error tree.

Every problem the tool finds in something a user wrote becomes a
:class:`Diagnostic` located at a file, line and column, in the form that
editors and CI tools read (``file:line:col: severity: path: message``).
Every exception the library raises on purpose derives from
:class:`ApportError`; the command line catches that one class, prints it and
exits non-zero, so a user never sees a Python traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# Characters a diagnostic must not carry through to a terminal or a log: C0 and
# C1 controls (escape sequences, line breaks that would split the one-line form),
# line separators, and surrogates (a lone one cannot even be encoded). Keys and
# values quoted from the file may hold any of them.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file.

    ``line`` and ``column`` are 1-based; 0 means "the whole file" (for
    problems such as a file that is too large).
    """

    file: str
    line: int
    column: int
    path: str
    severity: Severity
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", printable(self.file))
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def __str__(self) -> str:
        where = self.file if self.line == 0 else f"{self.file}:{self.line}:{self.column}"
        field = f"{self.path}: " if self.path else ""
        return f"{where}: {self.severity}: {field}{self.message}"

    def as_error(self) -> Diagnostic:
        """The same problem raised to an error (``--strict``)."""
        return Diagnostic(self.file, self.line, self.column, self.path, "error", self.message)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    """The ``--format json`` form: one array of objects with the spec's keys."""
    return json.dumps([asdict(d) for d in diagnostics], ensure_ascii=False, indent=2)


class ApportError(Exception):
    """Base of every error the library raises on purpose.

    Raised when something a user wrote or asked for cannot be done; its
    ``str()`` is a complete, located, one-line (or few-line) message.
    """


class DealError(ApportError):
    """Raised when a deal file is invalid; carries every diagnostic of it."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ClauseError(ApportError):
    """Raised when a clause file cannot be read, selected or rendered.

    The message names the clause file and, where known, its line.
    """

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: error: {message}")


class TemplateError(ApportError):
    """Raised when a Word template cannot be read, compiled or rendered."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        super().__init__(f"{file}: error: {message}")


class OutputError(ApportError):
    """Raised when an output file or folder cannot be written."""
