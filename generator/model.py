"""The deal format, version 1, as pydantic models.

The loader hands every scalar over as the text the user wrote; the types
below convert it by the field's type, and only the way the spec allows:
booleans are ``true``/``false`` (never ``yes``/``on``), dates are
``YYYY-MM-DD``, amounts and rates are finite numbers with at most two
decimals. Single-field rules (ranges, enums, SIRET and VAT checksums,
control characters) live here; rules that relate several fields live in
:mod:`generator.rules`.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import types
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from .messages import Msg


class _OnFirstUse(types.ModuleType):
    """A stand-in for a standard module: the module is imported when one of its names
    is first read through the stand-in, or, for a function named in ``calls``, when it
    is first called."""

    def __init__(self, name: str, calls: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        if name == "__path__" and self._calls:
            # ``from module import function`` asks whether the module is a package
            # first: the stand-in is not (its names are taken, never its submodules)
            raise AttributeError(name)
        if name in self._calls:
            module = self.__name__

            def on_call(*args: Any, **kwargs: Any) -> Any:
                return getattr(importlib.import_module(module), name)(*args, **kwargs)

            return on_call
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


@contextlib.contextmanager
def _on_first_use(*names: str, calls: tuple[str, ...] = ()) -> Iterator[None]:
    """Imports in this block that import one of ``names`` (not imported yet) get a
    stand-in (:class:`_OnFirstUse`, the functions ``calls`` imported when called);
    other code importing them after gets the module."""
    stand_ins = {name: _OnFirstUse(name, calls) for name in names if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


# python-stdnum's utility module imports pydoc and ssl (with socket and the SSL library)
# at its top for what apport never calls (a module's description, online registry
# checks): 47 M instructions, about 3 % of a one-deal build's start-up. They are imported
# if stdnum ever reads them (see benchmarks/README.md).
with _on_first_use("pydoc", "ssl"):
    from stdnum import exceptions as stdnum_errors
    from stdnum.fr import siret as stdnum_siret
    from stdnum.fr import tva as stdnum_tva

# pydantic's plugin loader, imported when the first model is built, takes
# ``importlib.metadata.entry_points`` at its top, importing importlib.metadata (with the
# email package and socket: 9 ms of a one-deal build) for a function it calls only when
# plugins are not turned off (the command turns them off: PYDANTIC_DISABLE_PLUGINS).
# The function is taken through a stand-in that imports the module when it is called.
with _on_first_use("importlib.metadata", calls=("entry_points",)), \
        contextlib.suppress(ImportError):  # (a private module: elsewhere in another pydantic)
    import pydantic.plugin._loader  # noqa: F401

MAX_TEXT = 2000
MAX_MESSAGE = 10000
MAX_AMOUNT = Decimal(1_000_000_000)

LegalForm = Literal["ei", "eurl", "sarl", "sasu", "sas", "sa"]
COMPANY_FORMS = frozenset({"eurl", "sarl", "sasu", "sas", "sa"})
VatRegime = Literal["franchise", "liable"]

# Characters refused in any text: C0 controls but tab and newline, DEL and
# C1 controls, surrogates (not encodable) and the two non-characters that
# XML forbids. Line and paragraph separators count as line breaks.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\r\u2028\u2029]")
# Invisible and direction-changing characters: a name or an amount that reads
# the same on screen but is not (zero-width spaces and joiners, bidirectional
# marks, embeddings, overrides and isolates, word joiners, a byte-order mark).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


# --- scalar converters -------------------------------------------------------
# Each receives what the loader produced (text, None, or a dict/list when the
# user wrote a structure) and returns it converted or raises :class:`Invalid`
# with a message code (worded by generator.messages for a freelance assistant).


class Invalid(ValueError):
    """A value a field refuses: a message code and its parameters.

    A ValueError, so that pydantic reports it like its own errors (it keeps
    the exception in the error's ``ctx``).
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return Msg(self.code, self.params).render("en")  # for a programmer reading a traceback


def shown(value: Any) -> Any:
    """A value as a message quotes it: a number as is, text quoted and shortened."""
    if isinstance(value, dict):
        return Msg("value-group")
    if isinstance(value, list):
        return Msg("value-list")
    if value is None:
        return Msg("value-nothing")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value if not isinstance(value, float) else Decimal(str(value))
    text = str(value)
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text.strip()):
        return Decimal(text.strip())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _describe(value: Any) -> Any:
    """What the user wrote, quoted as written (a converter sees text, even for ``1``)."""
    if value is None or isinstance(value, (dict, list)):
        return shown(value)
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _text(value: Any, *, multiline: bool) -> Any:
    if not isinstance(value, str):
        return value  # pydantic reports the wrong type
    if multiline:
        value = _LINE_BREAKS.sub("\n", value.replace("\r\n", "\n"))
    bad = _FORBIDDEN.search(value)
    if bad:
        raise Invalid("control-character", char=f"U+{ord(bad.group()):04X}",
                      position=bad.start() + 1)
    hidden = _INVISIBLE.search(value)
    if hidden:
        raise Invalid("invisible-character", char=f"U+{ord(hidden.group()):04X}",
                      position=hidden.start() + 1)
    if not multiline and ("\n" in value or _LINE_BREAKS.search(value)):
        raise Invalid("one-line-expected")
    value = value.strip()
    if not value:
        raise Invalid("empty-text")
    return value


def _one_line(value: Any) -> Any:
    return _text(value, multiline=False)


def _multiline(value: Any) -> Any:
    return _text(value, multiline=True)


_BOOLS = {"true": True, "True": True, "TRUE": True,
          "false": False, "False": False, "FALSE": False}


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _BOOLS:
        return _BOOLS[value]
    raise Invalid("boolean-expected", got=_describe(value))


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _number(value: Any) -> Any:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            try:
                number = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern prevents it
                pass
            else:
                exponent = number.as_tuple().exponent
                if number == number.to_integral_value() or (
                        isinstance(exponent, int) and -exponent <= 2):
                    return number
                raise Invalid("too-many-decimals", got=text)
    raise Invalid("number-expected", got=_describe(value))


def _integer(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value)
    raise Invalid("whole-number-expected", got=_describe(value))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("date-does-not-exist", got=value.strip()) from None
    raise Invalid("date-expected", got=_describe(value))


def _siret(value: str) -> str:
    number = stdnum_siret.compact(value)
    if not number.isdigit():
        raise Invalid("siret-not-digits")
    if len(number) != 14:
        raise Invalid("siret-length", got=len(number))
    try:
        return stdnum_siret.validate(number)
    except stdnum_errors.ValidationError:
        raise Invalid("siret-checksum", siret=stdnum_siret.format(number)) from None


def vat_key(siren: str) -> str:
    """The two-digit key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def _vat_number(value: str) -> str:
    number = value.replace(" ", "").replace(".", "").replace("-", "").upper()
    if not number.startswith("FR"):
        raise Invalid("vat-number-prefix")
    try:
        return "FR" + stdnum_tva.validate(number)
    except stdnum_errors.InvalidLength:
        raise Invalid("vat-number-length") from None
    except stdnum_errors.ValidationError:
        raise Invalid("vat-number-invalid", got=value.strip()) from None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise Invalid("email-invalid", got=_describe(value))
    return value


# --- annotated field types -----------------------------------------------------

# Each type says how editors should see it (the JSON Schema): text fields also
# accept what YAML would read as a number or a boolean (``name: 2027`` is text).
_TEXTUAL = ["string", "number", "boolean"]


def _schema(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema(schema)


Text = Annotated[str, BeforeValidator(_one_line), Field(max_length=MAX_TEXT),
                 _schema(type=_TEXTUAL, maxLength=MAX_TEXT)]
LongText = Annotated[str, BeforeValidator(_multiline), Field(max_length=MAX_TEXT),
                     _schema(type=_TEXTUAL, maxLength=MAX_TEXT)]
Message = Annotated[str, BeforeValidator(_multiline), Field(max_length=MAX_MESSAGE),
                    _schema(type=_TEXTUAL, maxLength=MAX_MESSAGE)]
Bool = Annotated[bool, BeforeValidator(_bool), _schema(type="boolean")]
Amount = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=MAX_AMOUNT),
                   _schema(type="number", minimum=0, maximum=int(MAX_AMOUNT))]
Date = Annotated[date, BeforeValidator(_date), _schema(type="string", format="date")]
Siret = Annotated[str, BeforeValidator(_one_line), AfterValidator(_siret),
                  _schema(type=["string", "integer"], pattern=r"^[0-9 .]{14,22}$",
                          examples=["919 492 504 00007"])]
VatNumber = Annotated[str, BeforeValidator(_one_line), AfterValidator(_vat_number),
                      _schema(type="string", pattern=r"^[Ff][Rr] ?[0-9A-Za-z]{2} ?[0-9 ]{9,12}$")]
Email = Annotated[str, BeforeValidator(_one_line), AfterValidator(_email),
                  _schema(type="string", format="email")]
Originals = Annotated[int, BeforeValidator(_integer), Field(ge=2, le=10),
                      _schema(type="integer", minimum=2, maximum=10)]
Days60 = Annotated[int, BeforeValidator(_integer), Field(ge=0, le=60),
                   _schema(type="integer", minimum=0, maximum=60)]
Days365 = Annotated[int, BeforeValidator(_integer), Field(ge=0, le=365),
                    _schema(type="integer", minimum=0, maximum=365)]
Months60 = Annotated[int, BeforeValidator(_integer), Field(ge=1, le=60),
                     _schema(type="integer", minimum=1, maximum=60)]
Months24 = Annotated[int, BeforeValidator(_integer), Field(ge=0, le=24),
                     _schema(type="integer", minimum=0, maximum=24)]
Rate = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=30),
                 _schema(type="number", minimum=0, maximum=30)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Representative(_Model):
    """The person who signs for a company."""

    name: Text = Field(description="Full name of the person who signs for the company")
    capacity: Text = Field(description="Her capacity, e.g. Présidente, Gérante")


class Party(_Model):
    """A signatory: the beneficiary (and, with ``vat`` required, the introducer)."""

    name: Text = Field(description="Full name (EI) or company name")
    legal_form: LegalForm = Field(description="ei | eurl | sarl | sasu | sas | sa")
    siret: Siret = Field(description="14 digits, spaces allowed; checksum verified")
    address: LongText = Field(description="Postal address (head office for a company)")
    email: Email | None = Field(None, description="Email address")
    vat: VatRegime | None = Field(None, description="franchise (no VAT, art. 293 B CGI) | liable")
    vat_number: VatNumber | None = Field(None, description="FR + key + SIREN")
    share_capital: Amount | None = Field(None, description="Companies: share capital in euros")
    registry: Text | None = Field(None, description="Companies: RCS city")
    representative: Representative | None = Field(
        None, description="Companies: required; an EI signs herself"
    )

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def is_company(self) -> bool:
        return self.legal_form in COMPANY_FORMS


class Introducer(Party):
    """The introducer (l'apporteur d'affaires); her VAT regime decides the invoice mention."""

    vat: VatRegime = Field(description="franchise (no VAT, art. 293 B CGI) | liable")


class Signature(_Model):
    place: Text = Field(description="City where the contract is signed")
    date: Date | None = Field(None, description="YYYY-MM-DD; absent: a blank to fill by hand")
    originals: Originals = Field(2, description="Number of originals, at least one per party")


class Client(_Model):
    """The introduced client: a third party, never a signatory."""

    name: Text = Field(description="The client's name")
    activity: Text | None = Field(None, description="What the client does")
    need: LongText | None = Field(None, description="What the client needs")
    estimated_revenue: Amount | None = Field(
        None, description="Euros excl. VAT: per month (recurring) or in total (one_shot)"
    )
    informed: Bool = Field(
        False, description="The client knows about the introduction and the commission")
    named_in_offer: Bool = Field(False, description="The offer sheet may name the client")


class Role(_Model):
    involvement: Literal["introduction", "discovery_call"] = Field(
        description="introduction: puts them in touch | "
                    "discovery_call: also runs the discovery call"
    )
    commitment: Literal["recommendation", "success"] = Field(
        description="recommendation: no role afterwards | "
                    "success: commits to the collaboration's success"
    )


class Liability(_Model):
    cap: Literal["commissions", "amount", "none"] = Field(
        description="commissions: capped at the commissions received | amount | none"
    )
    cap_amount: Amount | None = Field(None, description="Euros; required when cap is amount")


class Commission(_Model):
    rate: Rate = Field(
        description="Percent of the revenue excl. VAT, 0 to 30 (0: no commission)"
    )
    base: Literal["collected", "invoiced"] = Field(
        "collected", description="collected (encaissé) | invoiced (facturé)"
    )
    payment_days: Days60 = Field(15, description="Days after the beneficiary is paid")
    covers_trial: Bool = Field(True, description="A trial contract's revenue earns commission")
    covers_follow_on: Bool = Field(
        True, description="Contracts after the first one earn commission")


class Duration(_Model):
    mission: Literal["one_shot", "recurring"] = Field(description="one_shot | recurring")
    commission_months: Months60 | None = Field(
        None, description="Recurring: months of commission from the client's first payment"
    )
    agreement_months: Months60 = Field(12, description="Length of the agreement in months")
    renewal: Literal["none", "tacit"] = Field("none", description="none | tacit")
    notice_days: Days365 = Field(30, description="Notice before the end, in days")
    tail_months: Months24 = Field(
        0, description="Commission still due on contracts signed this long after the end"
    )


class Disputes(_Model):
    jurisdiction: Text | None = Field(None, description="Court city (binds only traders)")


class Offer(_Model):
    reply_by: Date | None = Field(None, description="YYYY-MM-DD: answer expected by")
    message: Message | None = Field(
        None, description="Personal message; blank lines separate paragraphs")


class Deal(_Model):
    """One introduction: format 1 of the deal file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="apport deal, format 1",
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://apport.invalid/schema/deal.schema.json",
        },
    )

    reference: Text | None = Field(None, description="Defaults to the file name")
    signature: Signature
    introducer: Introducer
    beneficiary: Party
    client: Client
    role: Role
    liability: Liability | None = None
    commission: Commission
    duration: Duration | None = None
    disputes: Disputes = Field(default_factory=Disputes)
    offer: Offer = Field(default_factory=Offer)

    @model_validator(mode="before")
    @classmethod
    def _ignore_terms_without_commission(cls, data: Any) -> Any:
        return ignore_terms_without_commission(data)

    @property
    def has_commission(self) -> bool:
        return self.commission.rate > 0


def ignore_terms_without_commission(data: Any) -> Any:
    """A rate of 0 makes the commission terms moot: ignore them, as the spec says."""
    if not isinstance(data, dict) or not isinstance(data.get("commission"), dict):
        return data
    try:
        rate = _number(data["commission"].get("rate"))
    except Invalid:
        return data
    if rate != 0:
        return data
    data = {k: v for k, v in data.items() if k not in ("liability", "duration")}
    data["commission"] = {"rate": data["commission"]["rate"]}
    return data


def field_names(path: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at ``path`` (for "did you mean")."""
    model: type[BaseModel] | None = Deal
    for part in path:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return []
        model = model_of(model.model_fields[part].annotation)
    return list(model.model_fields) if model else []


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside a field's annotation (``Party | None`` -> Party)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = model_of(arg)
        if found:
            return found
    return None


def _bound(value: Any) -> Any:
    # pydantic hands a Decimal bound over as its repr: "Decimal('1000000000')"
    text = str(value)
    match = re.fullmatch(r"Decimal\('([^']*)'\)", text)
    return shown(match.group(1) if match else text)


def message_of(error: Mapping[str, Any], at: tuple[str | int, ...] = ()) -> Msg:
    """One of pydantic's errors (from ``ValidationError.errors()``) as a message code.

    The one translation of pydantic's vocabulary, for ``validate`` and the
    wizard alike; ``at`` is the field's path when the error was raised on
    the field alone (the wizard checks one answer at a time).
    """
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    loc = at + tuple(error["loc"])
    if kind == "missing":
        return Msg("field-missing")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = field_names(loc[:-1])
        from difflib import get_close_matches  # (on an error only)

        close = get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            return Msg("unknown-key-did-you-mean", {"key": key, "suggestion": close[0]})
        return Msg("unknown-key", {"key": key, "known": known})
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return Msg("choice-expected", {"choices": expected, "got": shown(value)})
    if kind in ("less_than_equal", "less_than"):
        bound = _bound(ctx.get("le", ctx.get("lt")))
        if loc == ("commission", "rate"):
            return Msg("rate-above-ceiling", {"max": bound, "got": shown(value)})
        return Msg("above-maximum", {"max": bound, "got": shown(value)})
    if kind in ("greater_than_equal", "greater_than"):
        bound = _bound(ctx.get("ge", ctx.get("gt")))
        return Msg("below-minimum", {"min": bound, "got": shown(value)})
    if kind in ("string_too_long", "too_long"):  # a max_length on an annotated str is "too_long"
        return Msg("text-too-long", {"max": ctx.get("max_length"),
                                     "got": len(value) if isinstance(value, str) else "?"})
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Msg("group-expected", {"got": shown(value)})
    if kind == "string_type":
        return Msg("text-expected", {"got": shown(value)})
    if kind == "value_error" and isinstance(ctx.get("error"), Invalid):
        return Msg(ctx["error"].code, ctx["error"].params)
    if kind.startswith(("decimal", "float", "int")):
        return Msg("number-expected", {"got": shown(value)})
    # pragma: no cover - a pydantic kind our model does not use
    return Msg("invalid-value", {"detail": str(error["msg"]).rstrip(".").lower()})
