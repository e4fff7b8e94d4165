"""Mail texts an administrator can change: the registry of mail kinds (per kind the
placeholders it offers and a sample context), the sandbox that renders an administrator's
text, its checks on save, and the operations that save and reset a text.

An administrator's text is Jinja, like the default files in ``templates/mail/``, but it is
rendered in an immutable sandbox with ``StrictUndefined``: an unknown placeholder, a call
of anything but the portal's own helpers, or an attribute that starts with ``_`` is an
error, never silent output. Without a ``MailTemplate`` row a kind uses its default files.
"""
from __future__ import annotations

import ast as python_ast
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import get_translations
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError

from .. import audit
from ..errors import DomainError, NotPermitted
from ..extensions import db
from .models import MailTemplate
from ..timeutil import utcnow
from ..urls import portal_url

log = logging.getLogger(__name__)

SUBJECT_MAX = 300  # OutboxMail.subject and MailTemplate.subject
BODY_MAX = 50_000
APP_FILTERS = ("datum", "datumtijd", "euro")
# (form field, Dutch name, is HTML)
PARTS = (("subject", "Onderwerp", False), ("body_text", "Tekst", False),
         ("body_html", "HTML-tekst", True))


# --- the sandbox ---------------------------------------------------------------------------

class MailSandbox(ImmutableSandboxedEnvironment):
    """Calls only what the portal offers (its globals, macros, loop helpers) and the
    methods of strings and dates; never a method of a model or a list."""

    def is_safe_callable(self, obj) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if any(obj is value for value in self.globals.values()):
            return True
        if isinstance(obj, Macro):
            return True
        owner = getattr(obj, "__self__", None)
        return isinstance(owner, (str, date, LoopContext))


def _build_sandbox(autoescape: bool) -> MailSandbox:
    env = MailSandbox(autoescape=autoescape, undefined=StrictUndefined,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
    )
    app_env = current_app.jinja_env
    env.filters.pop("safe", None)  # provider data must never become raw HTML in a mail
    env.filters.update({name: app_env.filters[name] for name in APP_FILTERS})
    env.globals["portal_url"] = portal_url
    return env


def sandbox(html: bool) -> MailSandbox:
    """The sandbox of this app: autoescaping for HTML, plain for subject and text."""
    envs = current_app.extensions.setdefault("portal_mail_sandbox", {})
    if html not in envs:
        envs[html] = _build_sandbox(html)
    return envs[html]


@lru_cache(maxsize=512)
def _compile(env: MailSandbox, source: str):
    return env.from_string(source)


# --- the registry --------------------------------------------------------------------------

@dataclass(frozen=True)
class Placeholder:
    expression: str  # as typed between {{ and }}
    description: str  # Dutch


@dataclass(frozen=True)
class MailKind:
    kind: str
    title: str  # Dutch
    recipient: str  # Dutch: who gets it
    placeholders: tuple[Placeholder, ...]
    sample: Callable[[], dict]  # builds a fresh sample context (in an app context)


def _p(*pairs) -> tuple[Placeholder, ...]:
    return tuple(Placeholder(e, d) for e, d in pairs)


S = SimpleNamespace

SUBJECT = _p(("subject", "het standaardonderwerp dat het portaal voor deze e-mail maakt"))
APPLICATION = _p(
    ("application.reference", "kenmerk van de aanmelding, bijvoorbeeld WMB-2027-0042"),
    ("application.organisation.name", "naam van de aanbieder"),
    ("application.organisation.kvk_number", "KvK-nummer van de aanbieder"),
    ("application.procedure.name", "naam van de procedure"),
    ("application.categories|map(attribute='name')|join(', ')",
     "de categorieën van de aanmelding, met komma's ertussen"),
    ("application.status.label", "status van de aanmelding"),
    ("application.submitted_at|datumtijd", "datum en tijd van indienen"),
    ("application.decision_due|datum", "uiterste datum van het besluit"),
)
APPLICATION_LINK_PROVIDER = _p(
    ("portal_url('applications.edit', application_id=application.id)",
     "link naar de aanmelding in het portaal (voor de aanbieder)"),
)
APPLICATION_LINK_ASSESSOR = _p(
    ("application.assessor.full_name if application.assessor else 'niet toegewezen'",
     "naam van de beoordelaar (als er een is toegewezen)"),
    ("portal_url('assessment.detail', application_id=application.id)",
     "link naar de beoordeling van de aanmelding (voor beoordelaars)"),
)
NAME = _p(("name", "naam van de ontvanger"))


def _organisation():
    return S(name="Stichting Voorbeeld Jeugdzorg", kvk_number="12345678", city="Breda")


def _procedure():
    return S(name="Open house Wonen met begeleiding", reference="RWBO-JZ-2026-01",
             current_end=date(2032, 12, 31), options_left=1)


def _user(name, email):
    return S(full_name=name, email=email)


def _application():
    return S(
        id=42, reference="WMB-2027-0042", organisation=_organisation(), procedure=_procedure(),
        categories=[S(code="pleegzorg", name="Pleegzorg"),
                    S(code="gezinshuiszorg", name="Gezinshuiszorg")],
        status=S(value="in_behandeling", label="in behandeling"),
        submitted_at=datetime(2027, 3, 1, 9, 30), decision_due=date(2027, 4, 26),
        assessor=_user("Bea Beoordelaar", "beoordelaar@regio.example"),
        round_id=None,  # set for a re-confirmation (herbevestiging)
    )


def _category():
    return S(code="pleegzorg", name="Pleegzorg")


def _admission():
    return S(category=_category(), organisation=_organisation(),
             status=S(value="geschorst", label="geschorst"),
             ended_on=date(2027, 12, 31), end_reason="Het huis voldoet niet meer aan de eisen.")


def _agreement():
    return S(id=5, organisation=_organisation(), created_at=datetime(2027, 5, 3, 10, 0),
             accepted_at=datetime(2027, 5, 10, 14, 12),
             accepted_sha256="9f2c1e7d5b3a4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6")


def _question():
    return S(id=7, subject="Geldigheid van de VOG",
             body="Hoe oud mag een verklaring omtrent het gedrag zijn?",
             asked_at=datetime(2027, 2, 15, 11, 5),
             answer="Niet ouder dan drie maanden op de dag van indienen.")


def _kind(kind, title, recipient, placeholders, sample):
    return MailKind(kind, title, recipient, SUBJECT + tuple(placeholders), sample)


def _registry() -> dict[str, MailKind]:
    kinds = [
        _kind("receipt", "Ontvangstbevestiging aanmelding", "de aanbieder (wie indiende en de beheerders)",
              APPLICATION + _p(("weeks", "beslistermijn in weken")) + APPLICATION_LINK_PROVIDER,
              lambda: {"subject": "Ontvangstbevestiging aanmelding WMB-2027-0042",
                       "application": _application(), "weeks": 8}),
        _kind("completion_requested", "Aanvulling gevraagd", "de aanbieder",
              APPLICATION + _p(
                  ("request.round", "nummer van de ronde van aanvulling"),
                  ("request.deadline|datum", "uiterste datum voor de aanvulling"),
                  ("items", "de vragen: een lijst van (eis, vraag); gebruik {% for req, question in items %}"
                            "{{ req.code }} {{ req.title }}: {{ question }}{% endfor %}"),
              ) + APPLICATION_LINK_PROVIDER,
              lambda: {"subject": "Aanvulling gevraagd op uw aanmelding WMB-2027-0042",
                       "application": _application(),
                       "request": S(round=1, deadline=date(2027, 3, 29), provider_note=None),
                       "items": [(S(code="A5", title="Verklaring omtrent het gedrag"),
                                  "Stuur een VOG die niet ouder is dan drie maanden.")]}),
        _kind("completion_back", "Aanmelding terug in behandeling", "de toegewezen beoordelaar",
              APPLICATION + _p(
                  ("request.round", "nummer van de ronde van aanvulling"),
                  ("request.deadline|datum", "uiterste datum die voor de aanvulling gold"),
                  ("request.provider_note", "toelichting van de aanbieder (kan leeg zijn)"),
                  ("by_deadline", "waar als de termijn verstreek zonder aanvulling; gebruik {% if by_deadline %}"),
              ) + APPLICATION_LINK_ASSESSOR,
              lambda: {"subject": "Aanmelding WMB-2027-0042 is terug in behandeling",
                       "application": _application(),
                       "request": S(round=1, deadline=date(2027, 3, 29),
                                    provider_note="De nieuwe VOG is toegevoegd."),
                       "by_deadline": False}),
        _kind("decision", "Besluit", "de aanbieder (met de besluitbrief als bijlage)",
              APPLICATION + _p(
                  ("decisions", "het besluit per categorie; gebruik {% for d in decisions %}"
                                "{{ d.category.name }}: {{ d.outcome.label }} – {{ d.motivation }}{% endfor %}"),
                  ("corrected", "waar bij een herstelbesluit"),
              ) + APPLICATION_LINK_PROVIDER,
              lambda: {"subject": "Besluit over uw aanmelding WMB-2027-0042",
                       "application": _application(), "corrected": False,
                       "decisions": [
                           S(category=S(name="Pleegzorg"),
                             outcome=S(value="toegelaten", label="toegelaten"),
                             motivation="Voldoet aan alle minimumeisen voor pleegzorg.",
                             failed_requirements=[]),
                           S(category=S(name="Gezinshuiszorg"),
                             outcome=S(value="afgewezen", label="afgewezen"),
                             motivation="Het keurmerk ontbreekt.",
                             failed_requirements=[S(code="H1", title="Kwaliteitscriteria Gezinshuizen")]),
                       ]}),
        _kind("proposal_returned", "Besluitvoorstel teruggestuurd", "de toegewezen beoordelaar",
              APPLICATION + _p(("by.full_name", "naam van de tweede beoordelaar"),
                               ("remark", "opmerking bij het terugsturen"))
              + APPLICATION_LINK_ASSESSOR,
              lambda: {"subject": "Besluitvoorstel WMB-2027-0042 teruggestuurd",
                       "application": _application(),
                       "by": _user("Ben Tweede", "tweede@regio.example"),
                       "remark": "Motiveer de afwijzing van H1 uitgebreider."}),
        _kind("deadline_reminder", "Beslistermijn verloopt", "de beoordelaar en de contractbeheerders",
              APPLICATION + _p(("days_left", "dagen tot de uiterste datum (negatief: te laat)"))
              + APPLICATION_LINK_ASSESSOR,
              lambda: {"subject": "Beslistermijn aanmelding WMB-2027-0042 verloopt op 26-04-2027",
                       "application": _application(), "days_left": 5}),
        _kind("confirm_email", "E-mailadres bevestigen (nieuw account)", "wie een account aanmaakte",
              NAME + _p(("link", "de link om het e-mailadres te bevestigen"),
                        ("hours", "hoeveel uur de link geldig is")),
              lambda: {"subject": "Bevestig uw e-mailadres voor het portaal Wonen met begeleiding",
                       "name": "Anna Aanbieder", "hours": 72,
                       "link": portal_url("accounts.confirm", token="voorbeeld")}),
        _kind("confirm_email_change", "Nieuw e-mailadres bevestigen", "de gebruiker, op het nieuwe adres",
              NAME + _p(("link", "de link om het nieuwe adres te bevestigen"),
                        ("hours", "hoeveel uur de link geldig is")),
              lambda: {"subject": "Bevestig uw nieuwe e-mailadres voor het portaal Wonen met begeleiding",
                       "name": "Anna Aanbieder", "hours": 72,
                       "link": portal_url("accounts.confirm_email_change", token="voorbeeld")}),
        _kind("email_changed", "E-mailadres gewijzigd", "de gebruiker, op het oude adres",
              NAME + _p(("new_email", "het nieuwe e-mailadres")),
              lambda: {"subject": "Uw e-mailadres voor het portaal Wonen met begeleiding is gewijzigd",
                       "name": "Anna Aanbieder", "new_email": "anna@nieuw.example"}),
        _kind("invitation", "Uitnodiging van een collega (aanbieder)", "de uitgenodigde collega",
              _p(("inviter", "naam van wie uitnodigde"),
                 ("organisation_name", "naam van de organisatie"),
                 ("role", "rol: beheerder of medewerker"),
                 ("link", "de link om het account aan te maken"),
                 ("days", "hoeveel dagen de link geldig is")),
              lambda: {"subject": "Uitnodiging voor het portaal Wonen met begeleiding van "
                                  "Stichting Voorbeeld Jeugdzorg",
                       "inviter": "Anna Aanbieder", "organisation_name": "Stichting Voorbeeld Jeugdzorg",
                       "role": "medewerker", "days": 7,
                       "link": portal_url("accounts.accept_invitation", token="voorbeeld")}),
        _kind("staff_invitation", "Uitnodiging medewerker van de regio",
              "de nieuwe beoordelaar of contractbeheerder",
              NAME + _p(("email", "het e-mailadres waarmee de medewerker inlogt"),
                        ("role", "rol: beoordelaar of contractbeheerder"),
                        ("inviter", "naam van de contractbeheerder die het account aanmaakte"),
                        ("link", "de link om een wachtwoord te kiezen"),
                        ("days", "hoeveel dagen de link geldig is")),
              lambda: {"subject": "Uw account voor het portaal Wonen met begeleiding",
                       "name": "Bea Beoordelaar", "email": "bea@regio.example",
                       "role": "beoordelaar", "inviter": "Carla Contractbeheer", "days": 7,
                       "link": portal_url("admin_staff.set_password", token="voorbeeld")}),
        _kind("password_changed", "Wachtwoord gewijzigd", "de gebruiker",
              NAME + _p(("reset_link", "link om een nieuw wachtwoord te kiezen")),
              lambda: {"subject": "Uw wachtwoord voor het portaal Wonen met begeleiding is gewijzigd",
                       "name": "Anna Aanbieder",
                       "reset_link": portal_url("accounts.forgot_password")}),
        _kind("password_reset", "Wachtwoord herstellen", "de gebruiker",
              NAME + _p(("link", "de link om een nieuw wachtwoord te kiezen"),
                        ("minutes", "hoeveel minuten de link geldig is")),
              lambda: {"subject": "Nieuw wachtwoord kiezen voor het portaal Wonen met begeleiding",
                       "name": "Anna Aanbieder", "minutes": 60,
                       "link": portal_url("accounts.reset_password", token="voorbeeld")}),
        _kind("qa_receipt", "Ontvangstbevestiging vraag", "wie de vraag stelde",
              NAME + _p(("procedure.name", "naam van de procedure"),
                        ("question.subject", "onderwerp van de vraag"),
                        ("question.body", "de vraag"),
                        ("question.asked_at|datumtijd", "wanneer de vraag is gesteld"),
                        ("portal_url('qa.mine_detail', question_id=question.id)",
                         "link naar de vraag in het portaal")),
              lambda: {"subject": "Ontvangstbevestiging van uw vraag: Geldigheid van de VOG",
                       "name": "Anna Aanbieder", "procedure": _procedure(),
                       "question": _question()}),
        _kind("qa_answer", "Antwoord op een vraag", "wie de vraag stelde",
              NAME + _p(("procedure.name", "naam van de procedure"),
                        ("question.subject", "onderwerp van de vraag"),
                        ("question.body", "de vraag"),
                        ("question.asked_at|datumtijd", "wanneer de vraag is gesteld"),
                        ("question.answer", "het antwoord"),
                        ("changed", "waar als een eerder antwoord is gewijzigd"),
                        ("portal_url('qa.mine_detail', question_id=question.id)",
                         "link naar de vraag in het portaal")),
              lambda: {"subject": "Antwoord op uw vraag: Geldigheid van de VOG",
                       "name": "Anna Aanbieder", "procedure": _procedure(),
                       "question": _question(), "changed": False}),
        _kind("qa_published", "Nieuwe vragen en antwoorden gepubliceerd",
              "gebruikers die daarom vroegen",
              NAME + _p(("items", "de nieuwe vragen; gebruik {% for item in items %}"
                                  "{{ item.id }} {{ item.title }}{% endfor %}"),
                        ("portal_url('qa.public')", "link naar alle vragen en antwoorden"),
                        ("portal_url('qa.notification_settings')",
                         "link om deze e-mail uit te zetten")),
              lambda: {"subject": "Nieuwe vraag en antwoord gepubliceerd – Wonen met begeleiding",
                       "name": "Anna Aanbieder",
                       "items": [S(id=7, title="Geldigheid van de VOG")]}),
        _kind("agreement_offered", "Deelnemersovereenkomst aangeboden",
              "de beheerders van de aanbieder (met de overeenkomst als bijlage)",
              APPLICATION + _p(
                  ("agreement.organisation.name", "naam van de aanbieder"),
                  ("admissions|map(attribute='category.name')|join(', ')",
                   "de categorieën waarvoor de aanbieder is toegelaten"),
                  ("portal_url('partners_partner.agreement', agreement_id=agreement.id)",
                   "link om de overeenkomst te accepteren")),
              lambda: {"subject": "Deelnemersovereenkomst Open house Wonen met begeleiding accepteren",
                       "application": _application(), "agreement": _agreement(),
                       "admissions": [_admission()]}),
        _kind("agreement_reminder", "Herinnering deelnemersovereenkomst",
              "de beheerders van de aanbieder",
              _p(("agreement.created_at|datum", "wanneer de overeenkomst is aangeboden"),
                 ("agreement.organisation.name", "naam van de aanbieder"),
                 ("portal_url('partners_partner.agreement', agreement_id=agreement.id)",
                  "link om de overeenkomst te accepteren")),
              lambda: {"subject": "Herinnering: accepteer de deelnemersovereenkomst",
                       "agreement": _agreement()}),
        _kind("agreement_accepted", "Deelnemersovereenkomst geaccepteerd",
              "de beheerders van de aanbieder",
              _p(("by.full_name", "wie de overeenkomst accepteerde"),
                 ("agreement.accepted_at|datumtijd", "wanneer"),
                 ("agreement.accepted_sha256", "vingerafdruk (SHA-256) van het document"),
                 ("agreement.organisation.name", "naam van de aanbieder")),
              lambda: {"subject": "Bevestiging: deelnemersovereenkomst geaccepteerd",
                       "agreement": _agreement(),
                       "by": _user("Anna Aanbieder", "aanbieder@voorbeeld.example")}),
        _kind("admission_suspended", "Toelating geschorst", "de beheerders van de aanbieder",
              _p(("admission.category.name", "de categorie van de toelating"),
                 ("admission.organisation.name", "naam van de aanbieder"),
                 ("suspension.starts_on|datum", "begin van de schorsing"),
                 ("suspension.ends_on|datum", "einde van de schorsing (kan leeg zijn)"),
                 ("suspension.reason", "reden van de schorsing")),
              lambda: {"subject": "Schorsing van uw toelating voor Pleegzorg",
                       "admission": _admission(),
                       "suspension": S(starts_on=date(2027, 6, 1), ends_on=date(2027, 8, 31),
                                       reason="Toezicht heeft tekortkomingen vastgesteld.")}),
        _kind("admission_reinstated", "Schorsing opgeheven", "de beheerders van de aanbieder",
              _p(("admission.category.name", "de categorie van de toelating"),
                 ("admission.organisation.name", "naam van de aanbieder")),
              lambda: {"subject": "Uw toelating voor Pleegzorg is weer actief",
                       "admission": _admission()}),
        _kind("admission_end_planned", "Einde van een toelating aangekondigd",
              "de beheerders van de aanbieder",
              _p(("admission.category.name", "de categorie van de toelating"),
                 ("admission.organisation.name", "naam van de aanbieder"),
                 ("admission.ended_on|datum", "datum waarop de toelating eindigt"),
                 ("admission.end_reason", "reden")),
              lambda: {"subject": "Uw toelating voor Pleegzorg eindigt op 31-12-2027",
                       "admission": _admission()}),
        _kind("admission_ended", "Toelating beëindigd", "de beheerders van de aanbieder",
              _p(("admission.category.name", "de categorie van de toelating"),
                 ("admission.organisation.name", "naam van de aanbieder"),
                 ("admission.ended_on|datum", "datum van beëindiging"),
                 ("admission.end_reason", "reden")),
              lambda: {"subject": "Uw toelating voor Pleegzorg is beëindigd",
                       "admission": _admission()}),
        _kind("capacity_stale", "Beschikbare plaatsen bijwerken", "de beheerders van de aanbieder",
              _p(("report.category.name", "de categorie van de opgave"),
                 ("report.location", "de locatie"),
                 ("report.places", "het aantal opgegeven plaatsen"),
                 ("report.available_from|datum", "beschikbaar vanaf"),
                 ("report.reported_at|datum", "datum van de laatste opgave"),
                 ("stale_days", "na hoeveel dagen een opgave verouderd is"),
                 ("portal_url('partners_capacity.update', report_id=report.id)",
                  "link om de plaatsen bij te werken")),
              lambda: {"subject": "Werk uw beschikbare plaatsen bij: Pleegzorg, Breda",
                       "report": S(id=3, category=_category(), location="Breda",
                                   places=2, available_from=date(2027, 9, 1),
                                   reported_at=datetime(2027, 6, 1, 12, 0)),
                       "stale_days": 90}),
        _kind("term_extended", "Looptijd verlengd", "de beheerders van elke toegelaten aanbieder",
              _p(("procedure.name", "naam van de procedure"),
                 ("procedure.current_end|datum", "nieuwe einddatum"),
                 ("old_end|datum", "vorige einddatum"),
                 ("procedure.options_left", "resterende verlengingsopties"),
                 ("exercise.rationale", "onderbouwing van de verlenging")),
              lambda: {"subject": "Open house Wonen met begeleiding verlengd tot 31-12-2032",
                       "procedure": _procedure(), "old_end": date(2031, 12, 31),
                       "exercise": S(number=1, months=12, exercised_on=date(2031, 6, 1),
                                     rationale="Er zijn nog te weinig aanbieders.")}),
    ]
    return {k.kind: k for k in kinds}


REGISTRY: dict[str, MailKind] = _registry()


def register(kind: str, title: str, recipient: str, placeholders: list[tuple[str, str]],
             sample: Callable[[], dict]) -> MailKind:
    """Document a mail kind from the module that sends it (at import time): its Dutch
    title, who gets it, its placeholders (expression, Dutch meaning) and a function that
    builds a sample context with every variable the templates use (``subject`` included).
    Every ``templates/mail/<kind>.txt`` needs an entry; the tests check that."""
    spec = _kind(kind, title, recipient, _p(*placeholders), sample)
    REGISTRY[kind] = spec
    return spec


def mail_kinds() -> list[str]:
    """Every kind the portal can send: each ``templates/mail/<kind>.txt`` with its .html."""
    names = set(current_app.jinja_env.list_templates())
    return sorted(
        name[len("mail/"):-len(".txt")] for name in names
        if name.startswith("mail/") and name.endswith(".txt")
        and not name[len("mail/"):].startswith("_")
        and name[:-len(".txt")] + ".html" in names
    )


def spec(kind: str) -> MailKind | None:
    return REGISTRY.get(kind)


def sample_context(kind: str) -> dict:
    return REGISTRY[kind].sample()


# --- the default text, as an administrator edits it ----------------------------------------

_LITERAL = r"(?P<lit>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_GETTEXT_RE = re.compile(r"{{\s*_\(\s*" + _LITERAL + r"\s*\)\s*}}")
_GETTEXT_CALL_RE = re.compile(r"(?<![\w.])_\(\s*" + _LITERAL + r"\s*\)")
_TRANS_RE = re.compile(r"{%\s*trans\b(?P<args>.*?)%}(?P<body>.*?){%\s*endtrans\s*%}", re.S)
_PLURAL_RE = re.compile(r"{%\s*pluralize\b(?P<name>[^%]*?)%}", re.S)
_VAR_RE = re.compile(r"{{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*}}")
_ASSIGN_RE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(?P<expr>.+)$", re.S)
_BODY_BLOCK_RE = re.compile(r"{%-?\s*block\s+body\s*-?%}(?P<body>.*){%-?\s*endblock\b[^%]*%}", re.S)


def _split_arguments(text: str) -> list[str]:
    """Split ``a=x|join(', '), b=f(c, d)`` at the commas outside brackets and strings."""
    parts, current, depth, quote, i = [], [], 0, None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            current.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _plain_trans(match: re.Match) -> str:
    """``{% trans a=x %}...{{ a }}...{% endtrans %}`` as plain Jinja: ``...{{ x }}...``."""
    mapping: dict[str, str] = {}
    order: list[str] = []
    for argument in _split_arguments(match.group("args")):
        if argument in ("trimmed", "notrimmed"):
            continue
        assigned = _ASSIGN_RE.match(argument)
        name, expr = (assigned.group("name"), assigned.group("expr").strip()) if assigned \
            else (argument, argument)
        mapping[name] = expr
        order.append(name)

    def fill(text: str) -> str:
        return _VAR_RE.sub(lambda m: "{{ " + mapping.get(m.group("name"), m.group("name")) + " }}",
                           text)

    body = match.group("body")
    plural = _PLURAL_RE.search(body)
    if plural is None:
        return fill(body)
    name = plural.group("name").strip() or ("count" if "count" in mapping else order[0])
    singular, many = fill(body[:plural.start()]), fill(body[plural.end():])
    if singular == many:
        return singular
    return f"{{% if ({mapping.get(name, name)}) == 1 %}}{singular}{{% else %}}{many}{{% endif %}}"


def plain_jinja(source: str) -> str:
    """A default mail template as an administrator reads it: the Dutch text itself instead
    of the translation markers (``{{ _('...') }}``, ``{% trans %}``), same output."""
    source = _GETTEXT_RE.sub(lambda m: python_ast.literal_eval(m.group("lit")), source)
    source = _GETTEXT_CALL_RE.sub(lambda m: m.group("lit"), source)  # _('x') in an expression
    return _TRANS_RE.sub(_plain_trans, source)


def _default_source(name: str) -> str:
    env = current_app.jinja_env
    return env.loader.get_source(env, name)[0]


def default_texts(kind: str) -> dict[str, str]:
    """The default subject, text and HTML body of a kind, in the editor's form. The
    subject is ``{{ subject }}``: the subject the portal makes for each mail."""
    text = plain_jinja(_default_source(f"mail/{kind}.txt")).strip("\n")
    html_source = _default_source(f"mail/{kind}.html")
    block = _BODY_BLOCK_RE.search(html_source)
    html = plain_jinja(block.group("body") if block else html_source).strip("\n")
    return {"subject": "{{ subject }}", "body_text": text, "body_html": html}


# --- checking and rendering ----------------------------------------------------------------

class MailTextError(Exception):
    """An administrator's text cannot be rendered; ``errors`` lists (field, Dutch message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors


@dataclass
class Rendered:
    subject: str
    body_text: str
    body_html: str  # the whole mail: the body in the standard layout


def _placeholder(expression: str) -> str:
    return "{{ " + expression + " }}"


def _unknown_names(env: MailSandbox, tree, context: dict) -> list[str]:
    """Placeholders the kind does not offer, also in branches the sample does not take."""
    allowed = set(context) | set(env.globals)
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Getattr):
        chain, current = [], node
        while isinstance(current, nodes.Getattr):
            chain.append(current.attr)
            current = current.node
        if not (isinstance(current, nodes.Name) and current.name in context
                and current.name not in assigned):
            continue
        value, path = context[current.name], current.name
        for attr in reversed(chain):
            path += "." + attr
            if value is None:
                break
            if attr.startswith("_") or not hasattr(value, attr):
                unknown.append(path)
                break
            value = getattr(value, attr)
    return list(dict.fromkeys(unknown))


def _explain(exc: Exception, part: str) -> str:
    """A Dutch message for what went wrong while compiling or rendering ``part``."""
    if isinstance(exc, TemplateSyntaxError):
        message = exc.message or ""
        unknown_filter = re.search(r"No filter named '([^']+)'", message)
        if unknown_filter:
            return (f"{part}: het filter ‘{unknown_filter.group(1)}’ bestaat niet. Gebruik "
                    f"bijvoorbeeld |datum, |datumtijd of |euro.")
        unknown_test = re.search(r"No test named '([^']+)'", message)
        if unknown_test:
            return f"{part}: de test ‘{unknown_test.group(1)}’ bestaat niet."
        return (f"{part}, regel {exc.lineno}: de opmaak van een plaatshouder klopt niet. "
                "Controleer of elke {{ wordt afgesloten met }} en elke {% met %}, en of elke "
                "{% if %} en {% for %} een {% endif %} of {% endfor %} heeft. "
                f"(Technische melding: {message})")
    if isinstance(exc, UndefinedError):
        message = str(exc)
        attribute = re.search(r"has no attribute '([^']+)'", message)
        name = re.search(r"'([^']+)' is undefined", message)
        what = attribute.group(1) if attribute else name.group(1) if name else message
        return (f"{part}: onbekende plaatshouder ‘{what}’. Gebruik alleen de plaatshouders "
                "die bij deze e-mail staan.")
    if isinstance(exc, SecurityError):
        return (f"{part}: dit is niet toegestaan in een e-mailtekst. Gebruik alleen de "
                "plaatshouders die bij deze e-mail staan.")
    if isinstance(exc, BuildError):
        return (f"{part}: portal_url kent de pagina ‘{exc.endpoint}’ niet (of mist een "
                "gegeven). Neem de link over uit de lijst met plaatshouders.")
    return f"{part}: de tekst kan niet worden opgemaakt ({type(exc).__name__}: {exc})."


def render_texts(texts: dict[str, str], context: dict, *, check_names: bool = True) -> Rendered:
    """Render subject, text and HTML body (wrapped in the standard layout) in the sandbox.
    Raises MailTextError with a Dutch message per field that fails."""
    errors: list[tuple[str, str]] = []
    out: dict[str, str] = {}
    for field, part, html in PARTS:
        env = sandbox(html)
        source = texts.get(field) or ""
        try:
            if check_names:
                unknown = _unknown_names(env, env.parse(source), context)
                if unknown:
                    listed = ", ".join(f"‘{_placeholder(u)}’" for u in unknown)
                    errors.append((field, f"{part}: onbekende plaatshouder {listed}. Gebruik "
                                          "alleen de plaatshouders die bij deze e-mail staan."))
                    continue
            out[field] = _compile(env, source).render(**context)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            errors.append((field, _explain(exc, part)))
    if "subject" in out:
        out["subject"] = " ".join(out["subject"].split())[:SUBJECT_MAX]
        if not out["subject"]:
            errors.append(("subject", "Onderwerp: het onderwerp is leeg na het invullen van de "
                                      "plaatshouders."))
    if errors:
        raise MailTextError(errors)
    body_html = render_template("admin/mail/_wrapped.html", body=Markup(out["body_html"]),
                                subject=out["subject"])
    return Rendered(subject=out["subject"], body_text=out["body_text"], body_html=body_html)


def render_sample(kind: str, texts: dict[str, str]) -> Rendered:
    """The preview: ``texts`` rendered with the kind's sample context, checked."""
    return render_texts(texts, sample_context(kind))


def render_default_sample(kind: str) -> Rendered:
    """The default files rendered with the sample context (for comparison and preview)."""
    context = sample_context(kind)
    return Rendered(subject=context["subject"],
                    body_text=render_template(f"mail/{kind}.txt", **context),
                    body_html=render_template(f"mail/{kind}.html", **context))


def custom_template(kind: str) -> MailTemplate | None:
    return db.session.scalar(select(MailTemplate).where(MailTemplate.kind == kind))


def render_for_outbox(kind: str, context: dict) -> Rendered | None:
    """The administrator's text for a mail being queued, or None: no text for this kind, or
    it fails on the real data (then the default files apply and the failure is logged)."""
    row = custom_template(kind)
    if row is None:
        return None
    texts = {"subject": row.subject, "body_text": row.body_text, "body_html": row.body_html}
    try:
        return render_texts(texts, context, check_names=False)
    except MailTextError as exc:
        log.warning("mail text %r fails on real data, default used: %s", kind, exc)
        return None


# --- operations ----------------------------------------------------------------------------

def version_of(row: MailTemplate | None) -> int:
    """What an edit form was built on: the text's last change in microseconds; 0: default."""
    if row is None:
        return 0
    return (row.updated_at - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _lines(text: str) -> str:
    """Browsers send a textarea with CRLF line ends; store plain newlines."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def _require_admin(by) -> None:
    if not (by.is_admin and by.is_active):
        raise NotPermitted("Alleen een contractbeheerder kan e-mailteksten wijzigen.")


def _check_version(row: MailTemplate | None, expected_version: int | None) -> None:
    if expected_version is not None and version_of(row) != expected_version:
        raise DomainError("Iemand anders heeft deze e-mailtekst intussen gewijzigd. Uw tekst "
                          "staat nog in het formulier; vergelijk die met de huidige tekst en "
                          "sla opnieuw op.")


def save_text(kind: str, *, subject: str, body_text: str, body_html: str, by,
              expected_version: int | None = None) -> MailTemplate:
    """Check the text against the sample context and store it. Raises MailTextError with
    a message per field, or DomainError when someone else changed the text meanwhile."""
    _require_admin(by)
    if spec(kind) is None or kind not in mail_kinds():
        raise DomainError("Deze e-mail bestaat niet.")
    texts = {"subject": subject.strip(), "body_text": _lines(body_text),
             "body_html": _lines(body_html)}
    render_sample(kind, texts)
    row = custom_template(kind)
    _check_version(row, expected_version)
    if row is None:
        row = MailTemplate(kind=kind)
        db.session.add(row)
        action = "mail_template_created"
    else:
        action = "mail_template_changed"
    row.subject, row.body_text, row.body_html = texts["subject"], texts["body_text"], texts["body_html"]
    row.updated_by_id = by.id
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(action, row, actor=by, detail=f"kind={kind}")
    return row


def reset_text(kind: str, *, by, expected_version: int | None = None) -> bool:
    """Back to the default files: the administrator's text is deleted. False if none."""
    _require_admin(by)
    row = custom_template(kind)
    if row is None:
        return False
    _check_version(row, expected_version)
    audit.record("mail_template_reset", row, actor=by, detail=f"kind={kind}")
    db.session.delete(row)
    db.session.flush()
    return True
