"""Many deals at once: incremental, protected, parallel, crash-safe.

``build()`` writes, for every valid deal, ``OUT/<stem>.contrat.docx`` (when
there is a commission) and ``OUT/<stem>.offre.docx``, and records in
``OUT/.apport-manifest.json`` what each document was built from: the deal's
hash, the ``id@version`` and hash of every clause it used, its template's
hash, the tool's version and the hash of the bytes written.

* **Incremental**: a document is rendered again only when one of those
  inputs changed (a clause that the deal does not use changes nothing);
  each rebuilt document says why. A deal whose file, tool, templates and
  clause libraries are all what its manifest entries recorded is not even
  read again (its warnings are recorded too), so a no-op rebuild costs a
  few hashes per deal.
* **Protected**: a file whose bytes are neither what the manifest recorded
  nor what the build would write now was edited by a person: it is left
  alone (or, with ``force``, kept beside the new one under a clear name).
* **Crash-safe**: every file is written under a temporary name in the same
  folder, then renamed into place; the manifest lists a file only after
  it is complete, so a build killed at any moment leaves whole documents
  and a manifest that claims nothing it did not finish.
* **Parallel**: deals are validated, planned and rendered in worker
  processes (forked with the libraries and templates already compiled;
  they end with the build if it is killed); results do not depend on
  ``jobs``. The manifest is written every few seconds and at the end.

The library never prints: progress goes to a callback, the outcome is a
:class:`BuildReport`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import ApportError, Diagnostic, OutputError
from .finding import find_deal_files
from .resources import (
    CONTRACT_TEMPLATE,
    OFFER_SUBDIR,
    OFFER_TEMPLATE,
    clauses_dir,
    templates_dir,
    tool_version,
)

if TYPE_CHECKING:  # the Word, clause and validation machinery: imported when a deal needs it
    from .clauses import Library
    from .deals import CheckedDeal
    from .documents import WordTemplate

MANIFEST = ".apport-manifest.json"
MANIFEST_FORMAT = 1
TEMP_PREFIX = ".apport-tmp-"
KINDS = ("contrat", "offre")
_UMASK = os.umask(0)
os.umask(_UMASK)


# --- the pieces a build needs, loaded once per process --------------------------------------


@dataclass(frozen=True)
class Sources:
    """Where the clause library and the templates are read from."""

    clauses: Path
    templates: Path

    @classmethod
    def default(cls, clauses: str | Path | None = None,
                templates: str | Path | None = None) -> Sources:
        return cls(Path(clauses) if clauses else clauses_dir(),
                   Path(templates) if templates else templates_dir())


@dataclass(frozen=True)
class Kit:
    """The loaded libraries and compiled templates of one process."""

    contract_library: Library
    offer_library: Library
    contract_template: WordTemplate
    offer_template: WordTemplate

    def library(self, kind: str) -> Library:
        return self.contract_library if kind == "contrat" else self.offer_library

    def template(self, kind: str) -> WordTemplate:
        return self.contract_template if kind == "contrat" else self.offer_template

    def library_sha256(self, kind: str) -> str:
        return self.library_hashes[0 if kind == "contrat" else 1]

    library_hashes: tuple[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "library_hashes", (library_sha256(self.contract_library),
                                                    library_sha256(self.offer_library)))


_KITS: dict[Sources, tuple[tuple[Any, ...], Kit]] = {}


def _signature(sources: Sources) -> tuple[Any, ...]:
    """What the files of ``sources`` look like now (name, size, mtime): a cheap change test."""
    entries: list[Any] = []
    for folder in (sources.clauses, sources.clauses / OFFER_SUBDIR):
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name.endswith(".md"):
                        st = entry.stat()
                        entries.append((str(folder), entry.name, st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append((str(folder), None))
    for name in (CONTRACT_TEMPLATE, OFFER_TEMPLATE):
        try:
            st = (sources.templates / name).stat()
            entries.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append((name, None))
    return tuple(sorted(entries, key=repr))


def load_kit(sources: Sources) -> Kit:
    """Load the libraries and templates of ``sources``, again only when their files changed.

    Raises:
        ClauseError, TemplateError: naming the file at fault.
    """
    signature = _signature(sources)
    cached = _KITS.get(sources)
    if cached is not None and cached[0] == signature:
        return cached[1]
    from .clauses import load_library
    from .documents import load_template

    kit = Kit(
        contract_library=load_library(sources.clauses),
        offer_library=load_library(sources.clauses / OFFER_SUBDIR),
        contract_template=load_template(sources.templates / CONTRACT_TEMPLATE),
        offer_template=load_template(sources.templates / OFFER_TEMPLATE),
    )
    _KITS[sources] = (signature, kit)
    return kit


# --- results ------------------------------------------------------------------------------


@dataclass
class DocumentResult:
    """What happened to one output document."""

    name: str
    deal: str
    status: str  # built | unchanged | protected | failed | outdated (check mode)
    reasons: list[str] = field(default_factory=list)
    kept_as: str | None = None
    error: str | None = None
    redline: str | None = None  # the tracked-changes file written beside it, if any


@dataclass
class BuildReport:
    """The outcome of :func:`build`: every document, every failure, every diagnostic."""

    out: Path
    documents: list[DocumentResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    deals: int = 0

    def count(self, status: str) -> int:
        return sum(d.status == status for d in self.documents)

    @property
    def ok(self) -> bool:
        return not self.failures and not any(
            d.status in ("failed", "protected", "outdated") for d in self.documents)

    @property
    def summary(self) -> str:
        failed = len(self.failures) + self.count("failed")
        parts = [f"{self.count('built')} built", f"{self.count('unchanged')} unchanged",
                 f"{failed} failed", f"{self.count('protected')} protected"]
        if self.count("outdated"):
            parts.insert(0, f"{self.count('outdated')} out of date")
        return ", ".join(parts)


# --- hashing and the manifest -----------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The documents the manifest lists (an unreadable manifest lists none)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return {}
    documents = data.get("documents")
    return documents if isinstance(documents, dict) else {}


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or pieces of bytes) to ``path`` through a temporary file
    renamed into place."""
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; documents are ordinary files
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, (bytes, bytearray, memoryview)):
                f.write(data)
            else:
                f.writelines(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_manifest(out: Path, documents: dict[str, dict[str, Any]]) -> None:
    payload = {"format": MANIFEST_FORMAT, "tool": f"apport {tool_version()}",
               "documents": dict(sorted(documents.items()))}
    # Streamed: a manifest of thousands of documents is never one string in memory.
    encoder = json.JSONEncoder(indent=1, ensure_ascii=False)
    write_atomic(out / MANIFEST, _blocks(itertools.chain(encoder.iterencode(payload), ["\n"])))


def _blocks(pieces: Iterable[str], count: int = 4096) -> Iterable[bytes]:
    """Many small pieces of text as a few blocks of UTF-8."""
    it = iter(pieces)
    while chunk := list(itertools.islice(it, count)):
        yield "".join(chunk).encode("utf-8")


# --- planning -----------------------------------------------------------------------------------


def library_sha256(library: Library) -> str:
    """One hash for a whole library (file names, order and contents): which clauses a deal
    gets can change only when this does."""
    return _names_and_hashes((Path(c.file).name, c.sha256) for c in library.clauses)


def _names_and_hashes(items: Iterable[tuple[str, str | None]]) -> str:
    return sha256_bytes("\n".join(f"{name} {sha}" for name, sha in items).encode("utf-8"))


def _folder_sha256(folder: Path) -> str | None:
    """:func:`library_sha256` of the library in ``folder``, from its files (not parsed)."""
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".md" and p.is_file())
    except OSError:
        return None
    return _names_and_hashes((p.name, sha256_file(p)) for p in files)


def _source_hashes(sources: Sources) -> dict[str, tuple[str | None, str | None]]:
    """For each kind, the hashes of its library and template, read cheaply from the files:
    what an up-to-date document's manifest entry must show."""
    return {"contrat": (_folder_sha256(sources.clauses),
                        sha256_file(sources.templates / CONTRACT_TEMPLATE)),
            "offre": (_folder_sha256(sources.clauses / OFFER_SUBDIR),
                      sha256_file(sources.templates / OFFER_TEMPLATE))}


@dataclass(frozen=True)
class Job:
    """One document to consider: its inputs, and what the manifest says of it."""

    name: str
    kind: str
    deal_file: str
    reference: str
    deal_sha256: str
    clauses: dict[str, str] | None  # id@version -> sha256 (None: known once rendered)
    template_sha256: str
    review: bool
    warnings: tuple[Diagnostic, ...]
    deal: Any  # generator.model.Deal (picklable)
    library_sha256: str = ""
    documents: tuple[str, ...] = ()  # every document of the deal, this one included

    def record(self, output_sha256: str) -> dict[str, Any]:
        return {"deal": self.deal_file, "deal_sha256": self.deal_sha256,
                "clauses": self.clauses, "template_sha256": self.template_sha256,
                "library_sha256": self.library_sha256, "tool": tool_version(),
                "review": self.review, "documents": list(self.documents),
                "warnings": [[w.line, w.column, w.path, w.severity, w.message]
                             for w in self.warnings],
                "sha256": output_sha256}


def _reasons(job: Job, old: dict[str, Any] | None) -> list[str]:
    """Why ``job`` must be rendered again (empty: it is up to date)."""
    if old is None:
        return ["new"]
    assert job.clauses is not None  # chosen for every document the manifest lists
    reasons: list[str] = []
    if old.get("deal_sha256") != job.deal_sha256:
        reasons.append("deal changed")
    old_clauses: dict[str, str] = old.get("clauses") or {}
    old_by_id = {key.split("@")[0]: (key, sha) for key, sha in old_clauses.items()}
    # A review contract records every clause of the library (its annex lists them all):
    # entering or leaving review mode is one reason, not one per clause left out.
    review_changed = bool(old.get("review")) != job.review
    for key, sha in job.clauses.items():
        clause_id = key.split("@")[0]
        before = old_by_id.get(clause_id)
        if before is None:
            if not review_changed:
                reasons.append(f"clause `{key}` added")
        elif before != (key, sha):
            reasons.append(f"clause `{key}` changed")
    if not review_changed:
        new_ids = {key.split("@")[0] for key in job.clauses}
        reasons.extend(f"clause `{key}` removed" for clause_id, (key, _sha) in old_by_id.items()
                       if clause_id not in new_ids)
    if old.get("template_sha256") != job.template_sha256:
        reasons.append("template changed")
    if old.get("tool") != tool_version():
        reasons.append(f"apport {old.get('tool')} -> {tool_version()}")
    if review_changed:
        reasons.append("review mode changed")
    return reasons


def _jobs(checked: CheckedDeal, kit: Kit, review: bool,
          listed: Iterable[str] = ()) -> list[Job]:
    """The documents of a deal. Which clauses each uses is worked out here only for the
    documents ``listed`` in the manifest (to compare); for a new one, rendering tells."""
    from .clauses import select
    from .terms import facts

    assert checked.deal is not None
    deal = checked.deal
    deal_sha = sha256_file(checked.path) or ""
    warnings = tuple(d for d in checked.diagnostics if d.severity == "warning")
    kinds = KINDS if deal.has_commission else ("offre",)
    names = tuple(f"{checked.stem}.{kind}.docx" for kind in kinds)
    jobs = []
    for kind, name in zip(kinds, names, strict=True):
        library = kit.library(kind)
        in_review = review and kind == "contrat"
        clauses: dict[str, str] | None = None
        if in_review:
            # A review contract's annex lists every clause, kept or left out, with its
            # id@version and condition: it depends on the whole library.
            clauses = {c.key: c.sha256 for c in library.clauses}
        elif name in listed:
            deal_facts = facts(deal)
            if kind == "offre" and not deal.client.named_in_offer:
                deal_facts["client"] = {**deal_facts["client"], "name": None}
            clauses = {d.clause.key: d.clause.sha256
                       for d in select(library, deal_facts) if d.included}
        jobs.append(Job(
            name=name, kind=kind, deal_file=checked.file,
            reference=checked.reference, deal_sha256=deal_sha,
            clauses=clauses,
            template_sha256=kit.template(kind).sha256,
            review=in_review, warnings=warnings, deal=deal,
            library_sha256=kit.library_sha256(kind), documents=names,
        ))
    return jobs


# --- rendering (in workers) ----------------------------------------------------------------------


def render_job(job: Job, kit: Kit) -> bytes:
    """The bytes of one document."""
    return _render(job, kit)[0]


def _render(job: Job, kit: Kit) -> tuple[bytes, Job]:
    """The bytes of one document, and its job with the clauses it used filled in."""
    from .contract import build_contract
    from .offer import build_offer

    if job.kind == "contrat":
        built = build_contract(job.deal, reference=job.reference, library=kit.contract_library,
                               template=kit.contract_template, review=job.review,
                               warnings=job.warnings)
    else:
        built = build_offer(job.deal, reference=job.reference, library=kit.offer_library,
                            template=kit.offer_template)
    if job.clauses is None:
        job = dataclasses.replace(job, clauses={c.key: c.sha256 for c in built.clauses})
    return built.data, job


@dataclass(frozen=True)
class _Task:
    job: Job
    out: str
    reasons: tuple[str, ...]
    listed_sha256: str | None  # what the manifest recorded, if anything
    force: bool
    check: bool
    redline: bool = False


@dataclass(frozen=True)
class _Outcome:
    job: Job
    status: str
    reasons: tuple[str, ...]
    sha256: str | None = None
    kept_as: str | None = None
    error: str | None = None
    redline: str | None = None


def _kept_name(path: Path) -> Path:
    stem = path.name[: -len(".docx")]
    candidate = path.with_name(f"{stem}.edited.docx")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.edited-{n}.docx")
        n += 1
    return candidate


def _render_failure(task: _Task, error: ApportError) -> _Outcome:
    job = task.job
    return _Outcome(job, "failed", task.reasons,
                    error=f"{error} (while writing {job.name} for {job.deal_file})")


def _place(task: _Task, data: bytes, job: Job) -> _Outcome:
    """Put a rendered document in place, unless a person's edit is in the way."""
    path = Path(task.out) / job.name
    new_sha = sha256_bytes(data)
    on_disk = sha256_file(path)
    reasons = task.reasons
    if on_disk is not None and on_disk != new_sha and on_disk != task.listed_sha256:
        # Neither what we wrote last time nor what we would write now: a person's edit.
        if not task.force:
            why = ("edited since the last build" if task.listed_sha256
                   else "not written by apport (no manifest entry)")
            return _Outcome(job, "protected", reasons, error=why)
        if task.check:
            return _Outcome(job, "outdated", reasons)
        kept = _kept_name(path)
        os.replace(path, kept)
        kept_as = kept.name
    else:
        kept = None
        kept_as = None
    if on_disk == new_sha and not task.force:
        # Already what we would write (a build killed before its manifest): adopt it.
        return _Outcome(job, "unchanged", reasons, sha256=new_sha)
    if task.check:
        return _Outcome(job, "outdated", reasons)
    previous = kept or (path if on_disk is not None else None)
    redline, note = (_write_redline(previous, data, path)
                     if task.redline and job.kind == "contrat" and previous else (None, None))
    try:
        write_atomic(path, data)
    except OSError as e:
        return _Outcome(job, "failed", reasons,
                        error=f"{path}: error: cannot write: {e.strerror or e}")
    return _Outcome(job, "built", reasons, sha256=new_sha, kept_as=kept_as, redline=redline,
                    error=note)


def _write_redline(previous: Path, new: bytes, path: Path) -> tuple[str | None, str | None]:
    """The new contract with tracked changes against ``previous``, read before it is replaced.

    Returns the redline's file name, or a note saying why none was written (the
    contract itself is written either way).
    """
    from .redline import redline

    target = path.with_name(path.name[: -len(".docx")] + ".redline.docx")
    try:
        write_atomic(target, redline(previous.read_bytes(), new, old_name=str(previous),
                                     new_name=str(path)))
    except (ApportError, OSError) as e:
        return None, f"{path.name}: no redline written: {e}"
    return target.name, None


@dataclass(frozen=True)
class _DealTask:
    """One deal to validate, plan and render (in a worker or in process)."""

    index: int
    path: str
    file: str
    out: str
    entries: dict[str, dict[str, Any]]  # the manifest's entries for this deal's documents
    review: bool
    force: bool
    check: bool
    strict: bool
    write: bool  # False: validate only (its output name is claimed by another deal too)
    redline: bool = False  # also write <stem>.contrat.redline.docx against the old one


@dataclass
class _DealResult:
    """What became of one deal: its diagnostics, documents and new manifest entries."""

    index: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failure: str | None = None
    documents: list[DocumentResult] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    forget: list[str] = field(default_factory=list)  # entries whose file is gone


def _run_deal(task: _DealTask, kit: Kit) -> _DealResult:
    result = _DealResult(task.index)
    from .deals import check_file
    from .workers import doing

    doing(task.file)

    checked = check_file(Path(task.path), task.file, strict=task.strict)
    result.diagnostics = list(checked.diagnostics)
    if not checked.ok:
        result.failure = f"{checked.file}: invalid deal, nothing written"
        return result
    if not task.write:
        return result
    try:
        jobs = _jobs(checked, kit, task.review, task.entries)
    except ApportError as e:  # a clause condition that fails for this deal only
        result.failure = f"{e} (while choosing the clauses of {checked.file})"
        return result
    out = Path(task.out)
    due: list[_Task] = []
    for job in jobs:
        old = task.entries.get(job.name)
        listed = old.get("sha256") if old else None
        on_disk = sha256_file(out / job.name)
        reasons = _reasons(job, old)
        if task.force:
            reasons = reasons or ["forced"]
        if on_disk is None and not reasons:
            reasons = ["file missing"]
        if not reasons and on_disk == listed:
            assert on_disk is not None
            result.documents.append(DocumentResult(job.name, job.deal_file, "unchanged"))
            result.records[job.name] = job.record(on_disk)
            continue
        if not reasons:
            reasons = ["edited since the last build"]
        due.append(_Task(job, task.out, tuple(reasons), listed, task.force, task.check,
                         task.redline))
    # Render all of the deal's documents before writing any: when one fails, the
    # others keep their previous version, so a contract and its offer never disagree.
    rendered: list[tuple[_Task, bytes, Job]] = []
    failed: list[_Outcome] = []
    for t in due:
        try:
            rendered.append((t, *_render(t.job, kit)))
        except ApportError as e:
            failed.append(_render_failure(t, e))
    if failed:
        first = failed[0].job.name
        outcomes = failed + [_Outcome(t.job, "failed", t.reasons,
                                      error=f"{t.job.name}: error: not written, so that it "
                                            f"stays in step with {first}, which failed")
                             for t, _, _ in rendered]
    else:
        outcomes = [_place(t, data, job) for t, data, job in rendered]
    for outcome in outcomes:
        name = outcome.job.name
        result.documents.append(DocumentResult(name, outcome.job.deal_file, outcome.status,
                                               list(outcome.reasons), outcome.kept_as,
                                               outcome.error, outcome.redline))
        if outcome.sha256:
            result.records[name] = outcome.job.record(outcome.sha256)
        elif not (out / name).is_file():
            result.forget.append(name)  # moved aside (--force), then not written
    return result


def _up_to_date(index: int, path: Path, display: str, out: Path,
                entries: dict[str, dict[str, Any]],
                hashes: dict[str, tuple[str | None, str | None]], review: bool,
                strict: bool) -> _DealResult | None:
    """The result of a deal whose documents the manifest shows up to date, without reading
    the deal again (``None``: it must be validated, planned and maybe rendered).

    Up to date means: the same deal bytes, tool, templates, review mode and the very
    same clause libraries (so the same clauses are chosen) as when its documents were
    written, and those documents still hold the bytes written. The deal's warnings are
    the ones recorded then.
    """
    offer = entries.get(f"{path.stem}.offre.docx")
    names = offer.get("documents") if offer else None
    warnings = offer.get("warnings") if offer else None
    if not isinstance(names, list) or not isinstance(warnings, list) or (strict and warnings):
        return None
    deal_sha = sha256_file(path)
    if deal_sha is None:
        return None
    result = _DealResult(index)
    for name in names:
        entry = entries.get(name)
        kind = name[len(path.stem) + 1:-len(".docx")] if isinstance(name, str) else None
        if entry is None or kind not in KINDS or name != f"{path.stem}.{kind}.docx":
            return None
        if (entry.get("deal_sha256") != deal_sha or entry.get("tool") != tool_version()
                or entry.get("review") is not (review and kind == "contrat")
                or (entry.get("library_sha256"), entry.get("template_sha256")) != hashes[kind]
                or entry.get("documents") != names or entry.get("warnings") != warnings
                or sha256_file(out / name) != entry.get("sha256")):
            return None
        if entry.get("deal") != display:
            result.records[name] = {**entry, "deal": display}
        result.documents.append(DocumentResult(name, display, "unchanged"))
    try:
        result.diagnostics = [Diagnostic(display, *w) for w in warnings]
    except TypeError:
        return None
    return result


def _intern(entry: dict[str, Any]) -> dict[str, Any]:
    """One string object for each clause key and hash, shared by all the entries (a
    manifest of thousands of documents repeats the same few hundred strings)."""
    clauses = entry.get("clauses")
    if isinstance(clauses, dict):
        entry["clauses"] = {sys.intern(k): sys.intern(v) if isinstance(v, str) else v
                            for k, v in clauses.items() if isinstance(k, str)}
    for key in ("template_sha256", "library_sha256", "tool"):
        if isinstance(entry.get(key), str):
            entry[key] = sys.intern(entry[key])
    return entry


# --- the build ---------------------------------------------------------------------------------


Progress = Callable[[int, int], None]
MANIFEST_INTERVAL = 2.0  # seconds between two writes of the manifest during a build


def build(paths: Sequence[str | Path], out: str | Path = "out", *,
          sources: Sources | None = None, review: bool = False, force: bool = False,
          check: bool = False, strict: bool = False, jobs: int | None = None,
          redline: bool = False, progress: Progress | None = None) -> BuildReport:
    """Validate and render every deal below ``paths`` into ``out``.

    Args:
        paths: deal files and folders.
        out: the output folder (created if missing).
        sources: the clause library and templates (default: built-in).
        review: contracts in review mode (values highlighted, jurist's annex).
        force: render everything; keep hand-edited files beside the new ones.
        check: write nothing; report what is out of date.
        strict: warnings are errors.
        jobs: worker processes (default: the machine's cores).
        redline: for every contract rewritten that existed before, also write
            ``<stem>.contrat.redline.docx``: the new contract with Word tracked
            changes against the previous one.
        progress: called with (done, total) as the deals to look at complete (deals
            the manifest shows up to date are not counted).

    Raises:
        FileNotFoundError: a path given does not exist.
        ApportError: the library or a template cannot be loaded, or the
            output folder cannot be used.
    """
    sources = sources or Sources.default()
    out = Path(out)
    report = BuildReport(out=out)

    files = find_deal_files(paths)
    report.deals = len(files)
    by_stem: dict[str, list[str]] = {}
    for path, display in files:
        by_stem.setdefault(path.stem, []).append(display)
    clashing = {stem for stem, group in by_stem.items() if len(group) > 1}

    if not check:
        _prepare_output(out)
    manifest = read_manifest(out) if out.is_dir() else {}
    manifest = {name: _intern(entry) for name, entry in manifest.items()
                if isinstance(entry, dict)}
    # The manifest lists only files that exist (a document deleted by hand, with its
    # deal gone or now invalid, is forgotten).
    written = {name: entry for name, entry in manifest.items() if (out / name).is_file()}

    results: list[_DealResult | None] = [None] * len(files)
    tasks: list[_DealTask] = []
    hashes = _source_hashes(sources)
    for index, (path, display) in enumerate(files):
        entries = {name: manifest[name] for kind in KINDS
                   if (name := f"{path.stem}.{kind}.docx") in manifest}
        if path.stem not in clashing and not force:
            quick = _up_to_date(index, path, display, out, entries, hashes, review, strict)
            if quick is not None:
                results[index] = quick
                if not check:
                    written.update(quick.records)
                continue
        tasks.append(_DealTask(index, str(path), display, str(out), entries, review, force,
                               check, strict, write=path.stem not in clashing,
                               redline=redline))

    # The libraries and templates are loaded (and their errors raised) only when a deal
    # must be looked at: here, so that forked workers inherit them.
    kit = load_kit(sources) if tasks else None
    total = len(tasks)
    pending = 0
    last_write, write_cost = time.monotonic(), 0.0
    if progress:
        progress(0, total)
    for done, result in enumerate(_execute(tasks, kit, jobs), start=1):
        results[result.index] = result
        if not check:
            for name, record in result.records.items():
                if written.get(name) != record:
                    written[name] = _intern(record)
                    pending += 1
            for name in result.forget:
                if written.pop(name, None) is not None:
                    pending += 1
            # Now and then, so that a build killed midway leaves a manifest that lists
            # (only) finished documents; never so often that it costs much.
            if pending and time.monotonic() - last_write >= max(MANIFEST_INTERVAL,
                                                                20 * write_cost):
                started = time.monotonic()
                write_manifest(out, written)
                last_write = time.monotonic()
                write_cost = last_write - started
                pending = 0
        if progress:
            progress(done, total)
    if not check and (pending or written != manifest or not (out / MANIFEST).exists()):
        write_manifest(out, written)

    for deal_result in results:
        assert deal_result is not None
        report.diagnostics.extend(deal_result.diagnostics)
        if deal_result.failure:
            report.failures.append(deal_result.failure)
        report.documents.extend(deal_result.documents)
    for stem in sorted(clashing):
        names = " and ".join(by_stem[stem])
        report.failures.append(f"{names} would both write {stem}.*.docx; rename one of them")
    report.documents.sort(key=lambda d: d.name)
    return report


def _prepare_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: error: the output path is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: error: cannot create the output folder: "
                          f"{e.strerror or e}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: error: the output folder is not writable")
    for leftover in out.glob(TEMP_PREFIX + "*"):  # from a build that was killed
        with contextlib.suppress(OSError):
            leftover.unlink()


def _execute(tasks: list[_DealTask], kit: Kit | None,
             jobs: int | None) -> Iterable[_DealResult]:
    """Every task's result, from worker processes under the budgets of :mod:`.workers`."""
    from .workers import Stopped, run

    if not tasks:
        return
    assert kit is not None
    for index, result in run(lambda task: _run_deal(task, kit), tasks, jobs=jobs):
        if isinstance(result, Stopped):
            task = tasks[index]
            yield _DealResult(task.index, failure=result.message(task.file))
        else:
            yield result
