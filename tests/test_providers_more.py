"""The provider's side, continued: mail with secret links stays private, the dashboard's
title and admission dates, library documents that do not fit a requirement, the deadline of
a request to complete, the wizard's counts, and the authorisation cases around them."""
import io
import re
from datetime import datetime, time, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from portal.accounts.passwords import hash_password
from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    Answer,
    Application,
    Document,
    OrgRole,
    OutboxMail,
    Role,
    Status,
    User,
)
from portal.notifications import SENSITIVE_NOTE
from portal.timeutil import today_local, utcnow
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, csrf_token, login, post, user
from tests.helpers import (
    PDF_BYTES,
    PNG_BYTES,
    fill_completely,
    requirement,
    submitted_application,
)

MEDEWERKER = "mw@delinde.example"
MW_PASSWORD = "wachtwoord-van-12"
LINK_RE = re.compile(r"https?://[^\s\"'<>]+/(?:wachtwoord-herstellen|uitnodiging|account/e-mail)/"
                     r"([A-Za-z0-9._\-]+)")




def _medewerker(app):
    """A medewerker of the demo provider's organisation, logged in."""
    with app.app_context():
        if user(MEDEWERKER) is None:
            db.session.add(User(email=MEDEWERKER, full_name="Mia Medewerker", role=Role.PROVIDER,
                                organisation=user(PROVIDER).organisation,
                                org_role=OrgRole.MEDEWERKER, password_hash=hash_password(MW_PASSWORD),
                                email_confirmed_at=utcnow()))
            db.session.commit()
    client = app.test_client()
    login(client, MEDEWERKER, MW_PASSWORD)
    return client


def _client(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _token_from_mail(smtp, to):
    """The secret token in the mail the recipient got (both its text and HTML parts)."""
    [message] = smtp.wait_find(to=to)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    tokens = {m.group(1) for m in LINK_RE.finditer(text)} | {m.group(1) for m in LINK_RE.finditer(html)}
    assert len(tokens) == 1, tokens
    return tokens.pop()


def _assert_nowhere(app, token, mail, *, colleague):
    """No page a colleague, an assessor or an administrator opens shows the token."""
    org_id = mail.organisation_id
    own_pages = {f"/organisatie/berichten/{mail.id}", f"/beheer/mails/{mail.id}",
                 f"/beheer/partners/{org_id}/mails/{mail.id}"}
    pages = {
        colleague: ["/aanbieder", "/organisatie/berichten", f"/organisatie/berichten/{mail.id}"],
        _client(app, ASSESSOR_1): [f"/beheer/partners/{org_id}",
                                   f"/beheer/partners/{org_id}/mails/{mail.id}"],
        _client(app, ADMIN): ["/beheer/mails/", f"/beheer/mails/{mail.id}",
                              f"/beheer/partners/{org_id}/mails/{mail.id}"],
    }
    for client, urls in pages.items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert token not in html, url
            if url in own_pages:  # the mail's own page: what was sent, and why not its text
                assert mail.subject in html and SENSITIVE_NOTE in html, url
    # The HTML part is not served at all (only in development without MAIL_SERVER).
    admin = _client(app, ADMIN)
    assert admin.get(f"/beheer/mails/{mail.id}/html").status_code == 404


def _mail_to(app, address, kind):
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == address,
                                                          OutboxMail.kind == kind))
        db.session.expunge(mail)
        return mail


# --------------------------------------------------------------------------- 1. secret links

def test_a_medewerker_cannot_read_the_beheerders_reset_link_on_any_page(app, smtp):
    colleague = _medewerker(app)
    smtp.clear()
    response = post(colleague, "/wachtwoord-vergeten", {"email": PROVIDER})
    assert response.status_code == 302
    token = _token_from_mail(smtp, PROVIDER)
    mail = _mail_to(app, PROVIDER, "password_reset")
    assert mail.sensitive and mail.organisation_id is not None
    listing = colleague.get("/organisatie/berichten").get_data(as_text=True)
    assert f"/organisatie/berichten/{mail.id}" in listing  # it was sent; that is all one sees
    _assert_nowhere(app, token, mail, colleague=colleague)
    # A mail without a secret link still shows its text to colleagues.
    with app.app_context():
        other = db.session.scalar(select(OutboxMail).where(
            OutboxMail.sensitive.is_(False), OutboxMail.organisation_id == mail.organisation_id))
    if other is None:
        post(_client(app, PROVIDER), "/account/wachtwoord", {
            "current_password": "demo-wachtwoord-2027", "password": "een-nieuw-wachtwoord-1",
            "password_repeat": "een-nieuw-wachtwoord-1"})
        other = _mail_to(app, PROVIDER, "password_changed")
    page = colleague.get(f"/organisatie/berichten/{other.id}").get_data(as_text=True)
    assert SENSITIVE_NOTE not in page and 'class="mail-text"' in page


def test_invitation_and_email_change_links_stay_with_their_recipients(app, smtp):
    beheerder = _client(app, PROVIDER)
    colleague = _medewerker(app)
    smtp.clear()
    invited = post(beheerder, "/organisatie/uitnodigen", {"email": "nieuw@delinde.example",
                                                          "org_role": "beheerder"})
    assert invited.status_code == 302
    token = _token_from_mail(smtp, "nieuw@delinde.example")
    mail = _mail_to(app, "nieuw@delinde.example", "invitation")
    _assert_nowhere(app, token, mail, colleague=colleague)
    # Not even the beheerder who sent it reads the link in the portal.
    assert token not in beheerder.get(f"/organisatie/berichten/{mail.id}").get_data(as_text=True)

    smtp.clear()
    changed = post(beheerder, "/account/e-mail", {"email": "anna@elders.example",
                                                  "current_password": "demo-wachtwoord-2027"})
    assert changed.status_code == 302
    token = _token_from_mail(smtp, "anna@elders.example")
    mail = _mail_to(app, "anna@elders.example", "confirm_email_change")
    _assert_nowhere(app, token, mail, colleague=colleague)
    # The links still work for whoever has the mail.
    assert app.test_client().get(f"/account/e-mail/{token}").status_code == 200


# --------------------------------------------------------------------------- 2-3. dashboard

def test_dashboard_title_is_short_and_its_headings_are_in_main(app, provider_client, draft):
    html = provider_client.get("/aanbieder").get_data(as_text=True)
    [title] = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert title.startswith("Mijn organisatie") and len(title) < 100
    assert "<" not in title and "Laatste berichten" not in title
    main = html[html.index("<main"):html.index("</main>")]
    for heading in ("Wat vraagt uw aandacht", "Toegelaten categorieën", "Aanmeldingen",
                    "Laatste berichten"):
        assert f"<h2>{heading}</h2>" in main
    assert html.count("<h2>Laatste berichten</h2>") == 1


def _admitted(categories_=("pleegzorg", "leefgroepen")):
    from tests.test_partners import _admitted as admitted

    return admitted(categories_)


def _nl(day):
    return format_date(day, "d MMMM y", locale="nl")


def test_dashboard_shows_suspension_and_planned_end_dates(app, provider_client):
    from portal.partners import workflow as partners
    from tests.test_scale import StatementCounter

    today = today_local()
    with app.app_context():
        _admitted()
        agreement = db.session.scalar(select(Agreement))
        partners.accept_agreement(agreement, by=user(PROVIDER), ip_address=None)
        db.session.commit()
        pleeg, leef = db.session.scalars(select(Admission).order_by(Admission.id)).all()
        # Admitted on an earlier day than it became active (the page shows the right one).
        # The marker day lies before today, so it never meets the suspension's or the
        # planned end's dates, whatever day the suite runs on.
        marker = today - timedelta(days=400)
        for a in (pleeg, leef):
            a.admitted_at = datetime.combine(marker, time(9, 0))
        db.session.commit()
        partners.suspend(pleeg, by=user(ADMIN), reason="Onderzoek naar een melding",
                         starts_on=today, ends_on=today + timedelta(days=30))
        planned_end = partners.end_by_partner(leef, by=user(PROVIDER), reason="Wij stoppen")
        db.session.commit()
        assert (pleeg.status, leef.status) == (AdmissionStatus.GESCHORST, AdmissionStatus.ACTIEF)
        engine = db.engine
    provider_client.get("/aanbieder")
    with StatementCounter(engine) as counter:
        html = provider_client.get("/aanbieder").get_data(as_text=True)
    assert counter.count <= 15
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert (f"Pleegzorg – geschorst sinds {_nl(today)}, tot en met "
            f"{_nl(today + timedelta(days=30))}") in text
    assert f"Leefgroepen – actief sinds {_nl(today)}; eindigt op {_nl(planned_end)}" in text
    assert _nl(marker) not in text
    # A suspension planned for later shows on the active admission, with its end.
    with app.app_context():
        pleeg = db.session.get(Admission, pleeg.id)
        partners.reinstate(pleeg, by=user(ADMIN))
        db.session.commit()
        partners.suspend(pleeg, by=user(ADMIN), reason="Verbouwing",
                         starts_on=today + timedelta(days=7))
        db.session.commit()
    text = " ".join(re.sub(r"<[^>]+>", " ", provider_client.get("/aanbieder").get_data(as_text=True)).split())
    assert (f"Pleegzorg – actief sinds {_nl(today)}; geschorst vanaf "
            f"{_nl(today + timedelta(days=7))}") in text


# --------------------------------------------------------------------------- 4. library documents

def _library_document(app, data, name, *, valid_until=None, allow_images=False):
    from werkzeug.datastructures import FileStorage

    from portal import files as storage

    with app.app_context():
        provider = user(PROVIDER)
        document = storage.store_upload(FileStorage(io.BytesIO(data), filename=name),
                                        organisation=provider.organisation, by=provider,
                                        allow_images=allow_images, valid_until=valid_until)
        db.session.commit()
        return document.id


def _answer(app, application_id, code):
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.application_id == application_id,
                                                        Answer.requirement_id == requirement(code).id))
        if answer is not None:
            db.session.expunge(answer)
        return answer


def test_an_image_from_the_library_cannot_go_to_a_pdf_only_requirement(app, provider_client, draft):
    jpeg = _library_document(app, b"\xff\xd8\xff\xe0" + b"\x00" * 40, "scan.jpg", allow_images=True)
    with app.app_context():
        a1, a7, a4 = requirement("A1").id, requirement("A7").id, requirement("A4").id
    url = f"/aanmeldingen/{draft}/stap/1"
    assert "scan.jpg (JPEG)" in provider_client.get(url).get_data(as_text=True)
    response = post(provider_client, url, {f"r{a1}_existing": str(jpeg), f"r{a7}_number": "9",
                                           "opslaan": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("Het document &#39;scan.jpg&#39; is een JPEG-bestand; bij A1 is alleen een PDF-bestand "
            "toegestaan") in html
    assert f'href="#r{a1}_existing"' in html  # in the error summary, linked to the field
    assert 'value="9"' in html
    answer = _answer(app, draft, "A1")
    assert answer is None or answer.document_id is None
    assert _answer(app, draft, "A7").number_value == 9  # the rest was saved
    # Where the requirement accepts images, the same document is fine.
    with app.app_context():
        requirement("A4").evidence_allows_images = True
        db.session.commit()
    ok = post(provider_client, url, {f"r{a4}_existing": str(jpeg), "opslaan": "1"})
    assert ok.status_code == 302
    assert _answer(app, draft, "A4").document_id == jpeg


def test_a_library_document_brings_its_validity_date_and_limits_the_answers(app, provider_client, draft):
    until = today_local() + timedelta(days=200)
    doc = _library_document(app, PDF_BYTES, "hkz.pdf", valid_until=until)
    with app.app_context():
        a5 = requirement("A5").id
    url = f"/aanmeldingen/{draft}/stap/1"
    # A later date than the document's own is refused, with the date to use.
    later = until + timedelta(days=100)
    response = post(provider_client, url, {f"r{a5}_existing": str(doc),
                                           f"r{a5}_valid_until": later.isoformat(), "opslaan": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Het gekozen document is geldig tot {until:%d-%m-%Y}" in html
    assert f'value="{later.isoformat()}"' in html  # what was entered is shown again
    answer = _answer(app, draft, "A5")
    assert answer is None or answer.document_id is None
    # Left empty: the answer takes the document's date.
    assert post(provider_client, url, {f"r{a5}_existing": str(doc), "opslaan": "1"}).status_code == 302
    answer = _answer(app, draft, "A5")
    assert (answer.document_id, answer.evidence_valid_until) == (doc, until)
    # An earlier date (the provider knows better) is kept.
    earlier = until - timedelta(days=50)
    assert post(provider_client, url, {f"r{a5}_existing": str(doc),
                                       f"r{a5}_valid_until": earlier.isoformat(),
                                       "opslaan": "1"}).status_code == 302
    assert _answer(app, draft, "A5").evidence_valid_until == earlier
    # The workflow holds the same rule for any caller.
    from portal.errors import ValidationFailed

    with app.app_context():
        application = db.session.get(Application, draft)
        with pytest.raises(ValidationFailed) as refused:
            workflow.save_answers(application, {a5: {"valid_until": later}},
                                  {a5: db.session.get(Document, doc)}, by=user(PROVIDER))
        assert refused.value.errors[0][0] == f"r{a5}_valid_until"


# --------------------------------------------------------------------------- 6. missing tests

def test_agreement_accept_refused_for_a_medewerker_and_404_for_another_organisation(app):
    from tests.test_bad_input import _other_provider

    with app.app_context():
        _admitted(("pleegzorg",))
        agreement_id = db.session.scalar(select(Agreement.id))
    url = f"/organisatie/overeenkomsten/{agreement_id}"
    colleague = _medewerker(app)
    assert "Alleen een beheerder van uw organisatie kan de overeenkomst accepteren" in \
        colleague.get(url).get_data(as_text=True)
    refused = post(colleague, url, {"agree": "y"}, follow_redirects=True)
    assert "Alleen een beheerder van uw organisatie kan dit doen." in refused.get_data(as_text=True)
    stranger = _other_provider(app)  # a beheerder, of another organisation
    assert post(stranger, url, {"agree": "y"}, token_from="/aanbieder").status_code == 404
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.accepted_at is None
        assert db.session.scalar(select(Admission.status)) == AdmissionStatus.TOEGELATEN


def test_another_organisation_cannot_post_to_a_submitted_application(app, smtp):
    from tests.test_bad_input import _other_provider

    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, "pleegzorg")
        db.session.commit()
        app_id, a7, version = application.id, requirement("A7").id, application.version
        before = _answer(app, app_id, "A7").number_value
    stranger = _other_provider(app)
    for data in ({f"r{a7}_number": "99", "opslaan": "1"},
                 {f"r{a7}_number": "99", "aanvulling_versturen": "1"}):
        response = post(stranger, f"/aanmeldingen/{app_id}", data, token_from="/aanbieder")
        assert response.status_code == 404
    with app.app_context():
        application = db.session.get(Application, app_id)
        assert (application.status, application.version) == (Status.INGEDIEND, version)
    assert _answer(app, app_id, "A7").number_value == before


def test_library_upload_of_a_non_pdf_is_refused_and_the_form_kept(app, provider_client):
    until = (today_local() + timedelta(days=90)).isoformat()
    response = post(provider_client, "/organisatie/documenten", {
        "doc_type": "Verzekeringspolis", "file": (io.BytesIO(PNG_BYTES), "polis.pdf"),
        "valid_until": until}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Het bestand &#39;polis.pdf&#39; is geen PDF-bestand. Upload een PDF-bestand." in html
    assert f'value="{until}"' in html
    assert re.search(r'<option selected value="Verzekeringspolis">'
                     r'|<option value="Verzekeringspolis" selected>', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def _completion_past_deadline(app):
    """A submitted application with a request to complete A7 whose deadline passed yesterday."""
    with app.app_context():
        provider, first = user(PROVIDER), user(ASSESSOR_1)
        application = submitted_application(provider, "pleegzorg")
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        request = assessment.request_completion(application, {requirement("A7").id: "Hoeveel SKJ?"},
                                                by=first)
        db.session.commit()
        request = workflow.open_completion(application)
        request.deadline = today_local() - timedelta(days=1)
        db.session.commit()
        return application.id, requirement("A7").id, request.deadline


def test_after_the_completion_deadline_answers_and_completion_are_refused(app, provider_client, smtp):
    app_id, a7, deadline = _completion_past_deadline(app)
    before = _answer(app, app_id, "A7").number_value
    url = f"/aanmeldingen/{app_id}"
    page = provider_client.get(url).get_data(as_text=True)
    assert 'name="aanvulling_versturen"' not in page  # read-only now
    expected = (f"De uiterste datum voor de aanvulling ({deadline:%d-%m-%Y}) is verstreken. U kunt "
                "de antwoorden niet meer wijzigen")
    smtp.clear()
    for data in ({f"r{a7}_number": "42", "opslaan": "1"},
                 {f"r{a7}_number": "42", "aanvulling_versturen": "1"}):
        response = post(provider_client, url, data, token_from="/aanbieder", follow_redirects=True)
        assert expected in response.get_data(as_text=True)
    assert _answer(app, app_id, "A7").number_value == before
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.AANVULLING_GEVRAAGD
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.kind == "completion_back")) == 0


def test_wizard_step_shows_the_open_count_and_help_text(app, provider_client, draft):
    with app.app_context():
        a7 = requirement("A7")
        a7_id, help_text = a7.id, a7.help_text

    def open_count():
        html = provider_client.get(f"/aanmeldingen/{draft}/stap/1").get_data(as_text=True)
        assert help_text in html
        shown = int(re.search(r"In de hele aanmelding zijn nog (\d+) onderdelen open", html).group(1))
        with app.app_context():
            assert shown == len(workflow.missing_items(db.session.get(Application, draft)))
        return shown

    before = open_count()
    # As a browser sends the step: the prefilled answers (the KvK number) go along.
    with app.app_context():
        prefilled = {f"r{a.requirement_id}_identifier": a.identifier_value
                     for a in db.session.get(Application, draft).answers if a.identifier_value}
    assert prefilled
    assert post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        **prefilled, f"r{a7_id}_declared": "y", f"r{a7_id}_number": "6",
        "opslaan": "1"}).status_code == 302
    assert open_count() == before - 2  # A7's declaration and number


def test_submit_of_a_stale_overview_is_refused(app, provider_client, draft, smtp):
    with app.app_context():
        application = db.session.get(Application, draft)
        fill_completely(application, user(PROVIDER))
        db.session.commit()
        a7 = requirement("A7").id
    overview = f"/aanmeldingen/{draft}/overzicht"
    html = provider_client.get(overview).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    # A colleague changes an answer after the overview was shown.
    colleague = _medewerker(app)
    assert post(colleague, f"/aanmeldingen/{draft}/stap/1", {f"r{a7}_number": "11",
                                                             "opslaan": "1"}).status_code == 302
    smtp.clear()
    response = provider_client.post(f"/aanmeldingen/{draft}/indienen", data={
        "csrf_token": csrf_token(provider_client, overview), "version": version})
    assert response.status_code == 302 and response.headers["Location"] == overview
    page = provider_client.get(overview).get_data(as_text=True)
    assert "Deze aanmelding is intussen gewijzigd. Controleer het overzicht en dien opnieuw in." in page
    assert "11" in page  # the overview now shows the colleague's answer
    with app.app_context():
        assert db.session.get(Application, draft).status == Status.CONCEPT
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.kind == "receipt")) == 0


# --- no file without its Document ---------------------------------------------------------------

def _stored_files(app):
    root = app.config["UPLOAD_DIR"]
    from pathlib import Path

    return {p for p in Path(root).rglob("*") if p.is_file()}


def test_a_file_stored_in_a_transaction_that_is_rolled_back_is_removed(app):
    from werkzeug.datastructures import FileStorage

    from portal import files as storage
    from portal.models import Organisation

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.kvk_number == "12345678"))
        before = _stored_files(app)
        kept = storage.store_upload(FileStorage(io.BytesIO(PDF_BYTES + b"%bewaard\n"),
                                                filename="bewaard.pdf"),
                                    organisation=org, by=user(PROVIDER))
        db.session.commit()
        assert storage.path_for(kept).is_file()
        dropped = storage.store_upload(FileStorage(io.BytesIO(PDF_BYTES + b"%weg\n"),
                                                   filename="weg.pdf"),
                                       organisation=org, by=user(PROVIDER))
        path = storage.path_for(dropped)
        assert path.is_file()
        db.session.rollback()
        assert not path.exists()
        assert _stored_files(app) - before == {storage.path_for(kept)}

