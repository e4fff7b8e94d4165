"""Closing and reopening (issue 13, part A, point 4): while closed, submitting is refused
with the region's reason and drafts are kept; a closure with a reopening date ends on that
date by the daily command (audited with no actor, the public notice removed, subscribers
and providers with a draft mailed). Time is frozen on every day that matters."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select, update

from portal.applications import workflow
from portal.applications.models import Application, Status
from portal.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.models import AuditEvent, Document, OutboxMail, Procedure, User
from portal.procedure import settings as ops
from tests.conftest import ADMIN, PROVIDER, user
from tests.helpers import categories, fill_completely
from tests.test_partners_capacity import organisation

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOTICE = "We werken de eisen voor de gezinshuizen bij."
SUBSCRIBER = "nieuws@abonnee.example"
OTHER = "geen-nieuws@anders.example"


def _at(day: date, hour: int = 12):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMSTERDAM),
                               tick=False)


def _procedure() -> Procedure:
    return db.session.scalar(select(Procedure))


def _reopened_mails() -> list[str]:
    return sorted(db.session.scalars(select(OutboxMail.to_address).where(
        OutboxMail.kind == "applications_reopened")))


@pytest.fixture
def closed(app):
    """On 13 June 2029: a complete draft of the demo provider, a subscriber to the
    procedure's news and a provider without either; then the house is closed until
    1 July 2029."""
    with _at(date(2029, 6, 13)), app.app_context():
        provider = user(PROVIDER)
        application = workflow.create_application(_procedure(), categories("pleegzorg"),
                                                  by=provider)
        fill_completely(application, provider)
        organisation("Nieuwsgierig Huis", "66100001", beheerder=SUBSCRIBER)
        organisation("Ander Huis", "66100002", beheerder=OTHER)
        db.session.execute(update(User).where(User.email == SUBSCRIBER).values(
            qa_notifications=True))
        unconfirmed = organisation("Onbevestigd Huis", "66100003",
                                   beheerder="onbevestigd@huis.example")
        db.session.execute(update(User).where(User.organisation_id == unconfirmed.id).values(
            qa_notifications=True, email_confirmed_at=None))
        ops.set_applications_open(_procedure(), False, by=user(ADMIN), notice=NOTICE,
                                  reopens_on=date(2029, 7, 1))
        db.session.commit()
        return application.id


def test_submitting_while_closed_is_refused_with_the_reason_and_the_draft_is_kept(app, closed):
    with _at(date(2029, 6, 20)), app.app_context():
        answers = len(db.session.get(Application, closed).answers)
        with pytest.raises(DomainError) as refused:
            workflow.submit(db.session.get(Application, closed), by=user(PROVIDER))
        db.session.rollback()
        message = refused.value.message
        assert message.startswith("Aanmelden is tijdelijk gesloten, dus indienen kan nu niet.")
        assert f"Mededeling van de regio: {NOTICE}" in message
        assert "Aanmelden gaat weer open op 01-07-2029." in message
        with pytest.raises(DomainError, match="dus aanmelden kan nu niet"):
            workflow.create_application(_procedure(), categories("gezinshuiszorg"),
                                        by=user(PROVIDER))
        db.session.rollback()
        draft = db.session.get(Application, closed)
        assert draft.status == Status.CONCEPT and len(draft.answers) == answers > 10
        assert draft.submitted_at is None


def test_the_daily_command_reopens_on_the_announced_date_once(app, closed):
    runner = app.test_cli_runner()
    with _at(date(2029, 6, 30)):
        result = runner.invoke(args=["partners", "daily"])
        assert result.exit_code == 0, result.output
        assert "procedures reopened: 0" in result.output
        with app.app_context():
            assert _procedure().is_open is False
    with _at(date(2029, 7, 1), hour=0):
        result = runner.invoke(args=["partners", "daily"])
        assert result.exit_code == 0, result.output
        assert "procedures reopened: 1" in result.output
        with app.app_context():
            procedure = _procedure()
            assert procedure.is_open is True
            assert procedure.closed_notice is None and procedure.reopens_on is None
            [event] = db.session.scalars(select(AuditEvent).where(
                AuditEvent.action == "applications_opened")).all()
            assert event.actor_id is None
            assert (event.from_state, event.to_state) == ("gesloten", "open")
            assert "heropend op 01-07-2029" in event.detail and NOTICE in event.detail
            # The subscriber to the procedure's news and the beheerder with a draft; nobody
            # else (the unconfirmed subscriber neither).
            assert _reopened_mails() == sorted([SUBSCRIBER, PROVIDER])
            mail = db.session.scalar(select(OutboxMail).where(
                OutboxMail.kind == "applications_reopened", OutboxMail.to_address == PROVIDER))
            assert "Aanmelden voor Open house Wonen met begeleiding is weer open" in mail.body_text
            assert "Had u een aanmelding in concept? Die is bewaard gebleven." in mail.body_text
        home = app.test_client().get("/").get_data(as_text=True)
        assert "tijdelijk gesloten" not in home and NOTICE not in home
        # Twice on one day: nothing happens twice.
        again = runner.invoke(args=["partners", "daily"])
        assert "procedures reopened: 0" in again.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "applications_opened")) == 1
            assert len(_reopened_mails()) == 2
    # The kept draft can now be submitted.
    with _at(date(2029, 7, 2)), app.app_context():
        provider = user(PROVIDER)
        db.session.execute(update(Document).where(
            Document.organisation_id == provider.organisation_id).values(valid_until=None))
        workflow.submit(db.session.get(Application, closed), by=provider)
        db.session.commit()
        assert db.session.get(Application, closed).status == Status.INGEDIEND


def test_a_closure_without_a_date_stays_closed_and_bad_dates_are_refused(app):
    with _at(date(2029, 6, 13)), app.app_context():
        admin = user(ADMIN)
        for bad in (date(2029, 6, 13), date(2029, 6, 1)):
            with pytest.raises(ValidationFailed) as refused:
                ops.set_applications_open(_procedure(), False, by=admin, notice=NOTICE,
                                          reopens_on=bad)
            assert refused.value.errors[0][0] == "reopens_on"
            assert "ligt in de toekomst" in refused.value.errors[0][1]
            db.session.rollback()
        with pytest.raises(ValidationFailed) as refused:
            ops.set_applications_open(_procedure(), False, by=admin, notice="  ",
                                      reopens_on=date(2029, 7, 1))
        assert refused.value.errors[0][0] == "closed_notice"
        db.session.rollback()
        assert _procedure().is_open is True
        ops.set_applications_open(_procedure(), False, by=admin, notice=NOTICE)
        db.session.commit()
    with _at(date(2031, 12, 31)):
        result = app.test_cli_runner().invoke(args=["partners", "daily"])
        assert "procedures reopened: 0" in result.output
        with app.app_context():
            assert _procedure().is_open is False
            assert _reopened_mails() == []


def test_a_reconfirmation_is_answered_while_applying_is_closed(in_term, ctx):
    """A temporary closure stops new applications, not an admitted partner's answer to a
    re-confirmation round."""
    from tests.test_partners_reconfirmation import (
        _admitted,
        _new_version,
        _round_application,
        _start,
    )

    linde = user(PROVIDER)
    _admitted(linde, ("pleegzorg",))
    rnd = _start(_new_version())
    ops.set_applications_open(_procedure(), False, by=user(ADMIN), notice=NOTICE)
    db.session.commit()
    application = _round_application(rnd, linde.organisation_id)
    fill_completely(application, linde)
    workflow.submit(application, by=linde)
    db.session.commit()
    assert application.status == Status.INGEDIEND
    with pytest.raises(DomainError, match="tijdelijk gesloten"):
        workflow.create_application(_procedure(), categories("gezinshuiszorg"), by=linde)
