"""``apport new``: the guided entry (generator.wizard), driven by scripted answers.

Each test answers the questions as a user would (a list, or answers by field),
then reads the written text back through the real loader and validator
(:func:`generator.deals.check_file`), as ``apport validate`` would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import SAMPLES, SCHEMA
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from generator.deals import CheckedDeal, check_file
from generator.diagnostics import DealError, OutputError
from generator.loading import load_bytes
from generator.model import Deal
from generator.wizard import (
    FIELDS,
    Question,
    check_target,
    choice_values,
    deal_to_yaml,
    prefill_from,
    run_wizard,
    schema_reference,
    write_deal,
)

JULIE = SAMPLES / "julie-atelier-bois.yaml"


# --- driving the wizard -----------------------------------------------------------------------


class Script:
    """Answers for ``run_wizard``: a list popped in order, or answers by field path.

    By path, a value is one answer or a list of successive answers for that field
    (a wrong one, then the right one; or the lines of the message); a field with no
    answer left gets an empty answer (Enter: the proposed value).
    """

    def __init__(self, answers: Sequence[str] | Mapping[str, str | Sequence[str]]) -> None:
        if isinstance(answers, Mapping):
            self.by_path = {k: [v] if isinstance(v, str) else list(v) for k, v in answers.items()}
            self.in_order: list[str] | None = None
        else:
            self.by_path = {}
            self.in_order = list(answers)
        self.questions: list[Question] = []
        self.given: list[str] = []
        self.said: list[str] = []

    def ask(self, question: Question) -> str:
        self.questions.append(question)
        assert len(self.questions) < 400, "the wizard keeps asking:\n" + "\n".join(self.said[-20:])
        if self.in_order is not None:
            assert self.in_order, f"no answer left for {question.path}"
            answer = self.in_order.pop(0)
        else:
            left = self.by_path.get(question.path)
            answer = left.pop(0) if left else ""
        self.given.append(answer)
        return answer

    def say(self, line: str) -> None:
        assert "\n" not in line, line
        self.said.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.said)

    def asked(self, path: str) -> int:
        return sum(q.path == path and not q.continuation for q in self.questions)

    def run(self, **kwargs: Any) -> str:
        return run_wizard(ask=self.ask, say=self.say, **kwargs)


def checked(text: str, tmp_path: Path, name: str = "nouveau.yaml") -> CheckedDeal:
    """The wizard's text written where a user would, and read back as ``apport validate`` does."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check_file(path, name)
    assert result.deal is not None, "\n".join(str(d) for d in result.diagnostics)
    assert not [d for d in result.diagnostics if d.severity == "error"]
    return result


# Two individual entrepreneurs, a recurring mission: the least a user must type.
MINIMAL = {
    "introducer.name": "Sophie Leroy",
    "introducer.siret": "987 789 328 00018",
    "introducer.address": "8 quai de la Fosse, 44000 Nantes",
    "beneficiary.name": "Camille Bernard",
    "beneficiary.siret": "99217421900012",
    "beneficiary.address": "27 boulevard Guist'hau, 44000 Nantes",
    "client.name": "Boulangerie Au Pain Doré",
    "client.informed": "o",
    "commission.rate": "10",
    "signature.place": "Nantes",
}


def minimal(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """MINIMAL with some answers changed; ``client__name`` stands for ``client.name``."""
    return {**MINIMAL, **{k.replace("__", "."): v for k, v in changes.items()}}


# --- a whole deal, question by question -------------------------------------------------------

FULL_RECURRING = [
    "AA-2026-099",                      # reference
    "Marie Dupont", "1", "919 492 504 00007", "12 rue des Lilas, 69003 Lyon",
    "marie@md-assistance.fr", "",       # introducer: ..., vat (Enter: franchise)
    "Assist'Pro", "sasu", "94651236500002", "3 place Bellecour, 69002 Lyon", "",
    "1 000", "Lyon", "Julie Martin", "Présidente", "2", "FR 41 946512365",
    "Atelier Bois & Co", "Menuiserie artisanale", "Gestion administrative, 10 h par mois",
    "o", "non",                         # client
    "2", "recommendation",              # role: by number, by value
    "12,5", "", "", "", "",             # commission: French decimal, then the defaults
    "",                                 # liability: commissions
    "", "600", "24", "", "2", "60", "6",  # duration: recurring, 600 a month, 24 months...
    "",                                 # disputes: none
    "Lyon", "01/12/2026", "",           # signature: French date, 2 originals
    "2026-11-24", "Bonjour Julie,", ".", "Un client pour toi.", "",
]


def test_a_full_recurring_deal_with_a_company_beneficiary(tmp_path):
    script = Script(FULL_RECURRING)
    text = script.run(target=tmp_path / "julie.yaml")
    assert script.in_order == []  # every answer used, no question more
    deal = checked(text, tmp_path).deal
    assert deal is not None
    assert deal.reference == "AA-2026-099"
    assert deal.introducer.legal_form == "ei" and deal.introducer.vat == "franchise"
    assert deal.introducer.siret == "91949250400007"
    b = deal.beneficiary
    assert (b.legal_form, b.siret, b.share_capital, b.registry) == (
        "sasu", "94651236500002", Decimal(1000), "Lyon")
    assert b.representative is not None and b.representative.capacity == "Présidente"
    assert (b.vat, b.vat_number) == ("liable", "FR41946512365")
    assert deal.client.informed is True and deal.client.named_in_offer is False
    assert deal.client.estimated_revenue == 600
    assert (deal.role.involvement, deal.role.commitment) == ("discovery_call", "recommendation")
    assert deal.commission.rate == Decimal("12.5")
    assert deal.commission.base == "collected" and deal.commission.payment_days == 15
    assert deal.liability is not None and deal.liability.cap == "commissions"
    d = deal.duration
    assert d is not None
    assert (d.mission, d.commission_months, d.agreement_months, d.renewal, d.notice_days,
            d.tail_months) == ("recurring", 24, 12, "tacit", 60, 6)
    assert deal.signature.date == date(2026, 12, 1) and deal.signature.originals == 2
    assert deal.offer.reply_by == date(2026, 11, 24)
    assert deal.offer.message == "Bonjour Julie,\n\nUn client pour toi."
    # the file reads like the samples: quoted SIRET, block message, comments in French
    assert '  siret: "946 512 365 00002"' in text
    assert ("  message: |-  # Message personnel, facultatif\n"
            "    Bonjour Julie,\n\n    Un client pour toi.\n") in text
    assert "\n# Le bénéficiaire : " in text
    # the questions carry their meaning and choices in French
    involvement = next(q for q in script.questions if q.path == "role.involvement")
    assert [(c.value, c.label) for c in involvement.choices] == [
        ("introduction", "mise en relation seule"),
        ("discovery_call", "mise en relation et appel découverte avec le client")]
    assert ("  2) mise en relation et appel découverte avec le client (discovery_call)"
            in script.said)
    assert "Le dossier est complet et valide." in script.said


def test_the_questions_come_section_by_section(tmp_path):
    script = Script(minimal())
    script.run(target=tmp_path / "x.yaml")
    sections = []
    for q in script.questions:
        if q.path == "client.estimated_revenue":  # asked with the mission type (see below)
            continue
        section = q.path.split(".")[0]
        if not sections or sections[-1] != section:
            sections.append(section)
    assert sections == ["reference", "introducer", "beneficiary", "client", "role", "commission",
                        "liability", "duration", "disputes", "signature", "offer"]
    # an individual entrepreneur has no representative, share capital or registry to give
    assert not [q.path for q in script.questions
                if ".representative." in q.path or q.path.endswith(("share_capital", "registry"))]
    assert "— Le bénéficiaire —" in script.said


# --- every answer checked at once -------------------------------------------------------------


def test_a_wrong_siret_is_refused_with_the_reason_and_asked_again(tmp_path):
    script = Script(minimal(introducer__siret=["919 492 504 00008", "919 492 504 0000",
                                               "919 492 504 00007"]))
    text = script.run(target=tmp_path / "x.yaml")
    assert script.asked("introducer.siret") == 3
    assert ("Réponse refusée : 919 492 504 00008 n'est pas un SIRET valide : la clé de contrôle "
            "ne correspond pas (un chiffre est sans doute mal tapé). Recommencez.") in script.said
    assert ("Réponse refusée : doit compter 14 chiffres (vous en avez tapé 13). Recommencez."
            in script.said)
    deal = checked(text, tmp_path).deal
    assert deal is not None and deal.introducer.siret == "91949250400007"


@pytest.mark.parametrize(("path", "wrong", "reason", "right", "expected"), [
    ("commission.rate", "35", "doit être au plus 30 (l'usage de la profession", "30", Decimal(30)),
    ("commission.rate", "12,345", "deux décimales au plus (reçu 12.345)", "12,34",
     Decimal("12.34")),
    ("commission.rate", "quinze", "doit être un nombre, par exemple 15 ou 12,5", "15", Decimal(15)),
    ("signature.date", "31/02/2027", "cette date n'existe pas (2027-02-31)", "28/2/2027",
     date(2027, 2, 28)),
    ("signature.date", "demain", "doit être une date écrite AAAA-MM-JJ ou JJ/MM/AAAA",
     "2027-02-01", date(2027, 2, 1)),
    ("client.informed", "peut-être", "répondez o (oui) ou n (non)", "OUI", True),
    ("role.involvement", "3", "choisissez un numéro de 1 à 2 ou l'une des valeurs : "
     "introduction, discovery_call", "Mise en relation seule", "introduction"),
    ("signature.originals", "1", "doit être au moins 2", "3", 3),
    ("client.name", "Atelier\x07Bois", "contient un caractère de contrôle invisible (U+0007) en "
     "position 8", "Atelier Bois", "Atelier Bois"),
    ("introducer.email", "marie@", "n'est pas une adresse e-mail", "marie@exemple.fr",
     "marie@exemple.fr"),
    ("client.estimated_revenue", "1 234,56 €", None, "", Decimal("1234.56")),
])
def test_each_answer_is_checked_by_the_model(tmp_path, path, wrong, reason, right, expected):
    script = Script(minimal(**{path.replace(".", "__"): [wrong, right]}))
    text = script.run(target=tmp_path / "x.yaml")
    refused = [line for line in script.said if line.startswith("Réponse refusée")]
    if reason is None:  # the "wrong" answer was a French way of writing a right one
        assert not refused and script.asked(path) == 1
    else:
        assert len(refused) == 1 and reason in refused[0], script.text
        assert script.asked(path) == 2
    deal = checked(text, tmp_path).deal
    node: Any = deal
    for part in path.split("."):
        node = getattr(node, part)
    assert node == expected


def test_a_required_answer_cannot_be_skipped_and_help_comes_back_on_request(tmp_path):
    script = Script(minimal(signature__place=["", "?", "Nantes"]))
    script.run(target=tmp_path / "x.yaml")
    assert script.asked("signature.place") == 3
    assert "Cette réponse est obligatoire." in script.said
    assert script.said.count("La ville où le contrat est signé.") == 2


# --- the branches -----------------------------------------------------------------------------


def test_a_rate_of_0_skips_the_commission_terms_liability_and_duration(tmp_path):
    script = Script(minimal(commission__rate="0"))
    text = script.run(target=tmp_path / "coeur.yaml")
    asked = {q.path for q in script.questions}
    assert "commission.rate" in asked
    assert not [p for p in asked if p.startswith(("liability.", "duration.", "disputes."))
                or p.startswith("commission.") and p != "commission.rate"]
    assert text.endswith("commission:\n  rate: 0  # Taux de commission (%)\n")
    assert "liability:" not in text and "duration:" not in text
    assert "# La commission : taux 0, une recommandation sans commission" in text
    deal = checked(text, tmp_path).deal
    assert deal is not None and not deal.has_commission


def test_a_one_shot_mission_with_a_fixed_cap(tmp_path):
    script = Script(minimal(liability__cap="amount", liability__cap_amount="500",
                            duration__mission="1"))
    text = script.run(target=tmp_path / "x.yaml")
    assert script.asked("duration.commission_months") == 0
    deal = checked(text, tmp_path).deal
    assert deal is not None and deal.duration is not None and deal.liability is not None
    assert deal.duration.mission == "one_shot" and deal.duration.commission_months is None
    assert deal.liability.cap_amount == 500


# --- the whole deal checked at the end --------------------------------------------------------


def test_the_same_siren_for_both_parties_is_explained_and_both_sirets_asked_again(tmp_path):
    script = Script(minimal(beneficiary__siret=["919 492 504 00007", "99217421900012"],
                            introducer__siret=["919 492 504 00015", ""]))
    text = script.run(target=tmp_path / "x.yaml")
    assert ("  - SIRET du bénéficiaire : l'apporteur et le bénéficiaire ont le même SIREN "
            "(919492504) : ce doivent être deux entreprises différentes") in script.said
    assert script.asked("introducer.siret") == 2 and script.asked("beneficiary.siret") == 2
    again = [q for q in script.questions if q.path == "introducer.siret"][1]
    assert again.default == "919 492 504 00015"  # Enter keeps the first answer
    deal = checked(text, tmp_path).deal
    assert deal is not None
    assert (deal.introducer.siret, deal.beneficiary.siret) == ("91949250400015", "99217421900012")


def test_a_reply_date_after_the_signature_is_a_warning_and_kept(tmp_path):
    script = Script(minimal(signature__date="2026-12-15", offer__reply_by="2026-12-20"))
    text = script.run(target=tmp_path / "x.yaml")
    assert any("la date de réponse (2026-12-20) est après la date de signature (2026-12-15)"
               in line for line in script.said)
    assert script.asked("signature.date") == 1 and script.asked("offer.reply_by") == 1
    deal = checked(text, tmp_path).deal
    assert deal is not None and deal.offer.reply_by == date(2026, 12, 20)


def test_a_vat_number_of_another_siren_is_asked_again(tmp_path):
    script = Script(minimal(beneficiary__vat="liable",
                            beneficiary__vat_number=["FR41946512365", "-"]))
    text = script.run(target=tmp_path / "x.yaml")
    assert any("ne correspond pas au SIREN 992174219 du SIRET" in line for line in script.said)
    assert checked(text, tmp_path).deal.beneficiary.vat_number is None  # type: ignore[union-attr]


def test_warnings_are_said_in_french_and_do_not_stop_the_deal(tmp_path):
    script = Script(minimal(client__informed="n", liability__cap="3"))
    text = script.run(target=tmp_path / "x.yaml")
    assert ("Attention (Le client est-il informé ?) : le client n'a pas été informé de la mise "
            "en relation ni de la commission ; informez-le avant le premier contact"
            in script.said)
    assert ("Attention (Plafond de responsabilité) : aucun plafond de responsabilité n'est "
            "prévu pour l'apporteur" in script.said)
    checked(text, tmp_path)


# --- the next client of the same introducer ---------------------------------------------------


def test_prefill_from_keeps_what_the_next_deal_shares():
    prefill = prefill_from(JULIE)
    assert set(prefill) == {"introducer", "beneficiary", "role", "liability", "commission",
                            "duration", "signature"}
    assert prefill["signature"] == {"place": "Lyon", "originals": "2"}
    assert prefill["beneficiary"]["representative"]["name"] == "Julie Martin"
    assert prefill["commission"]["rate"] == "15"


def test_a_deal_from_a_sample_only_asks_for_the_new_client(tmp_path):
    script = Script({"client.name": "Cabinet Martin", "client.informed": "o",
                     "offer.message": ["Bonjour Julie,", ""]})
    text = script.run(prefill=prefill_from(JULIE), target=tmp_path / "suivant.yaml")
    new = checked(text, tmp_path, "suivant.yaml").deal
    old = check_file(JULIE).deal
    assert new is not None and old is not None
    for section in ("introducer", "beneficiary", "role", "liability", "commission", "duration"):
        assert getattr(new, section) == getattr(old, section), section
    assert new.signature.place == "Lyon" and new.signature.date is None
    assert new.reference is None and new.offer.reply_by is None
    assert new.client.name == "Cabinet Martin" and new.client.need is None
    assert new.offer.message == "Bonjour Julie,"
    siret = next(q for q in script.questions if q.path == "beneficiary.siret")
    assert siret.default == "946 512 365 00002"


def test_a_proposed_value_can_be_cleared_and_a_wrong_one_is_not_proposed(tmp_path):
    prefill = {"introducer": {"email": "marie@md-assistance.fr", "siret": "919 492 504 00008"},
               "offer": {"message": "Ancien message\n\nsur deux paragraphes"}}
    script = Script(minimal(introducer__email="-", offer__message=""))
    text = script.run(prefill=prefill, target=tmp_path / "x.yaml")
    assert any(line.startswith("La valeur reprise pour « SIRET de l'apporteur » n'est pas "
                               "valable (919 492 504 00008 n'est pas un SIRET valide")
               for line in script.said)
    siret = next(q for q in script.questions if q.path == "introducer.siret")
    assert siret.default is None
    deal = checked(text, tmp_path).deal
    assert deal is not None and deal.introducer.email is None
    assert deal.offer.message == "Ancien message\n\nsur deux paragraphes"  # Enter kept it


def test_a_multi_line_address_from_a_deal_is_kept_exactly(tmp_path):
    prefill = prefill_from(SAMPLES / "site-vitrine-ponctuel.yaml")
    script = Script({"client.name": "Client", "introducer.vat": ""})
    text = script.run(prefill=prefill, target=tmp_path / "x.yaml")
    question = next(q for q in script.questions if q.path == "beneficiary.address")
    assert question.default == ("Résidence Les Tilleuls, bât. B / 27 boulevard Guist'hau / "
                                "44000 Nantes")
    deal = checked(text, tmp_path).deal
    assert deal is not None
    assert deal.beneficiary.address == ("Résidence Les Tilleuls, bât. B\n27 boulevard "
                                        "Guist'hau\n44000 Nantes")


# --- what is typed comes back exactly ---------------------------------------------------------

HOSTILE = ["yes", "null", "~", "No", "on", "2027", "0x1F", "1e3", "12:30", "2026-12-01",
           "{{ 7*7 }}", "{% raw %}", "# not a comment", "'quote\"", ": colon", "a: b", "- item",
           "[list]", "{a: 1}", "&anchor", "*alias", "!!python/object", "@home", "`tick`",
           "%percent", "| pipe", "> fold", "trailing #hash", "back\\slash", "tab\there",
           "Léa 🎉 Petit", "\u00a0x\u00a0y", "ﬁ ligature", "---", "...",
           "Assist'Pro", "Bois & Co", "O'Neil, S.A.R.L."]


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_answers_come_back_exactly(tmp_path, typed):
    script = Script(minimal(client__name=typed, introducer__name=typed,
                            beneficiary__address=typed, signature__place=typed,
                            client__need=typed))
    text = script.run(target=tmp_path / "x.yaml")
    expected = typed.strip()
    data = load_bytes(text.encode("utf-8"), "x").data
    assert data["client"]["name"] == expected  # the loader reads back the very text
    assert data["beneficiary"]["address"] == expected
    deal = checked(text, tmp_path).deal
    assert deal is not None
    assert deal.client.name == deal.introducer.name == deal.signature.place == expected
    assert deal.client.need == expected


def _model_text(path: str, text: str) -> str | None:
    from generator.wizard import _adapter

    try:
        return _adapter(path).validate_python(text)
    except Exception:  # noqa: BLE001 - the model refused it: not an answer the wizard keeps
        return None


# Any character, with those that mean something to YAML drawn often.
CHARACTER = st.one_of(st.sampled_from(list(":#'\"{}[]&*!|>%@`-,?\\\t~. ")),
                      st.characters(codec="utf-8"))
LINE = st.text(CHARACTER, min_size=1, max_size=30)


@settings(max_examples=examples(100), deadline=None,  # most drawn texts are not valid names:
          suppress_health_check=[HealthCheck.filter_too_much])  # the health check was flaky
@given(name=LINE, address=LINE)
def test_any_name_and_address_typed_come_back_identical(name, address):
    kept_name = _model_text("client.name", name)
    kept_address = _model_text("beneficiary.address", address)
    assume(kept_name is not None and kept_address is not None)
    # the two answers that mean something: "?" (the help again), "-" (clear an optional field,
    # refused for a required one)
    assume(name.strip() not in ("?", "-") and address.strip() not in ("?", "-"))
    script = Script(minimal(client__name=name, introducer__name=name, beneficiary__address=address,
                            client__need=address))
    loaded = load_bytes(script.run().encode("utf-8"), "x")
    assert loaded.data["client"]["name"] == loaded.data["introducer"]["name"] == kept_name
    assert loaded.data["beneficiary"]["address"] == loaded.data["client"]["need"] == kept_address
    deal = Deal.model_validate(loaded.data)
    assert deal.client.name == kept_name and deal.beneficiary.address == kept_address


@settings(max_examples=examples(100), deadline=None)
@given(lines=st.lists(st.text(CHARACTER.filter(lambda c: c not in "\r\n"), max_size=20),
                      min_size=2, max_size=5))
def test_any_multi_line_text_comes_back_identical(lines):
    text = _model_text("offer.message", "\n".join(lines))
    assume(text is not None)
    data = {"beneficiary": {"address": text}, "offer": {"message": text}}
    written = deal_to_yaml(data)
    loaded = load_bytes(written.encode("utf-8"), "x")
    assert loaded.data["beneficiary"]["address"] == loaded.data["offer"]["message"] == text
    if "\n" in text and "\t" not in text[:1]:
        assert "message: |-" in written or '"' in written


def test_comments_hold_no_value_and_the_schema_line_comes_first(tmp_path):
    script = Script(minimal(client__name="# X", introducer__name="Y  # Z"))
    text = script.run(target=SAMPLES / "pas-ecrit.yaml")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/deal.schema.json"
    for line in text.splitlines():
        outside_quotes = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        if "#" in outside_quotes:
            assert "X" not in outside_quotes and "Z" not in outside_quotes, line
    assert '  name: "# X"' in text and '  name: "Y  # Z"' in text


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_every_warning_of_the_samples_is_said_in_french(sample):
    for d in check_file(SAMPLES / sample).diagnostics:
        assert d.text("fr") != d.text("en"), d.code


def test_the_rules_errors_are_said_in_french(check_change):
    result = check_change({"beneficiary.siret": "919 492 504 00007",
                           "liability.cap": "amount", "liability.cap_amount": 0,
                           "offer.reply_by": "2026-11-01",
                           "introducer.vat_number": "FR41946512365"})
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert len(errors) >= 5
    for d in errors:
        assert d.text("fr") != d.text("en"), d.code


def test_prefill_from_a_file_that_is_not_yaml_is_an_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("introducer: [\n", encoding="utf-8")
    with pytest.raises(DealError, match="not valid YAML"):
        prefill_from(broken)


# --- the $schema line -------------------------------------------------------------------------


def test_the_schema_is_found_above_the_deal_as_in_a_workspace(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "deal.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "deals").mkdir()
    assert schema_reference(tmp_path / "deals" / "x.yaml") == "../schema/deal.schema.json"
    assert schema_reference(tmp_path / "x.yaml") == "schema/deal.schema.json"


def test_otherwise_the_built_in_schema_is_referred_to_relatively(tmp_path):
    reference = schema_reference(tmp_path / "x.yaml")
    assert reference is not None and not Path(reference).is_absolute()
    assert (tmp_path / reference).resolve() == SCHEMA.resolve()


def test_a_schema_path_that_cannot_sit_in_a_comment_is_left_out(tmp_path, monkeypatch):
    odd = tmp_path / "a\nb"
    try:
        odd.mkdir()
        (odd / "deal.schema.json").write_text("{}", encoding="utf-8")
    except OSError:  # pragma: no cover - a file system without newlines in names
        pytest.skip("newline in a folder name not supported here")
    monkeypatch.setattr("generator.resources.schema_file", lambda: odd / "deal.schema.json")
    (tmp_path / "deals").mkdir()
    assert schema_reference(tmp_path / "deals" / "x.yaml") is None


# --- questions and choices --------------------------------------------------------------------


def test_every_choice_has_a_french_label_and_every_field_exists_in_the_model():
    for f in FIELDS.values():
        if f.kind == "choice":
            assert set(f.labels) == set(choice_values(f.path)), f.path
        assert all(ch not in f.prompt + f.help for ch in "\n\r"), f.path


def test_question_details_show_meaning_choices_and_how_to_skip():
    q = Question("beneficiary.vat", "Régime de TVA du bénéficiaire (facultatif)", "Son régime.",
                 (), None, required=False, kind="choice")
    assert q.details() == ["Son régime.", "  Facultatif : Entrée pour passer."]


# --- the command line, reading its answers on standard input ----------------------------------


def _new_command() -> click.Command:
    from generator.cli import cli

    return cli.commands["new"]


def _stdin(answers: Mapping[str, str | Sequence[str]], prefill: Any = None) -> str:
    """The lines to pipe in for ``answers``: a dry run records them in the order asked
    (with a prefill, as ``--from`` asks: the parties and terms kept, a summary)."""
    script = Script(answers)
    script.run(prefill=prefill, keep=prefill is not None)
    return "".join(answer + "\n" for answer in script.given)


def test_the_command_writes_a_new_file_from_standard_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stdin = _stdin(minimal(offer__message=["Bonjour,", ".", "À bientôt.", ""]))
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=stdin)
    assert result.exit_code == 0, result.output
    deal = checked((tmp_path / "deal.yaml").read_text(encoding="utf-8"), tmp_path).deal
    assert deal is not None and deal.offer.message == "Bonjour,\n\nÀ bientôt."
    assert deal.client.name == "Boulangerie Au Pain Doré"


def test_the_command_never_overwrites_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deal.yaml").write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=_stdin(minimal()))
    assert result.exit_code == 1
    assert "already exists" in result.output and "Nom de l'apporteur" not in result.output
    assert (tmp_path / "deal.yaml").read_text(encoding="utf-8") == "mine\n"


def test_the_command_prints_the_deal_without_a_file_and_prefills_with_from(tmp_path):
    answers = {"client.name": "yes", "client.informed": "o"}
    result = CliRunner().invoke(_new_command(), ["--from", str(JULIE)],
                                input=_stdin(answers, prefill_from(JULIE)))
    assert result.exit_code == 0, result.output
    deal = checked(result.stdout, tmp_path).deal
    assert deal is not None and deal.client.name == "yes"
    assert deal.beneficiary.name == "Assist'Pro"


def test_check_target_and_write_deal_protect_files(tmp_path):
    existing = tmp_path / "a.yaml"
    existing.write_text("x", encoding="utf-8")
    for bad, message in [(existing, "already exists"), (tmp_path / "no" / "b.yaml", "does not"),
                         (tmp_path / "b.txt", ".yaml or .yml")]:
        with pytest.raises(OutputError, match=re.escape(message)):
            check_target(bad)
    with pytest.raises(OutputError, match="already exists"):
        write_deal(existing, "y")
    assert existing.read_text(encoding="utf-8") == "x"
    write_deal(tmp_path / "c.yml", "z\n")
    assert (tmp_path / "c.yml").read_text(encoding="utf-8") == "z\n"


# --- the same table for other front ends (apport serve) ----------------------------------------


def test_front_end_api_reads_french_habits_and_hides_irrelevant_fields():
    from decimal import Decimal

    from generator import wizard

    assert wizard.parse_answer("commission.rate", "15,5 %") == Decimal("15.5")
    assert wizard.parse_answer("client.estimated_revenue", "1 000 €") == Decimal("1000")
    assert str(wizard.parse_answer("signature.date", "10/12/2026")) == "2026-12-10"
    with pytest.raises(ValueError, match="au plus 30"):
        wizard.parse_answer("commission.rate", "35")
    assert wizard.normalised_answer("commission.rate", "35") == "35"
    ei = {p.path for p in wizard.relevant_fields({"introducer.legal_form": "ei"})}
    sas = {p.path for p in wizard.relevant_fields({"introducer.legal_form": "sas"})}
    assert "introducer.representative.name" in sas - ei
    zero = {p.path for p in wizard.relevant_fields({"commission.rate": Decimal(0)})}
    assert "duration.commission_months" not in zero and "role.commitment" in zero
    data = wizard.deal_data({"commission.rate": Decimal(0), "duration.mission": "recurring",
                             "reference": "X"})
    assert data == {"reference": "X", "commission": {"rate": Decimal(0)}}


# --- everyday rough edges (issue 13) -----------------------------------------------------------


def _answers(answers: Mapping[str, str | Sequence[str]]) -> str:
    """``answers`` as lines on standard input, in the order the wizard asks."""
    return _stdin(answers)


def test_a_required_answer_left_blank_or_cleared_says_obligatoire(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stdin = _answers(minimal(introducer__siret=["", "-", "  ", "987 789 328 00018"]))
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "ne doit contenir que des chiffres" not in result.output
    assert result.output.count("Cette réponse est obligatoire.") == 2
    assert "Cette réponse est obligatoire : « - » n'efface qu'une réponse facultative." in \
        result.output
    assert (tmp_path / "deal.yaml").is_file()
    # the other front ends (apport serve) read a blank required answer the same way
    from generator.messages import render
    from generator.wizard import parse_answer

    for path in ("introducer.siret", "commission.rate", "signature.originals", "client.name"):
        with pytest.raises(ValueError) as refused:
            parse_answer(path, " ")
        assert str(refused.value) == render("wizard-required", lang="fr") and \
            "obligatoire" in str(refused.value)


def test_a_mistyped_choice_gets_a_did_you_mean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stdin = _answers(minimal(introducer__vat=["franchize", "Franchise"],
                             role__involvement=["introducton", "1"],
                             duration__mission=["zzz", "recurring"]))
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=stdin)
    assert result.exit_code == 0, result.output
    assert ("Réponse refusée : vouliez-vous dire « franchise » ? Sinon, choisissez un numéro de "
            "1 à 2 ou l'une des valeurs : franchise, liable. Recommencez.") in result.output
    assert "vouliez-vous dire « introduction » ?" in result.output
    # nothing close: the choices only
    assert ("Réponse refusée : choisissez un numéro de 1 à 2 ou l'une des valeurs : one_shot, "
            "recurring. Recommencez.") in result.output
    assert result.output.count("vouliez-vous dire") == 2


@pytest.mark.parametrize(("mission", "meaning"), [("", "mensuel"), ("1", "total")])
def test_the_revenue_is_asked_after_the_mission_type_which_gives_its_meaning(
        tmp_path, monkeypatch, mission, meaning):
    monkeypatch.chdir(tmp_path)
    stdin = _answers(minimal(duration__mission=mission, client__estimated_revenue="1 000"))
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=stdin)
    assert result.exit_code == 0, result.output
    out = result.output
    revenue = out.index(f"Chiffre d'affaires {meaning} estimé du client (euros HT) (facultatif)")
    assert out.index("Type de mission") < revenue < out.index("Durée du contrat d'apporteur")
    assert out.count("— Le client —") == 1  # asked in place, no second client heading
    deal = checked((tmp_path / "deal.yaml").read_text(encoding="utf-8"), tmp_path).deal
    assert deal is not None and deal.client.estimated_revenue == 1000


def test_at_rate_0_the_revenue_is_asked_after_the_rate():
    script = Script(minimal(commission__rate="0", client__estimated_revenue="500"))
    text = script.run()
    paths = [q.path for q in script.questions]
    assert paths.index("client.estimated_revenue") == paths.index("commission.rate") + 1
    assert "  estimated_revenue: 500" in text


def _reading_its_input(pid: int) -> bool:
    """Whether process ``pid`` is blocked in a read of its standard input (true where
    /proc cannot tell)."""
    try:
        return Path(f"/proc/{pid}/syscall").read_text().startswith("0 0x0 ")
    except OSError:
        return True


def _interrupted_at(tmp_path: Path, answers: Sequence[str], waiting_for: str) -> Any:
    """Run the real ``apport new deal.yaml``, type ``answers``, and press Ctrl-C at the
    question ``waiting_for`` (a SIGINT, as the terminal sends it)."""
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen([sys.executable, "-m", "generator", "new", "deal.yaml"],
                               cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "LANG": "C.UTF-8"},
                               # a test run started in the background inherits SIGINT
                               # ignored; the terminal's Ctrl-C is what this test plays
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write("".join(a + "\n" for a in answers).encode())
    process.stdin.flush()
    seen = b""
    deadline = time.monotonic() + 60
    while waiting_for.encode() not in seen:
        assert time.monotonic() < deadline, seen.decode()
        ready, _, _ = select.select([process.stderr], [], [], 1)
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536)
            assert chunk, seen.decode()
            seen += chunk
    # the prompt is out, yet the child may still be flushing it: a SIGINT handled inside
    # that flush is lost by input() (CPython clears any error of the prompt's flush), so
    # press Ctrl-C once the child waits for the answer (Linux shows it in /proc)
    while not _reading_its_input(process.pid):
        assert time.monotonic() < deadline, seen.decode()
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    # wait for the interrupted process before closing its input: an end of input that
    # arrives with the signal would race it (a terminal's Ctrl-C closes nothing)
    process.wait(timeout=60)
    err = process.stderr.read()
    process.stderr.close()
    process.stdin.close()
    assert process.stdout is not None
    process.stdout.close()
    return process.returncode, (seen + err).decode()


def test_ctrl_c_keeps_a_draft_which_the_next_run_offers_to_resume(tmp_path):
    first = ["AA-1", "Sophie Leroy", "", "987 789 328 00018"]
    code, err = _interrupted_at(tmp_path, first, "Adresse de l'apporteur")
    assert code == 130, err
    draft = tmp_path / ".deal.yaml.brouillon"
    assert ("Abandon : vos réponses sont gardées dans .deal.yaml.brouillon ; « apport new "
            "deal.yaml » les reprendra.") in err
    assert "Traceback" not in err and not (tmp_path / "deal.yaml").exists()
    kept = load_bytes(draft.read_bytes(), "draft").data
    assert kept["reference"] == "AA-1" and kept["introducer"]["siret"] == "987 789 328 00018"
    # the next run offers it; yes: the questions already answered are not asked again
    from generator.wizard import read_draft

    resume = read_draft(tmp_path / "deal.yaml")
    script = Script(minimal(introducer__name="NOT ASKED"))
    script.run(resume=resume)
    assert script.asked("introducer.name") == 0 and script.asked("reference") == 0
    stdin = "o\n" + "".join(a + "\n" for a in script.given)
    result = CliRunner().invoke(_new_command(), [str(tmp_path / "deal.yaml")], input=stdin)
    assert result.exit_code == 0, result.output
    assert "Un brouillon de ce dossier est gardé (4 réponses)." in result.output
    deal = checked((tmp_path / "deal.yaml").read_text(encoding="utf-8"), tmp_path).deal
    assert deal is not None and deal.reference == "AA-1" and deal.introducer.name == "Sophie Leroy"
    assert not draft.exists()  # gone once the deal is written


def test_a_draft_declined_starts_again_and_is_gone_once_the_deal_is_written(tmp_path,
                                                                           monkeypatch):
    from generator.wizard import write_draft

    monkeypatch.chdir(tmp_path)
    write_draft("deal.yaml", {"reference": "ANCIEN", "introducer.name": "Ancienne"})
    stdin = "peut-être\nn\n" + _answers(minimal())
    result = CliRunner().invoke(_new_command(), ["deal.yaml"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "répondez o (oui) ou n (non)" in result.output
    deal = checked((tmp_path / "deal.yaml").read_text(encoding="utf-8"), tmp_path).deal
    assert deal is not None and deal.reference is None and deal.introducer.name == "Sophie Leroy"
    assert not (tmp_path / ".deal.yaml.brouillon").exists()


def test_from_asks_only_for_the_new_client_then_a_summary_to_confirm_or_change(tmp_path):
    answers = {"client.name": "Cabinet Martin", "client.informed": "o",
               "confirmer": ["non", "o"], "partie": ["99", "commission"],
               "commission.rate": "20"}
    target = tmp_path / "suivant.yaml"
    result = CliRunner().invoke(_new_command(), [str(target), "--from", str(JULIE)],
                                input=_stdin(answers, prefill_from(JULIE)))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Les parties et les conditions sont reprises de l'autre dossier" in out
    for kept in ("SIRET de l'apporteur", "Nom du bénéficiaire", "Type de mission"):
        assert f"{kept} :" not in out.split("Récapitulatif du dossier :")[0], kept
    assert "Nom du client :" in out and "Chiffre d'affaires mensuel estimé" in out
    summary = out[out.index("Récapitulatif du dossier :"):]
    assert "  Nom du bénéficiaire : Assist'Pro" in summary
    assert "  Nom du client : Cabinet Martin" in summary
    assert "  Taux de commission (%) : 15" in summary
    assert "Tout est correct ? [o] : " in out and "Quelle partie voulez-vous changer ?" in out
    assert "  6) La commission (commission)" in out
    assert "choisissez un numéro de 1 à 11 ou l'une des valeurs : reference, introducer" in out
    assert out.count("Récapitulatif du dossier :") == 2
    assert "  Taux de commission (%) : 20" in out.split("Récapitulatif du dossier :")[2]
    new = checked(target.read_text(encoding="utf-8"), tmp_path, "relu.yaml").deal
    old = check_file(JULIE).deal
    assert new is not None and old is not None
    assert new.commission.rate == 20 and new.client.name == "Cabinet Martin"
    for section in ("introducer", "beneficiary", "role", "liability", "duration"):
        assert getattr(new, section) == getattr(old, section), section


def test_ctrl_c_before_any_answer_keeps_nothing(tmp_path):
    code, err = _interrupted_at(tmp_path, [], "Référence du dossier")
    assert code == 130, err
    assert "Abandon : aucune réponse encore, rien n'est gardé." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "typed", "said"), [
    (["deal.yaml"], ["AA-2"], "Abandon : vos réponses sont gardées dans .deal.yaml.brouillon"),
    (["deal.yaml"], [], "Abandon : aucune réponse encore, rien n'est gardé."),
    ([], ["AA-2"], "Abandon : rien n'est écrit (sans FICHIER, aucun brouillon n'est gardé)."),
])
def test_ctrl_c_in_the_command_itself(tmp_path, monkeypatch, args, typed, said):
    """The same Ctrl-C in process: ``click.prompt`` turns it into ``Abort``, as at a terminal."""
    monkeypatch.chdir(tmp_path)
    answers = iter(typed)

    def prompt(*_args: Any, **_kwargs: Any) -> str:
        try:
            return next(answers)
        except StopIteration:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise click.Abort from None

    monkeypatch.setattr(click, "prompt", prompt)
    result = CliRunner().invoke(_new_command(), args, input="")
    assert result.exit_code == 130, result.output
    assert said in result.output
    assert (tmp_path / ".deal.yaml.brouillon").exists() == (bool(args) and bool(typed))


def test_a_refused_message_is_said_and_typed_again():
    script = Script(minimal(offer__message=["Bonjour\x07", "", "Bonjour Camille,", ""]))
    text = script.run()
    assert any(line.startswith("Message refusé : ") and line.endswith(" Tapez-le de nouveau.")
               for line in script.said), script.said[-5:]
    assert "Bonjour Camille," in text and "\x07" not in text
