"""Many deals at once: orchestration of validation, planning, rendering and writing.

``build()`` writes, for every valid deal, ``OUT/<stem>.contrat.docx`` (when
there is a commission), ``OUT/<stem>.offre.docx`` and ``OUT/<stem>.client.docx``
(with ``review``, also
``OUT/<stem>.contrat.revue.docx``, kept up to date from then on), and
returns a :class:`BuildReport`. The parts live in their own modules:

* :mod:`generator.manifest`: what each file was built from (typed entries),
  durable as soon as the file is (a journal);
* :mod:`generator.planning`: the one function that says whether a document is
  up to date, and why not; stale outputs;
* :mod:`generator.writing`: the guarded writer (lock, staging, links and
  special files refused, a deal's files moved together, edits protected).

Deals are validated, planned, rendered and staged in worker processes
(forked with the libraries and templates already compiled; they end with the
build if it is killed); the parent records each deal in the journal and
moves its files into place. Results do not depend on ``jobs``.

The library never prints: progress goes to callbacks, the outcome is a
:class:`BuildReport`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import vouch
from .diagnostics import ApportError, Diagnostic
from .errors import Worded
from .finding import DealFiles, deal_files, natural_key, natural_path_key
from .manifest import (
    ALL_KINDS,
    MANIFEST,
    STATUS,
    Derived,
    DocumentEntry,
    Entry,
    FileEntry,
    Journal,
    Kind,
    Manifest,
    Statuses,
    Unexpected,
    Window,
    file_status,
    known_sha256,
    settled,
)
from .messages import Msg, params_from_json, params_to_json
from .planning import (
    Inputs,
    Status,
    assess,
    name_limit,
    not_utf8,
    stale,
    stale_reason,
    too_long,
)
from .records import record
from .resources import (
    CLIENT_SUBDIR,
    CLIENT_TEMPLATE,
    CONTRACT_TEMPLATE,
    OFFER_SUBDIR,
    OFFER_TEMPLATE,
    clauses_dir,
    library_root,
    templates_dir,
    tool_version,
)
from .vouch import Deals
from .writing import (
    STAGING,
    Move,
    OutputFolder,
    Placement,
    WriteError,
    decide,
    os_error,
    protected_error,
    sha256_fd,
    sha256_file,
    stage,
)

if TYPE_CHECKING:  # the Word, clause and validation machinery: imported when a deal needs it
    from .clauses import Library
    from .deals import CheckedDeal
    from .documents import WordTemplate

__all__ = ["MANIFEST", "STAGING", "BuildReport", "DocumentResult", "Kind", "Sources", "Status",
           "build", "load_kit"]

KINDS = ("contrat", "offre", "client")  # the documents of a deal, in order (the contract
# needs a rate); kind -> (its clause folder below the library, its template)
KIND_SOURCES = {"contrat": ("", CONTRACT_TEMPLATE), "offre": (OFFER_SUBDIR, OFFER_TEMPLATE),
                "client": (CLIENT_SUBDIR, CLIENT_TEMPLATE)}


# --- the pieces a build needs, loaded once per process --------------------------------------


@record(frozen=True)
class Sources:
    """Where the clause library and the templates are read from."""

    clauses: Path
    templates: Path

    @classmethod
    def default(cls, clauses: str | Path | None = None,
                templates: str | Path | None = None) -> Sources:
        """The folders given, else the built-in ones; ``clauses`` may be an exported
        library's root, whose templates then serve unless ``templates`` is given."""
        folder, its_templates = library_root(clauses) if clauses else (clauses_dir(), None)
        return cls(folder, Path(templates) if templates else its_templates or templates_dir())


@record(frozen=True)
class Kit:
    """The loaded libraries and compiled templates of one process."""

    contract_library: Library
    offer_library: Library
    contract_template: WordTemplate
    offer_template: WordTemplate
    client_library: Library
    client_template: WordTemplate

    def library(self, kind: str) -> Library:
        return {"contrat": self.contract_library, "offre": self.offer_library,
                "client": self.client_library}[kind]

    def template(self, kind: str) -> WordTemplate:
        return {"contrat": self.contract_template, "offre": self.offer_template,
                "client": self.client_template}[kind]

    def library_sha256(self, kind: str) -> str:
        return self.library_hashes[KINDS.index(kind)]

    library_hashes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "library_hashes",
                           tuple(library_sha256(self.library(kind)) for kind in KINDS))


_KITS: dict[Sources, tuple[tuple[Any, ...], Kit]] = {}


def _signature(sources: Sources) -> tuple[Any, ...]:
    """What the files of ``sources`` look like now (name, size, mtime): a cheap change test."""
    entries: list[Any] = []
    for folder in (sources.clauses / sub for sub, _ in KIND_SOURCES.values()):
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name.endswith(".md"):
                        st = entry.stat()
                        entries.append((str(folder), entry.name, st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append((str(folder), None))
    for name in (template for _, template in KIND_SOURCES.values()):
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
        client_library=load_library(sources.clauses / CLIENT_SUBDIR),
        client_template=load_template(sources.templates / CLIENT_TEMPLATE),
    )
    _KITS[sources] = (signature, kit)
    return kit


# --- results ------------------------------------------------------------------------------


@record(slots=True)
class DocumentResult:
    """What happened to one output file."""

    name: str
    deal: str
    status: Status
    reasons: Sequence[Msg] = ()  # (a tuple unless given: one for every unchanged document)
    kept_as: str | None = None
    error: Worded | Msg | None = None  # a located problem (failed, protected) or a note
    redline: str | None = None  # the tracked-changes file written beside it, if any


@record
class BuildReport:
    """The outcome of :func:`build`: every file, every failure, every diagnostic."""

    out: Path
    documents: list[DocumentResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failures: list[Worded] = field(default_factory=list)  # located, each a line
    notes: list[Worded] = field(default_factory=list)  # warnings: a damaged manifest
    errors: list[Worded] = field(default_factory=list)  # located: the manifest not written
    deals: int = 0
    without_contract: list[str] = field(default_factory=list)  # deals at rate 0 looked at
    check: bool = False
    unchanged_deals: set[str] = field(default_factory=set)  # deals not read again (by file)
    # With build(list_unchanged=False): the documents of deals found up to date without
    # reading them are counted, not listed, and so are their warnings.
    unlisted: int = 0
    unlisted_warnings: int = 0
    unlisted_warned_deals: int = 0

    def count(self, status: Status | str) -> int:
        listed = sum(d.status == status for d in self.documents)
        return listed + self.unlisted if status == Status.UNCHANGED else listed

    @property
    def ok(self) -> bool:
        bad = {Status.FAILED, Status.PROTECTED, Status.OUTDATED}
        return not self.failures and not self.errors and not any(
            d.status in bad for d in self.documents)

    @property
    def summary(self) -> Msg:
        """``2 built, 11 unchanged, 0 failed, 1 protected`` (a message: ``str()`` words it)."""
        failed = len(self.failures) + self.count(Status.FAILED)
        counts = [(Status.OUTDATED, self.count(Status.OUTDATED)),
                  (Status.BUILT, self.count(Status.BUILT)),
                  (Status.UNCHANGED, self.count(Status.UNCHANGED)), (Status.FAILED, failed),
                  (Status.PROTECTED, self.count(Status.PROTECTED)),
                  (Status.STALE, self.count(Status.STALE)),
                  (Status.PRUNED, self.count(Status.PRUNED))]
        always = {Status.BUILT, Status.UNCHANGED, Status.FAILED, Status.PROTECTED}
        parts = [Msg(f"summary-{status.value}", {"count": count}) for status, count in counts
                 if count or status in always]
        return Msg("build-summary", {"parts": parts})


# --- hashing ------------------------------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    return _names_and_hashes((p.name, _input_sha256(p)) for p in files)


# For each kind of source, the hashes of its library and template (None: unreadable).
SourceHashes = dict[str, tuple[str | None, str | None]]


def _source_hashes(sources: Sources) -> SourceHashes:
    """For each kind, the hashes of its library and template, read cheaply from the files:
    what an up-to-date document's manifest entry must show."""
    return {kind: (_folder_sha256(sources.clauses / sub), _input_sha256(sources.templates / name))
            for kind, (sub, name) in KIND_SOURCES.items()}


@record(frozen=True)
class Job:
    """One document to consider: its inputs, and what the manifest says of it."""

    name: str
    kind: Kind
    deal_file: str
    deal_path: str  # absolute
    reference: str
    deal_sha256: str
    clauses: dict[str, str] | None  # id@version -> sha256 (None: known once rendered)
    template_sha256: str
    warnings: tuple[Diagnostic, ...]
    deal: Any  # generator.model.Deal (picklable)
    library_sha256: str = ""
    documents: tuple[str, ...] = ()  # every document of the deal, this one included
    final: bool = False  # the contract to sign, without the draft notice (--final)

    @property
    def review(self) -> bool:
        return self.kind is Kind.REVIEW

    def inputs(self) -> Inputs:
        return Inputs(kind=self.kind, deal_sha256=self.deal_sha256,
                      template_sha256=self.template_sha256,
                      library_sha256=self.library_sha256, tool=tool_version(),
                      clauses=self.clauses, final=self.final)

    def entry(self, output_sha256: str, previous: str | None = None) -> DocumentEntry:
        return DocumentEntry(
            kind=self.kind, deal=self.deal_file, sha256=output_sha256,
            deal_sha256=self.deal_sha256, template_sha256=self.template_sha256,
            library_sha256=self.library_sha256, tool=tool_version(),
            clauses=self.clauses, review=self.review, final=self.final,
            documents=self.documents,
            warnings=tuple((w.line, w.column, w.path, w.severity, w.code,
                            params_to_json(w.params)) for w in self.warnings),
            deal_path=self.deal_path, previous_sha256=previous)


def _input_sha256(path: str | Path) -> str | None:
    """The hash of an input file (links followed), None when unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return sha256_fd(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def document_name(stem: str, kind: Kind | str) -> str:
    return f"{stem}.{Kind(kind).value}.docx"


def _kinds(has_commission: bool, stem: str, review: bool,
           listed: Iterable[str]) -> tuple[Kind, ...]:
    """The documents a deal produces: the review copy once asked for is kept up to date."""
    kinds = [Kind(k) for k in KINDS if has_commission or k != Kind.CONTRACT]
    if has_commission and (review or document_name(stem, Kind.REVIEW) in listed):
        kinds.append(Kind.REVIEW)
    return tuple(kinds)


def _jobs(checked: CheckedDeal, kit: Kit, review: bool,
          listed: Iterable[str] = (), final: bool = False) -> list[Job]:
    """The documents of a deal. Which clauses each uses is worked out here only for the
    documents ``listed`` in the manifest (to compare); for a new one, rendering tells.
    ``final``: the contract is the copy to sign (the review copy stays a draft)."""
    from .clauses import select
    from .terms import facts

    assert checked.deal is not None
    deal = checked.deal
    deal_sha = _input_sha256(checked.path) or ""
    warnings = tuple(d for d in checked.diagnostics if d.severity == "warning")
    listed = set(listed)
    kinds = _kinds(deal.has_commission, checked.stem, review, listed)
    names = tuple(document_name(checked.stem, kind) for kind in kinds)
    jobs = []
    for kind, name in zip(kinds, names, strict=True):
        library = kit.library(kind.source)
        clauses: dict[str, str] | None = None
        if kind is Kind.REVIEW:
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
            deal_path=os.path.abspath(checked.path),
            reference=checked.reference, deal_sha256=deal_sha,
            clauses=clauses,
            template_sha256=kit.template(kind.source).sha256,
            warnings=warnings, deal=deal,
            library_sha256=kit.library_sha256(kind.source), documents=names,
            final=final and kind is Kind.CONTRACT,
        ))
    return jobs


# --- rendering (in workers) ----------------------------------------------------------------------


def render_document(deal: Any, kind: Kind | str, *, reference: str, kit: Kit,
                    warnings: Iterable[Diagnostic] = (), final: bool = False) -> Any:
    """One document of a valid deal (a ``contract.BuiltDocument``), as ``build`` renders it;
    ``apport serve`` previews with it too. ``final``: a contract without the draft notice."""
    from .contract import build_contract
    from .notice import build_notice
    from .offer import build_offer

    kind = Kind(kind)
    if kind in (Kind.CONTRACT, Kind.REVIEW):
        return build_contract(deal, reference=reference, library=kit.contract_library,
                              template=kit.contract_template, review=kind is Kind.REVIEW,
                              warnings=tuple(warnings), final=final and kind is Kind.CONTRACT)
    if kind is Kind.CLIENT:
        return build_notice(deal, reference=reference, library=kit.client_library,
                            template=kit.client_template)
    return build_offer(deal, reference=reference, library=kit.offer_library,
                       template=kit.offer_template)


def _render(job: Job, kit: Kit) -> tuple[bytes, Job]:
    """The bytes of one document, and its job with the clauses it used filled in."""
    built = render_document(job.deal, job.kind, reference=job.reference, kit=kit,
                            warnings=job.warnings, final=job.final)
    if job.clauses is None:
        job = dataclasses.replace(job, clauses={c.key: c.sha256 for c in built.clauses})
    return built.data, job



@record(frozen=True)
class _DealTask:
    """One deal to validate, plan and render (in a worker or in process)."""

    index: int
    path: str
    file: str
    out: str
    entries: dict[str, Entry]  # the manifest's entries for this deal's files
    review: bool
    force: bool
    check: bool
    strict: bool
    write: bool  # False: validate only (its output name is claimed by another deal too)
    redline: bool = False  # also write <stem>.contrat.redline.docx against the old one
    only: tuple[str, ...] | None = None  # only these kinds (apport offer --pdf)
    name_limit: int = 255
    final: bool = False  # the contracts are the copies to sign (--final)


@record(frozen=True)
class _Staged:
    """A file written into the staging folder, to move into place with its deal's others."""

    name: str
    staged: str
    entry: Entry
    keep: bool  # a person's version is there: keep it aside first (--force)


@record(slots=True)  # one per deal until the build ends
class _DealResult:
    """What became of one deal: its diagnostics, documents, staged files and entries."""

    index: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failure: Worded | None = None
    documents: list[DocumentResult] = field(default_factory=list)
    records: dict[str, Entry] = field(default_factory=dict)  # entries of files left as they are
    staged: list[_Staged] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)  # entries whose file is gone
    without_contract: bool = False  # a valid deal at rate 0: nothing to sign
    deal_path: str | None = None  # the deal, when it was read and its documents planned
    quick: bool = False  # found up to date without reading the deal
    deal_sha256: str | None = None  # (found up to date: the deal's bytes, as read)
    unlisted_warnings: int = 0  # (found up to date, not listed: its warnings, counted)


def _run_deal(task: _DealTask, kit: Kit) -> _DealResult:
    result = _DealResult(task.index)
    from .deals import check_file
    from .workers import doing

    doing(task.file)
    checked = check_file(Path(task.path), task.file, strict=task.strict)
    result.diagnostics = list(checked.diagnostics)
    if not checked.ok:
        result.failure = Diagnostic(checked.file, 0, 0, "", "error", "build-deal-invalid")
        return result
    if not task.write:
        return result
    assert checked.deal is not None
    result.without_contract = not checked.deal.has_commission
    try:
        jobs = _jobs(checked, kit, task.review, task.entries, final=task.final)
    except ApportError as e:  # a clause condition that fails for this deal only
        result.failure = _within(e, "build-while-choosing-clauses", deal=checked.file)
        return result
    if task.only is not None:
        jobs = [job for job in jobs if job.kind in task.only]
    long = too_long(tuple(job.name for job in jobs), task.name_limit)
    if long is not None:
        result.failure = Diagnostic(checked.file, 0, 0, "", "error", "build-name-too-long",
                                    {"document": long, "limit": task.name_limit})
        return result
    if not_utf8(tuple(job.name for job in jobs)) is not None:
        result.failure = Diagnostic(checked.file, 0, 0, "", "error", "build-name-not-utf8")
        return result
    result.deal_path = os.path.abspath(task.path)
    out = Path(task.out)
    due: list[tuple[Job, list[Msg], str | None]] = []
    for job in jobs:
        old = task.entries.get(job.name)
        on_disk = sha256_file(out / job.name)
        reasons = assess(old, job.inputs(), on_disk)
        assert reasons is not None  # the clauses are known for every listed document
        if task.force:
            reasons = reasons or [Msg("reason-forced")]
        if not reasons:
            assert on_disk is not None
            result.documents.append(DocumentResult(job.name, job.deal_file, Status.UNCHANGED))
            result.records[job.name] = job.entry(on_disk)
            continue
        due.append((job, reasons, on_disk))
    # Render all of the deal's documents before writing any: when one fails, the
    # others keep their previous version, so a contract and its offer never disagree.
    rendered: list[tuple[Job, list[Msg], str | None, bytes]] = []
    failed: list[DocumentResult] = []
    for job, reasons, on_disk in due:
        try:
            data, job = _render(job, kit)
        except ApportError as e:
            failed.append(DocumentResult(job.name, job.deal_file, Status.FAILED, reasons,
                                         error=_within(e, "build-while-writing",
                                                       document=job.name, deal=job.deal_file)))
            continue
        rendered.append((job, reasons, on_disk, data))
    if failed:
        first = failed[0].name
        result.documents += failed + [
            DocumentResult(job.name, job.deal_file, Status.FAILED, reasons,
                           error=Diagnostic(job.name, 0, 0, "", "error",
                                            "build-not-written-in-step", {"first": first}))
            for job, reasons, _, _ in rendered]
        return result
    staging = out / STAGING
    try:
        for job, reasons, on_disk, data in rendered:
            _place(task, result, staging, job, reasons, on_disk, data)
    except WriteError as e:  # the staging folder cannot take them (disk full...)
        for staged in result.staged:
            with _suppressed():
                os.unlink(staged.staged)
        result.staged = []
        names = {job.name for job, _, _, _ in rendered}
        result.documents = [d for d in result.documents if d.name not in names]
        result.documents += [DocumentResult(job.name, job.deal_file, Status.FAILED, reasons,
                                            error=e)
                             for job, reasons, _, _ in rendered]
    return result


def _within(e: ApportError, code: str, **params: Any) -> Diagnostic:
    """The error ``e``, located where it is, said with what was being done then (``code``:
    its message holds ``e``'s as ``{error}``)."""
    return Diagnostic(e.file or "", e.line or 0, e.column or 0, "", "error", code,
                      {"error": Msg(e.code, e.params), **params})


def _suppressed() -> Any:
    import contextlib

    return contextlib.suppress(OSError)


def _place(task: _DealTask, result: _DealResult, staging: Path, job: Job, reasons: list[Msg],
           on_disk: str | None, data: bytes) -> None:
    """Decide what to do with one rendered document, and stage it when it is to be written."""
    out = Path(task.out)
    old = task.entries.get(job.name)
    new_sha = sha256_bytes(data)
    placement = decide(on_disk, known_sha256(old), new_sha, force=task.force)
    if placement is Placement.PROTECTED:
        result.documents.append(DocumentResult(
            job.name, job.deal_file, Status.PROTECTED, reasons,
            error=protected_error(out / job.name, listed=old is not None)))
        return
    if placement is Placement.SAME:  # already these bytes (a build killed before its record)
        result.documents.append(DocumentResult(job.name, job.deal_file, Status.UNCHANGED,
                                               reasons))
        result.records[job.name] = job.entry(new_sha)
        return
    if task.check:
        result.documents.append(DocumentResult(job.name, job.deal_file, Status.OUTDATED,
                                               reasons))
        return
    # What the file holds now is apport's (else it is kept aside): the entry keeps that
    # hash until the move is known done, so a kill in between never makes it a "person's".
    previous = on_disk if placement is Placement.WRITE else None
    keep = placement is Placement.KEEP_AND_WRITE
    staged = stage(staging, data, out / job.name)
    result.staged.append(_Staged(job.name, str(staged), job.entry(new_sha, previous), keep))
    document = DocumentResult(job.name, job.deal_file, Status.BUILT, reasons)
    result.documents.append(document)
    if task.redline and job.kind is Kind.CONTRACT and on_disk is not None:
        _redline(task, result, staging, job, document, data, new_sha)


def _redline(task: _DealTask, result: _DealResult, staging: Path, job: Job,
             document: DocumentResult, new: bytes, new_sha: str) -> None:
    """Stage the new contract with tracked changes against the one it replaces."""
    from .redline import redline

    out = Path(task.out)
    path = out / job.name
    name = job.name[: -len(".docx")] + ".redline.docx"
    try:
        data = redline(path.read_bytes(), new, old_name=str(path), new_name=str(path))
    except (ApportError, OSError) as e:
        why = Msg(e.code, e.params) if isinstance(e, ApportError) else e.strerror or str(e)
        document.error = Diagnostic(job.name, 0, 0, "", "warning", "build-no-redline",
                                    {"error": why})
        return
    old = task.entries.get(name)
    on_disk = sha256_file(out / name)
    sha = sha256_bytes(data)
    placement = decide(on_disk, known_sha256(old), sha, force=task.force)
    if placement is Placement.PROTECTED:
        result.documents.append(DocumentResult(
            name, job.deal_file, Status.PROTECTED, [Msg("reason-redline")],
            error=protected_error(out / name, listed=old is not None)))
        return
    entry = FileEntry(kind=Derived.REDLINE, deal=job.deal_file, sha256=sha, source=job.name,
                      source_sha256=new_sha, tool=tool_version(), deal_path=job.deal_path,
                      previous_sha256=on_disk if placement is Placement.WRITE else None)
    staged = stage(staging, data, out / name)
    result.staged.append(_Staged(name, str(staged), entry,
                                 placement is Placement.KEEP_AND_WRITE))
    document.redline = name


def _up_to_date(index: int, path: str | Path, display: str, out: Path,
                entries: dict[str, Entry], hashes: SourceHashes,
                review: bool, strict: bool, final: bool = False,
                statuses: Statuses | None = None, stem: str | None = None,
                listed: bool = True) -> _DealResult | None:
    """The result of a deal whose documents the manifest shows up to date, without reading
    the deal again (``None``: it must be validated, planned and maybe rendered).

    Up to date (:func:`planning.assess`) with the very same clause libraries, so that the
    same clauses are chosen, the same documents and the same warnings. The deal's warnings
    are the ones recorded then (``listed``: as diagnostics; otherwise only counted, in
    ``unlisted_warnings``). ``stem``: ``path``'s, when known (no ``Path`` made).
    """
    stem = stem if stem is not None else Path(path).stem
    offer = entries.get(stem + _SUFFIX[Kind.OFFER])
    if not isinstance(offer, DocumentEntry) or (strict and offer.warnings):
        return None
    names = offer.documents
    deal_sha = _input_sha256(path)
    if deal_sha is None or not names:
        return None
    result = _DealResult(index, quick=True)
    deal_path = os.path.abspath(path)
    folder = os.path.join(out, "")  # (plain strings: a Path costs more than the stat)
    tool = tool_version()
    produced = set()
    for name in names:
        entry = entries.get(name)
        if not isinstance(entry, DocumentEntry) or name != stem + _SUFFIX[entry.kind]:
            return None
        produced.add(entry.kind)
        library, template = hashes[_SOURCE[entry.kind]]
        inputs = Inputs(kind=entry.kind, deal_sha256=deal_sha, template_sha256=template,
                        library_sha256=library, tool=tool, documents=names,
                        warnings=offer.warnings, final=final and entry.kind is Kind.CONTRACT)
        file = folder + name
        on_disk = statuses.sha256(file, name) if statuses else sha256_file(Path(file))
        if assess(entry, inputs, on_disk) != []:
            return None
        if entry.deal != display or entry.deal_path != deal_path:
            result.records[name] = dataclasses.replace(entry, deal=display, deal_path=deal_path)
        else:
            deal_path = entry.deal_path  # the manifest's string: not one more per deal
        result.documents.append(DocumentResult(name, display, Status.UNCHANGED))
    has_commission = Kind.CONTRACT in produced
    if tuple(names) != tuple(stem + _SUFFIX[k] for k in
                             _kinds(has_commission, stem, review, names)):
        return None
    if listed:
        result.diagnostics = [Diagnostic(display, line, column, where, "warning", code,
                                         params_from_json(params))
                              for line, column, where, _severity, code, params
                              in offer.warnings]
    else:
        result.unlisted_warnings = len(offer.warnings)
    result.deal_path = deal_path
    result.deal_sha256 = deal_sha
    return result


# Of each kind of document: the end of its name, and the kind it is rendered as.
_SUFFIX = {kind: f".{kind.value}.docx" for kind in ALL_KINDS}
_SOURCE = {kind: kind.source for kind in ALL_KINDS}


def up_to_date(paths: Sequence[Path], out: str | Path, *,
               sources: Sources | None = None) -> set[Path]:
    """Those of the deal files ``paths`` whose documents the manifest of ``out`` shows up to
    date: read from the manifest and the files' hashes alone, as ``build`` first looks (no
    deal rendered, no lock taken). A deal left out would be looked at again by ``build``
    (changed, never built, its documents edited or missing...). For ``apport serve``'s list.
    """
    out = Path(out)
    if not out.is_dir():
        return set()
    manifest = Manifest.load(out)
    entries_of = manifest.entries
    hashes = _source_hashes(sources or Sources.default())
    current = set()
    for index, path in enumerate(paths):
        entries = {name: entries_of[name] for kind in ALL_KINDS
                   if (name := document_name(path.stem, kind)) in entries_of}
        if _up_to_date(index, path, str(path), out, entries, hashes, False, False,
                       statuses=manifest.statuses) is not None:
            current.add(path)
    return current


# --- the build ---------------------------------------------------------------------------------


Progress = Callable[[int, int], None]
Notify = Callable[[str], None]
PDF_BATCH = 20  # documents per LibreOffice run: progress between runs


def build(paths: Sequence[str | Path], out: str | Path = "out", *,
          sources: Sources | None = None, review: bool = False, force: bool = False,
          check: bool = False, strict: bool = False, jobs: int | None = None,
          redline: bool = False, prune: bool = False, pdf: bool = False,
          final: bool = False, only: Sequence[Kind] | None = None, progress: Progress | None = None,
          pdf_progress: Progress | None = None, notify: Notify | None = None,
          files: DealFiles | Sequence[tuple[Path, str]] | None = None,
          list_unchanged: bool = True) -> BuildReport:
    """Validate and render every deal below ``paths`` into ``out``.

    Args:
        paths: deal files and folders.
        out: the output folder (created if missing).
        sources: the clause library and templates (default: built-in).
        review: also write ``<stem>.contrat.revue.docx``, the contract for the jurist
            (values highlighted, annex), beside the clean one; kept up to date after.
        force: render everything; keep hand-edited files beside the new ones.
        check: write nothing; report what is out of date (stale files included).
        strict: warnings are errors.
        jobs: worker processes (default: the machine's cores).
        redline: for every contract rewritten that existed before, also write
            ``<stem>.contrat.redline.docx``: the new contract with Word tracked
            changes against the previous one.
        prune: remove the files no deal produces any more, unless a person edited them.
        pdf: a PDF beside each document (LibreOffice), converted again only when the
            document changed.
        final: the contracts are the copies to sign: without the draft notice (the
            review copy stays a draft). A build without it makes them drafts again.
        only: render only these kinds of document (``apport offer --pdf``); no stale
            files are looked for.
        progress: called with (done, total) as the deals to look at complete (deals
            the manifest shows up to date are not counted).
        pdf_progress: likewise for the PDF conversions.
        notify: told, in one line, when the build waits for another one on ``out``.
        files: the deal files of ``paths`` as :func:`finding.deal_files` (or
            :func:`finding.find_deal_files`) returns them, when the caller already
            listed them (the folders are then not walked again).
        list_unchanged: False: the documents of deals found up to date without reading
            them are counted (``report.unlisted``), their warnings too, rather than
            listed: a command that prints no line for them holds nothing per deal for
            them (not with ``pdf``, which converts from the list).

    Raises:
        FileNotFoundError: a path given does not exist.
        ApportError: the library or a template cannot be loaded, or the
            output folder cannot be used.
    """
    sources = sources or Sources.default()
    out = Path(out)
    report = BuildReport(out=out, check=check)
    if files is None:
        files = deal_files(paths)
    elif not isinstance(files, DealFiles):
        files = DealFiles.of(files)
    report.deals = len(files)

    folder = None if check else OutputFolder(out, on_wait=notify)
    if folder is not None:
        folder.open()
    try:
        # A build with nothing to do, as counted by the last one (see vouch.py): only when
        # counted (``list_unchanged``), and never for --check, --force, --pdf or ``only``.
        vouching = folder is not None and not (force or pdf or only or list_unchanged)
        hashes = _source_hashes(sources)
        options = {"review": review, "strict": strict, "final": final, "prune": prune,
                   "redline": redline}  # (and none of those above)
        if vouching:
            counts = vouch.check(out, files, options, hashes, _input_sha256)
            if counts is not None:
                for name in vouch.COUNTS:
                    setattr(report, name, counts[name])
                return report
        manifest_before, status_before = file_status(out / MANIFEST), file_status(out / STATUS)
        # Gone through as a stream beside the deal list (read whole for the PDFs, which
        # look documents up by name).
        manifest = Manifest.open(out, whole=pdf) if out.is_dir() else Manifest()
        with manifest:
            report.notes.extend(manifest.warnings)
            journal = None if check else Journal(manifest, out)
            try:
                stale, seen = _build_deals(files, out, sources, manifest, journal, report,
                                           review=review, force=force, check=check,
                                           strict=strict, jobs=jobs, redline=redline,
                                           only=tuple(only) if only else None,
                                           progress=progress, final=final,
                                           list_unchanged=list_unchanged or pdf, hashes=hashes)
                if only is None:
                    stale.report(report, prune=prune)
                if pdf and not check:
                    assert folder is not None and journal is not None
                    _pdfs(folder, manifest, journal, report, force=force,
                          progress=pdf_progress, jobs=jobs)
            finally:
                if journal is not None:
                    journal.close()
            if folder is not None:
                try:
                    manifest.save_if_due(folder, changed=bool(report.documents))
                except WriteError as e:  # what was written is in the journal all the same
                    report.errors.append(e)
                learned = bool(manifest.statuses.learned or manifest.statuses.damaged)
                manifest.statuses.save(folder, manifest)
                if vouching and seen is not None and not learned and not (
                        report.documents or report.diagnostics or report.failures
                        or report.notes or report.errors or report.without_contract):
                    vouch.record(folder, out, files, options, hashes, _input_sha256,
                                 manifest_before=manifest_before, status_before=status_before,
                                 status_read=manifest.statuses.digest, seen=seen,
                                 counts={name: getattr(report, name) for name in vouch.COUNTS})
    finally:
        if folder is not None:
            folder.close()
    report.documents.sort(key=lambda d: natural_key(d.name))
    return report


# The names a deal's files may have in the manifest, after ``STEM.``, in name order.
_SUFFIXES = tuple(sorted([f"{kind.value}.docx" for kind in ALL_KINDS] + ["contrat.redline.docx"]))


@record
class _Plan:
    """What looking at every deal found: the deals to build, and what is told of the
    others (nothing kept per deal found up to date, unless listed)."""

    stale: _Stale
    tasks: list[_DealTask] = field(default_factory=list)
    unchanged: list[tuple[str, _Unchanged]] = field(default_factory=list)  # (listed)
    unchanged_deals: set[str] = field(default_factory=set)  # (listed)
    clashes: list[tuple[str, list[str]]] = field(default_factory=list)
    recorded: dict[str, dict[str, str]] = field(default_factory=dict)  # clauses' hashes
    records: list[dict[str, Entry]] = field(default_factory=list)  # to journal, per deal
    unlisted: int = 0
    unlisted_warnings: int = 0
    unlisted_warned_deals: int = 0
    seen: Deals = field(default_factory=Deals)  # the deals found up to date, as read


def _plan(files: DealFiles, out: Path, manifest: Manifest,
          journal: Journal | None, *, review: bool, force: bool, check: bool, strict: bool,
          redline: bool, only: tuple[str, ...] | None, final: bool,
          list_unchanged: bool, hashes: SourceHashes) -> _Plan:
    """Look at every deal, the manifest going by beside the deal list (both in the order of
    ``stem + "."``: a stem's entries are found where the manifest is, those passed over
    kept until the deals come past them). Nothing is written here: a manifest found
    damaged on the way (:class:`manifest.Unexpected`) is looked at again from the start.
    """
    plan = _Plan(_Stale(out, manifest, journal, files))
    tasks, stale = plan.tasks, plan.stale
    limit = name_limit(out)
    window = Window(_recording(manifest.effective(), plan.recorded))
    statuses = manifest.statuses
    for stem, group in itertools.groupby(files.by_stem(), key=lambda pair: pair[0]):
        displays = [display for _, display in group]
        prefix = stem + "."
        for name, entry in window.forget_before(prefix):  # no deal of this build's
            stale.unclaimed(name, entry)
        stale.looked_at_before(prefix)
        statuses.forget_before(prefix)
        entries = {name: found for suffix in _SUFFIXES
                   if (found := window.take(name := prefix + suffix)) is not None}
        if len(displays) > 1:
            plan.clashes.append((stem, displays))
        elif not force and only is None:
            display = displays[0]
            quick = _up_to_date(0, display, display, out, entries, hashes, review,
                                strict, final, statuses, stem, listed=list_unchanged)
            if quick is not None:
                assert quick.deal_path is not None and quick.deal_sha256 is not None
                plan.seen.add(display, quick.deal_path, quick.deal_sha256)
                if quick.records:
                    plan.records.append(quick.records)
                stale.of_unchanged(entries, quick)
                if not list_unchanged:
                    plan.unlisted += len(quick.documents)
                    plan.unlisted_warnings += quick.unlisted_warnings
                    plan.unlisted_warned_deals += bool(quick.unlisted_warnings)
                    continue
                plan.unchanged_deals.add(display)
                # Kept as its documents, warnings and path only (no dicts and lists of
                # what it did not do).
                plan.unchanged.append((display, (quick.documents, quick.diagnostics,
                                                 quick.deal_path)))
                continue
        stale.to_build(entries, displays)
        tasks.extend([_DealTask(index, display, display, str(out), entries, review, force,
                                check, strict, write=len(displays) == 1, redline=redline,
                                only=only, name_limit=limit, final=final)
                      for index, display in enumerate(displays, start=len(tasks))])
    for name, entry in window.rest():
        stale.unclaimed(name, entry)
    stale.looked_at_before(None)
    return plan


def _build_deals(files: DealFiles, out: Path, sources: Sources, manifest: Manifest,
                 journal: Journal | None, report: BuildReport, *, review: bool, force: bool,
                 check: bool, strict: bool, jobs: int | None, redline: bool,
                 only: tuple[str, ...] | None, progress: Progress | None,
                 hashes: SourceHashes, final: bool = False, list_unchanged: bool = True,
                 ) -> tuple[_Stale, Deals | None]:
    """Look at every deal (:func:`_plan`), then render those that need it. Also returns
    the deals as read when every one was found up to date with nothing else to do or tell
    but the counts (None otherwise: see vouch.py)."""
    def look() -> _Plan:
        return _plan(files, out, manifest, journal, review=review, force=force,
                     check=check, strict=strict, redline=redline, only=only, final=final,
                     list_unchanged=list_unchanged, hashes=hashes)

    fell_back = False
    try:
        plan = look()
    except Unexpected as trouble:  # read whole, or as absent: looked at again
        fell_back = True
        note = manifest.fall_back(trouble)
        if note is not None:
            report.notes.insert(0, note)
        plan = look()
    tasks, stale, recorded = plan.tasks, plan.stale, plan.recorded
    quiet = not (fell_back or tasks or plan.clashes or plan.records or plan.unchanged
                 or stale.looked or stale.later or stale.found or stale.gone)
    if journal is not None:
        for records in plan.records:  # (deals found up to date, moved or renamed)
            journal.record(records)
    for task in tasks:  # (for _commit: the entries it replaces)
        for name, entry in task.entries.items():
            manifest.entries.setdefault(name, entry)
    report.unlisted += plan.unlisted
    report.unlisted_warnings += plan.unlisted_warnings
    report.unlisted_warned_deals += plan.unlisted_warned_deals
    report.unchanged_deals |= plan.unchanged_deals
    unchanged, clashes = plan.unchanged, plan.clashes

    # The libraries and templates are loaded (and their errors raised) only when a deal
    # must be looked at: here, so that forked workers inherit them.
    kit = load_kit(sources) if tasks else None
    if kit is not None:
        report.diagnostics.extend(_changed_without_version(kit, recorded))
    total = len(tasks)
    if progress:
        progress(0, total)
    results: list[_DealResult | None] = [None] * total
    for done, result in enumerate(_execute(tasks, kit, jobs), start=1):
        results[result.index] = result
        if journal is not None:
            _commit(Path(out), journal, result)
        if progress:
            progress(done, total)

    # In the order of the deal list (natural order), as found.
    shown: list[tuple[str, _DealResult | _Unchanged]] = [
        (tasks[index].file, result) for index, result in enumerate(results)
        if result is not None]
    shown += unchanged
    shown.sort(key=lambda pair: natural_path_key(pair[0]))
    for display, deal_result in shown:
        if isinstance(deal_result, tuple):  # found up to date
            documents, diagnostics, _deal_path = deal_result
            report.diagnostics.extend(diagnostics)
            report.documents.extend(documents)
            continue
        report.diagnostics.extend(deal_result.diagnostics)
        if deal_result.failure:
            report.failures.append(deal_result.failure)
        if deal_result.without_contract:
            report.without_contract.append(display)
        report.documents.extend(deal_result.documents)
        if deal_result.deal_path is not None:
            stale.read(deal_result.deal_path)
    for stem, displays in sorted(clashes, key=lambda pair: natural_key(pair[0])):
        report.failures.append(Diagnostic("", 0, 0, "", "error", "build-names-clash", {
            "deals": sorted(displays, key=natural_path_key), "stem": stem}))
    return stale, plan.seen if quiet else None


# A deal found up to date: its documents, warnings and path.
_Unchanged = tuple[Sequence[DocumentResult], Sequence[Diagnostic], str]


def _recording(pairs: Iterable[tuple[str, Entry]],
               recorded: dict[str, dict[str, str]]) -> Iterator[tuple[str, Entry]]:
    """``pairs`` as they go by, the hash of each clause they used noted in ``recorded``
    (per library: id@version -> sha256; the last entry in name order says)."""
    last: dict[str, Mapping[str, str]] = {}  # per library, the clauses noted last
    for name, entry in pairs:
        if isinstance(entry, DocumentEntry) and entry.clauses:
            source = _SOURCE[entry.kind]
            if last.get(source) is not entry.clauses:  # (the same again: nothing new)
                recorded.setdefault(source, {}).update(entry.clauses)
                last[source] = entry.clauses
        yield name, entry


def _changed_without_version(kit: Kit,
                             recorded: Mapping[str, Mapping[str, str]]) -> list[Diagnostic]:
    """Clauses whose text is not the one recorded for their ``id@version``.

    Two documents saying ``confidentialite@2`` must hold the same text: a
    clause edited without its ``version`` going up defeats that record.
    """
    found = []
    for source in ("contrat", "offre", "client"):
        for clause in kit.library(source).clauses:
            old = recorded.get(source, {}).get(clause.key)
            if old is not None and old != clause.sha256:
                found.append(Diagnostic(clause.file, clause.id_line, 1, "", "warning",
                                        "clause-changed-same-version",
                                        {"clause": clause.key, "recorded": old[:12],
                                         "now": clause.sha256[:12]}))
    return found


def _commit(out: Path, journal: Journal, result: _DealResult) -> None:
    """Record a deal's files in the journal, then move them into place together."""
    manifest = journal.manifest
    records = {name: entry for name, entry in result.records.items()
               if manifest.entries.get(name) != entry}
    forget = [name for name in result.forget if name in manifest.entries]
    if not result.staged:
        if records or forget:
            journal.record(records, forget)
        return
    before = {s.name: manifest.entries.get(s.name) for s in result.staged}
    documents = {d.name: d for d in result.documents}
    inodes = {s.name: _inode(Path(s.staged)) for s in result.staged}
    try:
        journal.record({**records, **{s.name: s.entry for s in result.staged}}, forget)
        kept = _move(out, result.staged)
    except WriteError as e:
        for staged in result.staged:
            with _suppressed():
                os.unlink(staged.staged)
        restore = {name: entry for name, entry in before.items() if entry is not None}
        with _suppressed(), _suppressed_write():
            journal.record(restore, [name for name, entry in before.items() if entry is None])
        first = True
        for staged in result.staged:
            document = documents.get(staged.name)
            if document is None:  # a redline: its contract says it failed
                continue
            document.status = Status.FAILED
            document.redline = None
            document.error = e if first else Diagnostic(
                str(out / staged.name), 0, 0, "", "error", "build-not-written-with-deal")
            first = False
        return
    for staged in result.staged:
        manifest.entries[staged.name] = settled(staged.entry)
        manifest.statuses.placed(out / staged.name, staged.entry.sha256, inodes[staged.name])
        document = documents.get(staged.name)
        if document is not None and (out / staged.name) in kept:
            document.kept_as = kept[out / staged.name].name


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return None


def _suppressed_write() -> Any:
    import contextlib

    return contextlib.suppress(WriteError)


def _move(out: Path, staged: list[_Staged]) -> dict[Path, Path]:
    from .writing import commit

    return commit(out / STAGING, [Move(Path(s.staged), out / s.name, s.keep) for s in staged])


class _Stale:
    """The files listed in the manifest that no deal produces any more, found as the
    manifest goes by: only those found, the entries of the deals to build and the rare
    ones that depend on them are kept (see :func:`planning.stale`)."""

    def __init__(self, out: Path, manifest: Manifest, journal: Journal | None,
                 files: DealFiles) -> None:
        self.out = out
        self.manifest = manifest
        self.journal = journal
        self.files = files
        self.found: dict[str, Msg] = {}
        self.entries: dict[str, Entry] = {}  # of those found
        self.later: dict[str, Entry] = {}  # told once the deals are built
        self.gone: list[str] = []  # listed, their file gone: dropped from the manifest
        self.built_paths: set[str] = set()  # (absolute) of the deals to build
        self.read_paths: set[str] = set()  # of those read once built
        self.before: str | None = ""  # every name before this was looked at (None: all)
        self.looked = 0  # entries no deal found up to date produces, looked at

    def looked_at_before(self, name: str | None) -> None:
        self.before = name

    def _looked_at(self, name: str) -> bool:
        return self.before is None or name < self.before

    def _gone(self, name: str) -> bool:
        """Dropped from the manifest when its file is gone (not with --check, which
        records nothing: those are looked at, then not reported)."""
        if self.journal is not None and not os.path.lexists(self.out / name):
            self.gone.append(name)
            return True
        return False

    def _look(self, name: str, entry: Entry, read: str | None = None) -> None:
        """``read``: the path of the deal found up to date beside it, if any."""
        self.looked += 1
        if isinstance(entry, FileEntry):  # stale with its document, or its deal gone
            # (entries come in name order: a document named before its file, as
            # NAME.docx before NAME.pdf, was looked at already, or is kept for later)
            known = entry.source not in self.later and (
                entry.source < name or self._looked_at(entry.source))
            deal_read: bool | None = False if known else None
        else:
            deal_read = self._deal_read(entry, read)
        if deal_read is None:
            self.later[name] = entry
            return
        if self._gone(name):
            return
        why = stale_reason(entry, deal_read=deal_read, found=self.found)
        if why is not None:
            self.found[name] = why
            self.entries[name] = entry

    def _deal_read(self, entry: Entry, read: str | None = None) -> bool | None:
        """Whether the deal of ``entry`` was read: ``read``, the path of the deal found up
        to date beside it; a deal of this build otherwise: known once built."""
        path = entry.deal_path
        if path is None:
            return False
        if path == read:
            return True
        return None if self.files.has_path(path) else False

    def unclaimed(self, name: str, entry: Entry) -> None:
        """An entry no deal of this build claimed by its name."""
        self._look(name, entry)

    def of_unchanged(self, entries: Mapping[str, Entry], quick: _DealResult) -> None:
        """The entries of a deal found up to date (``quick``) that it does not produce."""
        if len(entries) == len(quick.documents):  # (each of its documents has its entry)
            return
        produced = {d.name for d in quick.documents}
        ahead = {name: entry for name, entry in entries.items() if name not in produced}
        if not ahead:
            return
        before, self.before = self.before, None  # its documents, then the files made of them
        for name, entry in sorted(ahead.items(), key=lambda i: isinstance(i[1], FileEntry)):
            if isinstance(entry, FileEntry) and entry.source not in entries:
                self.before = before
            self._look(name, entry, quick.deal_path)
        self.before = before

    def to_build(self, entries: Mapping[str, Entry], displays: Iterable[str]) -> None:
        """The entries of a deal to build: looked at once it is."""
        self.later.update(entries)
        self.built_paths.update(os.path.abspath(display) for display in displays)

    def read(self, path: str) -> None:
        """A deal to build was read (its documents planned)."""
        self.read_paths.add(path)

    def __contains__(self, path: object) -> bool:
        """Whether this build read the deal at ``path`` (absolute)."""
        return path in self.read_paths or (isinstance(path, str) and path not in
                                           self.built_paths and self.files.has_path(path))

    def report(self, report: BuildReport, *, prune: bool) -> None:
        """List (and with ``prune`` remove) the files no deal produces any more."""
        out, journal = self.out, self.journal
        produced = {d.name for d in report.documents}
        present = {d.name for d in report.documents
                   if d.status in (Status.BUILT, Status.UNCHANGED)}
        later = {name: entry for name, entry in self.later.items()
                 if name in present or not self._gone(name)}
        if journal is not None:  # the manifest lists only files that exist
            journal.record({}, self.gone)
        before = set(self.found)
        stale(later, produced, self, self.found)
        self.entries.update((name, later[name]) for name in self.found if name not in before)
        for name in sorted(self.found):
            entry = self.entries[name]
            why = self.found[name]
            on_disk = sha256_file(out / name)
            if on_disk is None:
                if journal is not None:
                    journal.record({}, [name])
                continue
            ours = on_disk in known_sha256(entry)
            if report.check:
                report.documents.append(DocumentResult(name, entry.deal, Status.OUTDATED,
                                                       [Msg("reason-stale", {"why": why})]))
            elif prune and ours and journal is not None:
                try:
                    os.unlink(out / name)
                except OSError as e:
                    report.documents.append(DocumentResult(
                        name, entry.deal, Status.FAILED, [why],
                        error=os_error(out / name, e, "io-cannot-remove")))
                    continue
                journal.record({}, [name])
                report.documents.append(DocumentResult(name, entry.deal, Status.PRUNED, [why]))
            else:
                note = None if ours else Msg("stale-edited-kept")
                report.documents.append(DocumentResult(name, entry.deal, Status.STALE, [why],
                                                       error=note))


def _pdfs(folder: OutputFolder, manifest: Manifest, journal: Journal, report: BuildReport, *,
          force: bool, progress: Progress | None, jobs: int | None = None) -> None:
    """A PDF beside each document written or up to date: converted only when the document
    changed since its PDF was made, and placed through the same guard."""
    from .pdf import PdfError

    out = folder.path
    due: _Batch = []
    for document in list(report.documents):
        entry = manifest.entries.get(document.name)
        if document.status not in (Status.BUILT, Status.UNCHANGED) or not isinstance(
                entry, DocumentEntry):
            continue
        name = document.name[: -len(".docx")] + ".pdf"
        pdf_entry = manifest.entries.get(name)
        on_disk = manifest.statuses.sha256(out / name)
        if (isinstance(pdf_entry, FileEntry) and pdf_entry.source_sha256 == entry.sha256
                and on_disk == pdf_entry.sha256 and not force):
            report.documents.append(DocumentResult(name, document.deal, Status.UNCHANGED))
            continue
        if decide(on_disk, known_sha256(pdf_entry), None, force=force) is Placement.PROTECTED:
            report.documents.append(DocumentResult(
                name, document.deal, Status.PROTECTED, [Msg("reason-pdf")],
                error=protected_error(out / name, listed=pdf_entry is not None)))
            continue
        due.append((document, name, entry.sha256, on_disk))
    total = len(due)
    if progress:
        progress(0, total)
    if not due:
        return
    # One LibreOffice per worker, each with its own profile; batches of at most PDF_BATCH
    # (progress is told between them), as many for each worker.
    workers = max(1, min(jobs or os.cpu_count() or 1, total))
    count = -(-total // PDF_BATCH)
    count = -(-count // workers) * workers
    size = -(-total // count)
    batches = [(start, due[start:start + size]) for start in range(0, total, size)]
    done = 0
    for start, batch, made in _convert_batches(folder, batches, workers):
        if isinstance(made, BaseException):
            work = folder.staging / f"pdf-{start}"
            if isinstance(made, PdfError):
                problem: ApportError = made
            else:
                assert isinstance(made, OSError)
                problem = os_error(work, made, "pdf-cannot-convert")
            for document, name, _, _ in batch:
                report.documents.append(DocumentResult(name, document.deal, Status.FAILED,
                                                       [Msg("reason-pdf")], error=problem))
            if isinstance(made, PdfError) and made.code == "pdf-no-libreoffice":
                break
            continue
        for (document, name, source_sha, on_disk), path in zip(batch, made, strict=True):
            previous = on_disk if on_disk is not None and on_disk in known_sha256(
                manifest.entries.get(name)) else None
            entry = manifest.entries[document.name]
            pdf_entry = FileEntry(kind=Derived.PDF, deal=document.deal,
                                  sha256=sha256_file(path) or "", source=document.name,
                                  source_sha256=source_sha, tool=tool_version(),
                                  deal_path=entry.deal_path, previous_sha256=previous)
            keep = on_disk is not None and previous is None
            result = DocumentResult(name, document.deal, Status.BUILT,
                                    [Msg("reason-new" if on_disk is None
                                         else "reason-document-changed")])
            inode = _inode(path)
            try:
                journal.record({name: pdf_entry})
                kept = folder.commit([Move(path, out / name, keep)])
            except WriteError as e:
                result.status, result.error = Status.FAILED, e
            else:
                manifest.entries[name] = settled(pdf_entry)
                manifest.statuses.placed(out / name, pdf_entry.sha256, inode)
                if out / name in kept:
                    result.kept_as = kept[out / name].name
            report.documents.append(result)
        done += len(batch)
        if progress:
            progress(done, total)


_Batch = list[tuple[DocumentResult, str, str, str | None]]


def _convert_batches(folder: OutputFolder, batches: list[tuple[int, _Batch]],
                     workers: int) -> Iterator[tuple[int, _Batch, list[Path] | BaseException]]:
    """Each batch's documents converted into the staging folder by LibreOffice, ``workers``
    batches at a time (each worker its own LibreOffice profile, kept for its batches),
    yielded as they finish: their PDFs, or what stopped them. The PDFs are then placed by
    the caller, one after the other, through the guarded writer."""
    import queue
    import tempfile
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from .pdf import PdfError, convert

    out = folder.path
    with tempfile.TemporaryDirectory(prefix="apport-lo-") as root:
        profiles: queue.SimpleQueue[Path] = queue.SimpleQueue()
        for number in range(min(workers, len(batches))):
            profiles.put(Path(root) / f"profile-{number}")

        def run(start: int, batch: _Batch) -> list[Path]:
            profile = profiles.get()
            try:
                work = folder.staging / f"pdf-{start}"
                work.mkdir()
                return convert([out / d.name for d, _, _, _ in batch], work, profile=profile)
            finally:
                profiles.put(profile)

        with ThreadPoolExecutor(max_workers=min(workers, len(batches))) as pool:
            futures = {pool.submit(run, start, batch): (start, batch)
                       for start, batch in batches}
            try:
                for future in as_completed(futures):
                    start, batch = futures[future]
                    try:
                        yield start, batch, future.result()
                    except (PdfError, OSError) as e:
                        yield start, batch, e
            finally:
                for future in futures:
                    future.cancel()


def write_file(path: Path, data: bytes, *, kind: Derived, deal: str, deal_path: Path,
               source: str, force: bool = False, notify: Notify | None = None) -> str | None:
    """Write one file made from a deal's document (``offer --eml``) into its folder, through
    the same lock, record and protection as a build's documents.

    Returns:
        The name a person's version was kept under (``force``), if any.

    Raises:
        WriteError: located: the target is a link or a special file, a parent is a
            file, the file was edited since apport wrote it (without ``force``), or the
            write fails.
    """
    from .writing import check_target

    check_target(path)  # a parent that is a file, a link: said for this path
    folder = OutputFolder(path.parent, on_wait=notify)
    with folder:
        manifest = Manifest.load(folder.path)
        for note in manifest.warnings:
            if notify:
                notify(str(note))
        name = path.name
        old = manifest.entries.get(name)
        check_target(path)
        on_disk = sha256_file(path)
        sha = sha256_bytes(data)
        placement = decide(on_disk, known_sha256(old), sha, force=force)
        if placement is Placement.PROTECTED:
            raise protected_error(path, listed=old is not None)
        entry = FileEntry(kind=kind, deal=deal, sha256=sha, source=source,
                          source_sha256=sha256_bytes(data), tool=tool_version(),
                          deal_path=os.path.abspath(deal_path),
                          previous_sha256=on_disk if placement is Placement.WRITE else None)
        journal = Journal(manifest, folder.path)
        try:
            staged = folder.stage(data, path)
            journal.record({name: entry})
            kept = folder.commit([Move(staged, path, placement is Placement.KEEP_AND_WRITE)])
        finally:
            journal.close()
        manifest.entries[name] = settled(entry)
        manifest.save_if_due(folder, changed=True)
    return kept[path].name if path in kept else None


def preload() -> None:
    """Import what rendering a deal needs before the workers are forked (the deal model,
    the documents' modules, babel's and num2words' French data, the clause bodies'
    layouts kept by earlier runs), so that each worker starts with it instead of loading
    it again at every build (``apport serve`` calls it before each preview's worker
    too)."""
    from . import clauses, contract, deals, french, notice, offer  # noqa: F401

    french.preload()
    clauses.read_layouts()  # the clause bodies' layouts kept by earlier runs


_RUNNER: list[tuple[Kit, Callable[[_DealTask], _DealResult]]] = []


def _runner(kit: Kit) -> Callable[[_DealTask], _DealResult]:
    """The workers' function for ``kit``: the same one from build to build while the kit
    is, so that workers kept between builds (:func:`workers.kept`) serve again."""
    if not _RUNNER or _RUNNER[0][0] is not kit:
        _RUNNER[:] = [(kit, lambda task: _run_deal(task, kit))]
    return _RUNNER[0][1]


def _execute(tasks: list[_DealTask], kit: Kit | None,
             jobs: int | None) -> Iterable[_DealResult]:
    """Every task's result, from worker processes under the budgets of :mod:`.workers`."""
    if not tasks:  # (nothing to build: the workers' module is not even imported)
        return
    from .workers import Stopped, run

    assert kit is not None
    preload()
    for index, result in run(_runner(kit), tasks, jobs=jobs):
        if isinstance(result, Stopped):
            task = tasks[index]
            yield _DealResult(task.index, failure=result.message(task.file))
        else:
            yield result
