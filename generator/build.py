"""Many deals at once: incremental, protected, parallel, crash-safe.

``build()`` writes, for every valid deal, ``OUT/<stem>.contrat.docx`` (when
there is a commission) and ``OUT/<stem>.offre.docx``, and records in
``OUT/.apport-manifest.json`` what each document was built from: the deal's
hash, the ``id@version`` and hash of every clause it used, its template's
hash, the tool's version and the hash of the bytes written.

* **Incremental**: a document is rendered again only when one of those
  inputs changed (a clause that the deal does not use changes nothing);
  each rebuilt document says why.
* **Protected**: a file whose bytes are neither what the manifest recorded
  nor what the build would write now was edited by a person: it is left
  alone (or, with ``force``, kept beside the new one under a clear name).
* **Crash-safe**: every file is written under a temporary name in the same
  folder, then renamed into place; the manifest lists a file only after
  it is complete, so a build killed at any moment leaves whole documents
  and a manifest that claims nothing it did not finish.
* **Parallel**: documents are rendered in worker processes, each loading
  and compiling the templates once; results do not depend on ``jobs``.

The library never prints: progress goes to a callback, the outcome is a
:class:`BuildReport`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clauses import Library, load_library, select
from .deals import CheckedDeal, check_file, find_deal_files
from .diagnostics import ApportError, Diagnostic, OutputError
from .documents import WordTemplate, load_template
from .resources import (
    CONTRACT_TEMPLATE,
    OFFER_SUBDIR,
    OFFER_TEMPLATE,
    clauses_dir,
    templates_dir,
)

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


def _version() -> str:
    from . import __version__

    return str(__version__)


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; documents are ordinary files
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_manifest(out: Path, documents: dict[str, dict[str, Any]]) -> None:
    payload = {"format": MANIFEST_FORMAT, "tool": f"apport {_version()}",
               "documents": dict(sorted(documents.items()))}
    write_atomic(out / MANIFEST, (json.dumps(payload, indent=1, ensure_ascii=False)
                                  + "\n").encode("utf-8"))


# --- planning -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One document to consider: its inputs, and what the manifest says of it."""

    name: str
    kind: str
    deal_file: str
    reference: str
    deal_sha256: str
    clauses: dict[str, str]  # id@version -> sha256
    template_sha256: str
    review: bool
    warnings: tuple[Diagnostic, ...]
    deal: Any  # generator.model.Deal (picklable)

    def record(self, output_sha256: str) -> dict[str, Any]:
        return {"deal": self.deal_file, "deal_sha256": self.deal_sha256,
                "clauses": self.clauses, "template_sha256": self.template_sha256,
                "tool": _version(), "review": self.review, "sha256": output_sha256}


def _reasons(job: Job, old: dict[str, Any] | None) -> list[str]:
    """Why ``job`` must be rendered again (empty: it is up to date)."""
    if old is None:
        return ["new"]
    reasons: list[str] = []
    if old.get("deal_sha256") != job.deal_sha256:
        reasons.append("deal changed")
    old_clauses: dict[str, str] = old.get("clauses") or {}
    old_by_id = {key.split("@")[0]: (key, sha) for key, sha in old_clauses.items()}
    for key, sha in job.clauses.items():
        clause_id = key.split("@")[0]
        before = old_by_id.get(clause_id)
        if before is None:
            reasons.append(f"clause `{key}` added")
        elif before != (key, sha):
            reasons.append(f"clause `{key}` changed")
    for clause_id, (key, _sha) in old_by_id.items():
        if not any(k.split("@")[0] == clause_id for k in job.clauses):
            reasons.append(f"clause `{key}` removed")
    if old.get("template_sha256") != job.template_sha256:
        reasons.append("template changed")
    if old.get("tool") != _version():
        reasons.append(f"apport {old.get('tool')} -> {_version()}")
    if bool(old.get("review")) != job.review:
        reasons.append("review mode changed")
    return reasons


def _jobs(checked: CheckedDeal, kit: Kit, review: bool) -> list[Job]:
    from .terms import facts

    assert checked.deal is not None
    deal = checked.deal
    deal_sha = sha256_file(checked.path) or ""
    warnings = tuple(d for d in checked.diagnostics if d.severity == "warning")
    kinds = KINDS if deal.has_commission else ("offre",)
    jobs = []
    for kind in kinds:
        library = kit.library(kind)
        deal_facts = facts(deal)
        if kind == "offre" and not deal.client.named_in_offer:
            deal_facts["client"] = {**deal_facts["client"], "name": None}
        in_review = review and kind == "contrat"
        # A review contract's annex lists every clause, kept or left out, with its
        # id@version and condition: it depends on the whole library.
        used = [d.clause for d in select(library, deal_facts) if d.included or in_review]
        jobs.append(Job(
            name=f"{checked.stem}.{kind}.docx", kind=kind, deal_file=checked.file,
            reference=checked.reference, deal_sha256=deal_sha,
            clauses={c.key: c.sha256 for c in used},
            template_sha256=kit.template(kind).sha256,
            review=in_review, warnings=warnings, deal=deal,
        ))
    return jobs


# --- rendering (in workers) ----------------------------------------------------------------------


def render_job(job: Job, kit: Kit) -> bytes:
    """The bytes of one document."""
    from .contract import build_contract
    from .offer import build_offer

    if job.kind == "contrat":
        return build_contract(job.deal, reference=job.reference, library=kit.contract_library,
                              template=kit.contract_template, review=job.review,
                              warnings=job.warnings).data
    return build_offer(job.deal, reference=job.reference, library=kit.offer_library,
                       template=kit.offer_template).data


@dataclass(frozen=True)
class _Task:
    job: Job
    out: str
    reasons: tuple[str, ...]
    listed_sha256: str | None  # what the manifest recorded, if anything
    force: bool
    check: bool


@dataclass(frozen=True)
class _Outcome:
    job: Job
    status: str
    reasons: tuple[str, ...]
    sha256: str | None = None
    kept_as: str | None = None
    error: str | None = None


def _kept_name(path: Path) -> Path:
    stem = path.name[: -len(".docx")]
    candidate = path.with_name(f"{stem}.edited.docx")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.edited-{n}.docx")
        n += 1
    return candidate


def _run_task(task: _Task, kit: Kit) -> _Outcome:
    """Render one document and put it in place, unless a person's edit is in the way."""
    job = task.job
    path = Path(task.out) / job.name
    try:
        data = render_job(job, kit)
    except ApportError as e:
        return _Outcome(job, "failed", task.reasons,
                        error=f"{e} (while writing {job.name} for {job.deal_file})")
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
        kept_as = None
    if on_disk == new_sha:
        # Already what we would write (a build killed before its manifest): adopt it.
        return _Outcome(job, "unchanged", reasons, sha256=new_sha)
    if task.check:
        return _Outcome(job, "outdated", reasons)
    try:
        write_atomic(path, data)
    except OSError as e:
        return _Outcome(job, "failed", reasons, error=f"cannot write {path}: {e.strerror or e}")
    return _Outcome(job, "built", reasons, sha256=new_sha, kept_as=kept_as)


_WORKER_KIT: Kit | None = None


def _worker_init(sources: Sources) -> None:
    global _WORKER_KIT
    _WORKER_KIT = load_kit(sources)


def _worker_run(task: _Task) -> _Outcome:
    assert _WORKER_KIT is not None
    return _run_task(task, _WORKER_KIT)


# --- the build ---------------------------------------------------------------------------------


Progress = Callable[[int, int], None]


def build(paths: Sequence[str | Path], out: str | Path = "out", *,
          sources: Sources | None = None, review: bool = False, force: bool = False,
          check: bool = False, strict: bool = False, jobs: int | None = None,
          progress: Progress | None = None) -> BuildReport:
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
        progress: called with (done, total) as documents complete.

    Raises:
        FileNotFoundError: a path given does not exist.
        ApportError: the library or a template cannot be loaded, or the
            output folder cannot be used.
    """
    sources = sources or Sources.default()
    out = Path(out)
    kit = load_kit(sources)
    report = BuildReport(out=out)

    files = find_deal_files(paths)
    checked = [check_file(path, display, strict=strict) for path, display in files]
    report.deals = len(checked)
    for c in checked:
        report.diagnostics.extend(c.diagnostics)
        if not c.ok:
            report.failures.append(f"{c.file}: invalid deal, nothing written")

    by_stem: dict[str, list[CheckedDeal]] = {}
    for c in checked:
        by_stem.setdefault(c.stem, []).append(c)
    clashing = {stem for stem, group in by_stem.items() if len(group) > 1}
    for stem in sorted(clashing):
        names = " and ".join(c.file for c in by_stem[stem])
        report.failures.append(f"{names} would both write {stem}.*.docx; rename one of them")

    if not check:
        _prepare_output(out)
    manifest = read_manifest(out) if out.is_dir() else {}

    tasks: list[_Task] = []
    for c in checked:
        if not c.ok or c.stem in clashing:
            continue
        try:
            deal_jobs = _jobs(c, kit, review)
        except ApportError as e:  # a clause condition that fails for this deal only
            report.failures.append(f"{e} (while choosing the clauses of {c.file})")
            continue
        for job in deal_jobs:
            old = manifest.get(job.name)
            listed = old.get("sha256") if isinstance(old, dict) else None
            on_disk = sha256_file(out / job.name)
            reasons = _reasons(job, old if isinstance(old, dict) else None)
            if force:
                reasons = reasons or ["forced"]
            if on_disk is None and not reasons:
                reasons = ["file missing"]
            if not reasons and on_disk == listed:
                report.documents.append(DocumentResult(job.name, job.deal_file, "unchanged"))
                continue
            if not reasons:
                reasons = ["edited since the last build"]
            tasks.append(_Task(job, str(out), tuple(reasons), listed, force, check))

    total = len(tasks)
    done = 0
    # The manifest lists only files that exist (a document deleted by hand, with its
    # deal gone or now invalid, is forgotten).
    written = {name: entry for name, entry in manifest.items() if (out / name).is_file()}
    pending_writes = 0
    if progress:
        progress(0, total)
    for outcome in _execute(tasks, sources, kit, jobs):
        done += 1
        result = DocumentResult(outcome.job.name, outcome.job.deal_file, outcome.status,
                                list(outcome.reasons), outcome.kept_as, outcome.error)
        report.documents.append(result)
        if outcome.sha256 and not check:
            written[outcome.job.name] = outcome.job.record(outcome.sha256)
            pending_writes += 1
        elif not check and outcome.job.name in written and not (out / outcome.job.name).is_file():
            del written[outcome.job.name]  # moved aside (--force), then not written
            pending_writes += 1
            if pending_writes >= 50:
                write_manifest(out, written)
                pending_writes = 0
        if progress:
            progress(done, total)
    if not check and (pending_writes or written != manifest or not (out / MANIFEST).exists()):
        write_manifest(out, written)
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
        try:
            leftover.unlink()
        except OSError:
            pass


def _execute(tasks: list[_Task], sources: Sources, kit: Kit,
             jobs: int | None) -> Iterable[_Outcome]:
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        for task in tasks:
            yield _run_task(task, kit)
        return
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                             initargs=(sources,)) as pool:
        futures = [pool.submit(_worker_run, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
