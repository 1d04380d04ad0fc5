"""libyaml's fast parser and PyYAML's reference parser read deals the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


def _composed(text: str) -> tuple[object, dict, dict]:
    """Data and positions from the nodes of PyYAML's own composer (for texts without
    anchors, tags or keys written twice, which the reader refuses or records)."""
    values: dict = {}
    keys: dict = {}

    def walk(node: yaml.Node, path: tuple) -> object:
        values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return None if not node.style and node.value in loading.NULLS else node.value
        if isinstance(node, yaml.SequenceNode):
            return [walk(item, (*path, i)) for i, item in enumerate(node.value)]
        out = {}
        for key, value in node.value:
            keys[(*path, key.value)] = (key.start_mark.line + 1, key.start_mark.column + 1)
            out[key.value] = walk(value, (*path, key.value))
        return out

    return walk(yaml.compose(text, Loader=yaml.SafeLoader), ()), values, keys


NESTED = [
    "a: {b: {c: [1, 2, {d: e}]}}\nf: [[], {}, '', ~]\n",
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 31)) + "  " * 31 + "v\n",
    "a: " + "[" * 30 + "x" + "]" * 30 + "\n",
    "k:\n  - [a, b]\n  - x: y\n    z:\n      - 1\n      -\n",
]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text", [t for t in TEXTS if not t.startswith(("a: &", "a: !", "a: 1\na",
                                                                     "? "))] + NESTED)
def test_the_one_pass_reader_reads_what_pyyaml_s_composer_composes(text: str, fast: bool,
                                                                   monkeypatch) -> None:
    if fast and loading._FAST is None:
        pytest.skip("PyYAML was built without libyaml")
    if not fast:
        monkeypatch.setattr(loading, "_FAST", None)
    loaded = loading.load_bytes(text.encode("utf-8"), "x.yaml")
    assert (loaded.data, loaded.values, loaded.keys) == _composed(text)
