"""Admissions over the term: the state table, the agreement, suspension, end, extension."""
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.applications import workflow as applications
from portal.assessment import workflow as assessment
from portal.errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AuditEvent,
    OutboxMail,
    Outcome,
    Procedure,
    VerdictOutcome,
)
from portal.partners import workflow
from portal.partners.workflow import ALLOWED_TRANSITIONS, change_status
from portal.procedure.models import add_months
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import categories, fill_completely

A = AdmissionStatus


def test_add_months_keeps_month_ends_and_leap_days():
    assert add_months(date(2031, 12, 31), 12) == date(2032, 12, 31)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2027, 2, 28), 12) == date(2028, 2, 29)  # a month end stays one
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), 3) == date(2027, 4, 15)


def test_state_table_matches_the_domain():
    assert ALLOWED_TRANSITIONS[A.TOEGELATEN] == {A.ACTIEF, A.BEEINDIGD}
    assert ALLOWED_TRANSITIONS[A.ACTIEF] == {A.GESCHORST, A.BEEINDIGD}
    assert ALLOWED_TRANSITIONS[A.GESCHORST] == {A.ACTIEF, A.BEEINDIGD}
    assert ALLOWED_TRANSITIONS[A.BEEINDIGD] == set()


def _admitted(cats=("pleegzorg",)):
    """An application taken through the whole assessment: admitted, agreement offered."""
    provider = user(PROVIDER)
    application = applications.create_application(db.session.scalar(select(Procedure)),
                                                   categories(*cats), by=provider)
    fill_completely(application, provider)
    applications.submit(application, by=provider)
    first = user(ASSESSOR_1)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                             for r in application.applicable_requirements()}, by=first)
    assessment.propose_decision(application, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                              for c in application.categories}, by=first)
    assessment.approve_decision(application, by=user(ASSESSOR_2))
    db.session.commit()
    return application


@pytest.mark.parametrize("old,new", list(itertools.product(A, A)),
                         ids=[f"{a.value}->{b.value}" for a, b in itertools.product(A, A)])
def test_every_transition_is_checked_and_audited(ctx, old, new):
    _admitted()
    admission = db.session.scalar(select(Admission))
    admission.status = old
    db.session.commit()
    if new in ALLOWED_TRANSITIONS[old]:
        change_status(admission, new, by=user(ADMIN), action="test")
        db.session.commit()
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test"))
        assert (event.from_state, event.to_state) == (old.value, new.value)
    else:
        with pytest.raises(TransitionNotAllowed):
            change_status(admission, new, by=user(ADMIN), action="test")
        assert admission.status == old


def test_accepting_the_agreement_activates_and_records_everything(ctx):
    application = _admitted(("pleegzorg", "leefgroepen"))
    agreement = db.session.scalar(select(Agreement))
    assert agreement.application_id == application.id
    assert sorted(a.category.code for a in agreement.admissions) == ["leefgroepen", "pleegzorg"]
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "agreement_offered"))
    with pytest.raises(NotPermitted):
        workflow.accept_agreement(agreement, by=user(ASSESSOR_1), ip_address="10.0.0.1")
    workflow.accept_agreement(agreement, by=user(PROVIDER), ip_address="192.0.2.7")
    db.session.commit()
    assert agreement.accepted_by_id == user(PROVIDER).id and agreement.accepted_ip == "192.0.2.7"
    assert agreement.accepted_sha256 == agreement.sha256 == agreement.document.sha256
    assert {a.status for a in agreement.admissions} == {A.ACTIEF}
    assert all(a.activated_at for a in agreement.admissions)
    with pytest.raises(DomainError, match="al geaccepteerd"):
        workflow.accept_agreement(agreement, by=user(PROVIDER), ip_address=None)


def test_agreement_reminder_after_14_days_once(ctx):
    _admitted()
    today = date.today()
    assert workflow.remind_agreements(today + timedelta(days=13)) == 0
    assert workflow.remind_agreements(today + timedelta(days=14)) == 1
    assert workflow.remind_agreements(today + timedelta(days=15)) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                             .where(OutboxMail.kind == "agreement_reminder")) == 2  # contact + beheerder


def _active():
    _admitted()
    agreement = db.session.scalar(select(Agreement))
    workflow.accept_agreement(agreement, by=user(PROVIDER), ip_address=None)
    db.session.commit()
    return db.session.scalar(select(Admission))


def test_suspension_now_and_planned_and_its_end(ctx):
    admission = _active()
    today = date.today()
    with pytest.raises(ValidationFailed) as err:
        workflow.suspend(admission, by=user(ADMIN), reason="Onderzoek", starts_on=today + timedelta(days=5),
                         ends_on=today + timedelta(days=2))
    assert err.value.errors[0][0] == "ends_on"
    with pytest.raises(NotPermitted):
        workflow.suspend(admission, by=user(ASSESSOR_1), reason="x", starts_on=today)
    workflow.suspend(admission, by=user(ADMIN), reason="Onderzoek naar een melding",
                     starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=9))
    db.session.commit()
    assert admission.status == A.ACTIEF  # planned
    with pytest.raises(DomainError, match="al een schorsing"):
        workflow.suspend(admission, by=user(ADMIN), reason="nog een", starts_on=today + timedelta(days=3))
    report = workflow.run_daily(today + timedelta(days=2))
    assert report.suspensions_started == 1 and admission.status == A.GESCHORST
    assert workflow.run_daily(today + timedelta(days=2)).suspensions_started == 0  # twice: once
    report = workflow.run_daily(today + timedelta(days=10))
    assert report.suspensions_ended == 1 and admission.status == A.ACTIEF
    kinds = set(db.session.scalars(select(OutboxMail.kind)))
    assert {"admission_suspended", "admission_reinstated"} <= kinds


def test_end_by_region_and_notice_by_partner(ctx):
    admission = _active()
    today = date.today()
    with pytest.raises(NotPermitted):
        workflow.end_by_partner(admission, by=user(ASSESSOR_1), reason="x")
    ends_on = workflow.end_by_partner(admission, by=user(PROVIDER), reason="We stoppen met pleegzorg.")
    db.session.commit()
    assert ends_on == add_months(today, 3) and admission.status == A.ACTIEF
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "admission_end_planned"))
    # The region may end it earlier, not later.
    with pytest.raises(DomainError, match="eindigt al op"):
        workflow.end(admission, by=user(ADMIN), reason="later", ends_on=ends_on + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        workflow.end(admission, by=user(ADMIN), reason="terug in de tijd", ends_on=today - timedelta(days=1))
    workflow.end(admission, by=user(ADMIN), reason="Ernstige tekortkoming", ends_on=today)
    db.session.commit()
    assert admission.status == A.BEEINDIGD and admission.end_reason == "Ernstige tekortkoming"
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "admission_ended"))


def test_extension_moves_the_end_and_the_term_end_ends_everything(ctx):
    admission = _active()
    procedure = db.session.scalar(select(Procedure))
    assert procedure.current_end == date(2031, 12, 31) and procedure.options_left == 2
    with pytest.raises(ValidationFailed):
        workflow.exercise_extension(procedure, by=user(ADMIN), rationale="")
    with pytest.raises(NotPermitted):
        workflow.exercise_extension(procedure, by=user(ASSESSOR_1), rationale="x")
    workflow.exercise_extension(procedure, by=user(ADMIN), rationale="Goede ervaringen; tekort aan plekken.")
    db.session.commit()
    assert procedure.current_end == date(2032, 12, 31) and procedure.options_left == 1
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "term_extended"))
    assert "31 december 2032" in mail.body_text
    workflow.exercise_extension(procedure, by=user(ADMIN), rationale="Nogmaals.")
    with pytest.raises(DomainError, match="geen verlengingsopties"):
        workflow.exercise_extension(procedure, by=user(ADMIN), rationale="Een derde keer.")
    db.session.commit()
    assert procedure.current_end == date(2033, 12, 31)
    assert workflow.run_daily(date(2033, 12, 31)).admissions_ended == 0
    assert workflow.run_daily(date(2034, 1, 1)).admissions_ended == 1
    assert admission.status == A.BEEINDIGD and admission.ended_on == date(2033, 12, 31)
    assert workflow.run_daily(date(2034, 1, 1)).admissions_ended == 0


def test_pages_accept_the_agreement_and_admin_actions(app):
    with app.app_context():
        _admitted()
        agreement_id = db.session.scalar(select(Agreement.id))
        admission_id = db.session.scalar(select(Admission.id))
    provider = app.test_client()
    login(provider, PROVIDER)
    assert "Accepteer de deelnemersovereenkomst" in provider.get("/aanbieder").get_data(as_text=True)
    url = f"/organisatie/overeenkomsten/{agreement_id}"
    refused = post(provider, url, {})
    assert refused.status_code == 422 and "Bevestig dat u de overeenkomst accepteert" in refused.get_data(as_text=True)
    response = post(provider, url, {"agree": "y"}, follow_redirects=True)
    assert "Uw toelating is nu actief" in response.get_data(as_text=True)
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.accepted_ip == "127.0.0.1"
    again = post(provider, url, {"agree": "y"}, follow_redirects=True)
    assert "al geaccepteerd" in again.get_data(as_text=True) or "Geaccepteerd op" in again.get_data(as_text=True)

    from tests.test_bad_input import _other_provider
    stranger = _other_provider(app)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/organisatie/toelatingen/{admission_id}/opzeggen").status_code == 404

    admin = app.test_client()
    login(admin, ADMIN)
    page = f"/beheer/toelatingen/{admission_id}"
    bad = post(admin, page + "/schorsen", {"reason": "Onderzoek", "starts_on": date.today().isoformat(),
                                            "ends_on": (date.today() - timedelta(days=3)).isoformat()},
               token_from=page)
    assert bad.status_code == 422 and "ligt vóór de begindatum" in bad.get_data(as_text=True)
    ok = post(admin, page + "/schorsen", {"reason": "Onderzoek", "starts_on": date.today().isoformat()},
              token_from=page, follow_redirects=True)
    assert "De schorsing is vastgelegd" in ok.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Admission, admission_id).status == A.GESCHORST
    assert provider.get(page).status_code == 403
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    assert assessor.get(page).status_code == 200
    assert post(assessor, page + "/beeindigen", {"reason": "x", "ends_on": date.today().isoformat()},
                token_from=page).status_code == 403
    assert assessor.get("/beheer/looptijd").status_code == 403
    term = post(admin, "/beheer/looptijd", {"rationale": "Verlengen", "exercised_on": date.today().isoformat()},
                follow_redirects=True)
    assert "De verlengingsoptie is benut" in term.get_data(as_text=True)


def test_daily_command_reports_and_is_safe_twice(app):
    with app.app_context():
        _admitted()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["partners", "daily"])
    assert first.exit_code == 0, first.output
    assert "admissions ended 0" in first.output
    second = runner.invoke(args=["partners", "daily"])
    assert second.exit_code == 0 and "agreement reminders 0" in second.output


def test_partner_file_shows_compliance(app):
    from portal.models import Document

    with app.app_context():
        application = _admitted()
        org_id = application.organisation_id
    admin = app.test_client()
    login(admin, ADMIN)
    assert "Compliant: alle bewijsstukken" in admin.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    with app.app_context():
        for document in db.session.scalars(select(Document).where(Document.organisation_id == org_id)):
            document.valid_until = date.today() - timedelta(days=1)
        from portal.models import Answer
        for answer in db.session.scalars(select(Answer).where(Answer.evidence_valid_until.is_not(None))):
            answer.evidence_valid_until = date.today() - timedelta(days=1)
        db.session.commit()
    page = admin.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "Niet compliant." in page
