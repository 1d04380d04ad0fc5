"""``apport new``: a deal file written by answering questions, in French.

Our users are freelance assistants, not programmers: instead of editing YAML
they answer one question per field, each with its meaning, its choices and a
default, and get a commented deal file that validates.

The wizard never prints nor reads: it talks through two callables, so the
command line (``click.prompt`` on standard input), a test (a list of
answers) or any other front end can drive it::

    text = run_wizard(ask=ask, say=say, prefill=prefill_from(old_deal))

Every answer is checked at once by the model's own validators
(:mod:`generator.model`, through pydantic's ``TypeAdapter``): a wrong SIRET is
refused as it is typed, with the reason, and asked again. At the end the
whole deal goes through :func:`generator.deals.validate_loaded`, the same
path as ``apport validate``; a cross-field rule that fails (the same SIREN
for both parties, a reply date before the signature) is explained and the
fields concerned are asked again.

The file is written by :func:`deal_to_yaml`, which quotes whatever YAML would
otherwise read as something else (``yes``, ``2027``, ``null``, a SIRET) so
that the loader reads back exactly what was typed; its comments are fixed
text, never the user's.

The wizard always speaks French, whatever ``--lang`` says: its questions,
field labels and help (the same table as ``apport serve``'s forms) are about
French contracts written in French. Its lines come from the message catalogue
all the same (:func:`said`), so a sentence lives in one place.
"""

from __future__ import annotations

import difflib
import os
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticUndefined
from stdnum.fr import siret as stdnum_siret

from .diagnostics import Diagnostic
from .errors import ApportError, OutputError, WizardError
from .messages import Msg, render
from .model import Deal, message_of, model_of
from .records import record

__all__ = [
    "Choice",
    "FIELDS",
    "Question",
    "Abandoned",
    "WizardError",
    "ask_resume",
    "ask_yes",
    "choice_values",
    "check_target",
    "deal_to_yaml",
    "draft_path",
    "prefill_from",
    "read_draft",
    "remove_draft",
    "run_wizard",
    "said",
    "schema_reference",
    "write_deal",
    "write_draft",
    # the same table and readings for other front ends (apport serve)
    "SECTIONS",
    "deal_data",
    "default_value",
    "normalised_answer",
    "parse_answer",
    "relevant_fields",
    "shown_value",
    "stored_value",
]

Kind = Literal["text", "choice", "bool", "number", "integer", "date", "siret", "message"]

LANGUAGE = "fr"  # the wizard's language, whatever --lang says (see the module's docstring)


def said(code: str, **params: Any) -> str:
    """A line of the conversation: the catalogue's ``code`` in the wizard's language."""
    return render(code, params, LANGUAGE)


# --- what the front end sees ------------------------------------------------------------------


@record(frozen=True)
class Choice:
    """One allowed value of a field, with its French label."""

    value: str
    label: str


@record(frozen=True)
class Question:
    """One question put to the user.

    Attributes:
        path: the field it fills, e.g. ``"introducer.siret"``.
        prompt: the short French question, e.g. ``"SIRET de l'apporteur"``.
        help: what the field means, in French.
        choices: the allowed values (empty for free text).
        default: the text an empty answer stands for (show it); ``None``:
            an empty answer means "nothing" (or is refused when required).
        required: whether the field must have a value.
        kind: how the answer is read (``choice``, ``bool``, ``date``...).
        continuation: a further line of a multi-line answer (the message):
            an empty line ends it, so the front end must not replace an
            empty answer by anything.
    """

    path: str
    prompt: str
    help: str = ""
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    required: bool = True
    kind: Kind = "text"
    continuation: bool = False

    def details(self) -> list[str]:
        """The lines to show before the prompt: the meaning, the numbered choices, how to skip."""
        lines = [self.help] if self.help else []
        lines += [f"  {i}) {c.label} ({c.value})" for i, c in enumerate(self.choices, 1)]
        if self.kind == "bool":
            lines.append("  " + said("wizard-answer-yes-no"))
        if not self.required and self.kind != "message":
            lines.append("  " + said("wizard-optional-kept" if self.default is not None
                                     else "wizard-optional-skip"))
        return lines


Ask = Callable[[Question], str]
Say = Callable[[str], None]


# --- the fields, in the order they are asked --------------------------------------------------

_NO_DEFAULT: Any = object()


@record(frozen=True)
class _Field:
    path: str
    prompt: str
    help: str
    kind: Kind = "text"
    required: bool = True
    default: Any = _NO_DEFAULT  # a stored value; _NO_DEFAULT: the model's default, if any
    labels: Mapping[str, str] = field(default_factory=dict)  # choice value -> French label
    heading: bool = True  # False: asked inside the section before it (no title of its own)

    @property
    def section(self) -> str:
        return self.path.split(".")[0]


_LEGAL_FORMS = {
    "ei": "entrepreneur individuel (EI, micro-entreprise comprise)",
    "eurl": "EURL (SARL à associé unique)",
    "sarl": "SARL",
    "sasu": "SASU (SAS à associé unique)",
    "sas": "SAS",
    "sa": "SA",
}
_VAT = {
    "franchise": "franchise en base : pas de TVA (art. 293 B du CGI)",
    "liable": "assujetti à la TVA",
}
COMPANY_FORMS = ("eurl", "sarl", "sasu", "sas", "sa")


def _party(prefix: str, of: str) -> dict[str, _Field]:
    p = prefix
    fields = [
        _Field(f"{p}.name", f"Nom {of}",
               "Nom et prénom (entrepreneur individuel) ou dénomination de la société."),
        _Field(f"{p}.legal_form", f"Forme juridique {of}", "Sa forme juridique.", "choice",
               default="ei", labels=_LEGAL_FORMS),
        _Field(f"{p}.siret", f"SIRET {of}",
               "Numéro SIRET : 14 chiffres, espaces acceptés ; la clé de contrôle est vérifiée "
               "tout de suite.", "siret"),
        _Field(f"{p}.address", f"Adresse {of}",
               "Adresse postale (le siège social pour une société), sur une ligne, par exemple "
               "12 rue des Lilas, 69003 Lyon."),
        _Field(f"{p}.email", f"E-mail {of}", "Adresse e-mail.", required=False),
        _Field(f"{p}.share_capital", f"Capital social {of} (euros)",
               "Capital social de la société, en euros.", "number", required=False),
        _Field(f"{p}.registry", f"Ville du RCS {of}",
               "Ville du greffe où la société est immatriculée (RCS), par exemple Lyon.",
               required=False),
        _Field(f"{p}.representative.name", f"Nom du représentant {of}",
               "Nom et prénom de la personne qui signe pour la société."),
        _Field(f"{p}.representative.capacity", f"Qualité du représentant {of}",
               "Sa qualité, par exemple Présidente (SAS, SASU), Gérant (SARL, EURL), "
               "Directrice générale."),
        _Field(f"{p}.vat", f"Régime de TVA {of}",
               "Son régime de TVA : il décide de la mention sur les factures de commission.",
               "choice", required=prefix == "introducer",
               default="franchise" if prefix == "introducer" else _NO_DEFAULT, labels=_VAT),
        _Field(f"{p}.vat_number", f"N° de TVA intracommunautaire {of}",
               "FR, la clé (deux caractères) puis le SIREN, par exemple FR41946512365.",
               required=False),
    ]
    return {f.path: f for f in fields}


_FIELDS_LIST: list[_Field] = [
    _Field("reference", "Référence du dossier",
           "Une référence interne, reprise dans les documents, par exemple AA-2026-014. "
           "Sans référence, le nom du fichier en tient lieu.", required=False),
    *_party("introducer", "de l'apporteur").values(),
    *_party("beneficiary", "du bénéficiaire").values(),
    _Field("client.name", "Nom du client", "Son nom ou sa dénomination."),
    _Field("client.activity", "Activité du client",
           "Ce que fait le client, par exemple Menuiserie artisanale.", required=False),
    _Field("client.need", "Besoin du client",
           "Ce dont le client a besoin, sur une ligne, par exemple Gestion administrative, "
           "10 h par mois.", required=False),
    _Field("client.estimated_revenue", "Chiffre d'affaires estimé (euros HT)",
           "Ce que le client devrait rapporter au bénéficiaire, en euros hors taxes : par mois "
           "pour une mission récurrente, au total pour une mission ponctuelle. Sert à l'exemple "
           "chiffré de la fiche d'offre.", "number", required=False, heading=False),
    _Field("client.informed", "Le client est-il informé ?",
           "Le client sait-il que la mise en relation passe par un contrat d'apporteur "
           "d'affaires avec une commission ? C'est la bonne pratique ; sinon, un avertissement "
           "est donné.", "bool"),
    _Field("client.named_in_offer", "Nommer le client dans la fiche d'offre ?",
           "La fiche d'offre envoyée au bénéficiaire peut-elle donner le nom du client ? "
           "Non : elle le décrit sans le nommer.", "bool"),
    _Field("role.involvement", "Intervention de l'apporteur",
           "Ce que fait l'apporteur pour la mise en relation (le pourcentage se module souvent "
           "selon ce rôle).", "choice", default="introduction",
           labels={"introduction": "mise en relation seule",
                   "discovery_call": "mise en relation et appel découverte avec le client"}),
    _Field("role.commitment", "Engagement de l'apporteur",
           "Ce que l'apporteur promet une fois la mise en relation faite. Dans tous les cas, "
           "il ne négocie, ne signe et n'encaisse jamais pour le bénéficiaire.", "choice",
           default="recommendation",
           labels={"recommendation": "simple recommandation, aucun rôle ensuite",
                   "success": "engagement sur la réussite de la collaboration (suivi, aide si "
                              "cela se passe mal)"}),
    _Field("commission.rate", "Taux de commission (%)",
           "Pourcentage du chiffre d'affaires hors taxes que le client apporte, de 0 à 30 "
           "(l'usage de la profession), deux décimales au plus : par exemple 15 ou 12,5. "
           "0 : une recommandation sans commission (« avec le cœur ») : pas de contrat, "
           "seulement la fiche d'offre.", "number"),
    _Field("commission.base", "Base de la commission",
           "Le chiffre d'affaires sur lequel la commission est calculée.", "choice",
           labels={"collected": "chiffre d'affaires encaissé", "invoiced": "chiffre d'affaires "
                   "facturé"}),
    _Field("commission.payment_days", "Délai de paiement (jours)",
           "La commission est payée ce nombre de jours après que le client a payé le "
           "bénéficiaire (0 à 60).", "integer"),
    _Field("commission.covers_trial", "Commission sur un contrat d'essai ?",
           "Un contrat d'essai (souvent un mois) précède souvent le contrat long : rapporte-t-il "
           "une commission ?", "bool"),
    _Field("commission.covers_follow_on", "Commission sur les contrats suivants ?",
           "Les contrats signés après le premier pendant la période de commission (le contrat "
           "long après l'essai, les renouvellements, d'autres missions) rapportent-ils une "
           "commission ? Sinon, elle n'est due que sur le premier contrat.", "bool"),
    _Field("liability.cap", "Plafond de responsabilité",
           "La limite de la responsabilité de l'apporteur (elle ne couvre jamais la faute lourde "
           "ou intentionnelle).", "choice", default="commissions",
           labels={"commissions": "plafonnée au montant des commissions perçues",
                   "amount": "plafonnée à un montant fixe",
                   "none": "sans plafond (déconseillé)"}),
    _Field("liability.cap_amount", "Montant du plafond (euros)",
           "Le montant maximal de la responsabilité de l'apporteur, en euros (plus de 0).",
           "number"),
    _Field("duration.mission", "Type de mission",
           "La mission que le client confie au bénéficiaire.", "choice", default="recurring",
           labels={"one_shot": "ponctuelle : une seule commission",
                   "recurring": "récurrente : une commission sur chaque paiement pendant "
                                "plusieurs mois"}),
    _Field("duration.commission_months", "Durée de la commission (mois)",
           "Pendant combien de mois la commission est due, à partir du premier paiement du "
           "client (1 à 60).", "integer", default=12),
    _Field("duration.agreement_months", "Durée du contrat d'apporteur (mois)",
           "La durée du contrat d'apporteur d'affaires, en mois (1 à 60).", "integer"),
    _Field("duration.renewal", "Renouvellement", "À la fin du contrat d'apporteur.", "choice",
           labels={"none": "aucun : le contrat prend fin à son terme",
                   "tacit": "reconduction tacite, pour la même durée"}),
    _Field("duration.notice_days", "Préavis (jours)",
           "Le préavis à donner avant la fin du contrat, en jours (0 à 365).", "integer"),
    _Field("duration.tail_months", "Droit de suite (mois)",
           "La commission reste due sur les contrats signés avec le client jusqu'à ce nombre de "
           "mois après la fin du contrat d'apporteur (0 à 24 ; 0 : pas de droit de suite).",
           "integer"),
    _Field("disputes.jurisdiction", "Tribunal compétent (ville)",
           "En cas de litige, le tribunal de cette ville. Une telle clause ne lie que les "
           "commerçants : laissez vide si l'une des parties est entrepreneur individuel.",
           required=False),
    _Field("signature.place", "Lieu de signature", "La ville où le contrat est signé."),
    _Field("signature.date", "Date de signature",
           "AAAA-MM-JJ ou JJ/MM/AAAA. Sans date, le contrat porte « le ____ », à remplir à la "
           "main.", "date", required=False),
    _Field("signature.originals", "Nombre d'exemplaires originaux",
           "Au moins un par partie (2 à 10).", "integer"),
    _Field("offer.reply_by", "Date limite de réponse",
           "La date à laquelle le bénéficiaire doit répondre à l'offre (AAAA-MM-JJ ou "
           "JJ/MM/AAAA), avant la date de signature.", "date", required=False),
    _Field("offer.message", "Message personnel",
           "Un mot au bénéficiaire en tête de la fiche d'offre. Tapez-le ligne par ligne ; "
           "une ligne vide le termine. Pour changer de paragraphe, tapez une ligne avec un seul "
           "point (.). Une ligne vide tout de suite : pas de message.", "message",
           required=False),
]
FIELDS: dict[str, _Field] = {f.path: f for f in _FIELDS_LIST}

_SECTIONS = {
    "reference": ("Le dossier", ""),
    "introducer": ("L'apporteur d'affaires",
                   "Celui ou celle qui recommande le client et reçoit la commission."),
    "beneficiary": ("Le bénéficiaire",
                    "L'assistante ou l'entreprise à qui le client est recommandé ; elle verse "
                    "la commission."),
    "client": ("Le client", "Le client recommandé, qui n'est pas partie au contrat."),
    "role": ("Le rôle de l'apporteur", ""),
    "commission": ("La commission", ""),
    "liability": ("La responsabilité", ""),
    "duration": ("La durée", ""),
    "disputes": ("Les litiges", ""),
    "signature": ("La signature", ""),
    "offer": ("La fiche d'offre", "Ce que le bénéficiaire reçoit pour accepter ou refuser."),
}

# The revenue question as the mission type reads it (asked just after it).
_REVENUE = {
    "recurring": ("Chiffre d'affaires mensuel estimé du client (euros HT)",
                  "Ce que le client devrait rapporter chaque mois au bénéficiaire, en euros hors "
                  "taxes. Sert à l'exemple chiffré de la fiche d'offre."),
    "one_shot": ("Chiffre d'affaires total estimé du client (euros HT)",
                 "Ce que la mission ponctuelle devrait rapporter au bénéficiaire en tout, en "
                 "euros hors taxes. Sert à l'exemple chiffré de la fiche d'offre."),
}

# When a cross-field rule fails on a field, these are asked again with it.
_RELATED = {
    "introducer.vat_number": ("introducer.siret",),
    "beneficiary.vat_number": ("beneficiary.siret",),
}


def _plan(answers: Mapping[str, Any]) -> Iterator[_Field]:
    """The fields to ask, in order; reads ``answers`` as it goes (the branches)."""
    yield FIELDS["reference"]
    for party in ("introducer", "beneficiary"):
        for name in ("name", "legal_form", "siret", "address", "email"):
            yield FIELDS[f"{party}.{name}"]
        if answers.get(f"{party}.legal_form") in COMPANY_FORMS:
            for name in ("share_capital", "registry", "representative.name",
                         "representative.capacity"):
                yield FIELDS[f"{party}.{name}"]
        yield FIELDS[f"{party}.vat"]
        if answers.get(f"{party}.vat") == "liable":
            yield FIELDS[f"{party}.vat_number"]
    for name in ("name", "activity", "need", "informed", "named_in_offer"):
        yield FIELDS[f"client.{name}"]
    yield FIELDS["role.involvement"]
    yield FIELDS["role.commitment"]
    yield FIELDS["commission.rate"]
    if answers.get("commission.rate") == 0:
        yield FIELDS["client.estimated_revenue"]
    else:
        for name in ("base", "payment_days", "covers_trial", "covers_follow_on"):
            yield FIELDS[f"commission.{name}"]
        yield FIELDS["liability.cap"]
        if answers.get("liability.cap") == "amount":
            yield FIELDS["liability.cap_amount"]
        yield FIELDS["duration.mission"]
        yield FIELDS["client.estimated_revenue"]  # its meaning depends on the mission
        if answers.get("duration.mission") == "recurring":
            yield FIELDS["duration.commission_months"]
        for name in ("agreement_months", "renewal", "notice_days", "tail_months"):
            yield FIELDS[f"duration.{name}"]
        yield FIELDS["disputes.jurisdiction"]
    for name in ("place", "date", "originals"):
        yield FIELDS[f"signature.{name}"]
    yield FIELDS["offer.reply_by"]
    yield FIELDS["offer.message"]


# The order of the keys in the file: the spec's.
_FILE_SECTIONS = ("reference", "signature", "introducer", "beneficiary", "client", "role",
                  "liability", "commission", "duration", "disputes", "offer")
_PARTY_ORDER = ("name", "legal_form", "siret", "address", "email", "share_capital", "registry",
                "representative.name", "representative.capacity", "vat", "vat_number")


def _file_rank(path: str) -> tuple[int, int]:
    section, _, rest = path.partition(".")
    if section in ("introducer", "beneficiary"):
        return _FILE_SECTIONS.index(section), _PARTY_ORDER.index(rest)
    return _FILE_SECTIONS.index(section), list(FIELDS).index(path)


_ORDER = sorted(FIELDS, key=_file_rank)


# --- reading one answer through the model's validators ----------------------------------------


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _field_info(path: str) -> Any:
    model: type[BaseModel] | None = Deal
    *parents, last = path.split(".")
    for part in parents:
        assert model is not None
        model = model_of(model.model_fields[part].annotation)
    assert model is not None
    return model.model_fields[last]


@cache
def _adapter(path: str) -> TypeAdapter[Any]:
    """The model's own type of the field at ``path`` (validators, ranges, lengths)."""
    return TypeAdapter(_field_info(path).rebuild_annotation())


def choice_values(path: str) -> tuple[str, ...]:
    """The values the model allows for a choice field (its ``Literal``)."""
    annotation = _field_info(path).annotation
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is Literal:
            return tuple(get_args(candidate))
    raise TypeError(f"{path} is not a choice")  # pragma: no cover - a programming error


def _model_default(path: str) -> Any:
    value = _field_info(path).get_default(call_default_factory=False)
    return None if value is PydanticUndefined else value


def _default(f: _Field) -> Any:
    return _model_default(f.path) if f.default is _NO_DEFAULT else f.default


_YES = {"o", "oui", "y", "yes", "true", "vrai", "1"}
_NO = {"n", "non", "no", "false", "faux", "0"}
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def _closest(f: _Field, text: str) -> str | None:
    """The choice value a mistyped answer most likely meant (``franchize``: ``franchise``)."""
    spellings = {}
    for value in choice_values(f.path):
        spellings[value.casefold()] = value
        spellings.setdefault(f.labels.get(value, value).casefold(), value)
    close = difflib.get_close_matches(text.casefold(), list(spellings), n=1, cutoff=0.75)
    return spellings[close[0]] if close else None


def _prepare(f: _Field, raw: str) -> Any:
    """The answer as the model expects it: French habits (12,5 ; 01/12/2026 ; oui) converted."""
    text = raw.strip()
    if f.kind == "bool":
        if text.casefold() in _YES:
            return "true"
        if text.casefold() in _NO:
            return "false"
        raise _Invalid(said("wizard-yes-no"))
    if f.kind == "choice":
        values = choice_values(f.path)
        if text.isdigit() and 1 <= int(text) <= len(values):
            return values[int(text) - 1]
        for value in values:
            if text.casefold() in (value.casefold(), f.labels.get(value, value).casefold()):
                return value
        choices = Msg("wizard-choice", {"count": len(values), "values": values})
        suggestion = _closest(f, text)
        if suggestion is not None:
            raise _Invalid(said("wizard-choice-did-you-mean",
                                suggestion=suggestion, choices=choices))
        raise _Invalid(choices.render(LANGUAGE))
    if f.kind == "number":
        number = re.sub(r"[\s\u00a0\u202f]", "", text).removesuffix("€").removesuffix("%")
        if number.count(",") == 1 and "." not in number:
            number = number.replace(",", ".")
        return number
    if f.kind == "date":
        match = _FRENCH_DATE.fullmatch(text)
        if match:
            day, month, year = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return text
    if f.kind == "integer":
        return text
    return raw  # text: the model strips it and names a control character by its position


# Messages worded for a file, and their wording for the wizard, which also takes
# French ways of writing (12,5 ; 01/12/2026).
_WIZARD_WORDING = {"number-expected": "wizard-number-expected",
                   "date-expected": "wizard-date-expected",
                   "siret-length": "wizard-siret-length"}


def _parse(f: _Field, raw: str) -> Any:
    """The value to store for an answer, or :class:`_Invalid` with the reason in French."""
    if f.required and not raw.strip():
        raise _Invalid(said("wizard-required"))
    prepared = _prepare(f, raw)
    try:
        value = _adapter(f.path).validate_python(prepared)
    except ValidationError as e:
        message = message_of(e.errors(include_url=False)[0], at=tuple(f.path.split(".")))
        code = _WIZARD_WORDING.get(message.code, message.code)
        raise _Invalid(render(code, message.params, LANGUAGE)) from None
    if f.kind == "siret":
        value = stdnum_siret.format(value)
    return value


def _stored(f: _Field, value: Any) -> Any:
    """A value from elsewhere (a prefill, a default) as the wizard stores it, or _Invalid."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = _decimal(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, (int, float, str)):
        text = str(value)
    else:
        raise _Invalid("la valeur reprise n'est pas du texte")
    return _parse(f, text)


def _shown(f: _Field, value: Any) -> str | None:
    """How a stored value is proposed as the default answer."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "o" if value else "n"
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return " / ".join(text.split("\n")) if f.kind != "message" else text


# --- the conversation -------------------------------------------------------------------------



class Abandoned(Exception):
    """The user stopped the wizard (Ctrl-C); ``answers`` holds what was answered so far."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        super().__init__("abandoned")
        self.answers = dict(answers)


class _Wizard:
    def __init__(self, ask: Ask, say: Say, prefill: Mapping[str, Any],
                 resume: Mapping[str, Any], keep: bool = False) -> None:
        self.ask = ask
        self.say = say
        self.keep = keep
        self.prefill = _flatten(prefill)
        self.answers: dict[str, Any] = dict(resume)
        self.section: str | None = None

    # one field

    def current(self, f: _Field) -> Any:
        """The value an empty answer keeps: the answer already given, the prefill, the default."""
        if f.path in self.answers:
            return self.answers[f.path]
        if self.prefill.get(f.path) is not None:
            try:
                return _stored(f, self.prefill[f.path])
            except _Invalid as e:
                self.say(said("wizard-prefill-invalid", field=f.prompt, reason=e.reason))
        return _default(f)

    def kept(self, f: _Field) -> bool:
        """In ``keep`` mode, take a shared field from the prefill without asking (True)."""
        if not self.keep or not _shared(f.path):
            return False
        if self.prefill.get(f.path) is None:
            if f.required and _default(f) is None:
                return False
            self.answers[f.path] = _default(f)
            return True
        try:
            self.answers[f.path] = _stored(f, self.prefill[f.path])
        except _Invalid:
            return False  # asked, saying why
        return True

    def wording(self, f: _Field) -> tuple[str, str]:
        """The field's question and help, as the answers so far read them."""
        if f.path == "client.estimated_revenue":
            return _REVENUE.get(str(self.answers.get("duration.mission")), (f.prompt, f.help))
        return f.prompt, f.help

    def question(self, f: _Field, current: Any) -> Question:
        choices = tuple(Choice(v, f.labels.get(v, v)) for v in choice_values(f.path)) \
            if f.kind == "choice" else ()
        prompt, help = self.wording(f)
        prompt = prompt if f.required else said("wizard-optional-prompt", prompt=prompt)
        default = None if f.kind == "message" else _shown(f, current)
        return Question(f.path, prompt, help, choices, default, f.required, f.kind)

    def enter(self, f: _Field) -> None:
        if f.section != self.section and f.heading:
            self.section = f.section
            title, text = _SECTIONS[f.section]
            self.say("")
            self.say(f"— {title} —")
            if text:
                self.say(text)

    def ask_field(self, f: _Field) -> None:
        self.enter(f)
        current = self.current(f)
        if f.kind == "message":
            self.answers[f.path] = self.ask_message(f, current)
        else:
            self.answers[f.path] = self.ask_value(f, current)

    def ask_value(self, f: _Field, current: Any) -> Any:
        q = self.question(f, current)
        self.say("")
        for line in q.details():
            self.say(line)
        while True:
            raw = self.ask(q)
            text = raw.strip()
            if text == "?":
                for line in q.details():
                    self.say(line)
                continue
            if not text or (q.default is not None and raw == q.default):
                if current is not None or not f.required:
                    return current
                self.say(said("wizard-required-blank"))
                continue
            if text == "-":
                if not f.required:
                    return None
                self.say(said("wizard-required-dash"))
                continue
            try:
                return _parse(f, raw)
            except _Invalid as e:
                self.say(said("wizard-answer-refused", reason=e.reason))

    def ask_message(self, f: _Field, current: str | None) -> str | None:
        q = self.question(f, current)
        self.say("")
        for line in q.details():
            self.say(line)
        if current:
            self.say(said("wizard-message-current"))
            for line in current.split("\n"):
                self.say(f"  | {line}")
        more = Question(f.path, said("wizard-message-more"), "", (), None, False, "message",
                        continuation=True)
        while True:
            first = self.ask(q)
            if not first.strip():
                return current
            if first.strip() == "-":
                return None
            lines = [first]
            while True:
                line = self.ask(more)
                if not line.strip():
                    break
                lines.append("" if line.strip() == "." else line)
            try:
                return _parse(f, "\n".join(lines))
            except _Invalid as e:
                self.say(said("wizard-message-refused", reason=e.reason))

    # the whole deal

    def run(self, target: Path | None) -> str:
        try:
            return self.conversation(target)
        except KeyboardInterrupt:
            raise Abandoned(self.answers) from None

    def conversation(self, target: Path | None) -> str:
        for line in said("wizard-intro").split("\n"):
            self.say(line)
        # resumed answers: what was asked before the last of them was answered, or left blank
        resumed = {f.path for f in _plan(self.answers)} & set(self.answers)
        if self.keep:
            self.say(said("wizard-from-kept"))
        for f in _plan(self.answers):
            if resumed:
                resumed.discard(f.path)
                self.answers.setdefault(f.path, None)
                continue
            if not self.kept(f):
                self.ask_field(f)
        schema = schema_reference(target)
        while True:
            data = self.data()
            text = deal_to_yaml(data, schema=schema)
            diagnostics = _validate(text, data)
            errors = [d for d in diagnostics if d.severity == "error"]
            if errors:
                self.ask_again(errors)
                continue
            self.say("")
            for d in diagnostics:
                self.say(said("wizard-warning", field=self.label(d.path), problem=d.text(LANGUAGE)))
            if self.keep and not self.confirmed():
                continue
            self.say(said("wizard-complete"))
            return text

    def summary(self) -> None:
        """Every answer, section by section, as the user would read them back."""
        sections: dict[str, list[_Field]] = {}
        for f in _plan(self.answers):
            sections.setdefault(f.section, []).append(f)
        for section, fields in sections.items():
            self.say(f"— {_SECTIONS[section][0]} —")
            for f in fields:
                value = self.answers.get(f.path)
                if value is None:
                    shown = said("wizard-summary-empty")
                elif f.kind == "choice":
                    shown = f.labels.get(value, value)
                elif f.kind == "bool":
                    shown = said("wizard-yes" if value else "wizard-no")
                else:
                    shown = " / ".join(str(_shown(f, value)).split("\n"))
                self.say("  " + said("wizard-summary-line", field=self.wording(f)[0],
                                     value=shown))

    def confirmed(self) -> bool:
        """Show the summary and ask whether it is right; False after a section was re-asked."""
        self.say(said("wizard-summary"))
        self.summary()
        sections = list(dict.fromkeys(f.section for f in _plan(self.answers)))
        if ask_yes(self.ask, self.say, "confirmer", "wizard-summary-right"):
            return True
        choices = tuple(Choice(s, _SECTIONS[s][0]) for s in sections)
        which = Question("partie", said("wizard-summary-which"), choices=choices,
                         kind="choice")
        self.say("")
        for line in which.details():
            self.say(line)
        while True:
            text = self.ask(which).strip()
            chosen = next((s for i, s in enumerate(sections, 1)
                           if text == str(i) or text.casefold() in
                           (s.casefold(), _SECTIONS[s][0].casefold())), None)
            if chosen is not None:
                break
            self.say(said("wizard-choice", count=len(sections), values=sections))
        self.section = None
        for f in _plan(self.answers):
            if f.section == chosen:
                self.ask_field(f)
        return False

    def ask_again(self, errors: list[Diagnostic]) -> None:
        plan = [f.path for f in _plan(self.answers)]
        again: set[str] = set()
        self.say("")
        self.say(said("wizard-not-coherent"))
        for d in errors:
            self.say("  - " + said("wizard-problem", field=self.label(d.path),
                                   problem=d.text(LANGUAGE)))
            concerned = {p for p in plan if p == d.path or p.startswith(d.path + ".")}
            concerned |= {p for p in _RELATED.get(d.path, ()) if p in plan}
            again |= concerned
        if not again:
            raise WizardError("wizard-cannot-correct",
                              {"problems": "\n".join(str(d) for d in errors)})
        self.say(said("wizard-correct"))
        self.section = None
        for f in _plan(self.answers):
            if f.path in again or f.path not in self.answers:
                self.ask_field(f)

    def label(self, path: str) -> str:
        return FIELDS[path].prompt if path in FIELDS else path

    def data(self) -> dict[str, Any]:
        """The answers of the fields in the plan, nested in the file's order."""
        return deal_data(self.answers)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in values.items():
        *parents, last = path.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


def _validate(text: str, data: Mapping[str, Any]) -> list[Diagnostic]:
    """Validate the written text as ``apport validate`` would, and check it reads back."""
    from .deals import validate_loaded
    from .loading import load_bytes

    loaded = load_bytes(text.encode("utf-8"), "nouveau dossier")
    for path, expected in _flatten(data).items():
        got: Any = loaded.data
        for part in path.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if got != _text_of(expected):
            raise WizardError("wizard-reads-back", {"path": path, "got": repr(got),
                                                    "expected": repr(_text_of(expected))})
    return validate_loaded(loaded)[1]


def run_wizard(*, ask: Ask, say: Say, prefill: Mapping[str, Any] | None = None,
               target: str | Path | None = None, resume: Mapping[str, Any] | None = None,
               keep: bool = False) -> str:
    """Ask every question (asking a wrong answer again) and return the deal file's text.

    Args:
        ask: puts one :class:`Question` and returns the raw answer; an empty
            answer (or ``question.default``) keeps the proposed value. For a
            question with ``continuation`` set, an empty answer ends the text.
        say: shows one line (help, choices, a reason, a warning) to the user.
        prefill: values proposed as defaults, shaped like a deal file
            (``{"introducer": {"name": ...}}``), e.g. from :func:`prefill_from`.
        target: where the file will be written, for the relative
            ``$schema`` line; ``None``: relative to the current folder.
        keep: take what ``prefill`` gives for the parties and the terms
            (:func:`prefill_from`) without asking, ask the rest (the new
            client), then show a summary to confirm, or a section to change.
        resume: the answers of an abandoned run (:func:`read_draft`): the
            questions up to the last of them are not asked again.

    Returns:
        The YAML text of a deal that validates with no error (warnings are said).

    Raises:
        Abandoned: when ``ask`` raises :class:`KeyboardInterrupt` (Ctrl-C), with
            the answers so far (keep them with :func:`write_draft`).
        WizardError: on an internal inconsistency (a bug), never for an answer.
    """
    return _Wizard(ask, say, prefill or {}, resume or {}, keep).run(
        Path(target) if target is not None else None)


# --- the same table and readings for other front ends (apport serve) -------------------------

SECTIONS = _SECTIONS
"""Each section of the deal (``introducer``...) -> its French title and help."""


def relevant_fields(answers: Mapping[str, Any]) -> list[_Field]:
    """The fields that apply, in the order the wizard asks them, given the values so far.

    ``answers`` maps field paths to stored values (as :func:`parse_answer`
    returns them): a representative only for a company, ``commission_months``
    only for a recurring mission, no terms at rate 0.
    """
    return list(_plan(answers))


def parse_answer(path: str, raw: str) -> Any:
    """The value stored for an answer typed the French way (15,5 ; 1 000 € ; 10/12/2026).

    Raises:
        ValueError: with the reason in French, when the model refuses the answer.
    """
    return _reasoned(_parse, path, raw)


def normalised_answer(path: str, raw: str) -> Any:
    """An answer with the French habits converted, before the model checks it.

    Raises:
        ValueError: with the reason in French, for a yes/no or a choice not understood.
    """
    return _reasoned(_prepare, path, raw)


def stored_value(path: str, value: Any) -> Any:
    """A value read from a deal file, as the wizard stores it.

    Raises:
        ValueError: with the reason in French, when the model refuses it.
    """
    return _reasoned(_stored, path, value)


def _reasoned(reading: Callable[[_Field, Any], Any], path: str, value: Any) -> Any:
    """``reading`` of the field at ``path``, its refusal as a ValueError (for front ends)."""
    try:
        return reading(FIELDS[path], value)
    except _Invalid as e:
        raise ValueError(e.reason) from None


def shown_value(path: str, value: Any) -> str | None:
    """How a stored value is shown as an answer (``None``: no value)."""
    return _shown(FIELDS[path], value)


def default_value(path: str) -> Any:
    """The value proposed when nothing was answered (the model's default, or the wizard's)."""
    return _default(FIELDS[path])


def deal_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The relevant answers, nested in the file's order, ready for :func:`deal_to_yaml`."""
    asked = {f.path for f in _plan(answers)}
    values = {p: answers[p] for p in _ORDER if p in asked and answers.get(p) is not None}
    return _nest(values)


# --- pre-filling from an existing deal --------------------------------------------------------

_SHARED_SECTIONS = ("introducer", "beneficiary", "role", "liability", "commission", "duration",
                    "disputes")
_SHARED_SIGNATURE = ("place", "originals")


def _shared(path: str) -> bool:
    """Whether the next deal with the same parties shares this field (:func:`prefill_from`)."""
    section, _, rest = path.partition(".")
    return section in _SHARED_SECTIONS or section == "signature" and rest in _SHARED_SIGNATURE


def prefill_from(path: str | Path) -> dict[str, Any]:
    """What the next deal with the same parties shares with the deal at ``path``.

    Keeps the introducer, the beneficiary, the role, the liability, the
    commission, the duration, the disputes and the signature's place and
    originals; leaves out the client, the offer, the reference and the
    signature date. The values are the text of the file: each is checked again
    when proposed, so a deal with errors can still be used.

    Raises:
        DealError: when the file cannot be read as YAML at all.
    """
    from .loading import load_file

    data = load_file(path).data
    kept: dict[str, Any] = {k: data[k] for k in _SHARED_SECTIONS if isinstance(data.get(k), dict)}
    signature = data.get("signature")
    if isinstance(signature, dict):
        kept["signature"] = {k: signature[k] for k in _SHARED_SIGNATURE if k in signature}
    return kept


# --- the file ---------------------------------------------------------------------------------

CHECK_LINE = ("# Vérifier : apport validate FICHIER ; "
              "produire les documents : apport build FICHIER\n")
HEADER = "# Dossier d'apport d'affaires (format 1), créé par « apport new ».\n" + CHECK_LINE

_COMMENTS = {
    "signature": "Signature : lieu, date (absente : « le ____ » à remplir à la main), "
                 "nombre d'exemplaires originaux.",
    "introducer": "L'apporteur d'affaires : recommande le client et reçoit la commission.",
    "beneficiary": "Le bénéficiaire : reçoit le client recommandé et verse la commission.",
    "client": "Le client recommandé : un tiers, il ne signe pas le contrat.",
    "role": "Le rôle de l'apporteur ; il ne négocie, ne signe et n'encaisse jamais pour le "
            "bénéficiaire.",
    "liability": "La limite de responsabilité de l'apporteur (obligation de moyens).",
    "commission": "La commission : un pourcentage du chiffre d'affaires HT apporté par le client.",
    "duration": "La durée de la commission et celle du contrat d'apporteur.",
    "disputes": "Les litiges : le tribunal choisi (ne lie que les commerçants).",
    "offer": "La fiche d'offre envoyée au bénéficiaire.",
}
_NO_COMMISSION = ("La commission : taux 0, une recommandation sans commission ; seule la fiche "
                  "d'offre est produite.")

# YAML 1.1 (PyYAML, many editors) reads these plain words as booleans or null.
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}
_PLAIN_PUNCTUATION = frozenset(" .,'’&()/+-_@")
_ESCAPE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _decimal(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _text_of(value: Any) -> str:
    """The text the loader must read back for ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain_ok(text: str) -> bool:
    if not text or not text[0].isalpha() or text != text.strip():
        return False
    if text.casefold() in _RESERVED:
        return False
    if not all(ch.isalnum() or ch in _PLAIN_PUNCTUATION for ch in text):
        return False
    try:
        return yaml.safe_load(f"k: {text}\n") == {"k": text}
    except yaml.YAMLError:  # pragma: no cover - the characters above are all safe
        return False


def _quoted(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        code = ord(ch)
        if ch == "\n":
            return "\\n"
        if code <= 0xFF:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}"

    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + _ESCAPE.sub(escape, body) + '"'


def _literal(text: str, indent: int) -> str | None:
    """A ``|-`` block for multi-line text, or None when it would not read back exactly."""
    if _ESCAPE.search(text.replace("\n", "")) or "\r" in text or text[:1] in (" ", "\t", ""):
        return None
    pad = " " * indent
    block = "|-\n" + "\n".join(pad + line if line else "" for line in text.split("\n"))
    from .loading import load_bytes

    try:
        back = load_bytes(f"k: {block}\n".encode(), "-").data
    except ApportError:  # pragma: no cover - refused above
        return None
    return block if back.get("k") == text else None


def _scalar(value: Any, indent: int) -> str:
    if isinstance(value, (bool, Decimal, date, int)):
        return _text_of(value)
    text = str(value)
    if "\n" in text:
        return _literal(text, indent) or _quoted(text)
    return text if _plain_ok(text) else _quoted(text)


def _lines(data: Mapping[str, Any], depth: int, path: str) -> Iterator[str]:
    pad = "  " * depth
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield f"{pad}{key}:"
            yield from _lines(value, depth + 1, f"{path}{key}.")
            continue
        first, *rest = f"{pad}{key}: {_scalar(value, 2 * depth + 2)}".split("\n")
        comment = field_comment(f"{path}{key}")
        yield "\n".join([f"{first}  # {comment}" if comment else first, *rest])


def field_comment(path: str) -> str | None:
    """What a field is, as its line in a deal file says it: the wizard's question, the
    allowed values, whether it may be left out (from the field table: one source)."""
    f = FIELDS.get(path)
    if f is None:
        return None
    comment = f.prompt
    if f.kind == "choice":
        comment += " : " + " | ".join(choice_values(path))
    elif f.kind == "bool":
        comment += " true (oui) | false (non)"
    elif f.kind == "date":
        comment += " (AAAA-MM-JJ)"
    if not f.required:
        comment += ", facultatif"
    return comment


def deal_to_yaml(data: Mapping[str, Any], *, schema: str | None = None,
                 description: str | None = None) -> str:
    """The text of a deal file for ``data``, commented in French, field by field.

    Args:
        data: the deal, shaped like the file, with Python values (``str``,
            ``bool``, ``int``, ``Decimal``, ``date``); ``None`` values and
            empty sections are left out.
        schema: the path written on the ``$schema`` first line (none: no line).
        description: what the deal is, on the first comment lines (none: « créé
            par apport new »).

    Every text is written so that the loader reads back exactly that text:
    plain when YAML cannot mistake it, double-quoted with escapes when it
    could (``yes``, ``2027``, ``null``, ``# x``, a SIRET), a ``|-`` block when
    it holds several lines. Comments are fixed text, never a value.
    """
    out: list[str] = []
    if schema is not None:
        out.append(f"# yaml-language-server: $schema={schema}")
    if description:
        out += [f"# {line}" for line in textwrap.wrap(description, 86)]
        out.append(CHECK_LINE.rstrip("\n"))
    else:
        out.append(HEADER.rstrip("\n"))
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                continue
            comment = _COMMENTS.get(key)
            if key == "commission" and _text_of(value.get("rate")) == "0":
                comment = _NO_COMMISSION
            out.append("")
            if comment:
                out.append(f"# {comment}")
            out.append(f"{key}:")
            out.extend(_lines(value, 1, f"{key}."))
        else:
            out.append("")
            out.extend(_lines({key: value}, 0, ""))
    return "\n".join(out) + "\n"


_UNSAFE_PATH = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029#]")


def schema_reference(target: str | Path | None) -> str | None:
    """The relative ``$schema`` path for a deal written at ``target``, or None.

    A ``schema/deal.schema.json`` (or ``deal.schema.json``) in the target's
    folder or above it is preferred (a workspace made by ``apport init`` has
    one); otherwise the schema shipped with apport. None when none is found
    or the path could not sit on a comment line.
    """
    from .resources import schema_file

    folder = (Path(target).parent if target is not None else Path.cwd()).absolute()
    candidates = [c for d in (folder, *folder.parents)
                  for c in (d / "schema" / "deal.schema.json", d / "deal.schema.json")]
    for candidate in [*candidates, schema_file()]:
        if candidate.is_file():
            try:
                relative = Path(os.path.relpath(candidate.absolute(), folder)).as_posix()
            except ValueError:  # another drive (Windows)
                return None
            return None if _UNSAFE_PATH.search(relative) else relative
    return None


# --- writing it -------------------------------------------------------------------------------

DEAL_SUFFIXES = (".yaml", ".yml")


def check_target(path: str | Path) -> None:
    """Refuse, before any question, a target that could not be written as a new deal.

    Raises:
        OutputError: when the file exists (it is never overwritten), its folder
            does not, or its name does not end in .yaml or .yml.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise OutputError(str(path), "deal-file-exists")
    if not path.parent.is_dir():
        raise OutputError(str(path), "deal-folder-missing", {"folder": str(path.parent)})
    if path.suffix not in DEAL_SUFFIXES:
        raise OutputError(str(path), "deal-file-suffix")


def write_deal(path: str | Path, text: str) -> None:
    """Create the deal file ``path``; an existing file is never overwritten.

    Raises:
        OutputError: when the file exists or cannot be written.
    """
    from .writing import write_new

    write_new(path, text.encode("utf-8"))


# --- a draft: the answers of an abandoned run -------------------------------------------------


def draft_path(target: str | Path) -> Path:
    """Where the answers for ``target`` are kept when the wizard is abandoned: a hidden file
    beside it, whose name does not end in .yaml (``apport build`` never takes it for a deal)."""
    target = Path(target)
    return target.with_name(f".{target.name}.brouillon")


def write_draft(target: str | Path, answers: Mapping[str, Any]) -> Path:
    """Keep ``answers`` (those of :class:`Abandoned`) beside ``target``; return the draft's path.

    The draft is a deal file, as far as it goes; a blank answer is not in it.

    Raises:
        OutputError: when it cannot be written.
    """
    from .writing import write_replacing

    path = draft_path(target)
    kept = {p: answers[p] for p in _ORDER if answers.get(p) is not None}
    text = deal_to_yaml(_nest(kept), description=said(
        "wizard-draft-description", target=Path(target).name, count=len(kept)))
    write_replacing(path, text.encode("utf-8"))
    return path


def read_draft(target: str | Path) -> dict[str, Any] | None:
    """The answers kept for ``target`` (for ``resume``), or None when there is no usable draft.

    An answer the model no longer accepts is left out (it is asked again).
    """
    from .loading import load_file

    path = draft_path(target)
    if not path.is_file() or path.is_symlink():
        return None
    try:
        flat = _flatten(load_file(path).data)
    except ApportError:
        return None
    answers: dict[str, Any] = {}
    for p, value in flat.items():
        if p in FIELDS:
            try:
                answers[p] = _stored(FIELDS[p], value)
            except _Invalid:
                continue
    return answers or None


def remove_draft(target: str | Path) -> None:
    """Remove the draft kept for ``target`` (the deal is written); a link is left alone."""
    path = draft_path(target)
    if path.is_file() and not path.is_symlink():
        path.unlink(missing_ok=True)


def ask_resume(ask: Ask, say: Say, answers: Mapping[str, Any]) -> bool:
    """Offer to resume a draft of ``answers``: True for yes."""
    say(said("wizard-draft-found", count=len(answers)))
    return ask_yes(ask, say, "brouillon", "wizard-draft-resume")


def ask_yes(ask: Ask, say: Say, path: str, code: str) -> bool:
    """Ask the yes/no question ``code`` (Enter: yes) until the answer is one: True for yes."""
    question = Question(path, said(code), default="o", kind="bool")
    while True:
        text = ask(question).strip().casefold()
        if not text or text in _YES:
            return True
        if text in _NO:
            return False
        say(said("wizard-yes-no"))
