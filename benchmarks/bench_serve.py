"""Benchmark of ``apport serve``: start-up, a validation round trip, a preview refresh.

Run from the project root (the package installed)::

    python benchmarks/bench_serve.py             # 30 rounds of each
    python benchmarks/bench_serve.py --rounds 100

Everything goes through a real server on 127.0.0.1 (``apport serve --port 0
--no-browser`` in a fresh process) and real HTTP requests, as the page sends
them, on the ``julie-atelier-bois`` sample in a fresh workspace:

* start-up: from launching the command to the first answer of ``GET /``;
* validation round trip: ``POST /ui/form`` (the form's fields -> the YAML
  text, validation, messages by field), as the page sends it on each pause
  in typing; and ``POST /api/validate`` on the deal's text;
* preview refresh: ``POST /ui/preview/KIND`` for each kind of document.

Medians and 90th percentiles of the wall time are printed in one Markdown
table with the issue's aims (20 ms, 150 ms, 1.5 s), beside the CPU time the
server and its preview worker spent per request (read from /proc: on a
machine shared with other jobs, wall times grow with the load and CPU times
do not). Measured, not
asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _start(root: Path) -> tuple[subprocess.Popen[str], int, str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(root), "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    url = line.removeprefix("apport serve: ")
    port = int(url.split(":")[2].split("/")[0])
    token = url.split("token=")[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    return process, port, token, time.perf_counter() - started


def _connect(port: int) -> http.client.HTTPConnection:
    """A connection that sends small requests at once, as browsers do (no Nagle delay)."""
    import socket

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _stat(path: Path) -> list[str]:
    return path.read_text().rsplit(")", 1)[1].split()


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its workers have used so far (Linux
    /proc): its own, its children's that ended, and those of its children still running
    (the previews' resident worker)."""
    fields = _stat(Path(f"/proc/{pid}/stat"))
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            child = _stat(stat)
        except (OSError, IndexError):
            continue
        if int(child[1]) == pid:
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _timed(connection: http.client.HTTPConnection, token: str, method: str, url: str,
           body: bytes, rounds: int, pid: int) -> tuple[list[float], float]:
    """Wall times of ``rounds`` requests, and the server's CPU time per request."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    times = []
    cpu = 0.0
    for i in range(rounds + 3):  # three warm-up requests
        if i == 3:
            cpu = _cpu(pid)
        start = time.perf_counter()
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (url, response.status)
        times.append(time.perf_counter() - start)
    return times[3:], (_cpu(pid) - cpu) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    from generator.loading import load_file
    from generator.web.form import values_from_data
    from generator.web.outputs import kinds
    from generator.workspace import init

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init(root)
        deal = ROOT / "samples" / "julie-atelier-bois.yaml"
        text = deal.read_bytes()
        fields = json.dumps({"fields": values_from_data(load_file(deal).data)}).encode()
        startups, startup_cpu = [], []
        for _ in range(3):
            process, port, token, seconds = _start(root)
            startups.append(seconds)
            startup_cpu.append(_cpu(process.pid))
            if len(startups) < 3:
                process.terminate()
                process.wait()
        try:
            connection = _connect(port)
            measures = [
                ("validation round trip: POST /ui/form (the page, as she types)",
                 *_timed(connection, token, "POST", "/ui/form?name=julie", fields, args.rounds,
                         process.pid), 0.020),
                ("validation round trip: POST /api/validate",
                 *_timed(connection, token, "POST", "/api/validate", text, args.rounds,
                         process.pid), 0.020),
            ]
            for kind in kinds():
                measures.append((f"preview refresh: POST /ui/preview/{kind}",
                                 *_timed(connection, token, "POST",
                                         f"/ui/preview/{kind}?name=julie", text, args.rounds,
                                         process.pid), 0.150))
        finally:
            process.terminate()
            process.wait()
        rows.append(("start-up: command launched -> first page served",
                     f"{min(startups) * 1000:.0f} ms (best of 3)",
                     f"{max(startups) * 1000:.0f} ms (worst)",
                     f"{min(startup_cpu) * 1000:.0f} ms", "< 1500 ms"))
        for label, times, cpu, aim in measures:
            times.sort()
            p90 = times[int(len(times) * 0.9) - 1]
            rows.append((label, f"{statistics.median(times) * 1000:.1f} ms",
                         f"{p90 * 1000:.1f} ms", f"{cpu * 1000:.1f} ms",
                         f"< {aim * 1000:.0f} ms"))
    print("| measure | wall, median | wall, p90 | server + worker CPU | aim |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{args.rounds} rounds; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
