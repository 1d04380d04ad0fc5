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


_ENDING = r"""
import atexit, os, sys, types
from pathlib import Path
marks = Path(sys.argv[1])

class Teardown:
    def __del__(self, write=os.write):  # run by the interpreter's teardown
        write(2, b"teardown ran\n")

holder = types.ModuleType("holder")  # freed when the teardown empties sys.modules
holder.kept = Teardown()
if os.environ.get("LEAVE_OPEN"):
    holder.left = open(marks / "left-open", "w")
    holder.left.write("buffered")  # written out when the teardown frees the file object
sys.modules["holder"] = holder
del holder
atexit.register(lambda: (marks / "atexit").write_text("ran"))
sys.argv = ["apport", *sys.argv[2:]]
from generator.cli import command
command()
"""


def _ending(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "marks").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", _ENDING, str(tmp_path / "marks"), *args],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, **env})


@pytest.mark.parametrize(("deal", "status"), [("julie-atelier-bois.yaml", 0),
                                              ("broken.yaml", 1), ("missing.yaml", 2)])
def test_the_command_ends_without_the_interpreters_teardown(tmp_path: Path, deal: str,
                                                              status: int) -> None:
    """`apport` ends once its work is done and its output flushed: the atexit handlers
    run, the interpreter's teardown (15 ms of a one-deal build) does not; the status,
    the output and the documents are what they are with the teardown (issue 15)."""
    from click.testing import CliRunner

    from generator.cli import cli

    (tmp_path / "broken.yaml").write_text("version: 1\nbeneficiary: [\n", encoding="utf-8")
    path = tmp_path / deal if deal == "broken.yaml" else ROOT / "samples" / deal
    args = ["build", str(path), "-o", str(tmp_path / "fast")]
    done = _ending(tmp_path, *args)
    assert done.returncode == status, done.stderr
    assert (tmp_path / "marks" / "atexit").read_text() == "ran"
    assert "teardown ran" not in done.stderr
    usual = CliRunner().invoke(cli, [*args[:-1], str(tmp_path / "usual")])
    assert usual.exit_code == status
    assert done.stdout.replace("fast", "usual") == usual.stdout
    fast = sorted(p.name for p in (tmp_path / "fast").glob("*.docx"))
    assert fast == sorted(p.name for p in (tmp_path / "usual").glob("*.docx"))
    for name in fast:
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "usual" / name).read_bytes()


def test_a_file_left_open_for_writing_keeps_the_usual_ending(tmp_path: Path) -> None:
    """What a file object still buffers is written by the teardown: with such a file
    open, the command ends the usual way and nothing is lost."""
    done = _ending(tmp_path, "build", str(JULIE), "-o", "out", LEAVE_OPEN="1")
    assert done.returncode == 0, done.stderr
    assert "teardown ran" in done.stderr
    assert (tmp_path / "marks" / "left-open").read_text() == "buffered"


def test_a_caught_output_keeps_the_usual_ending(tmp_path: Path) -> None:
    """Where the output is not the process's own (a caller replaced it), the command
    ends the usual way: its caller goes on."""
    script = _ENDING.replace("command()\n", "import io\nsys.stdout = io.StringIO()\ntry:\n"
                             "    command()\nexcept SystemExit as e:\n"
                             "    print('went on', e.code, file=sys.stderr)\n")
    (tmp_path / "marks").mkdir()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "marks"), "build",
                           str(JULIE), "-o", str(tmp_path / "out")], capture_output=True,
                          text=True)
    assert "went on 0" in done.stderr
    assert "teardown ran" in done.stderr


def test_main_called_by_a_program_gives_its_exit_back(tmp_path: Path) -> None:
    """``main()`` called by a Python program (its own output, one thread) ends with
    ``SystemExit`` in that program, which goes on: only the console command
    (``command``) ends the process at once."""
    script = _ENDING.replace("from generator.cli import command\ncommand()\n",
                             "from generator.cli import main\ntry:\n    main()\n"
                             "except SystemExit as e:\n"
                             "    print('went on', e.code, file=sys.stderr)\n")
    assert "went on" in script
    (tmp_path / "marks").mkdir()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "marks"), "build",
                           str(JULIE), "-o", str(tmp_path / "out")], capture_output=True,
                          text=True)
    assert "went on 0" in done.stderr, done.stderr
    assert "teardown ran" in done.stderr


def test_a_profiled_command_keeps_the_usual_ending(tmp_path: Path) -> None:
    """A profiler (or a debugger, or coverage) writes its results after the command:
    the command ends the usual way under one."""
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "prof"),
                           "-m", "generator", "validate", str(JULIE)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "prof").stat().st_size > 0
