"""Shared pieces of the ``apport serve`` tests: a workspace, a client holding the token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.workspace import init, load_workspace

PORT = 8765
URL_LINE = re.compile(r"^apport serve: http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{20,})$")


def make_workspace(folder: Path):
    """A fresh workspace (``apport init``) in ``folder``, with its example deal."""
    init(folder)
    return load_workspace(folder / "apport.toml")


def client(workspace, *, with_token: bool = True, port: int = PORT):
    """A test client for the app, talking as the page at 127.0.0.1:PORT would."""
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from generator.web.app import create_app
    from generator.web.security import Guard

    guard = Guard(port=port)
    app = create_app(workspace, guard)
    headers = {"Authorization": f"Bearer {guard.token}"} if with_token else {}
    test_client = TestClient(app, base_url=f"http://127.0.0.1:{port}", headers=headers)
    test_client.guard = guard  # type: ignore[attr-defined]
    return test_client


def html_lines(fragment: str) -> list[str]:
    """The text of a preview, block by block, as tests/reading.py's ``paragraphs`` reads a
    ``.docx``: a paragraph per line (``<br>`` a newline), a table row's cells joined by `` | ``,
    each cell's paragraphs by newlines."""
    from lxml import html

    root = html.fromstring(f"<div>{fragment}</div>")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines: list[str] = []
    for block in root:
        if block.tag == "table":
            for row in block.iter("tr"):
                cells = ["\n".join(p.text_content() for p in cell.findall("p")).strip()
                         for cell in row.findall("td")]
                lines.append(" | ".join(cells))
        else:
            lines.append(block.text_content())
    return lines
