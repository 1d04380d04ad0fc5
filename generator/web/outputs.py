"""The documents of a deal held as text: the Word files, their preview, PDF and email.

The Word files come from :func:`generator.build.build` itself, run on the
text saved as ``STEM.yaml`` in a private temporary folder: the bytes are
those ``apport build`` writes, by construction, through the same worker
limits. Previews are rendered by the same function as the builds (no
file written), in a worker process under the build's budgets, and shown by
:mod:`.preview`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import build as building
from ..build import Sources, load_kit
from ..deals import CheckedDeal
from ..records import record
from . import preview

if TYPE_CHECKING:
    from ..workers import Resident

KIND_LABELS = {"contrat": "Contrat", "offre": "Fiche d'offre", "client": "Information du client"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class NoDocument(LookupError):
    """Raised when a deal has no document of that kind (no contract at rate 0)."""


def kinds() -> tuple[str, ...]:
    """The kinds of document a deal can have, as ``apport build`` names them."""
    return tuple(building.KINDS)


@record(frozen=True)
class Built:
    """A Word document of a deal."""

    name: str
    data: bytes


def word(text: bytes, stem: str, kind: str, sources: Sources) -> Built:
    """The Word file of ``kind`` that ``apport build`` writes for ``STEM.yaml`` holding ``text``.

    The deal must be valid (checked by the caller).

    Raises:
        NoDocument: when the deal has no document of that kind.
        ApportError: when the build fails (a clause, a template).
    """
    with tempfile.TemporaryDirectory(prefix="apport-serve-") as tmp:
        folder = Path(tmp)
        deal = folder / f"{stem}.yaml"
        deal.write_bytes(text)
        out = folder / "out"
        report = building.build([deal], out, sources=sources, jobs=1)
        if report.failures:
            from ..diagnostics import ApportError

            detail = "; ".join(str(f) for f in report.failures)
            raise ApportError("build-failed", {"detail": detail})
        name = f"{stem}.{kind}.docx"
        for document in report.documents:
            if document.name == name and document.status == "failed":
                from ..diagnostics import ApportError

                raise ApportError("build-failed", {"detail": str(document.error)})
        if not (out / name).is_file():
            raise NoDocument(name)
        return Built(name, (out / name).read_bytes())


def render(checked: CheckedDeal, kind: str, sources: Sources, *, review: bool = False) -> bytes:
    """A document of a valid deal, rendered in memory by the function ``apport build`` uses.

    Raises:
        NoDocument: when the deal has no document of that kind (no contract at rate 0).
    """
    deal = checked.deal
    assert deal is not None
    if kind not in building.KINDS or (kind == "contrat" and not deal.has_commission):
        raise NoDocument(f"{checked.stem}.{kind}.docx")
    warnings = [d for d in checked.diagnostics if d.severity == "warning"]
    return building.render_document(deal, "contrat.revue" if review else kind,
                                    reference=checked.reference, kit=load_kit(sources),
                                    warnings=warnings).data


def _preview(checked: CheckedDeal, kind: str, sources: Sources) -> str:
    if kind == "contrat":
        clean = render(checked, kind, sources)
        marked = render(checked, kind, sources, review=True)
        return preview.to_html(marked, limit=preview.block_count(clean))
    return preview.to_html(render(checked, kind, sources))


def _preview_task(task: tuple[CheckedDeal, str, Sources]) -> tuple[str, Any]:
    """A preview in the worker, its outcome as data (sent back to the server)."""
    from ..diagnostics import ApportError

    try:
        return "html", _preview(*task)
    except NoDocument as e:
        return "none", str(e)
    except ApportError as e:  # sent back as data: the code and where
        return "error", (e.code, e.params, e.file, e.line, e.column)


def preview_html(checked: CheckedDeal, kind: str, sources: Sources, *,
                 worker: Resident | None = None) -> str:
    """The document of ``kind`` as HTML; the contract with the deal's values marked.

    The contract is read from its review rendering (values highlighted), cut
    where the clean contract ends: the jurist's annex is not shown. Rendered
    in a worker process under the budgets ``apport build`` renders with
    (:mod:`generator.workers`), kept from one preview to the next: a hostile
    clause or template stops its preview and that worker, never the server.
    ``worker``: the server's preview worker (:class:`generator.workers.Resident`),
    kept so that there is no fork per preview and what it rendered before
    (clauses, runs) serves the next preview as she types; without it, a worker
    is forked for this preview alone.

    Raises:
        NoDocument: when the deal has no document of that kind.
        ApportError: when the render fails or is stopped.
    """
    from ..diagnostics import ApportError
    from ..workers import Stopped, call

    # loaded (and its errors raised) here, inherited by the worker when it starts, with
    # what rendering needs (imported once, not in every preview); later, the worker
    # reloads whatever files changed itself
    load_kit(sources)
    building.preload()

    name = f"{checked.stem}.{kind}.docx"
    task = (checked, kind, sources)
    result = (worker.call(_preview_task, task) if worker is not None
              else call(lambda: _preview_task(task)))
    if isinstance(result, Stopped):
        raise ApportError("render-stopped", {"reason": result.reason},
                          file=result.doing or name)
    what, value = result
    if what == "none":
        raise NoDocument(value)
    if what == "error":
        code, params, file, line, column = value
        raise ApportError(code, params, file=file, line=line, column=column)
    return str(value)
