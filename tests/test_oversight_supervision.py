"""Toezicht (issue 13, point 12): the region records an investigation at a partner, its
findings per requirement, indicator or subject, the measure (none, improvement plan,
suspension, ending: the admission's own operations) and the follow-up; the partner is told
what concerns it, never the internal notes; all of it in the partner file and the audit
trail. With the bad input: a Dutch message naming the field, nothing half saved."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    AuditEvent,
    CatalogueVersion,
    OutboxMail,
    Requirement,
    Suspension,
)
from portal.monitoring.models import Indicator, IndicatorSet
from portal.oversight.models import (
    Finding,
    Investigation,
    InvestigationStatus,
    Measure,
)
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post
from tests.test_partners_capacity import (
    MAX_STATEMENTS,
    admit,
    count_statements,
    demo_org,
    organisation,
)

pytestmark = pytest.mark.usefixtures("in_term")

NEW_URL = "/beheer/toezicht/nieuw"
SECRET = "Melder is een oud-medewerker; niet delen."


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _partner(app, *codes):
    with app.app_context():
        org = demo_org()
        rows = admit(org, *(codes or ("pleegzorg",)))
        db.session.commit()
        return org.id, [a.id for a in rows]


def _open(app, client, org_id, **changes):
    data = {"organisation_id": str(org_id), "reason": "klacht",
            "started_on": today_local().isoformat(),
            "description": "Een klacht over de nachtelijke bezetting.",
            "internal_notes": SECRET}
    data.update(changes)
    response = post(client, NEW_URL, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        return db.session.scalar(select(func.max(Investigation.id)))


def _requirement_id(app):
    with app.app_context():
        return db.session.scalar(
            select(Requirement.id).join(CatalogueVersion)
            .where(CatalogueVersion.published_at.is_not(None)).order_by(Requirement.id).limit(1))


def _finding(client, item_id, **data):
    fields = {"requirement_id": "", "indicator_id": "", "subject": "", "judgement": "voldoet_niet",
              "text": "De meldcode is niet bij alle medewerkers bekend."}
    fields.update(data)
    return post(client, f"/beheer/toezicht/{item_id}/bevindingen", fields,
                token_from=f"/beheer/toezicht/{item_id}")


def _measure(client, item_id, **data):
    fields = {"measure": "", "note": "Toelichting voor de partner.", "plan_deadline": "",
              "admission_id": "", "starts_on": "", "ends_on": "", "follow_up_on": ""}
    fields.update(data)
    return post(client, f"/beheer/toezicht/{item_id}/maatregel", fields,
                token_from=f"/beheer/toezicht/{item_id}")


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the whole cycle -----------------------------------------------------------------------------

def test_investigation_with_findings_an_improvement_plan_and_closing(app, smtp):
    org_id, _ = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id)
    assert smtp.wait_find(to=PROVIDER, subject_contains="De regio onderzoekt een klacht",
                          body_contains="nachtelijke bezetting")
    requirement_id = _requirement_id(app)
    assert _finding(staff, item_id, requirement_id=str(requirement_id)).status_code == 302
    assert _finding(staff, item_id, subject="Dossiervorming", judgement="verbetering_nodig",
                    text="Dossiers zijn onvolledig.").status_code == 302
    with app.app_context():
        indicator_id = db.session.scalar(
            select(Indicator.id).join(IndicatorSet).where(IndicatorSet.published_at.is_not(None))
            .limit(1))
    if indicator_id:  # the monitoring part's default set, when it is seeded
        assert _finding(staff, item_id, indicator_id=str(indicator_id),
                        judgement="voldoet", text="Op of boven de streefwaarde.").status_code == 302

    partner = _client(app, PROVIDER)
    before = partner.get(f"/organisatie/toezicht/{item_id}").get_data(as_text=True)
    assert "nachtelijke bezetting" in before and "Dossiers zijn onvolledig." not in before
    assert SECRET not in before

    deadline = today_local() + timedelta(days=30)
    follow_up = today_local() + timedelta(days=60)
    response = _measure(staff, item_id, measure="verbeterplan", note="Lever een verbeterplan.",
                        plan_deadline=deadline.isoformat(), follow_up_on=follow_up.isoformat())
    assert response.status_code == 302
    mail = smtp.wait_find(to=PROVIDER, subject_contains="Uitkomst van het onderzoek",
                          body_contains="Dossiers zijn onvolledig.")
    assert mail and SECRET not in str(mail)
    after = partner.get(f"/organisatie/toezicht/{item_id}").get_data(as_text=True)
    assert "Dossiers zijn onvolledig." in after and "verbeterplan" in after
    assert "Verbeterplan uiterlijk" in after and SECRET not in after
    listing = partner.get("/organisatie/toezicht").get_data(as_text=True)
    assert "klacht" in listing

    response = post(staff, f"/beheer/toezicht/{item_id}/afsluiten",
                    {"conclusion": "Het verbeterplan is uitgevoerd."},
                    token_from=f"/beheer/toezicht/{item_id}")
    assert response.status_code == 302
    assert smtp.wait_find(to=PROVIDER, subject_contains="is afgesloten",
                          body_contains="Het verbeterplan is uitgevoerd.")
    with app.app_context():
        item = db.session.get(Investigation, item_id)
        assert item.status == InvestigationStatus.GESLOTEN and item.measure == Measure.VERBETERPLAN
        assert item.plan_deadline == deadline and item.follow_up_on == follow_up
    staff_page = staff.get(f"/beheer/toezicht/{item_id}").get_data(as_text=True)
    assert SECRET in staff_page and "Het verbeterplan is uitgevoerd." in staff_page
    file_page = staff.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "Verantwoording en toezicht" in file_page and "verbeterplan" in file_page
    for action in ("investigation_opened", "finding_recorded", "investigation_measure_taken",
                   "investigation_closed"):
        assert _count(app, AuditEvent, AuditEvent.action == action) >= 1, action
    audit = staff.get("/beheer/audit").get_data(as_text=True)
    assert "Onderzoek (toezicht) afgesloten" in audit


def test_a_suspension_is_made_by_the_admissions_own_operation_and_linked(app, smtp):
    org_id, (admission_id,) = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id, reason="calamiteit")
    _finding(staff, item_id, subject="Veiligheid", text="Onveilige situatie in de woning.")
    response = _measure(staff, item_id, measure="schorsing", note="Tot het plan is uitgevoerd.",
                        admission_id=str(admission_id), starts_on=today_local().isoformat())
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Investigation, item_id)
        suspension = db.session.scalar(select(Suspension).where(
            Suspension.admission_id == admission_id))
        assert item.suspension_id == suspension.id and item.admission_id == admission_id
        assert "Tot het plan is uitgevoerd." in suspension.reason
        assert db.session.get(Admission, admission_id).status == AdmissionStatus.GESCHORST
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(("suspension_planned", "suspended")))) == 2
    assert smtp.wait_find(to=PROVIDER, subject_contains="Schorsing van uw toelating")
    assert smtp.wait_find(to=PROVIDER, subject_contains="Uitkomst van het onderzoek")
    file_page = staff.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "schorsing vanaf" in file_page


def test_an_ending_plans_the_end_of_the_admission(app):
    org_id, (admission_id,) = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id, reason="periodiek")
    _finding(staff, item_id, subject="Kwaliteit", text="Structureel onder de maat.")
    ends_on = today_local() + timedelta(days=90)
    response = _measure(staff, item_id, measure="beeindiging", note="Einde van de toelating.",
                        admission_id=str(admission_id), ends_on=ends_on.isoformat())
    assert response.status_code == 302
    with app.app_context():
        admission = db.session.get(Admission, admission_id)
        assert admission.ended_on == ends_on and admission.status == AdmissionStatus.ACTIEF
        assert db.session.get(Investigation, item_id).ends_on == ends_on
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "end_planned")) == 1


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,field,message", [
    ({"reason": ""}, "Aanleiding", "Kies de aanleiding"),
    ({"reason": "roddel"}, "Aanleiding", "Kies de aanleiding"),
    ({"started_on": "gisteren"}, "Startdatum", "Vul een geldige datum in"),
    ({"started_on": "FUTURE"}, "Startdatum", "kan niet in de toekomst liggen"),
    ({"organisation_id": "x"}, "Partner", "Kies de partner"),
    ({"organisation_id": "123456"}, "Partner", "Kies de partner"),
    ({"description": ""}, "Aanleiding voor de partner", "Beschrijf de aanleiding"),
])
def test_bad_input_when_opening_names_the_field(app, changes, field, message):
    org_id, _ = _partner(app)
    data = {"organisation_id": str(org_id), "reason": "signaal",
            "started_on": today_local().isoformat(), "description": "Signaal van een verwijzer."}
    data.update(changes)
    if data["started_on"] == "FUTURE":
        data["started_on"] = (today_local() + timedelta(days=2)).isoformat()
    response = post(_client(app, ADMIN), NEW_URL, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field in html and message in html and "Not a valid" not in html
    assert _count(app, Investigation) == 0


def test_no_investigation_at_an_organisation_that_is_no_partner(app):
    with app.app_context():
        org = organisation("Stichting Nooit Toegelaten", "99887766")
        db.session.commit()
        org_id = org.id
    response = post(_client(app, ADMIN), NEW_URL, {
        "organisation_id": str(org_id), "reason": "klacht",
        "started_on": today_local().isoformat(), "description": "x"})
    assert response.status_code == 422
    assert "geen partner" in response.get_data(as_text=True)
    assert _count(app, Investigation) == 0


@pytest.mark.parametrize("data,message", [
    ({}, "precies één van de drie"),
    ({"subject": "Iets", "requirement_id": "REQ"}, "precies één van de drie"),
    ({"requirement_id": "777777"}, "Kies een eis uit de lijst"),
    ({"indicator_id": "777777"}, "Kies een indicator uit de lijst"),
    ({"subject": "Iets", "judgement": ""}, "Kies het oordeel"),
    ({"subject": "Iets", "text": " "}, "Beschrijf de bevinding"),
])
def test_bad_findings_are_refused(app, data, message):
    org_id, _ = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id)
    if data.get("requirement_id") == "REQ":
        data = {**data, "requirement_id": str(_requirement_id(app))}
    response = _finding(staff, item_id, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(app, Finding) == 0


@pytest.mark.parametrize("data,message", [
    ({"measure": ""}, "Kies de maatregel"),
    ({"measure": "verbeterplan"}, "Vul de uiterste datum van het verbeterplan in"),
    ({"measure": "verbeterplan", "plan_deadline": "PAST"}, "kan niet in het verleden liggen"),
    ({"measure": "schorsing", "starts_on": "TODAY"}, "Kies de toelating"),
    ({"measure": "schorsing", "admission_id": "OTHER", "starts_on": "TODAY"}, "Kies de toelating"),
    ({"measure": "schorsing", "admission_id": "OWN"}, "Vul de ingangsdatum van de schorsing in"),
    ({"measure": "schorsing", "admission_id": "OWN", "starts_on": "PAST"},
     "Een schorsing kan niet in het verleden ingaan."),
    ({"measure": "beeindiging", "admission_id": "OWN"}, "Vul de datum van de beëindiging in"),
    ({"measure": "beeindiging", "admission_id": "OWN", "ends_on": "PAST"},
     "Een beëindiging kan niet in het verleden liggen."),
    ({"measure": "geen", "note": ""}, "Licht de maatregel toe"),
    ({"measure": "geen", "follow_up_on": "PAST"}, "De datum van de follow-up kan niet"),
])
def test_a_bad_measure_saves_nothing(app, data, message):
    org_id, (own_id,) = _partner(app)
    with app.app_context():
        other = organisation("Stichting Ander", "11223344")
        other_admission = admit(other, "pleegzorg")[0]
        db.session.commit()
        other_id = other_admission.id
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id)
    _finding(staff, item_id, subject="Iets", text="Bevinding.")
    past = (today_local() - timedelta(days=1)).isoformat()
    values = {"PAST": past, "TODAY": today_local().isoformat(), "OWN": str(own_id),
              "OTHER": str(other_id)}
    data = {k: values.get(v, v) for k, v in data.items()}
    response = _measure(staff, item_id, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(Investigation, item_id)
        assert item.measure is None and item.suspension_id is None
        assert db.session.get(Admission, own_id).status == AdmissionStatus.ACTIEF
        assert db.session.get(Admission, own_id).ended_on is None
    assert _count(app, Suspension) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "investigation_measure_taken") == 0


def test_an_assessor_may_record_but_not_suspend(app):
    org_id, (admission_id,) = _partner(app)
    assessor = _client(app, ASSESSOR_1)
    item_id = _open(app, assessor, org_id)
    _finding(assessor, item_id, subject="Iets", text="Bevinding.")
    response = _measure(assessor, item_id, measure="schorsing", admission_id=str(admission_id),
                        starts_on=today_local().isoformat())
    assert response.status_code == 302  # a button: the refusal is a message on the page
    page = assessor.get(f"/beheer/toezicht/{item_id}").get_data(as_text=True)
    assert "Alleen een contractbeheerder kan dit doen." in page
    assert _count(app, Suspension) == 0
    with app.app_context():
        assert db.session.get(Investigation, item_id).measure is None


def test_order_and_once_only(app):
    org_id, _ = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id)
    page = f"/beheer/toezicht/{item_id}"
    # no measure before a finding, no closing before a measure
    _measure(staff, item_id, measure="geen")
    assert "Leg eerst de bevindingen vast" in staff.get(page).get_data(as_text=True)
    post(staff, f"{page}/afsluiten", {"conclusion": "Klaar."}, token_from=page)
    assert "Leg eerst de maatregel vast" in staff.get(page).get_data(as_text=True)
    _finding(staff, item_id, subject="Iets", text="Bevinding.")
    assert _measure(staff, item_id, measure="geen").status_code == 302
    # a second measure from an old tab
    _measure_again = post(staff, f"{page}/maatregel",
                          {"measure": "verbeterplan", "note": "x",
                           "plan_deadline": (today_local() + timedelta(days=9)).isoformat()},
                          token_from=page, follow_redirects=True)
    assert "Er is al een maatregel vastgelegd" in _measure_again.get_data(as_text=True)
    empty = post(staff, f"{page}/afsluiten", {"conclusion": ""}, token_from=page)
    assert empty.status_code == 422 and "Vul de conclusie" in empty.get_data(as_text=True)
    post(staff, f"{page}/afsluiten", {"conclusion": "Klaar."}, token_from=page)
    closed = post(staff, f"{page}/bevindingen", {"subject": "Later", "judgement": "voldoet",
                                                   "text": "x"},
                  token_from=f"/beheer/partners/{org_id}", follow_redirects=True)
    assert "Dit onderzoek is afgesloten" in closed.get_data(as_text=True)
    assert _count(app, Finding) == 1
    with app.app_context():
        assert db.session.get(Investigation, item_id).measure == Measure.GEEN


def test_follow_up_is_planned_and_checked(app):
    org_id, _ = _partner(app)
    staff = _client(app, ADMIN)
    item_id = _open(app, staff, org_id)
    page = f"/beheer/toezicht/{item_id}"
    past = post(staff, f"{page}/follow-up",
                {"follow_up_on": (today_local() - timedelta(days=1)).isoformat()}, token_from=page)
    assert past.status_code == 422 and "kan niet in het verleden" in past.get_data(as_text=True)
    bad = post(staff, f"{page}/follow-up", {"follow_up_on": "volgende week"}, token_from=page)
    assert bad.status_code == 422 and "Vul een geldige datum in" in bad.get_data(as_text=True)
    day = today_local() + timedelta(days=20)
    assert post(staff, f"{page}/follow-up", {"follow_up_on": day.isoformat()},
                token_from=page).status_code == 302
    with app.app_context():
        assert db.session.get(Investigation, item_id).follow_up_on == day
    assert _count(app, AuditEvent, AuditEvent.action == "investigation_follow_up_planned") == 1


def test_another_organisations_investigation_is_404_for_the_partner(app):
    _partner(app)
    with app.app_context():
        other = organisation("Stichting Ander", "11223344")
        admit(other, "pleegzorg")
        db.session.commit()
        other_id = other.id
    item_id = _open(app, _client(app, ADMIN), other_id)
    partner = _client(app, PROVIDER)
    assert partner.get(f"/organisatie/toezicht/{item_id}").status_code == 404
    assert partner.get("/organisatie/toezicht/2147483648").status_code == 404
    assert "Stichting Ander" not in partner.get("/organisatie/toezicht").get_data(as_text=True)
    assert partner.get(f"/beheer/toezicht/{item_id}").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMail.id)).where(
            OutboxMail.kind == "investigation_opened", OutboxMail.to_address == PROVIDER)) == 0


# --- statements stay flat ------------------------------------------------------------------------

def _many_investigations(app, n, start=0):
    from portal.models import User

    with app.app_context():
        org = demo_org()
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN))
        for i in range(start, start + n):
            other = organisation(f"Stichting T{i:03}", f"6{i:07}")
            admit(other, "pleegzorg")
            for owner in (org, other):
                item = Investigation(organisation_id=owner.id, reason="signaal",
                                     started_on=today_local(), description="x",
                                     created_by_id=admin_id, measure=Measure.GEEN,
                                     measure_note="geen")
                db.session.add(item)
                db.session.flush()
                db.session.add(Finding(investigation_id=item.id, subject=f"Onderwerp {i}",
                                       judgement="voldoet", text="ok", created_by_id=admin_id))
        db.session.commit()


def test_statement_counts_stay_flat_with_the_number_of_investigations(app):
    org_id, _ = _partner(app)
    staff, partner = _client(app, ADMIN), _client(app, PROVIDER)
    _many_investigations(app, 4)
    with app.app_context():
        item_id = db.session.scalar(select(func.max(Investigation.id)).where(
            Investigation.organisation_id == org_id))
    pages = [(staff, "/beheer/toezicht"), (partner, "/organisatie/toezicht"),
             (staff, f"/beheer/toezicht/{item_id}"), (partner, f"/organisatie/toezicht/{item_id}"),
             (staff, f"/beheer/partners/{org_id}")]
    small = [count_statements(app, client, url) for client, url in pages]
    _many_investigations(app, 8, start=4)  # 3N
    large = [count_statements(app, client, url) for client, url in pages]
    assert large == small and max(large) <= MAX_STATEMENTS, (small, large)
