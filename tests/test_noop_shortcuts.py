"""The shortcuts a build with nothing to do takes (issue 15: the no-op rebuild at 5,000
deals within 2 % of a full build) never accept what the full check refuses, nor give
anything else than it gives.

* A manifest's entries are read one after the other with what they share (clause
  sets, lists of documents and of warnings compared with the last ones read, hashes
  already checked): each entry must read exactly as it reads alone, or be refused
  with the same words.
* The clause hashes noted as the manifest goes by skip a clause set met again at once.
* Files are hashed a block at a time.
* apport's version is a constant the package's metadata is made from.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import re
from typing import Any

import pytest

import generator
from generator import build as build_module
from generator import manifest
from generator.manifest import DocumentEntry, Kind, entry_from_json, entry_to_json
from generator.writing import sha256_file

HASH = "ab" * 32
TABLES = {"contrat": {"objet@2": "cd" * 32, "duree@3": "ef" * 32},
          "offre": {"client@1": "01" * 32}}
NAME = "deal-1.contrat.docx"


def _entry(**changes: Any) -> dict[str, Any]:
    """A contract's entry as the manifest writes it (format 2), with ``changes``."""
    entry = DocumentEntry(
        kind=Kind.CONTRACT, deal="deals/deal-1.yaml", sha256=HASH, deal_sha256="12" * 32,
        template_sha256="34" * 32, library_sha256="56" * 32, tool="0.1.0",
        clauses={"objet@2": "cd" * 32, "duree@3": "ef" * 32},
        documents=("deal-1.contrat.docx", "deal-1.offre.docx"),
        warnings=((30, 22, "client.estimated_revenue", "warning", "client-not-informed",
                   "{}"),),
        deal_path="/deals/deal-1.yaml")
    data = entry_to_json(entry, TABLES)
    data.update(changes)
    return data


def _read(name: str, data: Any, shared: Any) -> tuple[str, str]:
    try:
        return "entry", repr(entry_from_json(name, data, shared))
    except manifest.Damaged as e:
        return "damaged", str(e)


# Values equal (==) to what the entry holds but not of its type, and others that are wrong.
WARNING = [30, 22, "client.estimated_revenue", "warning", "client-not-informed", "{}"]
VARIANTS: list[tuple[str, Any]] = [
    ("warnings", [[True, 22, *WARNING[2:]]]),  # true == 1 in Python, not in a manifest
    ("warnings", [[30.0, 22, *WARNING[2:]]]),
    ("warnings", [[30, 22.0, *WARNING[2:]]]),
    ("warnings", [WARNING, [1, 2, "x", "warning", "not-a-code", "{}"]]),
    ("warnings", [[30, 22, "client.estimated_revenue", "error", *WARNING[4:]]]),
    ("warnings", [[*WARNING[:5], "{not json"]]),
    ("warnings", [[*WARNING[:2], "a\x85b", *WARNING[3:]]]),
    ("warnings", [[30, 22, "client.estimated_revenue", "warning", "client-not-informed"]]),
    ("warnings", {"0": WARNING}),
    ("documents", ["deal-1.contrat.docx", 1]),
    ("documents", ["deal-1.contrat.docx"]),
    ("documents", "deal-1.contrat.docx"),
    ("clauses", ["objet@2", "client@1"]),  # the offer's table, not the contract's
    ("clauses", ["objet@2"]),
    ("clauses", ["objet@2", ["duree@3"]]),
    ("clauses", {"objet@2": "cd" * 32}),
    ("clauses", {"objet@2": "CD" * 32}),
    ("sha256", HASH.upper()),
    ("sha256", HASH[:-1]),
    ("deal_sha256", None),
    ("template_sha256", 12),
    ("library_sha256", HASH + "0"),
    ("previous_sha256", "x"),
    ("previous_sha256", HASH),
    ("kind", "offre"),
    ("kind", "redline"),
    ("kind", ["contrat"]),
    ("kind", None),
    ("deal", None),
    ("deal_path", 3),
    ("tool", ["0.1.0"]),
    ("review", 0),
    ("final", 1),
    ("final", True),
]


@pytest.mark.parametrize(("field", "value"), VARIANTS,
                         ids=[f"{f}={v!r}"[:60] for f, v in VARIANTS])
@pytest.mark.parametrize("held", [True, False], ids=["loaded", "streamed"])
def test_an_entry_read_after_others_reads_as_it_reads_alone(field, value, held):
    """Read after the same entry unchanged (what it shares, checked then, is at hand),
    an entry changed in one field gives exactly what it gives when read first."""
    changed = _entry(**{field: value})
    alone = _read(NAME, changed, manifest._Shared(TABLES, held=held))

    shared = manifest._Shared(TABLES, held=held)
    assert _read(NAME, _entry(), shared)[0] == "entry"
    assert _read("deal-1.offre.docx", _entry(), shared)[0] == "entry"
    after = _read(NAME, changed, shared)

    assert after == alone
    assert _read(NAME, _entry(), shared) == _read(NAME, _entry(), manifest._Shared(
        TABLES, held=held))  # and the one read after it is not mistaken either


def test_a_warning_written_true_where_the_entry_before_says_1_is_refused():
    shared = manifest._Shared(TABLES, held=False)
    entry_from_json(NAME, _entry(), shared)
    with pytest.raises(manifest.Damaged, match="a warning is not"):
        entry_from_json(NAME, _entry(warnings=[[True, 22, *WARNING[2:]]]), shared)


def test_the_words_of_a_damaged_field_name_the_entry_and_the_field():
    for field, words in [("deal", "deal is not text"), ("tool", "tool is not text"),
                         ("deal_path", "deal_path is not text"),
                         ("sha256", "sha256 is not a hash"),
                         ("previous_sha256", "previous_sha256 is not a hash"),
                         ("deal_sha256", "deal_sha256 is not a hash"),
                         ("template_sha256", "template_sha256 is not a hash"),
                         ("library_sha256", "library_sha256 is not a hash")]:
        with pytest.raises(manifest.Damaged) as raised:
            entry_from_json(NAME, _entry(**{field: 7}), manifest._Shared(TABLES))
        assert str(raised.value) == f"{NAME}: {words}"
    pdf = {"kind": "pdf", "deal": "d.yaml", "sha256": HASH, "source": NAME,
           "source_sha256": "no", "tool": "0.1.0"}
    with pytest.raises(manifest.Damaged) as raised:
        entry_from_json("deal-1.contrat.pdf", pdf)
    assert str(raised.value) == "deal-1.contrat.pdf: source is not a hash"


def test_the_clauses_noted_as_the_manifest_goes_by_are_the_last_in_name_order():
    """A clause set met again at once is not noted again; met again after another one
    that gave a clause another hash, it is: the last entry in name order says."""
    one = {"objet@2": "aa" * 32}
    other = {"objet@2": "bb" * 32}

    def contract(name: str, clauses: dict[str, str]) -> tuple[str, DocumentEntry]:
        return name, DocumentEntry(kind=Kind.CONTRACT, deal="d", sha256=HASH,
                                   deal_sha256=HASH, template_sha256=HASH,
                                   library_sha256=HASH, tool="0", clauses=clauses)

    for order, last in [((one, one), one), ((one, other), other), ((one, other, one), one),
                        ((other, one, one), one)]:
        recorded: dict[str, dict[str, str]] = {}
        pairs = [contract(f"d-{i}.contrat.docx", clauses) for i, clauses in enumerate(order)]
        assert list(build_module._recording(pairs, recorded)) == pairs
        assert recorded == {"contrat": last}


@pytest.mark.parametrize("size", [0, 1, 64 * 1024 - 1, 64 * 1024, 200_000])
def test_a_file_is_hashed_a_block_at_a_time_as_a_whole(tmp_path, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "file"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(path) == expected
    assert build_module._input_sha256(path) == expected
    assert sha256_file(tmp_path) is None and build_module._input_sha256(tmp_path) is None
    assert build_module._input_sha256(tmp_path / "absent") is None


def test_the_version_is_the_one_the_package_metadata_gives():
    assert generator.__version__ == importlib.metadata.version("apport")


# A document's line of the manifest, as written and written otherwise: read where it is
# (the name, then the value after ": "), it gives what reading its body in braces gives.
LINES = ['"a": {"x": 1}', '"a" : {"x": 1}', '"a":{"x": 1}', '"a": {"x": 1}, "b": 2',
         '"a": {"x": 1} ', ' "a": {"x": 1}', '"a": "x"', '"a\\u00e9\\"": [1, 2]', '"a": 1}{',
         '"a": NaN', '"a": -Infinity', '"a\x01": 1', '"a": "\x01"', '"a": ' + "[" * 5000,
         '"a": {"x": 1}}', '"a": {"x": 1', '"a": {"x": 1}, "a": {"y": 2}', '"a"', '"a":',
         "'a': 1", '"a": 1e400', '"a": 01', '"a": {"x": 1}\u00a0', '"\ud800": 1', '']


def _as_braces(body: str) -> tuple[str, Any] | None:
    """The line's name and value read as before: its body in braces, one key."""
    try:
        item = json.loads("{" + body + "}", parse_constant=manifest._no_constant)
    except (ValueError, RecursionError):
        return None
    return next(iter(item.items())) if len(item) == 1 else None


@pytest.mark.parametrize("body", LINES)
@pytest.mark.parametrize("end", [",\n", "\n"])
def test_a_line_is_read_where_it_is_as_its_body_in_braces_reads(body, end):
    line = "  " + body + end
    try:
        read: tuple[str, Any] | None = manifest._item(line, -len(end))
    except manifest._OtherLayout:
        read = None
    assert repr(read) == repr(_as_braces(body))


def test_the_status_lines_pattern_is_the_one_of_a_json_name():
    """The pattern that reads a status line (its name's part unrolled for speed) takes
    exactly the lines the plain pattern takes, with the same parts."""
    plain = re.compile(rb'\{"((?:[^"\\]|\\.)*)":\[([0-9]+),(-?[0-9]+),(-?[0-9]+),([0-9]+),'
                       rb'"([0-9a-f]{64})"\]\}\n')
    pieces = [b'"', b"\\", b"a", "é".encode(), b"n", b"}", b":", b"[", b"]", b"\\\\", b'\\"']
    names = [b"".join(p) for n in range(5) for p in itertools.product(pieces, repeat=n)]
    for name in names:
        for tail in (b'1,2,3,4,"' + b"a" * 64 + b'"]}\n', b'1,-2,-3,4,"' + b"0" * 64 + b'"]}\n',
                     b'1,2,3,4,"' + b"a" * 63 + b'"]}\n'):
            line = b'{"' + name + b'":[' + tail
            ours, theirs = manifest._ONE_STATUS.fullmatch(line), plain.fullmatch(line)
            assert (ours and ours.groups()) == (theirs and theirs.groups()), line


def test_a_window_gives_the_pair_ahead_at_once_and_keeps_it_no_longer():
    """Taking the very name the stream is at passes it without keeping it (the file
    statuses, asked for in the manifest's order, are taken so); the rest as before."""
    window = manifest.Window((name, name.upper()) for name in ["a", "b", "c", "d"])
    assert window.take("a") == "A"  # the one ahead
    assert window.get("a") is None and window.take("a") is None
    assert window.take("c") == "C"  # past b: b kept
    assert window.get("b") == "B"
    assert list(window.forget_before("d")) == [("b", "B")]
    assert window.take("d") == "D" and list(window.rest()) == []
