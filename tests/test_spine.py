"""The whole admission spine through the pages, with a real SMTP server on loopback."""
import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Admission,
    Answer,
    Application,
    CatalogueVersion,
    Document,
    MailStatus,
    OutboxMail,
    Requirement,
    Status,
)
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER, login, make_app, post
from tests.helpers import PDF_BYTES, categories, complete_form_data


def _mail_link(message, pattern):
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def _latest_application(app):
    with app.app_context():
        application = db.session.scalar(select(Application).order_by(Application.id.desc()))
        return application.id


def test_register_confirm_apply_decide_register(app, client, smtp):
    # 1. Registration: organisation plus first user; a confirmation mail arrives.
    response = post(client, "/registreren", {
        "org_name": "Stichting Kleinschalig Wonen Oosterhout",
        "kvk_number": "87654321",
        "street": "Markt 5",
        "postal_code": "4901 ab",
        "city": "Oosterhout",
        "contact_email": "info@kwo.example",
        "full_name": "Eva Smit",
        "email": "Eva@KWO.example",
        "password": "een-lang-wachtwoord",
        "password_repeat": "een-lang-wachtwoord",
        "accept_terms": "y",
    })
    assert response.status_code == 200
    assert "Bevestig uw e-mailadres" in response.get_data(as_text=True)
    [confirm_mail] = smtp.wait_for(1)
    assert confirm_mail["To"] == "eva@kwo.example"
    assert confirm_mail.get_body(preferencelist=("html",)) is not None

    # 2. Login is refused until the address is confirmed.
    response = post(client, "/inloggen", {"email": "eva@kwo.example", "password": "een-lang-wachtwoord"})
    assert response.status_code == 200
    assert "nog niet bevestigd" in response.get_data(as_text=True)

    link = _mail_link(confirm_mail, r"http://localhost/bevestigen/\S+")
    response = client.get(link.replace("http://localhost", ""))
    assert response.status_code == 302
    login(client, "eva@kwo.example", "een-lang-wachtwoord")

    # 3. A new application for one category; draft saved and resumed.
    with app.app_context():
        kleinschalig_id = categories("kleinschalige-woonvormen")[0].id
    response = post(client, "/aanmeldingen/nieuw", {"categories": str(kleinschalig_id)})
    assert response.status_code == 302
    application_url = response.headers["Location"]
    application_id = _latest_application(app)

    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == Status.CONCEPT
        k1 = next(r for r in application.applicable_requirements() if r.code == "K1")
        data, data_again, data_last = (  # posted files are closed after use
            complete_form_data(application) for _ in range(3))
    base = f"/aanmeldingen/{application_id}"
    assert client.get(application_url).headers["Location"] == f"{base}/stap/1"
    overview, submit = f"{base}/overzicht", f"{base}/indienen"

    # Submitting an empty application lists exactly what is missing, linking to each field.
    response = post(client, submit, token_from=overview)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="{base}/stap/3#r{k1.id}_number"' in html
    assert "U kunt nog niet indienen" in html

    # Step 1 (general requirements, first part): saved, and coming back resumes at step 2.
    # (each step's form takes only its own fields from what is posted)
    response = post(client, f"{base}/stap/1", {**data, "volgende": "1"},
                    content_type="multipart/form-data")
    assert response.headers["Location"] == f"{base}/stap/2"
    assert client.get(application_url).headers["Location"] == f"{base}/stap/2"
    page = client.get(f"{base}/stap/2").get_data(as_text=True)
    assert "Stap 2 van 4: Algemene eisen (deel 2 van 2)" in page
    response = post(client, f"{base}/stap/2", {**data_again, "volgende": "1"},
                    content_type="multipart/form-data")
    # Step 3 (Kleinschalige woonvormen), then the overview.
    response = post(client, f"{base}/stap/3", {**data_last, "volgende": "1"},
                    content_type="multipart/form-data")
    assert response.headers["Location"] == overview
    html = client.get(overview).get_data(as_text=True)
    assert "Alle eisen zijn ingevuld" in html and "Jongeren denken mee" in html
    response = post(client, submit, token_from=overview)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == Status.INGEDIEND
        reference = application.reference
    assert reference.startswith("WMB-")
    receipts = smtp.find(subject_contains="Ontvangstbevestiging")
    assert {m["To"] for m in receipts} == {"eva@kwo.example", "info@kwo.example"}
    assert reference in receipts[0].get_body(preferencelist=("plain",)).get_content()

    # A second submit is refused with a clear message; nothing changes.
    response = post(client, submit, token_from="/aanbieder", follow_redirects=True)
    assert "Deze aanmelding is al ingediend" in response.get_data(as_text=True)
    response = post(client, f"{base}/stap/1", {"opslaan": "1"}, token_from="/aanbieder",
                    follow_redirects=True)
    assert "kan niet meer worden gewijzigd" in response.get_data(as_text=True)
    assert len(smtp.find(subject_contains="Ontvangstbevestiging")) == 2

    # 4. Assessor 1 finds it in the queue, takes it, records verdicts, proposes.
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    queue = assessor.get("/beoordeling/").get_data(as_text=True)
    assert reference in queue
    detail = f"/beoordeling/{application_id}"
    assert post(assessor, detail + "/in-behandeling", token_from=detail).status_code == 302
    # Before the first verdict, the assessor declares having no conflict of interest.
    assert "geen belangenconflict" in assessor.get(detail).get_data(as_text=True)
    assert post(assessor, detail + "/belangen", token_from=detail).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        verdicts = {}
        for req in application.applicable_requirements():
            verdicts[f"v{req.id}_outcome"] = "voldoet"
            verdicts[f"v{req.id}_reason"] = ""
    assert post(assessor, detail + "/oordelen", verdicts, token_from=detail).status_code == 302
    response = post(assessor, detail + "/besluit", {
        f"c{kleinschalig_id}_outcome": "toegelaten",
        f"c{kleinschalig_id}_motivation": "Voldoet aan alle minimumeisen.",
    }, token_from=detail)
    assert response.status_code == 302, response.get_data(as_text=True)

    # The proposer cannot approve their own proposal (four eyes).
    response = post(assessor, detail + "/goedkeuren", token_from=detail, follow_redirects=True)
    assert "tweede beoordelaar" in response.get_data(as_text=True)
    assert smtp.find(subject_contains="Besluit") == []

    # 5. Assessor 2 approves: final, mail sent, admission made.
    second = app.test_client()
    login(second, ASSESSOR_2)
    # The second assessor decides too: approving without declaring no conflict is refused.
    refused = post(second, detail + "/goedkeuren", token_from=detail)
    assert refused.status_code == 422
    assert "Verklaar dat u geen belangenconflict heeft" in refused.get_data(as_text=True)
    assert smtp.find(subject_contains="Besluit") == []
    assert post(second, detail + "/goedkeuren", {"no_conflict": "y"}, token_from=detail).status_code == 302
    decision_mails = smtp.find(subject_contains="Besluit")
    assert {m["To"] for m in decision_mails} == {"eva@kwo.example", "info@kwo.example"}
    text = decision_mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "Kleinschalige woonvormen: TOEGELATEN" in text
    assert "Voldoet aan alle minimumeisen." in text
    with app.app_context():
        assert db.session.scalar(
            select(Admission).where(Admission.application_id == application_id)) is not None
        # Every mail was delivered, exactly once.
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.status != MailStatus.SENT)) == 0
    # confirmation, 2 receipts, 2 decisions, 2 requests to accept the agreement
    assert len(smtp.messages) == 7
    offers = smtp.find(subject_contains="Deelnemersovereenkomst")
    assert {m["To"] for m in offers} == {"eva@kwo.example", "info@kwo.example"}
    assert [a.get_filename() for a in offers[0].iter_attachments()][0].startswith(
        "deelnemersovereenkomst-")

    # 6. The provider sees the decision and the admission; the public register lists it.
    page = client.get(application_url).get_data(as_text=True)
    assert "Voldoet aan alle minimumeisen." in page and "toegelaten" in page
    dashboard = client.get("/aanbieder").get_data(as_text=True)
    assert "Kleinschalige woonvormen" in dashboard and "sinds" in dashboard
    register = app.test_client().get("/register?categorie=kleinschalige-woonvormen")
    assert "Stichting Kleinschalig Wonen Oosterhout" in register.get_data(as_text=True)


def test_more_than_one_category_through_the_pages(app, provider_client, smtp):
    """A provider chooses Pleegzorg and Leefgroepen on the page: the application asks the
    general requirements plus those of both categories (and nothing of the others), one
    step per category, and is submitted for both."""
    client = provider_client
    with app.app_context():
        pleeg, leef = categories("pleegzorg", "leefgroepen")
        chosen = {pleeg.id, leef.id}
        version = db.session.scalar(select(CatalogueVersion).where(
            CatalogueVersion.published_at.is_not(None)).order_by(CatalogueVersion.number.desc()))
        every = db.session.scalars(select(Requirement).where(
            Requirement.version_id == version.id)).all()
        expected = {r.id for r in every if r.is_general or {c.id for c in r.categories} & chosen}
        expected_codes = {r.code for r in every if r.id in expected}
    # The catalogue's own split: general A1-A14, P1-P2 for Pleegzorg, L1 for Leefgroepen.
    assert expected_codes == {f"A{i}" for i in range(1, 15)} | {"P1", "P2", "L1"}

    page = client.get("/aanmeldingen/nieuw").get_data(as_text=True)
    assert f'value="{pleeg.id}"' in page and f'value="{leef.id}"' in page
    response = post(client, "/aanmeldingen/nieuw", {"categories": [str(pleeg.id), str(leef.id)]})
    assert response.status_code == 302
    application_id = _latest_application(app)
    base = f"/aanmeldingen/{application_id}"
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert {c.id for c in application.categories} == chosen
        assert {r.id for r in application.applicable_requirements()} == expected
        data = [complete_form_data(application) for _ in range(4)]

    # Four steps: general (in two parts of at most 7), Pleegzorg, Leefgroepen; together they
    # ask exactly the expected set.
    asked, titles = set(), []
    for n in (1, 2, 3, 4):
        html = client.get(f"{base}/stap/{n}").get_data(as_text=True)
        assert f"Stap {n} van 5" in html
        titles.append(re.search(r"<h2>([^<]+)</h2>", html).group(1))
        on_page = {int(i) for i in re.findall(r'name="r(\d+)_', html)}
        assert not on_page & asked  # each requirement on one step only
        asked |= on_page
    assert asked == expected
    assert titles == ["Algemene eisen (deel 1 van 2)", "Algemene eisen (deel 2 van 2)",
                      "Eisen voor Pleegzorg", "Eisen voor Leefgroepen"]
    assert client.get(f"{base}/stap/5").status_code == 404

    for n, step_data in enumerate(data, start=1):
        response = post(client, f"{base}/stap/{n}", {**step_data, "volgende": "1"},
                        content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"{base}/overzicht"
    response = post(client, f"{base}/indienen", token_from=f"{base}/overzicht")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == Status.INGEDIEND
        assert {c.id for c in application.categories} == chosen
        assert {a.requirement_id for a in application.answers} >= expected
    receipt = smtp.find(subject_contains="Ontvangstbevestiging")[0]
    assert "Categorieën: Pleegzorg, Leefgroepen" in receipt.get_body(
        preferencelist=("plain",)).get_content()


def test_a_request_over_the_size_limit_gets_the_dutch_413_page_and_keeps_the_draft(
        database_url, tmp_path, smtp):
    """MAX_CONTENT_LENGTH made small: a step posted with too big a file is refused as a
    whole with the Dutch 413 page (the limits, a link back to the page it came from, or
    to the dashboard), and the answers saved before are exactly as they were."""
    app = make_app(database_url, tmp_path / "uploads", smtp,
                   MAX_CONTENT_LENGTH=200 * 1024, UPLOAD_MAX_BYTES=100 * 1024)
    client = app.test_client()
    login(client, PROVIDER)
    with app.app_context():
        pleegzorg = categories("pleegzorg")[0].id
    post(client, "/aanmeldingen/nieuw", {"categories": str(pleegzorg)})
    application_id = _latest_application(app)
    step = f"/aanmeldingen/{application_id}/stap/1"
    with app.app_context():
        application = db.session.get(Application, application_id)
        data = complete_form_data(application)
        a7 = next(r for r in application.applicable_requirements() if r.code == "A7")
        a5 = next(r for r in application.applicable_requirements() if r.code == "A5")
    assert post(client, step, {**data, "opslaan": "1"},
                content_type="multipart/form-data").status_code == 302

    def snapshot():
        with app.app_context():
            answers = db.session.scalars(select(Answer).where(
                Answer.application_id == application_id).order_by(Answer.requirement_id)).all()
            return ([(a.requirement_id, a.declared, a.identifier_value, a.number_value,
                      a.amount_value, a.text_value, a.evidence_valid_until, a.document_id)
                     for a in answers],
                    db.session.scalar(select(func.count(Document.id))))

    before = snapshot()
    assert any(row[0] == a7.id and row[3] is not None for row in before[0])
    stored = sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file())

    too_big = PDF_BYTES + b"0" * (300 * 1024)
    changed = {f"r{a7.id}_number": "99", f"r{a7.id}_declared": "y",
               f"r{a5.id}_file": (io.BytesIO(too_big), "groot.pdf"),
               f"r{a5.id}_valid_until": "2030-01-01", "opslaan": "1"}
    response = post(client, step, changed, content_type="multipart/form-data",
                    headers={"Referer": f"http://localhost{step}"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<h1>Bestand te groot</h1>" in html
    assert "Eén bestand mag maximaal 100 kB zijn." in html
    assert "samen maximaal 200 kB zijn." in html
    assert f'<a href="{step}">Terug naar de pagina waar u was</a>' in html
    assert snapshot() == before
    assert sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()) == stored

    # From another site, or without a Referer: the link leads to the provider's dashboard.
    for headers in ({"Referer": f"https://elders.example{step}"}, {}):
        response = post(client, step, {**changed, f"r{a5.id}_file": (io.BytesIO(too_big), "g.pdf")},
                        content_type="multipart/form-data", headers=headers)
        assert response.status_code == 413
        assert '<a href="/aanbieder">Naar uw startpagina</a>' in response.get_data(as_text=True)
    assert snapshot() == before
    # The draft still opens with what was saved.
    page = client.get(step).get_data(as_text=True)
    assert f'name="r{a7.id}_number"' in page and 'value="99"' not in page
    with app.app_context():
        db.engine.dispose()
