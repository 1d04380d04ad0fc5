"""``apport serve``: each security rule of the spec, by the forbidden request it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

pytest.importorskip("starlette")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

from tests.web_helpers import PORT, URL_LINE, client, make_workspace  # noqa: E402


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws")


@pytest.mark.parametrize("method, url", [
    ("GET", "/"), ("GET", "/api/deals"), ("GET", "/api/deals/exemple"),
    ("POST", "/api/validate"), ("PUT", "/api/deals/exemple"), ("GET", "/deals/exemple"),
    ("GET", "/static/apport.js"), ("POST", "/api/documents/offre?name=exemple"),
])
def test_a_request_without_the_token_is_refused(workspace, method, url):
    c = client(workspace, with_token=False)
    before = (workspace.deals / "exemple.yaml").read_bytes()
    response = c.request(method, url, content=b"reference: X\n")
    assert response.status_code == 403
    assert "Accès refusé" in response.text
    assert (workspace.deals / "exemple.yaml").read_bytes() == before


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Basic abc"},
    {"Cookie": f"apport-{PORT}=wrong"},
])
def test_a_wrong_token_is_refused(workspace, headers):
    c = client(workspace, with_token=False)
    assert c.get("/api/deals", headers=headers).status_code == 403
    assert c.get("/api/deals?token=wrong").status_code == 403


def test_token_in_the_address_once_then_a_cookie(workspace):
    c = client(workspace, with_token=False)
    token = c.guard.token
    first = c.get(f"/?token={token}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/"  # the address shown no longer holds the token
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"apport-{PORT}={token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # the client kept the cookie: later requests need no token
    assert c.get("/").status_code == 200
    assert c.get("/api/deals").status_code == 200


def test_bearer_token(workspace):
    c = client(workspace)
    assert c.get("/api/deals").status_code == 200


@pytest.mark.parametrize("host", [
    "evil.example", f"evil.example:{PORT}", f"127.0.0.1:{PORT + 1}", "127.0.0.1",
    f"localhost.evil.example:{PORT}", f"[::1]:{PORT}", f"0.0.0.0:{PORT}",
])
def test_a_foreign_host_is_refused_even_with_the_token(workspace, host):
    c = client(workspace)
    assert c.get("/api/deals", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}"])
def test_our_own_hosts_are_served(workspace, host):
    c = client(workspace)
    assert c.get("/api/deals", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("origin", [
    "http://evil.example", f"http://evil.example:{PORT}", "null", f"https://127.0.0.1:{PORT}",
    f"http://127.0.0.1:{PORT + 1}",
])
@pytest.mark.parametrize("method, url", [
    ("POST", "/api/validate"), ("PUT", "/api/deals/exemple"), ("DELETE", "/api/deals/exemple"),
    ("POST", "/ui/build"), ("POST", "/api/documents/offre?name=exemple"),
])
def test_a_change_from_another_origin_is_refused(workspace, origin, method, url):
    c = client(workspace)
    before = (workspace.deals / "exemple.yaml").read_bytes()
    response = c.request(method, url, content=b"reference: X\n", headers={"Origin": origin})
    assert response.status_code == 403
    assert (workspace.deals / "exemple.yaml").read_bytes() == before


@pytest.mark.parametrize("origin", [None, f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}"])
def test_a_change_from_our_own_page_is_accepted(workspace, origin):
    c = client(workspace)
    headers = {"Origin": origin} if origin else {}
    assert c.post("/api/validate", content=b"reference: X\n", headers=headers).status_code == 200


BAD_NAMES = ["a%2Fb", "..%2Fapport", "a%5Cb", "a%00b", "a%01b", "a%0Ab", "a%7Fb", ".hidden",
             "%2E%2E", "x" * 101,
             "%F0%9D%95%8F" * 100]  # 100 letters, 400 bytes: no file system holds that name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_forbidden_deal_name_is_404(workspace, name):
    c = client(workspace)
    before = sorted(p.relative_to(workspace.root) for p in workspace.root.rglob("*"))
    assert c.get(f"/api/deals/{name}").status_code == 404
    assert c.put(f"/api/deals/{name}", content=b"reference: X\n").status_code == 404
    assert c.get(f"/deals/{name}").status_code == 404
    assert c.post(f"/api/documents/offre?name={name}", content=b"x: 1\n").status_code == 404
    assert sorted(p.relative_to(workspace.root) for p in workspace.root.rglob("*")) == before


def test_accents_and_spaces_are_fine_in_names(workspace):
    c = client(workspace)
    text = (workspace.deals / "exemple.yaml").read_bytes()
    name = "Julie Dupré – atelier"
    assert c.put(f"/api/deals/{name}", content=text).status_code == 200
    assert (workspace.deals / f"{name}.yaml").read_bytes() == text
    assert c.get(f"/api/deals/{name}").json()["yaml"] == text.decode()
    assert name in [d["name"] for d in c.get("/api/deals").json()]


def test_a_name_of_a_hundred_accented_letters_is_fine(workspace):
    c = client(workspace)
    text = (workspace.deals / "exemple.yaml").read_bytes()
    name = "é" * 100
    assert c.put(f"/api/deals/{name}", content=text).status_code == 200
    assert (workspace.deals / f"{name}.yaml").read_bytes() == text
    assert c.post(f"/api/documents/contrat?name={name}", content=text).status_code == 200


def test_a_link_leading_out_of_the_workspace_is_neither_read_nor_written(workspace, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("reference: SECRET\n", encoding="utf-8")
    (workspace.deals / "lien.yaml").symlink_to(secret)
    c = client(workspace)
    assert c.get("/api/deals/lien").status_code == 404
    assert c.get("/deals/lien").status_code == 404
    assert c.put("/api/deals/lien", content=b"reference: CHANGED\n").status_code == 404
    assert secret.read_text(encoding="utf-8") == "reference: SECRET\n"
    assert "lien" not in [d["name"] for d in c.get("/api/deals").json()]


def test_output_files_only_from_the_output_folder(workspace, tmp_path):
    c = client(workspace)
    (tmp_path / "outside.docx").write_bytes(b"x")
    workspace.out.mkdir(exist_ok=True)
    (workspace.out / "lien.docx").symlink_to(tmp_path / "outside.docx")
    for name in ["..%2Foutside.docx", "lien.docx", "apport.toml", "..%2Fapport.toml"]:
        assert c.get(f"/ui/out/{name}").status_code == 404


def test_every_answer_carries_the_content_security_policy(workspace):
    c = client(workspace)
    for response in (c.get("/"), c.get("/api/deals"), c.get("/static/apport.css"),
                     client(workspace, with_token=False).get("/")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert response.headers["x-frame-options"] == "DENY"


def test_the_page_has_no_inline_script_and_no_external_resource(workspace):
    c = client(workspace)
    for url in ("/", "/deals/exemple", "/new?name=nouveau"):
        page = c.get(url).text
        assert "<script>" not in page and "onclick" not in page and "style=" not in page
        assert "http://" not in page and "https://" not in page


def test_it_listens_on_127_0_0_1_only():
    from generator.web.server import bind

    sock = bind(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_apport_serve_prints_its_url_and_serves_the_page(tmp_path):
    """From the command: the printed URL opens the page; without the token, 403."""
    workspace = make_workspace(tmp_path / "ws")
    env = {**os.environ, "BROWSER": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(workspace.root), "--port", "0",
         "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = URL_LINE.match(line)
        assert match, line
        port, token = match.groups()
        url = line.removeprefix("apport serve: ")
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(url, timeout=10) as response:
            assert response.status == 200
            assert "Vos dossiers" in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/deals", timeout=10)
        assert refused.value.code == 403
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_apport_serve_outside_a_workspace_says_how_to_make_one(tmp_path):
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["serve", str(tmp_path), "--no-browser", "--port", "0"])
    assert result.exit_code == 1
    assert "apport init" in result.output


def test_a_preview_renders_in_a_worker_process(workspace, monkeypatch):
    """A render that kills its process (as the OS limits do) fails that preview only."""
    import generator.web.outputs as outputs

    text = (workspace.deals / "exemple.yaml").read_bytes()
    c = client(workspace)
    monkeypatch.setattr(outputs, "_preview", lambda *args: os._exit(9))
    response = c.post("/ui/preview/offre?name=exemple", content=text)
    assert response.status_code == 500
    assert "le rendu a été arrêté" in response.text  # the page speaks French
    monkeypatch.undo()
    assert c.post("/ui/preview/offre?name=exemple", content=text).status_code == 200


@pytest.mark.slow
def test_a_runaway_clause_stops_its_preview_under_the_os_limits(workspace):
    import time

    from test_workers import _comparison_in_c

    (workspace.clauses / "995-evil.md").write_text(
        "---\nid: evil\nversion: 1\ntitle: Mal\n---\n" + _comparison_in_c(2000),
        encoding="utf-8")
    text = (workspace.deals / "exemple.yaml").read_bytes()
    c = client(workspace)
    start = time.monotonic()
    response = c.post("/ui/preview/contrat?name=exemple", content=text)
    assert time.monotonic() - start < 30
    assert response.status_code == 500
    assert "995-evil.md" in response.text and "temps processeur" in response.text
