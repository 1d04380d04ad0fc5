"""The samples: every one validates, and together they show the format's cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SAMPLES, sample_paths

from generator.deals import CheckedDeal, check_file
from generator.wizard import field_comment


@pytest.fixture(scope="module")
def checked() -> dict[str, CheckedDeal]:
    return {path.stem: check_file(path) for path in sample_paths()}


def test_there_are_samples(checked):
    assert len(checked) >= 5


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_sample_validates_without_error(path):
    result = check_file(path)
    assert result.ok, "\n".join(map(str, result.diagnostics))
    assert all(d.severity == "warning" for d in result.diagnostics)
    assert all(d.line >= 1 and d.path for d in result.diagnostics)


def test_a_recurring_mission_covering_trial_and_follow_on(checked):
    assert any(
        r.deal.has_commission and r.deal.duration.mission == "recurring"
        and r.deal.commission.covers_trial and r.deal.commission.covers_follow_on
        for r in checked.values())


def test_a_one_shot_mission(checked):
    assert any(r.deal.duration and r.deal.duration.mission == "one_shot"
               for r in checked.values())


def test_a_trial_only_recurring_mission(checked):
    assert any(r.deal.duration and r.deal.duration.mission == "recurring"
               and not r.deal.commission.covers_follow_on for r in checked.values())


def test_a_company_party_with_its_representative(checked):
    parties = [p for r in checked.values() for p in (r.deal.introducer, r.deal.beneficiary)]
    assert any(p.is_company and p.representative is not None for p in parties)
    assert any(r.deal.introducer.is_company for r in checked.values())
    assert any(r.deal.beneficiary.is_company for r in checked.values())


def test_a_recommendation_without_commission(checked):
    free = [r for r in checked.values() if not r.deal.has_commission]
    assert free
    assert all(r.deal.commission.rate == 0 and r.deal.duration is None for r in free)


def test_at_least_one_warning_and_one_sample_without(checked):
    assert any(any(d.severity == "warning" for d in r.diagnostics) for r in checked.values())
    assert any(not r.diagnostics for r in checked.values())


def test_samples_cover_the_liability_caps_and_vat_regimes(checked):
    caps = {r.deal.liability.cap for r in checked.values() if r.deal.liability}
    assert caps == {"commissions", "amount", "none"}
    assert {r.deal.introducer.vat for r in checked.values()} == {"franchise", "liable"}


def test_samples_cover_the_optional_dates(checked):
    assert any(r.deal.signature.date is None for r in checked.values())
    assert any(r.deal.signature.date is not None for r in checked.values())


def test_sample_names_are_their_output_names(checked):
    for stem, result in checked.items():
        assert result.stem == stem
        assert (SAMPLES / f"{stem}.yaml").is_file()



def field_lines(text: str) -> list[tuple[str, str]]:
    """``(field path, line)`` for every line of a deal file that holds a value."""
    found: list[tuple[str, str]] = []
    stack: list[str] = []
    block: int | None = None  # the indentation of a key whose value is a | block
    for line in text.splitlines():
        m = re.match(r"( *)([a-z_]+):(.*)$", line)
        if m is None or (block is not None and len(m.group(1)) > block):
            continue
        block = None
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3).split("  # ")[0].strip()
        stack = [*stack[:indent // 2], key]
        if rest:
            found.append((".".join(stack), line))
            if rest.startswith(("|", ">")):
                block = indent
    return found


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_field_of_every_sample_says_what_it_is_as_apport_new_writes_it(path: Path):
    text = path.read_text(encoding="utf-8")
    fields = field_lines(text)
    assert len(fields) >= 15
    for field, line in fields:  # the same words as the files `apport new` writes
        assert line.endswith(f"  # {field_comment(field)}"), (field, line)
    assert re.search(r"^# .*[éèàçêôûœ«]", text, flags=re.M), "described in French, for its users"


def test_the_files_apport_new_writes_say_what_each_field_is() -> None:
    from generator.wizard import deal_to_yaml

    text = deal_to_yaml({"reference": "X", "client": {"name": "A", "informed": True},
                         "offer": {"message": "Bonjour,\n\nVoici."}})
    assert [f for f, _ in field_lines(text)] == ["reference", "client.name", "client.informed",
                                                  "offer.message"]
    for field, line in field_lines(text):
        assert line.endswith(f"  # {field_comment(field)}"), line
