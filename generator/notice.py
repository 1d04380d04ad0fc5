"""The client notice: the introducer's letter telling the client what is agreed about her.

The practice's first rule is transparency towards both the beneficiary and
the client; the client signs nothing, so this letter is how she learns whom
she is recommended to, that the introduction goes through an agreement with
a commission paid by the beneficiary (or that there is none), that she
stays free and pays nothing more, and what happens to her details (RGPD
art. 13: recipient, purpose, basis, how long, her rights). Its words are
clause files too (``clauses/client/``), rendered from the same derived
terms as the contract and the offer sheet.
"""

from __future__ import annotations

from typing import Any

from .clauses import Library, Rendered, render
from .contract import BuiltDocument, custom_properties
from .documents import WordTemplate, block_context
from .french import de
from .model import Deal
from .offer import plain_text
from .terms import Terms, derive, facts

NOTICE_TITLE = "Information sur votre mise en relation"
NOTICE_HEADER = "Lettre d’information au client"
SALUTATION = "Madame, Monsieur,"
CLOSING = "Je vous prie d’agréer, Madame, Monsieur, mes salutations distinguées."


def render_notice(deal: Deal, *, reference: str, library: Library) -> tuple[Terms, Rendered]:
    """The notice's terms and rendered sections (the client is named: it is her letter)."""
    terms = derive(deal, reference=reference)
    return terms, render(library, facts(deal), terms.as_context())


def _sender(terms: Terms) -> list[str]:
    who = terms.introducer
    lines = [f"{who.name}, {who.form_short}" if who.is_company else f"{who.name} (EI)"]
    if who.is_company:
        lines.append(f"représentée par {who.signer}, {who.capacity}")
    lines.append(who.address)
    if who.email:
        lines.append(who.email)
    lines.append(f"SIRET {who.siret}")
    return lines


def _heading(terms: Terms) -> tuple[str, str]:
    """The letter's recipient line and its subject."""
    # the notice is addressed to the client, so its terms always carry the name
    return (f"À l’attention {de(terms.client.name or '')}",
            f"Objet\u00a0: votre mise en relation avec {terms.beneficiary.name}")


def notice_context(terms: Terms, rendered: Rendered) -> dict[str, Any]:
    """The variables of ``client.docx``."""
    recipient, subject = _heading(terms)
    return {
        "reference": terms.reference,
        "draft_notice": NOTICE_HEADER,
        "title": NOTICE_TITLE,
        "sender": _sender(terms),
        "recipient": recipient,
        "subject": subject,
        "sections": [{"id": a.id, "title": a.title, "blocks": block_context(a.blocks)}
                     for a in rendered.articles],
        "salutation": SALUTATION,
        "closing": CLOSING,
        "signature": _sender(terms)[0],
    }


def build_notice(deal: Deal, *, reference: str, library: Library,
                 template: WordTemplate) -> BuiltDocument:
    """Render a deal's client notice into Word bytes (for every deal, rate 0 included)."""
    terms, rendered = render_notice(deal, reference=reference, library=library)
    properties = {"title": f"{NOTICE_TITLE} – {reference}", "subject": NOTICE_HEADER,
                  "language": "fr-FR"}
    data = template.render(notice_context(terms, rendered), properties,
                           custom_properties("client", reference, rendered.used, template))
    return BuiltDocument("client", data, rendered.used, template.sha256)


def notice_text(deal: Deal, *, reference: str, library: Library, width: int = 78) -> str:
    """The client notice as plain text, ready to paste into an email to the client."""
    terms, rendered = render_notice(deal, reference=reference, library=library)
    _recipient, subject = _heading(terms)
    text = plain_text([subject, "", SALUTATION], rendered.articles, width=width)
    return f"{text}\n{CLOSING}\n\n{_sender(terms)[0]}\n"


__all__ = ["build_notice", "notice_text", "render_notice"]
