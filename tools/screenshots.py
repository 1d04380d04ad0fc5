"""Make the README's pictures: the first page of a contract and an offer sheet.

Builds a sample, converts it to PDF with LibreOffice and the first page to
PNG with pdftoppm (poppler-utils):

    python tools/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402
from generator.pdf import convert  # noqa: E402

PICTURES = {
    "julie-atelier-bois.contrat": "contrat-page-1.png",
    "julie-atelier-bois.offre": "fiche-offre-page-1.png",
}


def main() -> int:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is needed: sudo apt install poppler-utils", file=sys.stderr)
        return 1
    target = ROOT / "docs" / "images"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        build([ROOT / "samples" / "julie-atelier-bois.yaml"], out, jobs=1)
        pdfs = convert([out / f"{name}.docx" for name in PICTURES])
        for pdf, picture in zip(pdfs, PICTURES.values(), strict=True):
            stem = out / picture.removesuffix(".png")
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1",
                            "-singlefile", str(pdf), str(stem)], check=True)
            shutil.copy(stem.with_suffix(".png"), target / picture)
            print(f"wrote {target / picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
