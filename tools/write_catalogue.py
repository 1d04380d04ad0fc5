"""Write generator/locale/{en,fr}.po from a table of ``code: (english, french)``.

For adding many codes at once; the .po files are the source of truth
afterwards (edit them directly for a single message).

    python tools/write_catalogue.py table.py   # a module defining M
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "generator" / "locale"


def merge(table: dict[str, tuple[str, str]]) -> None:
    for index, lang in enumerate(("en", "fr")):
        path = LOCALE / f"{lang}.po"
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="apport", domain="apport",
                              copyright_holder="apport developers", fuzzy=False)
        for code, texts in table.items():
            catalog.delete(code)
            flags = ("python-brace-format",) if "{" in texts[index] else ()
            comments = [f"en: {texts[0]}"] if lang != "en" else []
            catalog.add(code, texts[index], flags=flags, auto_comments=comments)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=False)


if __name__ == "__main__":
    merge(runpy.run_path(sys.argv[1])["M"])
