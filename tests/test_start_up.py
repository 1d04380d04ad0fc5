"""What the start of a one-deal build or a validation loads (issue 15: a one-deal build in a
quarter second): modules that only rarer paths need wait for them.

Each module named here was imported by every such command before; the time each cost is
in benchmarks/README.md ("Issue 15 in detail").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JULIE = ROOT / "samples" / "julie-atelier-bois.yaml"

# importlib.metadata (with email): pydantic's plugin search, turned off by the command;
# difflib: "did you mean" suggestions, on errors (click imports it as it parses a short
# option such as -o); json: validate's --format json (a build's manifest reads JSON).
RARE = ("email", "importlib.metadata")

_COMMAND = r"""
import sys
from generator.cli import main
rare = sys.argv.pop().split(",")
sys.argv[0] = "apport"
try:
    main()
except SystemExit as e:
    assert e.code == 0, e.code
print(sorted(name for name in sys.modules if name.partition(".")[0] in rare
             or name in rare))
"""


def _loaded(*args: str, rare: tuple[str, ...] = RARE) -> str:
    done = subprocess.run([sys.executable, "-c", _COMMAND, *args, ",".join(rare)],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "APPORT_NO_CACHE": "1"})
    return done.stdout.strip().splitlines()[-1]


def test_a_one_deal_build_loads_no_module_of_rarer_paths(tmp_path: Path) -> None:
    assert _loaded("build", str(JULIE), "-o", str(tmp_path / "out")) == "[]"


def test_a_validation_loads_no_module_of_rarer_paths() -> None:
    assert _loaded("validate", str(JULIE), rare=(*RARE, "difflib", "json")) == "[]"
