"""``apport serve`` in a real browser: headless Chromium driven by Selenium.

The way a user meets the page: open the printed address, create a deal by
filling the form, see the French error next to a rate of 35, see the
preview follow the rate once corrected, save, download the contract. Skipped,
with the reason, where Chromium, its driver or Selenium is missing (CI
installs them: see .ci/run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from generator import messages
from tests.web_helpers import URL_LINE, make_workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="headless Chromium and chromedriver are not installed "
                              "(apt install chromium chromium-driver)"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

INTRODUCER_SIRET = "919 492 504 00007"
BENEFICIARY_SIRET = "946 512 365 00002"


def start_server(root: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    """``apport serve ROOT --port 0 --no-browser``, and the URL it prints (what it says
    on standard error goes to ``log``)."""
    with open(log, "wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(root), "--port", "0",
             "--no-browser"], stdout=subprocess.PIPE, stderr=errors, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert URL_LINE.match(line), line
    return process, line.removeprefix("apport serve: ")


def chromium(profile: Path, downloads: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1366,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False})
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                               options=options)
    # every page keeps a trail of its fetches and clicks, told when a test fails (until())
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TRAIL})
    return browser


TRAIL = """
window.__trail = [];
const note = (what) => window.__trail.push(Math.round(performance.now()) + " " + what);
const fetched = window.fetch;
window.fetch = function (url, options) {
  const what = ((options && options.method) || "GET") + " " + String(url).split("?")[0];
  note("start " + what);
  return fetched.apply(this, arguments).then(
    (r) => { note(r.status + " " + what); return r; },
    (e) => { note("failed " + what + ": " + e); throw e; });
};
addEventListener("click", (e) => note("click " + (e.target.id || e.target.tagName)), true);
addEventListener("unhandledrejection", (e) => note("unhandled: " + e.reason));
addEventListener("error", (e) => note("error: " + e.message));
"""


@pytest.fixture
def served(tmp_path):
    workspace = make_workspace(tmp_path / "ws")
    process, url = start_server(workspace.root, tmp_path / "serve.log")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser = chromium(tmp_path / "profile", downloads)
    try:
        yield workspace, url, browser, downloads, process
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=10)


def type_into(browser, path: str, text: str) -> None:
    element = browser.find_element(By.NAME, path)
    element.clear()
    element.send_keys(text)


def message_of(browser, path: str) -> str:
    return browser.find_element(By.ID, "f-" + path.replace(".", "-") + "-msg").text


def until(wait, condition, explain) -> None:
    """Wait for ``condition``; on time-out, fail with what the page says instead, the
    page's trail (its fetches, clicks and errors, at their ms), what the browser's
    console and the server said."""
    from selenium.common.exceptions import TimeoutException

    try:
        wait.until(condition)
    except TimeoutException:
        browser = wait._driver
        requests = browser.execute_script("return window.__trail")
        console = [entry.get("message") for entry in browser.get_log("browser")]
        logs = sorted(Path(browser.capabilities["chrome"]["userDataDir"]).parent.glob(
            "serve.log")) if "chrome" in browser.capabilities else []
        server = logs[0].read_text(errors="replace")[-3000:] if logs else "?"
        raise AssertionError(f"the page says: {explain()!r}; now "
                             f"{browser.execute_script('return Math.round(performance.now())')}"
                             f" ms; trail: {requests}; console: {console}; "
                             f"server: {server!r}") from None


def test_create_a_deal_in_the_browser(served):
    workspace, url, browser, downloads, _server = served
    wait = WebDriverWait(browser, 20)

    # open the page from the printed address; the token leaves the address bar
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vos dossiers"
    assert "token" not in browser.current_url

    # a new deal, blank
    browser.find_element(By.ID, "new-name").send_keys("julie-essai")
    browser.find_element(By.CSS_SELECTOR, "form.new button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "deal-form")))

    # fill the form
    type_into(browser, "introducer.name", "Marie Dupont")
    type_into(browser, "introducer.siret", INTRODUCER_SIRET)
    type_into(browser, "introducer.address", "12 rue des Lilas, 69003 Lyon")
    type_into(browser, "beneficiary.name", "Julie Martin")
    type_into(browser, "beneficiary.siret", BENEFICIARY_SIRET)
    type_into(browser, "beneficiary.address", "3 place Bellecour, 69002 Lyon")
    type_into(browser, "client.name", "Atelier Bois & Co")
    type_into(browser, "client.estimated_revenue", "1 000 €")
    Select(browser.find_element(By.NAME, "client.informed")).select_by_visible_text("Oui")
    type_into(browser, "signature.place", "Lyon")
    type_into(browser, "signature.date", "15/12/2026")
    # a company beneficiary brings its representative's fields into view
    representative = browser.find_element(By.NAME, "beneficiary.representative.name")
    assert not representative.is_displayed()
    Select(browser.find_element(By.NAME, "beneficiary.legal_form")).select_by_value("sasu")
    wait.until(lambda b: representative.is_displayed())
    Select(browser.find_element(By.NAME, "beneficiary.legal_form")).select_by_value("ei")
    wait.until(lambda b: not representative.is_displayed())

    # a rate of 35: the French error appears next to the field
    type_into(browser, "commission.rate", "35")
    french = messages.render("rate-above-ceiling", {"max": 30, "got": 35}, "fr")
    wait.until(lambda b: french in message_of(b, "commission.rate"))
    message = message_of(browser, "commission.rate")
    assert message.startswith("Erreur") and "doit être au plus 30" in message
    rate = browser.find_element(By.NAME, "commission.rate")
    assert rate.get_attribute("aria-invalid") == "true"
    assert rate.get_attribute("aria-describedby").endswith("f-commission-rate-msg")

    # corrected to 15: the error goes, the preview shows 15 %
    type_into(browser, "commission.rate", "15")
    wait.until(lambda b: message_of(b, "commission.rate") == "")
    preview = browser.find_element(By.ID, "preview-doc")
    wait.until(lambda b: preview.get_attribute("data-state") == "ready"
               and "15\u00a0%" in preview.text.replace(" ", "\u00a0"))

    # save: the YAML file is on disk, and valid
    browser.find_element(By.ID, "save").click()
    until(wait, lambda b: b.find_element(By.ID, "saved").text.startswith("Enregistré"),
          lambda: browser.find_element(By.ID, "saved").text)
    saved = workspace.deals / "julie-essai.yaml"
    from generator.deals import check_file

    checked = check_file(saved)
    assert checked.ok, [str(d) for d in checked.diagnostics]
    assert checked.deal.commission.rate == 15
    text = saved.read_text(encoding="utf-8")
    assert "estimated_revenue: 1000" in text and "date: 2026-12-15" in text

    # download the contract: the bytes of `apport build`
    browser.find_element(By.CSS_SELECTOR,
                         "button.download[data-kind=contrat][data-format=docx]").click()
    target = downloads / "julie-essai.contrat.docx"
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    from click.testing import CliRunner

    from generator.cli import cli

    out = workspace.root / "cli-out"
    result = CliRunner().invoke(cli, ["build", str(saved), "-o", str(out), "-j", "1",
                                      "--clauses", str(workspace.clauses),
                                      "--templates", str(workspace.templates)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == (out / "julie-essai.contrat.docx").read_bytes()


def test_without_the_token_the_browser_is_refused(served):
    workspace, url, browser, downloads, _server = served
    base = url.split("?")[0]
    browser.get(base)
    assert "Accès refusé" in browser.find_element(By.TAG_NAME, "body").text
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "api/deals", timeout=10)
    assert refused.value.code == 403
    # with it, the same browser gets in
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vos dossiers"


def test_keyboard_reaches_every_field_with_a_visible_focus(served):
    workspace, url, browser, downloads, _server = served
    browser.get(url)
    browser.get(url.split("?")[0] + "deals/exemple")
    labels = browser.find_elements(By.CSS_SELECTOR, ".field label")
    for label in labels:
        target = label.get_attribute("for")
        assert browser.find_elements(By.ID, target), target
    first = browser.find_element(By.NAME, "reference")
    first.click()
    outline = browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_saving_when_the_server_is_gone_says_so(served):
    """The terminal where ``apport serve`` ran was closed: a click on Enregistrer must not
    look as if nothing happened (it used to leave "Modifications non enregistrées."), and
    the file stays as it was."""
    workspace, url, browser, downloads, server = served
    wait = WebDriverWait(browser, 20)
    browser.get(url)
    browser.get(url.split("?")[0] + "deals/exemple")
    wait.until(EC.presence_of_element_located((By.ID, "deal-form")))
    deal = workspace.deals / "exemple.yaml"
    before = deal.read_bytes()
    server.terminate()
    server.wait(timeout=10)
    type_into(browser, "signature.place", "Villeurbanne")
    browser.find_element(By.ID, "save").click()
    until(wait, lambda b: b.find_element(By.ID, "saved").text.startswith("Non enregistré"),
          lambda: browser.find_element(By.ID, "saved").text)
    assert "le serveur ne répond pas" in browser.find_element(By.ID, "saved").text
    assert deal.read_bytes() == before


def test_the_pages_load_without_a_script_error_and_check_a_new_name(served):
    """Chromium compiles a ``pattern`` with the ``v`` flag, where ``/`` must be escaped in
    a class: the new deal's name pattern was refused ("not a valid regular expression",
    on the console) and so never checked."""
    workspace, url, browser, downloads, _server = served
    browser.get(url)
    browser.get(url.split("?")[0] + "deals/exemple")
    WebDriverWait(browser, 20).until(
        EC.presence_of_element_located((By.ID, "deal-form")))
    browser.get(url.split("?")[0])
    problems = [entry["message"] for entry in browser.get_log("browser")
                if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]]
    assert problems == []
    name = browser.find_element(By.ID, "new-name")
    for typed, refused in ((".cache", True), ("a/b", True), ("a\\b", True),
                           ("julie-essai", False), ("julie.2026", False)):
        name.clear()
        name.send_keys(typed)
        assert browser.execute_script("return arguments[0].validity.patternMismatch",
                                      name) is refused, typed
