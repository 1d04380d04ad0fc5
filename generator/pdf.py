"""PDF through LibreOffice: a whole batch in one headless run, with its own profile.

LibreOffice refuses to start a second instance on a profile that is in use
(the user's own LibreOffice may be open): each conversion gets a profile of its
own (a fresh temporary one, or the one given: a build's PDF workers each keep
theirs for all their batches, so several run side by side and each starts
faster after its first), and converts every document of the batch in one run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import PdfError

CANDIDATES = ("soffice", "libreoffice", "/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
              "/Applications/LibreOffice.app/Contents/MacOS/soffice",
              r"C:\Program Files\LibreOffice\program\soffice.exe")

def _profile(given: str | Path | None) -> contextlib.AbstractContextManager[str | Path]:
    if given is not None:
        return contextlib.nullcontext(given)
    return tempfile.TemporaryDirectory(prefix="apport-lo-")


def find_soffice() -> str | None:
    """The LibreOffice program, or None (``APPORT_SOFFICE`` overrides the search)."""
    override = os.environ.get("APPORT_SOFFICE")
    if override:
        return override if Path(override).exists() or shutil.which(override) else None
    for candidate in CANDIDATES:
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found:
            return found
    return None


def convert(documents: Sequence[str | Path], outdir: str | Path | None = None, *,
            timeout: float = 600, profile: str | Path | None = None) -> list[Path]:
    """Convert Word files to PDF, beside them (or into ``outdir``); ``profile``: the
    LibreOffice profile folder to use (used by no other LibreOffice running), else a
    temporary one.

    Returns:
        The PDF paths, in the order of ``documents``.

    Raises:
        PdfError: LibreOffice is not installed, or a PDF was not produced.
    """
    soffice = find_soffice()
    if soffice is None:
        raise PdfError("pdf-no-libreoffice")
    paths = [Path(d) for d in documents]
    if not paths:
        return []
    results: dict[Path, Path] = {}
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        target = Path(outdir) if outdir else path.parent
        by_folder.setdefault(target, []).append(path)
    for target, group in by_folder.items():
        target.mkdir(parents=True, exist_ok=True)
        with _profile(profile) as where:
            command = [soffice, f"-env:UserInstallation={Path(where).resolve().as_uri()}",
                       "--headless",
                       "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir",
                       str(target), *[str(p) for p in group]]
            try:
                completed = subprocess.run(command, capture_output=True, text=True,
                                           timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise PdfError("pdf-timeout", {"seconds": timeout}) from None
            except OSError as e:
                raise PdfError("pdf-cannot-run", {"program": soffice, "reason": str(e)}) from None
        for path in group:
            pdf = target / (path.stem + ".pdf")
            if not pdf.is_file() or pdf.stat().st_mtime < path.stat().st_mtime - 1:
                detail = (completed.stderr or completed.stdout).strip().splitlines()
                raise PdfError("pdf-not-produced", {"pdf": pdf.name,
                                                    "detail": detail[-1] if detail else "-"},
                               file=str(path))
            results[path] = pdf
    return [results[p] for p in paths]

