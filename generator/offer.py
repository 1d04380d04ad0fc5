"""The offer sheet: what the referred assistant reads before she says yes.

Its words are clause files too (``clauses/offre/``), rendered by the same
sandboxed machinery as the contract, from the same derived terms, so the
offer and the contract can never disagree. The client's name reaches the
offer only when ``client.named_in_offer`` is true: otherwise it is removed
from the terms before anything is rendered, so no clause, template or
document property can print it.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from .clauses import Article, Library, Rendered, render
from .contract import BuiltDocument, custom_properties
from .documents import WordTemplate, block_context, rich
from .french import de, plain
from .model import Deal
from .terms import Terms, derive, facts
from .text import Block, Run

OFFER_NOTICE = "Document d’information – seul le contrat signé engage"
OFFER_NOTICE_ZERO = "Document d’information"  # no commission: no contract to sign
# Sections whose bullets « **Situation** : conséquence » the Word sheet sets as a
# two-column table (plain text keeps them as bullets): its header.
TABLE_SECTIONS = {"fin": ("Ce qui arrive", "Ce qui reste dû")}
_SPACES = " \u00a0\u202f"
_COLON = re.compile(rf"[{_SPACES}]*(?P<aside>\([^()]*\))?[{_SPACES}]*:[{_SPACES}]*")


def offer_terms(deal: Deal, *, reference: str) -> Terms:
    """The deal's terms as the offer may show them (the client unnamed unless allowed)."""
    terms = derive(deal, reference=reference)
    if not deal.client.named_in_offer:
        terms = dataclasses.replace(terms, client=dataclasses.replace(terms.client, name=None))
    return terms


def _titles(terms: Terms) -> tuple[str, str]:
    who = terms.beneficiary.signer
    if terms.commission.zero:
        return "Un client pour vous", f"Une recommandation {de(terms.introducer.name)} pour {who}"
    return "Proposition d’apport d’affaires", f"Une offre {de(terms.introducer.name)} pour {who}"


def render_offer(deal: Deal, *, reference: str, library: Library) -> tuple[Terms, Rendered]:
    terms = offer_terms(deal, reference=reference)
    context = terms.as_context()
    return terms, render(library, _offer_facts(deal), context)


def _offer_facts(deal: Deal) -> dict[str, Any]:
    data = facts(deal)
    if not deal.client.named_in_offer:
        data["client"] = {**data["client"], "name": None}
    return data


def offer_context(terms: Terms, rendered: Rendered) -> dict[str, Any]:
    """The variables of ``offre.docx``."""
    title, subtitle = _titles(terms)
    example = terms.example
    return {
        "reference": terms.reference,
        "draft_notice": OFFER_NOTICE_ZERO if terms.commission.zero else OFFER_NOTICE,
        "title": title,
        "subtitle": subtitle,
        "sections": [_section(a) for a in rendered.articles],
        "message": list(terms.message),
        "example": ({"rows": [dataclasses.asdict(r) for r in example.rows]}
                    if example is not None else None),
    }


def _lead(block: Block) -> tuple[str, tuple[Run, ...]] | None:
    """A bullet « **Situation** : conséquence » as its bold lead and the rest (the rest
    capitalised: it begins a table cell); ``None`` for any other block."""
    if not block.bullet or len(block.runs) < 2 or not block.runs[0].bold:
        return None
    head, *tail = block.runs[1:]
    colon = _COLON.match(head.text)
    if colon is None:
        return None
    text = head.text[colon.end():]
    if not text and not tail:
        return None
    runs = [Run(text, bold=head.bold, value=head.value)] if text else []
    runs += tail
    runs[0] = dataclasses.replace(runs[0], text=runs[0].text[:1].upper() + runs[0].text[1:])
    label = block.runs[0].text.strip(_SPACES)
    if colon["aside"]:  # « **Le contrat prend fin** (à son terme…) : »
        label += " " + colon["aside"]
    return label, tuple(runs)


def _section(article: Article) -> dict[str, Any]:
    """One section of ``offre.docx``: its blocks, and its table (``None``: none)."""
    header = TABLE_SECTIONS.get(article.id)
    blocks: list[Block] = []
    rows: list[dict[str, Any]] = []
    for block in article.blocks:
        lead = _lead(block) if header else None
        if lead is None:
            blocks.append(block)
        else:
            label, runs = lead
            rows.append({"label": label, "rich": rich(runs),
                         "text": "".join(r.text for r in runs)})
    return {"id": article.id, "title": article.title, "blocks": block_context(blocks),
            "table": {"header": list(header), "rows": rows} if header and rows else None}


def build_offer(deal: Deal, *, reference: str, library: Library,
                template: WordTemplate) -> BuiltDocument:
    """Render a deal's offer sheet into Word bytes."""
    terms, rendered = render_offer(deal, reference=reference, library=library)
    title, _ = _titles(terms)
    properties = {"title": f"{title} – {reference}", "subject": "Fiche d’offre",
                  "language": "fr-FR"}
    data = template.render(offer_context(terms, rendered), properties,
                           custom_properties("offre", reference, rendered.used, template))
    return BuiltDocument("offre", data, rendered.used, template.sha256)


def offer_text(deal: Deal, *, reference: str, library: Library, width: int = 78) -> str:
    """The offer as plain text, ready to paste into an email."""
    terms, rendered = render_offer(deal, reference=reference, library=library)
    title, subtitle = _titles(terms)

    def extra(section: Article) -> list[str]:
        out: list[str] = []
        if section.id == "recommandation" and terms.message:
            for paragraph in terms.message:
                out += wrapped(paragraph, width, "  > ", "  > ") + ["  >"]
            out[-1] = ""
        if section.id == "exemple" and terms.example is not None:
            out += _table(terms)
        return out

    return plain_text([title, subtitle], rendered.articles, width=width, extra=extra)


def wrapped(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """One paragraph wrapped for a plain-text email (never an empty list)."""
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False) or [first.rstrip()]


def plain_text(head: list[str], sections: Sequence[Article], *, width: int = 78,
               extra: Callable[[Article], list[str]] | None = None) -> str:
    """Titled sections as plain text for an email (the offer sheet, the client notice).

    ``head`` are the first lines; ``extra`` gives the lines to add after a
    section (a quotation, a table).
    """
    out: list[str] = [*head, ""]
    for section in sections:
        if section.title:
            out += [section.title, "-" * len(section.title)]
        for i, block in enumerate(section.blocks):
            if block.bullet:
                out += wrapped(block.text, width, "  • ", "    ")
                if i + 1 == len(section.blocks) or not section.blocks[i + 1].bullet:
                    out.append("")
            else:
                out += wrapped(block.text, width)
                out.append("")
        if extra is not None:
            out += extra(section)
        if out[-1] != "":
            out.append("")
    return plain("\n".join(out)).rstrip() + "\n"


def _table(terms: Terms) -> list[str]:
    assert terms.example is not None
    head = ("", "CA du client (HT)", "Commission (HT)", "Vous gardez (HT)")
    rows = [head] + [(r.label, r.revenue, r.commission, r.kept) for r in terms.example.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return [*lines, ""]


__all__ = ["Article", "build_offer", "offer_text", "offer_terms", "plain_text"]
