"""Compiled clause and template code kept between runs: used only when it is safely ours.

The cache must make a second start cheaper without ever changing a
document, hiding an error, or running a file someone else could have written.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES
from spying import calls

from generator import clauses, codecache, documents
from generator.build import Sources, build
from generator.errors import ClauseError
from generator.resources import CONTRACT_TEMPLATE
from generator.text import Block, Run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (created by the first compile)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("APPORT_NO_CACHE", raising=False)
    return tmp_path / "xdg" / "apport" / "jinja"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Jinja compilations done (clauses, conditions, template parts)."""
    done: list[str] = []
    for env in (clauses._ENV, documents._ENV):
        calls(monkeypatch, env, "compile",
              lambda _source, name=None, filename=None, *_a, **_k: str(name or filename or "?"),
              into=done)
    return done


def _library() -> clauses.Library:
    return clauses.load_library(ROOT / "clauses")


def _build(tmp_path: Path, name: str) -> dict[str, bytes]:
    """One sample built in a fresh process state (no compiled kit kept), its files' bytes."""
    from generator import build as build_module

    build_module._KITS.clear()
    documents._CACHE.clear()
    out = tmp_path / name
    report = build([SAMPLES / "julie-atelier-bois.yaml"], out, sources=Sources.default(), jobs=1)
    assert report.ok, report.failures
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.docx"))}


def test_a_second_load_compiles_nothing_and_documents_stay_byte_identical(
        cache, compiles, tmp_path, monkeypatch):
    compiled = _library()
    documents.WordTemplate(ROOT / "templates" / CONTRACT_TEMPLATE)
    first = len(compiles)
    assert first > 50  # bodies, conditions and template parts
    assert cache.is_dir() and len(list(cache.iterdir())) > 0
    compiles.clear()
    loaded = _library()
    documents.WordTemplate(ROOT / "templates" / CONTRACT_TEMPLATE)
    assert compiles == []
    # what the render cache learns from a body's syntax tree comes back with its code
    assert [c.reads for c in loaded.clauses] == [c.reads for c in compiled.clauses]
    assert any(c.reads for c in loaded.clauses)

    warm = _build(tmp_path, "warm")
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    cold = _build(tmp_path, "cold")
    assert warm == cold and len(warm) == 3


def test_the_cache_folder_and_its_files_are_ours_alone(cache):
    _library()
    assert cache.stat().st_mode & 0o777 == 0o700
    for file in cache.iterdir():
        assert file.stat().st_mode & 0o077 == 0
        assert not file.name.endswith(".tmp")


def _payload(file: Path) -> object:
    """What a cache file holds (its head skipped)."""
    data = file.read_bytes()
    return marshal.loads(data[len(codecache.MAGIC) + len(file.name) + 32:])


def _sources(cache: Path) -> list[Path]:
    """The cache's files of one compiled source each (not a library's parsed files)."""
    return sorted(file for file in cache.iterdir()
                  if isinstance(_payload(file), tuple) and len(_payload(file)) == 2)


def _libraries(cache: Path) -> list[Path]:
    """The cache's files holding a clause library's parsed files."""
    return sorted(set(cache.iterdir()) - set(_sources(cache)))


def test_a_damaged_or_truncated_file_is_compiled_again_never_run(cache, compiles, tmp_path):
    _library()
    assert len(_libraries(cache)) == 1
    files = sorted(cache.iterdir())
    for index, file in enumerate(files):
        data = bytearray(file.read_bytes())
        if index % 2:
            data[-1] ^= 0xFF  # the checksum no longer matches
            file.write_bytes(bytes(data))
        else:
            file.write_bytes(bytes(data[: len(data) // 2]))
    compiles.clear()
    library = _library()
    assert len(compiles) == len(files) - 1  # all but the library's entry: parsed again
    reference = _build(tmp_path, "after-damage")
    assert len(reference) == 3 and library.clauses


def test_the_code_of_another_source_is_not_loaded_even_with_a_valid_checksum(cache, compiles):
    """Two entries swapped: each is well formed, but names another key, so both are
    compiled again (the code of another clause would print other words)."""
    _library()
    for file in _libraries(cache):  # else the whole library is read from there
        file.unlink()
    one, two = _sources(cache)[:2]
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b)
    two.write_bytes(a)
    compiles.clear()
    _library()
    assert len(compiles) == 2


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o755])
def test_a_folder_others_may_write_or_read_is_not_used(cache, compiles, mode):
    cache.mkdir(parents=True)
    cache.chmod(mode)
    _library()
    assert list(cache.iterdir()) == []
    compiles.clear()
    _library()
    assert len(compiles) > 50


def test_a_folder_that_is_a_link_is_not_used(cache, compiles, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    cache.parent.mkdir(parents=True)
    cache.symlink_to(elsewhere)
    _library()
    assert list(elsewhere.iterdir()) == []


def test_a_file_others_may_write_is_compiled_again(cache, compiles):
    _library()
    for file in cache.iterdir():
        file.chmod(0o666)
    compiles.clear()
    _library()
    assert len(compiles) > 50


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another user needs root")
def test_a_file_owned_by_someone_else_is_compiled_again(cache, compiles):
    _library()
    for file in cache.iterdir():
        os.chown(file, 65534, 65534)
    compiles.clear()
    _library()
    assert len(compiles) > 50


def test_no_cache_when_turned_off(cache, compiles, monkeypatch):
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    _library()
    assert not cache.exists()


def test_a_clause_that_does_not_compile_is_never_stored_and_fails_every_time(
        cache, tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "clauses", lib)
    broken = sorted(lib.glob("*.md"))[0]
    broken.write_text(broken.read_text(encoding="utf-8") + "\n{% include 'x' %}\n",
                      encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ClauseError) as raised:
            clauses.load_library(lib)
        assert raised.value.code == "clause-include"
    stored = len(list(cache.iterdir()))
    assert stored == 0  # the first file fails first: nothing compiled before it


def test_a_cache_key_changes_with_the_source_its_name_and_the_environment():
    env = clauses._ENV
    base = codecache.key(env, "clause", "texte", "a", "a.md")
    assert base is not None
    assert codecache.key(env, "clause", "texte.", "a", "a.md") != base
    assert codecache.key(env, "clause", "texte", "b", "a.md") != base
    assert codecache.key(env, "clause", "texte", "a", "b.md") != base
    assert codecache.key(env, "condition", "texte", "a", "a.md") != base
    assert codecache.key(documents._ENV, "clause", "texte", "a", "a.md") != base


def test_nothing_is_cached_when_apport_cannot_read_its_own_compiling_code(
        cache, compiles, monkeypatch):
    monkeypatch.setattr(codecache, "_COMPILERS", ("no-such-module.py",))
    codecache._compilers.cache_clear()
    try:
        _library()
        assert not cache.exists() or list(cache.iterdir()) == []
    finally:
        codecache._compilers.cache_clear()


_LOAD_TEMPLATES = r"""
import sys
from pathlib import Path
from generator import documents
from generator.resources import CLIENT_TEMPLATE, CONTRACT_TEMPLATE, OFFER_TEMPLATE
for name in (CONTRACT_TEMPLATE, OFFER_TEMPLATE, CLIENT_TEMPLATE):
    documents.load_template(Path(sys.argv[1]) / name)
print(" ".join(sorted(m for m in ("docxtpl", "docx", "lxml") if m in sys.modules)) or "none")
"""


@pytest.fixture
def front_matters(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose front matter was read (each clause file parsed)."""
    from generator import loading

    return calls(monkeypatch, loading, "load_bytes", lambda _data, file, *_a, **_k: str(file))


def _code(clause: clauses.Clause) -> tuple[object, object]:
    condition = clause.condition._template if clause.condition is not None else None
    return (clause.template.root_render_func.__code__,
            condition.root_render_func.__code__ if condition is not None else None)


def test_a_library_read_before_is_not_parsed_again_and_gives_the_same_clauses(
        cache, front_matters):
    cold = _library()
    assert len(front_matters) == len(cold.clauses) > 40
    front_matters.clear()
    warm = _library()
    assert front_matters == []  # one cache file read instead of each clause's front matter
    assert warm.clauses == cold.clauses  # ids, versions, titles, bodies, lines, hashes...
    assert [(c.file, c.name, c.reads, c.when_reads, _code(c)) for c in warm.clauses] == [
        (c.file, c.name, c.reads, c.when_reads, _code(c)) for c in cold.clauses]


def test_an_edited_moved_or_broken_clause_file_is_read_again(cache, front_matters, tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "clauses", lib, ignore=shutil.ignore_patterns("offre", "client"))
    clauses.load_library(lib)
    edited = sorted(lib.glob("*.md"))[3]
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original.rstrip("\n") + "\n\nUne phrase ajoutée.\n", encoding="utf-8")
    front_matters.clear()
    library = clauses.load_library(lib)
    assert len(front_matters) == len(library.clauses)
    assert library.clauses[3].body.endswith("Une phrase ajoutée.\n")
    edited.write_text(original.replace("---\n", "---\nauteur: x\n", 1), encoding="utf-8")
    for _ in range(2):  # an error is never stored: raised every time
        with pytest.raises(ClauseError) as raised:
            clauses.load_library(lib)
        assert raised.value.code == "clause-unknown-key" and raised.value.file == str(edited)
    edited.write_text(original, encoding="utf-8")
    moved = lib.rename(tmp_path / "ailleurs")
    front_matters.clear()
    library = clauses.load_library(moved)  # the files' names are part of what is kept
    assert len(front_matters) == len(library.clauses)
    assert all(c.file.startswith(str(moved)) for c in library.clauses)


def test_a_library_entry_of_another_form_is_parsed_again(cache, front_matters):
    _library()
    for file in _libraries(cache):  # well formed, the right key and checksum, a wrong form
        payload = marshal.dumps((("id", 1),))
        file.write_bytes(codecache.MAGIC + file.name.encode("ascii")
                         + hashlib.sha256(payload).digest() + payload)
    front_matters.clear()
    library = _library()
    assert len(front_matters) == len(library.clauses) > 40


def test_templates_whose_code_is_kept_load_without_docxtpl(cache, tmp_path):
    """docxtpl brings python-docx and lxml (a fifth of a one-deal build's start-up): it
    patches a template part's tags before the part compiles, so the part's code is kept
    under the part as written, and a second start imports none of them (issue 15)."""
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    run = [sys.executable, "-c", _LOAD_TEMPLATES, str(ROOT / "templates")]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() != ["none"]  # compiled: docxtpl patched the parts
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert second.stdout.split() == ["none"], second.stdout


def test_a_template_part_compiles_again_when_docxtpl_patches_differently(
        cache, compiles, monkeypatch):
    path = ROOT / "templates" / CONTRACT_TEMPLATE
    documents.WordTemplate(path)
    compiles.clear()
    documents.WordTemplate(path)
    assert compiles == []
    monkeypatch.setattr(documents, "_docxtpl_code", lambda: "another docxtpl")
    documents.WordTemplate(path)
    assert compiles  # docxtpl's tag cleaning is part of the key
    compiles.clear()
    monkeypatch.setattr(documents, "_docxtpl_code", lambda: None)  # unreadable: no cache
    parts = len(documents.WordTemplate(path).compiled)
    documents.WordTemplate(path)
    assert len(compiles) == 2 * parts


def _template_entry(cache: Path, path: Path) -> Path:
    """The cache file holding what the template at ``path`` gives, whole."""
    kind = (f"word template, docxtpl {documents._docxtpl_code()}, "
            f"zlib {documents.zlib.ZLIB_RUNTIME_VERSION}")
    key = codecache.key(documents._ENV, kind, hashlib.sha256(path.read_bytes()).hexdigest(),
                        None, None)
    assert key is not None
    return cache / key


def _parts(template: documents.WordTemplate) -> tuple[object, ...]:
    return (template.order, {name: t.root_render_func.__code__
                             for name, t in template.compiled.items()}, _static(template))


@pytest.fixture
def tag_searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The template parts searched for tags (each read from the template's zip)."""
    return calls(monkeypatch, documents, "_tagged", len)


def test_a_template_read_before_is_not_unzipped_again_and_gives_the_same_parts(
        cache, tag_searches, monkeypatch):
    path = ROOT / "templates" / CONTRACT_TEMPLATE
    cold = _parts(documents.WordTemplate(path))
    assert len(tag_searches) > 10
    tag_searches.clear()
    warm = _parts(documents.WordTemplate(path))
    assert tag_searches == []  # one cache file read: no part unzipped, none searched
    assert warm == cold
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    assert _parts(documents.WordTemplate(path)) == cold


def test_a_template_entry_of_another_form_is_read_again(cache, tag_searches):
    path = ROOT / "templates" / CONTRACT_TEMPLATE
    cold = _parts(documents.WordTemplate(path))
    file = _template_entry(cache, path)
    payload = marshal.dumps(((documents.MAIN_PART,), (), ()))  # no code for the main part
    file.write_bytes(codecache.MAGIC + file.name.encode("ascii")
                     + hashlib.sha256(payload).digest() + payload)
    tag_searches.clear()
    assert _parts(documents.WordTemplate(path)) == cold
    assert len(tag_searches) > 10


@pytest.fixture
def deflates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the parts deflated when templates load."""
    return calls(monkeypatch, documents, "_deflate", lambda data, *_a, **_k: len(data))


def _static(template: documents.WordTemplate) -> dict[str, tuple]:
    return {name: (e.name, e.crc, e.size, e.data, e.method)
            for name, e in template.static.items()}


def test_a_templates_copied_parts_are_deflated_once_then_read_back_the_same(
        cache, deflates, monkeypatch):
    path = ROOT / "templates" / CONTRACT_TEMPLATE
    first = _static(documents.WordTemplate(path))
    assert len(deflates) == len(first) > 5  # styles, theme, fonts, settings...
    deflates.clear()
    assert _static(documents.WordTemplate(path)) == first
    assert deflates == []
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    assert _static(documents.WordTemplate(path)) == first  # what the cache holds is exact
    assert len(deflates) == len(first)


@pytest.mark.parametrize("damage", ["checksum", "form"])
def test_copied_parts_of_another_form_or_damaged_are_deflated_again(
        cache, deflates, damage):
    path = ROOT / "templates" / CONTRACT_TEMPLATE
    first = _static(documents.WordTemplate(path))
    _template_entry(cache, path).unlink()  # else the whole template is read from there
    names = tuple(first)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    key = codecache.data_key(f"static parts, zlib {documents.zlib.ZLIB_RUNTIME_VERSION}",
                             "\0".join((sha256, *names)).encode("utf-8"))
    assert key is not None
    file = cache / key
    if damage == "checksum":
        data = bytearray(file.read_bytes())
        data[-1] ^= 0xFF
        file.write_bytes(bytes(data))
    else:  # well formed and checksummed, but not what a template's parts are
        payload = marshal.dumps(((names[0], "crc", 0, b""),))
        file.write_bytes(codecache.MAGIC + key.encode("ascii")
                         + hashlib.sha256(payload).digest() + payload)
    deflates.clear()
    assert _static(documents.WordTemplate(path)) == first
    assert len(deflates) == len(first)


def test_the_folder_is_worked_out_once_per_environment(cache, monkeypatch):
    """Each compiled source asks for the cache folder: worked out once for the same
    environment (138 times a build, 1.3 ms of path arithmetic), again when it changes."""
    asked: list[Path | None] = []
    found = codecache.folder

    def counted() -> Path | None:
        asked.append(found())
        return asked[-1]

    monkeypatch.setattr(codecache, "folder", counted)
    monkeypatch.setattr(codecache, "_FOLDERS", {})
    _library()
    assert asked == [cache]
    other = cache.parent.parent.parent / "other-xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(other))
    codecache._open()
    assert asked == [cache, other / "apport" / "jinja"]
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    assert codecache._open() is None


# --- the clause bodies' layouts, kept between runs ----------------------------------------


@pytest.fixture
def fresh_layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A process that has laid out no body yet and read no kept layouts; gives the texts
    laid out (each a body's text made into paragraphs, typography and all)."""
    _forget_layouts(monkeypatch)
    return calls(monkeypatch, clauses, "_layout", lambda text: text)


def _forget_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: nothing laid out in memory (the kept file stays)."""
    for name in ("_LAYOUTS", "_KEPT", "_MADE", "_RENDERED", "_DECIDED"):
        monkeypatch.setattr(clauses, name, {})
    monkeypatch.setattr(clauses, "_layouts_chars", 0)
    monkeypatch.setattr(clauses, "_made_chars", 0)
    clauses.read_layouts.cache_clear()
    clauses._typography.cache_clear()


def _kept_layouts() -> tuple:
    return codecache.read_data(clauses._KEPT_KIND, clauses._layout_code(), clauses._kept_form)


def test_a_new_process_lays_out_no_body_a_run_before_laid_out_and_documents_are_the_same(
        cache, fresh_layouts, tmp_path, monkeypatch):
    from generator import workers

    monkeypatch.setattr(workers, "enforced", lambda: False)  # the render in this process
    first = _build(tmp_path, "first")
    assert len(fresh_layouts) > 40
    _forget_layouts(monkeypatch)
    fresh_layouts.clear()
    again = _build(tmp_path, "again")
    assert fresh_layouts == []  # every body's layout read back, none made
    monkeypatch.setenv("APPORT_NO_CACHE", "1")
    _forget_layouts(monkeypatch)
    cold = _build(tmp_path, "cold")
    assert len(fresh_layouts) > 40
    assert first == again == cold and len(first) == 3


def test_a_worker_keeps_its_layouts_when_it_ends_and_they_hold_no_deal_value(
        cache, fresh_layouts, tmp_path):
    _build(tmp_path, "built")  # rendered in a forked worker, which writes the file
    kept = _kept_layouts()
    assert kept and len(kept) > 40
    texts = [text for text, _ in kept] + [
        run[0] for _, data in kept for item in marshal.loads(data)
        for run in (item[1] if item[0] == 0 else item[2]) if len(run) == 3]
    deal = (SAMPLES / "julie-atelier-bois.yaml").read_text(encoding="utf-8")
    for value in ("Marie Dupont", "Assist'Pro", "Julie Martin", "Atelier Bois", "Bellecour",
                  "919 492 504", "FR41946512365", "AA-2026-014"):
        assert value in deal
        assert not any(value in text for text in texts), value


def test_kept_layouts_of_another_form_are_not_used(cache, fresh_layouts, tmp_path):
    codecache.write_data(clauses._KEPT_KIND, clauses._layout_code(),
                         (("texte", ((0, (("x", "gras", False),), False),)),))
    clauses.read_layouts()
    assert clauses._KEPT == {}
    codecache.write_data(clauses._KEPT_KIND, clauses._layout_code(),
                         (("texte", ((1, False, ((True, "0"),)),)),))
    clauses.read_layouts.cache_clear()
    clauses.read_layouts()
    assert clauses._KEPT == {}
    wrong = marshal.dumps(((1, False, ((True, "0"),)),))  # read whole, checked when used
    codecache.write_data(clauses._KEPT_KIND, clauses._layout_code(), (("texte", wrong),))
    clauses.read_layouts.cache_clear()
    clauses.read_layouts()
    assert list(clauses._KEPT.items()) == [("texte", wrong)]
    assert clauses._kept_layout(wrong) is None and clauses._kept_layout(b"\x00") is None
    assert clauses.parse_markup("texte", clauses._Values()) == [Block((Run("texte"),))]


def test_the_layouts_kept_are_the_newest_within_their_characters(
        cache, fresh_layouts, monkeypatch):
    monkeypatch.setattr(clauses, "_KEPT_CHARS", 25)
    for text in ("un texte de dix", "deux", "trois et quatre"):  # 15, 4, 15 characters
        clauses._made(text, clauses._layout(text))  # a run lays one out, then ends
        clauses.keep_layouts()
    assert [text for text, _ in _kept_layouts()] == ["deux", "trois et quatre"]
    assert clauses._kept_layout(dict(_kept_layouts())["deux"]) == clauses._layout("deux")


# --- the folder kept small -----------------------------------------------------------------------


def test_the_folder_is_kept_under_its_size_the_oldest_files_going_first(
        cache, compiles, monkeypatch):
    """Each clause edit leaves a library file nothing reads any more (150 KiB for the
    built-in one): a run about to write first removes the files least recently written,
    never a file that is not one of the cache's own, and a kept file still serves."""
    expected = [(c, _code(c)) for c in _library().clauses]  # the cache filled: clause
    # code, conditions, the library's file
    files = sorted(p for p in cache.iterdir())
    sizes = {p.name: p.stat().st_size for p in files}
    total = sum(sizes.values())
    assert len(files) > 20
    old = files[: len(files) // 2]  # written long ago: the first to go
    for age, path in enumerate(reversed(old), start=1):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - age * 10**12))
    written = {p.name: p.stat().st_mtime_ns for p in files}
    foreign = cache / "notes.txt"
    foreign.write_bytes(b"x" * 4096)
    left_temp = cache / f".{'a' * 64}.{'b' * 16}.tmp"  # a run ended while writing
    left_temp.write_bytes(b"partial")
    os.utime(left_temp, ns=(0, 0))
    fresh_temp = cache / f".{'c' * 64}.{'d' * 16}.tmp"  # a run writing now
    fresh_temp.write_bytes(b"partial")
    monkeypatch.setattr(codecache, "MAX_FOLDER", total - 1)  # just over: a quarter goes
    monkeypatch.setattr(codecache, "_PRUNED", set())
    assert codecache.data("test", b"jamais vu", lambda: b"x", lambda v: True) == b"x"

    kept = {p.name for p in cache.iterdir()}
    by_age = [name for *_, name in sorted((written[name], sizes[name], name) for name in sizes)]
    gone = [name for name in by_age if name not in kept]
    assert gone, "nothing removed"
    assert gone == by_age[: len(gone)]  # the least recently written first, in that order
    assert set(by_age[: len(old)]) == {p.name for p in old}
    left = sum(sizes[n] for n in kept if n in sizes)
    assert left <= (total - 1) * 3 // 4 < left + sizes[gone[-1]]  # no more than needed
    assert foreign.exists() and fresh_temp.exists() and not left_temp.exists()
    compiles.clear()
    again = _library()  # what was removed is made again, the rest read: the same clauses
    assert [(c, _code(c)) for c in again.clauses] == expected
    assert len(compiles) <= len(gone)


def test_a_folder_under_its_size_is_left_as_it_is(cache, monkeypatch):
    _library()
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    monkeypatch.setattr(codecache, "_PRUNED", set())
    assert codecache.data("test", b"jamais vu", lambda: b"x", lambda v: True) == b"x"
    after = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert before.items() <= after.items() and len(after) == len(before) + 1
