"""apport: business-introducer contracts and offer sheets from a deal file.

The public API is imported lazily so that ``apport --help`` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ApportError",
    "CheckedDeal",
    "DealError",
    "Diagnostic",
    "__version__",
    "check_file",
    "load_deal",
]

_LAZY = {
    "ApportError": "diagnostics",
    "DealError": "diagnostics",
    "Diagnostic": "diagnostics",
    "CheckedDeal": "deals",
    "check_file": "deals",
    "load_deal": "deals",
}

if TYPE_CHECKING:
    from .deals import CheckedDeal, check_file, load_deal
    from .diagnostics import ApportError, DealError, Diagnostic


# The package's version, as the package's metadata states it (pyproject.toml reads it
# here): a constant, since importing importlib.metadata to look it up cost about 20 ms
# at every command that builds (each document records the version).
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
