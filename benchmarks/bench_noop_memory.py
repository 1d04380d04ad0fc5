"""Peak memory of a no-op rebuild at large sizes, without building every deal.

    python benchmarks/bench_noop_memory.py 1000 5000 20000

Builds 1,000 generated deals once (``bench_build.make_deals``, ``-j 2``), then for
each size N makes a folder of N deals and their output by hard links to those
(``deal-00000.yaml`` ... : the same bytes under new names) with a manifest
listing them (written by apport's own writer), and runs ``apport build DIR -o
OUT -j 2`` three times with nothing to do, two seconds apart (the first reads
every document once to note its file status; a later one, going through the
deals with nothing to write, records the vouch of ``generator/vouch.py``, and
the one after answers from it): the last one's peak RSS (``ru_maxrss`` of a
fresh child), wall and CPU time are printed, and the second one's.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build as bench  # noqa: E402

from generator import manifest as m  # noqa: E402


def linked(base_deals: Path, base_out: Path, n: int, root: Path) -> tuple[Path, Path]:
    deals, out = root / f"deals-{n}", root / f"out-{n}"
    deals.mkdir()
    out.mkdir()
    base = m.Manifest.load(base_out)
    entries = {}
    for i in range(n):
        source, target = f"deal-{i % 1000:04d}", f"deal-{i:05d}"
        os.link(base_deals / f"{source}.yaml", deals / f"{target}.yaml")
        for kind in ("contrat", "offre", "client"):
            entry = base.entries[f"{source}.{kind}.docx"]
            os.link(base_out / f"{source}.{kind}.docx", out / f"{target}.{kind}.docx")
            entries[f"{target}.{kind}.docx"] = replace(
                entry, deal=str(deals / f"{target}.yaml"), deal_path=str(deals / f"{target}.yaml"),
                documents=tuple(d.replace(source, target) for d in entry.documents))
    with open(out / m.MANIFEST, "wb") as f:
        for block in m._blocks(m._manifest_lines(lambda: sorted(entries.items()))):
            f.write(block)
    return deals, out


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000]
    with tempfile.TemporaryDirectory(prefix="apport-noop-") as tmp:
        root = Path(tmp)
        base_deals = root / "base"
        bench.make_deals(base_deals, 1000)
        base_out = root / "base-out"
        bench.fresh_build(base_deals, base_out, "-j", "2")
        for n in sizes:
            deals, out = linked(base_deals, base_out, n, root)
            results = []
            for i in range(3):
                results.append(bench.run_command(bench.apport(deals, out, "-j", "2")))
                if i < 2:
                    time.sleep(2.2)  # file statuses are recorded once settled
            through, result = results[1], results[2]
            print(f"{n} deals: {result['maxrss_kib'] / 1024:.1f} MiB, wall {result['wall']:.2f} s,"
                  f" CPU {result['cpu']:.2f} s (the run before: "
                  f"{through['maxrss_kib'] / 1024:.1f} MiB, wall {through['wall']:.2f}"
                  f" s, CPU {through['cpu']:.2f} s)", flush=True)
            shutil.rmtree(deals)
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
