"""Evidence that expires: tracked documents, compliance, the expiry schedule (leap days, run
twice, interrupted runs), new versions reviewed by an assessor, and the region's partner list."""
from __future__ import annotations

import io
import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from portal import files as storage
from portal.applications import workflow as applications
from portal.assessment import workflow as assessment
from portal.errors import NotPermitted, ValidationFailed
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Answer,
    Application,
    AuditEvent,
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
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import PDF_BYTES, categories, fill_completely, requirement, submitted_application
from tests.test_scale import StatementCounter

TODAY = date(2027, 3, 1)


def _admitted(cats=("pleegzorg",)):
    """An application taken through the whole assessment: admitted, agreement offered."""
    provider = user(PROVIDER)
    application = submitted_application(provider, *cats)
    first = user(ASSESSOR_1)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                             for r in application.applicable_requirements()},
                               by=first)
    assessment.propose_decision(application, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                              for c in application.categories}, by=first)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
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
    # Test data changed straight in the database keeps the date as a workflow would.
    compliance.refresh_evidence_date(application.organisation_id)
    db.session.commit()
    return answers


def _set_until(answer, until):
    answer.evidence_valid_until = until
    answer.document.valid_until = until
    compliance.refresh_evidence_date(answer.application.organisation_id)


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
    status = compliance.compliance_status(org_id, today=today_local())
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


def _late(today):
    """The organisations the SQL condition calls niet compliant on ``today``."""
    return set(db.session.scalars(select(Organisation.id).where(compliance.not_compliant(today))))


def _earliest_tracked(organisation_id):
    return min(compliance.tracked_dates(organisation_id).values(), default=None)


def test_the_sql_condition_agrees_with_compliance_status(ctx):
    application = _admitted()
    org = db.session.get(Organisation, application.organisation_id)
    # The final decision stored the earliest date of the evidence it made tracked.
    assert org.evidence_valid_until is not None
    assert org.evidence_valid_until == _earliest_tracked(org.id)
    other = Organisation(name="Zonder bewijsstukken", kvk_number="87654321", street="Weg 1",
                         postal_code="4811 AA", city="Breda", contact_email="info@zonder.example")
    db.session.add(other)
    _set_until(_expiring_answers(application)["A8"], TODAY - timedelta(days=1))
    db.session.commit()
    assert org.evidence_valid_until == TODAY - timedelta(days=1)
    assert other.evidence_valid_until is None  # nothing tracked: compliant
    assert _late(TODAY) == {org.id}
    assert not compliance.compliance_status(org.id, today=TODAY).compliant
    assert compliance.compliance_status(other.id, today=TODAY).compliant
    assert _late(TODAY - timedelta(days=1)) == set()  # valid through its last day
    assert compliance.compliance_status(org.id, today=TODAY - timedelta(days=1)).compliant


def _random_partners(rnd, n):
    """``n`` organisations with random evidence made straight in the database: applications
    decided or not, answers whose document or answer has a date or not (documents shared
    between answers too), and new versions pending, rejected or accepted (chains too)."""
    procedure = db.session.scalar(select(Procedure))
    provider = user(PROVIDER)
    version_id = requirement("A5").version_id
    requirement_ids = [requirement(code).id for code in ("A1", "A4", "A5", "A6", "A8", "A9")]

    def some_date():
        return None if rnd.random() < 0.25 else TODAY + timedelta(days=rnd.randint(-90, 90))

    organisations = []
    for i in range(n):
        org = Organisation(name=f"Willekeurig {i:02}", kvk_number=str(60_000_000 + i),
                           street="Weg 1", postal_code="4811 AA", city="Breda",
                           contact_email=f"info{i}@willekeurig.example")
        db.session.add(org)
        db.session.flush()
        documents = []
        for j in range(rnd.randint(0, 3)):
            application = Application(
                organisation_id=org.id, procedure_id=procedure.id, catalogue_version_id=version_id,
                status=rnd.choice([Status.BESLOTEN, Status.BESLOTEN, Status.INGEDIEND,
                                   Status.CONCEPT]),
                created_by_id=provider.id, reference=f"R-{i:02}-{j}")
            db.session.add(application)
            db.session.flush()
            for requirement_id in rnd.sample(requirement_ids, rnd.randint(0, 4)):
                if documents and rnd.random() < 0.3:
                    document = rnd.choice(documents)
                else:
                    document = _new_document(org, provider, some_date(),
                                             f"w{i}-{len(documents)}.pdf")
                    documents.append(document)
                db.session.add(Answer(application_id=application.id, requirement_id=requirement_id,
                                      document_id=document.id, evidence_valid_until=some_date()))
        for _ in range(rnd.randint(0, 3) if documents else 0):
            new = _new_document(org, provider, some_date(), f"w{i}-{len(documents)}.pdf")
            db.session.add(EvidenceReview(
                organisation_id=org.id, document_id=new.id,
                replaces_document_id=rnd.choice(documents).id, submitted_by_id=provider.id,
                status=rnd.choice([compliance.PENDING, compliance.REJECTED, compliance.ACCEPTED,
                                   compliance.ACCEPTED])))
            documents.append(new)
        organisations.append(org)
    db.session.flush()
    return organisations


def _expected_earliest(organisation_id):
    """The rule of the module docstring, in plain Python over the rows."""
    reviews = db.session.scalars(select(EvidenceReview)).all()
    superseded = {r.replaces_document_id for r in reviews if r.status == compliance.ACCEPTED}
    dates = []
    for answer, document in db.session.execute(
            select(Answer, Document).join(Document, Document.id == Answer.document_id)
            .join(Application, Application.id == Answer.application_id)
            .where(Application.organisation_id == organisation_id,
                   Application.status == Status.BESLOTEN)):
        until = document.valid_until or answer.evidence_valid_until
        if until is not None and document.id not in superseded:
            dates.append(until)
    for review in reviews:
        if review.organisation_id == organisation_id and review.status == compliance.ACCEPTED:
            until = db.session.get(Document, review.document_id).valid_until
            if until is not None and review.document_id not in superseded:
                dates.append(until)
    return min(dates, default=None)


def _migration(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_date_agrees_with_tracked_rows_for_random_data(ctx, seed):
    rnd = random.Random(seed)
    organisations = _random_partners(rnd, 25)
    expected = {org.id: _expected_earliest(org.id) for org in organisations}
    assert len({d for d in expected.values() if d is not None}) > 5  # the data is varied
    assert None in expected.values()
    # The workflows' function: the earliest date of tracked_rows.
    for org in organisations:
        compliance.refresh_evidence_date(org.id)
    db.session.flush()
    assert {org.id: org.evidence_valid_until for org in organisations} == expected
    assert {org.id: _earliest_tracked(org.id) for org in organisations} == expected
    # The migration's fill for existing rows (its own SQL) gives the same dates.
    db.session.execute(update(Organisation).values(evidence_valid_until=None))
    _migration("0011_materialised_compliance.py").fill_evidence_dates(db.session.connection())
    db.session.expire_all()
    assert {org.id: db.session.get(Organisation, org.id).evidence_valid_until
            for org in organisations} == expected
    # And the condition on it says what compliance_status says, on any day.
    ids = {org.id for org in organisations}
    for today in (TODAY - timedelta(days=100), TODAY, TODAY + timedelta(days=30)):
        late = {i for i in ids if not compliance.compliance_status(i, today=today).compliant}
        assert _late(today) & ids == late


def test_a_later_date_for_the_same_file_moves_the_kept_date(ctx):
    """Uploading the same file again with a later validity date extends the stored
    document (files are stored once), also when it is tracked evidence."""
    from werkzeug.datastructures import FileStorage

    application = _admitted()
    org = db.session.get(Organisation, application.organisation_id)
    before = org.evidence_valid_until
    later = before + timedelta(days=400)
    stored = storage.store_upload(FileStorage(io.BytesIO(PDF_BYTES), filename="opnieuw.pdf"),
                                  organisation=org, by=user(PROVIDER), valid_until=later)
    db.session.commit()
    assert stored.valid_until == later and stored.id in compliance.tracked_dates(org.id)
    assert org.evidence_valid_until == _earliest_tracked(org.id) != before


def test_a_date_given_to_an_undated_document_moves_the_kept_date(ctx):
    """A decided answer whose document has no date of its own is tracked by the answer's
    date; once a new application gives the document a date, that date counts."""
    application = _admitted()
    org = db.session.get(Organisation, application.organisation_id)
    a8 = next(a for a in application.answers if a.requirement.code == "A8")
    document = a8.document
    document.valid_until = None
    for answer in application.answers:
        if answer.document_id == document.id:
            answer.evidence_valid_until = TODAY + timedelta(days=300)
    compliance.refresh_evidence_date(org.id)
    db.session.commit()
    assert org.evidence_valid_until == TODAY + timedelta(days=300)
    provider = user(PROVIDER)
    draft = applications.create_application(db.session.scalar(select(Procedure)),
                                             categories("leefgroepen"), by=provider)
    applications.save_answers(draft, {a8.requirement_id: {"valid_until": TODAY}},
                              {a8.requirement_id: document}, by=provider)
    db.session.commit()
    assert document.valid_until == TODAY
    assert org.evidence_valid_until == _earliest_tracked(org.id) == TODAY


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


def test_the_daily_command_mails_once_and_reports(in_term, app, smtp):
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


# --- new versions: upload and review through the pages -------------------------------------

def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _partner_with_expired(app, days_ago=3):
    """The demo provider, admitted, with its A8 insurance expired ``days_ago`` days ago."""
    with app.app_context():
        application = _admitted()
        answers = _expiring_answers(application)
        _set_until(answers["A8"], today_local() - timedelta(days=days_ago))
        db.session.commit()
        return application.organisation_id, answers["A8"].document_id, answers["A5"].document_id


def _upload(client, document_id, *, content=PDF_BYTES + b"nieuw", name="polis-2028.pdf",
            until=None):
    url = f"/organisatie/bewijsstukken/{document_id}/nieuwe-versie"
    data = {"valid_until": (until or today_local() + timedelta(days=365)).isoformat()}
    if content is not None:
        data["file"] = (io.BytesIO(content), name)
    return post(client, url, data, content_type="multipart/form-data")


def test_the_partner_sees_its_tracked_documents_and_state(app):
    org_id, expired_id, valid_id = _partner_with_expired(app)
    provider = _client(app, PROVIDER)
    html = provider.get("/organisatie/bewijsstukken").get_data(as_text=True)
    assert "Uw organisatie is niet compliant." in html
    assert f"/organisatie/bewijsstukken/{expired_id}/nieuwe-versie" in html
    assert f"/organisatie/bewijsstukken/{valid_id}/nieuwe-versie" in html
    assert "verlopen" in html and "A8" in html and "A5" in html


def test_uploading_a_new_version_puts_it_in_the_queue(app):
    org_id, expired_id, _valid_id = _partner_with_expired(app)
    provider = _client(app, PROVIDER)
    response = _upload(provider, expired_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        review = db.session.scalar(select(EvidenceReview))
        assert (review.status, review.replaces_document_id, review.organisation_id) == (
            compliance.PENDING, expired_id, org_id)
        new = db.session.get(Document, review.document_id)
        assert new.original_name == "polis-2028.pdf"
        assert new.valid_until == today_local() + timedelta(days=365)
        assert storage.path_for(new).read_bytes() == PDF_BYTES + b"nieuw"
        # Still not compliant until an assessor accepts it.
        assert not compliance.compliance_status(org_id).compliant
    html = provider.get("/organisatie/bewijsstukken").get_data(as_text=True)
    assert "nieuwe versie in beoordeling" in html and "polis-2028.pdf" in html
    assert f"/organisatie/bewijsstukken/{expired_id}/nieuwe-versie" not in html
    # A second version while the first waits is refused.
    again = _upload(provider, expired_id, content=PDF_BYTES + b"nog een")
    assert again.status_code == 302
    assert "wacht al een nieuwe versie" in provider.get(
        "/organisatie/bewijsstukken").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceReview)) == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"content": None}, "Kies het bestand met de nieuwe versie."),
    ({"until": today_local()}, "De nieuwe versie moet na vandaag nog geldig zijn."),
    ({"until": today_local() - timedelta(days=10)}, "moet na vandaag nog geldig zijn"),
    ({"content": b"GIF89a niet een pdf"}, "is geen PDF-bestand"),
    ({"content": b""}, "is leeg"),
])
def test_bad_uploads_get_a_dutch_message_and_store_nothing(app, kwargs, message):
    _org_id, expired_id, _valid_id = _partner_with_expired(app)
    provider = _client(app, PROVIDER)
    response = _upload(provider, expired_id, **kwargs)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'class="error-summary"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceReview)) == 0


def test_an_unreadable_date_and_the_same_file_again_are_refused(app):
    _org_id, expired_id, _valid_id = _partner_with_expired(app)
    provider = _client(app, PROVIDER)
    url = f"/organisatie/bewijsstukken/{expired_id}/nieuwe-versie"
    bad_date = post(provider, url, {"valid_until": "volgend jaar",
                                    "file": (io.BytesIO(PDF_BYTES + b"x"), "a.pdf")},
                    content_type="multipart/form-data")
    assert bad_date.status_code == 422 and "Vul een geldige datum in" in bad_date.get_data(
        as_text=True)
    # The test data's evidence is one file (PDF_BYTES): uploading it again is no new version.
    same = _upload(provider, expired_id, content=PDF_BYTES, name="oud.pdf")
    assert same.status_code == 422
    assert "al eerder als bewijsstuk gebruikt" in same.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceReview)) == 0
        assert db.session.get(Document, expired_id).valid_until < today_local()


def test_another_organisations_document_is_not_found(app):
    _org_id, expired_id, _valid_id = _partner_with_expired(app)
    with app.app_context():
        stranger = Organisation(name="Ander", kvk_number="87654321", street="Weg 1",
                                postal_code="4811 AA", city="Breda",
                                contact_email="info@ander.example")
        db.session.add(stranger)
        db.session.flush()
        theirs = _new_document(stranger, user(PROVIDER), today_local(), "van-een-ander.pdf")
        db.session.commit()
        theirs_id = theirs.id
    provider = _client(app, PROVIDER)
    assert provider.get(f"/organisatie/bewijsstukken/{theirs_id}/nieuwe-versie").status_code == 404
    assert provider.get("/organisatie/bewijsstukken/999999/nieuwe-versie").status_code == 404
    assert _upload(provider, theirs_id).status_code == 404


def test_staff_and_strangers_cannot_use_the_partner_pages(app):
    _org_id, expired_id, _valid_id = _partner_with_expired(app)
    anonymous = app.test_client()
    response = anonymous.get("/organisatie/bewijsstukken")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    assessor = _client(app, ASSESSOR_1)
    assert assessor.get("/organisatie/bewijsstukken").status_code == 403
    assert assessor.get(f"/organisatie/bewijsstukken/{expired_id}/nieuwe-versie").status_code == 403


def _submitted_review(app):
    org_id, expired_id, valid_id = _partner_with_expired(app)
    provider = _client(app, PROVIDER)
    assert _upload(provider, expired_id).status_code == 302
    with app.app_context():
        review = db.session.scalar(select(EvidenceReview))
        return org_id, expired_id, review.id, review.document_id


def test_an_assessor_accepts_a_new_version_and_the_partner_is_compliant_again(app, smtp):
    org_id, expired_id, review_id, new_id = _submitted_review(app)
    assessor = _client(app, ASSESSOR_1)
    queue = assessor.get("/beheer/bewijsstukken").get_data(as_text=True)
    assert f"/beheer/bewijsstukken/{review_id}" in queue and "polis-2028.pdf" in queue
    page = assessor.get(f"/beheer/bewijsstukken/{review_id}").get_data(as_text=True)
    assert f"/documenten/{new_id}" in page and f"/documenten/{expired_id}" in page
    assert "niet compliant" in page and "A8" in page
    assert assessor.get(f"/documenten/{new_id}").status_code == 200  # opens the document
    response = post(assessor, f"/beheer/bewijsstukken/{review_id}/accepteren",
                    token_from=f"/beheer/bewijsstukken/{review_id}")
    assert response.status_code == 302
    with app.app_context():
        review = db.session.get(EvidenceReview, review_id)
        assert review.status == compliance.ACCEPTED
        assert review.reviewed_by_id == user(ASSESSOR_1).id and review.reviewed_at
        assert compliance.compliance_status(org_id).compliant
        assert new_id in compliance.tracked_dates(org_id)
        assert expired_id not in compliance.tracked_dates(org_id)
        # Accepting stored the new earliest date: the partner list agrees.
        kept = db.session.get(Organisation, org_id).evidence_valid_until
        assert kept == _earliest_tracked(org_id) and kept >= today_local()
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "evidence_accepted", AuditEvent.object_id == review_id))
    smtp.wait_for(2)
    accepted = smtp.find(to="info@delinde.demo.nl", subject_contains="Nieuwe versie geaccepteerd")
    assert accepted and smtp.find(to=PROVIDER, subject_contains="Nieuwe versie geaccepteerd")
    assert "polis-2028.pdf" in accepted[0].get_body(("plain",)).get_content()
    # Reviewed once: a second decision is refused with a message, nothing changes.
    again = post(assessor, f"/beheer/bewijsstukken/{review_id}/afwijzen", {"reason": "Toch niet"},
                 token_from="/beheer/bewijsstukken")
    assert again.status_code == 302
    assert "al beoordeeld" in assessor.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EvidenceReview, review_id).status == compliance.ACCEPTED
    done = assessor.get("/beheer/bewijsstukken?status=geaccepteerd").get_data(as_text=True)
    assert f"/beheer/bewijsstukken/{review_id}" in done


def test_rejecting_needs_a_reason_that_the_partner_gets(app, smtp):
    org_id, expired_id, review_id, new_id = _submitted_review(app)
    admin = _client(app, ADMIN)  # administrators review too
    url = f"/beheer/bewijsstukken/{review_id}/afwijzen"
    empty = post(admin, url, {"reason": "  "}, token_from=f"/beheer/bewijsstukken/{review_id}")
    assert empty.status_code == 422
    assert "Geef de reden van de afwijzing." in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EvidenceReview, review_id).status == compliance.PENDING
    response = post(admin, url, {"reason": "De polis is niet ondertekend."},
                    token_from=f"/beheer/bewijsstukken/{review_id}")
    assert response.status_code == 302
    with app.app_context():
        review = db.session.get(EvidenceReview, review_id)
        assert (review.status, review.reason) == (compliance.REJECTED,
                                                  "De polis is niet ondertekend.")
        assert not compliance.compliance_status(org_id).compliant
    smtp.wait_for(2)
    rejected = smtp.find(to="info@delinde.demo.nl", subject_contains="Nieuwe versie afgewezen")
    body = rejected[0].get_body(("plain",)).get_content()
    assert "De polis is niet ondertekend." in body
    assert f"/organisatie/bewijsstukken/{expired_id}/nieuwe-versie" in body
    # The partner sees the outcome and may upload another version.
    provider = _client(app, PROVIDER)
    html = provider.get("/organisatie/bewijsstukken").get_data(as_text=True)
    assert "afgewezen" in html and "De polis is niet ondertekend." in html
    assert _upload(provider, expired_id, content=PDF_BYTES + b"getekend").status_code == 302


def test_an_expired_new_version_cannot_be_accepted(app):
    _org_id, _expired_id, review_id, new_id = _submitted_review(app)
    with app.app_context():
        db.session.get(Document, new_id).valid_until = today_local() - timedelta(days=1)
        db.session.commit()
    assessor = _client(app, ASSESSOR_2)
    response = post(assessor, f"/beheer/bewijsstukken/{review_id}/accepteren",
                    token_from=f"/beheer/bewijsstukken/{review_id}")
    assert "zelf al verlopen" in assessor.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EvidenceReview, review_id).status == compliance.PENDING


def test_operations_check_who_acts(ctx):
    application = _admitted()
    answers = _expiring_answers(application)
    org = db.session.get(Organisation, application.organisation_id)
    with pytest.raises(NotPermitted):
        compliance.submit_replacement(org, answers["A8"].document_id, None, None,
                                      by=user(ASSESSOR_1))
    review = EvidenceReview(organisation_id=org.id, document_id=answers["A5"].document_id,
                            replaces_document_id=answers["A8"].document_id,
                            submitted_by_id=user(PROVIDER).id)
    db.session.add(review)
    db.session.commit()
    with pytest.raises(NotPermitted):
        compliance.accept_replacement(review, by=user(PROVIDER))
    with pytest.raises(NotPermitted):
        compliance.reject_replacement(review, by=user(PROVIDER), reason="nee")
    with pytest.raises(ValidationFailed):
        compliance.reject_replacement(review, by=user(ASSESSOR_1), reason="")


def test_review_pages_are_for_staff_only(app):
    _org_id, _expired_id, review_id, _new_id = _submitted_review(app)
    provider = _client(app, PROVIDER)
    for url in ("/beheer/bewijsstukken", f"/beheer/bewijsstukken/{review_id}",
                "/beheer/partners"):
        assert provider.get(url).status_code == 403, url
    token_page = "/organisatie/bewijsstukken"
    assert post(provider, f"/beheer/bewijsstukken/{review_id}/accepteren",
                token_from=token_page).status_code == 403
    assert post(provider, f"/beheer/bewijsstukken/{review_id}/afwijzen", {"reason": "x"},
                token_from=token_page).status_code == 403
    with app.app_context():
        assert db.session.get(EvidenceReview, review_id).status == compliance.PENDING
    assessor = _client(app, ASSESSOR_1)
    assert assessor.get("/beheer/bewijsstukken/999999").status_code == 404
    assert post(assessor, "/beheer/bewijsstukken/999999/accepteren",
                token_from="/beheer/bewijsstukken").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/beheer/partners").status_code == 302


# --- the region's partner list ------------------------------------------------------------------

def _quick_partner(n, until, *, status=AdmissionStatus.ACTIEF, category="pleegzorg",
                   name=None):
    """A partner made straight in the database: a decided application whose A5 answer has a
    document valid until ``until``, and an admission."""
    procedure = db.session.scalar(select(Procedure))
    org = Organisation(name=name or f"Partner {n:03}", kvk_number=str(50_000_000 + n),
                       street="Straat 1", postal_code="4811 AA", city="Breda",
                       contact_email=f"info{n}@partner.example")
    db.session.add(org)
    db.session.flush()
    a5 = requirement("A5")
    application = Application(organisation_id=org.id, procedure_id=procedure.id,
                              catalogue_version_id=a5.version_id, status=Status.BESLOTEN,
                              created_by_id=user(ADMIN).id, reference=f"Q-{n:05}")
    db.session.add(application)
    db.session.flush()
    document = Document(organisation_id=org.id, original_name=f"hkz-{n}.pdf",
                        stored_name=f"q/{n}", content_type="application/pdf", size_bytes=10,
                        sha256=f"{n:064}", valid_until=until, uploaded_by_id=user(ADMIN).id)
    db.session.add(document)
    db.session.flush()
    db.session.add(Answer(application_id=application.id, requirement_id=a5.id,
                          document_id=document.id, evidence_valid_until=until))
    db.session.add(Admission(organisation_id=org.id, category_id=categories(category)[0].id,
                             application_id=application.id, status=status))
    compliance.refresh_evidence_date(org.id)
    db.session.flush()
    return org


def test_the_partner_list_shows_compliance_and_filters(app):
    today = today_local()
    with app.app_context():
        ok = _quick_partner(1, today + timedelta(days=100), name="Stichting Goed Geregeld")
        late = _quick_partner(2, today - timedelta(days=1), name="Zorg Te Laat BV",
                              category="leefgroepen")
        suspended = _quick_partner(3, today, status=AdmissionStatus.GESCHORST,
                                   name="Geschorst Maar Geldig")
        gone = _quick_partner(4, today - timedelta(days=50), status=AdmissionStatus.BEEINDIGD,
                              name="Vertrokken Zorg")
        db.session.commit()
        ids = {o.name: o.id for o in (ok, late, suspended, gone)}
        kvk_late = late.kvk_number
    assessor = _client(app, ASSESSOR_1)
    html = assessor.get("/beheer/partners").get_data(as_text=True)
    for name in ("Stichting Goed Geregeld", "Zorg Te Laat BV", "Geschorst Maar Geldig"):
        assert f'/beheer/partners/{ids[name]}"' in html and name in html
    assert "Vertrokken Zorg" not in html  # no live admission: no partner
    assert "1 partner is niet compliant." in html
    assert "Leefgroepen" in html and "Pleegzorg (geschorst)" in html
    row = html[html.index("Zorg Te Laat BV"):]
    assert row.index("niet compliant") < row.index("</tr>")
    only = assessor.get("/beheer/partners?niet_compliant=1").get_data(as_text=True)
    assert "Zorg Te Laat BV" in only and "Stichting Goed Geregeld" not in only
    assert "Geschorst Maar Geldig" not in only  # valid through today
    by_kvk = assessor.get(f"/beheer/partners?zoek={kvk_late}").get_data(as_text=True)
    assert "Zorg Te Laat BV" in by_kvk and "Stichting Goed Geregeld" not in by_kvk
    by_name = assessor.get("/beheer/partners?zoek=goed geregeld").get_data(as_text=True)
    assert "Stichting Goed Geregeld" in by_name and "Zorg Te Laat BV" not in by_name
    nothing = assessor.get("/beheer/partners?zoek=Bestaat%20niet").get_data(as_text=True)
    assert "Er zijn geen partners die aan deze zoekopdracht voldoen." in nothing
    assert _client(app, ADMIN).get("/beheer/partners").status_code == 200


def test_an_accepted_replacement_clears_the_mark_on_the_list(app):
    _org_id, _expired_id, review_id, _new_id = _submitted_review(app)
    assessor = _client(app, ASSESSOR_1)
    before = assessor.get("/beheer/partners?niet_compliant=1").get_data(as_text=True)
    assert "Gezinshuis De Linde" in before and "nieuwe versie in beoordeling" in before
    post(assessor, f"/beheer/bewijsstukken/{review_id}/accepteren",
         token_from=f"/beheer/bewijsstukken/{review_id}")
    after = assessor.get("/beheer/partners?niet_compliant=1").get_data(as_text=True)
    assert "Gezinshuis De Linde" not in after
    assert "Alle partners zijn compliant." in after


def _statements(client, url):
    client.get(url)  # warm up (login, caches)
    with StatementCounter(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


# The search reads a few matches by their ids (FEW 200) or checks many row by row (FEW 0);
# with "niet compliant" the page and its count then check the search on each late partner.
@pytest.mark.parametrize("few", [200, 0])
def test_the_partner_list_runs_few_statements_whatever_the_number_of_partners(app, monkeypatch,
                                                                             few):
    from portal import textsearch

    monkeypatch.setattr(textsearch, "FEW", few)
    today = today_local()
    with app.app_context():
        for n in range(1, 4):
            _quick_partner(n, today + timedelta(days=n - 2))
        db.session.commit()
    assessor = _client(app, ASSESSOR_1)
    with app.app_context():
        small, _ = _statements(assessor, "/beheer/partners")
        for n in range(4, 90):
            _quick_partner(n, today + timedelta(days=(n % 5) - 2),
                           category=("pleegzorg", "leefgroepen")[n % 2])
        db.session.commit()
        large, first = _statements(assessor, "/beheer/partners")
        filtered, only = _statements(assessor, "/beheer/partners?niet_compliant=1&zoek=Partner")
        _, second = _statements(assessor, "/beheer/partners?pagina=2")
        expected_late = sum(1 for n in range(1, 90)
                            if today + timedelta(days=((n - 2) if n < 4 else (n % 5) - 2)) < today)
    assert large == small <= 15 and filtered <= 15
    assert "Pagina 1 van 4 (89 in totaal)" in first and "Partner 001" in first
    assert "Partner 026" in second and "Partner 001" not in second
    assert f"{expected_late} partners zijn niet compliant." in first
    assert f"({expected_late} in totaal)" in only
    # The few niet compliant partners are read through the date index, still in name order.
    late_names = [f"Partner {n:03}" for n in range(1, 90)
                  if today + timedelta(days=((n - 2) if n < 4 else (n % 5) - 2)) < today]
    shown = list(dict.fromkeys(re.findall(r"Partner \d{3}", only)))
    assert shown == late_names[:25]
