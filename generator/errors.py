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

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .messages import render

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

# Characters a message must not carry through to a terminal or a log: C0 and C1
# controls (escape sequences, line breaks that would split the one-line form), line
# separators, and surrogates (a lone one cannot even be encoded). Keys, values and
# file names quoted from what a user wrote may hold any of them.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every unprintable character written as ``\\uXXXX``."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def location(file: str | None, line: int | None = None, column: int | None = None) -> str:
    """``file``, ``file:line`` or ``file:line:col`` (empty when nothing is known)."""
    if not file:
        return ""
    if line:
        return f"{file}:{line}:{column}" if column else f"{file}:{line}"
    return file


class Worded:
    """A problem that words itself from its ``code`` and ``params``, located.

    The one piece of code behind :class:`ApportError` and
    :class:`~generator.diagnostics.Diagnostic`: the message alone in a language,
    and the one-line form ``file:line:col: severity: path: message``.
    """

    code: str
    params: Mapping[str, Any]
    severity: str

    def _where(self) -> tuple[str | None, int | None, int | None, str]:
        """File, line, column and field path (``None``/``""`` where unknown)."""
        raise NotImplementedError

    @property
    def message(self) -> str:
        """The message alone, in the current language (see
        :func:`generator.messages.language`)."""
        return self.text()

    def text(self, lang: str | None = None) -> str:
        """The message alone, without location or severity, in ``lang``."""
        return printable(render(self.code, self.params, lang))

    def render(self, lang: str | None = None) -> str:
        """The located line, in ``lang``."""
        file, line, column, path = self._where()
        where = location(printable(file) if file else None, line, column)
        field = f"{printable(path)}: " if path else ""
        return f"{where + ': ' if where else ''}{self.severity}: {field}{self.text(lang)}"

    def __str__(self) -> str:
        return self.render()


class ApportError(Worded, Exception):
    """Base of every error the library raises on purpose.

    Raised when something a user wrote or asked for cannot be done. Its
    ``str()`` is a complete, located message; ``code`` and ``params`` say
    the same to a program.
    """

    severity = "error"

    def __init__(self, code: str, params: Mapping[str, Any] | None = None, *,
                 file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        self.file = file
        self.line = line
        self.column = column
        super().__init__(code)

    def _where(self) -> tuple[str | None, int | None, int | None, str]:
        return self.file, self.line, self.column, ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses a worker's pipe whole (code, params, location), whatever the subclass's
        # own __init__ takes.
        return _rebuilt, (type(self), self.__dict__)


def _rebuilt(cls: type[ApportError], state: dict[str, Any]) -> ApportError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("code"))
    error.__dict__.update(state)
    return error


class DealError(ApportError):
    """Raised when a deal file is invalid; carries every diagnostic of it."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        first = self.diagnostics[0]  # an invalid deal has at least one error
        super().__init__(first.code, first.params, file=first.file)

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
