"""Working with a clause library: list it, export it, check it against the options.

``check`` renders every clause of a library (contract, offer and client
notice) against a
pairwise-covering set of option combinations: every pair of values of any
two options appears in at least one deal, so a clause that breaks for some
combination of two options is caught without rendering all of them.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .clauses import Library, load_library, render
from .errors import ApportError, ClauseError, OutputError
from .messages import Msg, params_to_json
from .messages import render as render_message
from .records import record
from .resources import CLIENT_SUBDIR, OFFER_SUBDIR, clauses_dir

# A valid deal (as the loader would give it: text values) that every
# combination starts from.
BASE_DEAL: dict[str, Any] = {
    "reference": "MATRICE",
    "signature": {"place": "Lyon", "date": "2026-12-01", "originals": "2"},
    "introducer": {"name": "Marie Dupont", "legal_form": "ei", "siret": "91949250400007",
                   "address": "12 rue des Lilas, 69003 Lyon", "vat": "franchise"},
    "beneficiary": {"name": "Julie Martin", "legal_form": "ei", "siret": "94651236500002",
                    "address": "3 place Bellecour, 69002 Lyon"},
    "client": {"name": "Atelier Bois & Co", "activity": "Menuiserie", "need": "Secrétariat",
               "estimated_revenue": "600", "informed": "true", "named_in_offer": "false"},
    "role": {"involvement": "introduction", "commitment": "recommendation"},
    "liability": {"cap": "commissions"},
    "commission": {"rate": "15", "base": "collected", "payment_days": "15",
                   "covers_trial": "true", "covers_follow_on": "true"},
    "duration": {"mission": "recurring", "commission_months": "12", "agreement_months": "12",
                 "renewal": "none", "notice_days": "30", "tail_months": "0"},
    "offer": {"reply_by": "2026-11-24", "message": "Bonjour,\n\nVoici mon offre."},
}

COMPANY = {"legal_form": "sasu", "share_capital": "1000", "registry": "Lyon",
           "representative": {"name": "Julie Martin", "capacity": "Présidente"}}
# The office of a company's representative, by form (a SARL has a gérante).
CAPACITY = {"eurl": "Gérante", "sarl": "Gérante", "sasu": "Présidente", "sas": "Présidente",
            "sa": "Directrice générale"}

# option -> its values; each value is a function of the deal dict (in place).
OPTIONS: dict[str, list[str]] = {
    "role.involvement": ["introduction", "discovery_call"],
    "role.commitment": ["recommendation", "success"],
    "liability.cap": ["commissions", "amount", "none"],
    "duration.mission": ["recurring", "one_shot"],
    "commission.covers_trial": ["true", "false"],
    "commission.covers_follow_on": ["true", "false"],
    "commission.base": ["collected", "invoiced"],
    "duration.renewal": ["none", "tacit"],
    "duration.tail_months": ["0", "6"],
    "disputes.jurisdiction": ["", "Lyon"],
    "introducer.vat": ["franchise", "liable"],
    "client.informed": ["true", "false"],
    "client.named_in_offer": ["false", "true"],
    "signature.date": ["2026-12-01", ""],
    "client.estimated_revenue": ["600", ""],
    "beneficiary.legal_form": ["ei", "sasu"],
    "introducer.legal_form": ["ei", "sarl"],
}


def _apply(deal: dict[str, Any], option: str, value: str) -> None:
    section, key = option.split(".")
    if option.endswith("legal_form") and value != "ei":
        deal[section].update(copy.deepcopy(COMPANY))
        deal[section]["legal_form"] = value
        deal[section]["representative"]["capacity"] = CAPACITY[value]
        return
    if value == "":
        deal.setdefault(section, {}).pop(key, None)
        return
    deal.setdefault(section, {})[key] = value
    if option == "liability.cap" and value == "amount":
        deal["liability"]["cap_amount"] = "5000"
    if option == "duration.mission" and value == "one_shot":
        deal["duration"].pop("commission_months", None)


def _gain(row: dict[str, str], option: str, uncovered: set[tuple[str, str, str, str]],
          value: str) -> int:
    """How many pairs not yet covered ``option = value`` would cover in ``row``."""
    return sum((x, row[x], option, value) in uncovered or (option, value, x, row[x]) in uncovered
               for x in row)


def pairwise(options: dict[str, list[str]]) -> list[dict[str, str]]:
    """A small set of rows in which every pair of values of two options appears.

    Greedy and deterministic: each new row starts from a pair not yet
    covered and picks, option by option, the value covering most new pairs.
    """
    names = list(options)
    uncovered = {(a, va, b, vb) for a, b in itertools.combinations(names, 2)
                 for va in options[a] for vb in options[b]}
    rows: list[dict[str, str]] = []
    while uncovered:
        a, va, b, vb = min(uncovered)
        row = {a: va, b: vb}
        for name in names:
            if name in row:
                continue
            row[name] = max(options[name], key=functools.partial(_gain, row, name, uncovered))
        for x, y in itertools.combinations(names, 2):
            uncovered.discard((x, row[x], y, row[y]))
        rows.append(row)
    return rows


def option_deals() -> Iterator[tuple[Msg, dict[str, Any]]]:
    """Deal dicts covering every pair of option values, then a commission of 0; each with
    its label (``combination 3 (option=value, ...)``), a message."""
    for i, row in enumerate(pairwise(OPTIONS), start=1):
        deal = copy.deepcopy(BASE_DEAL)
        for option, value in row.items():
            _apply(deal, option, value)
        options = [f"{k}={v}" if v else Msg("check-option-absent", {"option": k})
                   for k, v in row.items()]
        yield Msg("check-combination", {"number": i, "options": options}), deal
    zero = copy.deepcopy(BASE_DEAL)
    zero["commission"] = {"rate": "0"}
    del zero["liability"], zero["duration"]
    yield Msg("check-combination-zero"), zero


def _text_problems(rendered: Any, folder: str) -> list[ApportError]:
    problems = []
    numbers = [a.number for a in rendered.articles]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(ApportError("check-misnumbered", {"numbers": numbers,
                                                          "count": len(numbers)}, file=folder))
    for article in rendered.articles:
        text = " ".join(b.text for b in article.blocks)
        for leftover in ("{{", "{%", "**", "\ue000", "None"):
            if leftover in text:
                problems.append(ApportError("check-leftover", {"article": article.id,
                                                               "leftover": repr(leftover)},
                                            file=folder))
    return problems


@record
class Problem:
    """One problem of a library, found in ``count`` of the ``total`` combinations rendered."""

    error: ApportError
    kind: str  # contract | offer
    count: int
    total: int
    example: Msg | str  # the first combination that shows it

    def render(self, lang: str | None = None) -> str:
        if not self.total:  # not a matter of combinations
            return self.error.render(lang)
        where = Msg("check-in-combinations", {"kind": Msg(f"check-kind-{self.kind}"),
                                               "count": self.count, "total": self.total,
                                               "example": self.example})
        return f"{self.error.render(lang)} ({where.render(lang)})"

    def __str__(self) -> str:
        return self.render()


_SUBDIRS = {"contract": "", "offer": OFFER_SUBDIR, "client": CLIENT_SUBDIR}


def _changed_without_version(libraries: list[tuple[str, Library]]) -> list[Problem]:
    """Clauses whose text differs from the built-in clause of the same ``id@version``."""
    problems = []
    for kind, library in libraries:
        builtin_folder = clauses_dir() / _SUBDIRS[kind]
        if Path(library.folder).resolve() == builtin_folder.resolve():
            continue
        builtin = {c.key: c for c in load_library(builtin_folder).clauses}
        for clause in library.clauses:
            original = builtin.get(clause.key)
            if original is not None and original.sha256 != clause.sha256:
                error = ClauseError(clause.file, "clause-changed-same-version",
                                    {"clause": clause.key, "recorded": original.sha256[:12],
                                     "now": clause.sha256[:12]}, clause.id_line)
                problems.append(Problem(error, kind, 1, 0, ""))
    return problems


def check(folder: str | Path) -> tuple[list[Problem], int]:
    """Render a library's clauses against every option combination.

    A problem that several combinations share is reported once, with how many
    combinations show it and the first of them; a clause whose text differs
    from the built-in clause of the same ``id@version`` is a problem too (its
    version must go up).

    Returns:
        The problems found, in the order first met, and the number of
        combinations rendered.
    """
    from .model import Deal
    from .offer import offer_terms
    from .terms import derive, facts

    folder = Path(folder)
    libraries: list[tuple[str, Library]] = [("contract", load_library(folder)),
                                            ("offer", load_library(folder / OFFER_SUBDIR)),
                                            ("client", load_library(folder / CLIENT_SUBDIR))]
    found: dict[tuple[str, ...], Problem] = {}
    totals = {"contract": 0, "offer": 0, "client": 0}
    combos = 0
    for label, data in option_deals():
        deal = Deal.model_validate(data)
        combos += 1
        for kind, library in libraries:
            if kind == "contract" and not deal.has_commission:
                continue
            totals[kind] += 1
            terms = (offer_terms(deal, reference="MATRICE") if kind == "offer"
                     else derive(deal, reference="MATRICE"))
            deal_facts = facts(deal)
            if kind == "offer" and not deal.client.named_in_offer:
                deal_facts["client"]["name"] = None
            try:
                rendered = render(library, deal_facts, terms.as_context())
                errors = _text_problems(rendered, library.folder)
            except ApportError as e:
                errors = [e]
            for error in errors:
                key = (kind, error.file or "", str(error.line or 0), error.code,
                       params_to_json(error.params))
                if key in found:
                    found[key].count += 1
                else:
                    found[key] = Problem(error, kind, 1, 0, label)
    for problem in found.values():
        problem.total = totals[problem.kind]
    return _changed_without_version(libraries) + list(found.values()), combos


def listing(folder: str | Path) -> list[str]:
    """One line per clause: ``id@version  title  [when ...]``."""
    lines: list[str] = []
    for kind, path in (("contract", Path(folder)), ("offer", Path(folder) / OFFER_SUBDIR),
                       ("client", Path(folder) / CLIENT_SUBDIR)):
        library = load_library(path)
        lines.append(render_message(f"listing-{kind}", {"folder": str(path)}))
        for c in library.clauses:
            what = c.title if c.title else "  " + render_message("listing-part-of",
                                                                 {"parent": c.part_of})
            when = "  " + render_message("listing-when", {"when": c.when}) if c.when else ""
            lines.append(f"{c.key:<40} {what}{when}")
        lines.append("")
    return lines[:-1]


def export(clauses: str | Path, templates: str | Path, target: str | Path) -> int:
    """Copy a clause library and its templates into ``target`` (``clauses/``, ``templates/``),
    a root that ``--clauses`` accepts.

    Raises:
        OutputError: when ``target`` exists and is not an empty folder.
    """
    from .writing import copy_tree_new, ensure_folder

    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(str(target), "export-target-not-empty")
    ensure_folder(target)
    return (copy_tree_new(Path(clauses), target / "clauses")
            + copy_tree_new(Path(templates), target / "templates"))
