"""libyaml's fast parser and PyYAML's reference parser read deals the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import loading
from generator.diagnostics import DealError

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.yaml"))] + [
    "a: &x 1\nb: *x\n",
    "a: !!str 12\nb: !!binary aGk=\n",
    "a: 1\na: 2\n",
    "? [a, b]\n: c\n",
    "name: yes\nempty:\nnull_: null\ntilde: ~\nquoted: ''\n",
    "x: |\n  line 1\n\n  line 2\n",
    "é: ü\nclé: \"v\\u00e9\"\n",
    "list:\n  - a\n  - b: c\n",
]


def _read(text: str, fast: bool, monkeypatch) -> object:
    if not fast:
        monkeypatch.setattr(loading, "_FAST", None)
    try:
        loaded = loading.load_bytes(text.encode("utf-8"), "x.yaml")
    except DealError as e:
        return ("error", [str(d) for d in e.diagnostics])
    finally:
        monkeypatch.undo()
    return (loaded.data, loaded.values, loaded.keys, [str(d) for d in loaded.diagnostics])


@pytest.mark.skipif(loading._FAST is None, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("text", TEXTS)
def test_fast_and_reference_parsers_agree(text: str, monkeypatch) -> None:
    assert _read(text, True, monkeypatch) == _read(text, False, monkeypatch)


@pytest.mark.parametrize("text", ["a: [1\n", "a: 'x\n", "\x01", "a: \"\\ud800\"\n", "a:\tb\n"])
def test_errors_are_pyyaml_s_with_character_positions(text: str, monkeypatch) -> None:
    fast = _read("é: 1\n" + text, True, monkeypatch)
    reference = _read("é: 1\n" + text, False, monkeypatch)
    assert fast == reference
