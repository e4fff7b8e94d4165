"""The same terms for everyone at a time (issue 13, A3): when a new version of the
requirements is published, open drafts move to it (answers to unchanged requirements kept,
new and changed ones asked, the provider told on the dashboard and by mail); an application
submitted before the publication is decided on its own version; and partners admitted on an
older version are asked at once to re-confirm what changed."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.applications import workflow as applications
from portal.applications.models import Application, Status
from portal.assessment.models import Verdict
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AuditEvent,
    OutboxMail,
    Requirement,
)
from portal.partners import reconfirmation
from portal.partners import workflow as partners
from portal.partners.models import ReconfirmationRound
from portal.procedure import versions as catalogue_ops
from portal.timeutil import today_local
from tests.browser_support import login_page, serious_a11y_violations
from tests.conftest import ADMIN, PROVIDER, login, post, user
from tests.helpers import categories, fill_completely
from tests.infra.browser import chromium_available
from tests.infra.smtp import plain_body
from tests.test_partners_reconfirmation import _admitted, _assess, _procedure, _provider


def _req(version_id, code):
    return db.session.scalar(select(Requirement).where(Requirement.version_id == version_id,
                                                       Requirement.code == code))


def _draft_version_2():
    """A draft of version 2: P2's title tightened (changed for the provider), P3 new (both
    Pleegzorg), A7's assessment guidance alone changed (not for the provider), A11 removed."""
    admin = user(ADMIN)
    draft = catalogue_ops.create_draft(_procedure(), by=admin)
    p2 = _req(draft.id, "P2")
    spec = catalogue_ops.RequirementSpec.of(p2)
    spec.title = p2.title + " (ook in het weekend binnen een uur ter plaatse)"
    catalogue_ops.change_requirement(p2, spec, by=admin)
    a7 = _req(draft.id, "A7")
    spec = catalogue_ops.RequirementSpec.of(a7)
    spec.assessment_guidance = "Vraag naar het aantal registraties."
    catalogue_ops.change_requirement(a7, spec, by=admin)
    catalogue_ops.remove_requirement(_req(draft.id, "A11"), by=admin)
    catalogue_ops.add_requirement(draft, catalogue_ops.RequirementSpec(
        code="P3", title="Nazorg voor pleegouders na een breakdown", is_general=False,
        category_ids=[c.id for c in categories("pleegzorg")],
        declaration_text="Wij bieden pleegouders nazorg na een breakdown."), by=admin)
    return draft


def _codes_missing(application):
    return {m.message.split(" ")[0] for m in applications.missing_items(application)}


# --- drafts move ---------------------------------------------------------------------------

def test_publishing_moves_drafts_keeping_unchanged_answers_and_asking_new_and_changed(ctx):
    provider = user(PROVIDER)
    draft = applications.create_application(_procedure(), categories("pleegzorg"), by=provider)
    fill_completely(draft, provider)
    assert applications.missing_items(draft) == []
    v1 = draft.catalogue_version
    code_of = {r.id: r.code for r in v1.requirements}
    kept_before = {code_of[a.requirement_id]: (a.text_value, a.number_value)
                   for a in draft.answers}
    # Another organisation's application, submitted before the publication.
    other = _provider("w@wonen.example", "Wonen Breda", "34567891")
    submitted = applications.create_application(_procedure(), categories("pleegzorg"), by=other)
    fill_completely(submitted, other)
    applications.submit(submitted, by=other)
    db.session.commit()

    version = _draft_version_2()
    catalogue_ops.publish(version, "P2 aangescherpt, P3 nieuw.", by=user(ADMIN))
    db.session.commit()
    db.session.expire_all()

    draft = db.session.get(Application, draft.id)
    assert draft.status == Status.CONCEPT
    assert draft.catalogue_version_id == version.id and draft.moved_from_version_id == v1.id
    assert draft.moved_at is not None and draft.moved_codes == "P2,P3"
    # Every answer now belongs to a requirement of version 2; unchanged ones are kept
    # (A7 too: only its assessment guidance changed), P2's is dropped, A11 is gone.
    answers = {a.requirement.code: a for a in draft.answers}
    assert {a.requirement.version_id for a in draft.answers} == {version.id}
    assert "P2" not in answers and "A11" not in answers and "P3" not in answers
    assert set(answers) == set(kept_before) - {"P2", "A11"}
    assert answers["A14"].text_value == kept_before["A14"][0]
    assert answers["A7"].number_value == kept_before["A7"][1]
    assert _codes_missing(draft) == {"P2", "P3"}
    # Told by mail, and recorded.
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "draft_moved",
                                                      OutboxMail.to_address == PROVIDER))
    assert mail is not None and "P3 Nazorg voor pleegouders" in mail.body_text
    assert "van versie 1 naar versie 2" in mail.body_text
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "moved_to_catalogue_version", AuditEvent.object_id == draft.id))
    assert event is not None and "versie 1 -> 2; opnieuw gevraagd: P2, P3" in event.detail
    # The submitted application keeps version 1 and is not told anything.
    submitted = db.session.get(Application, submitted.id)
    assert submitted.catalogue_version_id == v1.id and submitted.moved_at is None
    assert db.session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.kind == "draft_moved", OutboxMail.to_address == "w@wonen.example")) == 0

    # Answering the new and changed requirements makes the draft complete again.
    fill_completely(draft, provider)
    applications.submit(draft, by=provider)
    assert draft.status == Status.INGEDIEND and draft.catalogue_version_id == version.id


def test_a_draft_for_a_category_the_change_does_not_touch_keeps_every_answer(ctx):
    provider = user(PROVIDER)
    draft = applications.create_application(_procedure(), categories("leefgroepen"), by=provider)
    fill_completely(draft, provider)
    db.session.commit()
    version = _draft_version_2()
    catalogue_ops.publish(version, "", by=user(ADMIN))
    db.session.commit()
    draft = db.session.get(Application, draft.id)
    assert draft.catalogue_version_id == version.id and draft.moved_codes is None
    assert applications.missing_items(draft) == []  # A11 dropped, nothing new asked
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "draft_moved"))
    assert "niets nieuw of gewijzigd" in mail.body_text


def test_a_draft_moved_twice_still_lists_only_what_it_has_not_answered(ctx):
    provider, admin = user(PROVIDER), user(ADMIN)
    draft = applications.create_application(_procedure(), categories("pleegzorg"), by=provider)
    fill_completely(draft, provider)
    db.session.commit()
    v2 = _draft_version_2()
    catalogue_ops.publish(v2, "", by=admin)
    assert draft.moved_codes == "P2,P3"
    applications.save_answers(draft, {_req(v2.id, "P2").id: {"declared": True}}, {}, by=provider)
    db.session.commit()
    v3 = catalogue_ops.create_draft(_procedure(), by=admin)
    catalogue_ops.add_requirement(v3, catalogue_ops.RequirementSpec(
        code="A20", title="Nieuwe algemene eis", declaration_text="Wij verklaren dit."), by=admin)
    catalogue_ops.publish(v3, "", by=admin)
    db.session.commit()
    draft = db.session.get(Application, draft.id)
    assert draft.catalogue_version_id == v3.id and draft.moved_from_version_id == v2.id
    assert draft.moved_codes == "P3,A20"  # P2 was answered on version 2 and kept
    assert _codes_missing(draft) == {"P3", "A20"}


def test_submitted_before_the_publication_it_is_decided_on_its_own_version(ctx):
    provider = user(PROVIDER)
    application = applications.create_application(_procedure(), categories("pleegzorg"),
                                                  by=provider)
    fill_completely(application, provider)
    applications.submit(application, by=provider)
    v1_ids = {r.id for r in application.applicable_requirements()}
    db.session.commit()
    version = _draft_version_2()
    catalogue_ops.publish(version, "", by=user(ADMIN))
    db.session.commit()

    # The decision path reads application.catalogue_version: version 1, without P3.
    assert application.catalogue_version.number == 1
    assert "P3" not in {r.code for r in application.applicable_requirements()}
    _assess(application)
    db.session.commit()
    assert application.status == Status.BESLOTEN
    verdict_ids = set(db.session.scalars(select(Verdict.requirement_id).where(
        Verdict.application_id == application.id)))
    assert verdict_ids == v1_ids
    admission = db.session.scalar(select(Admission).where(
        Admission.application_id == application.id))
    assert admission is not None and admission.status == AdmissionStatus.TOEGELATEN


# --- re-confirmation at once ----------------------------------------------------------------

def test_partners_admitted_on_an_older_version_are_asked_to_reconfirm_at_once(ctx):
    linde = user(PROVIDER)
    _admitted(linde, ("pleegzorg",))
    breda = _provider("b@leef.example", "Leefgroepen Breda", "34567892")
    _admitted(breda, ("leefgroepen",))
    version = _draft_version_2()
    catalogue_ops.publish(version, "", by=user(ADMIN))
    db.session.commit()

    rnd = db.session.scalar(select(ReconfirmationRound).where(
        ReconfirmationRound.version_id == version.id))
    assert rnd is not None and rnd.requirement_codes == "P2,P3"
    assert rnd.deadline == today_local() + timedelta(weeks=reconfirmation.AUTOMATIC_ROUND_WEEKS)
    asked = db.session.scalars(select(Application).where(Application.round_id == rnd.id)).all()
    # Only the foster-care partner has something to re-confirm.
    assert [a.organisation_id for a in asked] == [linde.organisation_id]
    assert {r.code for r in asked[0].applicable_requirements()} == {"P2", "P3"}
    assert db.session.scalar(select(OutboxMail).where(
        OutboxMail.kind == "reconfirmation_started",
        OutboxMail.organisation_id == linde.organisation_id)) is not None
    # Nothing added or changed: no round.
    admin = user(ADMIN)
    same = catalogue_ops.create_draft(_procedure(), by=admin)
    catalogue_ops.publish(same, "", by=admin)
    assert db.session.scalar(select(func.count(ReconfirmationRound.id))) == 1


def test_a_partner_admitted_after_the_publication_on_its_older_version_joins_the_round(ctx):
    linde = user(PROVIDER)
    _admitted(linde, ("pleegzorg",))
    late = _provider("l@laat.example", "Pleegzorg Laat", "34567893")
    application = applications.create_application(_procedure(), categories("pleegzorg"), by=late)
    fill_completely(application, late)
    applications.submit(application, by=late)
    db.session.commit()
    version = _draft_version_2()
    catalogue_ops.publish(version, "", by=user(ADMIN))
    db.session.commit()
    rnd = db.session.scalar(select(ReconfirmationRound))
    assert db.session.scalar(select(func.count(Application.id)).where(
        Application.round_id == rnd.id)) == 1  # Linde only: the late one is not admitted yet

    _assess(application)  # decided on version 1 ...
    agreement = db.session.scalar(select(Agreement).where(
        Agreement.application_id == application.id))
    partners.accept_agreement(agreement, by=late, ip_address=None)
    db.session.commit()
    # ... and asked at once, in the running round, what version 2 changed for it.
    asked = db.session.scalar(select(Application).where(
        Application.round_id == rnd.id, Application.organisation_id == late.organisation_id))
    assert asked is not None and asked.status == Status.CONCEPT
    assert {r.code for r in asked.applicable_requirements()} == {"P2", "P3"}


def test_no_round_without_partners_and_by_hand_when_asked(ctx):
    version = _draft_version_2()
    catalogue_ops.publish(version, "", by=user(ADMIN))
    assert db.session.scalar(select(func.count(ReconfirmationRound.id))) == 0
    # With partners, ``reconfirm=False`` leaves the round to the administrator.
    _admitted(user(PROVIDER), ("pleegzorg",))
    admin = user(ADMIN)
    draft = catalogue_ops.create_draft(_procedure(), by=admin)
    catalogue_ops.add_requirement(draft, catalogue_ops.RequirementSpec(
        code="A20", title="Nieuwe algemene eis", declaration_text="Wij verklaren dit."), by=admin)
    catalogue_ops.publish(draft, "", by=admin, reconfirm=False)
    assert db.session.scalar(select(func.count(ReconfirmationRound.id))) == 0
    assert [v.id for v in reconfirmation.eligible_versions(_procedure())][0] == draft.id


# --- through the pages ----------------------------------------------------------------------

def test_through_the_pages_the_provider_sees_the_move_on_the_dashboard_and_by_mail(app, smtp):
    with app.app_context():
        provider = user(PROVIDER)
        draft = applications.create_application(_procedure(), categories("pleegzorg"),
                                                by=provider)
        fill_completely(draft, provider)
        version = _draft_version_2()
        db.session.commit()
        draft_id, number = draft.id, version.number
    admin = app.test_client()
    login(admin, ADMIN)
    url = f"/beheer/eisen/versie/{number}"
    response = post(admin, url + "/publiceren", {"note": "P3 is nieuw."}, token_from=url,
                    follow_redirects=True)
    assert "Nieuwe aanmeldingen en concepten krijgen vanaf nu deze versie" in response.get_data(
        as_text=True)
    mails = smtp.wait_find(to=PROVIDER, subject_contains="uw concept-aanmelding is bijgewerkt",
                           body_contains="P3 Nazorg voor pleegouders")
    assert mails and f"/aanmeldingen/{draft_id}" in plain_body(mails[0])

    client = app.test_client()
    login(client, PROVIDER)
    page = client.get("/aanbieder").get_data(as_text=True)
    assert "nieuwe versie van de eisen gepubliceerd; uw concept is daarnaar overgezet" in page
    assert "Beantwoord de nieuwe of gewijzigde eisen: P2, P3." in page
    overview = client.get(f"/aanmeldingen/{draft_id}/overzicht").get_data(as_text=True)
    assert "Nazorg voor pleegouders na een breakdown" in overview
    # Submitting now is refused: P2 and P3 are unanswered; the draft stays.
    response = post(client, f"/aanmeldingen/{draft_id}/indienen",
                    token_from=f"/aanmeldingen/{draft_id}/overzicht")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "P2 Ondersteuning pleeggezinnen" in page and "P3 Nazorg voor pleegouders" in page
    with app.app_context():
        assert db.session.get(Application, draft_id).status == Status.CONCEPT


# --- in the browser -----------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")
def test_browser_dashboard_notice_and_tariffs_page_are_accessible(live, browser):
    with live.app.app_context():
        provider = user(PROVIDER)
        draft = applications.create_application(_procedure(), categories("pleegzorg"),
                                                by=provider)
        fill_completely(draft, provider)
        catalogue_ops.publish(_draft_version_2(), "", by=user(ADMIN))
        db.session.commit()
    page = login_page(browser, live.url, PROVIDER)
    page.goto(live.url + "/aanbieder")
    expect(page.get_by_text("Beantwoord de nieuwe of gewijzigde eisen: P2, P3.")).to_be_visible()
    assert serious_a11y_violations(page) == []
    page.goto(live.url + "/eisen")
    page.get_by_role("link", name="gepubliceerde tarieven per jaar en categorie").click()
    expect(page.get_by_role("heading", name="Gepubliceerde tarieven")).to_be_visible()
    expect(page.get_by_role("cell", name="44A11", exact=True).first).to_be_visible()
    assert serious_a11y_violations(page) == []
