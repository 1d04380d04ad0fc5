"""A workspace: a folder of deals with its own clauses, templates and config.

``apport init DIR`` creates one; any command run inside it (or below it)
finds ``apport.toml`` by walking up, as mkdocs and copier find theirs.
Command-line options override the config; outside a workspace the built-in
library is used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, OutputError
from .records import record
from .resources import clauses_dir, guide_file, samples_dir, schema_file, templates_dir

if TYPE_CHECKING:
    import tomllib

CONFIG = "apport.toml"
GUIDE = "GUIDE.md"
KEYS = ("deals", "out", "clauses", "templates")
MUST_EXIST = ("deals", "clauses", "templates")  # out is created by the first build

CONFIG_TEXT = """\
# apport workspace: the paths below are relative to this file.
[apport]
deals = "deals"          # your deal files (*.yaml)
out = "out"              # where contracts and offer sheets are written
clauses = "clauses"      # your clause library (offer sections in clauses/offre/)
templates = "templates"  # contrat.docx and offre.docx: the look of the documents
"""

LISEZMOI = """\
# Mon espace apport

Ce dossier contient tout ce qu'il faut pour préparer vos contrats d'apporteur
d'affaires et vos fiches d'offre.

- `deals/` : un fichier par mise en relation (un « dossier »). `exemple.yaml`
  montre tous les champs ; pour en créer un nouveau, tapez `apport new
  deals/prenom-client.yaml` et répondez aux questions.
- `clauses/` : le texte des articles du contrat, un fichier par clause, et
  `clauses/offre/` celui de la fiche d'offre. Vous pouvez les modifier :
  pensez à augmenter le numéro `version` en tête du fichier.
- `templates/` : la mise en page (modèles Word). Ouvrez-les dans Word ou
  LibreOffice pour changer les polices, l'en-tête ou le pied de page.
- `out/` : les documents produits.

Les commandes, à taper dans ce dossier :

    apport validate          vérifier tous les dossiers
    apport build             produire les contrats et les fiches d'offre
    apport build --review    contrats annotés pour le juriste
    apport build --pdf       avec une version PDF de chaque document
    apport offer deals/exemple.yaml --eml offre.eml
                             un e-mail prêt à envoyer, fiche d'offre jointe

Le guide complet, pas à pas : [GUIDE.md](GUIDE.md), dans ce dossier.
Chaque contrat est un projet : faites-le relire par un juriste avant signature.
"""


@record(frozen=True)
class Workspace:
    """A workspace's root and its configured folders (absolute paths)."""

    root: Path
    deals: Path
    out: Path
    clauses: Path
    templates: Path


def find_workspace(start: str | Path | None = None) -> Workspace | None:
    """The workspace containing ``start`` (default: the current folder), if any.

    Raises:
        ConfigError: when an ``apport.toml`` is found but cannot be read.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        config = folder / CONFIG
        if config.is_file():
            return load_workspace(config)
    return None


def load_workspace(config: Path) -> Workspace:
    """Read a workspace's ``apport.toml``.

    Raises:
        ConfigError: located at the line and column of the problem: not TOML,
            no ``[apport]`` section, an unknown key, a value that is not a
            folder name, or a folder (``deals``, ``clauses``, ``templates``)
            that does not exist.
    """
    import tomllib  # only where there is an apport.toml: 1.5 ms of every other start

    try:
        text = config.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise ConfigError("config-unreadable", {"reason": reason}, file=str(config)) from None
    except tomllib.TOMLDecodeError as e:
        detail, line, column = _toml_position(e)
        raise ConfigError("config-invalid", {"detail": detail}, file=str(config),
                          line=line, column=column) from None
    section = data.get("apport")
    if not isinstance(section, dict):
        raise ConfigError("config-no-section", file=str(config), line=1, column=1)
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError("config-unknown-key", {"key": unknown[0], "known": list(KEYS)},
                          file=str(config), **_where(text, unknown[0], value=False))
    paths = {}
    for key in KEYS:
        value = section.get(key, key)
        if not isinstance(value, str) or not value:
            raise ConfigError("config-not-folder-name", {"key": key}, file=str(config),
                              **_where(text, key))
        paths[key] = (config.parent / value).resolve()
        if key in MUST_EXIST and not paths[key].is_dir():
            raise ConfigError("config-folder-missing",
                              {"key": key, "folder": str(paths[key]), "config": CONFIG},
                              file=str(config), **_where(text, key))
    return Workspace(root=config.parent.resolve(), **paths)


def _where(text: str, key: str, *, value: bool = True) -> dict[str, int | None]:
    """The line and column of ``key = ...`` (of its value, or of the key itself)."""
    for number, line in enumerate(text.split("\n"), start=1):
        match = re.match(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=\s*", line)
        if match:
            return {"line": number, "column": (match.end() if value else line.index(key)) + 1}
    return {"line": None, "column": None}


def _toml_position(error: tomllib.TOMLDecodeError) -> tuple[str, int | None, int | None]:
    """tomllib's problem and its position (Python < 3.14 has them only in the message)."""
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    detail = getattr(error, "msg", None) or str(error)
    match = re.search(r" \(at line (\d+), column (\d+)\)$", detail)
    if match:
        detail, line, column = detail[:match.start()], int(match[1]), int(match[2])
    return detail.removesuffix(" (at end of document)"), line, column


def init(target: str | Path) -> Workspace:
    """Create a workspace in ``target`` (a new or empty folder).

    Raises:
        OutputError: when ``target`` already holds a workspace or other files.
    """
    from .writing import copy_tree_new, ensure_folder, write_new

    target = Path(target)
    if (target / CONFIG).exists():
        raise OutputError(str(target / CONFIG), "workspace-exists")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(str(target), "workspace-folder-not-empty")
    ensure_folder(target)
    copy_tree_new(clauses_dir(), target / "clauses")
    copy_tree_new(templates_dir(), target / "templates")
    write_new(target / "schema" / schema_file().name, _read(schema_file()))
    ensure_folder(target / "deals")
    write_new(target / "deals" / "exemple.yaml",
              _read(samples_dir() / "julie-atelier-bois.yaml"))
    write_new(target / "LISEZMOI.md", LISEZMOI.encode("utf-8"))
    write_new(target / GUIDE, _read(guide_file()))
    write_new(target / CONFIG, CONFIG_TEXT.encode("utf-8"))
    return load_workspace(target / CONFIG)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise OutputError(str(path), "file-unreadable", {"reason": e.strerror or str(e)}) from None
