"""The mail kinds: what a part of the portal declares about each mail it sends.

Each part that sends mail lists its kinds in its own ``mails`` module (``KINDS``, built with
``mail_kind``): the Dutch title and recipient that the administrators' mail-text editor
shows, the placeholders a text may use, a function that builds a sample context, and
whether the mail carries a secret link (``sensitive``). ``create_app`` hands those lists to
``declare``; ``queue()`` and the mail-text editor look a kind up with ``get`` in the current
app. Notifications imports no domain part: the parts come to it, through the app.

Every declared kind has its templates ``mail/<kind>.txt`` and ``mail/<kind>.html`` and
every such pair belongs to a declared kind (the tests check both).

The placeholder groups and sample objects below are shared by the parts' declarations.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from flask import Flask, current_app

EXTENSION = "portal_mail_kinds"


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
    sensitive: bool = False  # carries a secret link: no page shows its body


class MailKindError(RuntimeError):
    """A programming error: a kind declared twice, or a mail of a kind nobody declared."""


def placeholders(*pairs: tuple[str, str]) -> tuple[Placeholder, ...]:
    """Placeholders from (expression, Dutch description) pairs."""
    return tuple(Placeholder(e, d) for e, d in pairs)


SUBJECT = placeholders(("subject", "het standaardonderwerp dat het portaal voor deze e-mail maakt"))


def mail_kind(kind: str, title: str, recipient: str,
              offered: Iterable[Placeholder | tuple[str, str]],
              sample: Callable[[], dict], *, sensitive: bool = False) -> MailKind:
    """A kind's declaration. ``offered``: its placeholders (``Placeholder`` objects or
    (expression, Dutch description) pairs) after ``subject``, which every kind offers;
    ``sample`` builds a context with every variable the templates use (``subject``
    included); ``sensitive``: the mail carries a secret link (a signed token)."""
    offered = tuple(p if isinstance(p, Placeholder) else Placeholder(*p) for p in offered)
    return MailKind(kind, title, recipient, SUBJECT + offered, sample, sensitive)


# --- the app's kinds ----------------------------------------------------------------------

def declare(app: Flask, *groups: Iterable[MailKind]) -> dict[str, MailKind]:
    """Store the kinds of every part in ``app.extensions``; a kind declared twice (in one
    part or two) is an error at startup."""
    declared: dict[str, MailKind] = dict(app.extensions.get(EXTENSION, {}))
    for group in groups:
        for spec in group:
            if spec.kind in declared:
                raise MailKindError(f"mail kind {spec.kind!r} is declared twice")
            declared[spec.kind] = spec
    app.extensions[EXTENSION] = declared
    return declared


def declared(app: Flask | None = None) -> dict[str, MailKind]:
    """Every kind the app declared, by name."""
    return (app or current_app).extensions.get(EXTENSION, {})


def get(kind: str) -> MailKind:
    """The declaration of ``kind`` in the current app; MailKindError if none."""
    spec = declared().get(kind)
    if spec is None:
        raise MailKindError(f"mail kind {kind!r} is not declared: add it to the KINDS of the "
                            "part's mails module")
    return spec


# --- shared placeholder groups ------------------------------------------------------------

APPLICATION = placeholders(
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
APPLICATION_LINK_PROVIDER = placeholders(
    ("portal_url('applications.edit', application_id=application.id)",
     "link naar de aanmelding in het portaal (voor de aanbieder)"),
)
APPLICATION_LINK_ASSESSOR = placeholders(
    ("application.assessor.full_name if application.assessor else 'niet toegewezen'",
     "naam van de beoordelaar (als er een is toegewezen)"),
    ("portal_url('assessment.detail', application_id=application.id)",
     "link naar de beoordeling van de aanmelding (voor beoordelaars)"),
)
NAME = placeholders(("name", "naam van de ontvanger"))


# --- shared sample objects ----------------------------------------------------------------

S = SimpleNamespace


def sample_organisation():
    return S(name="Stichting Voorbeeld Jeugdzorg", kvk_number="12345678", city="Breda")


def sample_procedure():
    return S(name="Open house Wonen met begeleiding", reference="RWBO-JZ-2026-01",
             current_end=date(2032, 12, 31), options_left=1)


def sample_user(name, email):
    return S(full_name=name, email=email)


def sample_application():
    return S(
        id=42, reference="WMB-2027-0042", organisation=sample_organisation(),
        procedure=sample_procedure(),
        categories=[S(code="pleegzorg", name="Pleegzorg"),
                    S(code="gezinshuiszorg", name="Gezinshuiszorg")],
        status=S(value="in_behandeling", label="in behandeling"),
        submitted_at=datetime(2027, 3, 1, 9, 30), decision_due=date(2027, 4, 26),
        assessor=sample_user("Bea Beoordelaar", "beoordelaar@regio.example"),
        round_id=None,  # set for a re-confirmation (herbevestiging)
    )
