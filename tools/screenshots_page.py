"""Make the README's pictures of ``apport serve``: the deals, a deal with its preview, an error.

Starts ``apport serve`` on a fresh workspace holding the samples, drives
headless Chromium (Debian's ``chromium`` and ``chromium-driver``) with
Selenium at a laptop's size, and writes PNGs into ``docs/images/``:

    python tools/screenshots_page.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.workspace import init  # noqa: E402

SIZE = (1366, 860)


def main() -> int:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        print("chromium and chromedriver are needed: sudo apt install chromium chromium-driver",
              file=sys.stderr)
        return 1
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    target = ROOT / "docs" / "images"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mes-apports"
        init(root)
        for sample in sorted((ROOT / "samples").glob("*.yaml")):
            shutil.copy(sample, root / "deals" / sample.name)
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(root), "--port", "0",
             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("apport serve: ")
        base = url.split("?")[0]
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--hide-scrollbars",
                     f"--user-data-dir={Path(tmp) / 'profile'}",
                     f"--window-size={SIZE[0]},{SIZE[1]}", "--lang=fr-FR"):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver),
                                   options=options)
        try:
            wait = WebDriverWait(browser, 30)
            browser.get(url)
            wait.until(lambda b: b.find_element(By.TAG_NAME, "h1"))
            _shot(browser, target / "page-dossiers.png")

            browser.get(base + "deals/julie-atelier-bois")
            preview = browser.find_element(By.ID, "preview-doc")
            wait.until(lambda b: preview.get_attribute("data-state") == "ready")
            _shot(browser, target / "page-dossier.png")

            rate = browser.find_element(By.NAME, "commission.rate")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rate)
            rate.clear()
            rate.send_keys("35")
            message = browser.find_element(By.ID, "f-commission-rate-msg")
            wait.until(lambda b: message.text)
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rate)
            time.sleep(0.3)
            _shot(browser, target / "page-erreur.png")
        finally:
            browser.quit()
            process.terminate()
            process.wait()
    return 0


def _shot(browser, path: Path) -> None:  # noqa: ANN001 - a selenium WebDriver
    time.sleep(0.2)
    browser.save_screenshot(str(path))
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
