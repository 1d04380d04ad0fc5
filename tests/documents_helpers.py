"""Helpers for the document tests: build a sample's documents in memory, read them back."""

from __future__ import annotations

import copy
import zipfile
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import reading

from generator.build import Sources, load_kit
from generator.contract import build_contract
from generator.deals import CheckedDeal, check_file
from generator.model import Deal
from generator.notice import build_notice
from generator.offer import build_offer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden"


def kit():
    return load_kit(Sources.default())


@cache
def checked(stem: str) -> CheckedDeal:
    result = check_file(ROOT / "samples" / f"{stem}.yaml", f"samples/{stem}.yaml")
    assert result.deal is not None, result.diagnostics
    return result


def contract_bytes(deal: Deal, reference: str = "REF", *, review: bool = False,
                   warnings: tuple = ()) -> bytes:
    k = kit()
    return build_contract(deal, reference=reference, library=k.contract_library,
                          template=k.contract_template, review=review,
                          warnings=warnings).data


def offer_bytes(deal: Deal, reference: str = "REF") -> bytes:
    k = kit()
    return build_offer(deal, reference=reference, library=k.offer_library,
                       template=k.offer_template).data


def notice_bytes(deal: Deal, reference: str = "REF") -> bytes:
    k = kit()
    return build_notice(deal, reference=reference, library=k.client_library,
                        template=k.client_template).data


@cache
def sample_notice(stem: str) -> bytes:
    c = checked(stem)
    return notice_bytes(c.deal, c.reference)


@cache
def sample_contract(stem: str, *, review: bool = False) -> bytes:
    c = checked(stem)
    warnings = tuple(d for d in c.diagnostics if d.severity == "warning")
    return contract_bytes(c.deal, c.reference, review=review, warnings=warnings)


@cache
def sample_offer(stem: str) -> bytes:
    c = checked(stem)
    return offer_bytes(c.deal, c.reference)


def text(data: bytes) -> str:
    return reading.text(data)


def all_parts_text(data: bytes) -> str:
    """Every part of a Word file, decoded (XML as written, entities included)."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def variant(stem: str, **changes: Any) -> Deal:
    """A sample deal with some fields changed: ``variant(s, **{"commission.rate": 20})``."""
    data = copy.deepcopy(checked(stem).deal.model_dump(mode="python"))
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if node.get(part) is not None else node.setdefault(
                part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return Deal.model_validate(data)


def part(data: bytes, name: str = "word/document.xml") -> str:
    """One part of a Word file, decoded."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        return z.read(name).decode("utf-8")
