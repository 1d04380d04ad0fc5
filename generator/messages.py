"""The message catalogue: a code and its parameters -> a sentence in English or French.

The library never words a problem itself: rules, validators, the loader,
the clause library, the build and the wizard report a stable code with
parameters (``rate-above-ceiling``, ``{"got": 35, "max": 30}``); this module
turns it into words, once, for every reader (the terminal, ``--format json``,
the wizard, the jurist's annex). Tools key on the code; people read the
sentence.

The sentences live in gettext catalogues, ``generator/locale/<lang>.po``
(written with babel, see ``tools/write_catalogue.py``): the ``msgid`` is the
code, the ``msgstr`` a :meth:`str.format` template. Plain ``.po`` files are
read directly, so there is no compile step and no binary file to keep in
step with its source; they are read by :func:`read_po` below rather than by
babel's reader, whose import costs every command a tenth of its start-up
(a test checks that both read the same).

A parameter may be a :class:`Msg` (a code inside a message, rendered in the
same language), a :class:`~decimal.Decimal` or float (``12.5`` in English,
``12,5`` in French), a list (joined with commas), or anything else (its
``str()``). Format specs: ``{x:amount}`` writes an amount in euros in the
reader's style; ``{n:deal|deals}`` the word that agrees with the count ``n``.
"""

from __future__ import annotations

import functools
import os
import re
import string
from collections.abc import Mapping
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .records import record

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: str | None = None


@record(frozen=True)
class Msg:
    """A code with its parameters: a message not yet put into words."""

    code: str
    # Two messages are equal when they would say the same thing: code and parameters
    # (the hash reads the code only, as parameters may hold lists).
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def render(self, lang: str | None = None) -> str:
        return render(self.code, self.params, lang)

    def __str__(self) -> str:
        return self.render()


def language_from_environ(environ: Mapping[str, str] | None = None) -> str:
    """``fr`` when the locale for messages is French, else ``en``.

    As POSIX reads it: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    that is set and not empty decides.
    """
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else DEFAULT
    return DEFAULT


def set_language(lang: str | None) -> None:
    """Choose the language of messages (``None``: follow the locale again)."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    global _current
    _current = lang


def language() -> str:
    """The language messages are rendered in when none is asked for."""
    return _current or language_from_environ()


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every code of ``lang``'s catalogue and its template."""
    return read_po((LOCALE_DIR / f"{lang}.po").read_text("utf-8"))


_PO_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\t": "\t", "\\r": "\r"}


def _po_string(line: str) -> str:
    """The text of one quoted line of a ``.po`` file (``"a \\"b\\""`` -> ``a "b"``)."""
    quoted = line.strip()
    inner = quoted[1:-1] if len(quoted) >= 2 and quoted[0] == quoted[-1] == '"' else ""
    if "\\" not in inner:  # most lines: nothing to unescape
        return inner
    return re.sub(r'\\[\\"ntr]', lambda m: _PO_ESCAPES[m.group()], inner)


def read_po(text: str) -> dict[str, str]:
    """``msgid -> msgstr`` of a gettext catalogue's text, as babel's ``read_po`` reads it.

    Entries are separated by blank lines; a string may continue on the lines
    that follow (each quoted). Left out: the header (empty ``msgid``),
    untranslated and ``#, fuzzy`` entries, obsolete ones (``#~``), plurals
    and entries with a context (the catalogue uses none of them).
    """
    found: dict[str, str] = {}
    entry: dict[str, str] = {}
    fuzzy = False
    current: str | None = None

    def close() -> None:
        if entry.get("msgid") and entry.get("msgstr") and not fuzzy and not (
                {"msgctxt", "msgid_plural"} & entry.keys()):
            found[entry["msgid"]] = entry["msgstr"]

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            close()
            entry, fuzzy, current = {}, False, None
        elif stripped.startswith("#"):
            if stripped.startswith("#,") and "fuzzy" in (
                    flag.strip() for flag in stripped[2:].split(",")):
                fuzzy = True
            current = None
        elif stripped.startswith('"'):
            if current is not None:
                entry[current] += _po_string(stripped)
        else:
            keyword, _, rest = stripped.partition(" ")
            current = keyword
            entry[keyword] = _po_string(rest)
    close()
    return found


def codes() -> list[str]:
    """Every code the catalogue knows (the English catalogue is the reference)."""
    return sorted(catalogue(DEFAULT))


def known(code: str) -> bool:
    """Whether ``code`` is in the catalogue."""
    return code in catalogue(DEFAULT)


def to_plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON data (for a manifest), read back by :func:`from_plain`."""
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return {"$decimal": str(value)}
        if isinstance(value, Msg):
            return {"$msg": value.code, "params": to_plain(value.params)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return {key: plain(value) for key, value in params.items()}


def from_plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters :func:`to_plain` wrote, with their types back.

    Raises:
        ValueError: when ``data`` is not what :func:`to_plain` writes.
    """
    if not isinstance(data, dict):
        raise ValueError("not message parameters")
    return {key: _typed(value) for key, value in data.items()}


def _typed(value: Any) -> Any:
    # A module function, not a closure calling itself: that closure was a reference cycle
    # per call, garbage only the cyclic collector frees (the apport command runs without
    # it: see cli.main).
    if isinstance(value, dict):
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$msg" in value:
            return Msg(value["$msg"], from_plain(value["params"]))
        raise ValueError("not a message parameter")
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def params_to_json(params: Mapping[str, Any]) -> str:
    """``params`` as one line of JSON text (ASCII), read back by :func:`params_from_json`."""
    import json

    return json.dumps(to_plain(params), sort_keys=True, ensure_ascii=True)


def params_from_json(text: str) -> dict[str, Any]:
    """The parameters :func:`params_to_json` wrote.

    Raises:
        ValueError: when ``text`` is not what :func:`params_to_json` writes.
    """
    import json

    return from_plain(json.loads(text))


def render(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The sentence of ``code`` with ``params``, in ``lang`` (default: :func:`language`).

    Raises:
        LookupError: for a code the catalogue does not know (a programming
            error: the tests render every code the library can produce).
    """
    lang = lang or language()
    try:
        template = catalogue(lang)[code]
    except KeyError:
        raise LookupError(f"message code {code!r} is not in the {lang} catalogue") from None
    params = params or {}
    out = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(_field(params[name], spec or "", lang))
    return "".join(out)


def _number(value: Decimal | float | int, lang: str) -> str:
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    else:
        text = str(value)
    return text.replace(".", ",") if lang == "fr" else text


def _field(value: Any, spec: str, lang: str) -> str:
    """One parameter in ``lang``: a message, a number, a list, an amount, a counted word."""
    if "|" in spec:  # {n:deal|deals}: the word for the count n
        one, many = spec.split("|", 1)
        singular = abs(value) <= 1 if lang == "fr" else abs(value) == 1
        return one if singular else many
    if spec == "amount":
        from babel.numbers import format_decimal

        locale = "fr_FR" if lang == "fr" else "en_GB"
        return format_decimal(Decimal(value), "#,##0.00", locale=locale) + "\u00a0€"
    if isinstance(value, Msg):
        return value.render(lang)
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        return _number(value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(_field(v, "", lang) for v in value)
    return str(value)
