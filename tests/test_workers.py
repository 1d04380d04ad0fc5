"""Worker processes under OS budgets (issue 12, finding 11 and the OS-budget acceptance).

The clause time limit (SIGALRM) cannot stop a loop in C, nor a huge
allocation: the worker processes of :mod:`generator.workers` run under
RLIMIT_CPU and RLIMIT_AS with a wall clock in the parent, so such a task
fails alone, with a located message, and the others complete.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import workers
from generator.cli import cli
from generator.resources import clauses_dir, templates_dir
from generator.workers import Limits, Stopped, doing, run

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

pytestmark = pytest.mark.skipif(not workers.enforced(), reason="no fork/resource here")


def results(fn, tasks, **options) -> dict[int, object]:
    out = dict(run(fn, tasks, **options))
    assert sorted(out) == list(range(len(tasks)))
    return out


def _c_loop(_task: object) -> int:
    """Finding 11's loop, in C: ignores signals; about 45 s of CPU."""
    return len(sum([[1] * 10000] * 2000, []))


def test_every_task_runs_in_a_worker_even_with_one_job() -> None:
    out = results(lambda n: (n * n, os.getpid()), list(range(20)), jobs=1)
    assert [out[i][0] for i in range(20)] == [n * n for n in range(20)]
    assert {pid for _, pid in out.values()} != {os.getpid()}


def test_a_loop_in_c_is_stopped_by_the_cpu_limit_and_the_others_go_on() -> None:
    def task(n: int) -> int:
        if n == 1:
            doing("clauses/evil.md")
            return _c_loop(n)
        return n

    start = time.monotonic()
    out = results(task, [0, 1, 2, 3], jobs=1, limits=Limits(cpu_seconds=1))
    assert time.monotonic() - start < 30
    assert out[0] == 0 and out[2] == 2 and out[3] == 3
    stopped = out[1]
    assert isinstance(stopped, Stopped)
    assert "used more than 1 s of processor time" in str(stopped.reason)
    assert str(stopped.message("deals/x.yaml")) == (
        "clauses/evil.md: error: the render was stopped: it used more than 1 s of processor "
        "time (while rendering deals/x.yaml)")
    assert stopped.message("deals/x.yaml").render("fr") == (
        "clauses/evil.md: error: le rendu a été arrêté : il a utilisé plus de 1 s de temps "
        "processeur (pendant le rendu de deals/x.yaml)")


def test_a_huge_allocation_fails_within_the_memory_budget() -> None:
    def task(n: int) -> int:
        if n == 0:
            return len(bytearray(3 * 1024 ** 3))  # 3 GiB
        return n

    out = results(task, [0, 1], jobs=2, limits=Limits(memory_bytes=256 * 1024 ** 2))
    assert isinstance(out[0], Stopped) and "needed more than 256 MiB" in str(out[0].reason)
    assert out[1] == 1
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1024 * 1024  # KiB: 1 GiB


def test_a_task_past_the_wall_clock_is_killed() -> None:
    out = results(lambda n: time.sleep(60) if n == 0 else n, [0, 1, 2], jobs=2,
                  limits=Limits(wall_seconds=1))
    assert isinstance(out[0], Stopped) and "took more than 1 s" in str(out[0].reason)
    assert out[1] == 1 and out[2] == 2


def test_a_worker_that_dies_is_replaced() -> None:
    def task(n: int) -> int:
        if n == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        if n == 4:
            os._exit(3)
        return n

    out = results(task, list(range(8)), jobs=2)
    assert [out[i] for i in (0, 2, 3, 5, 6, 7)] == [0, 2, 3, 5, 6, 7]
    assert isinstance(out[1], Stopped) and "ended on signal SIGTERM" in str(out[1].reason)
    assert isinstance(out[4], Stopped) and "exit status 3" in str(out[4].reason)


def test_an_exception_is_reported_for_its_task_only() -> None:
    out = results(lambda n: 1 // n, [0, 1], jobs=1)
    assert isinstance(out[0], Stopped) and "internal error (ZeroDivisionError" in str(out[0].reason)
    assert out[1] == 1


def _cycles_collected() -> tuple[bool, int]:
    import gc
    import weakref

    class Node:
        pass

    first = Node()
    first.me = first  # type: ignore[attr-defined]
    ref = weakref.ref(first)
    del first
    for _ in range(50_000):  # more cyclic garbage than a collection waits for
        node = Node()
        node.me = node  # type: ignore[attr-defined]
    return ref() is None, gc.get_threshold()[0]


def test_a_worker_collects_cyclic_garbage_every_10_000_allocations() -> None:
    # the apport command runs without the collector; its workers with it, less often
    # than Python's default (700): a render leaves few cycles, collecting cost 5 % of a deal
    assert workers.call(_cycles_collected) == (True, 10_000)


@pytest.mark.slow  # burns its CPU second like the loop in C above, which stays quick
def test_call_runs_one_function_under_the_limits() -> None:
    assert workers.call(lambda: os.getpid()) != os.getpid()
    stopped = workers.call(lambda: _c_loop(None), limits=Limits(cpu_seconds=1))
    assert isinstance(stopped, Stopped)


def _sockets_held() -> list[int]:
    """The inodes of the sockets this process holds (its file descriptors, from /proc)."""
    held = []
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            st = os.stat(f"/proc/self/fd/{name}")
            if stat.S_ISSOCK(st.st_mode):
                held.append(st.st_ino)
    return held


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux: /proc")
@pytest.mark.parametrize("how", ["resident", "call"])
def test_a_worker_lets_go_of_the_sockets_it_inherited(how: str) -> None:
    """``apport serve`` forks its preview worker with the browser's connections open: a
    connection the server then closed stayed open in the worker, so the browser sent
    its next request (the page's Enregistrer) there and waited for ever."""
    server_side, browser_side = socket.socketpair()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    inherited = {os.fstat(s.fileno()).st_ino for s in (server_side, listening)}
    resident = workers.Resident()
    try:
        held = resident.call(_held, None) if how == "resident" else workers.call(_sockets_held)
        assert not isinstance(held, Stopped), held
        assert inherited.isdisjoint(held)
        assert held  # (its own end of the pipe to us: kept)
        # the server closes its end while the resident worker lives on: the browser sees
        # the connection closed, now, as it must
        server_side.close()
        browser_side.settimeout(5)
        assert browser_side.recv(1) == b""
    finally:
        resident.close()
        for s in (server_side, browser_side, listening):
            s.close()


def _held(_task: object) -> list[int]:
    return _sockets_held()


# --- the build: a runaway clause or template fails its deal, the others are written -----------


def _library(tmp_path: Path) -> tuple[Path, Path]:
    clauses = tmp_path / "lib" / "clauses"
    templates = tmp_path / "lib" / "templates"
    shutil.copytree(clauses_dir(), clauses)
    shutil.copytree(templates_dir(), templates)
    deals = tmp_path / "deals"
    deals.mkdir()
    for name in ("julie-atelier-bois", "cabinet-conseil-succes", "essai-seulement"):
        shutil.copy(SAMPLES / f"{name}.yaml", deals / f"{name}.yaml")
    return clauses, templates


def _build(tmp_path: Path) -> tuple[int, str]:
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(cli, ["build", "deals", "-o", "out", "--clauses", "lib/clauses",
                                     "--templates", "lib/templates", "-j", "1"])
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def _assert_the_others_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for stem in ("cabinet-conseil-succes", "essai-seulement"):
        assert (out / f"{stem}.contrat.docx").is_file()
        assert (out / f"{stem}.offre.docx").is_file()
    assert not (out / "julie-atelier-bois.contrat.docx").exists()


# Only julie's deal (AA-2026-014) meets the runaway.
JULIE = "reference == 'AA-2026-014'"


def test_finding_11_the_sum_of_lists_fails_its_deal_at_once(tmp_path: Path) -> None:
    clauses, _ = _library(tmp_path)
    (clauses / "995-evil.md").write_text(
        f"---\nid: evil\nversion: 1\ntitle: Mal\nwhen: {JULIE}\n---\n"
        "{{ ([[1]*10000]*2000)|sum(start=[])|length }}\n", encoding="utf-8")
    start = time.monotonic()
    code, output = _build(tmp_path)
    assert time.monotonic() - start < 60
    assert code == 1
    assert "lib/clauses/995-evil.md:7: error: refused by the sandbox" in output, output
    _assert_the_others_written(tmp_path)


def _comparison_in_c(n: int) -> str:
    """A clause comparing two equal lists of 2000 x 2000 x 10000 items: tens of billions
    of comparisons in C, which no sandbox check sees (every value is small)."""
    def nested(name: str, inner: str) -> str:
        return f"{{% set {name} = [" + ", ".join([inner] * n) + "] %}"

    return ("{% set a = [1] * 10000 %}{% set b = [1] * 10000 %}"
            + nested("c", "a") + nested("d", "b") + nested("e", "c") + nested("f", "d")
            + "{{ e == f }}\n")


@pytest.mark.slow
def test_a_loop_in_c_in_a_clause_fails_its_deal_under_the_os_limits(tmp_path: Path) -> None:
    clauses, _ = _library(tmp_path)
    (clauses / "995-evil.md").write_text(
        f"---\nid: evil\nversion: 1\ntitle: Mal\nwhen: {JULIE}\n---\n{_comparison_in_c(2000)}",
        encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    code, output = _build(tmp_path)
    elapsed = time.monotonic() - start
    assert elapsed < 30, elapsed
    assert code == 1
    assert ("lib/clauses/995-evil.md: error: the render was stopped: it used more than "
            f"{workers.CPU_SECONDS} s of processor time") in output, output
    _assert_the_others_written(tmp_path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert after.ru_maxrss < 1024 * 1024, after.ru_maxrss  # KiB: under 1 GiB
    assert after.ru_utime - before.ru_utime < 30


@pytest.mark.slow
def test_nested_loops_in_a_word_template_fail_their_deal(tmp_path: Path) -> None:
    from test_hostile import _template_with_text

    _, templates = _library(tmp_path)
    template = templates / "contrat.docx"
    template.write_bytes(_template_with_text(
        "{% if reference == 'AA-2026-014' %}{% for a in 'x' * 99999 %}{% for b in 'x' * 99999 %}"
        "{% endfor %}{% endfor %}{% endif %}", template))
    start = time.monotonic()
    code, output = _build(tmp_path)
    assert time.monotonic() - start < 30
    assert code == 1
    assert "lib/templates/contrat.docx: error: " in output, output
    assert "took more than" in output or "processor time" in output, output
    _assert_the_others_written(tmp_path)
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1024 * 1024



_LOADED_BEFORE_FORK = r"""
import sys
from pathlib import Path
from generator import build as b
from generator.deals import check_file
from generator.web import outputs

wanted = ("pydantic", "babel.numbers", "num2words.lang_FR", "generator.contract", "generator.offer",
          "generator.notice", "generator.deals")


def checking(original):
    def run(*args):
        missing = [m for m in wanted if m not in sys.modules]
        if missing:
            raise RuntimeError("imported in the worker: " + " ".join(missing))
        return original(*args)
    return run


if sys.argv[3] == "build":
    b._run_deal = checking(b._run_deal)
    report = b.build([sys.argv[1]], sys.argv[2], jobs=1)
    print("\n".join(report.failures) or "ok")
else:  # apport serve's preview; check_file is called in the server, before
    checked = check_file(Path(sys.argv[1]))
    outputs._preview = checking(outputs._preview)
    html = outputs.preview_html(checked, "contrat", b.Sources.default())
    print("ok" if "<h1>" in html else html[:200])
"""


@pytest.mark.parametrize("where", ["build", "preview"])
def test_workers_start_with_what_rendering_needs(tmp_path: Path, where: str) -> None:
    """The parent loads the deal model and the documents' modules (babel's and num2words'
    French data included) before it forks: each worker of each build, and each preview of
    ``apport serve``, used to import them again (about a third of a 100-deal build's CPU
    time, half of a preview's; issue 15)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _LOADED_BEFORE_FORK,
                           str(SAMPLES / "julie-atelier-bois.yaml"), str(tmp_path / "out"), where],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stdout + done.stderr


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _runaway(n: int) -> int:
    if n < 0:
        doing("clauses/evil.md")
        return _c_loop(n)
    if n == 0:
        time.sleep(60)
    return n


def test_a_resident_worker_serves_call_after_call() -> None:
    """``apport serve``'s previews: one worker for many calls, not a fork per call."""
    resident = workers.Resident()
    try:
        first, second = resident.call(_pid_and_square, 3), resident.call(_pid_and_square, 4)
        assert first[1] == 9 and second[1] == 16
        assert first[0] == second[0] != os.getpid()
    finally:
        resident.close()


def test_a_runaway_call_stops_its_resident_worker_only() -> None:
    """A call past its processor time or its wall clock is Stopped, naming the file; the
    next call gets a new worker, each call with a whole budget of its own."""
    resident = workers.Resident(Limits(cpu_seconds=1))
    try:
        pid, _ = resident.call(_pid_and_square, 2)
        stopped = resident.call(_runaway, -1)
        assert isinstance(stopped, Stopped) and stopped.doing == "clauses/evil.md"
        assert "processor time" in str(stopped.reason)
        again, square = resident.call(_pid_and_square, 5)
        assert square == 25 and again != pid
    finally:
        resident.close()
    resident = workers.Resident(Limits(wall_seconds=2))
    try:
        late = resident.call(_runaway, 0)
        assert isinstance(late, Stopped) and "took more than 2 s" in str(late.reason)
        assert resident.call(_runaway, 7) == 7
    finally:
        resident.close()


def _square_in(n: int) -> tuple[int, int]:
    if n == -1:
        doing("clauses/evil.md")
        return _c_loop(n)
    return os.getpid(), n * n


def test_kept_workers_serve_the_next_run_under_the_same_budgets() -> None:
    """Within ``kept()``, a run's workers take the next run of the same function (no fork
    per build in a process that builds again and again); each task keeps its budget, a
    worker that blows one is replaced, and the workers end with the block."""
    with workers.kept():
        first = results(_square_in, [1, 2, 3], jobs=1)
        second = results(_square_in, [4, -1, 5], jobs=1, limits=Limits(cpu_seconds=1))
        third = results(_square_in, [6, 7], jobs=1, limits=Limits(cpu_seconds=1))
        fourth = results(_square_in, [8], jobs=1, limits=Limits(cpu_seconds=1))
        pids = {pid for pid, _ in first.values()}
        assert len(pids) == 1 and pids != {os.getpid()}
        assert [v for _, v in first.values()] == [1, 4, 9]
        assert isinstance(second[1], Stopped) and second[1].doing == "clauses/evil.md"
        assert second[0][1] == 16 and second[2][1] == 25
        assert third[0][1] == 36 and fourth[0][0] == third[0][0] == third[1][0]
        kept_pid = fourth[0][0]
    assert results(_square_in, [9], jobs=1)[0][0] != kept_pid
    with pytest.raises(ProcessLookupError):
        os.kill(kept_pid, 0)


def test_builds_with_kept_workers_write_the_same_bytes(tmp_path: Path) -> None:
    from generator.build import build

    plain = build([SAMPLES], tmp_path / "plain", jobs=1)
    with workers.kept():
        first = build([SAMPLES], tmp_path / "first", jobs=1)
        second = build([SAMPLES], tmp_path / "second", jobs=2, force=True)
        again = build([SAMPLES], tmp_path / "first", jobs=1, force=True)
    assert plain.ok and first.ok and second.ok and again.ok
    names = sorted(p.name for p in (tmp_path / "plain").glob("*.docx"))
    assert names and names == sorted(p.name for p in (tmp_path / "second").glob("*.docx"))
    for name in names:
        data = (tmp_path / "plain" / name).read_bytes()
        assert (tmp_path / "first" / name).read_bytes() == data
        assert (tmp_path / "second" / name).read_bytes() == data


def test_a_worker_given_its_last_tasks_ends_with_them_while_the_caller_takes_the_results(
) -> None:
    """Told that no more work comes as soon as its last batch is sent, a worker ends
    after its last task by itself: its exit overlaps the caller's use of the results
    (a one-deal build waited 3 to 4 ms for it afterwards)."""
    import multiprocessing

    ended = False
    for _index, value in run(lambda n: n * 2, [1, 2, 3], jobs=1):
        if value != 6:
            continue
        deadline = time.monotonic() + 10
        while multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.01)
        ended = not multiprocessing.active_children()
    assert ended


def _exits_on_0(n: int) -> int:
    if n == 0:
        os._exit(3)  # the other tasks sent to its worker go back to the queue
    return n


def test_the_tasks_of_a_worker_that_dies_after_the_others_were_told_to_end_are_done(
) -> None:
    out = results(_exits_on_0, list(range(6)), jobs=2)
    assert isinstance(out[0], Stopped) and [out[i] for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_a_worker_dead_before_its_next_batch_is_sent_is_replaced_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its pipe is broken then: found by the build, before, as an exception out of run()
    (a traceback), now as the worker's end (its task stopped, the others done)."""
    real_send = workers._Worker.send
    waited: list[bool] = []

    def send(self, indexes, tasks):  # noqa: ANN001, ANN202
        if indexes == [1] and not waited:  # after [0], which ends the worker: too late
            waited.append(True)
            self.process.join(10)
        real_send(self, indexes, tasks)

    monkeypatch.setattr(workers._Worker, "send", send)
    out = results(_exits_on_0, list(range(4)), jobs=1)
    assert isinstance(out[0], Stopped) and "exit status 3" in str(out[0].reason)
    assert [out[i] for i in (1, 2, 3)] == [1, 2, 3]
