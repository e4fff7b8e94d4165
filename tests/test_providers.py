"""The provider's side: wizard details, document library, dashboard, roles, uploads."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.passwords import hash_password
from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.errors import NotPermitted
from portal.extensions import db
from portal.models import Answer, Application, Document, OrgRole, Procedure, Role, Status, User
from portal.timeutil import today_local, utcnow
from tests.conftest import ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import PDF_BYTES, categories, fill_completely, requirement


def _medewerker(app):
    with app.app_context():
        org = user(PROVIDER).organisation
        db.session.add(User(email="mw@delinde.example", full_name="Mia Medewerker",
                            role=Role.PROVIDER, organisation=org, org_role=OrgRole.MEDEWERKER,
                            password_hash=hash_password("wachtwoord-van-12"),
                            email_confirmed_at=utcnow()))
        db.session.commit()
    client = app.test_client()
    login(client, "mw@delinde.example", "wachtwoord-van-12")
    return client


def test_medewerker_prepares_but_cannot_submit_or_withdraw(app, draft):
    client = _medewerker(app)
    with app.app_context():
        a7 = requirement("A7").id
    assert post(client, f"/aanmeldingen/{draft}/stap/1", {f"r{a7}_number": "7",
                                                          "opslaan": "1"}).status_code == 302
    overview = client.get(f"/aanmeldingen/{draft}/overzicht").get_data(as_text=True)
    assert "Alleen een beheerder van uw organisatie kan de aanmelding indienen" in overview
    with app.app_context():
        application = db.session.get(Application, draft)
        fill_completely(application, user(PROVIDER))
        db.session.commit()
    response = post(client, f"/aanmeldingen/{draft}/indienen", token_from=f"/aanmeldingen/{draft}/overzicht",
                    follow_redirects=True)
    assert ("Alleen een beheerder van uw organisatie kan een aanmelding indienen"
            in response.get_data(as_text=True))
    response = post(client, f"/aanmeldingen/{draft}/intrekken", {}, follow_redirects=True)
    assert ("Alleen een beheerder van uw organisatie kan een aanmelding intrekken"
            in response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Application, draft).status == Status.CONCEPT
        with pytest.raises(NotPermitted):
            workflow.submit(db.session.get(Application, draft), by=user("mw@delinde.example"))


def test_two_tabs_the_stale_one_is_refused_and_its_input_kept(app, provider_client, draft):
    with app.app_context():
        a7 = requirement("A7").id
    url = f"/aanmeldingen/{draft}/stap/1"
    tab_a = provider_client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', tab_a).group(1)
    assert post(provider_client, url, {f"r{a7}_number": "10", "opslaan": "1"}).status_code == 302
    response = post(provider_client, url, {f"r{a7}_number": "20", "opslaan": "1", "version": version})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "intussen gewijzigd" in html and 'value="20"' in html
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.application_id == draft,
                                                        Answer.requirement_id == a7))
        assert answer.number_value == 10


def test_library_upload_attach_and_expired_documents(app, provider_client, draft):
    response = post(provider_client, "/organisatie/documenten", {
        "doc_type": "Kwaliteitscertificaat", "file": (io.BytesIO(PDF_BYTES), "hkz.pdf"),
        "valid_until": (today_local() + timedelta(days=300)).isoformat()},
        content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "staat in uw documentenbibliotheek" in html and "hkz.pdf" in html
    # No file, and a file that is not a PDF: clear messages.
    empty = post(provider_client, "/organisatie/documenten", {"doc_type": "Overig"})
    assert empty.status_code == 422 and "Kies een bestand" in empty.get_data(as_text=True)
    with app.app_context():
        doc = db.session.scalar(select(Document))
        expired = Document(organisation_id=doc.organisation_id, doc_type="Verzekeringspolis",
                           original_name="oude-polis.pdf", stored_name="xx/oud",
                           content_type="application/pdf",
                           size_bytes=10, sha256="0" * 64, valid_until=today_local() - timedelta(days=1),
                           uploaded_by_id=doc.uploaded_by_id)
        db.session.add(expired)
        db.session.commit()
        doc_id, expired_id, a5 = doc.id, expired.id, requirement("A5").id
    step = provider_client.get(f"/aanmeldingen/{draft}/stap/1").get_data(as_text=True)
    assert "hkz.pdf" in step and "oude-polis.pdf" not in step
    # Attach the library document instead of uploading again.
    assert post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{a5}_existing": str(doc_id),
        f"r{a5}_valid_until": (today_local() + timedelta(days=300)).isoformat(),
        "opslaan": "1"}).status_code == 302
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.application_id == draft,
                                                        Answer.requirement_id == a5))
        assert answer.document_id == doc_id
    # An expired (or someone else's) document cannot be attached.
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{a5}_existing": str(expired_id), "opslaan": "1"})
    assert response.status_code == 422
    assert "het is verlopen of hoort niet bij uw organisatie" in response.get_data(as_text=True)


def test_the_same_file_is_stored_once_and_bad_files_are_refused(app, provider_client, draft, tmp_path):
    with app.app_context():
        a1, a9 = requirement("A1").id, requirement("A9").id
    url = f"/aanmeldingen/{draft}/stap/1"
    post(provider_client, url, {f"r{a1}_file": (io.BytesIO(PDF_BYTES), "verklaring.pdf"),
                                f"r{a9}_file": (io.BytesIO(PDF_BYTES), "meldcode.pdf"), "opslaan": "1"},
         content_type="multipart/form-data")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    assert len([p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]) == 1
    response = post(provider_client, url, {f"r{a1}_file": (io.BytesIO(b""), "leeg.pdf"), "opslaan": "1"},
                    content_type="multipart/form-data")
    assert response.status_code == 422 and "is leeg" in response.get_data(as_text=True)
    response = post(provider_client, url, {
        f"r{a1}_file": (io.BytesIO(PDF_BYTES + b"x"), "..\\\\..\\\\evil\x07\x1bname.pdf"), "opslaan": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        names = set(db.session.scalars(select(Document.original_name)))
        assert "evilname.pdf" in names


def test_dashboard_shows_what_needs_action_and_the_messages(app, provider_client, draft, smtp):
    with app.app_context():
        provider = user(PROVIDER)
        other = workflow.create_application(db.session.scalar(select(Procedure)),
                                            categories("leefgroepen"), by=provider)
        fill_completely(other, provider)
        workflow.submit(other, by=provider)
        assessment.start_review(other, by=user(ASSESSOR_1))
        assessment.declare_no_conflict(other, by=user(ASSESSOR_1))
        assessment.request_completion(other, {requirement("L1").id: "Beschrijf de nachtdienst."},
                                      by=user(ASSESSOR_1))
        soon = db.session.scalar(select(Document).order_by(Document.id))
        soon.valid_until = today_local() + timedelta(days=20)
        db.session.commit()
        reference, soon_name = other.reference, soon.original_name
    html = provider_client.get("/aanbieder").get_data(as_text=True)
    assert f"De regio vraagt u aanmelding {reference} aan te vullen" in html
    assert "Uw concept-aanmelding van" in html and "is nog niet ingediend" in html
    assert f'href="/aanmeldingen/{draft}' in html and "Concept #" not in html  # no bare row numbers
    assert re.search(rf"Document (&#39;|'){re.escape(soon_name)}(&#39;|') is geldig tot", html)
    assert "Aanvulling gevraagd op uw aanmelding" in html  # the message list
    messages = provider_client.get("/organisatie/berichten").get_data(as_text=True)
    assert "Aanvulling gevraagd op uw aanmelding" in messages and PROVIDER in messages
    mail_id = re.search(r"/organisatie/berichten/(\d+)", messages).group(1)
    page = provider_client.get(f"/organisatie/berichten/{mail_id}").get_data(as_text=True)
    assert "Beschrijf de nachtdienst." in page
    # Another organisation's user gets a 404 for this message and these documents.
    from tests.test_bad_input import _other_provider
    stranger = _other_provider(app)
    assert stranger.get(f"/organisatie/berichten/{mail_id}").status_code == 404
    assert "Beschrijf de nachtdienst." not in stranger.get("/organisatie/berichten").get_data(as_text=True)
    assert soon_name not in stranger.get("/organisatie/documenten").get_data(as_text=True)


def test_images_only_where_the_requirement_allows_them(ctx):
    from werkzeug.datastructures import FileStorage

    from portal import files as storage
    from tests.helpers import PNG_BYTES

    provider = user(PROVIDER)
    org = provider.organisation
    png = FileStorage(io.BytesIO(PNG_BYTES), filename="foto.png")
    with pytest.raises(storage.UploadError, match="geen PDF-bestand"):
        storage.store_upload(png, organisation=org, by=provider)
    jpeg = FileStorage(io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 32), filename="scan.jpg")
    document = storage.store_upload(jpeg, organisation=org, by=provider, allow_images=True)
    assert document.content_type == "image/jpeg"
    renamed = FileStorage(io.BytesIO(b"GIF89a" + b"\x00" * 32), filename="echt.pdf")
    with pytest.raises(storage.UploadError, match="geen PDF, JPEG of PNG-bestand"):
        storage.store_upload(renamed, organisation=org, by=provider, allow_images=True)
