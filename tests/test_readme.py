"""The README stays true: CI runs its test command, and its layout lists every module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n# \d\. [^\n]*\n([^\n]+)\n```", README)


def test_readme_has_the_two_setup_commands() -> None:
    install, tests = _commands()
    assert "pip install ." in install and "apport build samples/" in install
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_layout_lists_every_module() -> None:
    for module in sorted((ROOT / "generator").glob("*.py")):
        if module.name not in ("__init__.py", "__main__.py"):
            assert f"  {module.name} " in README, module.name


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_the_quick_test_command_leaves_out_the_slow_tests() -> None:
    assert 'python -m pytest -q -n auto -m "not slow"\n' in _blocks()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'markers = ["slow:' in pyproject


def test_ci_runs_the_readme_lint_and_type_checks_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    (checks,) = [block for block in _blocks() if "mypy" in block]
    for line in checks.splitlines():
        assert line in ci, line
    assert "ruff check" in checks and "mypy generator" in checks


def test_ci_runs_the_guides_install_commands_verbatim() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    install = guide[guide.index("## 2. "):guide.index("## 3. ")]
    commands = [line for block in re.findall(r"```sh\n(.*?)```", install, flags=re.S)
                for line in block.splitlines()]
    assert "pipx install ." in commands and "python3 -m venv ~/.apport" in commands
    assert not any("pip install ." in line and "venv" not in line and ".apport" not in line
                   for line in commands), "a bare pip install fails on Debian, Ubuntu, Homebrew"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = {line.strip() for line in ci.splitlines()}
    for command in commands:
        assert command in ci_lines, command
