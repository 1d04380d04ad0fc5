"""The ``apport`` command runs without Python's cyclic garbage collector (``cli.main``
turns it off: start-up loads hundreds of thousands of objects that live to the end,
and the collector walked them again and again for nothing). That is only sound while
what the command's process does per deal leaves no cyclic garbage, which would then
never be freed: these tests count it (``gc.collect()`` returns the unreachable objects
it found) after commands on 5 and on 20 deals, and want the same count.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import manifest
from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


pytestmark = pytest.mark.usefixtures("statuses_at_once")  # the rebuilds here follow at once


def _deals(folder: Path, copies: int) -> Path:
    """The samples (two of them with warnings), ``copies`` times each."""
    folder.mkdir()
    for copy in range(copies):
        for sample in SAMPLES:
            shutil.copy(sample, folder / f"{sample.stem}-{copy}.yaml")
    return folder


def _garbage(args: list[str]) -> int:
    """Cyclic garbage left by ``apport ARGS`` in this process, the collector off meanwhile
    (as in the command); the command run once before, so that what a first run loads
    (modules, memos) is not counted."""
    runner = CliRunner()
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        return gc.collect()
    finally:
        if was:
            gc.enable()


def _damage_last_hash(out: Path) -> None:
    """The manifest's last document made wrong (a hash that is not one): found so only
    once the build has gone through the others."""
    path = out / manifest.MANIFEST
    text = path.read_text(encoding="utf-8")
    last = text.rindex('"sha256": "')
    path.write_text(text[:last] + '"sha256": "x' + text[last + 11:], encoding="utf-8")


@pytest.mark.parametrize("command", ["build", "rebuild", "validate", "damaged"])
def test_the_command_leaves_no_cyclic_garbage_per_deal(tmp_path: Path, command: str):
    found = []
    for copies in (1, 1, 4):  # the first run warms up
        deals = _deals(tmp_path / f"deals-{len(found)}", copies)
        out = tmp_path / f"out-{len(found)}"
        if command == "validate":
            args = ["validate", str(deals)]
        else:
            args = ["build", str(deals), "-o", str(out), "-j", "1"]
            if command in ("rebuild", "damaged"):  # the parent reads the manifest alone
                assert CliRunner().invoke(cli, args).exit_code == 0
            if command == "damaged":  # read as absent once found, the deals looked at again
                _damage_last_hash(out)
        found.append(_garbage(args))
    assert found[2] == found[1], f"5 deals: {found[1]} objects, 20 deals: {found[2]}"


def test_a_worker_collects_its_garbage_when_the_command_does_not():
    from generator import workers

    was = gc.isenabled()
    gc.disable()
    try:
        assert workers.call(gc.isenabled) is True
    finally:
        if was:
            gc.enable()
