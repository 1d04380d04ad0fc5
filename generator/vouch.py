"""A no-op rebuild vouched for: the answer of a build that found every deal up to date and
had nothing to write, kept with a digest of everything that answer was made of.

The file statuses say that a document whose status has not moved holds the bytes known
for it; the vouch says the same of the whole answer. A build that found every deal up to
date, reported nothing but the counts (no line, no note, no stale file, nothing in the
manifest it did not produce) and wrote nothing records in ``OUT/.apport-manifest.vouch``
(through the guarded writer) the counts it reported and a digest of:

* the manifest's status (size, times, inode), settled (:data:`manifest.SETTLING_NS`) and
  the same before and after the build, and the journal's absence;
* the status file's bytes (those the build read) and, for every name it lists, the
  document's status now, which must be the one recorded (one ``lstat`` each): the
  documents' bytes are then the ones recorded;
* the deal list: each deal file as shown, its absolute path and the hash of its bytes as
  the build read them;
* the libraries' and templates' hashes, apport's version, the output folder as given,
  and the options that change what is built or reported (not ``-j``).

The next build with the same options works the same digest out (without reading the
manifest's lines) and, when it is the one recorded, reports the same counts; anything else
(no vouch, a damaged or edited one, one input different) and it goes through the deals as
usual. Only ``apport build``'s way of reporting (counted, not listed) is vouched for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import manifest as _manifest
from .manifest import JOURNAL, MANIFEST, STATUS, FileStatus, Statuses, file_status
from .resources import tool_version
from .writing import WriteError

if TYPE_CHECKING:
    from .finding import DealFiles
    from .writing import OutputFolder

VOUCH = ".apport-manifest.vouch"
_FORMAT = 1


class Deals:
    """The deals of a pass as it read them, in the deal list's order."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.count = 0

    def add(self, display: str, path: str, sha: str) -> None:
        self._digest.update(f"{display}\0{path}\0{sha}\n".encode("utf-8", "surrogateescape"))
        self.count += 1

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def deals_now(files: DealFiles, sha256_of: Any) -> Deals | None:
    """The deal list as it is now (None: a deal unreadable)."""
    deals = Deals()
    for _stem, display in files.by_stem():
        sha = sha256_of(display)
        if sha is None:
            return None
        deals.add(display, os.path.abspath(display), sha)
    return deals


def documents_now(out: Path) -> tuple[str, int] | None:
    """The status file's digest (its bytes, as read) and the number of names it lists,
    when every one of those documents still has the status recorded for it (None
    otherwise, or when the file is missing or damaged)."""
    statuses = Statuses.load(out)
    try:
        count = statuses.unmoved(out)
        return None if count is None or statuses.digest is None else (statuses.digest, count)
    finally:
        statuses.close()


def digest(out: Path, options: Mapping[str, Any], sources: Mapping[str, Any],
           manifest: FileStatus, statuses: tuple[str, int], deals: Deals,
           counts: Mapping[str, int]) -> str:
    material = [_FORMAT, tool_version(), str(out), sorted(options.items()),
                sorted(sources.items()), list(manifest), list(statuses), deals.hexdigest(),
                sorted(counts.items())]
    return hashlib.sha256(json.dumps(material, ensure_ascii=True).encode("ascii")).hexdigest()


def read(out: Path) -> tuple[str, dict[str, int]] | None:
    """The vouch recorded in ``out`` (None: none, or not one apport wrote)."""
    path = out / VOUCH
    try:
        if file_status(path) is None:
            return None
        with open(path, "rb") as f:
            data = f.read(4096)
        value = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or set(value) != {"format", "digest", "counts"} or \
            value["format"] != _FORMAT or not isinstance(value["digest"], str):
        return None
    counts = value["counts"]
    if not isinstance(counts, dict) or set(counts) != set(COUNTS) or not all(
            type(v) is int and v >= 0 for v in counts.values()):
        return None
    return value["digest"], counts


# The counts a vouched build reports (BuildReport's fields of the same names).
COUNTS = ("unlisted", "unlisted_warnings", "unlisted_warned_deals")


def check(out: Path, files: DealFiles, options: Mapping[str, Any],
          sources: Mapping[str, Any], sha256_of: Any) -> dict[str, int] | None:
    """The counts to report when ``out``'s vouch holds for the deals ``files`` as they are
    now (None: go through the deals)."""
    recorded = read(out)
    if recorded is None:
        return None
    manifest = file_status(out / MANIFEST)
    if manifest is None or os.path.lexists(out / JOURNAL):
        return None
    documents = documents_now(out)
    if documents is None or documents[1] != recorded[1]["unlisted"]:
        return None
    deals = deals_now(files, sha256_of)
    if deals is None:
        return None
    if digest(out, options, sources, manifest, documents, deals, recorded[1]) != recorded[0]:
        return None
    return recorded[1]


def record(folder: OutputFolder, out: Path, files: DealFiles, options: Mapping[str, Any],
           sources: Mapping[str, Any], sha256_of: Any, *, manifest_before: FileStatus | None,
           status_before: FileStatus | None, status_read: str | None, seen: Deals,
           counts: Mapping[str, int]) -> None:
    """Record the vouch of a build that found every deal up to date (``seen``: as it read
    them) and wrote nothing, when what it read is still there: the manifest as it was
    and settled, the status file as read, each deal's bytes as read, every document's
    status the one recorded. A failure is not reported: the next build goes through the
    deals."""
    manifest = file_status(out / MANIFEST)
    if manifest is None or manifest != manifest_before or status_read is None or \
            manifest[2] >= time.time_ns() - _manifest.SETTLING_NS or \
            status_before is None or file_status(out / STATUS) != status_before or \
            os.path.lexists(out / JOURNAL):
        return
    documents = documents_now(out)
    if documents is None or documents != (status_read, counts["unlisted"]):
        return
    deals = deals_now(files, sha256_of)
    if deals is None or (deals.count, deals.hexdigest()) != (seen.count, seen.hexdigest()):
        return
    line = json.dumps({"format": _FORMAT, "counts": dict(counts),
                       "digest": digest(out, options, sources, manifest, documents, deals,
                                        counts)}, sort_keys=True) + "\n"
    with contextlib.suppress(WriteError, OSError):  # (the next build goes through the deals)
        folder.replace(line.encode("ascii"), out / VOUCH)
