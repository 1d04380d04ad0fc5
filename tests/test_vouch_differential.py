"""The vouch (``generator/vouch.py``) never changes an answer, only its cost: a
differential test.

Two copies of the same folder (deals, an exported library, an output folder) go through
the same seeded random sequence of operations (deals edited, touched, added, removed,
renamed; documents edited by hand, touched, deleted; stray files; options; a clause
edited; the vouch, manifest, journal or status file damaged; time let pass or not),
interleaved with builds (in-process, counted or listed, and through ``apport build``;
``-j 1`` and ``-j 2``). In the second copy the vouch is deleted before each build. Each
build must answer the same in both (counts, lines, exit code), leave the same documents
(names and bytes) in both, and never overwrite or delete a document edited by hand.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from quick import quick_cases
from spying import calls

from generator import manifest, vouch
from generator.build import Sources, build
from generator.cli import cli
from generator.manifest import JOURNAL, MANIFEST, STATUS
from generator.vouch import VOUCH

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
_INTERNAL = (MANIFEST, STATUS, JOURNAL, VOUCH)
_TICK = 0.02  # longer than the clock's tick: an edit moves a file's change time


class World:
    """One copy of the folder: ``deals``, ``lib`` and ``out`` under ``root`` (builds run
    from ``root`` with relative paths, so that both copies print the same lines)."""

    def __init__(self, root: Path, lib: Path, *, vouch: bool) -> None:
        self.root, self.vouch = root, vouch
        (root / "deals").mkdir(parents=True)
        for sample in SAMPLES[:3]:
            shutil.copy(sample, root / "deals" / sample.name)
        shutil.copytree(lib, root / "lib")
        (root / "out").mkdir()

    def path(self, relative: str) -> Path:
        return self.root / relative

    def build(self, how: str, jobs: int, options: dict[str, bool]) -> Any:
        if not self.vouch:
            (self.root / "out" / VOUCH).unlink(missing_ok=True)
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            if how == "cli":
                flags = [f"--{name}" for name, on in sorted(options.items()) if on]
                result = CliRunner().invoke(cli, [
                    "build", "deals", "-o", "out", "--clauses", "lib/clauses",
                    "--templates", "lib/templates", "-j", str(jobs), *flags])
                return ("cli", result.exit_code, result.output)
            report = build(["deals"], "out", jobs=jobs, list_unchanged=(how == "listed"),
                           sources=Sources(clauses=Path("lib/clauses"),
                                           templates=Path("lib/templates")), **options)
            return ("build", str(report.summary), report.deals, report.unlisted,
                    report.unlisted_warnings, report.unlisted_warned_deals, report.ok,
                    [str(n) for n in report.notes], [str(e) for e in report.errors],
                    [(d.name, str(d.status)) for d in report.documents],
                    [str(d) for d in report.diagnostics], [str(f) for f in report.failures],
                    sorted(report.unchanged_deals))
        finally:
            os.chdir(cwd)

    def documents(self) -> dict[str, bytes]:
        """The output folder's files but apport's own records: names and bytes."""
        out = self.root / "out"
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())
                if p.is_file() and p.name not in _INTERNAL and not p.name.startswith(".apport")}


def _edit_deal(text: str, rng: random.Random, how: str) -> str:
    if how == "comment":
        return text.replace("\n", "\n# note\n", 1)
    if how == "same size":  # a digit of a value changed for another
        digits = [m.start() for m in re.finditer(r"(?<=originals: )\d", text)] or \
                 [m.start() for m in re.finditer(r"(?<=: )\d", text)]
        at = rng.choice(digits)
        return text[:at] + ("3" if text[at] != "3" else "2") + text[at + 1:]
    # a value changed (another size)
    return re.sub(r"place: [^#\n]*?(\s*#|\n)", lambda m: "place: Villeurbanne" + m.group(1),
                  text, count=1)


def _edit_document(data: bytes, rng: random.Random, same_size: bool) -> bytes:
    if same_size:
        at = rng.randrange(len(data) // 2, len(data) - 1)
        return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]
    return data + b"\0edited"


class Run:
    """A seeded sequence applied to both worlds."""

    def __init__(self, tmp_path: Path, lib: Path, seed: int,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.worlds = [World(tmp_path / "vouched", lib, vouch=True),
                       World(tmp_path / "through", lib, vouch=False)]
        self.options = {"review": False, "strict": False, "final": False, "prune": False}
        self.edited: dict[str, bytes] = {}  # documents edited by hand: their bytes
        self.monkeypatch = monkeypatch
        self.log: list[str] = []
        self.added = 0

    def both(self, change: Any) -> None:
        for world in self.worlds:
            change(world)

    def names(self, folder: str, pattern: str) -> list[str]:
        return sorted(p.name for p in self.worlds[0].path(folder).glob(pattern) if p.is_file())

    def step(self) -> None:
        rng = self.rng
        time.sleep(_TICK)
        op = rng.choice(["build"] * 7 + [
            "edit deal", "touch deal", "add deal", "remove deal", "rename deal",
            "edit document", "touch document", "delete document", "stray", "option",
            "clause", "damage", "settling", "clean up", "clean up"])
        if op != "build":
            self.log.append(op)
        deals = self.names("deals", "*.yaml")
        documents = [n for n in self.names("out", "*.docx") if n not in self.edited]
        if op == "build":  # a few in a row: the second records the vouch, the third uses it
            for _ in range(rng.choice([1, 2, 3, 3])):
                self.build()
        elif op == "edit deal" and deals:
            name, how = rng.choice(deals), rng.choice(["value", "comment", "same size"])
            text = self.worlds[0].path(f"deals/{name}").read_text(encoding="utf-8")
            new = _edit_deal(text, rng, how)
            self.log[-1] += f" {name} ({how})"
            self.both(lambda w: w.path(f"deals/{name}").write_text(new, encoding="utf-8"))
        elif op == "touch deal" and deals:
            name = rng.choice(deals)
            self.log[-1] += f" {name}"
            self.both(lambda w: os.utime(w.path(f"deals/{name}")))
        elif op == "add deal":
            self.added += 1
            sample, name = rng.choice(SAMPLES), f"ajout-{self.added}.yaml"
            self.log[-1] += f" {name}"
            self.both(lambda w: shutil.copy(sample, w.path(f"deals/{name}")))
        elif op == "remove deal" and len(deals) > 1:
            name = rng.choice(deals)
            self.log[-1] += f" {name}"
            self.both(lambda w: w.path(f"deals/{name}").unlink())
        elif op == "rename deal" and deals:
            self.added += 1
            name, new_name = rng.choice(deals), f"renomme-{self.added}.yaml"
            self.log[-1] += f" {name} -> {new_name}"
            self.both(lambda w: w.path(f"deals/{name}").rename(w.path(f"deals/{new_name}")))
        elif op == "edit document" and documents:
            name, same_size = rng.choice(documents), rng.random() < 0.5
            data = _edit_document(self.worlds[0].path(f"out/{name}").read_bytes(), rng,
                                  same_size)
            self.edited[name] = data
            self.log[-1] += f" {name} ({'same size' if same_size else 'longer'})"

            def edit(world: World) -> None:
                path = world.path(f"out/{name}")
                before = path.stat()
                path.write_bytes(data)
                os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime kept

            self.both(edit)
        elif op == "touch document" and documents:
            name = rng.choice(documents)
            self.log[-1] += f" {name}"
            self.both(lambda w: os.utime(w.path(f"out/{name}")))
        elif op == "delete document" and documents:
            name = rng.choice(documents)
            self.log[-1] += f" {name}"
            self.both(lambda w: w.path(f"out/{name}").unlink())
        elif op == "stray":
            names = [n for n in ("notes.txt", "ancien.contrat.docx", "ancien.offre.docx",
                                 "julie-atelier-bois.contrat.revue.docx")
                     if n not in self.edited and not self.worlds[0].path(f"out/{n}").exists()]
            if names:
                name = rng.choice(names)
                self.edited[name] = b"stray " + name.encode()  # a person's file: kept
                self.log[-1] += f" {name}"
                self.both(lambda w: w.path(f"out/{name}").write_bytes(self.edited[name]))
        elif op == "clean up":  # the person's files removed: builds can be no-ops again
            names = sorted(self.edited)
            self.edited.clear()
            self.log[-1] += f" {names}"
            self.both(lambda w: [w.path(f"out/{n}").unlink(missing_ok=True) for n in names])
        elif op == "option":
            name = rng.choice(sorted(self.options))
            self.options[name] = not self.options[name]
            self.log[-1] += f" {name}={self.options[name]}"
        elif op == "clause":
            clauses = self.names("lib/clauses", "*.md")
            name = rng.choice(clauses)
            self.log[-1] += f" {name}"
            self.both(lambda w: w.path(f"lib/clauses/{name}").write_text(
                w.path(f"lib/clauses/{name}").read_text(encoding="utf-8") + "\n",
                encoding="utf-8"))
        elif op == "damage":
            target = rng.choice(_INTERNAL)
            how = rng.choice(["delete", "garbage", "truncate", "same size"])
            self.log[-1] += f" {target} ({how})"
            self.both(lambda w: _damage(w.path(f"out/{target}"), how))
        elif op == "settling":  # time let pass (settled at once) or builds in quick succession
            value = rng.choice([0, 0, 2_000_000_000])
            self.monkeypatch.setattr(manifest, "SETTLING_NS", value)
            self.log[-1] += f" {value}"

    def build(self) -> None:
        self.log.append("build")
        how = self.rng.choice(["counted", "counted", "listed", "cli"])
        jobs = self.rng.choice([1, 2])
        self.log[-1] += f" {how} -j {jobs} {sorted(k for k, v in self.options.items() if v)}"
        vouched, through = (w.build(how, jobs, self.options) for w in self.worlds)
        context = f"seed {self.seed}, steps:\n  " + "\n  ".join(self.log)
        assert vouched == through, context
        documents = [w.documents() for w in self.worlds]
        assert documents[0] == documents[1], context
        for name, data in self.edited.items():  # a person's edit is never lost
            for world in self.worlds:
                kept = world.documents()
                assert kept.get(name) == data, f"{name} lost; {context}"


def _in_deal_order(journal: Path) -> None:
    """The journal's lines put in the order of the deals they record, each deal's lines
    kept in their order. With ``-j 2`` a build appends its deals' lines as the workers
    finish, so the two copies' journals may hold the same lines in another order; damage
    done to a given place of the file (cut in half, a byte changed) would then take
    different records from each, and the two copies would rightly answer differently
    (seed 18 did: a deal read again in one copy only). Lines of different deals name
    different files, so their order means nothing: this changes no record."""
    if not journal.exists():
        return
    lines = journal.read_bytes().splitlines(keepends=True)
    deals = []
    for line in lines:
        try:
            record = json.loads(line)
            names = sorted([*record["set"], *record["drop"]])
        except (ValueError, KeyError, TypeError):  # damaged already: the same in both
            return
        deals.append(re.sub(r"\.(contrat|offre|client)\..*", "", names[0]) if names else "")
    order = sorted(range(len(lines)), key=deals.__getitem__)  # (stable)
    journal.write_bytes(b"".join(lines[i] for i in order))


def _damage(path: Path, how: str) -> None:
    if path.name == JOURNAL:
        _in_deal_order(path)
    if how == "delete":
        path.unlink(missing_ok=True)
    elif how == "garbage":
        path.write_bytes(b'{"not": "this"}\n')
    elif how == "truncate" and path.exists():
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "same size" and path.exists():
        data = bytearray(path.read_bytes())
        if data:
            at = len(data) // 2
            data[at] = ord("0") if data[at] != ord("0") else ord("1")
            path.write_bytes(bytes(data))


def _run(tmp_path: Path, lib: Path, seed: int, steps: int,
         monkeypatch: pytest.MonkeyPatch) -> int:
    """The sequence of ``seed``; returns how many builds the vouch answered."""
    monkeypatch.setattr(manifest, "SETTLING_NS", 0)
    answered = calls(monkeypatch, vouch, "check", noted=lambda counts: counts is not None)
    run = Run(tmp_path, lib, seed, monkeypatch)
    run.build()
    for _ in range(steps):
        run.step()
    run.build()
    return sum(answered)


# the quick run keeps the two seeds that must see the vouch answer (and 1): the full run,
# what CI runs, takes all 24 (seed 18 among them: it damages a journal a ``-j 2`` build
# wrote, see ``_in_deal_order``)
@pytest.mark.parametrize("seed", quick_cases(range(1, 25), lambda seed: seed in (1, 6, 12)))
def test_the_vouch_never_changes_an_answer(tmp_path, lib, seed, monkeypatch):
    answered = _run(tmp_path, lib, seed, 20, monkeypatch)
    if seed in (6, 12):  # (each answered 6 times when written: the vouch is exercised)
        assert answered > 0, "the vouch never answered"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 112))
def test_the_vouch_never_changes_an_answer_long(tmp_path, lib, seed, monkeypatch):
    _run(tmp_path, lib, seed, 60, monkeypatch)
