"""Every sample's documents convert to PDF with LibreOffice, with a sane page count.

Skipped, with the reason, only where LibreOffice is absent; CI installs it
(.ci/run), so there the check runs for real.
"""

from __future__ import annotations

import pytest
from conftest import needs_libreoffice, page_count
from documents_helpers import SAMPLES, sample_contract, sample_offer

from generator.pdf import convert


@needs_libreoffice
def test_every_sample_document_converts(tmp_path) -> None:
    files = []
    for sample in SAMPLES:
        offer = tmp_path / f"{sample.stem}.offre.docx"
        offer.write_bytes(sample_offer(sample.stem))
        files.append(offer)
        if sample.stem != "avec-le-coeur":
            contract = tmp_path / f"{sample.stem}.contrat.docx"
            contract.write_bytes(sample_contract(sample.stem))
            files.append(contract)
            review = tmp_path / f"{sample.stem}.revue.docx"
            review.write_bytes(sample_contract(sample.stem, review=True))
            files.append(review)
    pdfs = convert(files, tmp_path / "pdf")
    assert len(pdfs) == len(files)
    for docx, pdf in zip(files, pdfs, strict=True):
        pages = page_count(pdf)
        if ".offre" in docx.name:
            assert 1 <= pages <= 5, (docx.name, pages)  # every obligation restated
        elif ".revue" in docx.name:
            assert 5 <= pages <= 12, (docx.name, pages)
        else:
            assert 4 <= pages <= 10, (docx.name, pages)


def test_missing_libreoffice_is_a_clear_error(monkeypatch, tmp_path) -> None:
    from generator.pdf import PdfError

    monkeypatch.setenv("APPORT_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(PdfError, match="apt install libreoffice-writer-nogui"):
        convert([tmp_path / "x.docx"])
