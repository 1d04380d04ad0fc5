"""French legal typography for numbers, amounts, percentages and dates.

Every figure that ends up in a contract goes through this module so that the
whole document follows one convention: words first, figures in parentheses,
comma as decimal mark, U+00A0 (no-break space) for grouping and before units,
so that no amount, rate or date is ever split across two lines.

Figures come from babel (``fr_FR``) and words from num2words (``lang="fr"``),
with their known French quirks corrected here:

* babel groups thousands with U+202F (narrow no-break space), which many Word
  fonts render badly: it is normalised to U+00A0.
* babel's ``format_decimal`` rounds to three decimals by default: percentages
  are formatted with an explicit pattern carrying exactly the needed decimals.
* babel's ``d MMMM y`` date pattern gives "1 mars" with ordinary spaces: the
  date is assembled from babel's month names with "1er" and U+00A0.
* num2words' ``to="currency"`` mode reads an ``int`` as cents (1500 gives
  "quinze euros"), writes "zéro euros", "zéro centimes" and never
  "d'euros": euros and cents are spelt separately from integers instead.
* num2words reads decimal fractions digit by digit (12.25 gives "douze virgule
  deux cinq") and goes through binary floats: the fractional part of a rate is
  spelt from its decimal digits ("douze virgule vingt-cinq").
"""

from __future__ import annotations

import functools
import re
import threading
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "NBHY",
    "NBSP",
    "ORDINAL_SUFFIX",
    "amount",
    "amount_full",
    "amount_in_words",
    "count",
    "date_long",
    "de",
    "elide_before",
    "join_words",
    "number_full",
    "number_in_words",
    "ordinal_day",
    "percent",
    "percent_full",
    "percent_in_words",
    "plain",
    "punctuation",
    "typed",
    "typography",
]

NBSP = "\u00a0"
"""No-break space: the only space allowed inside a formatted figure."""

NNBSP = "\u202f"
"""Narrow no-break space emitted by babel for French grouping."""

NBHY = "\u2011"
"""No-break hyphen: inside a legal reference ("L.\u00a0441\u201110"); Word shows it as
``w:noBreakHyphen``, plain text as "-"."""

LOCALE = "fr_FR"
_CENT = Decimal("0.01")

# Nouns after which French says "d'euros" ("un million d'euros").
_BIG_NUMBER_NOUNS = frozenset(
    {"million", "milliard", "billion", "billiard", "trillion", "trilliard"}
)

Number = Decimal | int | float


# --------------------------------------------------------------------------
# Input normalisation
# --------------------------------------------------------------------------


def _to_decimal(value: Number) -> Decimal:
    """Convert an input to a finite Decimal, refusing ambiguous types.

    Floats are accepted through their shortest repr (``str``), so that a
    ``12.5`` read from YAML means exactly 12.5 rather than its binary
    approximation; booleans and strings are refused to surface data bugs.
    """
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got bool {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    else:
        raise TypeError(f"expected Decimal, int or float, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _money(value: Number) -> Decimal:
    """Validate a contract amount and return it quantized to cents.

    Contracts never carry negative amounts or fractions of a cent; silently
    rounding either would make the words and the figures disagree with the
    parties' intent, so both are refused.
    """
    dec = _to_decimal(value)
    if dec < 0:
        raise ValueError(f"amount must be >= 0, got {value!r}")
    try:
        cents = dec.quantize(_CENT)
    except InvalidOperation as exc:  # more digits than the context precision
        raise ValueError(f"amount too large: {value!r}") from exc
    if cents != dec:
        raise ValueError(f"amount has more than two decimals: {value!r}")
    return cents + 0  # turns -0.00 into 0.00


def _rate(rate: Number) -> Decimal:
    """Validate a percentage and strip trailing zeros (15.00 -> 15).

    A rate is written as printed (15 means 15 %), never as a fraction.
    """
    dec = _to_decimal(rate)
    if dec < 0:
        raise ValueError(f"rate must be >= 0, got {rate!r}")
    dec = dec.normalize()
    exponent = dec.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:  # 3E+1 -> 30
        dec = dec.quantize(Decimal(1))
    return dec + 0  # turns -0 into 0


def _int(n: int) -> int:
    """Refuse non-integers (bools included) where a count is expected."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an int, got {type(n).__name__}")
    return n


# babel and num2words are imported on first use (``apport validate`` never formats a
# figure), and their answers are kept: the same rates, amounts and counts recur across
# the deals of a batch. Each key is a canonical value (an int, or a Decimal already
# quantized or normalised), so equal inputs always print the same.


@functools.lru_cache(maxsize=4096)
def _words(n: int) -> str:
    """``num2words(n, lang="fr")``: what that function does, its French converter's
    ``to_cardinal(n)``."""
    return _french_converter().to_cardinal(n)


_IMPORTING = threading.Lock()


@functools.cache
def _french_converter() -> Any:
    """num2words' French converter (the object ``num2words(n, lang="fr")`` uses).

    The package's ``__init__`` imports its 56 languages and builds a converter for
    each (20 ms of a one-deal build's start-up, for one language): unless num2words is
    already imported, its French module is imported alone, the package standing in
    ``sys.modules`` only while it is (found and created, never run), so that a later
    ``import num2words`` runs its own ``__init__`` as usual.
    """
    import importlib
    import importlib.util
    import sys

    with _IMPORTING:
        if "num2words" in sys.modules:
            return sys.modules["num2words"].CONVERTER_CLASSES["fr"]
        spec = importlib.util.find_spec("num2words")
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError("num2words is not installed")
        sys.modules["num2words"] = importlib.util.module_from_spec(spec)
        try:
            module = importlib.import_module("num2words.lang_FR")
        finally:
            del sys.modules["num2words"]
        return module.Num2Word_FR()


@functools.lru_cache(maxsize=4096)
def _format_decimal(value: Decimal | int, pattern: str) -> str:
    from babel.numbers import format_decimal

    return _nbsp(format_decimal(value, format=pattern, locale=LOCALE))


@functools.lru_cache(maxsize=4096)
def _format_euros(cents: Decimal) -> str:
    from babel.numbers import format_currency

    return _nbsp(format_currency(cents, "EUR", locale=LOCALE))


@functools.lru_cache(maxsize=1)
def _month_names() -> dict[int, str]:
    from babel.dates import get_month_names

    return {m: name.lower()
            for m, name in get_month_names("wide", context="format", locale=LOCALE).items()}


def preload() -> None:
    """Import babel and num2words and read their French data now: a process about to
    fork workers calls it once, so that every worker starts with them instead of
    loading them again."""
    number_in_words(1)
    amount(1)
    _format_decimal(1, "#,##0")
    _month_names()


def _nbsp(text: str) -> str:
    """Replace every kind of space babel may emit by U+00A0."""
    return text.replace(NNBSP, NBSP).replace(" ", NBSP).replace("\u2009", NBSP)


def _decimals(dec: Decimal) -> int:
    """Number of digits after the decimal point of a Decimal."""
    exponent = dec.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


# --------------------------------------------------------------------------
# Integers
# --------------------------------------------------------------------------


def _feminine(words: str) -> str:
    """Make a trailing "un" agree with a feminine noun ("vingt et une")."""
    if words == "un" or words.endswith((" un", "-un")):
        return words + "e"
    return words


def number_in_words(n: int, *, feminine: bool = False) -> str:
    """Spell an integer in French (traditional spelling, as num2words).

    Args:
        n: the integer ("quatre-vingts", "vingt et un", "deux cents").
        feminine: agree a final "un" with a feminine noun ("une semaine").
    """
    words = _words(_int(n))
    return _feminine(words) if feminine else words


def _figures(n: int) -> str:
    """Group an integer's digits the French way, with U+00A0."""
    return _format_decimal(n, "#,##0")


def number_full(n: int, *, feminine: bool = False) -> str:
    """Words then figures, as contracts do to prevent tampering: "douze (12)"."""
    return f"{number_in_words(n, feminine=feminine)} ({_figures(_int(n))})"


def count(n: int, singular: str, plural: str, *, feminine: bool = False) -> str:
    """A quantity of a noun in words and figures: "douze (12)\u00a0mois".

    French uses the singular below two ("zéro jour", "un jour").

    Args:
        n: the quantity.
        singular: noun for 0 and 1.
        plural: noun from 2 on.
        feminine: the noun is feminine ("une (1) semaine").
    """
    noun = singular if abs(_int(n)) < 2 else plural
    return f"{number_full(n, feminine=feminine)}{NBSP}{noun}"  # « (12) » never ends a line


# --------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------


def amount(value: Number) -> str:
    """Amount in figures: "1 500,00 €" (two decimals, U+00A0 everywhere)."""
    return _format_euros(_money(value))


def _euros_words(euros: int) -> str:
    """Spell the euro part: "un euro", "zéro euro", "un million d'euros"."""
    words = _words(euros)
    last = words.rsplit(" ", 1)[-1].removesuffix("s")
    if last in _BIG_NUMBER_NOUNS:
        return f"{words} d’euros"
    return f"{words} {'euro' if euros < 2 else 'euros'}"


def amount_in_words(value: Number) -> str:
    """Amount in words: "mille deux cent trente-quatre euros et cinquante-six centimes".

    Built from ``num2words(int)`` because its currency mode is wrong in
    French (see the module docstring). Cents alone read "cinquante centimes".
    """
    cents_total = int(_money(value) * 100)
    euros, cents = divmod(cents_total, 100)
    if cents == 0:
        return _euros_words(euros)
    cents_words = f"{_words(cents)} {'centime' if cents < 2 else 'centimes'}"
    if euros == 0:
        return cents_words
    return f"{_euros_words(euros)} et {cents_words}"


def amount_full(value: Number) -> str:
    """Words then figures: "mille cinq cents euros (1 500,00 €)"."""
    return f"{amount_in_words(value)} ({amount(value)})"


# --------------------------------------------------------------------------
# Percentages
# --------------------------------------------------------------------------


def percent(rate: Number) -> str:
    """Rate in figures without trailing zeros: "12,5 %", "15 %"."""
    dec = _rate(rate)
    places = _decimals(dec)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return _format_decimal(dec, pattern) + NBSP + "%"


def percent_in_words(rate: Number) -> str:
    """Rate in words: "douze virgule zéro cinq pour cent".

    The fraction is read as a number after its leading zeros, as French
    speakers do ("virgule vingt-cinq"), not digit by digit as num2words does.
    """
    dec = _rate(rate)
    integer, _, fraction = format(dec, "f").partition(".")
    words = _words(int(integer))
    if fraction:
        significant = fraction.lstrip("0")
        zeros = ["zéro"] * (len(fraction) - len(significant))
        words += " virgule " + " ".join([*zeros, _words(int(significant))])
    return f"{words} pour cent"


def percent_full(rate: Number) -> str:
    """Figures then words: "12,5 % (douze virgule cinq pour cent)"."""
    return f"{percent(rate)} ({percent_in_words(rate)})"


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------


def ordinal_day(d: date | int) -> str:
    """Day of month as written in French dates: "1er", then "2", "15"."""
    day = d.day if isinstance(d, date) else _int(d)
    if not 1 <= day <= 31:
        raise ValueError(f"day out of range: {day}")
    return "1er" if day == 1 else str(day)


def date_long(d: date) -> str:
    """Long date "1er mars 2027", glued with U+00A0 so it never breaks."""
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    month = _month_names()[d.month]
    return f"{ordinal_day(d)}{NBSP}{month}{NBSP}{d.year}"


# --------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------


def join_words(items: list[str]) -> str:
    """Join an enumeration the French way: "a, b et c" (no Oxford comma)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"


_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüÿœæ")


# « de » + article: « du Havre », « des Sables-d’Olonne » (« de La Rochelle » stays).
_ARTICLE_NAME = re.compile(r"(?P<article>Le|Les|le|les)[ \u00a0](?=\S)")
# Words that begin with a vowel yet take no elision: « de onze », « de ouistitis ».
_NO_ELISION = re.compile(r"(?:onze|onzième|ouate|ouistiti|yacht|yaourt)s?\b", re.IGNORECASE)


def de(name: str) -> str:
    """The preposition « de » before a name: elided before a vowel (« d’Inès », « de Marie »),
    contracted with the article « Le »/« Les » (« du Havre », « des Sables-d’Olonne »).

    For names only: a count is written « de onze (11) mois », never through this.
    """
    text = name.strip()
    article = _ARTICLE_NAME.match(text)
    if article:
        return ("du " if article["article"].lower() == "le" else "des ") + text[article.end():]
    first = text[:1].lower()
    if first in _VOWELS and not _NO_ELISION.match(text):
        return f"d’{name}"
    return f"de {name}"


# --------------------------------------------------------------------------
# Punctuation
# --------------------------------------------------------------------------

# Spans left untouched: URLs (trailing punctuation excluded), e-mail
# addresses, Jinja/docxtpl tags and HTML/XML entities.
_PROTECTED = re.compile(
    r"""
      (?:https?|ftp|file)://[^\s<>«»"]*[^\s<>«»".,;:!?)'’]
    | (?:mailto:|www\.)[^\s<>«»"]*[^\s<>«»".,;:!?)'’]
    | [\w.+'’-]+@[\w-]+(?:\.[\w-]+)+
    | \{\{.*?\}\}
    | \{%.*?%\}
    | \{\#.*?\#\}
    | &(?:[A-Za-z][A-Za-z0-9]*|\#[0-9]+|\#[xX][0-9A-Fa-f]+);
    """,
    re.VERBOSE | re.DOTALL,
)

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_HIGH_PUNCT = frozenset(";:!?")
_OPENERS = frozenset("([{")
# the only characters :func:`punctuation` acts on: a text without them is left as it is
_PUNCTUATED = re.compile("['«»;:!?]")
_SPACED = re.compile("[«»;:!?]")  # the signs punctuation spaces: without them, only apostrophes
# What every protected span holds (see _PROTECTED): a text without any of them has none.
_PROTECTED_SIGN = re.compile(r"://|www\.|mailto:|@|\{|&")


def _protects(text: str) -> bool:
    """Whether ``text`` may hold a protected span (False: it holds none)."""
    return _PROTECTED_SIGN.search(text) is not None


def _is_hspace(ch: str) -> bool:
    """Horizontal whitespace: a space that is not a line break."""
    return ch.isspace() and ch not in _LINE_BREAKS


def _protected_mask(text: str) -> list[bool]:
    """Flag the characters of ``text`` that belong to a protected span."""
    mask = [False] * len(text)
    if not _protects(text):
        return mask
    for match in _PROTECTED.finditer(text):
        for i in range(match.start(), match.end()):
            mask[i] = True
    return mask


def _space_before(out: list[str], punct: str, *, insert: bool = True) -> None:
    """Ensure exactly one U+00A0 before ``punct`` at the end of ``out``.

    Nothing is inserted at the start of a line, after an opening bracket,
    between two high punctuation marks ("?!" stays grouped), or when
    ``insert`` is false (a sign inside a word, "w:t", where an existing space
    is still made no-break).
    """
    end = len(out)
    start = end
    while start > 0 and _is_hspace(out[start - 1]):
        start -= 1
    prior = out[start - 1] if start > 0 else None
    if prior is None or prior in _LINE_BREAKS:
        return
    if start < end:
        out[start:] = [NBSP]
    elif not insert or prior in _OPENERS or (punct in _HIGH_PUNCT and prior in _HIGH_PUNCT):
        return
    else:
        out.append(NBSP)


def punctuation(text: str) -> str:
    """French punctuation: typographic apostrophes and no-break spaces.

    Straight apostrophes become ’; the space before ; : ! ? » and after « is
    made (or inserted as) a single U+00A0 so that the sign never starts a
    line. URLs, e-mail addresses, Jinja tags, entities and digit:digit
    (times such as 10:30) are left alone. The function is idempotent.
    """
    if _PUNCTUATED.search(text) is None:  # nothing to change (most names and values)
        return text
    if _SPACED.search(text) is None and not _protects(text):
        return text.replace("'", "’")  # apostrophes alone, none in a protected span
    mask = _protected_mask(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if mask[i]:
            out.append(ch)
        elif ch == "'":
            out.append("’")
        elif ch in _HIGH_PUNCT or ch == "»":
            is_time = (
                ch == ":"
                and bool(out)
                and out[-1].isdigit()
                and i + 1 < n
                and text[i + 1].isdigit()
            )
            if not is_time:  # a sign glued to the next word is not punctuation: "w:t"
                _space_before(out, ch, insert=not (i + 1 < n and text[i + 1].isalnum()))
            out.append(ch)
        elif ch == "«":
            out.append(ch)
            j = i + 1
            while j < n and not mask[j] and _is_hspace(text[j]):
                j += 1
            if j < n and text[j] not in _LINE_BREAKS:
                out.append(NBSP)
                i = j
                continue
            out.extend(text[i + 1 : j])  # trailing spaces before a line end
            i = j
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def typed(text: str) -> str:
    """Text typed in a deal (names, need, message...), as a document prints it.

    Only its punctuation changes (apostrophes, no-break spaces before
    « : ; ! ? » and inside guillemets): the words are the user's.
    """
    return punctuation(text)


def plain(text: str) -> str:
    """Document text for a plain-text medium (an email): ordinary spaces and hyphens."""
    return text.replace(NBSP, " ").replace(NBHY, "-").replace(NNBSP, " ")


# --------------------------------------------------------------------------
# Our own text: references, dates, amounts and elision, then punctuation
# --------------------------------------------------------------------------

_SPACE = "[ \u00a0]"
_MONTHS = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
           "décembre")
# "article 1212", "articles 1214 et 1215", "art. 293 B", "art. L. 441-10": the word
# stays with the number.
_ARTICLE = re.compile(rf"\b(articles?|art\.){_SPACE}+(?=\d|[LRDA]\.?{_SPACE}?\d)",
                      re.IGNORECASE)
# "L. 441-10", "L441-10", "R123-237", "D441-5": a code's article, in one piece.
_CODE_ARTICLE = re.compile(rf"(?<![\w.])([LRD])(\.?)({_SPACE}?)(\d{{1,4}}(?:-\d+)+)(?![\w-])")
# A hyphenated article number of the Code civil after "article": "1231-3".
_ARTICLE_NUMBER = re.compile(r"((?:articles?|art\.)\u00a0)(\d+(?:-\d+)+)(?![\w-])",
                             re.IGNORECASE)
# "293 B", "242 nonies A": the number keeps its suffixes.
_SUFFIXES = re.compile(rf"((?:articles?|art\.)\u00a0[\dLRD][\w.\u00a0{NBHY}]*?\d)"
                       r"((?: (?:bis|ter|quater|quinquies|sexies|septies|octies|nonies|decies"
                       r"|[A-Z])(?![\w'’]))+)", re.IGNORECASE)
# "1er décembre 2026", "10 décembre": a date never breaks.
_DATE = re.compile(rf"\b(1er|[12]?\d|3[01]){_SPACE}+({_MONTHS})\b(?:{_SPACE}+(\d{{4}})\b)?")
# "40 €", "2 400 €", "12,5 €": one format for every amount, "40,00 €".
# (never the tail of a longer number: « 1 0100 € » is left as typed, not « 1 100,00 € »)
_AMOUNT = re.compile(rf"(?<![\d,.])(?<!\d[ \u00a0{NNBSP}])"
                     rf"([1-9]\d{{0,2}}(?:[ \u00a0{NNBSP}]\d{{3}})+|\d+)(?:,(\d{{1,2}}))?"
                     rf"[ \u00a0{NNBSP}]?€")
_PERCENT = re.compile(rf"(\d)[ {NNBSP}]%")
_NUMERO = re.compile(r"(?<!\w)(n°|nº|N°)[ ]+(?=\d)")  # "décret n° 2022-725"
# "de un mois" -> "d’un mois": before "un"/"une", as before any vowel.
_ELIDABLE = r"(?<![\w’'-])(de|que|lorsque|puisque|jusque)"
_ELISION = re.compile(_ELIDABLE + rf"{_SPACE}+(?=une?\b)", re.IGNORECASE)
_ELIDABLE_END = re.compile(_ELIDABLE + rf"{_SPACE}+$", re.IGNORECASE)
_ELIDING_START = re.compile(r"une?\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


ORDINAL_SUFFIX = re.compile(rf"(?<=(?<![\w\d])1)er(?=\u00a0(?:{_MONTHS})\b)")
"""The « er » of « 1er » before its month: set in superscript where the medium can."""


def _amount_match(match: re.Match[str]) -> str:
    euros = re.sub(r"\D", "", match.group(1))
    cents = (match.group(2) or "").ljust(2, "0")
    return amount(Decimal(f"{euros}.{cents}"))


def _references(text: str) -> str:
    """No-break spaces and hyphens in legal references, dates and amounts; elision."""
    text = _ELISION.sub(lambda m: m.group(1)[:-1] + "’", text)
    if _DIGIT.search(text) is None:  # every rule below matches a digit (none adds one)
        return text
    text = _ARTICLE.sub(lambda m: m.group(1) + NBSP, text)
    text = _CODE_ARTICLE.sub(lambda m: m.group(1) + m.group(2) + (NBSP if m.group(3) else "")
                             + m.group(4).replace("-", NBHY), text)
    text = _ARTICLE_NUMBER.sub(lambda m: m.group(1) + m.group(2).replace("-", NBHY), text)
    text = _SUFFIXES.sub(lambda m: m.group(1) + m.group(2).replace(" ", NBSP), text)
    text = _DATE.sub(lambda m: NBSP.join(g for g in m.groups() if g), text)
    text = _AMOUNT.sub(_amount_match, text)
    text = _NUMERO.sub(lambda m: m.group(1) + NBSP, text)
    return _PERCENT.sub(lambda m: m.group(1) + NBSP + "%", text)


def typography(text: str) -> str:
    """French typography of our own text (clauses, titles), applied when it is rendered.

    :func:`punctuation`, and: a legal reference never breaks across a line
    ("article\u00a01212", "art.\u00a0293\u00a0B", "L.\u00a0441‑10" with a no-break
    hyphen), nor a date ("1er\u00a0décembre\u00a02026"); every amount in figures
    has the one format of :func:`amount` ("40,00\u00a0€"); "de un" elides
    ("d’un"). URLs, e-mail addresses and Jinja tags are left alone. Idempotent.
    """
    if not _protects(text):
        return punctuation(_references(text))
    pieces: list[str] = []
    position = 0
    for match in _PROTECTED.finditer(text):
        pieces += [_references(text[position:match.start()]), match.group()]
        position = match.end()
    pieces.append(_references(text[position:]))
    return punctuation("".join(pieces))


def elide_before(preceding: str, following: str) -> str:
    """``preceding`` with its final « de » elided when ``following`` starts with un/une.

    For a text followed by a value: « de » + « un (1) mois » -> « d’ » + « un (1) mois ».
    """
    match = _ELIDABLE_END.search(preceding)
    if match and _ELIDING_START.match(following):
        return preceding[:match.start()] + match.group(1)[:-1] + "’"
    return preceding
