"""Evidence that expires: tracked documents, compliance, the expiry schedule (leap days, run
twice, interrupted runs), new versions reviewed by an assessor, and the region's partner list."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.applications import workflow as applications
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import (
    Answer,
    Application,
    Document,
    EvidenceReview,
    Organisation,
    Outcome,
    Procedure,
    Requirement,
    Status,
    VerdictOutcome,
)
from portal.partners import compliance
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER, user
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
