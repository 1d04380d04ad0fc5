"""Hypothesis strategies for VALID deals over the whole option space (issue 6).

:func:`deals` draws a deal as the loader gives it (a dict whose leaves are
text, as in :data:`generator.library.BASE_DEAL`): every enum value, the
bounds of every range (rate 0.01 and 30, months 1 and 60, amounts 0.01 and
1 000 000 000), optional fields present or absent, a company or an
individual entrepreneur on each side with a valid SIRET (and, maybe, the
matching VAT number), and names in any script: emoji, right-to-left text,
combining marks, ampersands, quotes, template and XML syntax. Every deal it
draws validates without error; :func:`yaml_text` writes it as a deal file,
quoted by PyYAML or written plain (``name: yes``, ``rate: 15``), which the
loader must read back as the same text.

The profiles (``ci``, ``long``) are in :mod:`hypothesis_profiles`; see its
docstring for ``HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st
from stdnum import luhn

from generator.french import typed
from generator.model import MAX_MESSAGE, MAX_TEXT, vat_key

LEGAL_FORMS = ["ei", "eurl", "sarl", "sasu", "sas", "sa"]
ONE_LINE_FIELDS = [
    "reference", "signature.place",
    "introducer.name", "introducer.registry", "introducer.representative.name",
    "introducer.representative.capacity",
    "beneficiary.name", "beneficiary.registry", "beneficiary.representative.name",
    "beneficiary.representative.capacity",
    "client.name", "client.activity", "disputes.jurisdiction",
]
MULTILINE_FIELDS = ["introducer.address", "beneficiary.address", "client.need", "offer.message"]

# Where each text field shows: the contract, and the offer sheet (emails show in neither:
# they are for the email); the offer names the client only when ``named_in_offer`` is
# true, and the beneficiary by her signer (see :func:`shown_in_offer`).
IN_CONTRACT = ["signature.place", "introducer.name", "introducer.address",
               "introducer.registry", "introducer.representative.name",
               "introducer.representative.capacity", "beneficiary.name", "beneficiary.address",
               "beneficiary.registry", "beneficiary.representative.name",
               "beneficiary.representative.capacity", "client.name", "client.activity",
               "client.need", "disputes.jurisdiction"]
IN_OFFER = ["introducer.name", "client.activity", "client.need", "offer.message"]
# The client notice: a letter from the introducer (her name and address head it) to the
# client, recommending the beneficiary (and her representative, for a company).
IN_CLIENT = ["introducer.name", "introducer.address", "beneficiary.name", "client.name",
             "client.need"]

# --- text --------------------------------------------------------------------------------------

# What users type and paste: typographic quotes, ampersands, emoji (with skin tones, flags
# and joiners), right-to-left scripts and marks, combining characters, no-break spaces, and
# the syntax of every layer a value passes through (Jinja, docxtpl, XML, our markup).
FRAGMENTS = [
    "&", "'", '"', "’", "«\u00a0", "\u00a0»", "<", ">", "&amp;", "&lt;", "&#x27;",
    "Dupont & Fils", "L'Atelier", "O’Brien", "“Café”",
    "🧾", "👩🏽", "🇫🇷", "😀", "❤️", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "مرحبا بالعالم", "שלום",
    "e\u0301", "A\u0308", "n\u0303", "\u0301", "\u20dd", "Z\u0351\u036b\u0343",
    "ﬁ", "ß", "İ", "Ǆ", "\u00a0", "\u202f", "\u2009", "\t", "  ",
    "{{ 7*7 }}", "{%", "%}", "{#", "#}", "{%p if x %}", "{{r x }}", "{_{", "}_}",
    "<w:t>", "</w:t></w:r>", "]]>", "<![CDATA[", "<!DOCTYPE x>", "**", "- ", "\ue000", "\ue001",
    "%", "€", "15\u00a0%", "1\u00a0000,00\u00a0€", "None", "null", "yes", "2027", "0x1F",
    "\\", "\\n", "$HOME", "`id`", ":", " #", "--- ", "...",
]

# Any character a one-line text may hold: no control character (tab aside), surrogate,
# line or paragraph separator, U+FFFE/U+FFFF, nor invisible or direction-changing one.
INVISIBLE = "".join(map(chr, [*range(0x200B, 0x2010), *range(0x202A, 0x202F),
                              *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF]))
LINE_CHARACTER = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                  blacklist_characters="\ufffe\uffff" + INVISIBLE),
    st.just("\t"),
)


def _clean(text: str) -> str:
    """What the model keeps of a one-line text: it strips the ends."""
    return text.strip()


def one_line_texts(max_size: int = MAX_TEXT) -> st.SearchStrategy[str]:
    """Valid one-line texts, already stripped (so they print exactly as drawn)."""
    pieces = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(LINE_CHARACTER, min_size=1, max_size=12),
        st.from_regex(r"[A-Za-zÀ-ÿ][a-zà-ÿ]{1,10}", fullmatch=True),
    )
    built = st.lists(pieces, min_size=1, max_size=8).map("".join)
    long = st.tuples(st.sampled_from(["N", "é", "🧾", "&", "{{", "مر"]),
                     st.integers(1, 40)).map(lambda t: (t[0] * max_size)[:max_size - t[1]])
    return st.one_of(built, built, built, long).map(_clean).filter(
        lambda s: 0 < len(s) <= max_size)


def multiline_texts(max_size: int = MAX_TEXT) -> st.SearchStrategy[str]:
    """Valid texts of several lines (addresses, needs, messages): lines and blank lines."""
    line = one_line_texts(200)
    return st.lists(st.one_of(line, line, st.just("")), min_size=1, max_size=6).map(
        "\n".join).map(str.strip).filter(lambda s: 0 < len(s) <= max_size)


# --- numbers, dates, identifiers ---------------------------------------------------------------


def _written(value: Decimal) -> st.SearchStrategy[str]:
    """The ways a user writes a number: ``15``, ``15.0``, ``15.00``, ``+15``."""
    plain = format(value, "f")
    forms = {plain, format(value.quantize(Decimal("0.01")), "f")}
    if value == value.to_integral_value():
        forms.add(str(int(value)))
    return st.sampled_from(sorted(forms) + ["+" + sorted(forms)[0]])


def amounts(low: str = "0.01", high: str = "1000000000") -> st.SearchStrategy[str]:
    """Amounts with at most two decimals, bounds included (as text)."""
    lo, hi = Decimal(low), Decimal(high)
    numbers = st.one_of(
        st.sampled_from([lo, hi]),
        st.decimals(min_value=lo, max_value=hi, places=2, allow_nan=False,
                    allow_infinity=False),
        st.integers(int(lo.to_integral_value(rounding="ROUND_CEILING")), int(hi)).map(Decimal),
    )
    return numbers.flatmap(_written)


def rates() -> st.SearchStrategy[str]:
    """A commission rate above 0: 0.01 to 30, at most two decimals."""
    return amounts("0.01", "30")


def integers(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high)).map(str)


def dates(low: date = date(1990, 1, 1), high: date = date(2100, 12, 31)) -> st.SearchStrategy[date]:
    """Dates from ``low`` to ``high``, a leap day and both ends of a year among them."""
    notable = [d for d in (low, high, date(2028, 2, 29), date(2026, 12, 31), date(2027, 1, 1))
               if low <= d <= high]
    return st.one_of(st.sampled_from(notable), st.dates(low, high))


def sirens() -> st.SearchStrategy[str]:
    """A valid SIREN: 8 digits and their Luhn check digit (never La Poste's 356000000)."""
    return st.from_regex(r"[0-9]{8}", fullmatch=True).filter(lambda s: s != "35600000").map(
        lambda s: s + luhn.calc_check_digit(s))


def sirets(siren: str) -> st.SearchStrategy[str]:
    """A valid SIRET of ``siren``: 4 more digits, then the one the Luhn checksum fixes."""
    return st.from_regex(r"[0-9]{4}", fullmatch=True).map(
        lambda nic: siren + nic + luhn.calc_check_digit(siren + nic))


def _siret_written(siret: str) -> st.SearchStrategy[str]:
    return st.sampled_from([
        siret,
        f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}",
        f"{siret[:9]} {siret[9:]}",
        f"{siret[:3]}.{siret[3:6]}.{siret[6:9]}.{siret[9:]}",
    ])


def _vat_written(siren: str) -> st.SearchStrategy[str]:
    number = f"FR{vat_key(siren)}{siren}"
    return st.sampled_from([number, number.lower(), f"FR {vat_key(siren)} {siren}",
                            f"FR{vat_key(siren)} {siren[:3]} {siren[3:6]} {siren[6:]}"])


def emails() -> st.SearchStrategy[str]:
    local = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True)
    domain = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}\.[a-z]{2,6}", fullmatch=True)
    return st.builds(lambda a, b: f"{a}@{b}", local, domain)


def booleans() -> st.SearchStrategy[str]:
    return st.sampled_from(["true", "false", "True", "FALSE"])


# --- the deal ----------------------------------------------------------------------------------


@st.composite
def _optional(draw: st.DrawFn, target: dict[str, Any], key: str,
              values: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        target[key] = draw(values)


@st.composite
def parties(draw: st.DrawFn, siren: str, *, introducer: bool) -> dict[str, Any]:
    """A signatory: an ``ei`` or a company, with what each requires and may hold."""
    form = draw(st.sampled_from(LEGAL_FORMS))
    siret = draw(sirets(siren))
    party: dict[str, Any] = {
        "name": draw(one_line_texts()),
        "legal_form": form,
        "siret": draw(_siret_written(siret)),
        "address": draw(multiline_texts()),
    }
    draw(_optional(party, "email", emails()))
    if introducer or draw(st.booleans()):
        party["vat"] = draw(st.sampled_from(["franchise", "liable"]))
    draw(_optional(party, "vat_number", _vat_written(siren)))
    if form != "ei":
        draw(_optional(party, "share_capital", st.one_of(st.just("0"), amounts())))
        draw(_optional(party, "registry", one_line_texts(200)))
        party["representative"] = {"name": draw(one_line_texts()),
                                   "capacity": draw(one_line_texts(200))}
    return party


@st.composite
def deals(draw: st.DrawFn, *, commission: bool | None = None) -> dict[str, Any]:
    """A valid deal, in the loader's form: sections of text values.

    Args:
        commission: ``True`` for a rate above 0 only, ``False`` for a rate of 0
            only, ``None`` for both.
    """
    siren_a = draw(sirens())
    siren_b = draw(sirens().filter(lambda s: s != siren_a))
    deal: dict[str, Any] = {}
    draw(_optional(deal, "reference", one_line_texts(200)))

    signature: dict[str, Any] = {"place": draw(one_line_texts(200))}
    signed = draw(st.none() | dates())
    if signed is not None:
        signature["date"] = signed.isoformat()
    draw(_optional(signature, "originals", integers(2, 10)))
    deal["signature"] = signature

    deal["introducer"] = draw(parties(siren_a, introducer=True))
    deal["beneficiary"] = draw(parties(siren_b, introducer=False))

    client: dict[str, Any] = {"name": draw(one_line_texts())}
    draw(_optional(client, "activity", one_line_texts()))
    draw(_optional(client, "need", multiline_texts()))
    draw(_optional(client, "estimated_revenue", st.one_of(st.just("0"), amounts())))
    draw(_optional(client, "informed", booleans()))
    draw(_optional(client, "named_in_offer", booleans()))
    deal["client"] = client

    deal["role"] = {"involvement": draw(st.sampled_from(["introduction", "discovery_call"])),
                    "commitment": draw(st.sampled_from(["recommendation", "success"]))}

    with_commission = draw(st.booleans()) if commission is None else commission
    if with_commission or draw(st.booleans()):  # with a rate of 0 they are optional, ignored
        cap = draw(st.sampled_from(["commissions", "amount", "none"]))
        deal["liability"] = {"cap": cap}
        if cap == "amount":
            deal["liability"]["cap_amount"] = draw(amounts())
        mission = draw(st.sampled_from(["one_shot", "recurring"]))
        duration: dict[str, Any] = {"mission": mission}
        if mission == "recurring":
            duration["commission_months"] = draw(integers(1, 60))
        draw(_optional(duration, "agreement_months", integers(1, 60)))
        draw(_optional(duration, "renewal", st.sampled_from(["none", "tacit"])))
        draw(_optional(duration, "notice_days", integers(0, 365)))
        draw(_optional(duration, "tail_months", integers(0, 24)))
        deal["duration"] = duration

    terms: dict[str, Any] = {"rate": draw(rates()) if with_commission
                             else draw(st.sampled_from(["0", "0.00", "0.0"]))}
    if with_commission or draw(st.booleans()):
        draw(_optional(terms, "base", st.sampled_from(["collected", "invoiced"])))
        draw(_optional(terms, "payment_days", integers(0, 60)))
        draw(_optional(terms, "covers_trial", booleans()))
        draw(_optional(terms, "covers_follow_on", booleans()))
    deal["commission"] = terms

    if draw(st.booleans()):
        deal["disputes"] = {}
        draw(_optional(deal["disputes"], "jurisdiction", one_line_texts(200)))
    if draw(st.booleans()):
        offer: dict[str, Any] = {}
        if draw(st.booleans()):  # never before the signature
            reply_by = draw(dates(signed, signed + timedelta(days=400)) if signed else dates())
            offer["reply_by"] = reply_by.isoformat()
        draw(_optional(offer, "message", multiline_texts(MAX_MESSAGE)))
        deal["offer"] = offer
    return deal


# --- writing a deal file -----------------------------------------------------------------------


class _PlainDumper(yaml.SafeDumper):
    """Writes every text plain where YAML allows it (``name: yes``, ``rate: 15``): only a
    null spelling is quoted, since the loader reads a plain null as "absent"."""


_PlainDumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def yaml_text(deal: dict[str, Any], *, plain: bool = False) -> str:
    """A deal file: PyYAML's usual quoting, or every value it can leave plain."""
    dumper = _PlainDumper if plain else yaml.SafeDumper
    return yaml.dump(deal, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100_000)


def deal_files() -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    """``(deal, YAML text)``: a valid deal and one way of writing it."""
    return st.tuples(deals(), st.booleans()).map(lambda t: (t[0], yaml_text(t[0], plain=t[1])))


def shown_in_offer(model: Any) -> list[str]:
    """The fields the offer sheet of ``model`` (a validated Deal) prints."""
    signer = ("beneficiary.representative.name" if model.beneficiary.is_company
              else "beneficiary.name")
    return [*IN_OFFER, signer] + (["client.name"] if model.client.named_in_offer else [])


def shown_in_notice(model: Any) -> list[str]:
    """The fields the client notice of ``model`` (a validated Deal) prints."""
    signer = ["beneficiary.representative.name"] if model.beneficiary.is_company else []
    return [*IN_CLIENT, *signer]


def printed_pieces(value: str) -> list[str]:
    """What of a written text a document must show: each of its lines (an address
    prints on one line, a message as paragraphs), with French punctuation
    (:func:`generator.french.typed`: typographic apostrophes, no-break spaces)."""
    return [typed(piece) for line in value.split("\n")
            if (piece := line.strip().rstrip(",").strip())]


def get(deal: dict[str, Any], path: str) -> Any:
    """The value at ``a.b.c`` of a deal dict, or None."""
    node: Any = deal
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node
