"""A real office suite opens every combination of options (issue 6).

:func:`generator.library.option_deals` gives a small set of deals in which every
pair of values of any two options (role, liability cap, mission, trial and
follow-on coverage, base, renewal, tail, jurisdiction, VAT, informed, named,
signature date, estimate, legal forms...) appears at least once, then a deal
without commission. Each one's contract and offer sheet are rendered and
converted to PDF by LibreOffice in one batch: every document must convert,
the offer on one to five pages (every obligation of the contract is
restated there since issue 11), the contract on four to ten.

Skipped, with the reason, only where LibreOffice is absent (CI installs it).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import needs_libreoffice, page_count
from strategies import yaml_text

from generator.build import Sources, load_kit
from generator.contract import build_contract
from generator.deals import check_file, validate_loaded
from generator.library import OPTIONS, option_deals, pairwise
from generator.loading import load_bytes
from generator.offer import build_offer
from generator.pdf import convert

PAGES = {"contrat": range(4, 11), "offre": range(1, 6)}


def test_the_matrix_covers_every_pair_of_option_values() -> None:
    rows = pairwise(OPTIONS)
    for a in OPTIONS:
        for b in OPTIONS:
            if a < b:
                for va in OPTIONS[a]:
                    for vb in OPTIONS[b]:
                        assert any(r[a] == va and r[b] == vb for r in rows), (a, va, b, vb)
    deals = list(option_deals())
    assert len(deals) == len(rows) + 1
    assert deals[-1][1]["commission"] == {"rate": "0"}


@needs_libreoffice
def test_every_combination_converts_with_a_sane_page_count(tmp_path: Path) -> None:
    kit = load_kit(Sources.default())
    documents: dict[Path, str] = {}
    for number, (label, data) in enumerate(option_deals(), start=1):
        # through the loader and the rules, as a deal file would go
        deal, diagnostics = validate_loaded(load_bytes(yaml_text(data).encode(), f"{label}.yaml"))
        errors = [str(d) for d in diagnostics if d.severity == "error"]
        assert deal is not None and not errors, (label, errors)
        offer = tmp_path / f"{number:02d}.offre.docx"
        offer.write_bytes(build_offer(deal, reference=f"M-{number}", library=kit.offer_library,
                                      template=kit.offer_template).data)
        documents[offer] = label
        if deal.has_commission:
            contract = tmp_path / f"{number:02d}.contrat.docx"
            contract.write_bytes(build_contract(
                deal, reference=f"M-{number}", library=kit.contract_library,
                template=kit.contract_template).data)
            documents[contract] = label

    pdfs = convert(list(documents), tmp_path / "pdf")  # one LibreOffice run for them all

    assert len(pdfs) == len(documents)
    wrong = []
    for (docx, label), pdf in zip(documents.items(), pdfs, strict=True):
        kind = docx.name.split(".")[1]
        pages = page_count(pdf)
        if pages not in PAGES[kind]:
            wrong.append(f"{docx.name}: {pages} pages ({label})")
    assert not wrong, "\n".join(wrong)


@needs_libreoffice
def test_the_accepted_hostile_deals_convert_too(tmp_path: Path) -> None:
    """Template syntax, XML, emoji, right-to-left text, combining marks, 2 000-character
    names: documents a real office suite opens, not only well-formed XML."""
    kit = load_kit(Sources.default())
    hostile = Path(__file__).parent / "hostile"
    cases = yaml.safe_load((hostile / "cases.yaml").read_text(encoding="utf-8"))
    documents = []
    for case in (c for c in cases if c["expect"] == "accept"):
        checked = check_file(hostile / "deals" / case["file"])
        assert checked.deal is not None, case["file"]
        stem = Path(case["file"]).stem
        offer = tmp_path / f"{stem}.offre.docx"
        offer.write_bytes(build_offer(checked.deal, reference=checked.reference,
                                      library=kit.offer_library,
                                      template=kit.offer_template).data)
        contract = tmp_path / f"{stem}.contrat.docx"
        contract.write_bytes(build_contract(checked.deal, reference=checked.reference,
                                            library=kit.contract_library,
                                            template=kit.contract_template).data)
        documents += [offer, contract]

    pdfs = convert(documents, tmp_path / "pdf")

    for docx, pdf in zip(documents, pdfs, strict=True):
        assert page_count(pdf) >= 1, docx.name
