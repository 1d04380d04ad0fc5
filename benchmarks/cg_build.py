"""A build of N generated deals at ``-j 1`` after a warm-up: the program to count under
callgrind (see README.md here). Every budget is raised: valgrind runs about 50 times
slower, which would trip the processor-time limit of a worker.

    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=cg.%p \\
        python benchmarks/cg_build.py 40
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_build as bb  # noqa: E402

from generator import workers  # noqa: E402
from generator.build import Sources, build  # noqa: E402


def main() -> None:
    n = int(sys.argv[1])
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    workers.Limits.__init__.__defaults__ = (500, 8 * workers.MEMORY_BYTES, 3000.0)
    tmp = Path(tempfile.mkdtemp(prefix="apport-cg-"))
    try:
        bb.make_deals(tmp / "warm", 4, seed=99)
        bb.make_deals(tmp / "deals", n)
        sources = Sources(clauses=bb.CLAUSES, templates=bb.TEMPLATES)
        build([tmp / "warm"], tmp / "warm-out", sources=sources, jobs=jobs)
        report = build([tmp / "deals"], tmp / "out", sources=sources, jobs=jobs)
        assert report.ok and report.count("built") == len(report.documents), report.summary
        print("built", len(report.documents))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
