"""The JSON Schema of the deal format, generated from the models."""

from __future__ import annotations

import json

from .model import Deal


def schema_json() -> str:
    """The schema as stable, pretty-printed JSON (ends with a newline)."""
    schema = Deal.model_json_schema(mode="validation")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
