"""Evidence that expires: tracked documents, compliance, the expiry schedule (leap days, run
twice, interrupted runs), new versions reviewed by an assessor, and the region's partner list."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.applications import workflow as applications
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Answer,
    Document,
    EvidenceReview,
    ExpiryNotice,
    Organisation,
    OutboxMail,
    Outcome,
    Procedure,
    Status,
    VerdictOutcome,
)
from portal.partners import compliance
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, user
from tests.helpers import categories, fill_completely

TODAY = date(2027, 3, 1)


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
                                             for r in application.applicable_requirements()},
                               by=first)
    assessment.propose_decision(application, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                              for c in application.categories}, by=first)
    assessment.approve_decision(application, by=user(ASSESSOR_2))
    db.session.commit()
    return application


def _expiring_answers(application):
    """The answers whose evidence has a validity date, by requirement code; each gets a
    document of its own (the test data uploads one file for every requirement, stored once)."""
    answers = {a.requirement.code: a for a in db.session.scalars(
        select(Answer).where(Answer.application_id == application.id,
                             Answer.document_id.is_not(None),
                             Answer.evidence_valid_until.is_not(None)))}
    seen = set()
    for code, answer in sorted(answers.items()):
        if answer.document_id in seen:
            answer.document = _new_document(application.organisation, answer.document.uploaded_by,
                                            answer.evidence_valid_until, f"{code}.pdf")
        seen.add(answer.document_id)
    db.session.commit()
    return answers


def _set_until(answer, until):
    answer.evidence_valid_until = until
    answer.document.valid_until = until


def _new_document(org, provider, until, name="nieuw.pdf"):
    doc = Document(organisation_id=org.id, original_name=name, stored_name=f"x/{name}-{until}",
                   content_type="application/pdf", size_bytes=10, sha256=name.ljust(64, "0"),
                   valid_until=until, uploaded_by_id=provider.id)
    db.session.add(doc)
    db.session.flush()
    return doc


# --- compliance_status ----------------------------------------------------------------------

def test_tracked_documents_are_the_dated_evidence_of_decided_applications(ctx):
    application = _admitted()
    answers = _expiring_answers(application)
    assert {"A5", "A8"} <= set(answers)  # quality certificate and insurance carry a date
    org_id = application.organisation_id
    tracked = compliance.tracked_dates(org_id)
    assert set(tracked) == {a.document_id for a in answers.values()}
    status = compliance.compliance_status(org_id, today=date.today())
    assert status.compliant and status.expired == []


def test_an_expired_document_makes_the_partner_not_compliant(ctx):
    application = _admitted()
    answers = _expiring_answers(application)
    _set_until(answers["A8"], TODAY - timedelta(days=1))
    _set_until(answers["A5"], TODAY)  # valid through today
    db.session.commit()
    status = compliance.compliance_status(application.organisation_id, today=TODAY)
    assert not status.compliant
    assert [d.id for d in status.expired] == [answers["A8"].document_id]
    # The day before, nothing had expired yet.
    assert compliance.compliance_status(application.organisation_id,
                                        today=TODAY - timedelta(days=1)).compliant


def test_an_undecided_application_is_not_tracked(ctx):
    application = _admitted()
    provider = user(PROVIDER)
    draft = applications.create_application(db.session.scalar(select(Procedure)),
                                             categories("leefgroepen"), by=provider)
    fill_completely(draft, provider)
    applications.submit(draft, by=provider)
    db.session.commit()
    for answer in _expiring_answers(draft).values():
        if answer.document_id not in compliance.tracked_dates(application.organisation_id):
            _set_until(answer, TODAY - timedelta(days=30))
    db.session.commit()
    assert draft.status == Status.INGEDIEND
    assert compliance.compliance_status(application.organisation_id, today=TODAY).compliant


def test_an_accepted_valid_replacement_restores_compliance(ctx):
    application = _admitted()
    org = db.session.get(Organisation, application.organisation_id)
    provider = user(PROVIDER)
    answers = _expiring_answers(application)
    old = answers["A8"].document
    _set_until(answers["A8"], TODAY - timedelta(days=3))
    new = _new_document(org, provider, TODAY + timedelta(days=365))
    review = EvidenceReview(organisation_id=org.id, document_id=new.id,
                            replaces_document_id=old.id, submitted_by_id=provider.id)
    db.session.add(review)
    db.session.commit()
    # Pending and rejected replacements do not count.
    assert not compliance.compliance_status(org.id, today=TODAY).compliant
    review.status = compliance.REJECTED
    db.session.commit()
    assert [d.id for d in compliance.compliance_status(org.id, today=TODAY).expired] == [old.id]
    review.status = compliance.ACCEPTED
    db.session.commit()
    status = compliance.compliance_status(org.id, today=TODAY)
    assert status.compliant
    tracked = compliance.tracked_dates(org.id)
    assert old.id not in tracked and tracked[new.id] == TODAY + timedelta(days=365)
    # The new version's own date is tracked from then on.
    later = TODAY + timedelta(days=366)
    expired = {d.id for d in compliance.compliance_status(org.id, today=later).expired}
    assert new.id in expired and old.id not in expired


def test_an_accepted_replacement_that_expired_itself_does_not_help(ctx):
    application = _admitted()
    org = db.session.get(Organisation, application.organisation_id)
    provider = user(PROVIDER)
    old = _expiring_answers(application)["A5"].document
    _set_until(_expiring_answers(application)["A5"], TODAY - timedelta(days=40))
    stale = _new_document(org, provider, TODAY - timedelta(days=1), "ook-verlopen.pdf")
    db.session.add(EvidenceReview(organisation_id=org.id, document_id=stale.id,
                                  replaces_document_id=old.id, submitted_by_id=provider.id,
                                  status=compliance.ACCEPTED))
    db.session.commit()
    status = compliance.compliance_status(org.id, today=TODAY)
    assert [d.id for d in status.expired] == [stale.id]
    # A chain: the expired replacement is itself replaced by a valid one.
    fresh = _new_document(org, provider, TODAY + timedelta(days=200), "geldig.pdf")
    db.session.add(EvidenceReview(organisation_id=org.id, document_id=fresh.id,
                                  replaces_document_id=stale.id, submitted_by_id=provider.id,
                                  status=compliance.ACCEPTED))
    db.session.commit()
    assert compliance.compliance_status(org.id, today=TODAY).compliant


def test_the_sql_condition_agrees_with_compliance_status(ctx):
    application = _admitted()
    other = Organisation(name="Zonder bewijsstukken", kvk_number="87654321", street="Weg 1",
                         postal_code="4811 AA", city="Breda", contact_email="info@zonder.example")
    db.session.add(other)
    _set_until(_expiring_answers(application)["A8"], TODAY - timedelta(days=1))
    db.session.commit()
    rows = dict(db.session.execute(
        select(Organisation.id, compliance.is_compliant(Organisation.id, TODAY))).all())
    assert rows[application.organisation_id] in (False, 0)
    assert rows[other.id] in (True, 1)


# --- the expiry schedule --------------------------------------------------------------------

@pytest.mark.parametrize("valid_until,today,expected", [
    # 29 February 2028 (a leap day): 60 days before is 31 December 2027, 30 days before is
    # 30 January 2028 and 7 days before is 22 February 2028.
    (date(2028, 2, 29), date(2027, 12, 30), None),
    (date(2028, 2, 29), date(2027, 12, 31), 60),
    (date(2028, 2, 29), date(2028, 1, 29), 60),
    (date(2028, 2, 29), date(2028, 1, 30), 30),
    (date(2028, 2, 29), date(2028, 2, 21), 30),
    (date(2028, 2, 29), date(2028, 2, 22), 7),
    (date(2028, 2, 29), date(2028, 2, 28), 7),
    (date(2028, 2, 29), date(2028, 2, 29), 0),
    (date(2028, 2, 29), date(2028, 3, 20), 0),  # after the day the last moment stays due
    # Across the leap day: 30 days before 1 March 2028 is 31 January (February has 29 days).
    (date(2028, 3, 1), date(2028, 1, 30), 60),
    (date(2028, 3, 1), date(2028, 1, 31), 30),
    (date(2028, 3, 1), date(2028, 2, 23), 7),
    # The same date in a common year: 30 days before 1 March 2027 is 30 January.
    (date(2027, 3, 1), date(2027, 1, 29), 60),
    (date(2027, 3, 1), date(2027, 1, 30), 30),
    # A missed moment is not sent late: 6 days before, the 7-day mail is the one due.
    (date(2027, 6, 30), date(2027, 6, 24), 7),
])
def test_moment_due_is_plain_date_arithmetic(valid_until, today, expected):
    assert compliance.moment_due(valid_until, today) == expected


def _mails(kind=None):
    query = select(OutboxMail)
    if kind:
        query = query.where(OutboxMail.kind == kind)
    return db.session.scalars(query.order_by(OutboxMail.id)).all()


def _expiry_mail_count():
    return db.session.scalar(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.kind.in_(("expiry_partner", "expiry_region"))))


def _notices(document_id):
    return sorted(db.session.scalars(select(ExpiryNotice.days_before).where(
        ExpiryNotice.document_id == document_id)), reverse=True)


def _one_expiring(until, code="A5", far=date(2031, 1, 1)):
    """An admitted partner whose ``code`` document is valid until ``until``; every other
    dated document is valid until ``far``."""
    application = _admitted()
    answers = _expiring_answers(application)
    for other_code, answer in answers.items():
        _set_until(answer, until if other_code == code else far)
    db.session.commit()
    return application, answers[code].document


def test_a_leap_day_document_is_mailed_on_each_moment_once(ctx):
    until = date(2028, 2, 29)
    _application, document = _one_expiring(until)
    sent_on = {}
    day = date(2027, 12, 1)
    while day <= date(2028, 3, 3):
        report = compliance.send_expiry_notices(day)
        if report["notices"]:
            sent_on[day] = [m for m in compliance.MOMENTS if report[f"notices_{m}"]]
        day += timedelta(days=1)
    assert sent_on == {date(2027, 12, 31): [60], date(2028, 1, 30): [30],
                       date(2028, 2, 22): [7], date(2028, 2, 29): [0]}
    assert _notices(document.id) == [60, 30, 7, 0]


def test_running_twice_a_day_sends_nothing_twice(ctx):
    today = date(2027, 5, 1)
    _application, document = _one_expiring(today + timedelta(days=30))
    first = compliance.send_expiry_notices(today)
    # The partner: its contact address and its beheerder; the region: every administrator.
    partner = {m.to_address for m in _mails("expiry_partner")}
    region = {m.to_address for m in _mails("expiry_region")}
    assert partner == {"info@delinde.demo.nl", PROVIDER} and region == {ADMIN}
    assert first["notices"] == first["notices_30"] == 1 and first["mails"] == 3
    second = compliance.send_expiry_notices(today)
    assert second["notices"] == 0 and second["mails"] == 0
    assert _expiry_mail_count() == 3 and _notices(document.id) == [30]
    mail = _mails("expiry_partner")[0]
    assert "over 30 dagen" in mail.subject and document.original_name in mail.body_text
    assert f"/organisatie/bewijsstukken/{document.id}/nieuwe-versie" in mail.body_text
    assert "A5" in mail.body_text  # what the document is evidence for
    assert f"/beheer/partners/{document.organisation_id}" in _mails("expiry_region")[0].body_text


def test_a_missed_moment_is_sent_only_while_it_is_the_latest_due(ctx):
    until = date(2027, 6, 30)
    _application, document = _one_expiring(until)
    # The run did not happen 60, 30 or 7 days before; 6 days before only the 7-day mail goes.
    report = compliance.send_expiry_notices(until - timedelta(days=6))
    assert (report["notices_60"], report["notices_30"], report["notices_7"]) == (0, 0, 1)
    assert compliance.send_expiry_notices(until - timedelta(days=1))["notices"] == 0
    # Missed the day itself: the next run (after it) sends the mail that it has expired.
    late = compliance.send_expiry_notices(until + timedelta(days=2))
    assert late["notices_0"] == 1 and _notices(document.id) == [7, 0]
    assert "is verlopen" in _mails("expiry_partner")[-1].subject
    assert compliance.send_expiry_notices(until + timedelta(days=3))["notices"] == 0


def test_an_interrupted_run_continues_where_it_stopped(ctx, monkeypatch):
    today = date(2027, 5, 1)
    application = _admitted()
    answers = _expiring_answers(application)
    _set_until(answers["A5"], today + timedelta(days=7))
    _set_until(answers["A8"], today + timedelta(days=7))
    db.session.commit()
    first_id, second_id = sorted(a.document_id for a in answers.values() if a.requirement.code
                                 in ("A5", "A8"))
    real_queue = compliance.notifications.queue

    def failing_queue(kind, to, **context):
        if context["document"].id == second_id:
            raise RuntimeError("the machine went down")
        return real_queue(kind, to, **context)

    monkeypatch.setattr(compliance.notifications, "queue", failing_queue)
    with pytest.raises(RuntimeError):
        compliance.send_expiry_notices(today)
    db.session.rollback()
    assert _notices(first_id) == [7] and _notices(second_id) == []
    done = _expiry_mail_count()
    assert done == 3
    monkeypatch.setattr(compliance.notifications, "queue", real_queue)
    report = compliance.send_expiry_notices(today)
    assert report["notices"] == 1 and report["mails"] == 3
    assert _notices(first_id) == [7] and _notices(second_id) == [7]
    assert _expiry_mail_count() == 6


def test_two_runs_at_once_claim_each_moment_once(ctx, monkeypatch):
    """A run that did not see the other run's notice loses the race on the unique row."""
    today = date(2027, 5, 1)
    _application, document = _one_expiring(today + timedelta(days=7))
    assert compliance.send_expiry_notices(today)["notices"] == 1
    monkeypatch.setattr(compliance, "_sent_moments", lambda ids: {})  # a stale view
    assert compliance.send_expiry_notices(today)["notices"] == 0
    assert _notices(document.id) == [7] and _expiry_mail_count() == 3


def test_no_mails_for_ended_partners_or_replaced_documents(ctx):
    today = date(2027, 5, 1)
    application, document = _one_expiring(today + timedelta(days=30))
    org = db.session.get(Organisation, application.organisation_id)
    provider = user(PROVIDER)
    new = _new_document(org, provider, today + timedelta(days=7), "vervanger.pdf")
    db.session.add(EvidenceReview(organisation_id=org.id, document_id=new.id,
                                  replaces_document_id=document.id,
                                  submitted_by_id=provider.id, status=compliance.ACCEPTED))
    db.session.commit()
    report = compliance.send_expiry_notices(today)
    assert report["notices"] == 1 and _notices(document.id) == [] and _notices(new.id) == [7]
    for admission in db.session.scalars(select(Admission)):
        admission.status = AdmissionStatus.BEEINDIGD
    db.session.commit()
    assert compliance.send_expiry_notices(today + timedelta(days=7))["notices"] == 0


def test_run_daily_reports_notices_and_partners_not_compliant(ctx):
    today = date(2027, 5, 1)
    _one_expiring(today - timedelta(days=1))
    report = compliance.run_daily(today)
    assert report["notices_0"] == 1 and report["not_compliant"] == 1
    again = compliance.run_daily(today)
    assert again["notices"] == 0 and again["mails"] == 0 and again["not_compliant"] == 1


def test_the_daily_command_mails_once_and_reports(app, smtp):
    with app.app_context():
        _one_expiring(today_local() + timedelta(days=7))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["partners", "daily"])
    assert first.exit_code == 0, first.output
    assert "'notices_7': 1" in first.output and "'mails': 3" in first.output
    second = runner.invoke(args=["partners", "daily"])
    assert second.exit_code == 0 and "'notices': 0" in second.output
    with app.app_context():
        assert _expiry_mail_count() == 3
    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    smtp.wait_for(3)
    assert smtp.find(to="info@delinde.demo.nl", subject_contains="verloopt over 7 dagen")
    assert smtp.find(to=ADMIN, subject_contains="Gezinshuis De Linde")
