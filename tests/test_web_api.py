"""``apport serve``: every row of the spec's JSON API, and the form's readings."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

import reading  # noqa: E402
from quick import quick_cases  # noqa: E402

from generator.cli import cli  # noqa: E402
from tests.conftest import SAMPLES, sample_dict, set_path, to_yaml  # noqa: E402
from tests.web_helpers import client, html_lines, make_workspace  # noqa: E402


@pytest.fixture
def workspace(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    bad = set_path(sample_dict(), "commission.rate", 35)
    (ws.deals / "trop.yaml").write_text(to_yaml(bad), encoding="utf-8")
    shutil.copy(SAMPLES / "essai-seulement.yaml", ws.deals / "essai.yaml")
    return ws


def test_get_deals_lists_every_deal_with_its_counts(workspace):
    listing = client(workspace).get("/api/deals").json()
    assert [d["name"] for d in listing] == ["essai", "exemple", "trop"]
    by_name = {d["name"]: d for d in listing}
    assert by_name["exemple"] == {"name": "exemple", "ok": True, "errors": 0, "warnings": 0}
    assert by_name["trop"]["ok"] is False and by_name["trop"]["errors"] == 1
    assert by_name["essai"]["ok"] is True and by_name["essai"]["warnings"] >= 1


@pytest.mark.parametrize("name", ["trop", "essai", "exemple"])
def test_post_validate_is_apport_validate_json(workspace, name, monkeypatch):
    text = (workspace.deals / f"{name}.yaml").read_bytes()
    response = client(workspace).post("/api/validate", content=text)
    assert response.status_code == 200  # even when the deal is invalid
    monkeypatch.chdir(workspace.deals)
    result = CliRunner().invoke(cli, ["validate", f"{name}.yaml", "--format", "json"])
    expected = json.loads(result.output)
    for item in expected:
        item["file"] = "<request>"
    assert response.json() == expected
    assert expected or name == "exemple"


def test_post_validate_on_text_that_is_not_yaml(workspace):
    response = client(workspace).post("/api/validate", content=b"a: [\n")
    assert response.status_code == 200
    (problem,) = response.json()
    assert problem["severity"] == "error" and problem["file"] == "<request>"


def test_get_deal_gives_the_text_and_an_etag(workspace):
    response = client(workspace).get("/api/deals/exemple")
    text = (workspace.deals / "exemple.yaml").read_text(encoding="utf-8")
    assert response.json() == {"name": "exemple", "yaml": text}
    assert response.headers["etag"].startswith('"')
    assert client(workspace).get("/api/deals/absent").status_code == 404


def test_put_writes_the_file_and_answers_the_diagnostics(workspace):
    c = client(workspace)
    etag = c.get("/api/deals/exemple").headers["etag"]
    new = to_yaml(set_path(sample_dict(), "commission.rate", 35)).encode()
    response = c.put("/api/deals/exemple", content=new, headers={"If-Match": etag})
    assert response.status_code == 200
    assert (workspace.deals / "exemple.yaml").read_bytes() == new
    (problem,) = response.json()
    assert problem["path"] == "commission.rate" and problem["file"] == "deals/exemple.yaml"
    assert response.headers["etag"] != etag
    assert not list(workspace.deals.glob(".apport-tmp-*"))


def test_put_refuses_with_409_when_the_file_changed_on_disk(workspace):
    c = client(workspace)
    etag = c.get("/api/deals/exemple").headers["etag"]
    path = workspace.deals / "exemple.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# changed in an editor\n",
                    encoding="utf-8")
    changed = path.read_bytes()
    response = c.put("/api/deals/exemple", content=b"reference: X\n", headers={"If-Match": etag})
    assert response.status_code == 409
    assert response.json() == {"code": "web-changed-on-disk", "error": (
        "the file changed on disk since it was read; reload it before saving")}
    french = c.put("/api/deals/exemple?lang=fr", content=b"reference: X\n",
                   headers={"If-Match": etag})  # as the page asks
    assert "changé sur le disque" in french.json()["error"]
    assert path.read_bytes() == changed


def test_put_creating_a_deal_never_overwrites_one(workspace):
    c = client(workspace)
    text = (workspace.deals / "exemple.yaml").read_bytes()
    assert c.put("/api/deals/nouveau", content=text,
                 headers={"If-None-Match": "*"}).status_code == 200
    assert (workspace.deals / "nouveau.yaml").read_bytes() == text
    again = c.put("/api/deals/nouveau", content=b"reference: X\n", headers={"If-None-Match": "*"})
    assert again.status_code == 409
    assert (workspace.deals / "nouveau.yaml").read_bytes() == text


def _build(workspace, tmp_path, stem, text):
    """What ``apport build`` writes for a deal file STEM.yaml holding ``text``."""
    folder = tmp_path / "cli"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.yaml").write_bytes(text)
    out = tmp_path / "cli-out"
    result = CliRunner().invoke(cli, ["build", str(folder / f"{stem}.yaml"), "-o", str(out),
                                      "-j", "1", "--clauses", str(workspace.clauses),
                                      "--templates", str(workspace.templates)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("sample", quick_cases(
    ["julie-atelier-bois", "avec-le-coeur", "site-vitrine-ponctuel"], keep=2))
def test_documents_are_byte_identical_to_apport_build(workspace, tmp_path, sample):
    from generator.web.outputs import kinds

    text = (SAMPLES / f"{sample}.yaml").read_bytes()
    stem = "Dossier é"
    out = _build(workspace, tmp_path, stem, text)
    c = client(workspace)
    for kind in kinds():
        response = c.post(f"/api/documents/{kind}", params={"name": stem}, content=text)
        expected = out / f"{stem}.{kind}.docx"
        if expected.exists():
            assert response.status_code == 200
            assert response.content == expected.read_bytes()
            assert "attachment" in response.headers["content-disposition"]
        else:
            assert kind == "contrat" and response.status_code == 404


def test_documents_use_the_workspace_library(workspace, tmp_path):
    clause = sorted(workspace.clauses.glob("*.md"))[-1]
    clause.write_text(clause.read_text(encoding="utf-8").replace(
        "Tolérance.", "Tolérance (clause de l'espace de travail)."), encoding="utf-8")
    text = (SAMPLES / "julie-atelier-bois.yaml").read_bytes()
    out = _build(workspace, tmp_path, "j", text)
    response = client(workspace).post("/api/documents/contrat?name=j", content=text)
    assert response.content == (out / "j.contrat.docx").read_bytes()


def test_documents_of_an_invalid_deal_are_422_with_the_diagnostics(workspace):
    text = (workspace.deals / "trop.yaml").read_bytes()
    response = client(workspace).post("/api/documents/contrat?name=trop", content=text)
    assert response.status_code == 422
    assert [d["path"] for d in response.json()] == ["commission.rate"]


def test_unknown_document_kind_is_404(workspace):
    text = (workspace.deals / "exemple.yaml").read_bytes()
    assert client(workspace).post("/api/documents/autre?name=x", content=text).status_code == 404


# --- the preview says what the Word file says ------------------------------------------------


@pytest.mark.parametrize("sample", quick_cases(  # with and without a contract
    sorted(p.stem for p in SAMPLES.glob("*.yaml")),
    lambda stem: stem in ("avec-le-coeur", "julie-atelier-bois")))
def test_preview_text_equals_the_word_file_text(workspace, sample):
    from generator.web.outputs import kinds

    text = (SAMPLES / f"{sample}.yaml").read_bytes()
    c = client(workspace)
    for kind in kinds():
        document = c.post(f"/api/documents/{kind}?name={sample}", content=text)
        preview = c.post(f"/ui/preview/{kind}?name={sample}", content=text)
        assert preview.status_code == 200
        if document.status_code == 404:
            assert "n’a pas de contrat" in preview.text.replace("&#x27;", "’").replace("'", "’")
            continue
        expected = [p for p in reading.paragraphs(document.content) if p.strip()]
        assert [line for line in html_lines(preview.text) if line.strip()] == expected


def test_contract_preview_marks_the_deal_values(workspace):
    text = (SAMPLES / "julie-atelier-bois.yaml").read_bytes()
    preview = client(workspace).post("/ui/preview/contrat?name=j", content=text).text
    assert "<mark>Marie Dupont</mark>" in preview
    assert "Notes pour le juriste" not in preview


def test_preview_escapes_what_the_deal_says(workspace):
    data = set_path(sample_dict(), "introducer.name", "<script>alert(1)</script> & Cie")
    preview = client(workspace).post("/ui/preview/contrat?name=j", content=to_yaml(data).encode())
    assert "<script>" not in preview.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie" in preview.text


# --- the form -----------------------------------------------------------------------------------


def _form(c, fields):
    return c.post("/ui/form?name=nouveau", content=json.dumps({"fields": fields})).json()


def test_form_reads_french_habits_and_writes_the_wizard_file(workspace):
    from generator.web.form import blank_values

    values = {**blank_values(), "commission.rate": "15,5", "client.estimated_revenue": "1 000 €",
              "signature.date": "10/12/2026", "introducer.siret": "91949250400007"}
    reading_ = _form(client(workspace), values)
    text = reading_["yaml"]
    assert "rate: 15.5" in text and "estimated_revenue: 1000" in text
    assert "date: 2026-12-10" in text and '"919 492 504 00007"' in text
    assert text.startswith("# yaml-language-server: $schema=../schema/deal.schema.json\n"
                           "# Dossier d'apport d'affaires (format 1)")


def test_form_puts_the_french_error_next_to_the_rate(workspace):
    from generator.loading import load_file
    from generator.web.form import values_from_data

    values = values_from_data(load_file(workspace.deals / "exemple.yaml").data)
    ok = _form(client(workspace), values)
    assert ok["ok"] and ok["errors"] == 0
    values["commission.rate"] = "35"
    bad = _form(client(workspace), values)
    (message,) = bad["fields"]["commission.rate"]
    assert message["severity"] == "error"
    assert "30" in message["message"]


def test_form_shows_only_the_relevant_fields(workspace):
    from generator.web.form import blank_values

    c = client(workspace)
    values = {**blank_values(), "introducer.legal_form": "ei", "commission.rate": "0"}
    relevant = set(_form(c, values)["relevant"])
    assert "introducer.representative.name" not in relevant
    assert "duration.commission_months" not in relevant and "role.involvement" in relevant
    values.update({"introducer.legal_form": "sas", "commission.rate": "15",
                   "duration.mission": "recurring"})
    relevant = set(_form(c, values)["relevant"])
    assert {"introducer.representative.name", "duration.commission_months"} <= relevant


def test_a_saved_form_reads_back_into_the_same_form(workspace):
    from generator.loading import load_bytes
    from generator.web.form import values_from_data

    c = client(workspace)
    original = values_from_data(load_bytes((workspace.deals / "exemple.yaml").read_bytes(),
                                           "x").data)
    text = _form(c, original)["yaml"]
    assert values_from_data(load_bytes(text.encode(), "x").data) == original


def test_pages_render(workspace):
    c = client(workspace)
    assert "Vos dossiers" in c.get("/").text
    page = c.get("/deals/exemple").text
    assert 'for="f-commission-rate"' in page and 'id="f-commission-rate"' in page
    assert c.get("/new?name=autre&from=exemple").status_code == 200
    assert c.get("/new?name=exemple", follow_redirects=False).headers["location"] == \
        "/deals/exemple"


def test_deals_page_says_which_documents_are_up_to_date_without_rendering(workspace,
                                                                         monkeypatch):
    """The state comes from the manifest and the hashes (planning), not from a build."""
    import re

    import generator.build

    def state(page: str, name: str) -> str:
        row = re.search(rf'href="/deals/{name}".*?</tr>', page, re.S)
        assert row is not None
        return "à jour" if "à jour" in row.group(0) else "à produire"

    c = client(workspace)
    assert state(c.get("/").text, "exemple") == "à produire"
    result = CliRunner().invoke(cli, ["build", str(workspace.deals), "-o", str(workspace.out),
                                      "-j", "1", "--clauses", str(workspace.clauses),
                                      "--templates", str(workspace.templates)])
    assert result.exit_code == 1, result.output  # "trop" is invalid
    monkeypatch.setattr(generator.build, "build", None)  # the page must not build
    monkeypatch.setattr(generator.build, "render_document", None)
    page = c.get("/").text
    assert state(page, "exemple") == "à jour" and state(page, "essai") == "à jour"
    assert state(page, "trop") == "à produire"
    path = workspace.deals / "exemple.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert state(c.get("/").text, "exemple") == "à produire"


def test_the_page_email_is_apport_offer_eml(workspace, tmp_path):
    """Same headers, same body, the offer sheet of `apport build` attached."""
    import email
    from email import policy

    text = (SAMPLES / "julie-atelier-bois.yaml").read_bytes()
    stem = "julie"
    (tmp_path / f"{stem}.yaml").write_bytes(text)
    eml = tmp_path / "cli.eml"
    result = CliRunner().invoke(cli, ["offer", str(tmp_path / f"{stem}.yaml"), "--eml", str(eml),
                                      "-o", str(tmp_path / "out"),
                                      "--clauses", str(workspace.clauses),
                                      "--templates", str(workspace.templates)])
    assert result.exit_code == 0, result.output
    c = client(workspace)
    response = c.post(f"/ui/eml?name={stem}", content=text)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("message/rfc822")
    page = email.message_from_bytes(response.content, policy=policy.default)
    command = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    for header in ("From", "To", "Subject", "X-Unsent"):
        assert page[header] == command[header]
    assert page.get_body().get_content() == command.get_body().get_content()
    (attached,) = page.iter_attachments()
    assert attached.get_filename() == f"{stem}.offre.docx"
    assert attached.get_content() == c.post(f"/api/documents/offre?name={stem}",
                                            content=text).content
    bad = set_path(sample_dict(), "commission.rate", 35)
    assert c.post(f"/ui/eml?name={stem}", content=to_yaml(bad).encode()).status_code == 422


def test_a_hand_edited_file_is_said_to_be_rewritten_before_saving(workspace):
    from generator.web.form import blank_values

    c = client(workspace)
    values = {**blank_values(), "commission.rate": "15", "reference": "AA-1"}
    written = c.post("/ui/form?name=neuf", json={"fields": values}).json()["yaml"]
    (workspace.deals / "neuf.yaml").write_text(written, encoding="utf-8")
    assert 'data-hand-edited="false"' in c.get("/deals/neuf").text
    (workspace.deals / "neuf.yaml").write_text("# à moi\n" + written + "extra: 1\n",
                                               encoding="utf-8")
    page = c.get("/deals/neuf").text
    assert 'data-hand-edited="true"' in page
    assert 'id="hand-edited"' in page and "sans ses commentaires" in page and "extra" in page


def test_downloads_are_grouped_by_document(workspace):
    from lxml import html

    from generator.web.outputs import kinds

    page = html.fromstring(client(workspace).get("/deals/exemple").text)
    for kind in kinds():
        (group,) = page.xpath(f'//div[@role="group"][@aria-labelledby="dl-{kind}"]')
        formats = [b.get("data-format") for b in group.xpath(".//button")]
        assert {b.get("data-kind") for b in group.xpath(".//button")} == {kind}
        assert formats == (["docx", "pdf", "eml"] if kind == "offre" else ["docx", "pdf"])


def test_every_refusal_of_the_page_is_a_catalogue_message_in_its_language(workspace,
                                                                         monkeypatch):
    """The API answers English unless ``?lang=fr``; the page's own requests, French."""
    from generator import pdf
    from generator.errors import PdfError
    from generator.messages import render

    c = client(workspace)
    text = (workspace.deals / "exemple.yaml").read_bytes()
    invalid = to_yaml(set_path(sample_dict(), "commission.rate", 35)).encode()
    zero = to_yaml(set_path(sample_dict(), "commission.rate", 0)).encode()

    def fails(*args, **kwargs):
        raise PdfError("pdf-no-libreoffice")

    monkeypatch.setattr(pdf, "convert", fails)
    answers = {
        "web-too-large": (c.post("/api/validate", content=b"x" * (2 * 1024 * 1024)), 413, "en"),
        "web-no-deal": (c.get("/api/deals/absent?lang=fr"), 404, "fr"),
        "web-no-document": (c.post("/api/documents/devis?name=exemple", content=text), 404,
                            "en"),
        "web-no-contract": (c.post("/api/documents/contrat?name=zero", content=zero), 404, "en"),
        "web-bad-form": (c.post("/ui/form?name=exemple", content=b"[1, 2]"), 400, "fr"),
        "web-no-source-deal": (c.get("/new?name=autre&from=absent"), 404, "fr"),
        "web-deal-has-errors": (c.post("/ui/pdf/offre?name=exemple", content=invalid), 422,
                                "fr"),
        "web-pdf-failed": (c.post("/ui/pdf/offre?name=exemple", content=text), 503, "fr"),
        "web-preview-needs-valid-deal": (c.post("/ui/preview/offre?name=exemple",
                                                content=invalid), 422, "fr"),
    }
    for code, (response, status, lang) in answers.items():
        assert response.status_code == status, code
        words = render(code, {"reason": render("pdf-no-libreoffice", {}, lang)}, lang)
        shown = response.text.replace("&#x27;", "'")
        assert words[1:] in shown, (code, shown)
        if response.headers["content-type"].startswith("application/json"):
            assert response.json()["code"] == code
