"""The condition the command rows measure: apport as installed, its byte-code written.

``pip install .`` compiles the package's modules to byte-code; an editable
install compiles them when first imported, unless ``PYTHONDONTWRITEBYTECODE``
is set (as in some CI and container images), and then every start compiles
apport's whole source again (about 100 ms of a one-deal build on the CI
machine). The benchmarks compile the package once and run the commands
without that variable.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path


def installed_env() -> dict[str, str]:
    """``os.environ`` without ``PYTHONDONTWRITEBYTECODE``, the package's byte-code written."""
    import generator

    compileall.compile_dir(Path(generator.__file__).parent, quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
