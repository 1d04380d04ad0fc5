"""French typography in the documents themselves (issue 11).

The mechanisms live in :mod:`generator.french` and apply when a document is
rendered, whoever wrote the clause: these tests read the Word files (and the
plain-text offer) the way a reader meets them.
"""

from __future__ import annotations

import re

import pytest
from documents_helpers import (
    contract_bytes,
    notice_bytes,
    offer_bytes,
    part,
    sample_contract,
    sample_offer,
    text,
    variant,
)

from generator.build import Sources, load_kit
from generator.french import typography
from generator.offer import offer_text

BASE = "julie-atelier-bois"
NBSP = "\u00a0"


def _words(data: bytes) -> str:
    """The body as read back (python-docx reads a no-break hyphen as "-")."""
    return text(data)


def test_de_un_elides_before_a_number_in_words() -> None:
    deal = variant(BASE, **{"duration.agreement_months": 1, "duration.commission_months": 1,
                            "duration.tail_months": 1})
    bodies = [_words(make(deal)) for make in (contract_bytes, offer_bytes, notice_bytes)]
    # (the documents now say « au plus tard un (1) mois après », « au moins un (1) jour à
    # l’avance »: the elision itself, wherever a clause writes « de » before a count)
    assert typography("une durée de un (1)\u00a0mois") == "une durée d’un (1)\u00a0mois"
    for body in bodies:
        assert not re.search(r"\bde un\b", body), re.findall(r".{30}\bde un\b.{20}", body)


def test_a_legal_reference_never_breaks() -> None:
    body = _words(sample_contract(BASE))
    references = re.findall(r"\b(?:articles?|art\.)[\s\u00a0]+[LRD]?\.?[\s\u00a0]?\d[\w\-]*"
                            r"(?:[\s\u00a0](?:B|bis|nonies|A)\b)*", body)
    assert references
    for reference in references:
        assert " " not in reference, reference  # only no-break spaces inside
    xml = part(sample_contract(BASE))
    # hyphenated references: Word's own no-break hyphen, never a plain "-"
    assert not re.search(r"\b[LRD]\.?(?:\u00a0)?\d+-\d", xml)
    assert "<w:noBreakHyphen/>" in xml


def test_the_first_of_the_month_is_joined_and_in_superscript() -> None:
    data = sample_contract(BASE)  # signed on 1 December 2026
    body = _words(data)
    assert f"1er{NBSP}décembre{NBSP}2026" in body
    xml = part(data)
    assert re.search(r'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                     r'<w:t xml:space="preserve">er</w:t></w:r><w:r><w:t xml:space="preserve">'
                     r'\u00a0décembre', xml), "the « er » of « 1er » is a superscript run"


def test_the_review_annex_signature_line_has_the_superscript_too() -> None:
    """Jurist finding 9: « Signature : Lyon, 1er décembre 2026 » in the annex's summary."""
    xml = part(sample_contract(BASE, review=True))
    annex = xml[xml.index("Résumé du dossier"):]
    assert re.search(r'Lyon, 1</w:t></w:r><w:r><w:rPr><w:rStyle w:val="[^"]+"/>'
                     r'<w:vertAlign w:val="superscript"/></w:rPr><w:t xml:space="preserve">er'
                     r'</w:t></w:r><w:r><w:rPr><w:rStyle w:val="[^"]+"/></w:rPr>'
                     r'<w:t xml:space="preserve">\u00a0décembre', annex)


def test_plain_text_keeps_1er_and_ordinary_spaces() -> None:
    checked_text = offer_text(variant(BASE, **{"offer.reply_by": "2026-12-01",
                                              "signature.date": "2026-12-10"}),
                              reference="R", library=load_kit(Sources.default()).offer_library)
    assert "1er décembre 2026" in checked_text
    assert NBSP not in checked_text and "\u2011" not in checked_text


@pytest.mark.parametrize("make", [sample_contract, sample_offer], ids=["contrat", "offre"])
def test_one_amount_format_everywhere(make) -> None:
    body = _words(make(BASE))
    amounts = re.findall(r"\d[\d\u00a0 ]*(?:,\d+)?[\u00a0 ]?€", body)
    assert amounts
    for amount in amounts:
        assert re.fullmatch(r"\d{1,3}(?:\u00a0\d{3})*,\d\d\u00a0€", amount), amount


def _typed_deal():
    return variant(BASE, **{
        "beneficiary.name": "L'Atelier d'Assist'Pro",
        "client.name": "Bois & Co",
        "client.named_in_offer": True,
        "client.activity": "Menuiserie; ébénisterie",
        "client.need": "Gestion administrative : devis, factures",
        "offer.message": "Bonjour Julie,\n\nComme je te l'ai dit: mon agenda est complet\n"
                         "jusqu'au printemps! Tu es «la» personne?\n   \nMarie\n",
    })


@pytest.mark.parametrize("kind", ["contrat", "offre"])
def test_text_typed_in_the_deal_gets_french_punctuation(kind: str) -> None:
    deal = _typed_deal()
    body = _words(contract_bytes(deal) if kind == "contrat" else offer_bytes(deal))
    assert "Assist'Pro" not in body and "l'ai" not in body
    if kind == "contrat":
        assert "L’Atelier d’Assist’Pro" in body
    else:
        assert f"Menuiserie{NBSP}; ébénisterie" in body
        assert f"Gestion administrative{NBSP}: devis, factures" in body


def test_the_personal_message_keeps_its_paragraphs_not_its_line_breaks() -> None:
    data = offer_bytes(_typed_deal())
    xml = part(data)
    quotes = re.findall(r'<w:p>(?:(?!</w:p>).)*?<w:pStyle w:val="Quote"/>.*?</w:p>', xml)
    texts = ["".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", q)) for q in quotes]
    assert texts == [
        "Bonjour Julie,",
        f"Comme je te l’ai dit{NBSP}: mon agenda est complet jusqu’au printemps{NBSP}! "
        f"Tu es «{NBSP}la{NBSP}» personne{NBSP}?",
        "Marie",
    ]
    assert "<w:br/>" not in "".join(quotes)
