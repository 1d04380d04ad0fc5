"""Tracebacks of issue 12 that the command line now turns into one line and exit 2:
stdout on a full device, ``apport new`` without input, ``apport diff`` on a device
or a FIFO."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JULIE = ROOT / "samples" / "julie-atelier-bois.yaml"
OFFER = ROOT / "templates" / "offre.docx"

unix = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")


def apport(*args: str, cwd: Path, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, text=True,
                          stderr=subprocess.PIPE, timeout=120, **options)


@unix
@pytest.mark.parametrize("args", [
    ("validate", "--format", "json", str(JULIE)),
    ("schema",),
    pytest.param(("offer", str(JULIE)), marks=pytest.mark.slow),
    pytest.param(("build", str(JULIE), "-o", "out", "-j", "1"), marks=pytest.mark.slow),
], ids=["validate", "schema", "offer", "build"])
def test_stdout_on_a_full_device_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        done = apport(*args, cwd=tmp_path, stdout=full)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "<stdout>: error: cannot write the output: No space left on device")


def test_new_with_stdin_at_its_end(tmp_path: Path) -> None:
    done = apport("new", "x.yaml", cwd=tmp_path, stdin=subprocess.DEVNULL,
                  stdout=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "the standard input ended before the last question" in done.stderr
    assert not (tmp_path / "x.yaml").exists()


@unix
def test_new_with_stdin_closed(tmp_path: Path) -> None:
    done = subprocess.run(f"{sys.executable} -m generator new x.yaml <&-", shell=True,
                          cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "its standard input, which is closed" in done.stderr


@unix
def test_diff_refuses_a_device(tmp_path: Path) -> None:
    done = apport("diff", "/dev/zero", str(OFFER), cwd=tmp_path, stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr == "/dev/zero: error: not a regular file: give a Word document (.docx)\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_diff_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.docx")
    done = apport("diff", "f.docx", str(OFFER), cwd=tmp_path, stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr == "f.docx: error: not a regular file: give a Word document (.docx)\n"


def test_diff_caps_the_size_read(tmp_path: Path) -> None:
    big = tmp_path / "big.docx"
    with open(big, "wb") as f:
        f.truncate(60 * 1024 * 1024)  # sparse: costs no disk
    done = apport("diff", "big.docx", str(OFFER), cwd=tmp_path, stdout=subprocess.PIPE)
    assert done.returncode == 2
    assert "the document is larger than 50 MiB" in done.stderr


@pytest.mark.parametrize("set_by_user", [None, "some_plugin"])
def test_the_command_turns_off_pydantics_plugin_search(monkeypatch: pytest.MonkeyPatch,
                                                        set_by_user: str | None) -> None:
    """pydantic reads every installed distribution's entry points for its plugins when
    the deal model is built; the command uses none (issue 15). A user's setting stands."""
    from generator import cli

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "placeholder")  # restored after the test
    if set_by_user is None:
        monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    else:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", set_by_user)
    monkeypatch.setattr(cli, "cli", lambda **kwargs: None)
    cli.main()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == (set_by_user or "__all__")
