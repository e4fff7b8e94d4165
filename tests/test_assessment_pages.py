"""Assessment pages through the test client: queue filters, assignment, bad input."""
import re
from datetime import timedelta

from sqlalchemy import select

from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import Application, AuditEvent, Status
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import categories, requirement, submitted_application


def _submitted(app, cats=("pleegzorg",), take=True, due_in=None):
    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, *cats)
        if take:
            assessment.start_review(application, by=user(ASSESSOR_1))
            assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
        if due_in is not None:
            application.decision_due = today_local() + timedelta(days=due_in)
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
    # Each row: the organisation with its KvK number, the categories, the assessor or none.
    with app.app_context():
        org = user(PROVIDER).organisation
        org_name, kvk, assessor = org.name, org.kvk_number, user(ASSESSOR_1).full_name
    late_row = html[html.index(late_ref):]
    late_row = late_row[:late_row.index("</tr>")]
    free_row = html[html.index(free_ref):]
    free_row = free_row[:free_row.index("</tr>")]
    assert org_name in late_row and f"KvK {kvk}" in late_row
    assert "Pleegzorg" in late_row and assessor in late_row
    assert "Leefgroepen" in free_row and "niet toegewezen" in free_row
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
        version = db.session.get(Application, app_id).version
    data = {f"v{r}_outcome": "voldoet" for r in ids}
    other = _client(app, ASSESSOR_2)  # their page has no verdict form: a forged post
    response = post(other, url + "/oordelen", {**data, "version": version}, token_from=url,
                    follow_redirects=True)
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
        "deadline": (today_local() - timedelta(days=1)).isoformat()}, token_from=url)
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
                                      deadline=today_local() + timedelta(days=1),
                                      today=today_local() - timedelta(days=10))
        request = assessment.open_completion(application)
        request.deadline = today_local() - timedelta(days=1)
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


# --- helpers for the tests below ----------------------------------------------------------

def _other_org(app, name="Jeugdzorg Het Anker", kvk="99887766", email="anker@anker.example"):
    """A second provider organisation with a confirmed beheerder; returns the user's email."""
    from portal.accounts.workflow import register_provider
    from portal.timeutil import utcnow

    with app.app_context():
        u = register_provider(org_name=name, kvk_number=kvk, street="Haven 1", postal_code="4811AB",
                              city="Breda", contact_email=f"info@{kvk}.example", website=None,
                              full_name=name, email=email, password="wachtwoord-van-12")
        u.email_confirmed_at = utcnow()
        db.session.commit()
    return email


def _submit_for(app, email, cats, due_in=None):
    with app.app_context():
        provider = user(email)
        application = submitted_application(provider, *cats)
        if due_in is not None:
            application.decision_due = today_local() + timedelta(days=due_in)
        db.session.commit()
        return application.id, application.reference


def _all_voldoet(application, **overrides):
    from portal.models import VerdictOutcome

    out = {r.id: (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()}
    out.update(overrides)
    return out


def _proposed(app, app_id):
    from portal.models import Outcome

    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.record_verdicts(application, _all_voldoet(application), by=user(ASSESSOR_1))
        [cat] = application.categories
        assessment.propose_decision(application, {cat.id: (Outcome.TOEGELATEN,
                                    "Voldoet aan alle minimumeisen.", [])}, by=user(ASSESSOR_1))
        db.session.commit()


def _decided(app, app_id):
    _proposed(app, app_id)
    with app.app_context():
        assessment.approve_decision(db.session.get(Application, app_id), no_conflict=True,
                                    by=user(ASSESSOR_2))
        db.session.commit()


# --- conflict of interest ---------------------------------------------------------------

def test_reassigned_assessor_must_declare_before_acting_through_the_page(app):
    app_id, _ = _submitted(app)  # assessor 1 took it and declared
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.assign(application, user(ASSESSOR_2), by=user(ADMIN))
        db.session.commit()
        ids = [r.id for r in application.applicable_requirements()]
        cat = application.categories[0].id
        a5 = requirement("A5").id
    url = f"/beoordeling/{app_id}"
    second = _client(app, ASSESSOR_2)
    page = second.get(url).get_data(as_text=True)
    assert "Ik verklaar dat ik geen belangenconflict heb" in page
    for action, data in (
        ("/oordelen", {f"v{r}_outcome": "voldoet" for r in ids}),
        ("/aanvulling", {f"q{a5}_ask": "y", f"q{a5}_question": "Stuur het certificaat."}),
        ("/besluit", {f"c{cat}_outcome": "toegelaten", f"c{cat}_motivation": "Voldoet."}),
    ):
        response = post(second, url + action, data, token_from=url, follow_redirects=True)
        assert "Verklaar eerst dat u geen belangenconflict heeft met deze organisatie" in \
            response.get_data(as_text=True), action
    with app.app_context():
        application = db.session.get(Application, app_id)
        assert application.status == Status.IN_BEHANDELING
        assert assessment.verdicts_by_requirement(application) == {}
        assert assessment.completion_rounds(application) == []
    # After the declaration the same form goes through.
    post(second, url + "/belangen", {}, token_from=url)
    response = post(second, url + "/oordelen", {f"v{r}_outcome": "voldoet" for r in ids},
                    token_from=url, follow_redirects=True)
    assert "De oordelen zijn opgeslagen." in response.get_data(as_text=True)


# --- the decision clock on the pages ----------------------------------------------------

def test_a_stopped_clock_shows_as_stopped_and_is_never_overdue(app):
    stopped_id, stopped_ref = _submitted(app, ("pleegzorg",), due_in=-3)
    soon_id, soon_ref = _submitted(app, ("leefgroepen",), due_in=5)
    with app.app_context():
        application = db.session.get(Application, stopped_id)
        assessment.request_completion(application, {requirement("A5").id: "Vraag"},
                                      by=user(ASSESSOR_1))
        db.session.commit()
    client = _client(app, ASSESSOR_1)
    html = client.get("/beoordeling/").get_data(as_text=True)
    row = html[html.index(stopped_ref):].split("</tr>")[0]
    assert "klok staat stil" in row and "te laat" not in row
    assert 'class="overdue"' not in html
    assert stopped_ref not in client.get("/beoordeling/?termijn=verlopen").get_data(as_text=True)
    week = client.get("/beoordeling/?termijn=week").get_data(as_text=True)
    assert soon_ref in week and stopped_ref not in week
    detail = client.get(f"/beoordeling/{stopped_id}").get_data(as_text=True)
    assert "klok staat stil" in detail and "dagen te laat" not in detail
    assert "nog 5 dagen" in client.get(f"/beoordeling/{soon_id}").get_data(as_text=True)


def test_queue_week_filter_search_by_name_state_tabs_and_pagination(app):
    anker = _other_org(app)
    week_id, week_ref = _submitted(app, ("pleegzorg",), due_in=4)
    later_id, later_ref = _submitted(app, ("leefgroepen",), take=False, due_in=30)
    anker_id, anker_ref = _submit_for(app, anker, ("gezinshuiszorg",), due_in=10)
    client = _client(app, ASSESSOR_1)

    week = client.get("/beoordeling/?termijn=week").get_data(as_text=True)
    assert week_ref in week and later_ref not in week and anker_ref not in week
    # The start of the name (SQLite's index); PostgreSQL's trigram index finds any part.
    by_name = client.get("/beoordeling/?zoek=jeugdzorg+het").get_data(as_text=True)
    assert anker_ref in by_name and week_ref not in by_name and later_ref not in by_name
    by_kvk = client.get("/beoordeling/?zoek=99887766").get_data(as_text=True)
    assert anker_ref in by_kvk and week_ref not in by_kvk

    submitted_tab = client.get("/beoordeling/?status=ingediend").get_data(as_text=True)
    assert later_ref in submitted_tab and anker_ref in submitted_tab and week_ref not in submitted_tab
    assert 'aria-current="page">Ingediend (2)' in submitted_tab
    assert "In behandeling (1)" in submitted_tab and "Alle open (3)" in submitted_tab
    in_review = client.get("/beoordeling/?status=in_behandeling").get_data(as_text=True)
    assert week_ref in in_review and later_ref not in in_review
    _decided(app, week_id)
    decided = client.get("/beoordeling/?status=besloten").get_data(as_text=True)
    assert week_ref in decided and anker_ref not in decided and "Besloten (1)" in decided

    app.config["PAGE_SIZE"] = 1
    first = client.get("/beoordeling/?status=ingediend").get_data(as_text=True)
    assert "Pagina 1 van 2 (2 in totaal)" in first
    assert later_ref in first and anker_ref not in first  # oldest submission first
    assert 'href="/beoordeling/?pagina=2&amp;status=ingediend&amp;sorteer=ingediend" rel="next"' in first
    second = client.get("/beoordeling/?status=ingediend&pagina=2").get_data(as_text=True)
    assert anker_ref in second and later_ref not in second and 'rel="prev"' in second


# --- the decision form ---------------------------------------------------------------------

def test_rejection_prefill_ticks_the_failed_knockout_requirements_only(app):
    from portal.models import VerdictOutcome

    app_id, _ = _submitted(app)
    with app.app_context():
        application = db.session.get(Application, app_id)
        p1, a14, a5 = requirement("P1"), requirement("A14"), requirement("A5")
        a14.knockout = False  # a requirement whose failure alone is no ground for rejection
        assessment.record_verdicts(application, _all_voldoet(application) | {
            p1.id: (VerdictOutcome.VOLDOET_NIET, "Geen screening van pleegouders."),
            a14.id: (VerdictOutcome.VOLDOET_NIET, "Geen jeugdparticipatie beschreven.")},
            by=user(ASSESSOR_1))
        db.session.commit()
        cat = application.categories[0].id
        p1_id, a14_id, a5_id = p1.id, a14.id, a5.id
    html = _client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}").get_data(as_text=True)

    def box(req_id):
        [tag] = re.findall(rf'<input[^>]*name="c{cat}_failed"[^>]*value="{req_id}"[^>]*>', html)
        field_id = re.search(r'id="([^"]+)"', tag).group(1)
        label = re.search(rf'<label for="{field_id}">([^<]*)</label>', html).group(1)
        return "checked" in tag, label

    ticked, label = box(p1_id)
    assert ticked and label.startswith("P1 ")
    assert label.endswith("(knock-out-eis, beoordeeld als &#39;voldoet niet&#39;)")
    ticked, label = box(a14_id)
    assert not ticked and label.endswith("(beoordeeld als &#39;voldoet niet&#39;)")
    ticked, label = box(a5_id)
    assert not ticked and label.endswith("(knock-out-eis)")


def test_decision_without_motivation_gets_a_dutch_message_and_keeps_the_input(app):
    app_id, _ = _submitted(app)
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.record_verdicts(application, _all_voldoet(application), by=user(ASSESSOR_1))
        db.session.commit()
        cat = application.categories[0].id
    url = f"/beoordeling/{app_id}"
    client = _client(app, ASSESSOR_1)
    response = post(client, url + "/besluit", {f"c{cat}_outcome": "toegelaten",
                                               f"c{cat}_motivation": "  "}, token_from=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pleegzorg: geef een motivering." in html and 'class="error-summary"' in html
    chosen = re.search(rf'<input[^>]*id="c{cat}_outcome-0"[^>]*>', html).group(0)
    assert "checked" in chosen and 'value="toegelaten"' in chosen  # what was entered stays
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.IN_BEHANDELING


def test_the_proposer_cannot_approve_through_the_page(app):
    from portal.models import CategoryDecision, DecisionLetter

    app_id, _ = _submitted(app)
    _proposed(app, app_id)
    url = f"/beoordeling/{app_id}"
    proposer = _client(app, ASSESSOR_1)
    page = proposer.get(url).get_data(as_text=True)
    assert "U heeft dit besluit voorgesteld" in page and ">Goedkeuren</button>" not in page
    with app.app_context():  # the page has no approval form: a forged post with the version
        version = db.session.get(Application, app_id).version
    response = post(proposer, url + "/goedkeuren", {"version": version}, token_from=url,
                    follow_redirects=True)
    assert "niet door wie het voorstelde (vier-ogenprincipe)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.BESLUIT_VOORGESTELD
        assert db.session.scalar(select(CategoryDecision.approved_by_id)) is None
        assert db.session.scalar(select(db.func.count()).select_from(DecisionLetter)) == 0


# --- history ---------------------------------------------------------------------------------

def test_timeline_and_mails_are_listed_in_dutch(app):
    from portal.notifications.delivery import send_queued

    app_id, reference = _submitted(app)
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.request_completion(application, {requirement("A5").id: "Vraag"},
                                      by=user(ASSESSOR_1))
        assessment.return_completion(application, by=user(PROVIDER))
        db.session.commit()
    _decided(app, app_id)
    client = _client(app, ASSESSOR_1)
    html = client.get(f"/beoordeling/{app_id}").get_data(as_text=True)
    timeline = html[html.index('id="geschiedenis"'):]
    for label in ("Aanmelding aangemaakt", "Aanmelding ingediend", "In behandeling genomen",
                  "Verklaard geen belangenconflict te hebben", "Aanvulling gevraagd",
                  "Aanvulling ontvangen", "Oordelen vastgelegd", "Besluit voorgesteld",
                  "Besluit goedgekeurd", "(van in behandeling naar aanvulling gevraagd)",
                  "(van besluit voorgesteld naar besloten)", "de klok stond 0 dagen stil"):
        assert label in timeline, label
    with app.app_context():  # who did it: by name
        names = [user(who).full_name for who in (PROVIDER, ASSESSOR_1, ASSESSOR_2)]
    assert all(f"– {name}: " in timeline for name in names), names
    for code in ("decision approved", "review started", "decision_approved", "in_behandeling",
                 "clock stopped", "(queued)", "(sent)"):
        assert code not in timeline, code
    mails = timeline[timeline.index("Verstuurde e-mail"):]
    for subject in (f"Ontvangstbevestiging aanmelding {reference}",
                    f"Aanvulling gevraagd op uw aanmelding {reference}",
                    f"Besluit over uw aanmelding {reference}"):
        assert subject in mails, subject
    assert "(in de wachtrij)" in mails
    with app.app_context():
        send_queued()
    mails = client.get(f"/beoordeling/{app_id}").get_data(as_text=True).split("Verstuurde e-mail")[1]
    assert "(verzonden)" in mails and "(in de wachtrij)" not in mails


# --- evidence and letters for staff ------------------------------------------------------------

def _evidence_ids(app, app_id):
    with app.app_context():
        application = db.session.get(Application, app_id)
        return [a.document_id for a in application.answers if a.document_id]


def test_staff_view_pdf_evidence_inline_providers_only_download(app):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal import files as storage
    from tests.helpers import PNG_BYTES

    app_id, _ = _submitted(app)
    doc_id = _evidence_ids(app, app_id)[0]
    inline = f"/beoordeling/documenten/{doc_id}/bekijken"
    for who in (ASSESSOR_1, ADMIN):
        response = _client(app, who).get(inline)
        assert response.status_code == 200, who
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.headers["Content-Security-Policy"] == "sandbox"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data().startswith(b"%PDF-")
    page = _client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert f'href="{inline}" target="_blank" rel="noopener">Bekijken' in page
    assert f'href="/documenten/{doc_id}">Downloaden' in page

    same_org = _client(app, PROVIDER)
    download = same_org.get(f"/documenten/{doc_id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    assert same_org.get(inline).status_code == 404
    other = _other_org(app)
    stranger = app.test_client()
    login(stranger, other, "wachtwoord-van-12")
    assert stranger.get(inline).status_code == 404
    assert stranger.get(f"/documenten/{doc_id}").status_code == 404
    assert app.test_client().get(inline).status_code == 302  # log in first

    with app.app_context():  # only PDFs are shown inline
        image = storage.store_upload(FileStorage(BytesIO(PNG_BYTES), filename="foto.png"),
                                     organisation=user(PROVIDER).organisation, by=user(PROVIDER),
                                     allow_images=True)
        db.session.commit()
        image_id = image.id
    assert _client(app, ASSESSOR_1).get(f"/beoordeling/documenten/{image_id}/bekijken").status_code == 404
    assert _client(app, ASSESSOR_1).get("/beoordeling/documenten/999999/bekijken").status_code == 404


def test_staff_download_and_view_the_decision_letter(app):
    from portal.models import DecisionLetter

    app_id, reference = _submitted(app)
    _decided(app, app_id)
    with app.app_context():
        letter_doc = db.session.scalar(select(DecisionLetter.document_id))
    client = _client(app, ASSESSOR_2)
    page = client.get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert f"besluitbrief-{reference}.pdf" in page
    assert f"/beoordeling/documenten/{letter_doc}/bekijken" in page
    response = client.get(f"/documenten/{letter_doc}")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF-")
    assert f"besluitbrief-{reference}.pdf" in response.headers["Content-Disposition"]
    assert client.get(f"/beoordeling/documenten/{letter_doc}/bekijken").status_code == 200


# --- herstelbesluit: a page of its own ------------------------------------------------------

def test_herstelbesluit_has_its_own_page_with_the_decision_it_replaces(app):
    from portal.models import CategoryDecision

    app_id, reference = _submitted(app)
    _decided(app, app_id)
    with app.app_context():
        cat = db.session.get(Application, app_id).categories[0].id
    url, page = f"/beoordeling/{app_id}", f"/beoordeling/{app_id}/herstel"
    first = _client(app, ASSESSOR_1)  # declared while assessing
    detail = first.get(url).get_data(as_text=True)
    # The assessment page links to the form and builds none of its fields.
    assert f'href="{page}"' in detail and "correction_reason" not in detail
    html = first.get(page).get_data(as_text=True)
    assert f"Herstelbesluit voor {reference}" in html and "Het besluit dat u herstelt" in html
    assert "Voldoet aan alle minimumeisen." in html  # the decision it replaces, also pre-filled
    assert re.search(rf'<textarea[^>]*id="c{cat}_motivation"[^>]*>\s*Voldoet aan alle minimumeisen.', html)

    # Without a reason: 422 on the same page, with the message linked and the input kept.
    response = post(first, page, {f"c{cat}_outcome": "afgewezen",
                                  f"c{cat}_motivation": "Afgewezen: verkeerd beoordeeld."})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#correction_reason"' in html and "Leg uit welke fout dit herstelbesluit herstelt." in html
    assert "Afgewezen: verkeerd beoordeeld." in html and "Het besluit dat u herstelt" in html
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(CategoryDecision)) == 1

    response = post(first, page, {"reason": "De motivering klopte niet.",
                                  f"c{cat}_outcome": "toegelaten",
                                  f"c{cat}_motivation": "Toegelaten; nu met de juiste motivering."},
                    follow_redirects=True)
    assert "Het herstelbesluit is voorgesteld." in response.get_data(as_text=True)
    with app.app_context():
        rounds = db.session.scalars(select(CategoryDecision.round)
                                    .order_by(CategoryDecision.round)).all()
        assert rounds == [0, 1]
    # With a herstelbesluit waiting for approval, the page sends everyone back with the reason.
    for who in (first, _client(app, ASSESSOR_2)):
        response = who.get(page, follow_redirects=True)
        assert "Er staat al een herstelbesluit klaar om goed te keuren." in response.get_data(as_text=True)
        assert response.request.path == url


def test_herstelbesluit_page_asks_for_the_declaration_and_refuses_open_applications(app):
    open_id, _ = _submitted(app, ("pleegzorg",))
    decided_id, _ = _submitted(app, ("leefgroepen",))
    _decided(app, decided_id)
    other = _client(app, ADMIN)  # an assessor role who has not declared for this one
    response = other.get(f"/beoordeling/{decided_id}/herstel", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == f"/beoordeling/{decided_id}"
    assert "Verklaar eerst dat u geen belangenconflict heeft met deze organisatie" in html
    assert 'id="herstel"' in html and "Ik verklaar dat ik geen belangenconflict heb" in html
    # After the declaration, the page opens.
    response = post(other, f"/beoordeling/{decided_id}/belangen", {},
                    token_from=f"/beoordeling/{decided_id}", follow_redirects=True)
    assert "U kunt nu een herstelbesluit voorstellen." in response.get_data(as_text=True)
    assert other.get(f"/beoordeling/{decided_id}/herstel").status_code == 200
    # An application still being assessed has no herstelbesluit (GET or a forged POST).
    first = _client(app, ASSESSOR_1)
    for response in (first.get(f"/beoordeling/{open_id}/herstel", follow_redirects=True),
                     post(first, f"/beoordeling/{open_id}/herstel", {"reason": "x"},
                          token_from=f"/beoordeling/{open_id}", follow_redirects=True)):
        assert "Een herstelbesluit kan alleen op een genomen besluit volgen." in \
            response.get_data(as_text=True)
    # Providers never reach it.
    assert _client(app, PROVIDER).get(f"/beoordeling/{decided_id}/herstel").status_code in (403, 404)
