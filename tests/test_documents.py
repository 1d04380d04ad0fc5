"""The Word engine (generator.documents) and the documents built with it.

Documents are read back as a user's tools read them: python-docx for the
text, styles, header and footer; lxml for every XML part; zipfile for the
package. Plain docxtpl, rendering the same template with the same context,
is the reference for what the template means.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import docx
import pytest
import reading
import yaml
from docx import Document
from docxtpl import DocxTemplate
from lxml import etree
from quick import quick_cases

from generator.build import Kit, Sources, load_kit
from generator.clauses import render, select
from generator.contract import build_contract, contract_context
from generator.deals import CheckedDeal, check_file
from generator.diagnostics import TemplateError
from generator.documents import WordTemplate
from generator.offer import build_offer, render_offer
from generator.resources import templates_dir
from generator.terms import DRAFT_NOTICE, derive, facts

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CONTRACT_TEMPLATE = templates_dir() / "contrat.docx"
OFFER_TEMPLATE = templates_dir() / "offre.docx"
WITH_COMMISSION = ["julie-atelier-bois", "cabinet-conseil-succes", "essai-seulement",
                   "site-vitrine-ponctuel"]
ALL_SAMPLES = [*WITH_COMMISSION, "avec-le-coeur"]
BASE = "julie-atelier-bois"
NBSP = "\u00a0"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CUSTOM_NS = {"c": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
             "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"}
CORE_PART = "docProps/core.xml"
CUSTOM_PART = "docProps/custom.xml"
APP_PART = "docProps/app.xml"


# --- helpers ----------------------------------------------------------------------------------


def kit() -> Kit:
    return load_kit(Sources.default())


@cache
def sample(stem: str) -> CheckedDeal:
    result = check_file(SAMPLES / f"{stem}.yaml", f"samples/{stem}.yaml")
    assert result.deal is not None, [str(d) for d in result.diagnostics]
    return result


def warnings_of(checked: CheckedDeal) -> tuple[Any, ...]:
    return tuple(d for d in checked.diagnostics if d.severity == "warning")


def contract(checked: CheckedDeal, *, review: bool = False) -> bytes:
    k = kit()
    return build_contract(checked.deal, reference=checked.reference, library=k.contract_library,
                          template=k.contract_template, review=review,
                          warnings=warnings_of(checked)).data


def offer(checked: CheckedDeal) -> bytes:
    k = kit()
    return build_offer(checked.deal, reference=checked.reference, library=k.offer_library,
                       template=k.offer_template).data


@cache
def sample_contract(stem: str, review: bool = False) -> bytes:
    return contract(sample(stem), review=review)


@cache
def sample_offer(stem: str) -> bytes:
    return offer(sample(stem))


def documents() -> list[tuple[str, bytes]]:
    out = [(f"{s}.contrat", sample_contract(s)) for s in WITH_COMMISSION]
    out += [(f"{s}.contrat-review", sample_contract(s, True)) for s in WITH_COMMISSION]
    out += [(f"{s}.offre", sample_offer(s)) for s in ALL_SAMPLES]
    return out


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def assert_well_formed(data: bytes) -> None:
    """The package opens, its CRCs hold, and every XML part parses."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
    for name, content in parts(data).items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(content)  # raises on the first malformed byte
    docx.Document(io.BytesIO(data))


def custom_properties(data: bytes) -> dict[str, str]:
    root = etree.fromstring(parts(data)[CUSTOM_PART])
    props = root.findall("c:property", CUSTOM_NS)
    assert [int(p.get("pid")) for p in props] == list(range(2, len(props) + 2))
    return {p.get("name"): p.findtext("vt:lpwstr", namespaces=CUSTOM_NS) for p in props}


def styled(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph."""
    return [(p.style.name, p.text) for p in Document(io.BytesIO(data)).paragraphs]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the package ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), documents(), ids=[n for n, _ in documents()])
def test_every_document_opens_and_every_part_is_well_formed(name: str, data: bytes) -> None:
    assert_well_formed(data)
    assert reading.text(data).strip()


@pytest.mark.parametrize(("name", "data", "template"), [
    ("contrat", sample_contract(BASE), CONTRACT_TEMPLATE),
    ("contrat-review", sample_contract(BASE, True), CONTRACT_TEMPLATE),
    ("offre", sample_offer(BASE), OFFER_TEMPLATE),
])
def test_zip_entries_are_dated_1980_and_keep_the_templates_order(name: str, data: bytes,
                                                                 template: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert len({i.filename for i in infos}) == len(infos)
    with zipfile.ZipFile(template) as z:
        template_names = [i.filename for i in z.infolist() if not i.is_dir()]
    names = [i.filename for i in infos]
    properties = (CORE_PART, APP_PART, CUSTOM_PART)
    assert [n for n in names if n not in properties] == [
        n for n in template_names if n not in properties]
    assert names[-3:] == list(properties)  # written by apport, after the template's parts


@pytest.mark.parametrize("review", [False, True])
def test_the_same_input_gives_the_same_bytes(review: bool) -> None:
    checked = sample("cabinet-conseil-succes")
    first = contract(checked, review=review)
    assert contract(checked, review=review) == first
    # a template compiled afresh (no cache) writes the same bytes too
    fresh = WordTemplate(CONTRACT_TEMPLATE)
    k = kit()
    again = build_contract(checked.deal, reference=checked.reference, library=k.contract_library,
                           template=fresh, review=review, warnings=warnings_of(checked)).data
    assert again == first
    assert offer(checked) == offer(checked)


def test_different_deals_give_different_bytes() -> None:
    assert sample_contract("julie-atelier-bois") != sample_contract("essai-seulement")


# --- document properties ----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "title"), [
    (sample_contract(BASE), "Contrat d’apporteur d’affaires – AA-2026-014"),
    (sample_offer(BASE), "Proposition d’apport d’affaires – AA-2026-014"),
])
def test_core_properties_carry_title_and_creator_and_no_dates(data: bytes, title: str) -> None:
    core = Document(io.BytesIO(data)).core_properties
    assert core.title == title
    assert core.author == "apport"
    assert core.last_modified_by == "apport"
    assert core.created is None and core.modified is None and core.last_printed is None
    raw = parts(data)[CORE_PART].decode("utf-8")
    assert "dcterms:created" not in raw and "dcterms:modified" not in raw
    assert not re.search(r"\d{4}-\d\d-\d\dT", raw)


@pytest.mark.parametrize("stem", WITH_COMMISSION)
def test_custom_properties_record_exactly_the_clauses_used(stem: str) -> None:
    checked = sample(stem)
    props = custom_properties(sample_contract(stem))
    used = [d.clause.key for d in select(kit().contract_library, facts(checked.deal))
            if d.included]
    clauses = {k: v for k, v in props.items() if k.startswith("apport.clause.")}
    assert list(clauses) == [f"apport.clause.{i:02d}" for i in range(1, len(used) + 1)]
    assert list(clauses.values()) == used
    assert props["apport.template"] == f"sha256:{sha256(CONTRACT_TEMPLATE)}"
    assert props["apport.document"] == "contrat"
    assert props["apport.reference"] == checked.reference


@pytest.mark.parametrize("stem", ["julie-atelier-bois", "avec-le-coeur"])
def test_offer_custom_properties(stem: str) -> None:
    checked = sample(stem)
    props = custom_properties(sample_offer(stem))
    _, rendered = render_offer(checked.deal, reference=checked.reference,
                               library=kit().offer_library)
    clauses = [v for k, v in props.items() if k.startswith("apport.clause.")]
    assert clauses == [c.key for c in rendered.used]
    assert props["apport.template"] == f"sha256:{sha256(OFFER_TEMPLATE)}"
    assert props["apport.document"] == "offre"


# --- styles, header, footer, numbering --------------------------------------------------------


@pytest.mark.parametrize("stem", WITH_COMMISSION)
def test_named_styles_and_articles_numbered_1_to_n(stem: str) -> None:
    checked = sample(stem)
    paragraphs = styled(sample_contract(stem))
    assert paragraphs[0] == ("Title", "Contrat d’apporteur d’affaires")
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    numbers = [int(m.group(1)) for h in headings
               if (m := re.fullmatch(rf"Article (\d+){NBSP}– .+", h))]
    assert numbers == list(range(1, len(headings) + 1))
    rendered = render(kit().contract_library, facts(checked.deal),
                      derive(checked.deal, reference=checked.reference).as_context())
    assert headings == [a.heading for a in rendered.articles]
    styles = {style for style, _ in paragraphs}
    assert {"Title", "Heading 1", "Body Text", "List Bullet"} <= styles
    assert all(text.strip() for style, text in paragraphs if style == "List Bullet")
    assert "Notes pour le juriste" not in [text for _, text in paragraphs]


def test_bullets_of_a_clause_are_list_bullet_paragraphs() -> None:
    paragraphs = styled(sample_contract(BASE))
    start = paragraphs.index(("Heading 1", f"Article 2{NBSP}– Définitions"))
    following = [style for style, _ in paragraphs[start + 1:start + 4]]
    assert following == ["Body Text", "List Bullet", "List Bullet"]


def test_header_holds_the_reference_and_the_draft_notice() -> None:
    doc = Document(io.BytesIO(sample_contract(BASE)))
    header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "AA-2026-014" in header
    assert DRAFT_NOTICE == "Projet – à faire relire par un juriste"
    assert DRAFT_NOTICE in header
    offer_header = "\n".join(
        p.text for p in Document(io.BytesIO(sample_offer(BASE))).sections[0].header.paragraphs)
    assert "AA-2026-014" in offer_header


@pytest.mark.parametrize("data", [sample_contract(BASE), sample_offer(BASE)],
                         ids=["contrat", "offre"])
def test_footer_holds_page_and_numpages_fields(data: bytes) -> None:
    doc = Document(io.BytesIO(data))
    footer = doc.sections[0].footer._element
    instructions = [t.text.strip() for t in footer.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    kinds = [f.get(f"{W}fldCharType") for f in footer.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"] * 2


# --- deal values are data ---------------------------------------------------------------------


HOSTILE = [
    "{{ 7*7 }}",
    "{% if %}",
    "{%p endfor %}",
    "{{r introducer_identity }}",
    "{_{ reference }_}",
    "<w:t>",
    "</w:t></w:r></w:p><w:p><w:r><w:t>",
    "]]>",
    "&amp;",
    "Dupont & Fils <SARL>",
    "Reçu 🧾 payé",
    "مرحبا بالعالم",
    "Cafe\u0301 A\u0308 n\u0303",
    "N" * 2000,
]


def hostile_deal(tmp_path: Path, value: str, **extra: Any) -> CheckedDeal:
    data = yaml.safe_load((SAMPLES / f"{BASE}.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["introducer"]["name"] = value
    data["client"]["name"] = value
    data["client"]["named_in_offer"] = True
    data["beneficiary"]["representative"]["name"] = value
    data["signature"]["place"] = value
    for key, new in extra.items():
        data[key] = new
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000),
                    encoding="utf-8")
    checked = check_file(path, "deal.yaml")
    assert checked.deal is not None, [str(d) for d in checked.diagnostics]
    return checked


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v[:20])
@pytest.mark.parametrize("review", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_hostile_values_print_literally(tmp_path: Path, value: str, review: bool) -> None:
    checked = hostile_deal(tmp_path, value)
    data = contract(checked, review=review)
    assert_well_formed(data)
    paragraphs = reading.paragraphs(data)
    assert paragraphs[3].startswith(f"{value}, entrepreneur individuel (EI), SIRET ")
    assert any(p.startswith(f"L’Apporteur est en relation avec {value} (le «{NBSP}Client")
               for p in paragraphs)
    assert any(p.startswith(f"Fait à {value}, le ") for p in paragraphs)
    assert any(value in row and " | " in row for row in paragraphs)  # the signature table
    text = reading.text(data)
    assert "49" not in text.replace("919\u00a0492", "")
    assert "{{r" not in text.replace(value, "") and "{%p" not in text.replace(value, "")

    offer_data = offer(checked)
    assert_well_formed(offer_data)
    assert value in reading.text(offer_data)


def test_a_hostile_reference_prints_literally(tmp_path: Path) -> None:
    reference = "Réf <&> {{ 7*7 }} ]]> \"q\""
    checked = hostile_deal(tmp_path, "Marie Dupont", reference=reference)
    data = contract(checked)
    assert_well_formed(data)
    assert reference in reading.header_footer_text(data)
    assert Document(io.BytesIO(data)).core_properties.title.endswith(f"– {reference}")
    assert custom_properties(data)["apport.reference"] == reference


# --- fidelity with docxtpl --------------------------------------------------------------------


@pytest.mark.parametrize("stem", quick_cases(WITH_COMMISSION))
@pytest.mark.parametrize("review", [False, True])
def test_same_text_as_plain_docxtpl(stem: str, review: bool) -> None:
    checked = sample(stem)
    k = kit()
    terms = derive(checked.deal, reference=checked.reference)
    rendered = render(k.contract_library, facts(checked.deal), terms.as_context())
    context = contract_context(checked.deal, terms, rendered, review=review,
                               warnings=warnings_of(checked), template=k.contract_template)
    template = DocxTemplate(str(CONTRACT_TEMPLATE))
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    theirs = out.getvalue()
    ours = sample_contract(stem, review)
    assert reading.paragraphs(ours) == reading.paragraphs(theirs)
    assert reading.header_footer_text(ours) == reading.header_footer_text(theirs)
    assert [s for s, _ in styled(ours)] == [s for s, _ in styled(theirs)]


# --- review mode ------------------------------------------------------------------------------


def value_runs(data: bytes) -> list[str]:
    """The text of the runs in the « Valeur du dossier » character style."""
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    return ["".join(r.itertext()) for r in body.iter(f"{W}r")
            if r.find(f"{W}rPr/{W}rStyle[@{W}val='ValeurDossier']") is not None]


@pytest.mark.parametrize("stem", WITH_COMMISSION)
def test_values_are_highlighted_only_in_review_mode(stem: str) -> None:
    plain, review = sample_contract(stem), sample_contract(stem, True)
    for name, content in parts(plain).items():
        assert b'w:val="ValeurDossier"' not in content or name == "word/styles.xml"
    assert value_runs(plain) == []
    highlighted = value_runs(review)
    assert sample(stem).deal.client.name in highlighted
    assert sample(stem).deal.introducer.name in highlighted
    assert "Contrat d’apporteur d’affaires" not in highlighted  # our own words are not


@pytest.mark.parametrize("stem", WITH_COMMISSION)
def test_the_annex_lists_every_clause_used_and_left_out(stem: str) -> None:
    checked = sample(stem)
    paragraphs = styled(sample_contract(stem, True))
    start = paragraphs.index(("Heading 1", "Notes pour le juriste"))
    annex = paragraphs[start + 1:]
    headings = [text for style, text in annex if style == "Heading 2"]
    assert headings == ["Points d’attention", "Clauses retenues", "Clauses écartées",
                        "Résumé du dossier", "Traçabilité"]

    def section(title: str) -> list[str]:
        i = annex.index(("Heading 2", title))
        out = []
        for style, text in annex[i + 1:]:
            if style == "Heading 2":
                break
            out.append(text)
        return out

    decisions = select(kit().contract_library, facts(checked.deal))
    kept = [d.clause.key for d in decisions if d.included]
    left = [d.clause.key for d in decisions if not d.included]
    assert [t.split(" – ")[0] for t in section("Clauses retenues")] == kept
    assert [t.split(" – ")[0] for t in section("Clauses écartées")] == (left or ["Aucune."])
    assert any(sha256(CONTRACT_TEMPLATE)[:16] in t for t in section("Traçabilité"))


# --- broken templates -------------------------------------------------------------------------


def docx_with(tmp_path: Path, *texts: str, name: str = "modele.docx") -> Path:
    doc = Document()
    for text in texts:
        doc.add_paragraph(text)
    path = tmp_path / name
    doc.save(str(path))
    return path


@pytest.mark.parametrize("mark", ["{{ 1 }}", "{% if true %}x{% endif %}", "{# note #}",
                                  "{_{", "}_}", "{_%", "%_}"])
def test_a_part_with_a_tag_or_an_escaped_one_is_a_template(tmp_path: Path, mark: str) -> None:
    """Any part, not only the body: a header with a tag is compiled, the styles (none) kept
    as they are; the tags are looked for in the bytes, the part's text being UTF-8."""
    path = docx_with(tmp_path, "Corps.")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("word/header1.xml", f"<w:hdr>é {mark}</w:hdr>".encode())
    template = WordTemplate(path)
    assert "word/header1.xml" in template.compiled
    assert "word/styles.xml" in template.static and "word/styles.xml" not in template.compiled


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    path.write_bytes(b"PK\x03\x04 ceci n'est pas un zip")
    with pytest.raises(TemplateError, match="not a Word file") as error:
        WordTemplate(path)
    assert error.value.file == str(path) and str(error.value).startswith(f"{path}: error: ")


def test_a_zip_without_the_main_part(tmp_path: Path) -> None:
    path = tmp_path / "modele.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/styles.xml", "<w:styles/>")
    with pytest.raises(TemplateError, match="no word/document.xml inside") as error:
        WordTemplate(path)
    assert str(error.value).startswith(f"{path}: error: ")


def test_a_missing_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read") as error:
        WordTemplate(tmp_path / "absent.docx")
    assert str(tmp_path / "absent.docx") in str(error.value)


def test_an_encrypted_zip(tmp_path: Path) -> None:
    raw = bytearray(CONTRACT_TEMPLATE.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        while at >= 0:
            raw[at + flag_offset] |= 1  # "encrypted"
            at = raw.find(signature, at + 4)
    path = tmp_path / "chiffre.docx"
    path.write_bytes(bytes(raw))
    with pytest.raises(TemplateError, match="not a Word file") as error:
        WordTemplate(path)
    assert str(error.value).startswith(f"{path}: error: ")


@pytest.mark.parametrize(("text", "near"), [
    ("Bonjour {{ foo", "Bonjour {{ foo"),
    ("{% if review %} jamais fermé", "jamais fermé"),
    ("{{ foo | nofilter }}", "nofilter"),
])
def test_a_broken_tag_names_the_file(tmp_path: Path, text: str, near: str) -> None:
    path = docx_with(tmp_path, "Avant.", text, "Après.")
    with pytest.raises(TemplateError, match="a tag is not valid") as error:
        WordTemplate(path)
    assert str(error.value).startswith(f"{path}: error: ")
    assert near in str(error.value)


def test_an_undefined_name_at_render_names_the_file(tmp_path: Path) -> None:
    template = WordTemplate(docx_with(tmp_path, "Bonjour {{ nom }} et {{ autre }}"))
    with pytest.raises(TemplateError, match="undefined name: 'autre' is undefined") as error:
        template.render({"nom": "Zoé"}, {"title": "T"}, {})
    assert str(error.value).startswith(f"{template.file}: error: word/document.xml: ")


def test_a_template_cannot_escape_its_sandbox(tmp_path: Path) -> None:
    template = WordTemplate(docx_with(tmp_path, "{{ nom.__class__.__mro__ }}"))
    with pytest.raises(TemplateError, match="refused by the sandbox"):
        template.render({"nom": "Zoé"}, {"title": "T"}, {})


def test_a_small_template_renders_values_as_data(tmp_path: Path) -> None:
    template = WordTemplate(docx_with(
        tmp_path, "Nom : {{ nom }}", "{%p if flag %}", "Visible", "{%p endif %}",
        "Littéral : {_{ nom }_} et {_% if %_}"))
    value = "<b>&amp; {{ 7*7 }} {_{ x }_} ]]>"
    data = template.render({"nom": value, "flag": True}, {"title": "Essai <&>"},
                           {"apport.x": "a&b\"c"})
    assert_well_formed(data)
    assert reading.paragraphs(data) == [
        f"Nom : {value}", "Visible", "Littéral : {{ nom }} et {% if %}"]
    assert custom_properties(data) == {"apport.x": "a&b\"c"}
    assert Document(io.BytesIO(data)).core_properties.title == "Essai <&>"
    assert template.render({"nom": value, "flag": False}, {"title": "Essai <&>"},
                           {"apport.x": "a&b\"c"}) != data
