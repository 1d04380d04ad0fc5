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
import textwrap
from typing import Any

from .clauses import Article, Library, Rendered, render
from .contract import BuiltDocument, custom_properties
from .documents import WordTemplate, block_context
from .french import de, plain
from .model import Deal
from .terms import Terms, derive, facts

OFFER_NOTICE = "Document d’information – seul le contrat signé engage"


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
        "draft_notice": OFFER_NOTICE,
        "title": title,
        "subtitle": subtitle,
        "sections": [{"id": a.id, "title": a.title, "blocks": block_context(a.blocks)}
                     for a in rendered.articles],
        "message": list(terms.message),
        "example": ({"rows": [dataclasses.asdict(r) for r in example.rows]}
                    if example is not None else None),
    }


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
    out: list[str] = [title, subtitle, ""]

    def wrap(text: str, first: str = "", rest: str = "") -> None:
        out.extend(textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                                 break_on_hyphens=False) or [first.rstrip()])

    for section in rendered.articles:
        out += [section.title, "-" * len(section.title)]
        for i, block in enumerate(section.blocks):
            if block.bullet:
                wrap(block.text, "  • ", "    ")
                if i + 1 == len(section.blocks) or not section.blocks[i + 1].bullet:
                    out.append("")
            else:
                wrap(block.text)
                out.append("")
        if section.id == "recommandation":
            for paragraph in terms.message:
                wrap(paragraph, "  > ", "  > ")
                out.append("  >")
            if terms.message:
                out.pop()
                out.append("")
        if section.id == "exemple" and terms.example is not None:
            out += _table(terms)
        if out[-1] != "":
            out.append("")
    text = plain("\n".join(out)).rstrip() + "\n"
    return text


def _table(terms: Terms) -> list[str]:
    assert terms.example is not None
    head = ("", "CA du client (HT)", "Commission (HT)", "Vous gardez (HT)")
    rows = [head] + [(r.label, r.revenue, r.commission, r.kept) for r in terms.example.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return [*lines, ""]


__all__ = ["Article", "build_offer", "offer_text", "offer_terms"]
