"""The guarded writer: every file apport writes goes through here.

Two ways in:

* :func:`write_new` creates one file that must not exist yet (``init``,
  ``clauses --export``, ``new``): written whole under a temporary name, then
  linked into place, so an existing file is never replaced.
* :class:`OutputFolder` is a folder apport keeps (``build``'s OUT, the folder
  of ``offer --pdf`` and ``--eml``): it is locked while in use (a second
  build waits, and says which process holds it), files are written into a
  staging folder inside it that no output name can reach, and a set of files
  (a deal's documents) is moved into place together: when one move fails,
  the ones already made are undone, so the previous set stays whole.

Everywhere, a target that is a symbolic link, a folder or a special file (a
named pipe, a device, a socket) is refused with a located error instead of
being written through or turned into a regular file; missing parent folders
are created, and a parent that is an ordinary file is said plainly.

Which files a person changed since apport wrote them is the manifest's
business (:mod:`generator.manifest`); :func:`decide` is the one rule applied
to them, by every command, and :func:`kept_name` the one name given to the
copy that ``--force`` keeps.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .diagnostics import printable
from .errors import OutputError
from .messages import Msg, render
from .records import record

STAGING = ".apport-staging"  # inside an output folder; output names all end in a suffix
LOCK = ".apport.lock"
OWNER = ".apport.lock.owner"  # who holds the lock: read by a process that waits for it
PART_PREFIX = ".apport-part-"  # temporary files of write_new, beside their target
LOCK_WAIT = 600.0  # seconds a build waits for another one on the same folder

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # mkstemp makes 0600; documents are ordinary files

Data = bytes | bytearray | memoryview | Iterable[bytes]


class WriteError(OutputError):
    """Raised when a file cannot be written where it was asked: the target is a link,
    a folder or a special file, a parent folder is an ordinary file, the disk is
    full, a size limit is reached, or the output folder is held too long by another
    process. The message starts with the path at fault."""


# --- the checks --------------------------------------------------------------------------------


_REASONS = {errno.EFBIG: "reason-file-size-limit", errno.ENOSPC: "reason-no-space",
            errno.ENAMETOOLONG: "reason-name-too-long"}


def _reason(e: OSError) -> Msg | str:
    code = _REASONS.get(e.errno or 0)
    return Msg(code) if code else e.strerror or str(e)


def error(path: str | Path, code: str, **params: Any) -> WriteError:
    """A located write error: ``code`` and its parameters (see generator.messages)."""
    return WriteError(str(path), code, params)


def os_error(path: str | Path, e: OSError, doing: str = "io-cannot-write") -> WriteError:
    """``doing`` is the code of what failed; the system's reason is its parameter."""
    return error(path, doing, reason=_reason(e))


def check_target(path: Path) -> os.stat_result | None:
    """Refuse a target apport must not write over; return its status (None: absent).

    Raises:
        WriteError: the target is a link, a folder or a special file, or a
            parent of it is an ordinary file.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise error(path, "parent-is-a-file", parent=str(_file_parent(path))) from None
    except OSError as e:
        raise os_error(path, e, "io-cannot-look") from None
    if stat.S_ISLNK(st.st_mode):
        raise error(path, "target-is-a-link")
    if stat.S_ISDIR(st.st_mode):
        raise error(path, "target-is-a-folder")
    if not stat.S_ISREG(st.st_mode):
        raise error(path, "target-is-special")
    return st


def _file_parent(path: Path) -> Path:
    """The first ancestor of ``path`` that exists and is not a folder."""
    for parent in reversed(path.parents):
        try:
            st = os.stat(parent)
        except OSError:
            break
        if not stat.S_ISDIR(st.st_mode):
            return parent
    return path.parent


def ensure_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents.

    Raises:
        WriteError: a parent is an ordinary file, or the folder cannot be made.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = folder if folder.exists() and not folder.is_dir() else _file_parent(folder)
        raise error(folder, "parent-is-a-file", parent=str(blocker)) from None
    except OSError as e:
        raise os_error(folder, e, "io-cannot-create-folder") from None


# --- bytes to a temporary file -----------------------------------------------------------------


def _write_temp(folder: Path, prefix: str, data: Data, target: Path) -> Path:
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, (bytes, bytearray, memoryview)):
                f.write(data)
            else:
                f.writelines(data)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(e, OSError):
            raise os_error(target, e) from None
        raise
    return Path(temp)


def sha256_file(path: Path) -> str | None:
    """The hash of a regular file's bytes (None: absent, or not a regular file).

    Opened without following a link and without waiting on a named pipe.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return sha256_fd(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def sha256_fd(fd: int) -> str:
    """The hash of what is left to read from the file descriptor ``fd``, read a block at a
    time (a small block: ``hashlib.file_digest`` zeroes a buffer of 256 KiB for each file,
    which cost more than hashing a deal file of a few kilobytes).

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    while chunk := os.read(fd, _BLOCK):
        digest.update(chunk)
    return digest.hexdigest()


_BLOCK = 64 * 1024


# --- a new file --------------------------------------------------------------------------------


def write_new(path: str | Path, data: Data) -> None:
    """Create ``path`` with ``data``; an existing file (or link) is never replaced.

    Missing parent folders are created.

    Raises:
        WriteError: the file exists, a parent is a file, or the write fails.
    """
    path = Path(path)
    if check_target(path) is not None:
        raise error(path, "file-exists-not-written")
    ensure_folder(path.parent)
    temp = _write_temp(path.parent, PART_PREFIX, data, path)
    try:
        try:
            os.link(temp, path)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise error(path, "file-exists-not-written") from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK):
                raise os_error(path, e) from None
            try:  # no hard links here (some network and FAT file systems)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            except FileExistsError:
                raise error(path, "file-exists-not-written") from None
            except OSError as e2:
                raise os_error(path, e2) from None
            os.close(fd)
            try:
                os.replace(temp, path)
            except OSError as e2:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                raise os_error(path, e2) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def write_replacing(path: str | Path, data: Data) -> None:
    """Write ``path`` whole, replacing a regular file there at once (a draft, a note).

    Written under a temporary name then renamed over, so the file is never
    half written; a link, a folder or a special file there is refused.

    Raises:
        WriteError: the target is not a regular file, or the write fails.
    """
    path = Path(path)
    check_target(path)
    ensure_folder(path.parent)
    temp = _write_temp(path.parent, PART_PREFIX, data, path)
    try:
        os.replace(temp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise os_error(path, e) from None


def copy_tree_new(source: Path, target: Path) -> int:
    """Copy the files below ``source`` into ``target`` (new files only); their count.

    Links in ``source`` are copied as the files they point to; nothing in
    ``target`` is ever replaced.
    """
    count = 0
    for folder, _dirs, files in os.walk(source):
        for name in sorted(files):
            src = Path(folder) / name
            try:
                data = src.read_bytes()
            except OSError as e:
                raise os_error(src, e, "io-cannot-read") from None
            write_new(target / src.relative_to(source), data)
            count += 1
    return count


# --- the rule for files a person may have changed ------------------------------------------------


class Placement(enum.Enum):
    """What to do with a target, given its bytes on disk and what apport knows of them."""

    WRITE = "write"  # absent, or bytes apport wrote: replace
    SAME = "same"  # already the bytes to write: keep (and record)
    PROTECTED = "protected"  # changed by a person: leave alone
    KEEP_AND_WRITE = "keep"  # changed by a person, --force: keep a copy, then write


def decide(on_disk: str | None, ours: Iterable[str | None], new: str | None, *,
           force: bool) -> Placement:
    """The one rule: a file whose bytes are neither what apport wrote (``ours``) nor
    what it would write now (``new``) was changed by a person; it is never
    replaced, and with ``force`` a copy is kept first."""
    if on_disk is None:
        return Placement.WRITE
    if new is not None and on_disk == new and not force:
        return Placement.SAME
    if on_disk in set(ours) - {None} or on_disk == new:
        return Placement.WRITE
    return Placement.KEEP_AND_WRITE if force else Placement.PROTECTED


def protected_error(path: str | Path, *, listed: bool) -> WriteError:
    """The error of a protected file: edited since apport wrote it, or never written by it."""
    return error(path, "protected-edited" if listed else "protected-not-ours")


def kept_name(path: Path) -> Path:
    """Where ``--force`` keeps a person's version: ``NAME.edited.SUFFIX`` (then -2, -3...)."""
    stem, suffix = path.stem, path.suffix
    candidate = path.with_name(f"{stem}.edited{suffix}")
    n = 2
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{stem}.edited-{n}{suffix}")
        n += 1
    return candidate


# --- the output folder ---------------------------------------------------------------------------


@record(frozen=True)
class Move:
    """One staged file to put in place; ``keep`` copies the current one aside first."""

    staged: Path
    target: Path
    keep: bool = False


Waiting = Callable[[str], None]


class OutputFolder:
    """A folder apport writes into, locked while in use.

    Use as a context manager: entering creates the folder if needed, takes the
    lock (waiting for another apport, after saying who holds it), and empties
    the staging folder left by a process that was killed; leaving removes the
    staging folder and releases the lock.
    """

    def __init__(self, path: str | Path, *, wait: float = LOCK_WAIT,
                 on_wait: Waiting | None = None) -> None:
        self.path = Path(path)
        self.staging = self.path / STAGING
        self.wait = wait
        self.on_wait = on_wait
        self._lock: object | None = None

    # - lock and staging -

    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        prepare_folder(self.path)
        self._acquire()
        try:
            self._clear_staging()
            self.staging.mkdir()
        except OSError as e:
            self.close()
            raise os_error(self.staging, e, "io-cannot-create-staging") from None

    def close(self) -> None:
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            self._clear_staging()
        with contextlib.suppress(OSError):
            os.unlink(self.path / OWNER)
        lock, self._lock = self._lock, None
        lock.release()  # type: ignore[attr-defined]

    def _acquire(self) -> None:
        from filelock import FileLock, Timeout

        lock_path = self.path / LOCK
        check_target(lock_path)  # never a link: the lock file is opened for writing
        lock = FileLock(str(lock_path), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            holder = self.holder()
            if self.on_wait:
                self.on_wait(printable(f"{self.path}: ")
                             + render("output-folder-waiting", {"holder": holder}))
            try:
                lock.acquire(timeout=self.wait)
            except Timeout:
                raise error(self.path, "output-folder-busy", holder=holder,
                            seconds=self.wait) from None
        except OSError as e:
            raise os_error(lock_path, e, "io-cannot-lock") from None
        self._lock = lock
        with contextlib.suppress(OSError):
            owner = self.path / OWNER
            if check_target(owner) is not None:
                os.unlink(owner)
            fd = os.open(owner, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {time.strftime('%H:%M:%S')}\n")

    def holder(self) -> Msg:
        """Who holds the lock, as read from the owner file."""
        try:
            pid, _, since = (self.path / OWNER).read_text(encoding="utf-8").strip().partition(" ")
        except (OSError, UnicodeDecodeError):
            return Msg("holder-unknown")
        if not pid.isdigit():
            return Msg("holder-unknown")
        if since:
            return Msg("holder-process-since", {"pid": pid, "since": printable(since)})
        return Msg("holder-process", {"pid": pid})

    def _clear_staging(self) -> None:
        """Remove the staging folder (leftovers of a killed process): under the lock only."""
        try:
            st = os.lstat(self.staging)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(self.staging)
        else:
            os.unlink(self.staging)  # a link or a file planted there: removed, not followed

    # - writing -

    def stage(self, data: Data, target: Path | str) -> Path:
        """Write ``data`` into the staging folder (the target only names errors)."""
        return stage(self.staging, data, target)

    def commit(self, moves: Sequence[Move]) -> dict[Path, Path]:
        """Put staged files in place, together: all of them, or none.

        Returns:
            For each move with ``keep`` whose target existed, the target and the
            name its previous version was kept under.

        Raises:
            WriteError: naming the target at fault; every target is then as it was
            (and the staged files are removed).
        """
        return commit(self.staging, moves)

    def discard(self, staged: Iterable[Path]) -> None:
        for path in staged:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def replace(self, data: Data, target: Path, *,
                before: Callable[[], None] | None = None) -> None:
        """Write ``data`` as the whole of ``target``, atomically: apport's own records
        (the manifest, the status file, the vouch) and a deal saved from the page.
        ``before`` is called once ``target`` is known to be one apport may write, just
        before it is replaced: a reader of the previous file lets go of it there (an open
        file cannot be replaced everywhere).

        Raises:
            WriteError: located; ``target`` is then as it was (``before`` may have run).
        """
        staged = self.stage(data, target)
        try:
            check_target(target)
        except WriteError:
            self.discard([staged])
            raise
        if before is not None:
            before()
        self.commit([Move(staged, target)])


def prepare_folder(out: Path) -> None:
    """Make ``out`` ready to be written into (created if missing).

    Raises:
        WriteError: the path is a file, a parent is a file, or it cannot be
            created or written.
    """
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise error(out, "output-parent-is-a-file", parent=str(_file_parent(out))) from None
    except OSError as e:
        raise os_error(out, e, "io-cannot-use-output") from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise error(out, "output-not-folder")
    if st is None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise error(out, "output-parent-is-a-file",
                        parent=str(_file_parent(out))) from None
        except OSError as e:
            raise os_error(out, e, "output-cannot-create") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise error(out, "output-not-writable")


def stage(staging: Path, data: Data, target: Path | str) -> Path:
    """Write ``data`` into ``staging`` under a fresh name (no name there comes from a deal).

    Raises:
        WriteError: naming ``target``, when the bytes cannot be written.
    """
    return _write_temp(staging, "", data, Path(target))


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a new name for ``source``'s bytes (a hard link, else a copy)."""
    try:
        os.link(source, target)
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK):
            raise
        with open(source, "rb") as src, open(target, "xb") as dst:
            shutil.copyfileobj(src, dst)


def commit(staging: Path, moves: Sequence[Move]) -> dict[Path, Path]:
    """See :meth:`OutputFolder.commit`."""
    backups: list[tuple[Path, Path | None]] = []  # target, its previous bytes (None: none)
    kept: dict[Path, Path] = {}
    done: list[tuple[Path, Path | None]] = []
    current: Path | None = None
    try:
        for move in moves:
            current = move.target
            existed = check_target(move.target) is not None
            backup = None
            if existed:
                backup = staging / f"{len(backups)}.previous"
                _link_or_copy(move.target, backup)
                if move.keep:
                    keep = kept_name(move.target)
                    _link_or_copy(move.target, keep)
                    kept[move.target] = keep
            backups.append((move.target, backup))
        for move, (target, backup) in zip(moves, backups, strict=True):
            current = target
            os.replace(move.staged, target)
            done.append((target, backup))
    except (OSError, WriteError) as e:
        for target, backup in reversed(done):  # undo: the previous set stays whole
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
        for keep in kept.values():
            with contextlib.suppress(OSError):
                os.unlink(keep)
        for move in moves:
            with contextlib.suppress(OSError):
                os.unlink(move.staged)
        if isinstance(e, WriteError):
            raise
        raise os_error(current or staging, e) from None
    finally:
        for _target, backup in backups:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)
    return kept
