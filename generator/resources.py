"""Where the built-in clause library and Word templates live.

In an installed wheel they are inside the package (``generator/clauses``,
``generator/templates``); in a source checkout they are the top-level
``clauses/`` and ``templates/`` folders beside the package.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


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


def schema_file() -> Path:
    """The committed JSON Schema of the deal format."""
    return _data("schema") / "deal.schema.json"


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
