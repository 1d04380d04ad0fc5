"""Benchmark of ``apport validate`` and of the command's start-up.

Run from the project root (the package installed)::

    python benchmarks/bench_validate.py            # 1,000 deal files
    python benchmarks/bench_validate.py --deals 200

Reports, in one Markdown table:

* ms per deal of parsing and validation, in-process (``check_file`` over
  every file, after a warm-up): the issue's aim is under 1 ms;
* the whole command ``apport validate DIR`` on those files, and its time
  beyond start-up (minus ``apport --version``) per deal;
* ``apport --help`` against ``python -c "import click"`` (target: at most 3x),
  each the fastest of several runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


def _fastest(command: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7, help="runs of each start-up measure")
    args = parser.parse_args()

    from generator.deals import check_file

    apport = shutil.which("apport") or sys.exit("apport is not installed (pip install .)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        for i in range(args.deals):
            target = folder / f"deal-{i:04d}.yaml"
            shutil.copy(SAMPLES[i % len(SAMPLES)], target)
            files.append(target)
        for f in files[:20]:  # warm-up: imports, caches
            check_file(f)
        start = time.perf_counter()
        for f in files:
            check_file(f)
        in_process = (time.perf_counter() - start) / len(files) * 1000

        whole = _fastest([apport, "validate", str(folder)], 3)
        startup = _fastest([apport, "--version"], args.runs)
    help_time = _fastest([apport, "--help"], args.runs)
    click_time = _fastest([sys.executable, "-c", "import click"], args.runs)

    print(f"| measure ({args.deals} deals) | value | target |")
    print("| --- | --- | --- |")
    print(f"| parse + validate per deal, in-process | {in_process:.2f} ms | < 1 ms |")
    print(f"| `apport validate DIR`, whole command | {whole:.2f} s | |")
    beyond = (whole - startup) / args.deals * 1000
    print(f"| beyond start-up, per deal | {beyond:.2f} ms | < 1 ms |")
    print(f"| `apport --help` | {help_time * 1000:.0f} ms | |")
    print(f"| `python -c \"import click\"` | {click_time * 1000:.0f} ms | |")
    print(f"| ratio | {help_time / click_time:.2f}x | <= 3x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
