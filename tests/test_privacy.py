"""Privacy (issue 12, point 9): the privacy statement on every page with the retention
periods from the settings, and `flask privacy due` listing what passed its period."""
from __future__ import annotations

from datetime import datetime

import time_machine
from sqlalchemy import func, select

from portal.accounts.privacy import due
from portal.applications import workflow
from portal.applications.models import Application, Status
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.procedure.seed import current_procedure
from tests.conftest import ADMIN, PROVIDER, login, post, user
from tests.helpers import categories

START = datetime(2027, 2, 1, 9, 0)


def test_the_privacy_statement_is_linked_from_every_page(app):
    anonymous = app.test_client()
    staff = app.test_client()
    login(staff, ADMIN)
    for client, url in [(anonymous, "/"), (anonymous, "/eisen"), (anonymous, "/inloggen"),
                        (anonymous, "/register"), (anonymous, "/bestaat-niet"), (staff, "/beheer/audit")]:
        html = client.get(url).get_data(as_text=True)
        assert 'href="/privacyverklaring"' in html, url


def test_the_statement_shows_the_retention_periods_of_the_settings(app):
    app.config["RETENTION_DRAFT_DAYS"] = 200
    html = app.test_client().get("/privacyverklaring").get_data(as_text=True)
    assert "<h1>Privacyverklaring</h1>" in html
    assert "Aanmeldingen die concept bleven" in html and "200 dagen na de laatste wijziging" in html
    assert "7 jaar na het besluit" in html
    assert app.config["PRIVACY_CONTACT_EMAIL"] in html


def _counts():
    return {d.retention.key: d.count for d in due()}


def test_due_lists_what_passed_its_period(app):
    with app.app_context():
        with time_machine.travel(START, tick=False):
            before = _counts()
            application = workflow.create_application(current_procedure(), categories("pleegzorg"),
                                                      by=user(PROVIDER))
            db.session.commit()
            application_id = application.id
        # A day before the end of its period the draft is not due; a day after it is.
        with time_machine.travel(datetime(2028, 1, 31, 9, 0), tick=False):
            assert _counts()["drafts"] == before["drafts"]
        with time_machine.travel(datetime(2028, 2, 2, 9, 0), tick=False):
            later = _counts()
            assert later["drafts"] == before["drafts"] + 1
            oldest = next(d for d in due() if d.retention.key == "drafts").oldest
            assert oldest <= START
        assert db.session.get(Application, application_id).status == Status.CONCEPT
        # Long after, everything that exists now has passed the audit period.
        with time_machine.travel(datetime(2099, 1, 1), tick=False):
            events = db.session.scalar(select(func.count(AuditEvent.id)))
            assert _counts()["audit"] == events


def test_the_command_prints_each_kind(app):
    with time_machine.travel(datetime(2099, 1, 1), tick=False):
        result = app.test_cli_runner().invoke(args=["privacy", "due"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("Aanmeldingen die concept bleven (365 dagen na de laatste wijziging): ")
    assert any(line.startswith("Auditlog (wie deed wat) (7 jaar na de gebeurtenis): ") for line in lines)


def test_the_accessibility_statement_is_linked_and_complete(app):
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/toegankelijkheidsverklaring"' in html
    page = app.test_client().get("/toegankelijkheidsverklaring").get_data(as_text=True)
    for heading in ("Standaard", "Status", "Bekende problemen", "Contact"):
        assert f"<h2>{heading}</h2>" in page
    assert "WCAG" in page and "2.1" in page and "Voldoet gedeeltelijk" in page


def test_every_page_has_the_favicon(app):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.get_data().startswith(b"<svg")


def test_a_user_downloads_their_own_personal_data(app):
    import json

    from portal.accounts.models import User

    client = app.test_client()
    assert client.get("/account/mijn-gegevens.json").status_code == 302  # log in first
    login(client, PROVIDER)
    assert 'href="/account/mijn-gegevens.json"' in client.get("/account").get_data(as_text=True)
    response = client.get("/account/mijn-gegevens.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mijn-gegevens.json"'
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["e-mailadres"] == PROVIDER
    assert data["organisatie"]["kvk_nummer"]
    assert any(e["handeling"] == "login" for e in data["handelingen"])
    assert set(data) == {"account", "organisatie", "handelingen", "e-mails", "bestanden"}
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == PROVIDER))
        exported = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "personal_data_exported")).all()
        assert [(e.actor_id, e.object_id) for e in exported] == [(me.id, me.id)]


def _deactivated_assessor(app):
    from portal.accounts import staff
    from tests.conftest import ASSESSOR_2

    with app.app_context():
        member = user(ASSESSOR_2)
        staff.deactivate_staff(member, by=user(ADMIN))
        db.session.commit()
        return member.id


def test_an_administrator_anonymises_a_deactivated_user_and_the_record_stays_valid(app):
    from portal.accounts.models import User
    from portal.audit.chain import verify
    from tests.conftest import ASSESSOR_1, ASSESSOR_2

    admin = app.test_client()
    login(admin, ADMIN)
    # An active account cannot be anonymised.
    with app.app_context():
        active_id = user(ASSESSOR_1).id
    refused = post(admin, f"/beheer/medewerkers/{active_id}/anonimiseren", {},
                   token_from=f"/beheer/medewerkers/{active_id}", follow_redirects=True)
    assert "Deactiveer het account eerst" in refused.get_data(as_text=True)
    member_id = _deactivated_assessor(app)
    with app.app_context():
        events_before = db.session.scalar(select(func.count(AuditEvent.id))
                                          .where(AuditEvent.actor_id == member_id))
    page = admin.get(f"/beheer/medewerkers/{member_id}").get_data(as_text=True)
    assert "Persoonsgegevens verwijderen (anonimiseren)" in page
    done = post(admin, f"/beheer/medewerkers/{member_id}/anonimiseren", {},
                token_from=f"/beheer/medewerkers/{member_id}", follow_redirects=True)
    assert "De persoonsgegevens van dit account zijn verwijderd" in done.get_data(as_text=True)
    with app.app_context():
        member = db.session.get(User, member_id)
        assert member.full_name == f"Geanonimiseerde gebruiker {member_id}"
        assert member.email.endswith("@geanonimiseerd.invalid") and member.totp_secret is None
        assert db.session.scalar(select(User).where(User.email == ASSESSOR_2)) is None
        # What they did stays, under their id, and the chain still verifies.
        assert db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.actor_id == member_id)) == events_before
        assert verify(db.session).intact
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_anonymised")).all()
        assert event.object_id == member_id and event.actor_id == user(ADMIN).id
    # Twice is refused; the old address logs in no more.
    again = post(admin, f"/beheer/medewerkers/{member_id}/anonimiseren", {},
                 token_from=f"/beheer/medewerkers/{member_id}", follow_redirects=True)
    assert "al geanonimiseerd" in again.get_data(as_text=True)
    failed = post(app.test_client(), "/inloggen", {"email": ASSESSOR_2, "password": "demo-wachtwoord-2027"})
    assert failed.status_code != 302


def test_anonymise_from_the_command_line(app):
    member_id = _deactivated_assessor(app)
    from tests.conftest import ASSESSOR_2

    result = app.test_cli_runner().invoke(args=["privacy", "anonymise", ASSESSOR_2, "--by", ADMIN])
    assert result.exit_code == 0, result.output
    assert f"anonymised account {member_id}" in result.output
    result = app.test_cli_runner().invoke(args=["privacy", "anonymise", ADMIN, "--by", ADMIN])
    assert result.exit_code != 0 and "eigen account" in result.output


def test_a_persons_data_is_read_through_indexes(app):
    """Mijn gegevens downloaden reads the mails to one address and the files one user
    uploaded: each by an index, not by reading the whole outbox or library."""
    from portal.models import Document, OutboxMail
    from tests.test_queue_search import _plan

    with app.app_context():
        mails = _plan(select(OutboxMail.subject).where(OutboxMail.to_address == "a@example.nl"))
        files = _plan(select(Document.original_name).where(Document.uploaded_by_id == 1))
    assert "ix_outbox_mails_to_address" in mails, mails
    assert "ix_documents_uploaded_by" in files, files
