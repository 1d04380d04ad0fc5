"""The client notice: the introducer's letter telling the client what is agreed about her."""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any

import pytest
from click.testing import CliRunner
from documents_helpers import SAMPLES, checked, notice_bytes, sample_notice, text, variant
from quick import quick_cases

from generator import library as lib
from generator.cli import cli
from generator.french import typed
from generator.model import Deal
from generator.resources import clauses_dir
from generator.terms import DATA_DELETION_MONTHS, derive

MATRIX = [(str(label), Deal.model_validate(data)) for label, data in lib.option_deals()]
# the quick run keeps two combinations with a commission and the one without; the
# full run, all of them
QUICK = {MATRIX[0][0], MATRIX[1][0], MATRIX[-1][0]}


def _cases(rows: list[tuple[str, Deal]]) -> list[Any]:
    return quick_cases(rows, lambda row: row[0] in QUICK, single=False)

STEMS = [p.stem for p in SAMPLES]


def _flat(body: str) -> str:
    return " ".join(body.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("stem", STEMS)
def test_every_sample_has_a_notice_naming_the_three_people(stem: str) -> None:
    deal = checked(stem).deal
    body = text(sample_notice(stem))
    assert typed(deal.client.name) in body  # her own letter names her
    assert typed(deal.beneficiary.name) in body and typed(deal.introducer.name) in body
    if deal.client.need:
        assert typed(" ".join(deal.client.need.split())) in body.replace("\n", " ")


@pytest.mark.parametrize("stem", STEMS)
def test_the_notice_says_whether_a_commission_is_paid_and_by_whom(stem: str) -> None:
    deal = checked(stem).deal
    body = text(sample_notice(stem))
    if deal.has_commission:
        assert "contrat d’apporteur d’affaires" in body
        assert "je perçois de sa part une commission" in body
        assert "elle ne vous est jamais facturée" in body
        assert "sans aucune contrepartie" not in body
    else:
        assert "sans aucune contrepartie" in body and "aucune commission" in body
        assert "je perçois de sa part une commission" not in body
        assert "Aucun contrat d’apporteur d’affaires" in body


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX),
                         ids=[f"m{i}" for i in range(len(MATRIX))])
def test_the_notice_states_the_rate_its_base_and_how_long(label: str, deal: Deal) -> None:
    # Transparency towards the client (the practice's first rule): the letter gives the
    # rate, on what it is computed and for how long, as the contract says them; the
    # contract's confidentiality gives way to this information (its transparency article).
    body = _flat(text(notice_bytes(deal)))
    if not deal.has_commission:
        assert "%" not in body and "pour cent" not in body, label
        return
    t = derive(deal, reference="REF")
    assert t.duration is not None
    assert f"une commission de {_flat(t.commission.rate)} calculée sur les sommes hors taxes" \
        in body, label
    base = "que vous lui réglez" if t.commission.collected else "qui vous sont facturées"
    assert base in body, label
    if t.duration.recurring:
        assert f"pendant {_flat(t.duration.months)} au plus" in body, label
    else:
        assert "une seule fois" in body, label


@pytest.mark.parametrize(("label", "deal"), _cases(MATRIX),
                         ids=[f"m{i}" for i in range(len(MATRIX))])
def test_the_notice_never_genders_the_beneficiary_or_the_introducer(label: str,
                                                                     deal: Deal) -> None:
    # « Assist'Pro, représentée par …, professionnel indépendant », « ce professionnel …
    # lui seul », « je ne suis ni son salarié »: a company, a woman or the introducer
    # herself were all spoken of in the masculine. The letter names them instead.
    body = _flat(text(notice_bytes(deal)))
    for wrong in ("professionnel indépendant", "ce professionnel", "le professionnel",
                  "avec lui seul", "qu’il fera", "son salarié", "ni à lui"):
        assert wrong not in body, (wrong, label)


@pytest.mark.parametrize("stem", STEMS)
def test_the_notice_gives_the_clients_data_rights(stem: str) -> None:
    deal = checked(stem).deal
    body = _flat(text(sample_notice(stem)))
    for needed in ("votre nom, vos coordonnées professionnelles et la description de votre "
                   "besoin", "Finalité", "Base légale", "intérêt légitime", "Durée de "
                   "conservation", "accéder", "rectifier", "effacer", "vous opposer", "CNIL",
                   "article 14 du RGPD", "entièrement libre", "en toute indépendance"):
        assert needed in body, needed
    assert f"({DATA_DELETION_MONTHS}) mois qui suivent" in body
    if deal.introducer.email:
        assert deal.introducer.email in body


def test_retention_follows_the_agreement_and_its_tail() -> None:
    with_tail = _flat(text(sample_notice("julie-atelier-bois")))
    assert "et jusqu’à six (6) mois après sa fin (droit de suite)" in with_tail
    without = _flat(text(notice_bytes(variant("julie-atelier-bois",
                                              **{"duration.tail_months": 0}))))
    assert "droit de suite" not in without


def test_not_informed_client_gets_it_before_any_contact() -> None:
    informed = text(notice_bytes(variant("julie-atelier-bois", **{"client.informed": True})))
    unaware = text(notice_bytes(variant("julie-atelier-bois", **{"client.informed": False})))
    assert "Avant tout premier contact entre vous et" in unaware
    assert "Avant tout premier contact" not in informed
    assert "Comme nous en avons parlé" in informed


def test_success_commitment_passes_messages_and_never_negotiates() -> None:
    body = text(notice_bytes(variant("julie-atelier-bois", **{"role.commitment": "success"})))
    assert "médiateur indépendant" in body and "ni ne négocie aucune condition" in body
    plain = text(notice_bytes(variant("julie-atelier-bois",
                                      **{"role.commitment": "recommendation"})))
    assert "Mon rôle s’arrête à cette recommandation" in plain


def test_the_notice_is_a_word_file_with_its_kind_recorded() -> None:
    data = sample_notice("avec-le-coeur")
    with zipfile.ZipFile(BytesIO(data)) as z:
        custom = z.read("docProps/custom.xml").decode("utf-8")
    assert ">client<" in custom and "apport.clause.01" in custom


@pytest.mark.parametrize("stem", STEMS)
def test_client_command_prints_the_notice_as_text(stem: str) -> None:
    path = next(p for p in SAMPLES if p.stem == stem)
    result = CliRunner().invoke(cli, ["client", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    docx_text = text(sample_notice(stem))
    deal = checked(stem).deal
    for line in ("Vos données personnelles", "Vos droits", "Madame, Monsieur,",
                 f"Objet : votre mise en relation avec {typed(deal.beneficiary.name)}"):
        assert line in out and line.replace(" : ", "\u00a0: ") in docx_text
    assert deal.introducer.name in out.rstrip().splitlines()[-1]  # signed by the introducer


def test_client_command_refuses_an_invalid_deal(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("introducer: [\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["client", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output and "Traceback" not in result.output


def test_the_clause_library_lists_and_checks_the_notice() -> None:
    listing = "\n".join(lib.listing(clauses_dir()))
    assert "# client notice clauses" in listing and "droits@" in listing
    problems, combos = lib.check(clauses_dir())
    assert problems == [] and combos > 10


def test_a_broken_notice_clause_is_caught_by_the_check(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["clauses", "--export", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    clause = tmp_path / "lib" / "clauses" / "client" / "040-donnees.md"
    assert clause.is_file()  # the export copies the notice's clauses
    clause.write_text(clause.read_text(encoding="utf-8").replace(
        "{{ beneficiary.name }} vous informera", "{{ beneficiary.nom }} vous informera"),
        encoding="utf-8")
    problems, _ = lib.check(tmp_path / "lib" / "clauses")
    assert any("040-donnees.md" in str(p) and p.kind == "client" for p in problems), problems


def test_the_wheel_ships_the_notice_clauses_and_template() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["clauses"] == "generator/clauses"  # the folder, client/ included
    assert included["templates"] == "generator/templates"
    assert (root / "clauses" / "client").is_dir() and (root / "templates" / "client.docx").is_file()


def test_the_recipient_line_elides_before_a_vowel() -> None:
    # « À l'attention de Atelier Bois & Co »
    body = _flat(text(sample_notice("julie-atelier-bois")))
    assert "À l’attention d’Atelier Bois & Co" in body
    other = _flat(text(notice_bytes(variant("julie-atelier-bois",
                                            **{"client.name": "Menuiserie Roux"}))))
    assert "À l’attention de Menuiserie Roux" in other
