"""A deal file, end to end: find it, load it, validate it, report every problem.

This is the one place where YAML becomes a :class:`~generator.model.Deal`;
everything after receives a model, never a dict. Every problem of a file is
reported at once, each located at its line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import rules
from .diagnostics import DealError, Diagnostic
from .finding import DEAL_SUFFIXES, find_deal_files  # noqa: F401 - part of this API
from .loading import LoadedDeal, load_bytes, load_file
from .model import _FORBIDDEN, Deal, field_names, ignore_terms_without_commission, message_of
from .records import record


@record
class CheckedDeal:
    """The outcome of reading one deal file.

    ``deal`` is ``None`` when the file has errors; ``diagnostics`` holds
    every error and warning, sorted by position.
    """

    path: Path
    file: str
    deal: Deal | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """The output name: the file name without extension, never its contents."""
        return self.path.stem

    @property
    def reference(self) -> str:
        """The deal's ``reference``, or its file name (control characters replaced)."""
        if self.deal is not None and self.deal.reference:
            return self.deal.reference
        return _FORBIDDEN.sub("\ufffd", self.stem)

    @property
    def ok(self) -> bool:
        return self.deal is not None


def check_file(path: str | Path, display: str | None = None, *,
               strict: bool = False) -> CheckedDeal:
    """Read and validate one deal file, collecting every problem.

    Args:
        path: the file to read.
        display: the name shown in messages (defaults to ``path``).
        strict: turn warnings into errors.

    Returns:
        A :class:`CheckedDeal`; it never raises for anything the file holds.
    """
    path = Path(path)
    file = display if display is not None else str(path)
    try:
        loaded = load_file(path, file)
    except DealError as e:
        return CheckedDeal(path, file, None, e.diagnostics)
    return _checked(path, loaded, strict)


def check_bytes(raw: bytes, path: str | Path, display: str, *,
                strict: bool = False) -> CheckedDeal:
    """Validate a deal's text as :func:`check_file` validates the file ``path`` holding it.

    ``path`` gives the deal its name (the stem, the default reference); it is
    never read. ``display`` names the text in messages (``<request>``).
    """
    try:
        loaded = load_bytes(raw, display)
    except DealError as e:
        return CheckedDeal(Path(path), display, None, e.diagnostics)
    return _checked(Path(path), loaded, strict)


def _checked(path: Path, loaded: LoadedDeal, strict: bool) -> CheckedDeal:
    file = loaded.file
    deal, diagnostics = validate_loaded(loaded)
    if strict:
        diagnostics = [d.as_error() for d in diagnostics]
    if any(d.severity == "error" for d in diagnostics):
        deal = None
    return CheckedDeal(path, file, deal, sorted(diagnostics))


def load_deal(path: str | Path, *, strict: bool = False) -> Deal:
    """Read a deal file into a model.

    Raises:
        DealError: with every problem of the file, when it has an error.
    """
    checked = check_file(path, strict=strict)
    if checked.deal is None:
        raise DealError(checked.diagnostics)
    return checked.deal


def validate_loaded(loaded: LoadedDeal) -> tuple[Deal | None, list[Diagnostic]]:
    """Validate loaded data against the model and the rules.

    When some fields are wrong, the rules still run on the sections that are
    right (a rule that needs a wrong section is skipped), so one pass reports
    every problem: a rate of 35 and the same SIREN for both parties, say.
    """
    diagnostics = list(loaded.diagnostics)
    try:
        valid = Deal.model_validate(loaded.data)
        findings = rules.check(valid)
        deal: Deal | None = valid
    except ValidationError as e:
        deal = None
        diagnostics.extend(_from_pydantic(loaded, e))
        findings = rules.check_partial(_valid_sections(loaded.data))
    for finding in findings:
        line, column = loaded.position(tuple(finding.path.split(".")))
        diagnostics.append(Diagnostic(loaded.file, line, column, finding.path,
                                      finding.severity,  # type: ignore[arg-type]
                                      finding.code, finding.params))
    ignored = _typos_in_ignored_terms(loaded)
    if ignored:
        deal = None
        diagnostics.extend(ignored)
    return deal, diagnostics


def _typos_in_ignored_terms(loaded: LoadedDeal) -> list[Diagnostic]:
    """Unknown keys in the terms a rate of 0 makes the model ignore.

    Their values are ignored, as the spec says, but a key the format does not
    know is still a typo worth naming (``comission_months``), as anywhere else.
    """
    if ignore_terms_without_commission(loaded.data) is loaded.data:
        return []  # there is a commission: the model has seen every key
    found = []
    for section in ("liability", "duration", "commission"):
        keys = loaded.data.get(section)
        if isinstance(keys, dict):
            known = set(field_names((section,)))
            for key in keys:
                if key not in known:
                    loc = (section, key)
                    message = message_of({"type": "extra_forbidden", "loc": loc})
                    found.append(Diagnostic(loaded.file, *loaded.key_position(loc),
                                            f"{section}.{key}", "error", message.code,
                                            message.params))
    return found


def _valid_sections(data: dict[str, Any]) -> dict[str, Any]:
    """The top-level sections of ``data`` that validate on their own."""
    from pydantic import TypeAdapter

    data = ignore_terms_without_commission(data)
    valid: dict[str, Any] = {}
    for name, info in Deal.model_fields.items():
        if name not in data or info.annotation is None:
            continue
        try:
            valid[name] = TypeAdapter(info.annotation).validate_python(data[name])
        except ValidationError:
            continue
    return valid


# --- pydantic's errors, located ------------------------------------------------


def _from_pydantic(loaded: LoadedDeal, exc: ValidationError) -> Iterator[Diagnostic]:
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            line, column = loaded.key_position(loc)
        else:
            line, column = loaded.position(loc)
        path = ".".join(str(p) for p in loc)
        message = message_of(error)
        yield Diagnostic(loaded.file, line, column, path, "error", message.code, message.params)
