"""Assessment pages through the test client: queue filters, assignment, bad input."""
from datetime import date, timedelta

from sqlalchemy import select

from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import Application, AuditEvent, Procedure, Status
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import categories, fill_completely, requirement


def _submitted(app, cats=("pleegzorg",), take=True, due_in=None):
    with app.app_context():
        provider = user(PROVIDER)
        application = workflow.create_application(db.session.scalar(select(Procedure)),
                                                  categories(*cats), by=provider)
        fill_completely(application, provider)
        workflow.submit(application, by=provider)
        if take:
            assessment.start_review(application, by=user(ASSESSOR_1))
            assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
        if due_in is not None:
            application.decision_due = date.today() + timedelta(days=due_in)
        db.session.commit()
        return application.id, application.reference


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def test_queue_filters_search_sort_and_overdue(app):
    late_id, late_ref = _submitted(app, ("pleegzorg",), take=True, due_in=-3)
    free_id, free_ref = _submitted(app, ("leefgroepen",), take=False, due_in=20)
    client = _client(app, ASSESSOR_1)
    html = client.get("/beoordeling/").get_data(as_text=True)
    assert late_ref in html and free_ref in html
    assert 'class="overdue"' in html and "3 dagen te laat" in html
    mine = client.get("/beoordeling/?beoordelaar=mij").get_data(as_text=True)
    assert late_ref in mine and free_ref not in mine
    unassigned = client.get("/beoordeling/?beoordelaar=niemand").get_data(as_text=True)
    assert free_ref in unassigned and late_ref not in unassigned
    overdue = client.get("/beoordeling/?termijn=verlopen").get_data(as_text=True)
    assert late_ref in overdue and free_ref not in overdue
    by_category = client.get("/beoordeling/?categorie=leefgroepen").get_data(as_text=True)
    assert free_ref in by_category and late_ref not in by_category
    by_kvk = client.get("/beoordeling/?zoek=12345678").get_data(as_text=True)
    assert late_ref in by_kvk and free_ref in by_kvk
    assert "geen aanmeldingen" in client.get("/beoordeling/?zoek=Onbekend").get_data(as_text=True)
    by_days = client.get("/beoordeling/?sorteer=resterend").get_data(as_text=True)
    assert by_days.index(late_ref) < by_days.index(free_ref)
    # filters stay in the pager and tabs
    assert "beoordelaar=mij" in client.get("/beoordeling/?beoordelaar=mij").get_data(as_text=True)


def test_admin_assigns_through_the_page_and_assessors_cannot(app):
    app_id, _ = _submitted(app, take=False)
    url = f"/beoordeling/{app_id}"
    with app.app_context():
        second = user(ASSESSOR_2).id
    assessor = _client(app, ASSESSOR_1)
    assert post(assessor, url + "/toewijzen", {"assessor": str(second)}, token_from=url).status_code == 403
    admin = _client(app, ADMIN)
    page = admin.get(url).get_data(as_text=True)
    assert "Toewijzen aan" in page
    response = post(admin, url + "/toewijzen", {"assessor": str(second)}, token_from=url,
                    follow_redirects=True)
    assert "De aanmelding is toegewezen." in response.get_data(as_text=True)
    with app.app_context():
        application = db.session.get(Application, app_id)
        assert application.assessor_id == second and application.status == Status.IN_BEHANDELING


def test_verdict_by_someone_else_and_stale_form_change_nothing(app):
    app_id, _ = _submitted(app)
    url = f"/beoordeling/{app_id}"
    with app.app_context():
        ids = [r.id for r in db.session.get(Application, app_id).applicable_requirements()]
    data = {f"v{r}_outcome": "voldoet" for r in ids}
    other = _client(app, ASSESSOR_2)
    response = post(other, url + "/oordelen", data, token_from=url, follow_redirects=True)
    assert "Alleen de toegewezen beoordelaar" in response.get_data(as_text=True)

    mine = _client(app, ASSESSOR_1)
    old_version = mine.get(url).get_data(as_text=True)
    import re
    version = re.search(r'name="version" type="hidden" value="(\d+)"', old_version).group(1)
    assert post(mine, url + "/oordelen", data, token_from=url).status_code == 302
    # A form built on the old version is refused with a clear message.
    with app.app_context():
        cat = categories("pleegzorg")[0].id
    response = post(mine, url + "/besluit", {f"c{cat}_outcome": "toegelaten",
                                             f"c{cat}_motivation": "ok", "version": version},
                    token_from=url, follow_redirects=True)
    assert "Iemand anders heeft deze aanmelding intussen gewijzigd" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.IN_BEHANDELING
    # A form without its version is refused too.
    response = post(mine, url + "/besluit", {"version": ""}, token_from=url, follow_redirects=True)
    assert "Het formulier is verlopen" in response.get_data(as_text=True)


def test_request_to_complete_needs_a_requirement_and_a_question(app):
    app_id, _ = _submitted(app)
    url = f"/beoordeling/{app_id}"
    client = _client(app, ASSESSOR_1)
    response = post(client, url + "/aanvulling", {}, token_from=url)
    assert response.status_code == 422
    assert "Kies minstens één eis" in response.get_data(as_text=True)
    with app.app_context():
        a5 = requirement("A5").id
    response = post(client, url + "/aanvulling", {f"q{a5}_ask": "y", f"q{a5}_question": ""},
                    token_from=url)
    assert "schrijf de vraag aan de aanbieder" in response.get_data(as_text=True)
    response = post(client, url + "/aanvulling", {
        f"q{a5}_ask": "y", f"q{a5}_question": "Stuur het nieuwe certificaat.",
        "deadline": (date.today() - timedelta(days=1)).isoformat()}, token_from=url)
    assert "De uiterste datum moet na vandaag liggen" in response.get_data(as_text=True)
    response = post(client, url + "/aanvulling", {
        f"q{a5}_ask": "y", f"q{a5}_question": "Stuur het nieuwe certificaat."}, token_from=url,
        follow_redirects=True)
    assert "De beslistermijn staat stil" in response.get_data(as_text=True)

    # The provider sees only A5; another requirement's field posted anyway is ignored.
    provider = _client(app, PROVIDER)
    page = provider.get(f"/aanmeldingen/{app_id}").get_data(as_text=True)
    assert "Stuur het nieuwe certificaat." in page and page.count('class="req"') == 1
    with app.app_context():
        a7 = requirement("A7").id
        before = db.session.get(Application, app_id).answers_by_requirement()[a7].number_value
    post(provider, f"/aanmeldingen/{app_id}", {f"r{a7}_number": "999", "opslaan": "1"})
    with app.app_context():
        assert db.session.get(Application, app_id).answers_by_requirement()[a7].number_value == before


def test_deadlines_command_closes_expired_requests(app):
    app_id, _ = _submitted(app)
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.request_completion(application, {requirement("A5").id: "Vraag"},
                                      by=user(ASSESSOR_1),
                                      deadline=date.today() + timedelta(days=1),
                                      today=date.today() - timedelta(days=10))
        request = assessment.open_completion(application)
        request.deadline = date.today() - timedelta(days=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["deadlines", "run"])
    assert result.exit_code == 0 and "closed at their deadline: 1" in result.output
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.IN_BEHANDELING
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "completion_expired"))


def test_providers_cannot_open_assessor_pages(app):
    app_id, _ = _submitted(app)
    provider = _client(app, PROVIDER)
    assert provider.get(f"/beoordeling/{app_id}").status_code == 403
    assert provider.post(f"/beoordeling/{app_id}/goedkeuren").status_code in (400, 403)
    assert app.test_client().get(f"/beoordeling/{app_id}").status_code == 302
