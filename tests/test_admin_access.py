"""Only administrators reach the administration. The URLs are not listed by hand: the test
walks ``app.url_map`` for every endpoint of the administration blueprints (and the
administrators' part of the Q&A), builds each URL with real ids and valid values, and asks
it with every method as a visitor who is not logged in (sent to the login page), a provider
and an assessor (403), and any other non-administrator role the portal knows. A route added
later to one of these blueprints is checked the same way, so it fails here unless it is
guarded; a route with a parameter this test cannot fill fails too, with a message saying so.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts import staff as staff_ops
from portal.accounts.models import Role
from portal.accounts.passwords import hash_password
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Category,
    OutboxMail,
    Procedure,
    Product,
    Requirement,
    User,
)
from portal.notifications import mail_texts
from portal.procedure import qa
from portal.procedure import settings as procedure_ops
from portal.procedure import versions as catalogue_ops
from portal.reports import figures as reports
from portal.timeutil import utcnow
from tests.conftest import ADMIN, ASSESSOR_1, DEMO_PASSWORD, PROVIDER, csrf_token, login, user

ADMIN_BLUEPRINTS = ("admin", "admin_audit", "admin_catalogue", "admin_procedure", "admin_reports",
                    "admin_staff", "notifications")
# The one administration page that must be public: the invitation link with which a new
# staff member chooses a password (there is no account to log in with yet).
PUBLIC_ENDPOINTS = {"admin_staff.set_password"}
REFERRER = getattr(Role, "REFERRER", None)  # a role another part of the portal may add
REFERRER_EMAIL = "verwijzer@gemeente.example"


def is_admin_endpoint(rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    if blueprint in ADMIN_BLUEPRINTS:
        return True
    # The Q&A blueprint serves providers too; its administrators' part is qa.admin_* and
    # the actions under /beheer/ (answer, publish, withdraw the publication).
    return blueprint == "qa" and (rule.endpoint.startswith("qa.admin_")
                                  or rule.rule.startswith("/beheer/"))


def admin_rules(app: Flask):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if is_admin_endpoint(rule) and rule.endpoint not in PUBLIC_ENDPOINTS),
                  key=lambda rule: (rule.rule, rule.endpoint))


@dataclass
class Values:
    """Real ids from the database, valid strings from the code that checks them."""

    category_id: int
    product_id: int
    draft_number: int
    requirement_id: int
    user_id: int
    mail_id: int
    question_id: int
    year: int
    mail_kind: str
    document_kind: str
    figure: str

    def for_rule(self, rule) -> dict:
        by_name = {
            "category_id": self.category_id, "product_id": self.product_id,
            "number": self.draft_number, "requirement_id": self.requirement_id,
            "user_id": self.user_id, "mail_id": self.mail_id, "question_id": self.question_id,
            "year": self.year, "figure": self.figure, "fmt": "csv",
        }
        values = {}
        for name in rule.arguments:
            if name == "kind":
                values[name] = (self.document_kind if rule.endpoint.startswith("admin_procedure.")
                                else self.mail_kind)
            elif name in by_name:
                values[name] = by_name[name]
            else:
                pytest.fail(f"{rule.endpoint} ({rule.rule}) has a parameter {name!r} that this "
                            "test cannot fill yet: add a real value for it in Values.for_rule")
        return values


def real_values(app: Flask) -> Values:
    """Create what the URLs point at (a catalogue draft, an invited assessor, a question and
    its receipt mail) through the real operations, and collect the ids."""
    with app.app_context():
        admin, provider = user(ADMIN), user(PROVIDER)
        procedure = db.session.scalar(select(Procedure).order_by(Procedure.id))
        draft = catalogue_ops.create_draft(procedure, by=admin)
        invited = staff_ops.create_staff(full_name="Nora Nieuw", email="nora@regio.example",
                                         role="assessor", by=admin)
        question = qa.ask(procedure, "Tarief 44A06", "Geldt het tarief per etmaal?", by=provider)
        if REFERRER is not None and user(REFERRER_EMAIL) is None:
            referrer = User(email=REFERRER_EMAIL, full_name="Vera Verwijzer", role=REFERRER,
                            password_hash=hash_password(DEMO_PASSWORD), email_confirmed_at=utcnow())
            if hasattr(User, "affiliation"):
                referrer.affiliation = "Sociaal wijkteam Breda"
            db.session.add(referrer)
        db.session.commit()
        values = Values(
            category_id=db.session.scalar(select(Category.id).order_by(Category.position)),
            product_id=db.session.scalar(select(Product.id).order_by(Product.id)),
            draft_number=draft.number,
            requirement_id=db.session.scalar(select(Requirement.id).where(
                Requirement.version_id == draft.id).order_by(Requirement.position)),
            user_id=invited.id,
            # The receipt of the question: a mail administrators may read (the invitation
            # carries a secret link and is never shown).
            mail_id=db.session.scalar(select(OutboxMail.id).where(
                OutboxMail.kind == "qa_receipt", OutboxMail.sensitive.is_(False))),
            question_id=question.id,
            year=procedure.term_start.year,
            mail_kind=mail_texts.mail_kinds()[0],
            document_kind=next(iter(procedure_ops.DOCUMENT_KINDS)),
            figure=next(iter(reports.FIGURES)),
        )
        assert None not in vars(values).values(), values
        return values


# Logging in is audited too; these tests count what the pages changed.
SIGNING_IN = ("login", "logout", "second_factor_used", "second_factor_enrolled")
# What an administrator reading pages leaves behind on purpose: who saw or took what.
ACCESS = ("viewed", "downloaded", "exported", "mail_read")


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(AuditEvent.id))
                                  .where(AuditEvent.action.not_in(SIGNING_IN + ACCESS))),
                db.session.scalar(select(func.count(OutboxMail.id))))


def refusals(app: Flask, values: Values, roles: list[tuple[str, str | None]],
             rules=None) -> list[str]:
    """Ask every administration URL with every method as each role; return what was let in."""
    problems = []
    rules = admin_rules(app) if rules is None else rules
    for label, email in roles:
        client = app.test_client()
        if email is not None:
            login(client, email)
        # A valid CSRF token of this session, so a POST reaches the route's guard (a missing
        # token would be refused earlier, with 400, and prove nothing about the guard).
        token = csrf_token(client, "/inloggen" if email is None else "/account")
        for rule in rules:
            url = rule.build(values.for_rule(rule))[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token} if method != "GET" else None
                response = client.open(url, method=method, data=data)
                location = response.headers.get("Location", "")
                if email is None:
                    if not (response.status_code == 302 and "/inloggen" in location):
                        problems.append(f"{label} {method} {url} ({rule.endpoint}): "
                                        f"{response.status_code} {location}")
                elif response.status_code != 403:
                    problems.append(f"{label} {method} {url} ({rule.endpoint}): "
                                    f"{response.status_code} {location}")
    return problems


def _roles() -> list[tuple[str, str | None]]:
    roles = [("anoniem", None), ("aanbieder", PROVIDER), ("beoordelaar", ASSESSOR_1)]
    if REFERRER is not None:
        roles.append(("verwijzer", REFERRER_EMAIL))
    return roles


def test_every_administration_url_refuses_everyone_but_administrators(app):
    values = real_values(app)
    rules = admin_rules(app)
    # The walk found every administration blueprint (a renamed blueprint would otherwise
    # silently drop out of this test) and the administrators' Q&A pages.
    found = {rule.endpoint.rpartition(".")[0] for rule in rules}
    assert found == set(ADMIN_BLUEPRINTS) | {"qa"}, found
    assert {"qa.admin_list", "qa.admin_detail", "qa.answer"} <= {rule.endpoint for rule in rules}
    assert len(rules) >= 50 and "admin_staff.set_password" not in {r.endpoint for r in rules}
    assert any("POST" in rule.methods for rule in rules)

    before = _counts(app)
    assert refusals(app, values, _roles()) == []
    # Nothing any of them sent changed anything: no audit event, no mail.
    assert _counts(app) == before

    # The values are real: an administrator gets every page (no 403, no 404), so the
    # refusals above are the guard's doing and not a missing object.
    admin = app.test_client()
    login(admin, ADMIN)
    for rule in rules:
        if "GET" in rule.methods:
            url = rule.build(values.for_rule(rule))[1]
            response = admin.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
            assert "/inloggen" not in response.headers.get("Location", ""), url
    assert _counts(app) == before


def test_the_invitation_link_stays_public(app):
    """The one exception: the set-password page opens without logging in (and, with a
    link that is not valid, says so instead of sending the visitor to the login page)."""
    response = app.test_client().get("/beheer/wachtwoord-instellen/geen-geldige-link")
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Wachtwoord kiezen" in response.get_data(as_text=True)


def test_an_unguarded_administration_route_added_later_is_caught(app):
    """The walk is what protects new routes: add one without a guard to an administration
    blueprint's endpoint space and the check reports it, for every non-administrator."""
    values = real_values(app)
    # Routes are added before the app serves its first request (Flask allows no later).
    app.add_url_rule("/beheer/nieuw-en-open", endpoint="admin_reports.nieuw_en_open",
                     view_func=lambda: "open voor iedereen", methods=["GET", "POST"])
    app.add_url_rule("/beheer/iets/<int:iets_id>", endpoint="admin.iets",
                     view_func=lambda iets_id: "")
    rules = admin_rules(app)
    assert {"admin_reports.nieuw_en_open", "admin.iets"} <= {rule.endpoint for rule in rules}

    fillable = [rule for rule in rules if rule.endpoint != "admin.iets"]
    problems = refusals(app, values, [("anoniem", None), ("aanbieder", PROVIDER)], fillable)
    assert problems and all("admin_reports.nieuw_en_open" in p for p in problems), problems
    assert {" ".join(p.split()[:2]) for p in problems} == {
        "anoniem GET", "anoniem POST", "aanbieder GET", "aanbieder POST"}

    # A route with a parameter the walk cannot fill fails the test instead of being skipped.
    with pytest.raises(pytest.fail.Exception, match="iets_id"):
        refusals(app, values, [("aanbieder", PROVIDER)], rules)
