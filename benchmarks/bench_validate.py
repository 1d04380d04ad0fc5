"""Benchmark of ``apport validate`` and of the command's start-up.

Run from the project root (the package installed)::

    python benchmarks/bench_validate.py            # 1,000 deal files
    python benchmarks/bench_validate.py --deals 200

Reports, in one Markdown table:

* ms per deal of parsing and validation, in-process (``check_file`` over
  every file, after a warm-up): the issue's aim is under 1 ms;
* the whole command ``apport validate DIR`` on those files, and its time
  beyond start-up (minus ``apport --version``) per deal;
* ``apport validate one.yaml`` against ``python -c "import click"`` (issue 15's
  target: at most 2.5x) and ``apport --help`` against it (at most 3x).

Start-up measures are medians of ``--runs`` alternating runs, wall time and
CPU time (user + system, from the children's rusage): the machine may be
shared, and CPU time moves less with its load than wall time does. Commands run
as installed: the package's byte-code written first, without
``PYTHONDONTWRITEBYTECODE`` (see ``installed.py``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import installed_env

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


def _fastest(command: list[str], runs: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True, env=env)
        best = min(best, time.perf_counter() - start)
    return best


def _once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _medians(commands: dict[str, list[str]], runs: int,
             env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command, run in alternating rounds."""
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            seen[name].append(_once(command, env))
    return {name: (statistics.median(w for w, _ in runs_),
                   statistics.median(c for _, c in runs_)) for name, runs_ in seen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=11, help="runs of each start-up measure")
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

        env = installed_env()  # byte-code written, as after pip install
        whole = _fastest([apport, "validate", str(folder)], 3, env)
        startup = _fastest([apport, "--version"], args.runs, env)
        start = _medians({"one": [apport, "validate", str(files[0])],
                          "click": [sys.executable, "-c", "import click"],
                          "help": [apport, "--help"]}, args.runs, env)
    (one, one_cpu), (click_time, click_cpu), (help_time, _) = (
        start["one"], start["click"], start["help"])

    print(f"| measure ({args.deals} deals) | value | target |")
    print("| --- | --- | --- |")
    print(f"| parse + validate per deal, in-process | {in_process:.2f} ms | < 1 ms |")
    print(f"| `apport validate DIR`, whole command | {whole:.2f} s | |")
    beyond = (whole - startup) / args.deals * 1000
    print(f"| beyond start-up, per deal | {beyond:.2f} ms | < 1 ms |")
    print(f"| `python -c \"import click\"`, median of {args.runs} | {click_time * 1000:.0f} ms "
          f"(CPU {click_cpu * 1000:.0f} ms) | |")
    print(f"| `apport validate one.yaml`, median of {args.runs} | {one * 1000:.0f} ms "
          f"(CPU {one_cpu * 1000:.0f} ms) | |")
    print(f"| ratio validate one.yaml / import click | {one / click_time:.2f}x "
          f"(CPU {one_cpu / click_cpu:.2f}x) | <= 2.5x |")
    print(f"| `apport --help` / import click | {help_time / click_time:.2f}x | <= 3x |")
    print(f"| load average (1 min) | {os.getloadavg()[0]:.2f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
