"""Admissions over the term: the state table, the agreement, suspension, end, extension."""
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

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
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import submitted_application

# The daily run ends every admission once the term is over: these tests run on a fixed day
# well inside it, whatever day the suite runs on.
pytestmark = pytest.mark.usefixtures("in_term")

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
    application = submitted_application(provider, *cats)
    first = user(ASSESSOR_1)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                             for r in application.applicable_requirements()}, by=first)
    assessment.propose_decision(application, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                              for c in application.categories}, by=first)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
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
    today = today_local()
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
    today = today_local()
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
    today = today_local()
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
    assert refused.status_code == 422
    assert "Bevestig dat u de overeenkomst accepteert" in refused.get_data(as_text=True)
    response = post(provider, url, {"agree": "y"}, follow_redirects=True)
    assert "Uw toelating is nu actief" in response.get_data(as_text=True)
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.accepted_ip == "127.0.0.1"
    again = post(provider, url, {"agree": "y"}, follow_redirects=True)
    assert again.status_code == 200
    # The second acceptance is refused with its own message, and changes nothing.
    assert "Deze overeenkomst is al geaccepteerd." in again.get_data(as_text=True)
    assert "U heeft de deelnemersovereenkomst geaccepteerd" not in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "agreement_accepted")) == 1

    from tests.test_bad_input import _other_provider
    stranger = _other_provider(app)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/organisatie/toelatingen/{admission_id}/opzeggen").status_code == 404

    admin = app.test_client()
    login(admin, ADMIN)
    page = f"/beheer/toelatingen/{admission_id}"
    bad = post(admin, page + "/schorsen", {"reason": "Onderzoek", "starts_on": today_local().isoformat(),
                                            "ends_on": (today_local() - timedelta(days=3)).isoformat()},
               token_from=page)
    assert bad.status_code == 422 and "ligt vóór de begindatum" in bad.get_data(as_text=True)
    ok = post(admin, page + "/schorsen", {"reason": "Onderzoek", "starts_on": today_local().isoformat()},
              token_from=page, follow_redirects=True)
    assert "De schorsing is vastgelegd" in ok.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Admission, admission_id).status == A.GESCHORST
    assert provider.get(page).status_code == 403
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    assert assessor.get(page).status_code == 200
    assert post(assessor, page + "/beeindigen", {"reason": "x", "ends_on": today_local().isoformat()},
                token_from=page).status_code == 403
    assert assessor.get("/beheer/looptijd").status_code == 403
    term = post(admin, "/beheer/looptijd",
                {"rationale": "Verlengen", "exercised_on": today_local().isoformat()},
                follow_redirects=True)
    assert "De verlengingsoptie is benut" in term.get_data(as_text=True)


def test_daily_command_reports_and_is_safe_twice(app, smtp):
    """A day on which something of every kind is due: each is done, and mailed, once."""
    from portal.timeutil import today_local
    from tests.test_partners_capacity import admit, age, demo_org, organisation, report

    today = today_local()
    yesterday = today - timedelta(days=1)
    with app.app_context():
        _admitted()  # the agreement for pleegzorg, not accepted ...
        agreement = db.session.scalar(select(Agreement))
        agreement.created_at = workflow.utcnow() - timedelta(days=15)  # ... for 15 days
        [leefgroepen] = admit(demo_org(), "leefgroepen")
        age(report(demo_org(), "leefgroepen", location="Made"), 31)  # a stale report
        admin = user(ADMIN)
        # Planned earlier: a suspension that starts today, an end on today.
        workflow.suspend(leefgroepen, by=admin, reason="Onderzoek.", starts_on=today,
                         today=yesterday)
        [ending] = admit(organisation("Stoppend Huis", "66000001"), "pleegzorg")
        workflow.end(ending, by=admin, reason="Afspraak.", ends_on=today, today=yesterday)
        db.session.commit()
        queued = _mail_counts()
        leefgroepen_id, ending_id = leefgroepen.id, ending.id
    runner = app.test_cli_runner()
    first = runner.invoke(args=["partners", "daily"])
    assert first.exit_code == 0, first.output
    assert ("suspensions started 1, suspensions ended 0, admissions ended 1, "
            "agreement reminders 1") in first.output
    assert "stale capacity reminders: 1" in first.output
    with app.app_context():
        after_first = _mail_counts()
        assert db.session.get(Admission, leefgroepen_id).status == A.GESCHORST
        assert db.session.get(Admission, ending_id).status == A.BEEINDIGD
    new = {kind: n - queued.get(kind, 0) for kind, n in after_first.items()
           if n != queued.get(kind, 0)}
    # The partner: contact address and beheerder; the ended one only its contact address.
    assert new == {"agreement_reminder": 2, "capacity_stale": 2, "admission_ended": 1}
    second = runner.invoke(args=["partners", "daily"])
    assert second.exit_code == 0, second.output
    assert ("suspensions started 0, suspensions ended 0, admissions ended 0, "
            "agreement reminders 0") in second.output
    assert "stale capacity reminders: 0" in second.output
    with app.app_context():
        assert _mail_counts() == after_first
    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    smtp.wait_for(sum(after_first.values()))
    reminders = smtp.find(to=PROVIDER, subject_contains="Herinnering: accepteer")
    assert len(reminders) == 1
    assert len(smtp.find(to="info@66000001.example", subject_contains="is beëindigd")) == 1


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
            document.valid_until = today_local() - timedelta(days=1)
        from portal.models import Answer
        for answer in db.session.scalars(select(Answer).where(Answer.evidence_valid_until.is_not(None))):
            answer.evidence_valid_until = today_local() - timedelta(days=1)
        db.session.commit()
    page = admin.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "Niet compliant." in page


# --- the notice period of the admission's own procedure -----------------------------------

def test_the_notice_period_is_the_one_of_the_admissions_own_procedure(ctx):
    from portal.models import Application, CatalogueVersion, Category, Region

    admission = _active()
    procedure = admission.category.procedure
    today = date(2027, 3, 15)
    procedure.notice_months = 6
    db.session.commit()
    ends_on = workflow.end_by_partner(admission, by=user(PROVIDER), reason="Wij stoppen.",
                                      today=today)
    db.session.commit()
    assert ends_on == admission.ended_on == date(2027, 9, 15)

    # A second procedure with a notice period of its own: its admissions follow it, not the
    # first procedure's.
    other = Procedure(region_id=db.session.scalar(select(Region.id)), slug="tweede-procedure",
                      name="Tweede open house", term_start=date(2027, 1, 1),
                      term_end=date(2031, 12, 31), notice_months=1)
    db.session.add(other)
    db.session.flush()
    category = Category(procedure_id=other.id, code="kamers", name="Kamertraining", position=9)
    db.session.add(category)
    db.session.flush()
    application = Application(organisation_id=admission.organisation_id, procedure_id=other.id,
                              catalogue_version_id=db.session.scalar(select(CatalogueVersion.id)),
                              created_by_id=user(PROVIDER).id, reference="WMB-T-TWEEDE")
    db.session.add(application)
    db.session.flush()
    second = Admission(organisation_id=admission.organisation_id, category_id=category.id,
                       application_id=application.id, status=A.ACTIEF)
    db.session.add(second)
    db.session.commit()
    assert db.session.scalar(select(Procedure.id).order_by(Procedure.id)) != other.id
    assert workflow.end_by_partner(second, by=user(PROVIDER), reason="Ook hiermee.",
                                   today=today) == date(2027, 4, 15)


def test_the_notice_page_shows_the_period_of_the_procedure(app):
    with app.app_context():
        admission = _active()
        admission.category.procedure.notice_months = 5
        db.session.commit()
        admission_id = admission.id
    provider = app.test_client()
    login(provider, PROVIDER)
    url = f"/organisatie/toelatingen/{admission_id}/opzeggen"
    assert "De opzegtermijn is 5 maanden." in provider.get(url).get_data(as_text=True)
    done = post(provider, url, {"reason": "Wij stoppen met pleegzorg.", "confirm": "y"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Admission, admission_id).ended_on == add_months(today_local(), 5)


# --- two administrators exercising the same extension option -------------------------------

def _competing_exercise(procedure_id, number):
    """Another administrator's exercise of option ``number``, committed on a connection of
    its own (as a second request would)."""
    from portal.procedure.models import ExtensionExercise

    with db.engine.begin() as connection:
        connection.execute(ExtensionExercise.__table__.insert().values(
            procedure_id=procedure_id, number=number, months=12, rationale="Tegelijk.",
            exercised_on=today_local(), exercised_by_id=user(ADMIN).id,
            created_at=workflow.utcnow()))


def test_exercising_an_option_someone_else_just_exercised_is_refused(ctx):
    from portal.procedure.models import ExtensionExercise

    _active()
    procedure = db.session.scalar(select(Procedure))
    assert procedure.options_left == 2  # what this administrator's page showed
    _competing_exercise(procedure.id, 1)
    with pytest.raises(DomainError, match="Een andere contractbeheerder heeft intussen"):
        workflow.exercise_extension(procedure, by=user(ADMIN), rationale="Ook verlengen.")
    db.session.commit()
    exercises = db.session.scalars(select(ExtensionExercise)).all()
    assert [(e.number, e.rationale) for e in exercises] == [(1, "Tegelijk.")]
    assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.kind == "term_extended")) == 0
    # With a fresh view the administrator exercises the next option.
    procedure = db.session.scalar(select(Procedure))
    workflow.exercise_extension(procedure, by=user(ADMIN), rationale="Tweede optie.")
    db.session.commit()
    assert procedure.current_end == date(2033, 12, 31) and procedure.options_left == 0


def test_the_term_page_answers_a_simultaneous_exercise_with_a_message(app):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal.procedure.models import ExtensionExercise

    with app.app_context():
        _active()
        procedure_id = db.session.scalar(select(Procedure.id))
    admin = app.test_client()
    login(admin, ADMIN)
    raced = []

    def other_admin_first(session, _context, _instances):
        # Just before this request writes its exercise, the other administrator's commits.
        if not raced and any(isinstance(o, ExtensionExercise) for o in session.new):
            raced.append(True)
            _competing_exercise(procedure_id, 1)

    event.listen(Session, "before_flush", other_admin_first)
    try:
        response = post(admin, "/beheer/looptijd",
                        {"rationale": "Verlengen", "exercised_on": today_local().isoformat()},
                        follow_redirects=True)
    finally:
        event.remove(Session, "before_flush", other_admin_first)
    html = response.get_data(as_text=True)
    assert raced and response.status_code == 200
    assert "Een andere contractbeheerder heeft intussen dezelfde verlengingsoptie benut." in html
    assert "De verlengingsoptie is benut" not in html
    assert "1 van 2" in html  # the page shows the current state: one option left
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExtensionExercise)) == 1


# --- the daily run, interrupted halfway -----------------------------------------------------

PHASES = ("start", "stop", "end", "remind")


def _day():
    """The day the interrupted daily runs are made for."""
    return today_local() + timedelta(days=20)


def _daily_scenario():
    """Two of everything the admission part of the daily run does on day: planned
    suspensions that start, suspensions that ended the day before, admissions that end,
    agreements offered more than 14 days earlier and not accepted."""
    from tests.test_partners_capacity import admit, organisation
    from tests.test_partners_reconfirmation import _admitted as admitted_through_workflow
    from tests.test_partners_reconfirmation import _provider

    admin, today = user(ADMIN), today_local()
    day = _day()
    items = {phase: [] for phase in PHASES}
    for n in range(2):
        [admission] = admit(organisation(f"Start {n}", f"6100000{n}"), "pleegzorg")
        workflow.suspend(admission, by=admin, reason="Onderzoek.", starts_on=day)
        items["start"].append(admission.id)
    for n in range(2):
        [admission] = admit(organisation(f"Stop {n}", f"6200000{n}"), "pleegzorg")
        workflow.suspend(admission, by=admin, reason="Tijdelijk.", starts_on=today,
                         ends_on=day - timedelta(days=1))
        items["stop"].append(admission.id)
    for n in range(2):
        [admission] = admit(organisation(f"Einde {n}", f"6300000{n}"), "pleegzorg")
        workflow.end(admission, by=admin, reason="Einde samenwerking.", ends_on=day)
        items["end"].append(admission.id)
    db.session.commit()
    for n in range(2):
        provider = _provider(f"beheer{n}@wacht.example", f"Wacht {n}", f"6400000{n}")
        application = admitted_through_workflow(provider, ("leefgroepen",), accept=False)
        items["remind"].append(db.session.scalar(select(Agreement.id).where(
            Agreement.application_id == application.id)))
    db.session.commit()
    return items


def _done(items):
    """How many items of each phase have been done."""
    admissions = {a.id: a.status for a in db.session.scalars(select(Admission))}
    agreements = {a.id: a.reminder_sent_at for a in db.session.scalars(select(Agreement))}
    return {
        "start": sum(admissions[i] == A.GESCHORST for i in items["start"]),
        "stop": sum(admissions[i] == A.ACTIEF for i in items["stop"]),
        "end": sum(admissions[i] == A.BEEINDIGD for i in items["end"]),
        "remind": sum(agreements[i] is not None for i in items["remind"]),
    }


def _mail_counts():
    return dict(db.session.execute(select(OutboxMail.kind, func.count())
                                   .group_by(OutboxMail.kind)).all())


def _fail_at_second(monkeypatch, target, name, key_of):
    """Make ``target.name`` raise when it reaches the second item (key_of gives the item
    of a call, or None for calls that do not count): the machine goes down halfway."""
    real = getattr(target, name)
    seen = []

    def interrupted(*args, **kwargs):
        key = key_of(*args, **kwargs)
        if key is not None and key not in seen:
            seen.append(key)
        if key is not None and len(seen) == 2:
            raise RuntimeError("de server viel uit")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, interrupted)


INTERRUPTIONS = {
    # The item-level step where the second item of each phase is interrupted.
    "start": ("change_status", lambda adm, new, **kw: adm.id if kw["action"] == "suspended"
              else None),
    "stop": ("_mail_partner", lambda adm, kind, *a, **kw: adm.id
             if kind == "admission_reinstated" else None),
    "end": ("_mail_partner", lambda adm, kind, *a, **kw: adm.id
            if kind == "admission_ended" else None),
    "remind": ("queue", lambda kind, to, **kw: kw["agreement"].id
               if kind == "agreement_reminder" else None),
}


@pytest.mark.parametrize("phase", PHASES)
def test_an_interrupted_daily_run_loses_nothing_and_does_nothing_twice(ctx, monkeypatch, phase):
    items = _daily_scenario()
    before = _mail_counts()
    name, key_of = INTERRUPTIONS[phase]
    _fail_at_second(monkeypatch, workflow.notifications if name == "queue" else workflow, name,
                    key_of)
    with pytest.raises(RuntimeError, match="de server viel uit"):
        workflow.run_daily(_day())
    db.session.rollback()
    monkeypatch.undo()
    # What came before the interruption is kept; the interrupted item is not half done.
    position = PHASES.index(phase)
    expected = {p: 2 if i < position else 1 if i == position else 0
                for i, p in enumerate(PHASES)}
    assert _done(items) == expected

    report = workflow.run_daily(_day())
    assert (report.suspensions_started, report.suspensions_ended, report.admissions_ended,
            report.agreement_reminders) == tuple(2 - expected[p] for p in PHASES)
    assert _done(items) == {p: 2 for p in PHASES}
    after = _mail_counts()
    # Each admission's partner (its contact address) got one mail; each waiting agreement's
    # partner (contact address and beheerder) one reminder.
    assert after.get("admission_reinstated", 0) - before.get("admission_reinstated", 0) == 2
    assert after.get("admission_ended", 0) - before.get("admission_ended", 0) == 2
    assert after.get("agreement_reminder", 0) - before.get("agreement_reminder", 0) == 4
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "ended")) == 2

    again = workflow.run_daily(_day())
    assert (again.suspensions_started, again.suspensions_ended, again.admissions_ended,
            again.agreement_reminders) == (0, 0, 0, 0)
    assert _mail_counts() == after


def test_an_interrupted_stale_capacity_run_continues_with_the_rest(ctx, monkeypatch):
    from portal.models import CapacityReport, User
    from portal.partners import capacity
    from portal.timeutil import today_local
    from tests.test_partners_capacity import admit, age, organisation, report

    ids = []
    for n in range(3):
        org = organisation(f"Plaatsen {n}", f"6500000{n}", beheerder=f"plaats{n}@org.example")
        admit(org, "pleegzorg")
        row = report(org, by=db.session.scalar(select(User).where(
            User.organisation_id == org.id)))
        age(row, 31 + n)
        ids.append(row.id)
    db.session.commit()
    _fail_at_second(monkeypatch, capacity.notifications, "queue",
                    lambda kind, to, **kw: kw["report"].id if kind == "capacity_stale" else None)
    with pytest.raises(RuntimeError):
        capacity.remind_stale(today_local())
    db.session.rollback()
    monkeypatch.undo()
    reminded = {i: db.session.get(CapacityReport, i).reminder_sent_at is not None for i in ids}
    assert reminded == {ids[0]: True, ids[1]: False, ids[2]: False}
    assert _mail_counts().get("capacity_stale") == 2  # contact address and beheerder
    assert capacity.remind_stale(today_local()) == 2
    assert capacity.remind_stale(today_local()) == 0
    assert _mail_counts()["capacity_stale"] == 6
    assert sorted(db.session.scalars(select(OutboxMail.to_address).where(
        OutboxMail.kind == "capacity_stale"))) == sorted(
        [f"info@6500000{n}.example" for n in range(3)]
        + [f"plaats{n}@org.example" for n in range(3)])


def test_a_failing_part_of_the_daily_command_does_not_stop_the_others(app, monkeypatch):
    from portal.partners import capacity
    from portal.timeutil import today_local
    from tests.test_partners_capacity import admit, age, demo_org, report

    with app.app_context():
        _admitted()
        agreement = db.session.scalar(select(Agreement))
        agreement.created_at = workflow.utcnow() - timedelta(days=15)
        admit(demo_org(), "leefgroepen")
        age(report(demo_org(), "leefgroepen"), 40)
        db.session.commit()
    real = workflow.run_daily

    def broken_run(today=None):
        raise RuntimeError("database weg")

    monkeypatch.setattr(workflow, "run_daily", broken_run)
    runner = app.test_cli_runner()
    broken = runner.invoke(args=["partners", "daily"])
    assert broken.exit_code == 1
    assert "admissions failed: RuntimeError: database weg" in broken.output
    assert "not completed: admissions" in broken.output
    assert "stale capacity reminders: 1" in broken.output  # the other parts ran
    assert "evidence: {" in broken.output
    monkeypatch.setattr(workflow, "run_daily", real)
    fixed = runner.invoke(args=["partners", "daily"])
    assert fixed.exit_code == 0, fixed.output
    assert "agreement reminders 1" in fixed.output
    assert "stale capacity reminders: 0" in fixed.output
    with app.app_context():
        assert capacity.remind_stale(today_local()) == 0


# --- the partner's address behind a reverse proxy ----------------------------------------

@pytest.mark.parametrize("proxies, recorded", [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_accepting_records_the_forwarded_address_only_behind_trusted_proxies(
        database_url, tmp_path, smtp, proxies, recorded):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path / "uploads", smtp, TRUSTED_PROXIES=proxies)
    try:
        with app.app_context():
            _admitted()
            agreement_id = db.session.scalar(select(Agreement.id))
        provider = app.test_client()
        # Every request of this browser comes through the proxy, which names the client.
        provider.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
        login(provider, PROVIDER)
        response = post(provider, f"/organisatie/overeenkomsten/{agreement_id}", {"agree": "y"})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/organisatie/overeenkomsten/{agreement_id}")
        with app.app_context():
            agreement = db.session.get(Agreement, agreement_id)
            assert agreement.accepted_ip == recorded
            event = db.session.scalar(select(AuditEvent).where(
                AuditEvent.action == "agreement_accepted"))
            assert f"ip={recorded}" in event.detail
    finally:
        with app.app_context():
            db.engine.dispose()


def test_trusted_proxies_comes_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    try:
        assert importlib.reload(config).Config.TRUSTED_PROXIES == 2
        monkeypatch.delenv("TRUSTED_PROXIES")
        assert importlib.reload(config).Config.TRUSTED_PROXIES == 0
    finally:
        monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
        importlib.reload(config)
