"""The whole admission spine through the pages, with a real SMTP server on loopback."""
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Admission, Application, MailStatus, OutboxMail, Status
from tests.conftest import ASSESSOR_1, ASSESSOR_2, login, post
from tests.helpers import categories, complete_form_data


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
        data = complete_form_data(application)
        data_again = complete_form_data(application)  # posted files are closed after use
    base = f"/aanmeldingen/{application_id}"
    assert client.get(application_url).headers["Location"] == f"{base}/stap/1"
    overview, submit = f"{base}/overzicht", f"{base}/indienen"

    # Submitting an empty application lists exactly what is missing, linking to each field.
    response = post(client, submit, token_from=overview)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="{base}/stap/2#r{k1.id}_number"' in html
    assert "U kunt nog niet indienen" in html

    # Step 1 (general requirements): saved, and coming back resumes at step 2.
    # (each step's form takes only its own fields from what is posted)
    response = post(client, f"{base}/stap/1", {**data, "volgende": "1"},
                    content_type="multipart/form-data")
    assert response.headers["Location"] == f"{base}/stap/2"
    assert client.get(application_url).headers["Location"] == f"{base}/stap/2"
    page = client.get(f"{base}/stap/2").get_data(as_text=True)
    assert "Stap 2 van 3" in page
    # Step 2 (Kleinschalige woonvormen), then the overview.
    response = post(client, f"{base}/stap/2", {**data_again, "volgende": "1"},
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
    assert post(second, detail + "/goedkeuren", token_from=detail).status_code == 302
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
