"""Every sample's documents, read back as text, against their golden files.

A change of wording shows up here as a diff a reviewer can read. After an
intended change, regenerate them with:

    APPORT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os

import pytest
import reading
from documents_helpers import (
    GOLDEN,
    SAMPLES,
    sample_contract,
    sample_notice,
    sample_offer,
    text,
)

UPDATE = os.environ.get("APPORT_UPDATE_GOLDEN") == "1"


def _documents():
    for sample in SAMPLES:
        if sample.stem != "avec-le-coeur":
            yield f"{sample.stem}.contrat", lambda s=sample.stem: sample_contract(s)
        yield f"{sample.stem}.offre", lambda s=sample.stem: sample_offer(s)
        yield f"{sample.stem}.client", lambda s=sample.stem: sample_notice(s)


@pytest.mark.parametrize(("name", "make"), list(_documents()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_golden_text(name: str, make) -> None:
    data = make()
    actual = text(data) + "\n--- en-tête et pied de page ---\n" + reading.header_footer_text(
        data) + "\n"
    golden = GOLDEN / f"{name}.txt"
    if UPDATE or not golden.exists():
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{golden.name} did not exist: written, check it and commit it")
    assert actual == golden.read_text(encoding="utf-8")


def test_every_sample_has_its_golden_files() -> None:
    names = {n for n, _ in _documents()}
    assert names == {p.stem for p in GOLDEN.glob("*.txt")}
