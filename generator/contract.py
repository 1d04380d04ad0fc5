"""The contract: a deal's clauses and terms rendered into ``contrat.docx``.

Also the review mode for the jurist: every value from the deal highlighted,
and a last annex « Notes pour le juriste » that lists each clause as
``id@version`` with why it is in or out, the warnings, a summary of the
deal, and what the document was built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .clauses import Clause, Decision, Library, Rendered, render
from .diagnostics import Diagnostic
from .documents import WordTemplate, block_context, rich
from .french import typography
from .model import Deal
from .records import record
from .resources import tool_version
from .terms import Terms, derive, facts
from .text import Block, Run, paragraph, value

TOOL = "apport"
FINAL_SUBJECT = "Contrat à signer"

@record(frozen=True)
class BuiltDocument:
    """One Word document, in memory, with what it was built from."""

    kind: str
    data: bytes
    clauses: tuple[Clause, ...]
    template_sha256: str


def custom_properties(kind: str, reference: str, clauses: Sequence[Clause],
                      template: WordTemplate) -> dict[str, str]:
    """What every document records: its clauses ``id@version``, template hash, tool version."""
    props = {
        "apport.document": kind,
        "apport.reference": reference,
        "apport.version": tool_version(),
        "apport.template": f"sha256:{template.sha256}",
    }
    for i, clause in enumerate(clauses, start=1):
        props[f"apport.clause.{i:02d}"] = clause.key
    return props


def _sentence(message: str) -> str:
    """A catalogue message as a sentence of the annex: capital, French spacing, full stop."""
    return typography(message[:1].upper() + message[1:].rstrip(".") + ".")


def _yes(flag: bool) -> str:
    return "oui" if flag else "non"


def _summary(deal: Deal, terms: Terms) -> list[Block]:
    t = terms
    c = t.commission
    d = t.duration
    assert d is not None and deal.liability is not None and deal.duration is not None
    cap = {"commissions": "plafonnée au plus élevé de "
                          f"{t.liability.floor if t.liability else ''} et des commissions "
                          "perçues ou dues",
           "amount": f"plafonnée à {t.liability.amount if t.liability else ''}",
           "none": "sans plafond contractuel"}[deal.liability.cap]
    rows: list[tuple[str, str]] = [
        ("Référence", t.reference),
        ("Apporteur", f"{t.introducer.name}, {t.introducer.form}"),
        ("Bénéficiaire", f"{t.beneficiary.name}, {t.beneficiary.form}"),
        ("Client", f"{t.client.name}" + (f" – {t.client.activity}" if t.client.activity else "")),
        ("Client informé", _yes(t.client.informed)),
        ("Intervention", "mise en relation et appel découverte" if t.discovery_call
         else "simple mise en relation"),
        ("Engagement", "engagement de réussite de la collaboration" if t.success
         else "simple recommandation"),
        ("Commission", f"{c.rate_figures} {c.base}, exigible {c.due}"),
        ("Mission", f"récurrente, commission pendant {d.months}" if d.recurring
         else "ponctuelle, commission unique"),
        ("Contrat d’essai couvert", _yes(c.covers_trial)),
        ("Contrats suivants couverts", _yes(c.covers_follow_on)),
        ("Responsabilité", cap),
        ("Durée du contrat", f"{d.agreement}, " + ("renouvellement tacite" if d.renewal
                                                  else "sans renouvellement tacite")),
        ("Résiliation pour convenance", f"par l’une ou l’autre Partie, {d.notice} à l’avance"
         if d.early_ending else "exclue"),
        ("Droit de suite", d.tail or "aucun"),
        ("TVA de l’Apporteur", "assujetti" if c.vat_liable else "franchise en base"),
        ("Juridiction", t.jurisdiction or "règles de droit commun"),
        ("Signature", f"{t.signature.place}, " + (t.signature.date or "date à compléter")
         + f", {t.signature.originals} exemplaires"),
    ]
    return [Block((Run(f"{label}\u00a0: "), value(text)), bullet=True) for label, text in rows]


def annex(deal: Deal, terms: Terms, rendered: Rendered, warnings: Sequence[Diagnostic],
          template: WordTemplate) -> list[dict[str, Any]]:
    """The blocks of « Notes pour le juriste »."""

    def decision(d: Decision) -> Block:
        clause = d.clause
        label = typography(clause.title or f"partie de « {clause.part_of} »")
        return Block((Run(clause.key, bold=True), Run(f" – {label}\u00a0: "),
                      Run(d.reason.render("fr"))),
                     bullet=True)

    kept = [decision(d) for d in rendered.decisions if d.included]
    left = [decision(d) for d in rendered.decisions if not d.included]
    notes = [Block((Run(_sentence(w.text("fr"))),), bullet=True) for w in warnings]
    out: list[dict[str, Any]] = []

    def section(title: str, blocks: list[Block], empty: str) -> None:
        out.extend(block_context([paragraph(title)], kind="heading"))
        out.extend(block_context(blocks or [paragraph(empty)], review=True))

    section("Points d’attention", notes, "Aucun avertissement pour ce dossier.")
    section("Clauses retenues", kept, "Aucune.")
    section("Clauses écartées", left, "Aucune.")
    section("Résumé du dossier", _summary(deal, terms), "")
    section("Traçabilité", [
        Block((Run(f"Produit par {TOOL} {tool_version()} à partir du modèle "),
               Run(template.path.name, bold=True),
               Run(f" (empreinte SHA-256 {template.sha256[:16]}…).")), ),
        paragraph("Les valeurs surlignées proviennent du dossier et sont à vérifier. "
                  "Les clauses et leurs versions figurent aussi dans les propriétés "
                  "personnalisées du document."),
    ], "")
    return out


def contract_context(deal: Deal, terms: Terms, rendered: Rendered, *, review: bool,
                     warnings: Sequence[Diagnostic], template: WordTemplate,
                     final: bool = False) -> dict[str, Any]:
    """The variables of ``contrat.docx`` (``final``: the copy to sign, no draft notice)."""
    def signatory(heading: str, who: Any) -> dict[str, str]:
        line = (f"représentée par {who.signer}, {who.capacity}" if who.is_company
                else "en son nom propre")
        return {"heading": heading, "name": who.name, "form": who.form,
                "signer": who.signer, "capacity": who.capacity, "signer_line": line}

    return {
        "reference": terms.reference,
        "draft_notice": "" if final and not review else terms.draft_notice,
        # « dénommée » for a company, « dénommé » for an individual entrepreneur
        "introducer": {"designated": terms.introducer.designated},
        "beneficiary": {"designated": terms.beneficiary.designated},
        "introducer_identity": rich(terms.introducer.identity, review=review),
        "beneficiary_identity": rich(terms.beneficiary.identity, review=review),
        "articles": [
            {"number": a.number, "title": a.title, "heading": a.heading, "id": a.id,
             "blocks": block_context(a.blocks, review=review)}
            for a in rendered.articles
        ],
        "closing": rich((Run(terms.signature.closing),)),
        "signatures": {
            "introducer": signatory("Pour l’Apporteur", terms.introducer),
            "beneficiary": signatory("Pour le Bénéficiaire", terms.beneficiary),
        },
        "review": review,
        "annex": annex(deal, terms, rendered, warnings, template) if review else [],
    }


def build_contract(deal: Deal, *, reference: str, library: Library, template: WordTemplate,
                   review: bool = False, warnings: Sequence[Diagnostic] = (),
                   final: bool = False) -> BuiltDocument:
    """Render a deal's contract into Word bytes.

    ``final``: the copy to sign, once a jurist approved the draft: without the notice
    « Projet – à faire relire par un juriste » (a review copy is always a draft).

    Raises:
        ClauseError, TemplateError: naming the clause or template at fault.
        ValueError: when the deal has no commission (no contract is due).
    """
    if not deal.has_commission:
        raise ValueError("a deal without commission has no contract")
    terms = derive(deal, reference=reference)
    rendered = render(library, facts(deal), terms.as_context())
    context = contract_context(deal, terms, rendered, review=review, warnings=warnings,
                               template=template, final=final)
    properties = {
        "title": f"Contrat d’apporteur d’affaires – {reference}",
        "subject": (FINAL_SUBJECT if final and not review
                    else "Projet de contrat à faire relire par un juriste"),
        "language": "fr-FR",
    }
    data = template.render(context, properties,
                           custom_properties("contrat", reference, rendered.used, template))
    return BuiltDocument("contrat", data, rendered.used, template.sha256)
