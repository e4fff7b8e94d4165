"""Unit tests of the application workflow: the transition table, audit, the rules."""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.applications import workflow
from portal.applications.workflow import ALLOWED_TRANSITIONS, change_status
from portal.assessment import workflow as assessment
from portal.errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from portal.extensions import db
from portal.models import (
    Admission,
    Application,
    AuditEvent,
    CategoryDecision,
    OutboxMail,
    Outcome,
    Procedure,
    Status,
    VerdictOutcome,
)
from portal.timeutil import to_local, today_local
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER, user
from tests.helpers import categories, fill_completely, requirement

ALL_PAIRS = list(itertools.product(Status, Status))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in ALLOWED_TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in ALLOWED_TRANSITIONS[a]]


def test_table_matches_the_domain():
    S = Status
    assert ALLOWED_TRANSITIONS[S.CONCEPT] == {S.INGEDIEND, S.INGETROKKEN}
    assert ALLOWED_TRANSITIONS[S.INGEDIEND] == {S.IN_BEHANDELING, S.INGETROKKEN}
    # the clarification pair
    assert S.AANVULLING_GEVRAAGD in ALLOWED_TRANSITIONS[S.IN_BEHANDELING]
    assert S.IN_BEHANDELING in ALLOWED_TRANSITIONS[S.AANVULLING_GEVRAAGD]
    assert S.BESLOTEN in ALLOWED_TRANSITIONS[S.BESLUIT_VOORGESTELD]
    # final states; withdrawal possible from every state before the decision
    assert ALLOWED_TRANSITIONS[S.BESLOTEN] == set() == ALLOWED_TRANSITIONS[S.INGETROKKEN]
    for state in set(S) - {S.BESLOTEN, S.INGETROKKEN}:
        assert S.INGETROKKEN in ALLOWED_TRANSITIONS[state]


def _application(status=Status.CONCEPT, cats=("pleegzorg",)):
    provider = user(PROVIDER)
    procedure = db.session.scalar(select(Procedure))
    application = workflow.create_application(procedure, categories(*cats), by=provider)
    application.status = status
    db.session.flush()
    return application


@pytest.mark.parametrize("old,new", ALLOWED, ids=[f"{a.value}->{b.value}" for a, b in ALLOWED])
def test_every_allowed_transition_changes_state_and_writes_audit(ctx, old, new):
    application = _application(old)
    actor = user(ASSESSOR_1)
    change_status(application, new, by=actor, action="test")
    db.session.commit()
    assert db.session.get(Application, application.id).status == new
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "applications", AuditEvent.object_id == application.id,
        AuditEvent.action == "test"))
    assert (event.actor_id, event.from_state, event.to_state) == (actor.id, old.value, new.value)
    assert event.at is not None and event.at.tzinfo is None  # naive UTC


@pytest.mark.parametrize("old,new", FORBIDDEN, ids=[f"{a.value}->{b.value}" for a, b in FORBIDDEN])
def test_every_forbidden_transition_raises_and_changes_nothing(ctx, old, new):
    application = _application(old)
    db.session.commit()
    before = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    with pytest.raises(TransitionNotAllowed) as err:
        change_status(application, new, by=user(ASSESSOR_1), action="test")
    assert "kan niet naar" in err.value.message
    assert application.status == old
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == before


def test_submit_refuses_incomplete_and_lists_what_is_missing(ctx):
    application = _application()
    missing = workflow.missing_items(application)
    codes = {m.message.split(" ")[0] for m in missing}
    assert {"A1", "A5", "A8", "A14", "P1", "P2"} <= codes
    assert not any(m.message.startswith(("H1", "K1", "Z1", "L1")) for m in missing)  # other categories
    with pytest.raises(DomainError):
        workflow.submit(application, by=user(PROVIDER))
    assert application.status == Status.CONCEPT


def test_submit_complete_application_sets_reference_due_date_and_queues_receipt(ctx):
    provider = user(PROVIDER)
    application = _application()
    fill_completely(application, provider)
    assert workflow.missing_items(application) == []
    workflow.submit(application, by=provider)
    db.session.commit()
    assert application.status == Status.INGEDIEND
    assert application.reference == f"WMB-{application.submitted_at.year}-{application.id:06d}"
    # 8 weeks (the seeded procedure) after the day of submission in Amsterdam, exactly.
    assert application.procedure.decision_period_weeks == 8
    assert application.decision_due == to_local(application.submitted_at).date() + timedelta(days=56)
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "receipt")).all()
    assert {m.to_address for m in mails} == {PROVIDER, application.organisation.contact_email}
    assert all(m.body_text and "<html" in m.body_html for m in mails)
    with pytest.raises(TransitionNotAllowed, match="al ingediend"):
        workflow.submit(application, by=provider)


def test_amount_below_minimum_and_expired_evidence_are_missing(ctx):
    from datetime import timedelta

    provider = user(PROVIDER)
    application = _application()
    fill_completely(application, provider)
    a8 = requirement("A8")
    answer = application.answers_by_requirement()[a8.id]
    answer.amount_value = 1_000_000
    answer.evidence_valid_until = today_local() - timedelta(days=1)
    messages = [m.message for m in workflow.missing_items(application)]
    assert any("minstens € 2.500.000" in m for m in messages)
    assert any("verlopen" in m for m in messages)


def test_kvk_answer_must_be_the_organisations_own(ctx):
    application = _application()
    fill_completely(application, user(PROVIDER))
    a2 = requirement("A2")
    application.answers_by_requirement()[a2.id].identifier_value = "11111111"
    [item] = workflow.missing_items(application)
    assert item.field == f"r{a2.id}_identifier" and "niet dat van uw organisatie" in item.message


def test_cannot_apply_twice_for_the_same_category(ctx):
    _application()
    with pytest.raises(DomainError, match="loopt al een aanmelding"):
        _application()


def test_only_own_organisation_may_change(ctx):
    application = _application()
    with pytest.raises(NotPermitted):
        workflow.withdraw(application, by=user(ASSESSOR_1))


def _submitted(cats=("pleegzorg", "gezinshuiszorg")):
    provider = user(PROVIDER)
    application = _application(cats=cats)
    fill_completely(application, provider)
    workflow.submit(application, by=provider)
    assessment.start_review(application, by=user(ASSESSOR_1))
    assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
    db.session.flush()
    return application


def _all_voldoet(application, **overrides):
    verdicts = {r.id: (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()}
    verdicts.update(overrides)
    return verdicts


def test_voldoet_niet_needs_a_reason(ctx):
    application = _submitted()
    a5 = requirement("A5")
    with pytest.raises(ValidationFailed) as err:
        assessment.record_verdicts(application, _all_voldoet(application, **{}) | {
            a5.id: (VerdictOutcome.VOLDOET_NIET, " ")}, by=user(ASSESSOR_1))
    assert err.value.errors == [(f"v{a5.id}_reason", "A5: geef de reden waarom de aanbieder niet voldoet.")]


def test_decision_rules(ctx):
    application = _submitted()
    assessor = user(ASSESSOR_1)
    pleeg, gezin = categories("pleegzorg", "gezinshuiszorg")
    h2 = requirement("H2")

    # No verdicts yet: proposing is refused.
    with pytest.raises(ValidationFailed):
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.TOEGELATEN, "ok", []), gezin.id: (Outcome.TOEGELATEN, "ok", [])},
            by=assessor)

    verdicts = _all_voldoet(application) | {h2.id: (VerdictOutcome.VOLDOET_NIET, "Te veel kinderen.")}
    assessment.record_verdicts(application, verdicts, by=assessor)

    # A rejection without a failed requirement, and admitting despite a failed knock-out.
    with pytest.raises(ValidationFailed) as err:
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.AFGEWEZEN, "nee", []),
            gezin.id: (Outcome.TOEGELATEN, "ja", [])}, by=assessor)
    fields = {f for f, _ in err.value.errors}
    assert fields == {f"c{pleeg.id}_failed", f"c{gezin.id}_outcome"}
    assert application.status == Status.IN_BEHANDELING

    # A requirement judged 'voldoet' cannot be a ground for rejection.
    with pytest.raises(ValidationFailed):
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.TOEGELATEN, "ja", []),
            gezin.id: (Outcome.AFGEWEZEN, "nee", [requirement("H1").id])}, by=assessor)

    assessment.propose_decision(application, {
        pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle eisen.", []),
        gezin.id: (Outcome.AFGEWEZEN, "H2 niet gehaald.", [h2.id])}, by=assessor)
    assert application.status == Status.BESLUIT_VOORGESTELD
    assert db.session.scalar(select(db.func.count()).select_from(Admission)) == 0

    # Four eyes: the proposer may not approve.
    with pytest.raises(NotPermitted):
        assessment.approve_decision(application, no_conflict=True, by=assessor)
    # Send back, propose again, and approve by the second assessor.
    assessment.send_back(application, by=user(ASSESSOR_2), note="Motivering aanscherpen.")
    assert application.status == Status.IN_BEHANDELING
    assessment.propose_decision(application, {
        pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle minimumeisen.", []),
        gezin.id: (Outcome.AFGEWEZEN, "Eis H2 (maximaal 6 kinderen) is niet gehaald.", [h2.id])},
        by=assessor)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    assert application.status == Status.BESLOTEN and application.decided_at is not None
    admissions = db.session.scalars(select(Admission)).all()
    assert [a.category_id for a in admissions] == [pleeg.id]
    decisions = db.session.scalars(select(CategoryDecision)).all()
    assert all(d.approved_by_id == user(ASSESSOR_2).id for d in decisions)
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "decision"))
    assert "Pleegzorg: TOEGELATEN" in mail.body_text
    assert "Gezinshuiszorg: AFGEWEZEN" in mail.body_text and "H2 " in mail.body_text
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "applications", AuditEvent.object_id == application.id)
        .order_by(AuditEvent.id)).all()
    assert actions == ["created", "submitted", "review_started", "conflict_declared",
                       "verdicts_recorded",
                       "decision_proposed", "decision_sent_back", "decision_proposed",
                       "conflict_declared", "decision_approved"]  # the approver declares too

    # Rejected for one category: the provider may apply again for it at any time,
    # but not for the category it is admitted to.
    again = workflow.create_application(db.session.scalar(select(Procedure)), [gezin],
                                        by=user(PROVIDER))
    assert again.status == Status.CONCEPT
    with pytest.raises(DomainError, match="al toegelaten"):
        workflow.create_application(db.session.scalar(select(Procedure)), [pleeg], by=user(PROVIDER))


def test_withdraw_before_decision(ctx):
    application = _submitted(cats=("leefgroepen",))
    workflow.withdraw(application, by=user(PROVIDER), reason="Toch niet")
    assert application.status == Status.INGETROKKEN and application.withdrawn_at
    with pytest.raises(TransitionNotAllowed):
        workflow.withdraw(application, by=user(PROVIDER))


def test_the_missing_list_is_exactly_what_was_left_open(app):
    """All answered through the pages except two: the A12 declaration (general step) and
    the H2 number (the Gezinshuiszorg step). The workflow names exactly those two, and the
    refused submit links to exactly those two fields, each on its own step."""
    import re

    from tests.conftest import login, post
    from tests.helpers import complete_form_data

    client = app.test_client()
    login(client, PROVIDER)
    with app.app_context():
        chosen = [str(c.id) for c in categories("pleegzorg", "gezinshuiszorg")]
    response = post(client, "/aanmeldingen/nieuw", {"categories": chosen})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).order_by(Application.id.desc()))
        app_id = application.id
        a12, h2 = requirement("A12"), requirement("H2")
        assert a12.version_id == h2.version_id == application.catalogue_version_id
        left_open = {f"r{a12.id}_declared", f"r{h2.id}_number"}
        pages = [{k: v for k, v in complete_form_data(application).items() if k not in left_open}
                 for _ in range(4)]  # posted files are closed after use: one set per step
    base = f"/aanmeldingen/{app_id}"
    for n, data in enumerate(pages, start=1):
        response = post(client, f"{base}/stap/{n}", {**data, "volgende": "1"},
                        content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    with app.app_context():
        application = db.session.get(Application, app_id)
        missing = workflow.missing_items(application)
        assert {m.field for m in missing} == left_open
        assert {m.requirement_id for m in missing} == {a12.id, h2.id}
        assert len(missing) == 2

    response = post(client, f"{base}/indienen", token_from=f"{base}/overzicht")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "er ontbreken 2 onderdelen" in summary
    links = set(re.findall(r'<a href="([^"]+)"', summary))
    # (the general requirements take two steps: A12 is on the second)
    assert links == {f"{base}/stap/2#r{a12.id}_declared", f"{base}/stap/4#r{h2.id}_number"}
    # Each link lands on its field.
    assert f'id="r{a12.id}_declared"' in client.get(f"{base}/stap/2").get_data(as_text=True)
    assert f'id="r{h2.id}_number"' in client.get(f"{base}/stap/4").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.CONCEPT
