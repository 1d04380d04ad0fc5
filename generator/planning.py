"""Whether a document is up to date, and why not: one function, :func:`assess`.

A document is up to date when the manifest's entry for it shows the very
inputs it would be built from now (the deal's bytes, the clauses it uses or
its whole library, its template, the tool's version, review mode, draft or copy
to sign) and the file still holds the bytes apport wrote. Anything else is a reason, said to
the user ("deal changed", "clause `commission@3` changed", "file missing"...), as a message
code of :mod:`generator.messages` (worded in the reader's language when printed).

Also here: which documents of a folder no deal produces any more
(:func:`stale`), and the file-name limit checked before anything is written.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Container, Mapping
from pathlib import Path

from .manifest import DocumentEntry, Entry, FileEntry, Kind
from .messages import Msg
from .records import record


class Status(enum.StrEnum):
    """What became of one file in a build."""

    BUILT = "built"
    UNCHANGED = "unchanged"
    PROTECTED = "protected"  # changed by a person: left alone
    FAILED = "failed"
    OUTDATED = "outdated"  # --check: would be written
    STALE = "stale"  # no deal produces it any more
    PRUNED = "pruned"  # stale, and removed by --prune


@record(frozen=True)
class Inputs:
    """What a document would be built from now.

    ``clauses`` is known only once the deal has been read and its clauses chosen;
    ``documents`` and ``warnings`` only when they are compared without reading it.
    """

    kind: Kind
    deal_sha256: str
    template_sha256: str | None
    library_sha256: str | None
    tool: str
    clauses: Mapping[str, str] | None = None
    documents: tuple[str, ...] | None = None
    warnings: tuple[tuple[int, int, str, str, str, str], ...] | None = None
    final: bool = False  # the contract to sign (--final): without the draft notice

    @property
    def review(self) -> bool:
        return self.kind is Kind.REVIEW


FINAL_REASON = Msg("reason-final")
DRAFT_REASON = Msg("reason-draft")
UNKNOWN: list[Msg] | None = None  # assess(): cannot tell without choosing the clauses


def assess(entry: Entry | None, inputs: Inputs, on_disk: str | None) -> list[Msg] | None:
    """Why the document must be built again: an empty list when it is up to date.

    Args:
        entry: what the manifest recorded for it.
        inputs: what it would be built from now.
        on_disk: the hash of the file in the folder (None: absent).

    Returns:
        The reasons, or ``None`` when the answer depends on which clauses the deal
        now gets (its library changed and ``inputs.clauses`` is not known), or on
        ``documents``/``warnings`` that differ from the entry's.
    """
    if not isinstance(entry, DocumentEntry):
        return [Msg("reason-new")]
    reasons: list[Msg] = []
    if entry.deal_sha256 != inputs.deal_sha256:
        reasons.append(Msg("reason-deal-changed"))
    review_changed = entry.review != inputs.review
    if entry.library_sha256 != inputs.library_sha256:
        if inputs.clauses is None:
            return UNKNOWN
        reasons.extend(_clause_reasons(entry.clauses or {}, inputs.clauses, review_changed))
    if entry.template_sha256 != inputs.template_sha256:
        reasons.append(Msg("reason-template-changed"))
    if entry.tool != inputs.tool:
        reasons.append(Msg("reason-tool-changed", {"old": entry.tool, "new": inputs.tool}))
    if review_changed:
        reasons.append(Msg("reason-review-changed"))
    if entry.final != inputs.final:
        reasons.append(FINAL_REASON if inputs.final else DRAFT_REASON)
    if inputs.documents is not None and entry.documents != inputs.documents:
        return UNKNOWN
    if inputs.warnings is not None and entry.warnings != inputs.warnings:
        return UNKNOWN
    if on_disk is None:
        reasons.append(Msg("reason-file-missing"))
    elif on_disk != entry.sha256:
        if on_disk == entry.previous_sha256:
            reasons.append(Msg("reason-interrupted"))
        elif not reasons:
            reasons.append(Msg("reason-edited"))
    return reasons


def _clause_reasons(old: Mapping[str, str], new: Mapping[str, str],
                    review_changed: bool) -> list[Msg]:
    """Which clauses were added, changed or removed (by id, whatever the version)."""
    reasons: list[Msg] = []
    old_by_id = {key.split("@")[0]: (key, sha) for key, sha in old.items()}
    # A review contract records every clause of the library (its annex lists them all):
    # entering or leaving review mode is one reason, not one per clause left out.
    for key, sha in new.items():
        before = old_by_id.get(key.split("@")[0])
        if before is None:
            if not review_changed:
                reasons.append(Msg("reason-clause-added", {"clause": key}))
        elif before != (key, sha):
            reasons.append(Msg("reason-clause-changed", {"clause": key}))
    if not review_changed:
        new_ids = {key.split("@")[0] for key in new}
        reasons.extend(Msg("reason-clause-removed", {"clause": key})
                       for clause_id, (key, _sha) in old_by_id.items() if clause_id not in new_ids)
    return reasons


# --- names ---------------------------------------------------------------------------------------


def name_limit(folder: Path) -> int:
    """The longest file name the folder's file system takes, in bytes."""
    try:
        return os.pathconf(folder if folder.exists() else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def too_long(names: tuple[str, ...], limit: int) -> str | None:
    """The first of ``names`` longer than ``limit`` bytes (with room for ``.pdf``)."""
    for name in names:
        longest = max(len(name.encode("utf-8", "surrogateescape")),
                      len(name.encode("utf-8", "surrogateescape")) - len(".docx") + len(".pdf"))
        if longest > limit:
            return name
    return None


def not_utf8(names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that is not UTF-8 text (a file name whose bytes are not, as
    the system gives it): the manifest and its journal, in UTF-8, cannot record it."""
    for name in names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return name
    return None


# --- stale outputs -----------------------------------------------------------------------------


def deal_is_gone(entry: Entry) -> bool:
    """Whether the deal file an entry was built from no longer exists."""
    where = entry.deal_path or entry.deal
    try:
        return not Path(where).is_file()
    except (OSError, ValueError):
        return True


def stale_reason(entry: Entry, *, deal_read: bool, found: Container[str]) -> Msg | None:
    """Why a file listed in the manifest that this build did not produce is stale (None:
    it is not).

    Args:
        entry: its entry.
        deal_read: whether this build read the deal it came from (a deal not in the
            build, whose file still exists, keeps its files).
        found: the documents found stale (a file made from one of them is stale too).
    """
    if isinstance(entry, DocumentEntry):
        if deal_read:
            return Msg("stale-no-longer-produced", {"deal": entry.deal})
    elif entry.source in found:
        return Msg("stale-source-stale", {"source": entry.source})
    if deal_is_gone(entry):
        return Msg("stale-deal-gone", {"deal": entry.deal})
    return None


def stale(entries: Mapping[str, Entry], produced: Container[str], read: Container[str],
          found: dict[str, Msg] | None = None) -> dict[str, Msg]:
    """The files listed in the manifest that no deal produces any more, and why.

    Args:
        entries: the manifest's entries.
        produced: the names this build made or found up to date.
        read: the absolute paths of the deals this build read successfully (a deal
            not in the build, whose file still exists, keeps its files).
        found: those found stale already (others' entries): added to, and returned.
    """
    found = {} if found is None else found
    for name, entry in entries.items():
        if name in produced or not isinstance(entry, DocumentEntry):
            continue
        read_it = entry.deal_path is not None and entry.deal_path in read
        if (why := stale_reason(entry, deal_read=read_it, found=found)) is not None:
            found[name] = why
    for name, entry in entries.items():
        if isinstance(entry, FileEntry) and name not in produced and (
                why := stale_reason(entry, deal_read=False, found=found)) is not None:
            found[name] = why
    return found
