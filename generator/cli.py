"""The ``apport`` command line: parse options, call one library function, print.

Heavy libraries (pydantic, docxtpl, python-docx) are imported inside the
commands that need them, so ``apport --help`` stays quick. Every error the
library raises on purpose is an :class:`~generator.diagnostics.ApportError`,
printed here once; exit codes follow the spec: 0 done, 1 a deal invalid or
failed or left unwritten, 2 bad usage.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

EXAMPLES_VALIDATE = """
\b
Examples:
  apport validate deals/julie.yaml
  apport validate deals/ --strict
  apport validate deals/ --format json > problems.json
"""


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    from .messages import set_language

    set_language(value)


_lang_option = click.option(
    "--lang", type=click.Choice(["en", "fr"]), default=None, expose_value=False,
    is_eager=True, callback=_set_language,
    help="Language of messages (default: French when LC_ALL, LC_MESSAGES or LANG "
         "starts with fr, else English).")


def _handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print the library's errors as located one-liners, never a traceback.

    Also gives the command its ``--lang`` option.
    """

    @_lang_option
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .diagnostics import ApportError

        try:
            return func(*args, **kwargs)
        except ApportError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            from .messages import render

            click.echo(render("cli-interrupted"), err=True)
            sys.exit(130)

    return wrapper


def _collector_on() -> None:
    """For a command that runs long or renders in this process: the cyclic garbage
    collector back on (:func:`main` turns it off), what start-up loaded frozen first,
    so that the collections skip it."""
    import gc

    gc.freeze()
    gc.enable()


def _deal_files(paths: tuple[str, ...]) -> Any:
    """The deal files below ``paths`` (a :class:`finding.DealFiles`: a compact list that
    gives ``(path, display name)`` pairs in natural order)."""
    from .finding import deal_files
    from .messages import render

    try:
        files = deal_files(paths)
    except FileNotFoundError as e:
        raise click.UsageError(render("cli-no-such-path", {"path": str(e)})) from None
    except OSError as e:
        raise click.UsageError(render("cli-cannot-read-path", {
            "path": e.filename, "reason": e.strerror or str(e)})) from None
    if not files:
        raise click.UsageError(render("cli-no-deal-files", {"paths": list(paths)}))
    return files


class _Context:
    """Paths for a command: the command line first, then the workspace, then defaults."""

    def __init__(self, paths: tuple[str, ...] = (), *, out: str | None = None,
                 clauses: str | None = None, templates: str | None = None) -> None:
        from .resources import library_root
        from .workspace import find_workspace

        workspace = find_workspace()
        if clauses and not templates:  # an exported library's root brings its templates
            its_templates = library_root(clauses)[1]
            templates = str(its_templates) if its_templates else None
        if not paths:
            if workspace is None:
                from .messages import render

                raise click.UsageError(render("cli-no-paths"))
            paths = (_relative(workspace.deals),)
        self.paths = paths
        self.out = out or (_relative(workspace.out) if workspace else "out")
        self.clauses = clauses or (str(workspace.clauses) if workspace else None)
        self.templates = templates or (str(workspace.templates) if workspace else None)

    @property
    def sources(self) -> Any:
        from .build import Sources

        return Sources.default(self.clauses, self.templates)


def _relative(path: Path) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="apport", prog_name="apport")
def cli() -> None:
    """Turn a referral between freelance assistants into paperwork.

    A deal file (YAML) describes one introduction: the introducer, the
    beneficiary, the client, the commission and the duration. apport checks
    it and writes a business-introducer contract (contrat d'apporteur
    d'affaires), an offer sheet (fiche d'offre) and a notice to the client
    (information du client), in French, as Word files.

    \b
    Start with:
      apport init mes-apports           a workspace (deals/, clauses/, templates/)
      apport new deals/julie.yaml       a guided entry, in French, for a new deal
      apport validate samples/          check deal files
      apport build samples/ -o out/     write the documents
      apport offer deals/julie.yaml --eml julie.eml   an email ready to send
      apport client deals/julie.yaml    the letter to the client, as text
      apport schema > deal.schema.json  the format, for your editor

    Each command has its own help: apport build --help. A French guide for
    users: docs/guide.md.

    Exit codes: 0 done (warnings allowed), 1 a deal is invalid or failed,
    2 bad command-line usage.
    """


@cli.command(epilog=EXAMPLES_VALIDATE)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="text: one 'file:line:col: severity: field: message' line per problem; "
                   "json: one array of objects.")
@_handle_errors
def validate(paths: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check deal files and report every problem, located.

    PATHS are deal files or folders; folders are searched recursively for
    *.yaml and *.yml files (inside a workspace: its deals folder by default).
    Exits 1 when a deal has an error (or, with --strict, a warning).
    """
    from .deals import check_file
    from .diagnostics import to_json
    from .messages import render

    files = _deal_files(_Context(paths).paths)
    results = [check_file(path, display, strict=strict) for path, display in files]
    diagnostics = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(to_json(diagnostics))
    else:
        for d in diagnostics:
            click.echo(str(d), err=d.severity == "error")
        bad = sum(not r.ok for r in results)
        warned = sum(any(d.severity == "warning" for d in r.diagnostics) for r in results)
        click.echo(render("validate-summary", {"checked": len(results),
                                               "valid": len(results) - bad, "warned": warned,
                                               "invalid": bad}), err=True)
    sys.exit(1 if any(not r.ok for r in results) else 0)


@cli.command()
@_handle_errors
def schema() -> None:
    """Print the JSON Schema of the deal format (format 1).

    Point your editor at it to get completion and checks while typing: the
    YAML extension of VS Code reads a first line such as
    '# yaml-language-server: $schema=../schema/deal.schema.json'.
    """
    from .schema import schema_json

    click.echo(schema_json(), nl=False)


EXAMPLES_BUILD = """
\b
Examples:
  apport build                               inside a workspace: all its deals
  apport build deals/julie.yaml              -> out/julie.contrat.docx, out/julie.offre.docx
  apport build deals/ -o contrats/           every deal below deals/
  apport build deals/ --review               + NAME.contrat.revue.docx for the jurist
  apport build deals/ --final                the contracts to sign, without "Projet"
  apport build deals/ --check                exit 1 when a document is out of date
  apport build deals/ --prune                remove documents no deal produces any more
  apport build deals/ --redline              tracked changes for the jurist after an update
  apport build deals/ --clauses my-library/  a customised library (apport clauses --export)
"""


@cli.command(epilog=EXAMPLES_BUILD)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--out", default=None, type=click.Path(),
              help="Output folder (default: the workspace's, else ./out).")
@click.option("--review", is_flag=True,
              help="Also write NAME.contrat.revue.docx beside each contract, for the jurist: "
                   "every value from the deal highlighted, and an annex listing each clause "
                   "(id@version), why it is in or out, the warnings and a summary of the deal. "
                   "Kept up to date by later builds.")
@click.option("--final", is_flag=True,
              help="Write each NAME.contrat.docx as the copy to sign, once a jurist approved "
                   "the draft: without the header and subtitle 'Projet – à faire relire par "
                   "un juriste'. The review copy stays a draft; a later build without "
                   "--final makes the contracts drafts again.")
@click.option("--force", is_flag=True,
              help="Render every document again; a document edited by hand is first kept "
                   "beside the new one as <name>.edited.docx.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when a document is out of date.")
@click.option("--pdf", is_flag=True,
              help="Also write a PDF beside each Word file (needs LibreOffice).")
@click.option("--redline", is_flag=True,
              help="For every contract rewritten, also write NAME.contrat.redline.docx: the "
                   "new contract with Word tracked changes against the previous one.")
@click.option("--prune", is_flag=True,
              help="Remove the documents no deal produces any more (deal deleted or renamed, "
                   "rate gone to 0), unless a person edited them.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: the machine's cores).")
@click.option("--clauses", "clauses", type=click.Path(file_okay=False), default=None,
              help="Clause library folder, or an exported library's root (its templates "
                   "come with it) (default: the workspace's, else built-in; see "
                   "'apport clauses').")
@click.option("--templates", "templates", type=click.Path(file_okay=False), default=None,
              help="Folder holding contrat.docx, offre.docx and client.docx (default: the "
                   "workspace's, else built-in).")
@_handle_errors
def build(paths: tuple[str, ...], out: str | None, review: bool, final: bool, force: bool,
          check: bool, pdf: bool, redline: bool, prune: bool, strict: bool, jobs: int | None,
          clauses: str | None, templates: str | None) -> None:
    """Write the contract, the offer sheet and the client notice of every deal.

    For each deal file NAME.yaml: OUT/NAME.contrat.docx (only when there is a
    commission), OUT/NAME.offre.docx and OUT/NAME.client.docx (with --review,
    also OUT/NAME.contrat.revue.docx for the jurist; with --final, the contract is
    the copy to sign, without the draft notice). Only what changed since the
    last build is rendered again (the deal, a clause the deal uses, a template,
    the tool); a document edited by hand since is never overwritten (exit 1,
    unless --force). Documents no deal produces any more are listed (--check
    fails on them, --prune removes them). Every problem is listed at the end.
    """
    from .build import build as run_build
    from .messages import render

    ctx = _Context(paths, out=out, clauses=clauses, templates=templates)
    files = _deal_files(ctx.paths)  # listed once: the build is given them
    bar = _ProgressBar(render("progress-building"))
    pdf_bar = _ProgressBar(render("progress-pdf"), minimum=2)
    try:
        report = run_build(ctx.paths, ctx.out, sources=ctx.sources, review=review,
                           force=force, check=check, strict=strict, jobs=jobs,
                           redline=redline, prune=prune, pdf=pdf, final=final,
                           progress=bar.update,
                           pdf_progress=pdf_bar.update, files=files,
                           notify=lambda line: click.echo(line, err=True),
                           list_unchanged=False)  # no line each: counted
    finally:
        bar.close()
        pdf_bar.close()
    _print_report(report)
    click.echo(render("build-summary-line", {"summary": report.summary, "deals": report.deals}),
               err=True)
    sys.exit(0 if report.ok else 1)


def _print_report(report: Any, *, diagnostics: bool = True) -> None:
    """Every diagnostic and every file of a build report, one line each; the warnings of
    deals not read again (unchanged) summed up in one line."""
    from .diagnostics import Diagnostic, printable
    from .messages import Msg, render
    from .planning import Status

    for note in report.notes:
        click.echo(str(note), err=True)
    shown = report.diagnostics if diagnostics else []
    quiet = [d for d in shown if d.file in report.unchanged_deals and d.severity == "warning"]
    for d in shown:
        if not (d.file in report.unchanged_deals and d.severity == "warning"):
            click.echo(str(d), err=True)
    counted = report.unlisted_warnings if diagnostics else 0  # (build(list_unchanged=False))
    if quiet or counted:
        click.echo(render("report-unchanged-warnings", {
            "count": len(quiet) + counted,
            "deals": len({d.file for d in quiet}) + (report.unlisted_warned_deals if counted
                                                     else 0)}), err=True)
    for doc in report.documents:
        if doc.status == Status.UNCHANGED:  # counted in the summary: not a line each
            continue
        where = printable(f"{report.out / doc.name}")
        if doc.status == Status.BUILT:
            line = render("report-built", {"file": where, "reasons": doc.reasons})
            if doc.kept_as:
                line += " " + render("report-kept-as", {"file": printable(doc.kept_as)})
            if doc.redline:
                line += render("report-redline", {
                    "file": printable(str(report.out / doc.redline))})
            click.echo(line)
            if doc.error:
                click.echo(str(doc.error), err=True)
        elif doc.status == Status.OUTDATED:
            click.echo(render("report-outdated", {"file": where, "reasons": doc.reasons}))
        elif doc.status in (Status.PROTECTED, Status.FAILED):
            click.echo(str(doc.error), err=True)
        elif doc.status == Status.STALE:
            hint = doc.error or Msg("stale-prune-hint")
            click.echo(str(Diagnostic(where, 0, 0, "", "warning", "report-stale",
                                      {"why": doc.reasons[0], "hint": hint})), err=True)
        elif doc.status == Status.PRUNED:
            click.echo(render("report-pruned", {"file": where, "why": doc.reasons[0]}))
    for deal in report.without_contract:
        click.echo(render("report-no-contract", {"deal": printable(deal)}))
    for failure in report.failures:
        click.echo(str(failure), err=True)
    for error in report.errors:
        click.echo(str(error), err=True)


class _ProgressBar:
    """A progress bar on a terminal for long batches; silent otherwise."""

    def __init__(self, label: str, minimum: int = 20) -> None:
        self.label = label
        self.minimum = minimum
        self.bar: Any = None
        self.done = 0

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            if total < self.minimum or not sys.stderr.isatty():
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command(short_help="Print a deal's offer sheet as text, or write it as an email.")
@click.argument("deal", type=click.Path(dir_okay=False))
@click.option("--eml", "eml", type=click.Path(dir_okay=False), default=None,
              help="Write a ready-to-send email (.eml) to the beneficiary: the offer as the "
                   "text, the offer sheet attached (PDF with --pdf, else Word).")
@click.option("--pdf", is_flag=True,
              help="Write the offer sheet as Word and PDF into the output folder.")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False),
              help="Output folder for --pdf (default: the workspace's, else ./out).")
@click.option("--clauses", "clauses", type=click.Path(file_okay=False), default=None,
              help="Clause library folder, or an exported library's root (default: the "
                   "workspace's, else built-in).")
@click.option("--templates", "templates", type=click.Path(file_okay=False), default=None,
              help="Folder holding offre.docx (default: the workspace's, else built-in).")
@click.option("--force", is_flag=True,
              help="Write even over a file edited by hand (kept first as NAME.edited.docx, "
                   "NAME.edited.eml...).")
@_handle_errors
def offer(deal: str, eml: str | None, pdf: bool, out: str | None, clauses: str | None,
          templates: str | None, force: bool) -> None:
    """Print a deal's offer sheet as plain text, ready to paste into an email.

    \b
    Examples:
      apport offer deals/julie.yaml                 the text, on the screen
      apport offer deals/julie.yaml --eml julie.eml an email to open and send
      apport offer deals/julie.yaml --eml julie.eml --pdf
    """
    from .build import load_kit
    from .deals import check_file
    from .offer import build_offer, offer_text

    ctx = _Context((deal,), out=out, clauses=clauses, templates=templates)
    checked = check_file(deal)
    for d in checked.diagnostics:
        click.echo(str(d), err=True)
    if checked.deal is None:
        sys.exit(1)
    kit = load_kit(ctx.sources)
    if not eml and not pdf:
        click.echo(offer_text(checked.deal, reference=checked.reference,
                              library=kit.offer_library), nl=False)
        return
    name = f"{checked.stem}.offre.docx"
    if pdf:
        from .build import Kind
        from .build import build as run_build

        report = run_build([deal], ctx.out, sources=ctx.sources, only=(Kind.OFFER,), pdf=True,
                           force=force, jobs=1, notify=lambda line: click.echo(line, err=True))
        _print_report(report, diagnostics=False)
        pdf_path = Path(ctx.out) / f"{checked.stem}.offre.pdf"
        if not report.ok:
            sys.exit(1)
        attachment, attachment_name = pdf_path.read_bytes(), pdf_path.name
    else:
        attachment = build_offer(checked.deal, reference=checked.reference,
                                 library=kit.offer_library, template=kit.offer_template).data
        attachment_name = name
    if eml:
        from .build import Derived, write_file
        from .mail import offer_email

        message = offer_email(checked.deal, reference=checked.reference,
                              library=kit.offer_library, attachment_name=attachment_name,
                              attachment=attachment)
        kept = write_file(Path(eml), message, kind=Derived.EMAIL, deal=checked.file,
                          deal_path=Path(deal), source=attachment_name, force=force,
                          notify=lambda line: click.echo(line, err=True))
        from .messages import render

        if kept:
            click.echo(render("cli-edited-copy-kept", {"file": eml, "kept": kept}), err=True)
        to = checked.deal.beneficiary.email
        click.echo(render("cli-wrote-email" if to else "cli-wrote-email-no-address",
                          {"file": eml, "to": to}))


@cli.command(name="client", short_help="Print a deal's client notice as text, for an email.")
@click.argument("deal", type=click.Path(dir_okay=False))
@click.option("--clauses", "clauses", type=click.Path(file_okay=False), default=None,
              help="Clause library folder (default: the workspace's, else built-in).")
@_handle_errors
def client_command(deal: str, clauses: str | None) -> None:
    """Print a deal's client notice as plain text, ready to paste into an email.

    The notice (information du client) tells the client whom the introducer
    recommends, that a commission is paid by the beneficiary (or that there is
    none), that the client stays free, and what happens to the client's
    details. apport build also writes it as OUT/NAME.client.docx.

    \b
    Examples:
      apport client deals/julie.yaml          the text, on the screen
    """
    from .clauses import load_library
    from .deals import check_file
    from .notice import notice_text
    from .resources import CLIENT_SUBDIR

    ctx = _Context((deal,), clauses=clauses)
    checked = check_file(deal)
    for d in checked.diagnostics:
        click.echo(str(d), err=True)
    if checked.deal is None:
        sys.exit(1)
    library = load_library(ctx.sources.clauses / CLIENT_SUBDIR)
    click.echo(notice_text(checked.deal, reference=checked.reference, library=library), nl=False)


@cli.command(name="clauses")
@click.option("--clauses", "folder", type=click.Path(file_okay=False), default=None,
              help="Clause library folder, or the root of an exported library (default: the "
                   "workspace's, else the built-in one).")
@click.option("--export", "export", type=click.Path(), default=None,
              help="Copy the clause library and the templates (the workspace's, else the "
                   "built-in ones) into this new folder, to customise.")
@click.option("--check", "check", is_flag=True,
              help="Render every clause against a matrix of option combinations and report "
                   "every problem.")
@_handle_errors
def clauses_command(folder: str | None, export: str | None, check: bool) -> None:
    """List the clause library: id, version, title and condition.

    \b
    Examples:
      apport clauses                         the built-in library
      apport clauses --export my-library/    a copy to edit (then: build --clauses)
      apport clauses --check --clauses my-library/
    """
    _collector_on()
    from . import library as lib

    sources = _Context((".",), clauses=folder).sources
    source = sources.clauses
    from .messages import render

    if export:
        written = lib.export(source, sources.templates, export)
        click.echo(render("cli-exported", {"count": written, "folder": export}))
        return
    if check:
        problems, combos = lib.check(source)
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(render("check-summary", {"combos": combos, "problems": len(problems)}),
                   err=True)
        sys.exit(1 if problems else 0)
    for line in lib.listing(source):
        click.echo(line)


@cli.command(short_help="Show the words that changed between two Word documents.")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--color/--no-color", default=None,
              help="Colour the changes (default: when the output is a terminal).")
@_handle_errors
def diff(old: str, new: str, color: bool | None) -> None:
    """Show what changed between two Word documents: each changed paragraph (or
    table row), with its changed words marked [-old-]{+new+}, in colour on a
    terminal.

    Exits 0 when the texts are identical, 1 when they differ, 2 on trouble (a
    file missing or not a Word document), like diff.

    \b
    Example:
      apport diff archive/julie.contrat.docx out/julie.contrat.docx
    """
    _collector_on()
    from .diagnostics import ApportError
    from .redline import diff_text, identical

    try:
        if identical(Path(old), Path(new), old_name=old, new_name=new):
            sys.exit(0)
        if color is None:
            color = sys.stdout.isatty()
        text = diff_text(Path(old), Path(new), color=color, old_name=old, new_name=new)
    except ApportError as e:  # trouble, not a difference: diff's exit code 2
        click.echo(str(e), err=True)
        sys.exit(2)
    click.echo(text, nl=not text.endswith("\n"))
    sys.exit(1)


@cli.command(name="new")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--from", "from_deal", type=click.Path(exists=True, dir_okay=False),
              help="Start from this deal: same introducer, beneficiary and terms, kept without "
                   "asking; only the new client is asked for, then a summary to confirm.")
@_handle_errors
def new(file: str | None, from_deal: str | None) -> None:
    """Create a deal file by answering questions (in French).

    Each field is explained, with its choices and a default (Enter keeps it;
    '?' shows the help again; '-' clears an optional field); every answer is
    checked at once (a SIRET is verified as you type it). Without FILE, the
    deal is printed. An existing FILE is never overwritten.

    Ctrl-C keeps the answers given so far in a hidden draft beside FILE
    (.FILE.brouillon) and exits 130; the next 'apport new FILE' offers to
    resume it, and the draft is removed once the deal is written.

    \b
    Examples:
      apport new deals/julie-atelier.yaml
      apport new deals/paul-garage.yaml --from deals/julie-atelier.yaml
    """
    _collector_on()
    from . import wizard
    from .messages import render

    if file is not None:
        wizard.check_target(file)
    if sys.stdin is None or sys.stdin.closed:
        raise click.UsageError(render("cli-new-no-input"))
    prefill = wizard.prefill_from(from_deal) if from_deal else None

    def ask(question: wizard.Question) -> str:
        try:
            return str(click.prompt(question.prompt, default=question.default or "",
                                    show_default=question.default is not None,
                                    prompt_suffix=" : ", err=True))
        except click.Abort as e:
            if sys.stdin.isatty() or isinstance(e.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None  # Ctrl-C (or Ctrl-D at a terminal)
            raise click.UsageError(render("cli-new-input-ended")) from None

    def say(line: str) -> None:
        click.echo(line, err=True)

    draft = wizard.read_draft(file) if file is not None else None
    resume = draft if draft and wizard.ask_resume(ask, say, draft) else None
    try:
        text = wizard.run_wizard(ask=ask, say=say, prefill=prefill, target=file, resume=resume,
                                 keep=prefill is not None)
    except wizard.Abandoned as stop:
        say("")
        if file is None:
            say(wizard.said("wizard-abandoned-no-file"))
        elif not any(v is not None for v in stop.answers.values()):
            say(wizard.said("wizard-abandoned-nothing"))
        else:
            kept = wizard.write_draft(file, stop.answers)
            say(wizard.said("wizard-abandoned", draft=kept, target=file))
        sys.exit(130)
    if file is None:
        click.echo(text, nl=False)
    else:
        wizard.write_deal(file, text)
        wizard.remove_draft(file)
        click.echo(wizard.said("wizard-written", file=file), err=True)


@cli.command(short_help="Create a workspace: deals, clauses, templates and a config.")
@click.argument("directory", type=click.Path(file_okay=False))
@_handle_errors
def init(directory: str) -> None:
    """Create a workspace: deals/, your own clauses/ and templates/, a config.

    Commands run inside the workspace (or below it) use its folders, found
    through apport.toml; options on the command line override them.
    """
    from .messages import render
    from .workspace import init as make

    workspace = make(directory)
    click.echo(render("cli-workspace-created", {
        "folder": directory, "example": f"{_relative(workspace.deals)}/exemple.yaml"}))
    click.echo(render("cli-workspace-next", {"folder": directory}))


@cli.command(short_help="Open the workspace as a page in your browser.")
@click.argument("path", required=False, type=click.Path())
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the address without opening it.")
@_handle_errors
def serve(path: str | None, port: int, no_browser: bool) -> None:
    """Open the workspace as a page in your browser: deals as forms, checked as you type,
    the documents previewed and downloaded.

    Serves the workspace found from PATH (default: the current folder) on
    127.0.0.1 only, to whoever opens the printed address, which carries a
    fresh secret token. Stop it with Ctrl-C.

    \b
    Examples:
      apport serve                     inside a workspace
      apport serve mes-apports --port 0 --no-browser
    """
    _collector_on()
    from .web.server import serve as run

    run(path, port=port, open_browser=not no_browser,
        announce=lambda line: click.echo(line, err=False))


def _files_open_for_writing() -> bool:
    """Whether this process has a file (not a pipe, a terminal, a device) open for
    writing, besides stdout and stderr (True when it cannot tell)."""
    import fcntl
    import os
    import stat

    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        return True
    for fd in descriptors:
        if fd in (1, 2):
            continue
        try:
            if (stat.S_ISREG(os.fstat(fd).st_mode)
                    and fcntl.fcntl(fd, fcntl.F_GETFL) & (os.O_WRONLY | os.O_RDWR)):
                return True
        except OSError:  # the listing's own descriptor, closed by now
            continue
    return False


def _leave_now(code: object) -> None:
    """End the process with status ``code`` once the command is done, without the
    interpreter's teardown: freeing every module and object one by one, 15 ms of a
    one-deal build's 300 (see benchmarks/README.md), for nothing to save. Only when
    nothing can be lost: the status is a number, the process's own output is flushed,
    no profiler or tracer is set, no other thread and no worker process runs; the
    ``atexit`` handlers run as at any exit (temporary folders, locks, logging); no file
    is open for writing (what a file object still buffers is written by the teardown:
    none is left, the guarded writer and the manifest close theirs). Otherwise it
    returns and Python exits as usual.
    """
    import atexit
    import os

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if not (code is None or isinstance(code, int)) or run_handlers is None:
        return
    out, err = sys.stdout, sys.stderr
    own = out is sys.__stdout__ and err is sys.__stderr__
    if not own:
        return  # not the process's own output (a caller captures it): its caller goes on
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return  # a profiler, a debugger, coverage: they may write after the command
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        return
    if _files_open_for_writing():
        return  # the teardown flushes what a file object still holds: not skipped
    try:
        out.flush()
        err.flush()
    except (OSError, ValueError):
        return  # the usual way, which reports a broken output
    run_handlers()
    with contextlib.suppress(OSError, ValueError):
        out.flush()
        err.flush()
    os._exit(code or 0)


def command() -> None:
    """Entry point of the ``apport`` console command (and ``python -m generator``):
    :func:`main`, then the process ends at once when nothing can be lost
    (:func:`_leave_now`)."""
    main(end_process=True)


def main(*, end_process: bool = False) -> None:
    """The ``apport`` command in this process, ending with ``SystemExit``.

    Output that cannot be written (a closed pipe, a full device) ends the
    command with one line on stderr and exit status 2, never a traceback. With
    ``end_process`` (the console command), the process ends once the command is
    done, without the interpreter's teardown, when nothing can be lost; a caller of
    ``main()`` gets its ``SystemExit`` back.
    """
    import errno
    import gc
    import os

    # Python's cyclic garbage collector, off for the command's process: its start-up
    # (imports, the deal model, the clause library, babel's data) allocates hundreds of
    # thousands of objects that live to the end, and the collector walked them again and
    # again for nothing (about 20 % of the processor time of `apport build one.yaml`,
    # see benchmarks/README.md). What the process does per deal leaves no cyclic garbage
    # (tests/test_collector.py); worker processes, whose renders do, collect it, and so do
    # the commands that run long or loop over renders (_collector_on).
    gc.disable()
    # pydantic reads every installed distribution's entry points, looking for its
    # plugins, when the deal model is built (9 ms of a start-up here, more in a larger
    # environment); the command uses none
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        try:
            cli(prog_name="apport")
        except SystemExit as e:
            if end_process:
                _leave_now(e.code)
            raise
        finally:
            sys.stdout.flush()
            # The interpreter's last collection, at exit, would walk everything loaded
            # (frozen objects are left out); nothing is lost: files are closed and
            # flushed by their owners, and cyclic garbage has no finalizer to run.
            gc.freeze()
    except OSError as e:
        if e.filename is not None or e.errno not in (errno.EPIPE, errno.ENOSPC, errno.EIO,
                                                     errno.EFBIG, errno.EDQUOT):
            raise
        with contextlib.suppress(OSError):  # nothing more goes to the broken output
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        from .errors import ApportError

        click.echo(str(ApportError("cli-cannot-write-output", {"reason": e.strerror or str(e)},
                                   file="<stdout>")), err=True)
        sys.exit(2)
