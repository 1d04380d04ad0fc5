"""``apport schema``: the JSON Schema of format 1, committed and printed alike."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLES, SCHEMA, SCHEMA_LINE, sample_dict, sample_paths

from generator.cli import cli
from generator.schema import schema_json

TOP_LEVEL = ["reference", "signature", "introducer", "beneficiary", "client", "role",
             "liability", "commission", "duration", "disputes", "offer"]


@pytest.fixture(scope="module")
def printed() -> str:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_printed_schema_equals_the_committed_file_byte_for_byte(printed):
    assert printed.encode("utf-8") == SCHEMA.read_bytes()


def test_schema_json_is_stable_and_ends_with_a_newline():
    text = schema_json()
    assert text == schema_json()
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_schema_is_json_with_the_formats_top_level(printed):
    schema = json.loads(printed)
    assert schema["type"] == "object"
    assert list(schema["properties"]) == TOP_LEVEL
    assert set(schema["required"]) == {"signature", "introducer", "beneficiary", "client",
                                       "role", "commission"}
    assert schema["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_section_refuses_unknown_keys(printed):
    schema = json.loads(printed)
    for name, definition in schema["$defs"].items():
        assert definition.get("additionalProperties") is False, name


def test_schema_names_every_field_of_the_format(printed):
    defs = json.loads(printed)["$defs"]
    assert list(defs["Commission"]["properties"]) == [
        "rate", "base", "payment_days", "covers_trial", "covers_follow_on"]
    assert list(defs["Duration"]["properties"]) == [
        "mission", "commission_months", "agreement_months", "renewal", "notice_days",
        "tail_months"]
    assert set(defs["Introducer"]["required"]) >= {"name", "legal_form", "siret", "address",
                                                   "vat"}
    assert "vat" not in defs["Party"]["required"]
    assert set(defs["Client"]["properties"]) == {"name", "activity", "need", "estimated_revenue",
                                                 "informed", "named_in_offer"}


def test_every_sample_points_at_the_schema():
    for path in sample_paths():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == SCHEMA_LINE, path.name
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == SCHEMA.resolve()


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def test_samples_satisfy_the_schema_and_a_typo_does_not():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sample_paths():
        data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert list(validator.iter_errors(data)) == [], path.name
    bad = _json_ready(sample_dict())
    bad["comission"] = bad.pop("commission")
    assert list(validator.iter_errors(bad))
    bad = _json_ready(sample_dict())
    bad["duration"]["mission"] = "weekly"
    assert list(validator.iter_errors(bad))
    assert SAMPLES.is_dir()
