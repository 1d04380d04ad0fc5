"""The deal as a form: the wizard's field table, read the way the wizard reads answers.

Nothing here knows a field, a label or a rule of its own: the fields, their
French labels, help, choices, defaults and relevance come from
:mod:`generator.wizard` (the same table ``apport new`` asks from); values
typed the French way are read by the wizard's readings; the deal file is
written by :func:`generator.wizard.deal_to_yaml`; the problems are those of
``apport validate`` on that text, in French.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import wizard
from ..diagnostics import Diagnostic
from ..records import record

BOOL_LABELS = {"true": "Oui", "false": "Non"}


@record(frozen=True)
class FieldView:
    """One field as the page shows it."""

    path: str
    label: str
    help: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...]
    value: str
    relevant: bool

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@record(frozen=True)
class SectionView:
    key: str
    title: str
    help: str
    fields: tuple[FieldView, ...]

    @property
    def relevant(self) -> bool:
        return any(f.relevant for f in self.fields)


@record
class Reading:
    """What a filled form stands for."""

    yaml: str
    answers: dict[str, Any]
    relevant: list[str]
    problems: dict[str, str] = field(default_factory=dict)  # path -> reason (not understood)
    refused: dict[str, str] = field(default_factory=dict)  # path -> the wizard's reason


def _choices(path: str, kind: str, required: bool) -> tuple[tuple[str, str], ...]:
    if kind == "bool":
        return tuple(BOOL_LABELS.items())
    if kind != "choice":
        return ()
    spec = wizard.FIELDS[path]
    options = tuple((v, spec.labels.get(v, v)) for v in wizard.choice_values(path))
    return options if required else (("", "(non précisé)"), *options)


def display(path: str, value: Any) -> str:
    """A stored value as the form shows it, the French way (15,5 ; 10/12/2026 ; Oui)."""
    if value is None:
        return ""
    kind = wizard.FIELDS[path].kind
    if kind == "bool":
        return "true" if value is True or value == "true" else "false"
    if kind == "number" and isinstance(value, Decimal):
        return (wizard.shown_value(path, value) or "").replace(".", ",")
    if kind == "date" and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    shown = wizard.shown_value(path, value) if kind == "message" else None
    return shown if shown is not None else str(value)


def values_from_data(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's values for a deal file's data (its text values, as loaded)."""
    flat = wizard._flatten(data)
    values: dict[str, str] = {}
    for path in wizard.FIELDS:
        if flat.get(path) is None:
            continue
        try:
            values[path] = display(path, wizard.stored_value(path, flat[path]))
        except ValueError:
            values[path] = str(flat[path])  # shown as written; validation names the problem
    return values


def unknown_keys(data: Any) -> list[str]:
    """The keys of a deal file's data that are no field of the form (lost on saving)."""
    if not isinstance(data, Mapping):
        return []
    return sorted(path for path, value in wizard._flatten(data).items()
                  if path not in wizard.FIELDS and value is not None)


def blank_values() -> dict[str, str]:
    """The form's values for a new deal: the wizard's defaults."""
    return {path: display(path, wizard.default_value(path)) for path in wizard.FIELDS}


def _coerced(path: str, text: Any) -> Any:
    """A value the model refused, kept as close to what was typed as the file allows."""
    if not isinstance(text, str):
        return text
    kind = wizard.FIELDS[path].kind
    if kind in ("number", "integer"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number.is_finite():
            return int(number) if kind == "integer" and number == number.to_integral() else number
    return text


def read_form(raw: Mapping[str, str], *, target: Path | None = None) -> Reading:
    """The deal a filled form stands for, as the YAML text ``apport new`` would write.

    A value the model refuses is still written (as typed, French habits
    converted) so that validation names the problem next to its field; one
    that cannot even be read (a choice not offered) is left out and reported.
    """
    answers: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    problems: dict[str, str] = {}
    for path in wizard.FIELDS:
        text = raw.get(path)
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            answers[path] = wizard.parse_answer(path, text)
        except ValueError as e:
            reasons[path] = str(e)
            try:
                refused[path] = _coerced(path, wizard.normalised_answer(path, text))
            except ValueError as e:
                problems[path] = str(e)
    relevant = [f.path for f in wizard.relevant_fields(answers)]
    data = wizard.deal_data({**answers, **refused})
    text = wizard.deal_to_yaml(data, schema=wizard.schema_reference(target))
    return Reading(text, answers, relevant, problems, reasons)


def sections(values: Mapping[str, str], relevant: Iterable[str]) -> list[SectionView]:
    """Every field of the format, grouped by section, in the order the wizard asks them."""
    shown = set(relevant)
    order = [f.path for f in wizard.relevant_fields(_everything())]
    order += [p for p in wizard.FIELDS if p not in order]
    grouped: dict[str, list[FieldView]] = {}
    for path in order:
        spec = wizard.FIELDS[path]
        grouped.setdefault(spec.section, []).append(FieldView(
            path=path, label=spec.prompt, help=spec.help, kind=spec.kind,
            required=spec.required, choices=_choices(path, spec.kind, spec.required),
            value=values.get(path, ""), relevant=path in shown))
    return [SectionView(key, *wizard.SECTIONS.get(key, (key, "")), tuple(fields))
            for key, fields in grouped.items()]


def _everything() -> dict[str, Any]:
    """Answers under which every branch of the plan is taken (for the order of fields)."""
    return {"introducer.legal_form": "sas", "beneficiary.legal_form": "sas",
            "introducer.vat": "liable", "beneficiary.vat": "liable",
            "liability.cap": "amount", "duration.mission": "recurring"}


def field_of(path: str, relevant: Iterable[str]) -> str | None:
    """The form field a diagnostic's path points at (None: the deal as a whole)."""
    if path in wizard.FIELDS:
        return path
    shown = list(relevant)
    below = [p for p in shown if p.startswith(path + ".")] if path else []
    if below:
        return below[0]
    parts = path.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in wizard.FIELDS:
            return candidate
        parts.pop()
    return None


def by_field(diagnostics: Iterable[Diagnostic], relevant: Iterable[str],
             french: Any) -> tuple[dict[str, list[dict[str, str]]], list[dict[str, str]]]:
    """Messages grouped by the field they concern, and those about the deal as a whole."""
    shown = list(relevant)
    fields: dict[str, list[dict[str, str]]] = {}
    general: list[dict[str, str]] = []
    for d in diagnostics:
        item = {"severity": d.severity, "message": french(d), "path": d.path}
        where = field_of(d.path, shown)
        (fields.setdefault(where, []) if where else general).append(item)
    return fields, general
