"""Verantwoordingsdialogen (issue 13, point 11): the region plans a dialogue with an active
partner, records minutes and action points; the partner confirms the minutes and marks its
action points done; overdue action points on both dashboards and in the daily mail. With
the bad input of the issue: never a 500, a Dutch message naming the field, nothing half
saved."""
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AdmissionStatus, AuditEvent, OutboxMail
from portal.oversight import workflow
from portal.oversight.models import ActionPoint, ActionStatus, Dialogue, OwnerSide
from portal.partners.workflow import partner_recipients
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user
from tests.test_partners_capacity import (
    MAX_STATEMENTS,
    admit,
    count_statements,
    demo_org,
    organisation,
)

pytestmark = pytest.mark.usefixtures("in_term")

PLAN_URL = "/beheer/dialogen/nieuw"


def _active_demo_partner(app, status=AdmissionStatus.ACTIEF):
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg", status=status)
        db.session.commit()
        return org.id


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _plan_data(org_id, **changes):
    data = {"organisation_id": str(org_id), "meeting_date": today_local().isoformat(),
            "meeting_time": "10:00", "place": "Stadskantoor Breda, zaal 3",
            "participants": "Dirk Visser (contractmanager)\nAnna de Vries – directeur",
            "agenda": "Rapportage 2029 Q1\nBevindingen toezicht", "reporting_round_id": ""}
    data.update(changes)
    return data


def _plan(app, client, org_id, **changes):
    response = post(client, PLAN_URL, _plan_data(org_id, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        return db.session.scalar(select(func.max(Dialogue.id)))


def _events(app, action):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == action))


# --- the whole cycle through the pages -------------------------------------------------------

def test_dialogue_planned_minuted_confirmed_and_action_done(app, smtp):
    org_id = _active_demo_partner(app)
    staff = _client(app, ADMIN)
    form = staff.get(PLAN_URL + f"?partner={org_id}").get_data(as_text=True)
    assert "Verantwoordingsdialoog plannen" in form and "Stichting" in form
    dialogue_id = _plan(app, staff, org_id)
    assert smtp.wait_find(to=PROVIDER, subject_contains="Verantwoordingsdialoog op",
                          body_contains="Dirk Visser (contractmanager)")
    page = staff.get(f"/beheer/dialogen/{dialogue_id}").get_data(as_text=True)
    assert "Anna de Vries – directeur" in page and "Rapportage 2029 Q1" in page

    due = today_local() + timedelta(days=14)
    response = post(staff, f"/beheer/dialogen/{dialogue_id}/actiepunten",
                    {"description": "Plan van aanpak wachttijd aanleveren",
                     "owner_side": "partner", "owner_name": "Anna de Vries",
                     "due_on": due.isoformat()}, token_from=f"/beheer/dialogen/{dialogue_id}")
    assert response.status_code == 302
    response = post(staff, f"/beheer/dialogen/{dialogue_id}/actiepunten",
                    {"description": "Tarief 2030 toelichten", "owner_side": "regio",
                     "owner_name": "Dirk Visser", "due_on": due.isoformat()},
                    token_from=f"/beheer/dialogen/{dialogue_id}")
    assert response.status_code == 302
    response = post(staff, f"/beheer/dialogen/{dialogue_id}/verslag",
                    {"minutes": "De partner licht de wachttijd toe. Afspraken zie actiepunten."},
                    token_from=f"/beheer/dialogen/{dialogue_id}")
    assert response.status_code == 302
    assert smtp.wait_find(to=PROVIDER, subject_contains="ter bevestiging",
                          body_contains="Plan van aanpak wachttijd aanleveren")

    partner = _client(app, PROVIDER)
    dashboard = partner.get("/aanbieder").get_data(as_text=True)
    assert "Bevestig het verslag van de verantwoordingsdialoog" in dashboard
    mine = partner.get(f"/organisatie/dialogen/{dialogue_id}").get_data(as_text=True)
    assert "De partner licht de wachttijd toe." in mine and "Verslag bevestigen" in mine
    # the region's action point has no button for the partner
    assert mine.count("Gereed melden") == 1
    response = post(partner, f"/organisatie/dialogen/{dialogue_id}/bevestigen",
                    {"remark": "Akkoord.", "answer": "bevestigen"},
                    token_from=f"/organisatie/dialogen/{dialogue_id}")
    assert response.status_code == 302
    assert smtp.wait_find(to=ADMIN, subject_contains="Verslag bevestigd door")
    with app.app_context():
        point_id = db.session.scalar(select(ActionPoint.id).where(
            ActionPoint.owner_side == OwnerSide.PARTNER))
    response = post(partner, f"/organisatie/actiepunten/{point_id}/gereed",
                    {f"p{point_id}-note": "Plan is gestuurd op 1 juli."},
                    token_from=f"/organisatie/dialogen/{dialogue_id}")
    assert response.status_code == 302
    with app.app_context():
        dialogue = db.session.get(Dialogue, dialogue_id)
        assert dialogue.confirmed_at is not None and dialogue.partner_remark == "Akkoord."
        point = db.session.get(ActionPoint, point_id)
        assert point.status == ActionStatus.GEREED and point.closing_note.startswith("Plan is")
    staff_page = staff.get(f"/beheer/dialogen/{dialogue_id}").get_data(as_text=True)
    assert "Bevestigd door de partner" in staff_page and "Plan is gestuurd op 1 juli." in staff_page
    for action in ("dialogue_planned", "action_point_added", "dialogue_minutes_recorded",
                   "dialogue_minutes_confirmed", "action_point_status_changed"):
        assert _events(app, action) >= 1, action


def test_an_assessor_plans_too_and_the_partner_may_not_reach_staff_pages(app):
    org_id = _active_demo_partner(app)
    assert _plan(app, _client(app, ASSESSOR_1), org_id)
    partner = _client(app, PROVIDER)
    for url in ("/beheer/dialogen", PLAN_URL, "/beheer/toezicht"):
        assert partner.get(url).status_code == 403, url


def test_a_remark_without_confirming_reaches_the_planner(app, smtp):
    org_id = _active_demo_partner(app)
    staff = _client(app, ADMIN)
    dialogue_id = _plan(app, staff, org_id)
    post(staff, f"/beheer/dialogen/{dialogue_id}/verslag", {"minutes": "Kort verslag."},
         token_from=f"/beheer/dialogen/{dialogue_id}")
    partner = _client(app, PROVIDER)
    empty = post(partner, f"/organisatie/dialogen/{dialogue_id}/bevestigen",
                 {"remark": " ", "answer": "opmerking"},
                 token_from=f"/organisatie/dialogen/{dialogue_id}")
    assert empty.status_code == 422
    assert "Vul uw opmerking bij het verslag in." in empty.get_data(as_text=True)
    response = post(partner, f"/organisatie/dialogen/{dialogue_id}/bevestigen",
                    {"remark": "Punt 2 klopt niet.", "answer": "opmerking"},
                    token_from=f"/organisatie/dialogen/{dialogue_id}")
    assert response.status_code == 302
    assert smtp.wait_find(to=ADMIN, subject_contains="Opmerking bij het verslag",
                          body_contains="Punt 2 klopt niet.")
    with app.app_context():
        dialogue = db.session.get(Dialogue, dialogue_id)
        assert dialogue.confirmed_at is None and dialogue.partner_remark == "Punt 2 klopt niet."


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [None, AdmissionStatus.TOEGELATEN, AdmissionStatus.GESCHORST,
                                    AdmissionStatus.BEEINDIGD])
def test_a_dialogue_with_a_partner_that_is_not_active_is_refused(app, status):
    with app.app_context():
        org = organisation("Stichting Niet Actief", "87654321")
        if status is not None:
            admit(org, "pleegzorg", status=status)
        db.session.commit()
        org_id = org.id
    staff = _client(app, ADMIN)
    response = post(staff, PLAN_URL, _plan_data(org_id))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Partner:" in html and "geen actieve toelating" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Dialogue.id))) == 0
        assert db.session.scalar(select(func.count(OutboxMail.id))
                                 .where(OutboxMail.kind == "dialogue_planned")) == 0


@pytest.mark.parametrize("changes,field,message", [
    ({"organisation_id": "abc"}, "Partner", "Kies de partner"),
    ({"organisation_id": "999999"}, "Partner", "Kies de partner"),
    ({"meeting_date": "31-02-2029"}, "Datum", "Vul een geldige datum in"),
    ({"meeting_date": ""}, "Datum", "Vul een geldige datum in"),
    ({"meeting_time": "25:99"}, "Tijdstip", "Vul een geldig tijdstip in"),
    ({"place": " "}, "Plaats of link van het online overleg", "Vul de plaats in"),
    ({"participants": "Dirk Visser"}, "Deelnemers", "geef naam en rol"),
    ({"participants": ""}, "Deelnemers", "Vul de deelnemers in"),
    ({"agenda": "\n \n"}, "Agenda", "Vul de agenda in"),
    ({"reporting_round_id": "4242"}, "Verantwoordingsronde", "Kies een bestaande"),
])
def test_bad_input_when_planning_names_the_field(app, changes, field, message):
    org_id = _active_demo_partner(app)
    response = post(_client(app, ADMIN), PLAN_URL, _plan_data(org_id, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field in html and message in html, html[html.find("error-summary"):][:800]
    assert "Not a valid" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Dialogue.id))) == 0


@pytest.mark.parametrize("changes,message", [
    ({"owner_side": "", "owner_name": ""}, "Kies wie het actiepunt uitvoert"),
    ({"owner_name": " "}, "Vul de naam in van wie het actiepunt uitvoert"),
    ({"owner_side": "iemand"}, "Kies wie het actiepunt uitvoert"),
    ({"due_on": ""}, "Vul de uiterste datum van het actiepunt in"),
    ({"due_on": "morgen"}, "Vul een geldige datum in"),
    ({"due_on": "PAST"}, "kan niet in het verleden liggen"),
    ({"description": ""}, "Beschrijf het actiepunt"),
])
def test_an_action_point_without_owner_or_due_date_is_refused(app, changes, message):
    org_id = _active_demo_partner(app)
    staff = _client(app, ADMIN)
    dialogue_id = _plan(app, staff, org_id)
    data = {"description": "Iets doen", "owner_side": "partner", "owner_name": "Anna",
            "due_on": (today_local() + timedelta(days=7)).isoformat()}
    data.update(changes)
    if data["due_on"] == "PAST":
        data["due_on"] = (today_local() - timedelta(days=1)).isoformat()
    response = post(staff, f"/beheer/dialogen/{dialogue_id}/actiepunten", data,
                    token_from=f"/beheer/dialogen/{dialogue_id}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ActionPoint.id))) == 0
    assert _events(app, "action_point_added") == 0


def test_another_organisations_dialogue_and_action_point_are_404(app):
    org_id = _active_demo_partner(app)
    with app.app_context():
        other = organisation("Stichting Ander", "11223344", beheerder="ander@example.nl")
        admit(other, "pleegzorg")
        db.session.commit()
        other_id = other.id
    staff = _client(app, ADMIN)
    dialogue_id = _plan(app, staff, other_id)
    post(staff, f"/beheer/dialogen/{dialogue_id}/actiepunten",
         {"description": "Iets", "owner_side": "partner", "owner_name": "X",
          "due_on": (today_local() + timedelta(days=3)).isoformat()},
         token_from=f"/beheer/dialogen/{dialogue_id}")
    post(staff, f"/beheer/dialogen/{dialogue_id}/verslag", {"minutes": "Verslag."},
         token_from=f"/beheer/dialogen/{dialogue_id}")
    with app.app_context():
        point_id = db.session.scalar(select(ActionPoint.id))
    partner = _client(app, PROVIDER)
    assert partner.get(f"/organisatie/dialogen/{dialogue_id}").status_code == 404
    assert partner.get("/organisatie/dialogen/999999999").status_code == 404
    assert partner.get("/organisatie/dialogen/99999999999999999999").status_code == 404
    own = _plan(app, staff, org_id)
    token_page = f"/organisatie/dialogen/{own}"
    assert post(partner, f"/organisatie/dialogen/{dialogue_id}/bevestigen", {"answer": "bevestigen"},
                token_from=token_page).status_code == 404
    assert post(partner, f"/organisatie/actiepunten/{point_id}/gereed",
                {f"p{point_id}-note": "klaar"}, token_from=token_page).status_code == 404
    with app.app_context():
        assert db.session.get(Dialogue, dialogue_id).confirmed_at is None
        assert db.session.get(ActionPoint, point_id).status == ActionStatus.OPEN


def test_minutes_confirmed_twice_are_refused_the_second_time(app):
    org_id = _active_demo_partner(app)
    staff = _client(app, ADMIN)
    dialogue_id = _plan(app, staff, org_id)
    partner = _client(app, PROVIDER)
    page = f"/organisatie/dialogen/{dialogue_id}"
    early = post(partner, f"{page}/bevestigen", {"answer": "bevestigen"}, token_from=page,
                 follow_redirects=True)
    assert "Er is nog geen verslag om te bevestigen." in early.get_data(as_text=True)
    post(staff, f"/beheer/dialogen/{dialogue_id}/verslag", {"minutes": "Verslag."},
         token_from=f"/beheer/dialogen/{dialogue_id}")
    assert post(partner, f"{page}/bevestigen", {"answer": "bevestigen"},
                token_from=page).status_code == 302
    with app.app_context():
        first = db.session.get(Dialogue, dialogue_id).confirmed_at
    # a second tab still holding the form
    again = post(partner, f"{page}/bevestigen", {"answer": "bevestigen", "remark": "nog eens"},
                 token_from=page, follow_redirects=True)
    assert again.status_code == 200
    assert "Het verslag is al bevestigd op" in again.get_data(as_text=True)
    with app.app_context():
        dialogue = db.session.get(Dialogue, dialogue_id)
        assert dialogue.confirmed_at == first and dialogue.partner_remark is None
    assert _events(app, "dialogue_minutes_confirmed") == 1
    # the region can no longer change confirmed minutes
    changed = post(staff, f"/beheer/dialogen/{dialogue_id}/verslag", {"minutes": "Anders."},
                   token_from=f"/beheer/dialogen/{dialogue_id}", follow_redirects=True)
    assert "al bevestigd" in changed.get_data(as_text=True)


def test_the_partner_cannot_close_the_regions_action_point(ctx):
    org = demo_org()
    admit(org, "pleegzorg")
    plan = workflow.DialoguePlan(organisation_id=org.id, meeting_date=today_local(),
                                 meeting_time=time(9, 30), place="Online",
                                 online=True, participants="A (b)", agenda="x")
    dialogue = workflow.plan_dialogue(plan, by=user(ADMIN))
    point = workflow.add_action_point(dialogue, workflow.ActionInput(
        "Regio doet iets", "regio", "Dirk", today_local()), by=user(ADMIN))
    db.session.commit()
    from portal.errors import NotPermitted, ValidationFailed

    with pytest.raises(NotPermitted, match="alleen de regio"):
        workflow.complete_action_point(point, "klaar", by=user(PROVIDER))
    own = workflow.add_action_point(dialogue, workflow.ActionInput(
        "Partner doet iets", "partner", "Anna", today_local()), by=user(ADMIN))
    with pytest.raises(ValidationFailed, match="1 fout"):
        workflow.complete_action_point(own, " ", by=user(PROVIDER))
    assert own.status == ActionStatus.OPEN
    with pytest.raises(NotPermitted):
        workflow.plan_dialogue(plan, by=user(PROVIDER))


# --- overdue action points -----------------------------------------------------------------

def _overdue_setup(app):
    """A dialogue with an overdue action point for each side."""
    org_id = _active_demo_partner(app)
    with app.app_context():
        plan = workflow.DialoguePlan(
            organisation_id=org_id, meeting_date=today_local(),
            meeting_time=time(9, 30), place="Breda", online=False,
            participants="Dirk Visser (contractmanager)", agenda="Rapportage")
        dialogue = workflow.plan_dialogue(plan, by=user(ADMIN))
        for side, what in (("partner", "Verbeterplan sturen"), ("regio", "Cijfers nasturen")):
            point = workflow.add_action_point(dialogue, workflow.ActionInput(
                what, side, "Iemand", today_local()), by=user(ADMIN))
            point.due_on = today_local() - timedelta(days=3)  # made earlier, now overdue
        db.session.commit()
        return dialogue.id


def test_overdue_action_points_on_both_dashboards(app):
    _overdue_setup(app)
    staff = _client(app, ADMIN).get("/beheer/dialogen").get_data(as_text=True)
    overdue = staff.split("Actiepunten over de datum", 1)[1].split("Alle dialogen", 1)[0]
    assert "Verbeterplan sturen" in overdue and "Cijfers nasturen" in overdue
    start = _client(app, ADMIN).get("/beheer/").get_data(as_text=True)
    assert "2 actiepunten uit verantwoordingsdialogen zijn over de datum." in start
    dashboard = _client(app, PROVIDER).get("/aanbieder").get_data(as_text=True)
    assert "Actiepunt over de datum: Verbeterplan sturen" in dashboard
    assert "Cijfers nasturen" not in dashboard  # the region's point is not the partner's task


def test_overdue_action_points_are_mailed_once_a_day_to_their_owner_side(app, smtp):
    _overdue_setup(app)
    today = today_local()
    with app.app_context():
        expected = len(partner_recipients(demo_org())) + 1  # the partner's side; the planner
        assert workflow.remind_overdue(today) == expected
        db.session.commit()
        assert workflow.remind_overdue(today) == 0  # once a day
        db.session.commit()
        partner_mail = db.session.scalar(select(OutboxMail).where(
            OutboxMail.kind == "action_points_overdue_partner", OutboxMail.to_address == PROVIDER))
        assert "Verbeterplan sturen" in partner_mail.body_text
        assert "Cijfers nasturen" not in partner_mail.body_text
        region_mail = db.session.scalar(select(OutboxMail).where(
            OutboxMail.kind == "action_points_overdue_region"))
        assert region_mail.to_address == ADMIN and "Cijfers nasturen" in region_mail.body_text
        assert workflow.remind_overdue(today + timedelta(days=1)) == expected  # the next day
        db.session.commit()


def test_the_daily_command_runs_the_oversight_step(app):
    _overdue_setup(app)
    with app.app_context():
        expected = len(partner_recipients(demo_org())) + 1
    result = app.test_cli_runner().invoke(args=["partners", "daily"])
    assert f"overdue action point mails: {expected}" in result.output, result.output
    again = app.test_cli_runner().invoke(args=["partners", "daily"])
    assert "overdue action point mails: 0" in again.output, again.output


# --- statements stay flat -------------------------------------------------------------------

def _many_dialogues(app, n, start=0):
    with app.app_context():
        org = demo_org()
        for i in range(start, start + n):
            other = organisation(f"Stichting {i:03}", f"5{i:07}")
            admit(other, "pleegzorg")
            for owner in (org, other):
                dialogue = Dialogue(organisation_id=owner.id, meeting_date=today_local(),
                                    meeting_time=time(10, 0),
                                    place="Breda", participants="A (b)", agenda="x",
                                    created_by_id=user(ADMIN).id, minutes="Verslag")
                db.session.add(dialogue)
                db.session.flush()
                db.session.add(ActionPoint(
                    dialogue_id=dialogue.id, organisation_id=owner.id, description=f"Punt {i}",
                    owner_side=OwnerSide.PARTNER, owner_name="X", created_by_id=user(ADMIN).id,
                    due_on=today_local() - timedelta(days=1)))
        db.session.commit()
        return org.id


def test_statement_counts_stay_flat_with_the_number_of_dialogues(app):
    org_id = _active_demo_partner(app)
    staff, partner = _client(app, ADMIN), _client(app, PROVIDER)
    pages = [(staff, "/beheer/dialogen"), (partner, "/organisatie/dialogen"),
             (partner, "/aanbieder"), (staff, f"/beheer/partners/{org_id}")]
    _many_dialogues(app, 4)
    small = [count_statements(app, client, url) for client, url in pages]
    with app.app_context():
        dialogue_id = db.session.scalar(select(func.max(Dialogue.id)).where(
            Dialogue.organisation_id == org_id))
    detail = [(staff, f"/beheer/dialogen/{dialogue_id}"),
              (partner, f"/organisatie/dialogen/{dialogue_id}")]
    small_detail = [count_statements(app, client, url) for client, url in detail]
    _many_dialogues(app, 8, start=4)  # 3N
    large = [count_statements(app, client, url) for client, url in pages]
    assert large == small, (small, large)
    assert max(large) <= MAX_STATEMENTS, large
    assert [count_statements(app, client, url) for client, url in detail] == small_detail


def test_minutes_wait_for_the_meeting_and_the_region_sets_states(app):
    org_id = _active_demo_partner(app)
    staff = _client(app, ADMIN)
    later = _plan(app, staff, org_id, meeting_date=(today_local() + timedelta(days=5)).isoformat())
    early = post(staff, f"/beheer/dialogen/{later}/verslag", {"minutes": "Te vroeg."},
                 token_from=f"/beheer/dialogen/{later}")
    assert early.status_code == 422
    assert "pas worden vastgelegd op of na de datum" in early.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Dialogue, later).minutes is None
    post(staff, f"/beheer/dialogen/{later}/actiepunten",
         {"description": "Agenda rondsturen", "owner_side": "regio", "owner_name": "Dirk",
          "due_on": (today_local() + timedelta(days=3)).isoformat()},
         token_from=f"/beheer/dialogen/{later}")
    with app.app_context():
        point_id = db.session.scalar(select(ActionPoint.id))
    page = f"/beheer/dialogen/{later}"
    for status, expected in (("vervallen", ActionStatus.VERVALLEN), ("open", ActionStatus.OPEN),
                             ("gereed", ActionStatus.GEREED)):
        response = post(staff, f"/beheer/actiepunten/{point_id}/status",
                        {f"p{point_id}-status": status, f"p{point_id}-note": "Besproken."},
                        token_from=page)
        assert response.status_code == 302
        with app.app_context():
            assert db.session.get(ActionPoint, point_id).status == expected
    refused = post(staff, f"/beheer/actiepunten/{point_id}/status",
                   {f"p{point_id}-status": "vervallen"}, token_from=page, follow_redirects=True)
    assert "kan niet naar" in refused.get_data(as_text=True)
    unknown = post(staff, f"/beheer/actiepunten/{point_id}/status",
                   {f"p{point_id}-status": "weg"}, token_from=page)
    assert unknown.status_code == 422 and "Kies de nieuwe status" in unknown.get_data(as_text=True)
    assert staff.post("/beheer/actiepunten/999999/status").status_code in (400, 404)
    assert _events(app, "action_point_status_changed") == 3
