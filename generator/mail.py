"""A ready-to-send email: the offer as the body, the offer sheet attached.

A standard ``.eml`` message (RFC 5322, UTF-8) built with Python's ``email``
package. ``X-Unsent: 1`` makes Outlook open it as a draft to send;
Thunderbird ("Edit as new") and Apple Mail open it as a message to forward
or send as well.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from typing import TYPE_CHECKING

from .french import de, plain, typed
from .model import Deal

if TYPE_CHECKING:
    from .clauses import Library

MIME_TYPES = {
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".pdf": ("application", "pdf"),
}


def offer_email(deal: Deal, *, reference: str, library: Library, attachment_name: str,
                attachment: bytes) -> bytes:
    """The message's bytes, as ``apport offer --eml`` and ``apport serve`` give them.

    Args:
        library: the offer's clause library: the body is the plain-text offer
            (``offer.offer_text``).
        attachment_name: the file name shown for the offer sheet (``.docx`` or ``.pdf``).
        attachment: its bytes.
    """
    from .offer import offer_text

    body = offer_text(deal, reference=reference, library=library)
    message = EmailMessage(policy=SMTP)
    introducer, beneficiary = deal.introducer, deal.beneficiary
    if introducer.email:
        message["From"] = formataddr((introducer.name, introducer.email))
    if beneficiary.email:
        who = beneficiary.representative.name if beneficiary.representative else beneficiary.name
        message["To"] = formataddr((who, beneficiary.email))
    topic = ("Une recommandation" if not deal.has_commission
             else "Proposition d’apport d’affaires")
    # the name as the body prints it (typographic apostrophes), in plain text
    message["Subject"] = plain(f"{topic} {de(typed(introducer.name))} – réf. {reference}")
    message["X-Unsent"] = "1"
    message.set_content(body, subtype="plain", charset="utf-8")
    suffix = attachment_name[attachment_name.rfind("."):].lower()
    maintype, subtype = MIME_TYPES.get(suffix, ("application", "octet-stream"))
    message.add_attachment(attachment, maintype=maintype, subtype=subtype,
                           filename=attachment_name)
    return message.as_bytes()
