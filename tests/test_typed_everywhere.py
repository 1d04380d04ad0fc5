"""Reader finding 2: text typed in the deal, and the library's own words, reach every
document with typographic apostrophes: the Word files (the review annex included) and
the email (its subject as its body; UTF-8 carries « ’ » everywhere)."""

from __future__ import annotations

import email
import email.policy

from documents_helpers import contract_bytes, notice_bytes, offer_bytes, text, variant

from generator.build import Sources, load_kit
from generator.mail import offer_email
from generator.notice import notice_text
from generator.offer import offer_text

NAMES = {"introducer.name": "L'Atelier d'Anne", "client.name": "Cabinet l'Orée",
         "beneficiary.name": "Assist'Pro"}


def _deal():
    return variant("julie-atelier-bois", **NAMES)


def test_word_documents_have_no_straight_apostrophe() -> None:
    deal = _deal()
    for data in (contract_bytes(deal), contract_bytes(deal, review=True), offer_bytes(deal),
                 notice_bytes(deal)):
        body = text(data)
        assert "L’Atelier d’Anne" in body
        assert "'" not in body, [line for line in body.splitlines() if "'" in line][:3]


def test_plain_texts_and_the_email_subject_are_typographic_too() -> None:
    deal = _deal()
    kit = load_kit(Sources.default())
    offer = offer_text(deal, reference="R", library=kit.offer_library)
    notice = notice_text(deal, reference="R", library=kit.client_library)
    for plain in (offer, notice):
        assert "'" not in plain
    message = email.message_from_bytes(
        offer_email(deal, reference="R", library=kit.offer_library, attachment_name="o.docx",
                    attachment=b"x"), policy=email.policy.default)
    assert "L’Atelier d’Anne" in message["Subject"]
    assert "'" not in message["Subject"]


def test_each_line_of_an_address_or_need_is_typed_alone() -> None:
    """Hypothesis found it: the lines of an address (or a need) print on one line, and
    the typography ran on that joined line, so a ``{{`` on one line and a ``}}`` on a
    later one made one protected span across them: the « » between got no no-break
    space, while the same line typed alone gets one. Each line is now typed alone, as
    the user wrote it, then joined."""
    address = "2 rue {{ du Port\nbâtiment « Ouest »\nétage }}"
    need = "un site {{ vitrine\n« rapide »\nsous }} huit jours"
    deal = variant("julie-atelier-bois", **{"beneficiary.address": address,
                                            "client.need": need})
    for data in (contract_bytes(deal), contract_bytes(deal, review=True)):
        assert "bâtiment «\u00a0Ouest\u00a0»" in text(data)
    assert "«\u00a0rapide\u00a0»" in text(offer_bytes(deal))
