"""The routes of ``apport serve``: the spec's JSON API, and the page that uses it.

Every handler is a few lines over a library call: validation is
:func:`generator.deals.check_bytes` (``apport validate``'s), the Word files
are :func:`generator.build.build`'s, the form is the wizard's field table.
Requests have passed :mod:`.security` before they reach a handler; deal
names are checked by :mod:`.store` (404 otherwise).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..build import Sources, load_kit
from ..deals import CheckedDeal, check_bytes
from ..diagnostics import ApportError, Diagnostic
from ..messages import LANGUAGES, render
from ..workers import Resident
from ..workspace import Workspace
from . import form, outputs
from .security import Guard, GuardMiddleware
from .store import Deals, NoSuchDeal, etag, valid_name

HERE = Path(__file__).resolve().parent
REQUEST = "<request>"
MAX_BODY = 1024 * 1024  # above the deal files' limit, so the loader still names the size
JSON_UTF8 = "application/json; charset=utf-8"


def french(d: Diagnostic) -> str:
    """A diagnostic's message in French, as ``apport validate --lang fr`` words it."""
    return d.text("fr")


def _diagnostics_json(diagnostics: list[Diagnostic], *, lang: str = "en") -> list[dict[str, Any]]:
    return [d.as_dict(lang) for d in diagnostics]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, status, headers=headers, media_type=JSON_UTF8)


def _lang(request: Request) -> str:
    """The language of an answer: ``?lang=fr`` or ``?lang=en`` when asked; else English
    for the JSON API (as the command line without a French locale), French for the
    page and its own requests."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    return "en" if request.url.path.startswith("/api/") else "fr"


def _said(request: Request, code: str, **params: Any) -> str:
    return render(code, params, _lang(request))


def _sentence(text: str) -> str:
    """A message shown alone (not in a located line): capital first, full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _not_found(request: Request, code: str = "web-no-deal") -> Response:
    return Response(_sentence(_said(request, code)) + "\n", 404,
                    media_type="text/plain; charset=utf-8")


def _too_large(request: Request) -> Response:
    return Response(_sentence(_said(request, "web-too-large")) + "\n", 413,
                    media_type="text/plain; charset=utf-8")


def _error(request: Request, code: str, status: int, **params: Any) -> Response:
    return _json({"error": _said(request, code, **params), "code": code}, status)


def _failed(request: Request, e: ApportError) -> Response:
    """What could not be done (a file that cannot be written, a library that fails)."""
    return _json({"error": e.render(_lang(request)), "code": e.code}, 500)


class _BuildState:
    """The workspace build started from the page: one at a time, its progress polled."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = False
        self.done = 0
        self.total = 0
        self.result: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"running": self.running, "done": self.done, "total": self.total,
                    "result": self.result}


def create_app(workspace: Workspace, guard: Guard) -> Starlette:
    """The ASGI application serving ``workspace`` to whoever holds ``guard``'s token."""
    deals = Deals(workspace)
    sources = Sources.default(workspace.clauses, workspace.templates)
    previews = Resident()  # the previews' worker process, kept from one to the next
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["urlname"] = lambda name: quote(name, safe="")
    env.globals.update(workspace_name=workspace.root.name, kind_labels=outputs.KIND_LABELS,
                       out_name=Deals(workspace).relative(workspace.out) + "/")
    building = _BuildState()

    def page(template: str, /, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context))

    async def body(request: Request) -> bytes | None:
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY:
                return None
        return data

    def checked(text: bytes, stem: str, display: str = REQUEST) -> CheckedDeal:
        return check_bytes(text, Path(f"{stem}.yaml"), display)

    # --- the JSON API (the spec's) ------------------------------------------------------

    def api_deals(request: Request) -> Response:
        listing = []
        for name in deals.names():
            result = _check_name(deals, name)
            listing.append({"name": name, "ok": result.ok,
                            "errors": _count(result, "error"),
                            "warnings": _count(result, "warning")})
        return _json(listing)

    async def api_validate(request: Request) -> Response:
        text = await body(request)
        if text is None:
            return _too_large(request)
        result = checked(text, "request")
        return _json(_diagnostics_json(result.diagnostics, lang=_lang(request)))

    def api_get_deal(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            data = deals.read(name)
        except NoSuchDeal:
            return _not_found(request)
        return _json({"name": name, "yaml": data.decode("utf-8", "replace")},
                     headers={"ETag": etag(data)})

    async def api_put_deal(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            path = deals.path(name, existing=False)
        except NoSuchDeal:
            return _not_found(request)
        text = await body(request)
        if text is None:
            return _too_large(request)
        try:
            refusal = _write(path, text, if_match=request.headers.get("if-match"),
                             create=request.headers.get("if-none-match", "").strip() == "*")
        except ApportError as e:
            return _failed(request, e)
        if refusal:
            return _error(request, refusal, 409)
        result = checked(text, name, deals.relative(path))
        return _json(_diagnostics_json(result.diagnostics, lang=_lang(request)),
                     headers={"ETag": etag(text)})

    async def api_document(request: Request) -> Response:
        kind = request.path_params["kind"]
        stem = request.query_params.get("name", "")
        if kind not in outputs.kinds() or not valid_name(stem):
            return _not_found(request, "web-no-document")
        text = await body(request)
        if text is None:
            return _too_large(request)
        result = checked(text, stem)
        if not result.ok:
            return _json(_diagnostics_json(result.diagnostics, lang=_lang(request)), 422)
        try:
            built = outputs.word(text, stem, kind, sources)
        except outputs.NoDocument:
            return _not_found(request, "web-no-contract")
        except ApportError as e:
            return _failed(request, e)
        return Response(built.data, media_type=outputs.DOCX,
                        headers={"Content-Disposition": _attachment(built.name)})

    # --- the page --------------------------------------------------------------------------

    def index(request: Request) -> Response:
        states = _states(deals, sources, workspace)
        try:
            library, library_error = _library(sources), None
        except ApportError as e:
            library, library_error = [], e.render(_lang(request))
        return page("index.html", deals=states, library=library, library_error=library_error,
                    workspace=workspace, kinds=outputs.kinds())

    def deal_page(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            raw = deals.read(name)
        except NoSuchDeal:
            return _not_found(request)
        return _form_page(name, raw, is_new=False)

    def new_page(request: Request) -> Response:
        name = request.query_params.get("name", "").strip()
        source = request.query_params.get("from", "")
        if not valid_name(name):
            return RedirectResponse("/?erreur=nom", 303)
        try:
            deals.path(name)
            return RedirectResponse(f"/deals/{quote(name, safe='')}", 303)
        except NoSuchDeal:
            pass
        values = form.blank_values()
        if source:
            from ..wizard import prefill_from

            try:
                values.update(form.values_from_data(prefill_from(deals.path(source))))
            except (NoSuchDeal, ApportError):
                return _not_found(request, "web-no-source-deal")
        return _form(name, values, etag_value=None, is_new=True, source=source)

    def _form_page(name: str, raw: bytes, *, is_new: bool) -> Response:
        from ..loading import load_bytes

        try:
            data = load_bytes(raw, name).data
        except ApportError as e:  # not YAML at all: the page says so; the file stays as is
            return page("broken.html", name=name, message=e.render("fr"),
                        path=deals.relative(deals.path(name)))
        return _form(name, form.values_from_data(data), etag_value=etag(raw), is_new=is_new,
                     source="", raw=raw, data=data)

    def _form(name: str, values: dict[str, str], *, etag_value: str | None, is_new: bool,
              source: str, raw: bytes | None = None, data: Any = None) -> Response:
        reading = form.read_form(values, target=deals.path(name, existing=False))
        # Saving writes the wizard's layout: a file that is not in it (comments, keys the
        # form does not know) is said to be rewritten before it is.
        hand_edited = raw is not None and raw != reading.yaml.encode("utf-8")
        unknown = form.unknown_keys(data) if hand_edited else []
        return page("deal.html", name=name, sections=form.sections(values, reading.relevant),
                    etag=etag_value or "", is_new=is_new, source=source, kinds=outputs.kinds(),
                    path=deals.relative(deals.path(name, existing=False)),
                    hand_edited=hand_edited, unknown_keys=unknown)

    async def ui_form(request: Request) -> Response:
        """A filled form -> its YAML text, the relevant fields, the messages by field."""
        name = request.query_params.get("name", "")
        if not valid_name(name):
            return _not_found(request)
        try:
            fields = json.loads(await body(request) or b"{}").get("fields", {})
            if not isinstance(fields, dict):
                raise ValueError
        except (ValueError, AttributeError):
            return _error(request, "web-bad-form", 400)
        reading = form.read_form({k: v for k, v in fields.items() if isinstance(v, str)},
                                 target=deals.path(name, existing=False))
        result = checked(reading.yaml.encode("utf-8"), name)
        by_field, general = form.by_field(result.diagnostics, reading.relevant, french)
        # A value the wizard's reading refused: its reason, in French, as `apport new` says it.
        for path, reason in {**reading.refused, **reading.problems}.items():
            by_field[path] = [{"severity": "error", "message": reason, "path": path},
                              *(m for m in by_field.get(path, []) if m["path"] != path)]
        return _json({"yaml": reading.yaml, "relevant": reading.relevant, "fields": by_field,
                      "general": general, "ok": result.ok and not reading.problems,
                      "errors": _count(result, "error") + len(reading.problems),
                      "warnings": _count(result, "warning")})

    async def ui_preview(request: Request) -> Response:
        kind = request.path_params["kind"]
        stem = request.query_params.get("name", "")
        if kind not in outputs.kinds() or not valid_name(stem):
            return _not_found(request)
        result = checked(await body(request) or b"", stem)
        if not result.ok:
            return HTMLResponse(_empty(_said(request, "web-preview-needs-valid-deal")), 422)
        try:
            return HTMLResponse(outputs.preview_html(result, kind, sources, worker=previews))
        except outputs.NoDocument:
            return HTMLResponse(_empty(_said(request, "web-no-contract")))
        except ApportError as e:
            return HTMLResponse(_empty(e.render(_lang(request))), 500)

    async def ui_pdf(request: Request) -> Response:
        from ..pdf import PdfError, convert

        kind = request.path_params["kind"]
        stem = request.query_params.get("name", "")
        if kind not in outputs.kinds() or not valid_name(stem):
            return _not_found(request)
        text = await body(request) or b""
        if not checked(text, stem).ok:
            return _error(request, "web-deal-has-errors", 422)
        try:
            built = outputs.word(text, stem, kind, sources)
            import tempfile

            with tempfile.TemporaryDirectory(prefix="apport-serve-") as tmp:
                docx = Path(tmp) / built.name
                docx.write_bytes(built.data)
                (pdf,) = convert([docx])
                data = pdf.read_bytes()
        except outputs.NoDocument:
            return _not_found(request, "web-no-contract")
        except PdfError as e:
            return _error(request, "web-pdf-failed", 503, reason=e.text(_lang(request)))
        except ApportError as e:
            return _failed(request, e)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": _attachment(pdf.name)})

    async def ui_eml(request: Request) -> Response:
        """The email of ``apport offer --eml``: the same library function, the offer sheet
        from the build."""
        from ..mail import offer_email

        stem = request.query_params.get("name", "")
        if not valid_name(stem):
            return _not_found(request)
        text = await body(request) or b""
        result = checked(text, stem)
        if not result.ok or result.deal is None:
            return _error(request, "web-deal-has-errors", 422)
        try:
            built = outputs.word(text, stem, "offre", sources)
            message = offer_email(result.deal, reference=result.reference,
                                  library=load_kit(sources).offer_library,
                                  attachment_name=built.name, attachment=built.data)
        except ApportError as e:
            return _failed(request, e)
        return Response(message, media_type="message/rfc822",
                        headers={"Content-Disposition": _attachment(f"{stem}.eml")})

    def ui_build_start(request: Request) -> Response:
        redline = request.query_params.get("redline") == "1"
        with building.lock:
            if building.running:
                return _json({"running": True}, 409)
            building.running, building.done, building.total, building.result = True, 0, 0, None
        threading.Thread(target=_run_build, args=(building, workspace, sources, redline),
                         daemon=True).start()
        return _json({"running": True}, 202)

    def ui_build_status(request: Request) -> Response:
        return _json(building.snapshot())

    def ui_out(request: Request) -> Response:
        """A file of the output folder (a document, its PDF, a redline), to open."""
        from starlette.responses import FileResponse

        name = request.path_params["name"]
        if not valid_name(name) or not name.endswith((".docx", ".pdf")):
            return _not_found(request, "web-no-document")
        path = workspace.out / name
        if not path.is_file() or not Deals(workspace)._inside(path):
            return _not_found(request, "web-no-document")
        return FileResponse(path, filename=name)

    routes = [
        Route("/", index),
        Route("/deals/{name}", deal_page),
        Route("/new", new_page),
        Route("/api/deals", api_deals, methods=["GET"]),
        Route("/api/validate", api_validate, methods=["POST"]),
        Route("/api/deals/{name}", api_get_deal, methods=["GET"]),
        Route("/api/deals/{name}", api_put_deal, methods=["PUT"]),
        Route("/api/documents/{kind}", api_document, methods=["POST"]),
        Route("/ui/form", ui_form, methods=["POST"]),
        Route("/ui/preview/{kind}", ui_preview, methods=["POST"]),
        Route("/ui/pdf/{kind}", ui_pdf, methods=["POST"]),
        Route("/ui/eml", ui_eml, methods=["POST"]),
        Route("/ui/build", ui_build_start, methods=["POST"]),
        Route("/ui/build", ui_build_status, methods=["GET"]),
        Route("/ui/out/{name}", ui_out, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            previews.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(GuardMiddleware, guard=guard)
    return app


# --- helpers ------------------------------------------------------------------------------


def _empty(text: str) -> str:
    """A message where a preview would be."""
    return f'<p class="empty">{html.escape(_sentence(text))}</p>'


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _count(result: CheckedDeal, severity: str) -> int:
    return sum(d.severity == severity for d in result.diagnostics)


def _check_name(deals: Deals, name: str) -> CheckedDeal:
    from ..deals import check_file

    path = deals.path(name)
    return check_file(path, deals.relative(path))


def _write(path: Path, data: bytes, *, if_match: str | None, create: bool) -> str | None:
    """Write a deal file through the guarded writer, under the deals folder's lock.

    Returns the code of the reason when the write is refused: ``create`` and the
    file exists, or ``if_match`` is not the ETag of the file on disk now.

    Raises:
        WriteError: when the file cannot be written (a link, a full disk...).
    """
    from ..writing import OutputFolder, write_new

    if create:
        try:
            write_new(path, data)
        except ApportError:
            if os.path.lexists(path):
                return "web-deal-exists"
            raise
        return None
    with OutputFolder(path.parent, wait=10) as folder:
        current = path.read_bytes() if path.is_file() else None
        if if_match is not None and (current is None or
                                     if_match.strip() not in (etag(current), "*")):
            return "web-changed-on-disk"
        folder.replace(data, path)
    return None


def _library(sources: Sources) -> list[dict[str, Any]]:
    """The clause library as ``apport clauses`` lists it: id@version, title, condition."""
    kit = load_kit(sources)
    return [{"part": part, "key": c.key, "title": c.title or f"partie de « {c.part_of} »",
             "when": c.when or ""}
            for kind, part in outputs.KIND_LABELS.items()
            for library in (kit.library(kind),)
            for c in library.clauses]


def _states(deals: Deals, sources: Sources, workspace: Workspace) -> list[dict[str, Any]]:
    """Each deal with its state: valid or not, warnings, documents up to date or not (as the
    manifest shows them, without rendering anything: :func:`generator.build.up_to_date`)."""
    from ..build import up_to_date

    names = deals.names()
    paths = {name: deals.path(name) for name in names}
    try:
        current = up_to_date(list(paths.values()), workspace.out, sources=sources)
    except (ApportError, OSError):
        current = set()
    states = []
    for name in names:
        result = _check_name(deals, name)
        states.append({"name": name, "ok": result.ok, "errors": _count(result, "error"),
                       "warnings": _count(result, "warning"),
                       "current": result.ok and paths[name] in current})
    return states


def _run_build(state: _BuildState, workspace: Workspace, sources: Sources,
               redline: bool) -> None:
    from ..build import build

    def progress(done: int, total: int) -> None:
        with state.lock:
            state.done, state.total = done, total

    try:
        report = build([workspace.deals], workspace.out, sources=sources, redline=redline,
                       progress=progress)
        result: dict[str, Any] = {
            "ok": report.ok, "summary": report.summary.render("fr"),
            "documents": [{"name": d.name, "status": d.status, "redline": d.redline,
                           "error": d.error.render("fr") if d.error else None}
                          for d in report.documents],
            "problems": [french(d) for d in report.diagnostics if d.severity == "error"]
            + [f.render("fr") for f in report.failures]}
    except ApportError as e:
        result = {"ok": False, "summary": e.render("fr"), "documents": [],
                  "problems": [e.render("fr")]}
    except OSError as e:
        said = render("io-cannot-use-output", {"reason": e.strerror or str(e)}, "fr")
        result = {"ok": False, "summary": said, "documents": [], "problems": [said]}
    with state.lock:
        state.running, state.result = False, result


Handler = Callable[[Request], Any]
