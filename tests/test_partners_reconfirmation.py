"""Re-confirmation rounds (herbevestiging): starting one, who gets it, answering it through
the wizard, assessing it without a second admission, and the region's overview."""
from datetime import timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from portal.accounts.models import Organisation, OrgRole, Role, User
from portal.accounts.passwords import hash_password
from portal.applications import workflow as applications
from portal.applications.models import Application, Status
from portal.assessment import workflow as assessment
from portal.errors import DomainError, NotPermitted, ValidationFailed
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
from portal.partners import reconfirmation
from portal.partners import workflow as partners
from portal.partners.models import ReconfirmationRound
from portal.procedure import versions as catalogue_ops
from portal.procedure.models import CatalogueVersion, Requirement
from portal.timeutil import today_local, utcnow
from tests.conftest import (
    ADMIN,
    ASSESSOR_1,
    ASSESSOR_2,
    DEMO_PASSWORD,
    PROVIDER,
    login,
    post,
    user,
)
from tests.helpers import categories, complete_form_data, fill_completely
from tests.test_scale import count_statements

A = AdmissionStatus


def _procedure():
    return db.session.scalar(select(Procedure).order_by(Procedure.id))


def _provider(email, name, kvk):
    org = Organisation(name=name, kvk_number=kvk, agb_code="73730002", street="Markt 1",
                       postal_code="4901 EP", city="Oosterhout",
                       contact_email=f"info@{kvk}.example")
    provider = User(email=email, full_name=name, role=Role.PROVIDER, organisation=org,
                    org_role=OrgRole.BEHEERDER, password_hash=hash_password(DEMO_PASSWORD),
                    email_confirmed_at=utcnow())
    db.session.add_all([org, provider])
    db.session.flush()
    return provider


def _assess(application, outcome=Outcome.TOEGELATEN, failing=()):
    first = user(ASSESSOR_1)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    failing_ids = [r.id for r in application.applicable_requirements() if r.code in failing]
    assessment.record_verdicts(
        application,
        {r.id: ((VerdictOutcome.VOLDOET_NIET, "Niet aangetoond.") if r.id in failing_ids
                else (VerdictOutcome.VOLDOET, "")) for r in application.applicable_requirements()},
        by=first)
    motivation = "Voldoet." if outcome == Outcome.TOEGELATEN else "Voldoet niet aan de eis."
    assessment.propose_decision(
        application, {c.id: (outcome, motivation, failing_ids) for c in application.categories},
        by=first)
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))


def _admitted(provider, cats, *, accept=True):
    """An organisation admitted through the whole workflow; active once it accepted."""
    application = applications.create_application(_procedure(), categories(*cats), by=provider)
    fill_completely(application, provider)
    applications.submit(application, by=provider)
    _assess(application)
    if accept:
        agreement = db.session.scalar(select(Agreement).where(
            Agreement.application_id == application.id))
        partners.accept_agreement(agreement, by=provider, ip_address=None)
    db.session.commit()
    return application


def _new_version(*, change=True):
    """A new published version: P2 tightened and P3 added (both Pleegzorg only)."""
    admin = user(ADMIN)
    draft = catalogue_ops.create_draft(_procedure(), by=admin)
    if change:
        p2 = db.session.scalar(select(Requirement).where(Requirement.version_id == draft.id,
                                                         Requirement.code == "P2"))
        spec = catalogue_ops.RequirementSpec.of(p2)
        spec.title = p2.title + " (ook in het weekend binnen een uur ter plaatse)"
        catalogue_ops.change_requirement(p2, spec, by=admin)
        catalogue_ops.add_requirement(draft, catalogue_ops.RequirementSpec(
            code="P3", title="Nazorg voor pleegouders na een breakdown", is_general=False,
            category_ids=[c.id for c in categories("pleegzorg")],
            declaration_text="Wij bieden pleegouders nazorg na een breakdown."), by=admin)
    # The round is started by hand here (``_start``), not at once on publication.
    catalogue_ops.publish(draft, "test", by=admin, reconfirm=False)
    db.session.commit()
    return draft


def _start(version, days=30):
    rnd = reconfirmation.start_round(_procedure(), version, by=user(ADMIN),
                                     deadline=today_local() + timedelta(days=days),
                                     note="De pleegzorgeisen zijn aangescherpt.")
    db.session.commit()
    return rnd


def _round_application(rnd, org_id):
    return db.session.scalar(select(Application).where(Application.round_id == rnd.id,
                                                       Application.organisation_id == org_id))


# --- starting a round -----------------------------------------------------------------------

def test_start_is_refused_for_non_admins_drafts_past_deadlines_and_nothing_new(ctx):
    procedure = _procedure()
    unchanged = _new_version(change=False)
    tomorrow = today_local() + timedelta(days=1)
    with pytest.raises(NotPermitted):
        reconfirmation.start_round(procedure, unchanged, by=user(ASSESSOR_1), deadline=tomorrow)
    with pytest.raises(DomainError, match="niets te herbevestigen"):
        reconfirmation.start_round(procedure, unchanged, by=user(ADMIN), deadline=tomorrow)
    for deadline in (today_local(), today_local() - timedelta(days=3), None):
        with pytest.raises(ValidationFailed) as exc:
            reconfirmation.start_round(procedure, unchanged, by=user(ADMIN), deadline=deadline)
        assert exc.value.errors[0][0] == "deadline"
    draft = catalogue_ops.create_draft(procedure, by=user(ADMIN))
    with pytest.raises(DomainError, match="nog niet gepubliceerd"):
        reconfirmation.start_round(procedure, draft, by=user(ADMIN), deadline=tomorrow)
    db.session.rollback()
    assert db.session.scalar(select(func.count(ReconfirmationRound.id))) == 0
    assert db.session.scalar(select(func.count(Application.id))
                             .where(Application.round_id.is_not(None))) == 0


def test_active_partners_with_something_to_answer_get_a_round_and_a_mail(ctx):
    linde = user(PROVIDER)
    _admitted(linde, ("pleegzorg", "gezinshuiszorg"))
    family_home = _provider("b@gezinshuis.example", "Gezinshuis B", "34567890")
    _admitted(family_home, ("gezinshuiszorg",))  # P2/P3 do not apply to it
    not_active = _provider("c@pleeg.example", "Pleegzorg C", "45678901")
    _admitted(not_active, ("pleegzorg",), accept=False)  # toegelaten, agreement not accepted
    admissions_before = db.session.scalar(select(func.count(Admission.id)))
    version = _new_version()

    rnd = _start(version)

    assert sorted(rnd.codes) == ["P2", "P3"]
    assert rnd.previous_version.number == version.number - 1
    made = db.session.scalars(select(Application).where(Application.round_id == rnd.id)).all()
    assert [a.organisation_id for a in made] == [linde.organisation_id]
    application = made[0]
    assert application.status == Status.CONCEPT and application.is_reconfirmation
    assert application.catalogue_version_id == version.id
    assert [c.code for c in application.categories] == ["pleegzorg"]
    assert [r.code for r in application.applicable_requirements()] == ["P2", "P3"]
    assert application.created_by_id == linde.id  # its mails go to the partner, not the admin
    assert db.session.scalar(select(func.count(Admission.id))) == admissions_before
    mails = db.session.scalars(select(OutboxMail).where(
        OutboxMail.kind == "reconfirmation_started")).all()
    assert {m.to_address for m in mails} == {linde.organisation.contact_email, PROVIDER}
    assert all(f"{rnd.deadline:%d-%m-%Y}" in m.subject
               and format_date(rnd.deadline, "d MMMM y") in m.body_text for m in mails)
    assert f"/aanmeldingen/{application.id}" in mails[0].body_text
    assert "P3 Nazorg voor pleegouders" in mails[0].body_text
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "reconfirmation_started"))
    # The same version cannot be used for a second round.
    with pytest.raises(DomainError, match="niet nieuwer"):
        reconfirmation.start_round(_procedure(), version, by=user(ADMIN),
                                   deadline=today_local() + timedelta(days=5))
    assert reconfirmation.eligible_versions(_procedure()) == []


def test_a_rejected_reconfirmation_leaves_the_admission_to_the_region(ctx):
    linde = user(PROVIDER)
    _admitted(linde, ("pleegzorg",))
    rnd = _start(_new_version())
    application = _round_application(rnd, linde.organisation_id)
    fill_completely(application, linde)
    applications.submit(application, by=linde)
    _assess(application, Outcome.AFGEWEZEN, failing=("P3",))
    db.session.commit()
    admissions = db.session.scalars(select(Admission)).all()
    assert [(a.status, a.application_id != application.id) for a in admissions] == [
        (A.ACTIEF, True)]
    assert application.status == Status.BESLOTEN


# --- the partner answers, the assessor decides --------------------------------------------------

def test_partner_answers_only_the_new_requirements_and_approval_admits_nobody_again(app, client,
                                                                                 smtp):
    with app.app_context():
        linde = user(PROVIDER)
        _admitted(linde, ("pleegzorg",))
        rnd = _start(_new_version())
        application = _round_application(rnd, linde.organisation_id)
        app_id, asked = application.id, {r.id: r.code for r in application.applicable_requirements()}
        old_a1 = db.session.scalar(select(Requirement.id).where(
            Requirement.version_id == application.catalogue_version_id, Requirement.code == "A1"))
        data = complete_form_data(application)
        admissions_before = db.session.scalar(select(func.count(Admission.id)))
        agreements_before = db.session.scalar(select(func.count(Agreement.id)))
    login(client, PROVIDER)
    dashboard = client.get("/aanbieder").get_data(as_text=True)
    assert "herbevestiging" in dashboard
    base = f"/aanmeldingen/{app_id}"
    step_url = client.get(base).headers["Location"]
    pages = []
    while step_url and "/stap/" in step_url:
        pages.append(client.get(step_url).get_data(as_text=True))
        response = post(client, step_url, {**data, "volgende": "1"},
                        content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        step_url = response.headers["Location"]
        with app.app_context():
            data = complete_form_data(db.session.get(Application, app_id))  # files are closed
    html = "".join(pages)
    for rid in asked:
        assert f'id="r{rid}_declared"' in html
    assert f'id="r{old_a1}_declared"' not in html  # unchanged requirements are not asked again
    response = post(client, f"{base}/indienen", token_from=f"{base}/overzicht")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    queue = assessor.get("/beoordeling/").get_data(as_text=True)
    with app.app_context():
        application = db.session.get(Application, app_id)
        assert application.status == Status.INGEDIEND
        assert application.reference in queue
        assert "herbevestiging" in assessor.get(f"/beoordeling/{app_id}").get_data(as_text=True)
        _assess(application)
        db.session.commit()
        assert application.status == Status.BESLOTEN
        assert db.session.scalar(select(func.count(Admission.id))) == admissions_before
        assert db.session.scalar(select(func.count(Agreement.id))) == agreements_before
        assert db.session.scalar(select(func.count(OutboxMail.id)).where(
            OutboxMail.kind == "agreement_offered", OutboxMail.application_id == app_id)) == 0


# --- the region's overview ----------------------------------------------------------------------

def _client(app, email):
    c = app.test_client()
    login(c, email)
    return c


def test_start_form_and_overview_show_who_answered(app, client):
    with app.app_context():
        linde = user(PROVIDER)
        _admitted(linde, ("pleegzorg",))
        other = _provider("b@pleeg.example", "Pleeggezinnen Breda", "34567890")
        _admitted(other, ("pleegzorg",))
        version = _new_version()
        version_id, linde_org = version.id, linde.organisation_id
    admin = _client(app, ADMIN)
    page = admin.get("/beheer/herbevestiging").get_data(as_text=True)
    assert "Herbevestigingsronde starten" in page and f'value="{version_id}"' in page
    # Bad input: a deadline in the past, no version.
    response = post(admin, "/beheer/herbevestiging",
                    {"version": str(version_id), "deadline": "2020-01-01", "note": ""})
    assert response.status_code == 422
    assert "in de toekomst" in response.get_data(as_text=True)
    response = post(admin, "/beheer/herbevestiging",
                    {"version": "", "deadline": (today_local() + timedelta(days=20)).isoformat()})
    assert response.status_code == 422 and "Kies de versie" in response.get_data(as_text=True)
    # An assessor sees the list but cannot start a round.
    assessor = _client(app, ASSESSOR_1)
    assert assessor.get("/beheer/herbevestiging").status_code == 200
    assert "Herbevestigingsronde starten" not in assessor.get(
        "/beheer/herbevestiging").get_data(as_text=True)
    assert post(assessor, "/beheer/herbevestiging",
                {"version": str(version_id), "deadline": "2040-01-01"},
                token_from="/beheer/herbevestiging").status_code == 403
    response = post(admin, "/beheer/herbevestiging",
                    {"version": str(version_id),
                     "deadline": (today_local() + timedelta(days=20)).isoformat(),
                     "note": "Graag binnen drie weken."})
    assert response.status_code == 302
    show = response.headers["Location"]
    with app.app_context():
        rnd = db.session.scalar(select(ReconfirmationRound))
        round_id = rnd.id
        assert show.endswith(f"/beheer/herbevestiging/{rnd.id}")
        assert rnd.note == "Graag binnen drie weken."
        application = _round_application(rnd, linde_org)
        fill_completely(application, user(PROVIDER))
        applications.submit(application, by=user(PROVIDER))
        db.session.commit()
    html = admin.get(show).get_data(as_text=True)
    assert "Pleeggezinnen Breda" in html and "nog niet" in html
    assert "ja, ingediend op" in html and "niet beantwoord" not in html
    assert "1 van 2 partners" in html
    with app.app_context():  # the deadline passes
        db.session.get(ReconfirmationRound, round_id).deadline = today_local() - timedelta(days=1)
        db.session.commit()
    html = assessor.get(show).get_data(as_text=True)
    assert html.count("niet beantwoord") == 1 and "ja, ingediend op" in html
    listing = admin.get("/beheer/herbevestiging").get_data(as_text=True)
    assert "verstreken" in listing and f"/beheer/herbevestiging/{round_id}" in listing


def test_overview_is_for_staff_only(app, client):
    assert client.get("/beheer/herbevestiging").status_code == 302  # log in first
    login(client, PROVIDER)
    assert client.get("/beheer/herbevestiging").status_code == 403
    assert client.get("/beheer/herbevestiging/1").status_code == 403
    assert post(client, "/beheer/herbevestiging", {"deadline": "2040-01-01"},
                token_from="/aanbieder").status_code == 403
    assert _client(app, ADMIN).get("/beheer/herbevestiging/999").status_code == 404


def test_overview_statement_count_does_not_grow_with_data(app):
    def count(c, url):
        return count_statements(app, c, url)

    def add_partners(n, start):
        with app.app_context():
            base = db.session.scalar(select(Admission))
            for i in range(start, start + n):
                org = _provider(f"p{i}@many.example", f"Partner {i:03d}", f"{50000000 + i}").organisation
                db.session.add(Admission(organisation_id=org.id, category_id=base.category_id,
                                         application_id=base.application_id,
                                         status=A.ACTIEF))
            db.session.commit()

    with app.app_context():
        _admitted(user(PROVIDER), ("pleegzorg",))
        procedure_id = _procedure().id
        version_id = _new_version().id
    add_partners(2, 0)
    with app.app_context():
        first_id = _start(db.session.get(CatalogueVersion, version_id)).id
    admin = _client(app, ADMIN)
    few = (count(admin, "/beheer/herbevestiging"), count(admin, f"/beheer/herbevestiging/{first_id}"))
    # More partners in a second round, and more rounds.
    with app.app_context():
        add_partners(30, 100)
        admin_user = user(ADMIN)
        for n in range(3):
            draft = catalogue_ops.create_draft(db.session.get(Procedure, procedure_id), by=admin_user)
            catalogue_ops.add_requirement(draft, catalogue_ops.RequirementSpec(
                code=f"A{20 + n}", title=f"Nieuwe algemene eis {n}", is_general=True,
                declaration_text="Wij verklaren dit."), by=admin_user)
            catalogue_ops.publish(draft, "", by=admin_user, reconfirm=False)
            last = _start(draft)
        last_id = last.id
        assert db.session.scalar(select(func.count(Application.id))
                                 .where(Application.round_id == last_id)) == 33
    many = (count(admin, "/beheer/herbevestiging"), count(admin, f"/beheer/herbevestiging/{last_id}"))
    assert many == few
    assert max(many) <= 15
