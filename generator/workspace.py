"""A workspace: a folder of deals with its own clauses, templates and config.

``apport init DIR`` creates one; any command run inside it (or below it)
finds ``apport.toml`` by walking up, as mkdocs and copier find theirs.
Command-line options override the config; outside a workspace the built-in
library is used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import ApportError, OutputError
from .resources import clauses_dir, guide_file, samples_dir, schema_file, templates_dir

CONFIG = "apport.toml"
GUIDE = "GUIDE.md"
KEYS = ("deals", "out", "clauses", "templates")

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


@dataclass(frozen=True)
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
        ApportError: when an ``apport.toml`` is found but cannot be read.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        config = folder / CONFIG
        if config.is_file():
            return load_workspace(config)
    return None


def load_workspace(config: Path) -> Workspace:
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ApportError(f"{config}: error: cannot read the workspace config: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ApportError(f"{config}: error: {e}") from None
    section = data.get("apport")
    if not isinstance(section, dict):
        raise ApportError(f"{config}: error: an [apport] section is required")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ApportError(f"{config}: error: unknown key '{unknown[0]}' in [apport] "
                          f"(known: {', '.join(KEYS)})")
    paths = {}
    for key in KEYS:
        value = section.get(key, key)
        if not isinstance(value, str) or not value:
            raise ApportError(f"{config}: error: '{key}' must be a folder name")
        paths[key] = (config.parent / value).resolve()
    return Workspace(root=config.parent.resolve(), **paths)


def init(target: str | Path) -> Workspace:
    """Create a workspace in ``target`` (a new or empty folder).

    Raises:
        OutputError: when ``target`` already holds a workspace or other files.
    """
    from .writing import copy_tree_new, ensure_folder, write_new

    target = Path(target)
    if (target / CONFIG).exists():
        raise OutputError(f"{target / CONFIG}: error: a workspace already exists here; "
                          "nothing was changed")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(f"{target}: error: the folder is not empty; choose a new folder")
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
        raise OutputError(f"{path}: error: cannot read: {e.strerror or e}") from None
