"""The one error tree: every error apport raises on purpose.

Each error carries a stable ``code`` and its ``params`` (see
:mod:`generator.messages`, which puts them into words in English or French)
and, where known, the file, line and column at fault. It formats itself
once, in the form editors and CI tools read::

    deals/julie.yaml:3:7: error: <the message>

The command line catches :class:`ApportError` in one place, prints it and
exits non-zero: a user never sees a Python traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .messages import render

if TYPE_CHECKING:
    from .diagnostics import Diagnostic


def location(file: str | None, line: int | None = None, column: int | None = None) -> str:
    """``file``, ``file:line`` or ``file:line:col`` (empty when nothing is known)."""
    if not file:
        return ""
    if line:
        return f"{file}:{line}:{column}" if column else f"{file}:{line}"
    return file


class ApportError(Exception):
    """Base of every error the library raises on purpose.

    Raised when something a user wrote or asked for cannot be done. Its
    ``str()`` is a complete, located message; ``code`` and ``params`` say
    the same to a program.
    """

    def __init__(self, code: str, params: Mapping[str, Any] | None = None, *,
                 file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        self.file = file
        self.line = line
        self.column = column
        super().__init__(code)

    @property
    def message(self) -> str:
        """The message alone, in the current language."""
        return self.text()

    def text(self, lang: str | None = None) -> str:
        """The message alone, without location or severity, in ``lang``."""
        from .diagnostics import printable

        return printable(render(self.code, self.params, lang))

    def render(self, lang: str | None = None) -> str:
        from .diagnostics import printable

        where = location(printable(self.file) if self.file else None, self.line, self.column)
        return f"{where + ': ' if where else ''}error: {self.text(lang)}"

    def __str__(self) -> str:
        return self.render()


class DealError(ApportError):
    """Raised when a deal file is invalid; carries every diagnostic of it."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(first.code if first else "deal-invalid",
                         first.params if first else {},
                         file=first.file if first else None)

    def render(self, lang: str | None = None) -> str:
        return "\n".join(d.render(lang) for d in self.diagnostics)


class ConfigError(ApportError):
    """Raised when a workspace's ``apport.toml`` cannot be read or names a wrong value."""


class ClauseError(ApportError):
    """Raised when a clause file cannot be read, selected or rendered.

    ``file`` names the clause file (or the library folder) and, where known,
    ``line`` its line.
    """

    def __init__(self, file: str, code: str, params: Mapping[str, Any] | None = None,
                 line: int | None = None) -> None:
        super().__init__(code, params, file=file, line=line)


class TemplateError(ApportError):
    """Raised when a Word template cannot be read, compiled or rendered."""

    def __init__(self, file: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code, params, file=file)


class OutputError(ApportError):
    """Raised when an output file or folder cannot be written (``file`` names it)."""

    def __init__(self, file: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code, params, file=file)


class PdfError(ApportError):
    """Raised when LibreOffice is missing or a conversion fails."""


class RedlineError(ApportError):
    """Raised when a document cannot be compared: not a Word file, or already under review.

    ``file`` names the document (its path, or the name the caller gave for bytes).
    """

    def __init__(self, file: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code, params, file=file)


class WizardError(ApportError):
    """Raised when the wizard cannot turn the answers into a deal that reads back.

    It means a bug in the wizard (the answers were each valid), never a user error.
    """


class ServeError(ApportError):
    """Raised when the page cannot be served (no workspace, the port taken)."""
