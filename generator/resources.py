"""Where the built-in clause library and Word templates live.

In an installed wheel they are inside the package (``generator/clauses``,
``generator/templates``); in a source checkout they are the top-level
``clauses/`` and ``templates/`` folders beside the package.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
CLAUSE_SUFFIX = ".md"


def _data(name: str) -> Path:
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def clauses_dir() -> Path:
    """The built-in clause library (contract clauses; offer sections in ``offre/``, the
    client notice's in ``client/``)."""
    return _data("clauses")


def templates_dir() -> Path:
    """The built-in Word templates (``contrat.docx``, ``offre.docx``, ``client.docx``)."""
    return _data("templates")


def samples_dir() -> Path:
    """The sample deals (one is copied into a new workspace)."""
    return _data("samples")


def guide_file() -> Path:
    """The users' guide, in French (a copy goes into each new workspace)."""
    return _data("docs") / "guide.md"


def schema_file() -> Path:
    """The committed JSON Schema of the deal format."""
    return _data("schema") / "deal.schema.json"


def library_root(folder: str | Path) -> tuple[Path, Path | None]:
    """A clause folder as given, or the root of an exported library or of a workspace.

    ``apport clauses --export DIR`` writes ``DIR/clauses`` and ``DIR/templates``;
    wherever a clause folder is expected, ``DIR`` itself is accepted too.

    Returns:
        The clause folder, and the root's ``templates`` folder when ``folder`` is
        such a root and has one (else None).
    """
    folder = Path(folder)
    inner = folder / "clauses"
    if inner.is_dir() and not any(folder.glob(f"*{CLAUSE_SUFFIX}")):
        templates = folder / "templates"
        return inner, templates if templates.is_dir() else None
    return folder, None


OFFER_SUBDIR = "offre"
CLIENT_SUBDIR = "client"
CONTRACT_TEMPLATE = "contrat.docx"
OFFER_TEMPLATE = "offre.docx"
CLIENT_TEMPLATE = "client.docx"


@functools.cache
def tool_version() -> str:
    """apport's version, as documents and manifests record it."""
    from . import __version__

    return str(__version__)
