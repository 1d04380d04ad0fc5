"""Worker processes under budgets the operating system enforces.

Clause files and Word templates are shared files, and a hostile or mistaken
one can make a render run away in ways Python cannot stop from inside: a
loop in C (``sum`` of long lists, a comparison of huge nested lists) ignores
signals, and an allocation of gigabytes happens before any check can run.
So every render runs in a forked worker process, even with ``-j 1``:

* ``RLIMIT_CPU``: each task may use :data:`CPU_SECONDS` of processor time;
  past it the kernel ends the worker (``SIGXCPU``), C loop or not;
* ``RLIMIT_AS``: a worker may grow its address space by
  :data:`MEMORY_BYTES` beyond what it had when forked; past it an allocation
  fails (``MemoryError``) instead of filling the machine's memory;
* a wall clock in the parent: a task that takes longer than
  :data:`WALL_SECONDS` (blocked, or starved) has its worker killed.

A task stopped so is reported as :class:`Stopped`, naming the file the
worker was reading or rendering then (see :func:`doing`); its worker is
replaced and the other tasks go on. Workers end with the process that
started them (Linux), ignore Ctrl-C (the parent stops them) and leave no
core file.

These limits need ``fork`` and :mod:`resource` (Linux, macOS and other
Unix systems; ``RLIMIT_AS`` is not enforced by macOS). Elsewhere
(:func:`enforced` is false) tasks run in the calling process with only the
sandbox's own checks.
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import signal
import stat
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .messages import Msg
from .records import record

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

T = TypeVar("T")
R = TypeVar("R")

CPU_SECONDS = 5  # processor time one task may use
MEMORY_BYTES = 768 * 1024 * 1024  # address space a worker may add to what it had when forked
WALL_SECONDS = 30.0  # wall-clock time one task may take

_SLOT_SIZE = 1024  # bytes of the shared note saying what a worker is doing
_GC_YOUNG = 10_000  # allocations between two collections of a worker's young objects


@record(frozen=True)
class Limits:
    """The budgets of one task."""

    cpu_seconds: int = CPU_SECONDS
    memory_bytes: int = MEMORY_BYTES
    wall_seconds: float = WALL_SECONDS


@record(frozen=True)
class Stopped(Generic[T]):
    """A task its worker could not finish.

    Attributes:
        reason: why, as a message (``it used more than 5 s of processor time``).
        doing: the file the worker was reading or rendering then, if it said.
    """

    reason: Msg
    doing: str | None = None

    def message(self, subject: str) -> Diagnostic:
        """One located problem: ``FILE: error: REASON (while rendering SUBJECT)``."""
        from .diagnostics import Diagnostic

        where = self.doing or subject
        if self.doing and self.doing != subject:
            return Diagnostic(where, 0, 0, "", "error", "render-stopped-while",
                              {"reason": self.reason, "subject": subject})
        return Diagnostic(where, 0, 0, "", "error", "render-stopped", {"reason": self.reason})


def enforced() -> bool:
    """True when tasks run in worker processes under OS limits (fork and resource)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return hasattr(os, "fork") and sys.platform != "emscripten"


# --- inside a worker ---------------------------------------------------------------------------

_SLOT: mmap.mmap | None = None


def doing(what: str | None) -> None:
    """Say which file this process is reading or rendering now (cheap; outside a worker,
    nothing): when the worker is stopped, the parent names that file."""
    slot = _SLOT
    if slot is None:
        return
    data = (what or "").encode("utf-8", "replace")[:_SLOT_SIZE - 2]
    slot[0:2] = b"\0\0"
    slot[2:2 + len(data)] = data
    slot[0:2] = len(data).to_bytes(2, "little")


def _read_slot(slot: mmap.mmap) -> str | None:
    size = int.from_bytes(slot[0:2], "little")
    text = slot[2:2 + size].decode("utf-8", "replace")
    return text or None


def _die_with_parent() -> None:
    """A worker ends when the process that started it is killed (Linux), instead of
    finishing its queue alone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _address_space() -> int:
    """This process's address space now, in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * mmap.PAGESIZE
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(extra: int) -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    base = _address_space() or 256 * 1024 * 1024
    limit = base + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(seconds: int) -> None:
    """Allow ``seconds`` of processor time from now (RLIMIT_CPU counts from the start)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = int(usage.ru_utime + usage.ru_stime) + 1 + seconds
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))


def _start(slot: mmap.mmap, limits: Limits) -> None:
    """A worker's set-up: its note slot, its end with the parent, its memory budget."""
    global _SLOT
    import resource

    _SLOT = slot
    gc.enable()  # renders leave cyclic garbage (the apport command runs without the collector)
    # ... a little (about 11 objects a deal): collected every 10,000 allocations rather than
    # 700, whose collections (and the full ones they lead to, over the renders' caches)
    # took 5 % of a deal
    gc.set_threshold(_GC_YOUNG)
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file when a limit hits
    _limit_memory(limits.memory_bytes)


def _attempt(fn: Callable[[Any], Any], task: Any, limits: Limits) -> tuple[bool, Any]:
    """One task within its processor budget: ``(True, result)`` or ``(False, why not)``."""
    doing(None)
    _limit_cpu(limits.cpu_seconds)
    try:
        return True, fn(task)
    except MemoryError:
        return False, Msg("stopped-memory", {"mib": limits.memory_bytes // (1024 * 1024)})
    except Exception as e:  # a bug: reported for this task, the others go on
        last = traceback.extract_tb(e.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        return False, Msg("stopped-internal",
                          {"detail": f"{type(e).__name__}: {str(e)[:200]}{where}"})


def _send(conn: Any, index: Any, ok: bool, value: Any) -> None:
    try:
        conn.send((index, ok, value))
    except (MemoryError, ValueError, TypeError, AttributeError) as e:
        conn.send((index, False, Msg("stopped-unsendable", {"detail": str(e)})))


# Called when a worker is told to end (not when it is stopped), or after a run's tasks
# where they run in this process: e.g. the clauses' layouts kept for the next run.
_AT_END: list[Callable[[], None]] = []


def at_end(fn: Callable[[], None]) -> None:
    """Have ``fn`` called when a worker ends its work (once per worker; its exceptions
    ignored: it may keep a cache, never decide a result)."""
    if fn not in _AT_END:
        _AT_END.append(fn)


def _ended() -> None:
    for fn in _AT_END:
        with contextlib.suppress(Exception):
            fn()


def _let_go_of_sockets(keep: int) -> None:
    """A forked worker lets go of the sockets it inherited but ``keep`` (its own end of
    the pipe to the parent): ``apport serve``'s listening socket and the browser's
    connections above all. Held by a worker, a connection the server closed stayed open
    for the browser, which sent its next request there and waited for ever (the page's
    Enregistrer did nothing); and a worker that renders a hostile template has no use
    for them. Each is replaced by ``/dev/null`` rather than closed, so that its number
    is never taken by a file the worker opens. Linux only (``/proc``)."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        return
    null = -1
    try:
        for fd in fds:
            if fd == keep:
                continue
            try:
                if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                    continue
                if null < 0:
                    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
                os.dup2(null, fd)
            except OSError:
                continue
    finally:
        if null >= 0:
            os.close(null)


def _serve(conn: Any, fn: Callable[[Any], Any] | None, tasks: Sequence[Any] | None,
           limits: Limits, slot: mmap.mmap) -> None:
    """A worker's life: receive lists of task indexes, send back one result per task.
    A resident worker (``tasks`` None) receives ``(fn, task)`` pairs instead."""
    _let_go_of_sockets(conn.fileno())
    _start(slot, limits)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            break
        if batch is None:  # told to end: what it learnt is kept for the next run
            _ended()
            break
        if tasks is None:  # one call of a resident worker
            call_fn, task = batch
            _send(conn, 0, *_attempt(call_fn, task, limits))
            continue
        assert fn is not None
        for item in batch:  # an index of the tasks inherited, or (index, task) when kept
            index, task = item if isinstance(item, tuple) else (item, tasks[item])
            _send(conn, index, *_attempt(fn, task, limits))


# --- in the parent ------------------------------------------------------------------------------


class _Worker:
    def __init__(self, context: Any, fn: Callable[[Any], Any] | None,
                 tasks: Sequence[Any] | None, limits: Limits, kept: bool = False) -> None:
        self.kept = kept  # outlives its run (see kept()): its tasks are sent, not inherited
        self.slot = mmap.mmap(-1, _SLOT_SIZE)
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, fn, tasks, limits, self.slot),
                                       daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[int] = deque()  # task indexes sent, in order; the first is running
        self.since = time.monotonic()  # when the running task started
        self.timed_out = False
        self.ending = False  # told to end after the tasks sent

    def send(self, indexes: list[int], tasks: Sequence[Any]) -> None:
        if not self.queue:
            self.since = time.monotonic()
        self.queue.extend(indexes)
        # a worker dead before it could be told: its end is found by run() (the task it
        # was on reported stopped, these put back in the queue)
        with contextlib.suppress(OSError):
            self.conn.send([(i, tasks[i]) for i in indexes] if self.kept else indexes)

    def end(self) -> None:
        """Tell the worker to end once the tasks sent are done (its exit then overlaps
        the parent's handling of its last results)."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
            self.ending = True

    def stop(self, kill: bool) -> None:
        if kill and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.process.kill()
        elif not kill and not self.ending:
            # Said, not left to EOF: the forked worker holds a copy of our end of the pipe,
            # so closing it here never ends its recv() (each build waited 5 s per worker).
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
        with contextlib.suppress(OSError):
            self.conn.close()
        self.process.join(None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()
        self.slot.close()

    def reason(self, limits: Limits) -> Msg:
        code = self.process.exitcode
        if self.timed_out:
            return Msg("stopped-wall", {"seconds": float(limits.wall_seconds)})
        if code == -signal.SIGXCPU:
            return Msg("stopped-cpu", {"seconds": limits.cpu_seconds})
        if code == -signal.SIGKILL:
            return Msg("stopped-killed")
        if code is not None and code < 0:
            return Msg("stopped-signal", {"signal": signal.Signals(-code).name})
        return Msg("stopped-exit", {"status": code})


def run(fn: Callable[[T], R], tasks: Sequence[T], *, jobs: int | None = None,
        limits: Limits | None = None) -> Iterator[tuple[int, R | Stopped[T]]]:
    """Run ``fn`` on every task, in worker processes under ``limits``.

    Workers are forked, so ``fn`` and ``tasks`` are inherited, never pickled
    (only results travel back); whatever the caller loaded before (libraries,
    compiled templates) is shared.

    Args:
        fn: the work of one task; it may call :func:`doing` to say which file
            it is on. Its exceptions should be its own results: one that
            escapes becomes a :class:`Stopped` ("internal error").
        tasks: the tasks, in order.
        jobs: worker processes (default: the machine's cores); at least one.
        limits: the budgets of one task.

    Yields:
        ``(index, result)`` as tasks complete, in no particular order; the
        result is ``fn``'s, or a :class:`Stopped` saying why there is none.
    """
    if not tasks:
        return
    limits = limits or Limits()
    if not enforced():
        for index, task in enumerate(tasks):
            yield index, fn(task)
        _ended()
        return
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    count = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    # Small batches: fewer round trips, yet every worker stays busy to the end.
    size = max(1, min(8, len(tasks) // (count * 8)))
    pending: deque[int] = deque(range(len(tasks)))
    workers: list[_Worker] = []
    pool = _POOLS[-1] if _POOLS else None
    idle = _idle(pool, fn, limits)
    gc.freeze()  # forked workers share the parent's objects instead of copying them
    try:
        while idle and len(workers) < count:
            workers.append(idle.pop())
        workers += [_Worker(context, fn, tasks, limits, pool is not None)
                    for _ in range(count - len(workers))]
        while True:
            for worker in workers:  # keep two batches queued: no worker waits for work
                while pending and not worker.ending and len(worker.queue) < 2 * size:
                    worker.send([pending.popleft() for _ in range(min(size, len(pending)))],
                                tasks)
                if not pending and pool is None and not worker.ending:
                    worker.end()  # no more work for it: it ends as soon as its tasks are done
            busy = [w for w in workers if w.queue]
            if not busy:
                break
            now = time.monotonic()
            timeout = max(0.0, min(w.since + limits.wall_seconds for w in busy) - now)
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                             timeout))
            for worker in busy:
                dead = worker.process.sentinel in ready
                if worker.conn in ready or dead:
                    try:
                        while worker.queue and worker.conn.poll():
                            index, ok, value = worker.conn.recv()
                            worker.queue.popleft()
                            worker.since = time.monotonic()
                            yield index, value if ok else Stopped(value)
                    except (EOFError, OSError):
                        dead = True
                if not dead and worker.queue and (time.monotonic() - worker.since
                                                  > limits.wall_seconds):
                    worker.timed_out = True
                    worker.process.kill()
                    worker.process.join()
                    dead = True
                if dead:
                    worker.process.join()
                    lost = list(worker.queue)
                    doing_then = _read_slot(worker.slot)
                    reason = worker.reason(limits)
                    worker.stop(kill=True)
                    workers.remove(worker)
                    if lost:
                        pending.extendleft(reversed(lost[1:]))  # the others go on
                        yield lost[0], Stopped(reason, doing_then)
                    if pending:
                        workers.append(_Worker(context, fn, tasks, limits, pool is not None))
    finally:
        clean = sys.exc_info()[0] is None
        for worker in workers:
            if pool is not None and clean and not worker.queue and worker.process.is_alive():
                idle.append(worker)  # for the next run
            else:
                worker.stop(kill=not clean)
        gc.unfreeze()


_POOLS: list[dict[tuple[Any, Limits], list[_Worker]]] = []  # the kept() blocks under way


def _idle(pool: dict[tuple[Any, Limits], list[_Worker]] | None, fn: Any,
          limits: Limits) -> list[_Worker]:
    """The kept workers of ``fn`` under ``limits``, alive (those of other functions end:
    a new function means the old one will not be run again, e.g. a library reloaded)."""
    if pool is None:
        return []
    for key in [k for k in pool if k != (fn, limits)]:
        for worker in pool.pop(key):
            worker.stop(kill=False)
    idle = pool.setdefault((fn, limits), [])
    for worker in [w for w in idle if not w.process.is_alive()]:
        idle.remove(worker)
        worker.stop(kill=True)
    for worker in idle:
        worker.timed_out = False
    return idle


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """Within this block, :func:`run`'s workers outlive their run: the next run of the
    same function under the same limits takes them again (their tasks are then sent,
    pickled, rather than inherited), with what they loaded and memoised, instead of
    forking new ones. For a process that builds again and again (a benchmark, a
    server); every task keeps its own budgets, and a worker that blows one is replaced
    as ever. The workers end with the block."""
    pool: dict[tuple[Any, Limits], list[_Worker]] = {}
    _POOLS.append(pool)
    try:
        yield
    finally:
        _POOLS.remove(pool)
        for idle in pool.values():
            for worker in idle:
                worker.stop(kill=False)


def call(fn: Callable[[], R], *, limits: Limits | None = None) -> R | Stopped[None]:
    """``fn()`` in one worker process under ``limits`` (for commands that render one
    document, such as ``apport offer``): its result, or why there is none."""
    for _index, result in run(lambda _task: fn(), [None], jobs=1, limits=limits):
        return result
    raise AssertionError("unreachable: one task gives one result")


class Resident:
    """One worker process kept for call after call (``apport serve``'s previews).

    Each call runs under the budgets of one task, as in :func:`run`: its own
    processor time, the worker's memory budget, the wall clock kept here. A
    call that blows one is :class:`Stopped` and its worker replaced at the
    next call; the calling process goes on. Unlike :func:`run`'s workers, this
    one outlives a call, so ``fn`` and ``task`` are sent to it (pickled: ``fn``
    a module-level function) and what it keeps from one call to the next
    (loaded libraries, memoised renders) serves the next: no fork per call.
    A call made while another is under way (another thread) gets a worker of
    its own, as :func:`call` does.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        import threading

        self.limits = limits or Limits()
        self.worker: _Worker | None = None
        self.lock = threading.Lock()

    def call(self, fn: Callable[[T], R], task: T) -> R | Stopped[None]:
        """``fn(task)`` in the resident worker: its result, or why there is none."""
        if not enforced():
            return fn(task)
        if not self.lock.acquire(blocking=False):
            return call(lambda: fn(task), limits=self.limits)
        try:
            return self._call(fn, task)
        finally:
            self.lock.release()

    def _call(self, fn: Callable[[T], R], task: T) -> R | Stopped[None]:
        import multiprocessing
        from multiprocessing.connection import wait

        worker = self.worker
        if worker is None or not worker.process.is_alive():
            self.close()
            gc.freeze()
            try:
                worker = self.worker = _Worker(multiprocessing.get_context("fork"), None,
                                               None, self.limits)
            finally:
                gc.unfreeze()
        try:
            worker.conn.send((fn, task))
        except (OSError, ValueError):
            return self._stopped(worker)
        ready = wait([worker.conn, worker.process.sentinel], self.limits.wall_seconds)
        if worker.conn in ready:
            try:
                _index, ok, value = worker.conn.recv()
            except (EOFError, OSError):
                return self._stopped(worker)
            return value if ok else Stopped(value)
        if not ready:
            worker.timed_out = True
            worker.process.kill()
        return self._stopped(worker)

    def _stopped(self, worker: _Worker) -> Stopped[None]:
        worker.process.join()
        doing_then = _read_slot(worker.slot)
        reason = worker.reason(self.limits)
        self.close()
        return Stopped(reason, doing_then)

    def close(self) -> None:
        """End the worker (a new one starts at the next call)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop(kill=not worker.process.is_alive())

    def __del__(self) -> None:
        worker, self.worker = getattr(self, "worker", None), None
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.stop(kill=True)
