"""The rules of the open house at every boundary of its term (issue 13, part A, points 1, 2
and 7): applying from the publication up to and including the current end of the term;
the published procedure fixed once an application was submitted; the AGB code of A3 in the
agreement and the register. Time is frozen wherever a date matters."""
from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select, update

from portal import files as storage
from portal.applications import workflow
from portal.applications.models import Application, Status
from portal.assessment import workflow as assessment
from portal.assessment.models import Outcome, VerdictOutcome
from portal.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.models import (
    Agreement,
    AuditEvent,
    CatalogueVersion,
    Document,
    Organisation,
    Procedure,
)
from portal.partners import workflow as partners
from portal.procedure import settings as ops
from portal.procedure.term import WindowState, application_window, publication_date
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import categories, fill_completely

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PUBLISHED_AT_UTC = datetime(2026, 11, 2, 8, 0)  # 09:00 in Amsterdam: published on 2 November
ENDED = "De looptijd van Open house Wonen met begeleiding is op {} geëindigd."


def _at(day: date):
    """The clock frozen at noon (Amsterdam) on ``day``."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, 0, tzinfo=AMSTERDAM),
                               tick=False)


def _procedure() -> Procedure:
    return db.session.scalar(select(Procedure))


def _publish_on_2_november():
    version = db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.number == 1))
    version.published_at = PUBLISHED_AT_UTC
    db.session.commit()


def _create(code):
    return workflow.create_application(_procedure(), categories(code), by=user(PROVIDER))


def _fill(application):
    provider = user(PROVIDER)
    # The same test PDF is one library document of the organisation (stored once): its
    # validity from an earlier step would be shorter than the date this step gives.
    db.session.execute(update(Document).where(Document.organisation_id == provider.organisation_id)
                       .values(valid_until=None))
    fill_completely(application, provider)


def _apply_and_submit(code, *, keep=False):
    """Create, fill and submit an application; withdrawn again (the category free for the
    next step) unless ``keep``."""
    provider = user(PROVIDER)
    application = _create(code)
    _fill(application)
    workflow.submit(application, by=provider)
    assert application.status == Status.INGEDIEND
    if not keep:
        workflow.withdraw(application, by=provider)
    db.session.commit()
    return application


def _exercise(day):
    with _at(day):
        partners.exercise_extension(_procedure(), by=user(ADMIN), rationale="Goede ervaringen.")
        db.session.commit()


def _review_and_propose(application):
    first = user(ASSESSOR_1)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                             for r in application.applicable_requirements()},
                               by=first)
    assessment.propose_decision(application, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                              for c in application.categories}, by=first)
    db.session.commit()


def _home(app):
    return app.test_client().get("/").get_data(as_text=True)


# --- (1) the dates of the term --------------------------------------------------------------

@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_applying_and_deciding_follow_the_publication_and_the_current_end(ctx):
    app = ctx
    _publish_on_2_november()
    procedure = _procedure()
    assert publication_date(procedure) == date(2026, 11, 2)

    # The day before the publication: nothing yet; the public page says from when.
    with _at(date(2026, 11, 1)):
        with pytest.raises(DomainError, match="wordt op 02-11-2026 gepubliceerd; aanmelden kan "
                                              "vanaf die dag"):
            _create("pleegzorg")
        db.session.rollback()
        assert "Vanaf 2 november 2026 tot en met 31 december 2031" in _home(app)

    # The first day, before the term itself starts (1 January 2027): applying is possible.
    with _at(date(2026, 11, 2)):
        _apply_and_submit("pleegzorg")
        assert application_window(_procedure()).state == WindowState.OPEN

    # The last day of the initial term: still possible; a draft is started and left.
    with _at(date(2031, 12, 31)):
        _apply_and_submit("pleegzorg")
        draft_id = _create("pleegzorg").id
        db.session.commit()

    # The day after, without an exercised option: refused, with the reason; the draft stays.
    with _at(date(2032, 1, 1)):
        with pytest.raises(DomainError, match=ENDED.format("31-12-2031")):
            _create("gezinshuiszorg")
        db.session.rollback()
        draft = db.session.get(Application, draft_id)
        _fill(draft)
        db.session.commit()
        with pytest.raises(DomainError, match=ENDED.format("31-12-2031")):
            workflow.submit(draft, by=user(PROVIDER))
        db.session.rollback()
        assert db.session.get(Application, draft_id).status == Status.CONCEPT
        home = _home(app)
        assert "De looptijd is geëindigd" in home
        assert "Niet meer mogelijk: de looptijd is op 31 december 2031 geëindigd" in home
        requirements = app.test_client().get("/eisen").get_data(as_text=True)
        assert "Aanmelden en toelaten zijn niet meer mogelijk." in requirements
        provider = app.test_client()
        login(provider, PROVIDER)
        assert "Nieuwe aanmelding</a>" not in provider.get("/").get_data(as_text=True)

    # With the first option exercised (before the end), 1 January 2032 lies in the term.
    _exercise(date(2031, 12, 15))
    with _at(date(2032, 1, 1)):
        workflow.submit(db.session.get(Application, draft_id), by=user(PROVIDER))
        db.session.commit()
        _apply_and_submit("gezinshuiszorg")
        assert "De looptijd is geëindigd" not in _home(app)

    # Both options: the last day of the latest possible term is the last day to apply.
    _exercise(date(2032, 12, 15))
    assert _procedure().current_end == date(2033, 12, 31) == _procedure().latest_possible_end
    with _at(date(2033, 12, 31)):
        late = _apply_and_submit("zelfstandigheidstraining", keep=True)
        _review_and_propose(late)

    # 1 January 2034: no new application, no submission, no admission.
    with _at(date(2034, 1, 1)):
        with pytest.raises(DomainError, match=ENDED.format("31-12-2033")):
            _create("leefgroepen")
        db.session.rollback()
        late = db.session.get(Application, late.id)
        with pytest.raises(DomainError, match=ENDED.format("31-12-2033")):
            assessment.approve_decision(late, no_conflict=True, by=user(ASSESSOR_2))
        db.session.rollback()
        late = db.session.get(Application, late.id)
        assert late.status == Status.BESLUIT_VOORGESTELD and late.decided_at is None
        assessment.send_back(late, by=user(ASSESSOR_2), note="De looptijd is voorbij.")
        db.session.commit()
        with pytest.raises(ValidationFailed) as refused:
            assessment.propose_decision(late, {c.id: (Outcome.TOEGELATEN, "Voldoet.", [])
                                               for c in late.categories}, by=user(ASSESSOR_1))
        db.session.rollback()
        [(field, message)] = refused.value.errors
        category = db.session.get(Application, late.id).categories[0]
        assert field == f"c{category.id}_outcome"
        assert message.startswith(f"{category.name}: toelaten kan niet meer.")
        assert ENDED.format("31-12-2033") in message
        # No option is left to move the end further.
        with pytest.raises(DomainError, match="geen verlengingsopties meer"):
            partners.exercise_extension(_procedure(), by=user(ADMIN), rationale="Nog langer.")
        db.session.rollback()
        assert "De looptijd is geëindigd" in _home(app)


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_the_application_page_refuses_after_the_term_with_the_reason(app):
    with app.app_context():
        _publish_on_2_november()
        pleegzorg = categories("pleegzorg")[0].id
    with _at(date(2032, 3, 1)):
        client = app.test_client()
        login(client, PROVIDER)
        response = post(client, "/aanmeldingen/nieuw", {"categories": [str(pleegzorg)]})
        assert response.status_code == 200  # this page answers a refused form with 200
        assert "is op 31-12-2031 geëindigd" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Application).where(
            Application.status == Status.CONCEPT)) is None


# --- (2) the published procedure is fixed ------------------------------------------------------

FIXED_CHANGES = {
    "term_start": date(2027, 2, 1),
    "term_end": date(2032, 6, 30),
    "extension_options": 10,
    "extension_months": 60,
    "decision_period_weeks": 12,
}


@pytest.fixture
def admitted(in_term, ctx):
    """A submitted and admitted application of the demo provider (through the workflow)."""
    application = _apply_and_submit("pleegzorg", keep=True)
    _review_and_propose(application)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    db.session.commit()
    return application


@pytest.mark.parametrize("field", list(FIXED_CHANGES))
def test_each_setting_of_the_published_procedure_is_fixed_after_admissions(admitted, field):
    procedure = _procedure()
    before = ops.Settings.of(procedure)
    new = ops.Settings.of(procedure)
    setattr(new, field, FIXED_CHANGES[field])
    with pytest.raises(ValidationFailed) as refused:
        ops.update_settings(procedure, new, by=user(ADMIN))
    db.session.rollback()
    [(where, message)] = refused.value.errors
    assert where == field
    assert message.startswith(ops.FIELD_LABELS[field] + " ligt vast: er is al een aanmelding "
                                                         "ingediend")
    assert ops.Settings.of(_procedure()) == before
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "setting_changed")) is None


def test_other_settings_still_change_and_the_form_shows_the_fixed_ones_read_only(admitted):
    procedure = _procedure()
    new = ops.Settings.of(procedure)
    new.notice_months, new.completion_working_days = 6, 15
    assert sorted(ops.update_settings(procedure, new, by=user(ADMIN))) == [
        "completion_working_days", "notice_months"]
    db.session.commit()
    assert ops.fixed_fields(_procedure()) == ops.FIXED_AFTER_SUBMISSION


def test_the_admin_form_shows_fixed_settings_read_only_and_refuses_a_posted_one(in_term, app):
    with app.app_context():
        _apply_and_submit("pleegzorg", keep=True)
    client = app.test_client()
    login(client, ADMIN)
    page = client.get("/beheer/procedure").get_data(as_text=True)
    for name in ops.FIXED_AFTER_SUBMISSION:
        assert f'name="{name}"' not in page, name
    assert 'name="notice_months"' in page
    assert "Er is al een aanmelding ingediend: de gepubliceerde procedure ligt vast." in page
    assert "<dt>Beslistermijn</dt><dd>8 weken</dd>" in page
    # A form built before the first submission still carries the field: refused, named.
    with app.app_context():
        procedure = _procedure()
        data = {name: getattr(procedure, name) for name in ops.SETTING_FIELDS}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    data.update(decision_period_weeks="12", notice_months="5")
    response = post(client, "/beheer/procedure", data)
    assert response.status_code == 422
    assert "De beslistermijn ligt vast: er is al een aanmelding ingediend" in response.get_data(
        as_text=True)
    with app.app_context():
        assert (_procedure().decision_period_weeks, _procedure().notice_months) == (8, 3)


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_the_end_never_moves_past_the_latest_possible_end(in_term, ctx):
    """Before any submission the options can still change, but never so that the end that
    was reached, or the next exercise, passes the latest possible end."""
    admin = user(ADMIN)
    _exercise(date(2029, 6, 13))
    procedure = _procedure()
    assert procedure.current_end == date(2032, 12, 31)
    shorter = ops.Settings.of(procedure)
    shorter.extension_months = 5  # 2031-12-31 + 2 x 5 months < 2032-12-31
    with pytest.raises(ValidationFailed) as refused:
        ops.update_settings(procedure, shorter, by=admin)
    db.session.rollback()
    assert refused.value.errors[0][0] == "extension_months"
    assert "al tot en met 31-12-2032" in refused.value.errors[0][1]
    half = ops.Settings.of(_procedure())
    half.extension_months = 6  # latest end 2032-12-31: the end reached, no further
    ops.update_settings(_procedure(), half, by=admin)
    db.session.commit()
    with pytest.raises(DomainError, match="voorbij de uiterste einddatum van de gepubliceerde "
                                          r"procedure \(31-12-2032\)"):
        partners.exercise_extension(_procedure(), by=admin, rationale="Nog een half jaar.")
    db.session.rollback()
    assert _procedure().current_end == date(2032, 12, 31)
    assert len(_procedure().extensions) == 1


# --- (7) the AGB code of A3 in the agreement and the register ---------------------------------

def test_the_agreement_and_the_register_show_the_agb_code_given_in_a3(in_term, app):
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(
            Organisation.kvk_number == "12345678"))
        organisation.agb_code = None  # not given at registration; A3 gives 73730123
        db.session.commit()
        application = _apply_and_submit("pleegzorg", keep=True)
        _review_and_propose(application)
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
        db.session.commit()
        agreement = db.session.scalar(select(Agreement))
        text = "".join(page.extract_text() for page in
                       PdfReader(io.BytesIO(storage.read_bytes(agreement.document))).pages)
        assert "AGB-code" in text and "73730123" in text
        organisation = db.session.get(Organisation, organisation.id)
        assert organisation.agb_code == "73730123"
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "organisation_updated", AuditEvent.object_id == organisation.id))
        assert "agb_code: (leeg) -> 73730123" in event.detail
        org_id = organisation.id
    public = app.test_client()
    register = public.get("/register").get_data(as_text=True)
    assert "<th scope=\"col\">AGB-code</th>" in register and "<td>73730123</td>" in register
    partner = public.get(f"/register/{org_id}").get_data(as_text=True)
    assert "73730123" in partner
