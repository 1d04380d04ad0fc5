"""Jinja code compiled once per source and kept between runs, in the user's cache folder.

Compiling the clause library (73 clause bodies, 48 conditions) and the Word
templates was most of a one-deal build's start-up. The Python code Jinja
makes of a source depends only on that source, its name and file name, the
environment's settings and the versions of Python, Jinja and apport's own
compiling code: it is stored under the SHA-256 of all of them, and a later
run loads it instead of parsing and compiling again. Errors are unchanged: a
source that does not compile is never stored, so it fails as before.

A cache file is code, so it is used only when nobody else could have written it:

* the folder (``$XDG_CACHE_HOME/apport/jinja``, by default under
  ``~/.cache``) is opened without following links and used only when it is
  ours alone (owned by us, no access for group or others); its files are
  opened through that open folder, so a folder swapped afterwards is not read;
* a file is read only when it is a regular file owned by us that no one else
  may write, it names the key it was looked up by, and its contents match the
  SHA-256 at its head: a truncated, damaged or misplaced file is compiled
  again, never run;
* files are written whole (a temporary file in the folder, then renamed).

The folder is kept under :data:`MAX_FOLDER` (32 MiB): a run about to write to it
first removes the files least recently written, which edits, upgrades and other
libraries leave behind (:func:`_prune`).

Anything unexpected turns the cache off for the run and the source is
compiled as without it, so documents never depend on the cache.
``APPORT_NO_CACHE=1`` turns it off.

Plain data apport derives from a source the same way every time (a Word
template's parts that are copied into every document, deflated) is kept
likewise (:func:`data`), under the same checks, with what the caller expects of
it checked too; so is what a clause library's files give, code and front
matters, in one file per library, and what a Word template gives, in one file
per template (:func:`derived`: keyed by the files' names and SHA-256, it spares
a start reading each clause's front matter, unzipping each template and looking
up each source's code); and the clause bodies' layouts, added to from run to
run (:func:`read_data`, :func:`write_data`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any

MAGIC = b"apport-jinja-code/2\n"  # then the key, the SHA-256 of the rest, the code
MAX_FILE = 8 * 1024 * 1024
# The folder's size beyond which the files least recently written are removed (down to
# three quarters of it): each edit of a clause or template, each new version of apport
# or Python, adds files that nothing reads any more. About 1.2 MiB for the built-in
# library and templates; 150 KiB more for each edit of a clause.
MAX_FOLDER = 32 * 1024 * 1024
_TEMP_AGE_NS = 3600 * 10**9  # a temporary file this old was left by a run that ended
# apport's modules whose code decides what a source compiles to (the environments and
# the checks made before storing): their text is part of every key.
_COMPILERS = ("codecache.py", "sandbox.py", "clauses.py", "documents.py", "loading.py")


def folder() -> Path | None:
    """Where compiled code is kept, or ``None`` when the cache is turned off."""
    if os.environ.get("APPORT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "apport" / "jinja"


@functools.cache
def _compilers() -> bytes | None:
    """The text of the modules that compile, hashed: a change to them is a new key
    (``None`` when they cannot be read, e.g. from a zip: then nothing is cached)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    try:
        for name in _COMPILERS:
            digest.update((here / name).read_bytes())
    except OSError:
        return None
    return digest.digest()


def _environment(env: Any) -> str | None:
    """The settings of ``env`` that the generated code depends on (``None``: do not cache)."""
    if not isinstance(env.autoescape, bool):
        return None
    cls = type(env)
    return repr((
        cls.__module__, cls.__qualname__, env.block_start_string, env.block_end_string,
        env.variable_start_string, env.variable_end_string, env.comment_start_string,
        env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.is_async, env.autoescape, sorted(env.filters), sorted(env.tests),
        sorted(env.extensions), getattr(env.finalize, "__qualname__", repr(env.finalize)),
        sorted(getattr(env, "intercepted_binops", ())),
        sorted(getattr(env, "intercepted_unops", ())),
    ))


def key(env: Any, kind: str, source: str, name: str | None,
        filename: str | None) -> str | None:
    """The file name of ``source``'s code in the cache (``None``: not cacheable)."""
    import importlib.util

    import jinja2

    settings = _environment(env)
    compilers = _compilers()
    if settings is None or compilers is None:
        return None
    digest = hashlib.sha256(MAGIC)
    for part in (sys.version, jinja2.__version__, settings, kind, name or "",
                 filename or ""):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(importlib.util.MAGIC_NUMBER + compilers)
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_OPENED: dict[Path, int | None] = {}
_FOLDERS: dict[tuple[str | None, ...], Path | None] = {}  # what folder() gives, by its inputs


def _open() -> int | None:
    """The cache folder, open, if it is ours alone (looked at once per process and path)."""
    # folder() is asked once per environment, not once per compiled source (138 times a
    # build, 1.3 ms of path arithmetic)
    inputs = tuple(os.environ.get(name) for name in ("APPORT_NO_CACHE", "XDG_CACHE_HOME", "HOME"))
    if inputs not in _FOLDERS:
        _FOLDERS[inputs] = folder()
    path = _FOLDERS[inputs]
    if path is None:
        return None
    if path not in _OPENED:
        _OPENED[path] = _open_folder(path)
    return _OPENED[path]


def _open_folder(path: Path) -> int | None:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    st = os.fstat(fd)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        os.close(fd)
        return None
    return fd


def _read(fd: int, name: str) -> Any:
    """What the file ``name`` holds, unmarshalled, or ``None`` (absent, not ours alone,
    another key's, damaged)."""
    try:
        file = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    except OSError:
        return None
    try:
        st = os.fstat(file)
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid()
                or st.st_mode & 0o022 or st.st_size > MAX_FILE):
            return None
        with os.fdopen(file, "rb", closefd=False) as f:
            data = f.read(MAX_FILE + 1)
    except OSError:
        return None
    finally:
        os.close(file)
    expected = MAGIC + name.encode("ascii")
    head = len(expected) + 32
    if len(data) <= head or not data.startswith(expected):
        return None  # another format, or the code of another source
    payload = data[head:]
    if hashlib.sha256(payload).digest() != data[len(expected):head]:
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


_PRUNED: set[int] = set()  # the folders (open) looked at by this process


def _prune(fd: int) -> None:
    """Keep the folder under :data:`MAX_FOLDER`: the files least recently written go
    first (one still in use is written again by the next run that needs it), and the
    temporary files of runs that ended. Only files named as this module names them, that
    are ours, are ever removed. Looked at once per process, before its first write."""
    if fd in _PRUNED:
        return
    _PRUNED.add(fd)
    files: list[tuple[int, int, str]] = []  # (written, size, name)
    total = 0
    now = time.time_ns()
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                name = entry.name
                temporary = _TEMP.fullmatch(name) is not None
                if not temporary and _KEY.fullmatch(name) is None:
                    continue
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                    continue
                if temporary:
                    if now - st.st_mtime_ns > _TEMP_AGE_NS:
                        with contextlib.suppress(OSError):
                            os.unlink(name, dir_fd=fd)
                    continue
                files.append((st.st_mtime_ns, st.st_size, name))
                total += st.st_size
    except OSError:
        return
    if total <= MAX_FOLDER:
        return
    files.sort()
    for _written, size, name in files:
        if total <= MAX_FOLDER * 3 // 4:
            break
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=fd)
        total -= size


# The files this module writes: a key's (64 hexadecimal digits), or a temporary one for it.
_KEY = re.compile(r"[0-9a-f]{64}")
_TEMP = re.compile(r"\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp")


def _write(fd: int, name: str, entry: Any) -> None:
    try:
        payload = marshal.dumps(entry)
    except ValueError:  # something marshal cannot write: not kept
        return
    _prune(fd)
    temp = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        file = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                       0o600, dir_fd=fd)
    except OSError:
        return
    try:
        with os.fdopen(file, "wb") as f:
            f.write(MAGIC + name.encode("ascii") + hashlib.sha256(payload).digest() + payload)
        os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=fd)


def compiled(env: Any, kind: str, source: str, name: str | None, filename: str | None,
             compile: Callable[[], tuple[CodeType, Any]]) -> tuple[CodeType, Any]:
    """The code of ``source`` and what was learnt compiling it: from the cache, or
    ``compile()``d (its errors raised) and stored.

    Args:
        env: the Jinja environment the code is for.
        kind: what ``source`` is (a clause body, a condition, a template part).
        source: the text compiled (after any rewriting).
        name, filename: the template's name and file, which the code records.
        compile: compiles ``source`` (with every check that must pass first); returns
            the code and anything else read from the source's syntax tree (plain data:
            strings, numbers, tuples, ``None``), kept with the code.
    """
    fd = _open()
    entry = key(env, kind, source, name, filename) if fd is not None else None
    if fd is not None and entry is not None:
        found = _read(fd, entry)
        if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], CodeType):
            return found[0], found[1]
    result = compile()
    if fd is not None and entry is not None:
        _write(fd, entry, result)
    return result


def derived(env: Any, kind: str, source: str, make: Callable[[], Any],
            valid: Callable[[Any], bool]) -> Any:
    """What apport derives from ``source`` for ``env``: code objects and plain data (a
    clause library's parsed files, the source then naming the files and their SHA-256;
    a Word template's parts, the source its SHA-256),
    from the cache when ``valid`` accepts what the file holds, else ``make()`` (its
    errors raised: nothing is stored then) and stored. Keyed as :func:`compiled`'s code."""
    fd = _open()
    entry = key(env, kind, source, None, None) if fd is not None else None
    if fd is not None and entry is not None:
        found = _read(fd, entry)
        if found is not None and valid(found):
            return found
    result = make()
    if fd is not None and entry is not None:
        _write(fd, entry, result)
    return result


def data_key(kind: str, source: bytes) -> str | None:
    """The file name of what :func:`data` derives from ``source`` (``None``: not cacheable)."""
    compilers = _compilers()
    if compilers is None:
        return None
    digest = hashlib.sha256(MAGIC + b"data\0")
    digest.update(sys.version.encode("utf-8") + b"\0" + kind.encode("utf-8") + b"\0")
    digest.update(compilers)
    digest.update(source)
    return digest.hexdigest()


def data(kind: str, source: bytes, make: Callable[[], Any],
         valid: Callable[[Any], bool]) -> Any:
    """Plain data (bytes, numbers, text, tuples of them) this version of apport derives
    from ``source``: from the cache when ``valid`` accepts what the file holds, else
    ``make()`` and stored.

    Args:
        kind: what the data is, with anything else it depends on (a library's version).
        source: the bytes it is derived from (or their digest).
        make: derives it.
        valid: whether something read from the cache has the form ``make`` returns.
    """
    found = read_data(kind, source, valid)
    if found is not None:
        return found
    result = make()
    write_data(kind, source, result)
    return result


def read_data(kind: str, source: bytes, valid: Callable[[Any], bool]) -> Any:
    """What :func:`write_data` kept under ``kind`` and ``source``, when ``valid`` accepts
    it, else ``None``."""
    fd = _open()
    entry = data_key(kind, source) if fd is not None else None
    if fd is None or entry is None:
        return None
    found = _read(fd, entry)
    return found if found is not None and valid(found) else None


def write_data(kind: str, source: bytes, value: Any) -> None:
    """Keep ``value`` (plain data) under ``kind`` and ``source`` (whole, in place of
    what was kept there)."""
    fd = _open()
    entry = data_key(kind, source) if fd is not None else None
    if fd is not None and entry is not None:
        _write(fd, entry, value)
