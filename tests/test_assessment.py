"""Assessment workflow: assignment, conflicts, requests to complete and the stopped clock,
four eyes with stale proposals, corrections, letters, reminders, concurrency."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.clock import add_working_days, days_stopped, decision_due, is_working_day, resumed_due
from portal.errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Application,
    AuditEvent,
    CompletionRequest,
    DecisionLetter,
    OutboxMail,
    Outcome,
    Status,
    VerdictOutcome,
)
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, user
from tests.helpers import categories, requirement, submitted_application


def test_working_days_skip_weekends():
    friday = date(2027, 1, 8)
    assert add_working_days(friday, 1) == date(2027, 1, 11)  # Monday
    assert add_working_days(friday, 10) == date(2027, 1, 22)
    assert add_working_days(date(2027, 1, 4), 5) == date(2027, 1, 11)


def test_working_days_skip_the_public_holidays_of_the_algemene_termijnenwet():
    assert add_working_days(date(2027, 4, 23), 1) == date(2027, 4, 26)  # Friday -> Monday
    assert add_working_days(date(2027, 4, 26), 1) == date(2027, 4, 28)  # King's Day 27 April
    assert add_working_days(date(2027, 5, 4), 1) == date(2027, 5, 7)  # 5 May, Ascension 6 May
    assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 28)  # 24th, then Christmas
    assert add_working_days(date(2027, 12, 31), 1) == date(2028, 1, 3)  # New Year, weekend
    # 5 May counts every year, not only the lustrum years the holidays package marks.
    assert not is_working_day(date(2026, 5, 5)) and is_working_day(date(2026, 5, 6))
    assert is_working_day(date(2027, 3, 25)) and not is_working_day(date(2027, 3, 26))  # Good Friday


def test_decision_due_adds_the_period_and_the_stopped_days():
    assert decision_due(date(2027, 1, 4), 8) == date(2027, 3, 1)
    assert decision_due(date(2027, 1, 4), 8, 14) == date(2027, 3, 15)
    assert days_stopped(date(2027, 1, 10), date(2027, 1, 24)) == 14
    assert days_stopped(date(2027, 1, 10), date(2027, 1, 9)) == 0  # never negative
    assert resumed_due(date(2027, 4, 26), date(2027, 3, 10), date(2027, 3, 15)) == (date(2027, 5, 1), 5)
    assert resumed_due(date(2027, 4, 26), date(2027, 3, 10), date(2027, 3, 10)) == (date(2027, 4, 26), 0)


def _submitted(cats=("pleegzorg",), declare=True):
    provider = user(PROVIDER)
    application = submitted_application(provider, *cats)
    assessment.start_review(application, by=user(ASSESSOR_1))
    if declare:
        assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
    db.session.flush()
    return application


def _verdicts(application, outcome=VerdictOutcome.VOLDOET):
    return {r.id: (outcome, "") for r in application.applicable_requirements()}


def test_only_the_assigned_assessor_records_verdicts_and_proposes(ctx):
    application = _submitted()
    with pytest.raises(NotPermitted, match="toegewezen beoordelaar"):
        assessment.record_verdicts(application, _verdicts(application), by=user(ASSESSOR_2))
    with pytest.raises(NotPermitted):
        assessment.propose_decision(application, {}, by=user(ASSESSOR_2))
    with pytest.raises(NotPermitted):
        assessment.declare_no_conflict(application, by=user(ASSESSOR_2))


def test_admin_assigns_and_the_declaration_is_recorded(ctx):
    application = _submitted(declare=False)
    with pytest.raises(NotPermitted):
        assessment.assign(application, user(ASSESSOR_2), by=user(ASSESSOR_1))
    assessment.assign(application, user(ASSESSOR_2), by=user(ADMIN))
    assert application.assessor == user(ASSESSOR_2)
    assessment.declare_no_conflict(application, by=user(ASSESSOR_2))
    with pytest.raises(DomainError, match="al verklaard"):
        assessment.declare_no_conflict(application, by=user(ASSESSOR_2))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "conflict_declared"))
    assert event.actor_id == user(ASSESSOR_2).id and "geen belangen" in event.detail


def test_niet_van_toepassing_counts_as_a_verdict(ctx):
    application = _submitted()
    a4 = requirement("A4").id
    verdicts = _verdicts(application) | {a4: (VerdictOutcome.NIET_VAN_TOEPASSING, "")}
    assessment.record_verdicts(application, verdicts, by=user(ASSESSOR_1))
    [pleeg] = categories("pleegzorg")
    assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN, "Voldoet.", [])},
                                by=user(ASSESSOR_1))
    assert application.status == Status.BESLUIT_VOORGESTELD


def test_request_to_complete_stops_the_clock_and_limits_what_may_change(ctx):
    application = _submitted()
    due_before = application.decision_due
    a5, a7 = requirement("A5").id, requirement("A7").id
    with pytest.raises(ValidationFailed) as err:
        assessment.request_completion(application, {}, by=user(ASSESSOR_1))
    assert err.value.errors[0][0] == "completion_requirements"
    with pytest.raises(ValidationFailed):
        assessment.request_completion(application, {a5: " "}, by=user(ASSESSOR_1))

    today = today_local()
    request = assessment.request_completion(
        application, {a5: "Het certificaat is onleesbaar; stuur een scherpe kopie."},
        by=user(ASSESSOR_1), today=today)
    db.session.commit()
    assert application.status == Status.AANVULLING_GEVRAAGD
    assert request.round == 1
    assert request.deadline == add_working_days(today, 10)
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "completion_requested"))
    assert "onleesbaar" in mail.body_text and mail.application_id == application.id

    # The provider may change only A5, not A7.
    assert workflow.editable_requirement_ids(application) == {a5}
    workflow.save_answers(application, {a5: {"valid_until": today + timedelta(days=400)},
                                        a7: {"number": 1}}, {}, by=user(PROVIDER))
    answers = application.answers_by_requirement()
    assert answers[a5].evidence_valid_until == today + timedelta(days=400)
    assert answers[a7].number_value != 1

    # Returned 5 days later: the clock stood still 5 days.
    assessment.return_completion(application, by=user(PROVIDER), note="Nieuwe kopie toegevoegd.",
                                 today=today + timedelta(days=5))
    request.requested_at = request.requested_at  # unchanged
    assert application.status == Status.IN_BEHANDELING
    assert request.closed_at is not None and not request.closed_by_deadline
    assert request.clock_days_stopped == 5
    assert application.decision_due == due_before + timedelta(days=5)
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "completion_back"))
    with pytest.raises(TransitionNotAllowed):
        workflow.save_answers(application, {a5: {"number": 1}}, {}, by=user(PROVIDER))

    # A second round is numbered 2.
    second = assessment.request_completion(application, {a7: "Hoeveel precies?"}, by=user(ASSESSOR_1))
    assert second.round == 2


def test_deadline_passes_application_returns_as_it_stands(ctx):
    application = _submitted()
    a5 = requirement("A5").id
    today = today_local()
    request = assessment.request_completion(application, {a5: "Graag een nieuw certificaat."},
                                            by=user(ASSESSOR_1), today=today)
    db.session.commit()
    later = request.deadline + timedelta(days=1)
    assert workflow.editable_requirement_ids(application, later) == set()
    with pytest.raises(TransitionNotAllowed):
        workflow.save_answers(application, {a5: {"valid_until": later}}, {}, by=user(PROVIDER),
                              today=later)
    assert assessment.expire_completions(later) == 1
    assert application.status == Status.IN_BEHANDELING and request.closed_by_deadline
    assert request.clock_days_stopped == (request.deadline - today).days  # resumed at the deadline
    assert assessment.expire_completions(later) == 0


def test_stale_form_is_refused(ctx):
    application = _submitted()
    seen = application.version
    assessment.record_verdicts(application, _verdicts(application), by=user(ASSESSOR_1))
    db.session.commit()
    assert application.version > seen
    [pleeg] = categories("pleegzorg")
    with pytest.raises(assessment.StaleState):
        assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN, "ok", [])},
                                    by=user(ASSESSOR_1), expected_version=seen)


def _proposed(application):
    [pleeg] = categories("pleegzorg")
    assessment.record_verdicts(application, _verdicts(application), by=user(ASSESSOR_1))
    assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alles.", [])},
                                by=user(ASSESSOR_1))
    db.session.commit()
    return pleeg


def test_return_needs_a_remark_and_a_second_assessor_and_stale_approval_fails(ctx):
    application = _submitted()
    pleeg = _proposed(application)
    seen_by_second = application.version
    with pytest.raises(ValidationFailed):
        assessment.send_back(application, by=user(ASSESSOR_2), note="")
    with pytest.raises(NotPermitted):
        assessment.send_back(application, by=user(ASSESSOR_1), note="zelf")
    assessment.send_back(application, by=user(ASSESSOR_2), note="Motivering is te kort.")
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "proposal_returned"))
    assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN,
                                "Voldoet aan alle minimumeisen, zie de oordelen per eis.", [])},
                                by=user(ASSESSOR_1))
    db.session.commit()
    # The second assessor's page still shows the old proposal: approving it fails.
    with pytest.raises(assessment.StaleState):
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2),
                                    expected_version=seen_by_second)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2),
                                expected_version=application.version)
    db.session.commit()
    assert application.status == Status.BESLOTEN


def test_the_second_assessor_declares_no_conflict_with_the_approval(ctx):
    application = _submitted()
    _proposed(application)
    db.session.commit()
    second = user(ASSESSOR_2)
    with pytest.raises(ValidationFailed) as refused:
        assessment.approve_decision(application, by=second)
    assert refused.value.errors == [("no_conflict", assessment.APPROVER_DECLARATION_MISSING)]
    db.session.rollback()
    assert application.status == Status.BESLUIT_VOORGESTELD
    assert not assessment.has_declared(application, second)
    assessment.approve_decision(application, no_conflict=True, by=second)
    db.session.commit()
    assert application.status == Status.BESLOTEN
    assert assessment.has_declared(application, second)
    declared = db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.object_id == application.id, AuditEvent.action == "conflict_declared")).all()
    assert sorted(declared) == sorted([user(ASSESSOR_1).id, second.id])


def test_final_decision_has_a_pdf_letter_attached_to_the_mail(ctx, smtp, tmp_path):
    from portal.notifications.delivery import send_queued

    application = _submitted()
    _proposed(application)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    letter = db.session.scalar(select(DecisionLetter))
    from portal.files import path_for

    pdf = path_for(letter.document).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert b"/StructTreeRoot" in _inflated(pdf) and b"/Lang" in _inflated(pdf)  # tagged PDF/UA
    assert letter.document.organisation_id == application.organisation_id
    send_queued()
    mails = smtp.find(subject_contains="Besluit over uw aanmelding")
    assert mails
    attachments = list(mails[0].iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"besluitbrief-{application.reference}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF-")


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated, to look for structure keys."""
    import contextlib
    import re
    import zlib

    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match.group(1)))
    return b"".join(parts)


def test_herstelbesluit_replaces_the_decision_by_a_new_one(ctx):
    application = _submitted()
    pleeg = _proposed(application)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    admission = db.session.scalar(select(Admission))
    assert admission.status == AdmissionStatus.TOEGELATEN

    p1 = requirement("P1").id
    verdicts = _verdicts(application) | {p1: (VerdictOutcome.VOLDOET_NIET, "Geen screening.")}
    with pytest.raises(TransitionNotAllowed):  # verdicts are closed after the decision
        assessment.record_verdicts(application, verdicts, by=user(ASSESSOR_1))
    with pytest.raises(ValidationFailed):
        assessment.propose_correction(application, {pleeg.id: (Outcome.TOEGELATEN, "x", [])},
                                      by=user(ASSESSOR_1), reason="")
    new = assessment.propose_correction(
        application, {pleeg.id: (Outcome.TOEGELATEN, "Toegelaten; de motivering noemde de "
                                 "verkeerde categorie.", [])},
        by=user(ASSESSOR_1), reason="Verkeerde categorie in de motivering.")
    assert new[0].round == 1 and new[0].corrects_id is not None
    with pytest.raises(NotPermitted):
        assessment.approve_correction(application, no_conflict=True, by=user(ASSESSOR_1))
    assessment.approve_correction(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    assert [d.round for d in assessment.current_decisions(application)] == [1]
    assert db.session.scalar(select(db.func.count()).select_from(DecisionLetter)) == 2
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.subject.like("Herstelbesluit%")))


def test_reminder_a_week_before_the_deadline_once(ctx):
    application = _submitted()
    application.decision_due = today_local() + timedelta(days=6)
    db.session.commit()
    assert assessment.send_overdue_reminders() == 1
    db.session.commit()
    recipients = set(db.session.scalars(select(OutboxMail.to_address)
                                        .where(OutboxMail.kind == "deadline_reminder")))
    assert recipients == {ASSESSOR_1, ADMIN}
    assert assessment.send_overdue_reminders() == 0


def test_two_sessions_cannot_both_approve(app):
    with app.app_context():
        application = _submitted()
        _proposed(application)
        application_id = application.id
    third = None
    with app.app_context():
        from portal.accounts.staff import create_staff_user

        third = create_staff_user(email="derde@regio.example", full_name="Derde",
                                  role=user(ASSESSOR_1).role, password="wachtwoord-van-12")
        db.session.commit()
    with app.app_context():
        first = db.session.get(Application, application_id)
        first_version = first.version
        with app.app_context():  # a second, independent session
            second = db.session.get(Application, application_id)
            assessment.approve_decision(second, no_conflict=True, by=user(ASSESSOR_2),
                                        expected_version=first_version)
            db.session.commit()
        third_user = user("derde@regio.example")
        with pytest.raises(StaleDataError):  # at the first flush that touches the row
            assessment.approve_decision(first, no_conflict=True, by=third_user,
                                        expected_version=first_version)
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.kind == "decision")) == 2  # one decision's mails
        assert db.session.scalar(select(db.func.count()).select_from(Admission)) == 1
    assert third is not None


def test_withdrawing_during_a_request_to_complete_closes_it(ctx):
    application = _submitted()
    assessment.request_completion(application, {requirement("A5").id: "Vraag"}, by=user(ASSESSOR_1))
    workflow.withdraw(application, by=user(PROVIDER), reason="We stoppen.")
    db.session.commit()
    assert application.status == Status.INGETROKKEN
    assert workflow.open_completion(application) is None
    assert assessment.expire_completions(today_local() + timedelta(days=60)) == 0


# --- the decision clock in concrete dates -------------------------------------------------

def _dated(application, requested_at_utc, request):
    """Move a request to a known moment (the workflow stamps 'now')."""
    request.requested_at = requested_at_utc
    db.session.flush()


def test_decision_clock_in_concrete_dates(ctx):
    """Submitted Monday 1 March 2027: 8 weeks, due Monday 26 April. Round 1 is asked at
    00:30 on Wednesday 10 March in Amsterdam (still Tuesday 9 March in UTC): 10 working
    days, over two weekends, to Wednesday 24 March; returned Monday 15 March, the clock
    stood still 5 days: due Saturday 1 May. Round 2, asked Wednesday 17 March, runs over
    Good Friday (26 March) and Easter Monday (29 March) to Friday 2 April and passes that
    deadline: 16 more days, due Monday 17 May."""
    application = _submitted()
    a5, a7 = requirement("A5").id, requirement("A7").id
    application.decision_due = decision_due(date(2027, 3, 1), application.procedure.decision_period_weeks)
    assert application.decision_due == date(2027, 4, 26)

    first = assessment.request_completion(application, {a5: "Stuur een leesbaar certificaat."},
                                          by=user(ASSESSOR_1), today=date(2027, 3, 10))
    _dated(application, datetime(2027, 3, 9, 23, 30), first)  # 00:30 CET on 10 March
    assert first.deadline == date(2027, 3, 24)
    assessment.return_completion(application, by=user(PROVIDER), today=date(2027, 3, 15))
    assert first.clock_days_stopped == 5  # 6 if the UTC date (9 March) were used
    assert application.decision_due == date(2027, 5, 1)

    second = assessment.request_completion(application, {a7: "Hoeveel medewerkers precies?"},
                                           by=user(ASSESSOR_1), today=date(2027, 3, 17))
    _dated(application, datetime(2027, 3, 17, 9, 0), second)
    assert second.deadline == date(2027, 4, 2)
    assert assessment.expire_completions(date(2027, 4, 2)) == 0  # the deadline day itself still counts
    assert assessment.expire_completions(date(2027, 4, 3)) == 1
    assert second.closed_by_deadline and second.clock_days_stopped == 16
    assert application.decision_due == date(2027, 5, 17)
    details = db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.object_id == application.id,
        AuditEvent.action.in_(("completion_returned", "completion_expired")))
        .order_by(AuditEvent.id)).all()
    assert details == ["ronde 1; de klok stond 5 dagen stil", "ronde 2; de klok stond 16 dagen stil"]


def test_completion_deadline_uses_the_procedures_working_days(ctx):
    application = _submitted()
    application.procedure.completion_working_days = 3
    friday = date(2027, 3, 5)
    request = assessment.request_completion(application, {requirement("A5").id: "Nieuwe kopie?"},
                                            by=user(ASSESSOR_1), today=friday)
    db.session.commit()
    assert request.deadline == date(2027, 3, 10)  # Mon, Tue, Wed
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "completion_requested"))
    assert "uiterlijk 10 maart 2027" in " ".join(mail.body_text.split())


def test_reminders_skip_a_stopped_clock_and_follow_the_moved_deadline(ctx):
    application = _submitted()
    a5 = requirement("A5").id
    application.decision_due = date(2027, 4, 26)
    request = assessment.request_completion(application, {a5: "Vraag"}, by=user(ASSESSOR_1),
                                            today=date(2027, 4, 15))
    _dated(application, datetime(2027, 4, 15, 8, 0), request)
    db.session.commit()
    # While the clock stands still: no reminder, not even past the old deadline.
    assert assessment.send_overdue_reminders(date(2027, 4, 22)) == 0
    assert assessment.send_overdue_reminders(date(2027, 4, 27)) == 0

    assessment.return_completion(application, by=user(PROVIDER), today=date(2027, 4, 29))
    assert application.decision_due == date(2027, 5, 10)  # 14 days later
    assert assessment.send_overdue_reminders(date(2027, 5, 2)) == 0  # 8 days left
    assert assessment.send_overdue_reminders(date(2027, 5, 3)) == 1  # a week before
    db.session.commit()
    assert application.overdue_reminder_sent_at is not None
    assert assessment.send_overdue_reminders(date(2027, 5, 4)) == 0  # once

    # The deadline moves again: the reminder is reset and sent for the new date.
    request = assessment.request_completion(application, {a5: "Nog één vraag"},
                                            by=user(ASSESSOR_1), today=date(2027, 5, 4))
    _dated(application, datetime(2027, 5, 4, 8, 0), request)
    assessment.return_completion(application, by=user(PROVIDER), today=date(2027, 5, 6))
    assert application.decision_due == date(2027, 5, 12)
    assert application.overdue_reminder_sent_at is None
    assert assessment.send_overdue_reminders(date(2027, 5, 6)) == 1
    db.session.commit()
    subjects = db.session.scalars(select(OutboxMail.subject).where(
        OutboxMail.kind == "deadline_reminder", OutboxMail.to_address == ASSESSOR_1)
        .order_by(OutboxMail.id)).all()
    assert [s[-10:] for s in subjects] == ["10-05-2027", "12-05-2027"]


# --- the declaration of no conflict of interest ------------------------------------------

def test_every_assessor_action_needs_the_actors_own_declaration(ctx):
    """After a reassignment the new assessor cannot give verdicts, ask, or propose before
    declaring; a herstelbesluit needs its proposer's declaration too."""
    application = _submitted()  # assessor 1 declared
    assessment.record_verdicts(application, _verdicts(application), by=user(ASSESSOR_1))
    assessment.assign(application, user(ASSESSOR_2), by=user(ADMIN))
    [pleeg] = categories("pleegzorg")
    second = user(ASSESSOR_2)
    refused = {
        "verdicts": lambda: assessment.record_verdicts(application, _verdicts(application), by=second),
        "completion": lambda: assessment.request_completion(
            application, {requirement("A5").id: "Vraag"}, by=second),
        "proposal": lambda: assessment.propose_decision(
            application, {pleeg.id: (Outcome.TOEGELATEN, "Voldoet.", [])}, by=second),
    }
    for action in refused.values():
        with pytest.raises(NotPermitted, match="Verklaar eerst dat u geen belangenconflict heeft"):
            action()
    assert application.status == Status.IN_BEHANDELING
    assert db.session.scalar(select(db.func.count()).select_from(CompletionRequest)) == 0

    assessment.declare_no_conflict(application, by=second)
    assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN, "Voldoet.", [])},
                                by=second)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_1))
    db.session.commit()

    admin = user(ADMIN)  # an administrator may assess, but has not declared
    correction = {pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle minimumeisen.", [])}
    with pytest.raises(NotPermitted, match="Verklaar eerst"):
        assessment.propose_correction(application, correction, by=admin, reason="Motivering te kort.")
    assessment.declare_no_conflict(application, by=admin)  # after the decision: any assessor
    [new] = assessment.propose_correction(application, correction, by=admin,
                                          reason="Motivering te kort.")
    assert new.round == 1 and new.proposed_by_id == admin.id


# --- the decision letter's content ---------------------------------------------------------

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]


def _letter_text(letter) -> str:
    from pypdf import PdfReader

    from portal.files import path_for

    reader = PdfReader(str(path_for(letter.document)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_decision_letter_states_reference_date_outcomes_grounds_and_objection(ctx):
    application = _submitted(cats=("pleegzorg", "gezinshuiszorg"))
    pleeg, gezin = categories("pleegzorg", "gezinshuiszorg")
    h2 = requirement("H2")
    assessment.record_verdicts(application, _verdicts(application) | {
        h2.id: (VerdictOutcome.VOLDOET_NIET, "Acht kinderen in één gezinshuis.")}, by=user(ASSESSOR_1))
    assessment.propose_decision(application, {
        pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle minimumeisen voor pleegzorg.", []),
        gezin.id: (Outcome.AFGEWEZEN, "Het gezinshuis heeft meer plaatsen dan toegestaan.", [h2.id]),
    }, by=user(ASSESSOR_1))
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    text = _letter_text(db.session.scalar(select(DecisionLetter)))
    today = today_local()

    assert f"Kenmerk {application.reference}" in text
    assert f"Datum {today.day} {MONTHS[today.month - 1]} {today.year}" in text
    assert application.procedure.region.name in text
    assert ("Pleegzorg Besluit: toegelaten Motivering: Voldoet aan alle minimumeisen voor "
            "pleegzorg.") in text
    assert ("Gezinshuiszorg Besluit: afgewezen Motivering: Het gezinshuis heeft meer plaatsen "
            "dan toegestaan. U voldoet niet aan de volgende eisen:") in text
    failed_part = text.split("U voldoet niet aan de volgende eisen:")[1].split("Bezwaar")[0]
    assert f"H2 {' '.join(h2.title.split())}" in failed_part
    assert "H1" not in failed_part and "P1" not in failed_part
    objection = text.split("Bezwaar", 1)[1]
    assert "binnen zes weken" in objection and f"het kenmerk {application.reference}" in objection


def test_herstelbesluit_letter_has_its_own_reference_and_says_what_it_replaces(ctx):
    application = _submitted()
    pleeg = _proposed(application)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    assessment.propose_correction(application, {pleeg.id: (
        Outcome.TOEGELATEN, "Toegelaten voor pleegzorg; de eerdere motivering noemde een andere "
        "categorie.", [])}, by=user(ASSESSOR_1), reason="Verkeerde categorie.")
    assessment.approve_correction(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    letter = db.session.scalar(select(DecisionLetter).where(DecisionLetter.round == 1))
    text = _letter_text(letter)
    assert f"Kenmerk {application.reference}-H1" in text
    assert "Dit herstelbesluit vervangt ons eerdere besluit" in text
    assert "de eerdere motivering noemde een andere categorie" in text
