"""Shared fixtures and helpers for the validation tests.

The usual shape of a test: start from a valid deal (a sample, as a plain
dict), change one thing, write it to ``tmp_path`` and read it back with
:func:`generator.deals.check_file`, then look at the diagnostics.
"""

from __future__ import annotations

import atexit
import copy
import gc
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.deals import CheckedDeal, check_file
from generator.diagnostics import Diagnostic
from generator.pdf import find_soffice

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SCHEMA = ROOT / "schema" / "deal.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/deal.schema.json"

# Compiled clause and template code (generator.codecache) is kept in a folder of this
# run, for the tests' subprocesses too, never in the user's cache.
_CODE_CACHE = tempfile.mkdtemp(prefix="apport-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CODE_CACHE
atexit.register(shutil.rmtree, _CODE_CACHE, True)



@pytest.fixture
def statuses_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's status is recorded once it settled (``manifest.SETTLING_NS``, two
    seconds); tests that rebuild at once record it at once (a module asks for it with
    ``pytestmark = pytest.mark.usefixtures("statuses_at_once")``)."""
    from generator import manifest

    monkeypatch.setattr(manifest, "SETTLING_NS", 0)


@pytest.fixture
def deals(tmp_path: Path) -> Path:
    """A copy of the samples."""
    return Path(shutil.copytree(ROOT / "samples", tmp_path / "deals"))


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A copy of the clause library and templates, as ``apport clauses --export``
    writes it: ``lib/clauses``, ``lib/templates``."""
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["clauses", "--export", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    return tmp_path / "lib"


@pytest.fixture
def sources(lib: Path) -> Any:
    """The exported library's :class:`generator.build.Sources`."""
    from generator.build import Sources

    return Sources(clauses=lib / "clauses", templates=lib / "templates")


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Messages in English whatever the machine's locale; a test's --lang does not leak."""
    from generator import messages

    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    messages.set_language(None)
    yield
    messages.set_language(None)


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Any:
    """``cli.main`` turns Python's garbage collector off for the command's process and
    freezes what it loaded as it ends: a test that calls it in this process gets both
    undone."""
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()


# The sample with no warning at all: the base most tests start from.
BASE_SAMPLE = "julie-atelier-bois"


def page_count(pdf: str | Path) -> int:
    """Pages of a PDF made by LibreOffice (counts page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))


def needs_libreoffice(test: Callable[..., Any]) -> Callable[..., Any]:
    """A test that converts with LibreOffice: marked ``slow`` (left out of the quick
    ``-m "not slow"`` run) and skipped, with the reason, when soffice is not installed."""
    skip = pytest.mark.skipif(find_soffice() is None,
                              reason="LibreOffice (soffice) is not installed")
    return pytest.mark.slow(skip(test))


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def sample_dict(name: str = BASE_SAMPLE) -> dict[str, Any]:
    """A sample deal as a plain dict (fresh copy each call)."""
    return yaml.safe_load((SAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def sample_text(name: str = BASE_SAMPLE, *, comments: bool = False) -> str:
    """A sample's text; without its end-of-line field comments unless ``comments``, so
    that tests can edit whole lines (``"  place: Lyon\n"``)."""
    text = (SAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
    return text if comments else re.sub(r"  # [^\n]*$", "", text, flags=re.M)


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)


def get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``a.b.c`` in ``data`` (creating sections as needed); returns ``data``."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value
    return data


def del_path(data: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[last]
    return data


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle`` (fails if none)."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def written(result: CheckedDeal) -> str:
    """The text of the file ``result`` was read from."""
    return result.path.read_text(encoding="utf-8")


def key_pos(result: CheckedDeal, needle: str) -> tuple[int, int]:
    """(line, column) where ``needle`` (e.g. ``"rate: 35"``) starts in the written file."""
    for number, line in enumerate(written(result).splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in the file")


def value_pos(result: CheckedDeal, needle: str) -> tuple[int, int]:
    """(line, column) of the value in ``needle``: ``"rate: 35"`` -> where ``35`` starts.

    The value may have been quoted when dumped (``'2026-11-30'``): the column is then
    the opening quote's, where YAML's scalar starts. ``"rate:"`` finds any value.
    """
    key, _, value = needle.partition(":")
    value = value.strip()
    candidates = [f"{key}: {value}", f"{key}: '{value}'", f'{key}: "{value}"'] if value else [
        f"{key}: "]
    for candidate in candidates:
        try:
            line, column = key_pos(result, candidate)
        except AssertionError:
            continue
        return line, column + len(key) + 2
    raise AssertionError(f"{needle!r} not in the file")


def path_pos(result: CheckedDeal, path: str) -> tuple[int, int]:
    """(line, column) of the key of ``a.b.c`` in a block-style file (2-space indents)."""
    lines = written(result).splitlines()
    start = 0
    for depth, key in enumerate(path.split(".")):
        prefix = "  " * depth + key + ":"
        for number in range(start, len(lines)):
            if lines[number].startswith(prefix):
                start = number
                break
        else:
            raise AssertionError(f"{path!r} not in the file")
    return start + 1, 2 * depth + 1


def errors(result: CheckedDeal) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.severity == "error"]


def warnings_(result: CheckedDeal) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.severity == "warning"]


def at(result: CheckedDeal, path: str, severity: str | None = None) -> list[Diagnostic]:
    """The diagnostics of ``result`` at field ``path`` (and ``severity``)."""
    return [d for d in result.diagnostics
            if d.path == path and (severity is None or d.severity == severity)]


def one(result: CheckedDeal, path: str, severity: str = "error") -> Diagnostic:
    """The single diagnostic at ``path``; fails with every diagnostic shown otherwise."""
    found = at(result, path, severity)
    assert len(found) == 1, (
        f"expected one {severity} at {path!r}, got:\n"
        + "\n".join(str(d) for d in result.diagnostics)
    )
    return found[0]


def only(result: CheckedDeal, path: str, severity: str = "error") -> Diagnostic:
    """Like :func:`one`, and no other error in the file (the change is the only problem)."""
    found = one(result, path, severity)
    others = [d for d in errors(result) if d is not found]
    assert not others, "unexpected errors:\n" + "\n".join(str(d) for d in others)
    return found


WriteDeal = Callable[..., CheckedDeal]


@pytest.fixture
def valid_deal() -> Callable[..., dict[str, Any]]:
    """Factory: ``valid_deal()`` -> a fresh dict of the base sample; ``valid_deal(name)``
    -> another sample."""
    return lambda name=BASE_SAMPLE: copy.deepcopy(sample_dict(name))


@pytest.fixture
def check(tmp_path: Path) -> WriteDeal:
    """Factory: ``check(content, name="deal.yaml", strict=False)`` -> CheckedDeal.

    ``content`` is a dict (dumped as YAML), a str (written as UTF-8) or
    bytes (written as is). The file is shown as its bare name in messages.
    """

    def run(content: dict[str, Any] | str | bytes, name: str = "deal.yaml", *,
            strict: bool = False) -> CheckedDeal:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_text(to_yaml(content), encoding="utf-8")
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return check_file(path, name, strict=strict)

    return run


DELETE = object()


@pytest.fixture
def check_change(check: WriteDeal) -> Callable[..., CheckedDeal]:
    """Factory: the base sample with some values changed, checked.

    ``check_change("commission.rate", 35)`` or ``check_change({"a.b": 1, "c.d": DELETE})``;
    ``DELETE`` removes the key; ``sample=`` starts from another sample.
    """

    def run(changes: str | dict[str, Any], value: Any = None, *, sample: str = BASE_SAMPLE,
            strict: bool = False) -> CheckedDeal:
        if isinstance(changes, str):
            changes = {changes: value}
        data = sample_dict(sample)
        for path, new in changes.items():
            if new is DELETE:
                del_path(data, path)
            else:
                set_path(data, path, new)
        return check(data, strict=strict)

    return run


# --- every message code is produced by some test --------------------------------------------

PRODUCED: set[str] = set()

# Codes no quick test produces yet. The list may only shrink (it is empty): a new code comes
# with its test, and a code listed here that a test produces fails the run.
NOT_YET_PRODUCED: set[str] = set()


# Codes produced in processes forked by the tests' code (the build's workers): each such
# process appends its codes to this file, one line each, read back at the end.
_FORKED: dict[str, Any] = {}


def _record(code: str) -> None:
    import os

    if os.getpid() == _FORKED["pid"]:
        PRODUCED.add(code)
        return
    try:  # a forked worker: one short O_APPEND write is atomic, whoever else writes
        fd = os.open(_FORKED["file"], os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, code.encode("ascii", "replace") + b"\n")
        finally:
            os.close(fd)
    except (OSError, MemoryError):  # a worker out of memory or files: its codes are lost
        pass


def _forked_codes() -> set[str]:
    try:
        with open(_FORKED["file"], encoding="ascii") as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        return set()


def pytest_configure(config: pytest.Config) -> None:
    import hypothesis_profiles

    hypothesis_profiles.quick_run(config.option.markexpr == "not slow")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Record every message code the library produces while the tests run, in this
    process and in the worker processes it forks.

    test_messages.py renders every code of the catalogue on purpose: what it
    renders does not count as produced.
    """
    import os
    import sys
    import tempfile

    from generator import diagnostics, errors, messages

    fd, name = tempfile.mkstemp(prefix="apport-codes-", suffix=".txt")
    os.close(fd)
    _FORKED.update(pid=os.getpid(), file=name)

    def counted() -> bool:
        return sys._getframe(2).f_globals.get("__name__") != "test_messages"

    def recording(init: Callable[..., Any], code_of: Callable[..., str]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = init(self, *args, **kwargs)
            if counted():
                _record(code_of(self, *args))
            return result
        return wrapper

    diagnostics.Diagnostic.__post_init__ = recording(  # type: ignore[method-assign]
        diagnostics.Diagnostic.__post_init__, lambda d: d.code)
    errors.ApportError.__init__ = recording(  # type: ignore[method-assign]
        errors.ApportError.__init__, lambda e, *args: e.code)
    messages.Msg.__init__ = recording(  # type: ignore[method-assign]
        messages.Msg.__init__, lambda m, *args: m.code)
    messages.render = recording(  # type: ignore[assignment]
        messages.render, lambda code, *args: code)


def _whole_suite(config: pytest.Config) -> bool:
    """Only a run of every quick test can tell that a code is never produced."""
    args = [a for a in config.args if not a.startswith("-")]
    return (not config.option.keyword and config.option.markexpr in ("", "not slow")
            and all(Path(a).resolve() == ROOT / "tests" for a in args)
            and not getattr(config.option, "lf", False)
            and not getattr(config.option, "collectonly", False)
            and not getattr(config.option, "deselect", None))


# Under pytest-xdist (``-n 2``) each worker runs a share of the tests: it hands the codes it
# saw to the controller (xdist's ``workeroutput``), which checks their union once, as a run
# without xdist checks its own set. A worker that died took its codes with it: no check then.
_WORKERS: dict[str, Any] = {"codes": set(), "lost": False}


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: a worker finished; keep the codes it produced."""
    codes = getattr(node, "workeroutput", {}).get("apport_codes")
    if error is not None or codes is None:
        _WORKERS["lost"] = True
    else:
        _WORKERS["codes"].update(codes)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import contextlib
    import os

    from generator import messages

    PRODUCED.update(_forked_codes())
    with contextlib.suppress(OSError, KeyError):
        os.unlink(_FORKED["file"])
    config = session.config
    if _is_xdist_worker(config):
        config.workeroutput["apport_codes"] = sorted(PRODUCED)  # type: ignore[attr-defined]
        return
    PRODUCED.update(_WORKERS["codes"])
    if not _whole_suite(config) or exitstatus not in (0, 1):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if _WORKERS["lost"]:
        if reporter is not None:
            reporter.write_line("a test worker died: its message codes are unknown, not checked",
                                red=True)
        return
    never = sorted(set(messages.codes()) - PRODUCED - NOT_YET_PRODUCED)
    listed = sorted(NOT_YET_PRODUCED & PRODUCED)  # the list only shrinks: produced, out
    for codes, what in ((never, "message codes no test produces"),
                        (listed, "produced, so out of NOT_YET_PRODUCED")):
        if codes:
            if reporter is not None:
                reporter.write_line(f"{what}: {', '.join(codes)}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
