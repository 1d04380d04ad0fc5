"""The ``apport`` command line: parse options, call one library function, print.

Heavy libraries (pydantic, docxtpl, python-docx) are imported inside the
commands that need them, so ``apport --help`` stays quick. Every error the
library raises on purpose is an :class:`~generator.diagnostics.ApportError`,
printed here once; exit codes follow the spec: 0 done, 1 a deal invalid or
failed or left unwritten, 2 bad usage.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

EXAMPLES_VALIDATE = """
\b
Examples:
  apport validate deals/julie.yaml
  apport validate deals/ --strict
  apport validate deals/ --format json > problems.json
"""


def _handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print the library's errors as located one-liners, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .diagnostics import ApportError

        try:
            return func(*args, **kwargs)
        except ApportError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def _deal_files(paths: tuple[str, ...]) -> list[tuple[Any, str]]:
    from .deals import find_deal_files

    try:
        files = find_deal_files(paths)
    except FileNotFoundError as e:
        raise click.BadParameter(f"no such file or folder: {e}", param_hint="PATH") from None
    except OSError as e:
        raise click.BadParameter(f"cannot read {e.filename}: {e.strerror}",
                                 param_hint="PATH") from None
    if not files:
        raise click.BadParameter(
            f"no deal files (*.yaml, *.yml) in {', '.join(paths)}", param_hint="PATH"
        )
    return files


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="apport", prog_name="apport")
def cli() -> None:
    """Turn a referral between freelance assistants into paperwork.

    A deal file (YAML) describes one introduction: the introducer, the
    beneficiary, the client, the commission and the duration. apport checks
    it and writes a business-introducer contract (contrat d'apporteur
    d'affaires) and an offer sheet (fiche d'offre), in French, as Word files.

    \b
    Start with:
      apport validate samples/          check deal files
      apport build samples/ -o out/     write the documents
      apport schema > deal.schema.json  the format, for your editor

    Exit codes: 0 done (warnings allowed), 1 a deal is invalid or failed,
    2 bad command-line usage.
    """


@cli.command(epilog=EXAMPLES_VALIDATE)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="text: one 'file:line:col: severity: field: message' line per problem; "
                   "json: one array of objects.")
@_handle_errors
def validate(paths: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check deal files and report every problem, located.

    PATHS are deal files or folders; folders are searched recursively for
    *.yaml and *.yml files. Exits 1 when a deal has an error (or, with
    --strict, a warning).
    """
    from .deals import check_file
    from .diagnostics import to_json

    files = _deal_files(paths)
    results = [check_file(path, display, strict=strict) for path, display in files]
    diagnostics = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(to_json(diagnostics))
    else:
        for d in diagnostics:
            click.echo(str(d), err=d.severity == "error")
        bad = sum(not r.ok for r in results)
        warned = sum(any(d.severity == "warning" for d in r.diagnostics) for r in results)
        click.echo(
            f"{len(results)} deal{'s' if len(results) != 1 else ''} checked: "
            f"{len(results) - bad} valid ({warned} with warnings), {bad} invalid",
            err=True,
        )
    sys.exit(1 if any(not r.ok for r in results) else 0)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the deal format (format 1).

    Point your editor at it to get completion and checks while typing: the
    YAML extension of VS Code reads a first line such as
    '# yaml-language-server: $schema=../schema/deal.schema.json'.
    """
    from .schema import schema_json

    click.echo(schema_json(), nl=False)


def main() -> None:
    """Entry point of the ``apport`` console command."""
    cli(prog_name="apport")
