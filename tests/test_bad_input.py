"""Bad input gets a clear Dutch answer and loses nothing already entered."""
import io

from sqlalchemy import select

from portal.extensions import db
from portal.models import Answer, Application, Document, Status
from tests.conftest import ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import PDF_BYTES, PNG_BYTES, fill_completely, requirement, valid_until


def _ids(app, *codes):
    with app.app_context():
        return {c: requirement(c).id for c in codes}


def _answer(app, application_id, code):
    with app.app_context():
        return db.session.scalar(select(Answer).where(
            Answer.application_id == application_id,
            Answer.requirement_id == requirement(code).id))


def test_non_pdf_upload_is_refused_and_other_answers_are_kept(app, provider_client, draft):
    ids = _ids(app, "A9", "A10", "A14")
    url = f"/aanmeldingen/{draft}/stap/2"  # the second part of the general requirements
    response = post(provider_client, url, {
        f"r{ids['A9']}_declared": "y",
        f"r{ids['A9']}_file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "verklaring.pdf"),
        f"r{ids['A10']}_declared": "y",
        f"r{ids['A14']}_text": "Onze jongerenraad denkt mee.",
        "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is geen PDF-bestand" in html
    assert f'href="#r{ids["A9"]}_file"' in html  # linked from the error summary
    # the rest of the form was saved...
    assert _answer(app, draft, "A10").declared is True
    assert _answer(app, draft, "A14").text_value == "Onze jongerenraad denkt mee."
    assert _answer(app, draft, "A9").declared is True
    assert _answer(app, draft, "A9").document_id is None
    # ... and is shown again
    assert "Onze jongerenraad denkt mee." in html


def test_png_is_refused_where_only_pdf_is_allowed(app, provider_client, draft):
    ids = _ids(app, "A5")
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{ids['A5']}_file": (io.BytesIO(PNG_BYTES), "certificaat.png"), "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "is geen PDF-bestand" in response.get_data(as_text=True)


def test_oversized_upload_is_refused_with_the_limit_and_nothing_is_stored(app, provider_client,
                                                                        draft, tmp_path):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    ids = _ids(app, "A5", "A7")
    big = PDF_BYTES + b"0" * 5000
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{ids['A5']}_file": (io.BytesIO(big), "groot.pdf"),
        f"r{ids['A7']}_number": "3",
        "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is groter dan 2 kB" in html
    assert "maximaal 2 kB" in html  # the limit is shown before upload too
    assert _answer(app, draft, "A7").number_value == 3
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Document)) == 0
    stored = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert stored == []


def test_valid_upload_is_stored_outside_static_with_checksum_and_served_as_attachment(
        app, provider_client, draft, tmp_path):
    import hashlib

    ids = _ids(app, "A5")
    expires = valid_until()  # a year ahead, whatever day it is
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{ids['A5']}_file": (io.BytesIO(PDF_BYTES), "../../certificaat HKZ.pdf"),
        f"r{ids['A5']}_valid_until": expires.isoformat(),
        "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        doc = db.session.scalar(select(Document))
        assert doc.original_name == "certificaat HKZ.pdf"
        assert doc.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
        assert doc.content_type == "application/pdf" and doc.size_bytes == len(PDF_BYTES)
        assert doc.valid_until == expires
        path = tmp_path / "uploads" / doc.stored_name
        assert path.read_bytes() == PDF_BYTES and "certificaat" not in doc.stored_name
        doc_id = doc.id
    download = provider_client.get(f"/documenten/{doc_id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")

    # Another organisation's user gets a 404; anonymous users must log in.
    other = _other_provider(app)
    assert other.get(f"/documenten/{doc_id}").status_code == 404
    assert app.test_client().get(f"/documenten/{doc_id}").status_code == 302


def _other_provider(app):
    from portal.accounts.workflow import register_provider
    from portal.timeutil import utcnow

    with app.app_context():
        u = register_provider(org_name="Ander", kvk_number="99887766", street="s 1",
                              postal_code="1234AB", city="X", contact_email="a@ander.example",
                              website=None, full_name="Ander", email="ander@ander.example",
                              password="wachtwoord-van-12")
        u.email_confirmed_at = utcnow()
        db.session.commit()
    client = app.test_client()
    login(client, "ander@ander.example", "wachtwoord-van-12")
    return client


def test_other_organisations_application_is_404_and_unknown_id_is_404(app, draft):
    other = _other_provider(app)
    for url in (f"/aanmeldingen/{draft}", f"/aanmeldingen/{draft}/stap/1",
                f"/aanmeldingen/{draft}/overzicht", f"/aanmeldingen/{draft}/intrekken"):
        assert other.get(url).status_code == 404, url
    for url in (f"/aanmeldingen/{draft}/stap/1", f"/aanmeldingen/{draft}/indienen",
                f"/aanmeldingen/{draft}/intrekken"):
        assert post(other, url, {"opslaan": "1"}, token_from="/aanbieder").status_code == 404, url
    assert other.get("/aanmeldingen/999999").status_code == 404
    page = other.get("/aanmeldingen/999999").get_data(as_text=True)
    assert "Niet gevonden" in page


def test_malformed_numbers_dates_and_kvk_get_dutch_messages(app, provider_client, draft):
    ids = _ids(app, "A2", "A5", "A7", "A8")
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{ids['A2']}_identifier": "1234abcd",
        f"r{ids['A5']}_valid_until": "gisteren",
        f"r{ids['A7']}_number": "twaalf",
        "opslaan": "1",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Een KvK-nummer bestaat uit precies 8 cijfers" in html
    assert "Vul een heel getal in" in html
    # A8 (an amount) is on the second step of the general requirements.
    amount = post(provider_client, f"/aanmeldingen/{draft}/stap/2", {
        f"r{ids['A8']}_amount": "veel", "opslaan": "1"})
    assert amount.status_code == 422
    assert "Vul een bedrag in hele euro" in amount.get_data(as_text=True)
    assert "Not a valid" not in html
    assert "1234abcd" in html and "twaalf" in html  # the input is kept for correction
    # the saved KvK answer was not overwritten by the bad value
    assert _answer(app, draft, "A2").identifier_value == "12345678"


def test_missing_declaration_blocks_submit_with_a_link(app, provider_client, draft):
    with app.app_context():
        application = db.session.get(Application, draft)
        fill_completely(application, user(PROVIDER))
        db.session.commit()
        from tests.helpers import complete_form_data
        data = {k: v for k, v in complete_form_data(application).items() if not k.endswith("_file")}
        a9 = requirement("A9").id
    data.pop(f"r{a9}_declared")
    assert post(provider_client, f"/aanmeldingen/{draft}/stap/2",  # A9's step
                {**data, "volgende": "1"}).status_code == 302
    response = post(provider_client, f"/aanmeldingen/{draft}/indienen",
                    token_from=f"/aanmeldingen/{draft}/overzicht")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<a href="/aanmeldingen/{draft}/stap/2#r{a9}_declared">A9 Meldcode' in html
    with app.app_context():
        assert db.session.get(Application, draft).status == Status.CONCEPT


def test_form_without_csrf_token_is_refused(app, provider_client, draft):
    response = provider_client.post(f"/aanmeldingen/{draft}/stap/1", data={"opslaan": "1"})
    assert response.status_code == 400
    assert "Formulier verlopen" in response.get_data(as_text=True)


def test_assessor_cannot_see_drafts_and_provider_cannot_assess(app, provider_client, draft):
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    assert assessor.get(f"/beoordeling/{draft}").status_code == 404
    assert provider_client.get("/beoordeling/").status_code == 403
    assert provider_client.get(f"/beoordeling/{draft}").status_code == 403


def test_an_amount_comes_back_as_typed_after_an_error_elsewhere(app, provider_client, draft):
    """'2.500.000' with another field wrong: the page shows '2.500.000' again, not '2500000'."""
    ids = _ids(app, "A8", "A9")
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/2", {
        f"r{ids['A9']}_file": (io.BytesIO(b"MZ not a pdf"), "meldcode.pdf"),
        f"r{ids['A8']}_amount": "2.500.000",
        "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="2.500.000"' in html and 'value="2500000"' not in html


def test_a_nul_character_in_a_form_field_is_refused_and_nothing_is_stored(
        app, provider_client, draft):
    """PostgreSQL's text cannot hold U+0000: it was a 500 there (found by sending hostile
    values to every form). Now a 400 with a Dutch page, before any view, on either
    database; the answer saved earlier stays as it was."""
    ids = _ids(app, "A14")
    url = f"/aanmeldingen/{draft}/stap/2"
    field = f"r{ids['A14']}_text"
    assert post(provider_client, url, {field: "Onze jongerenraad.", "opslaan": "1"}
                ).status_code == 302
    response = post(provider_client, url, {field: "Onze\x00raad", "opslaan": "1"})
    assert response.status_code == 400
    assert "een nul-teken" in response.get_data(as_text=True)
    assert _answer(app, draft, "A14").text_value == "Onze jongerenraad."
    # in a field's name too
    assert post(provider_client, url, {"r\x00": "x", "opslaan": "1"}).status_code == 400


def test_a_nul_character_in_a_search_is_refused_with_a_message(app):
    client = app.test_client()
    login(client, ASSESSOR_1)
    response = client.get("/beoordeling/", query_string={"zoek": "Aan\x00bieder"})
    assert response.status_code == 400
    assert "een nul-teken" in response.get_data(as_text=True)
    assert client.get("/beoordeling/", query_string={"zoek": "Aanbieder"}).status_code == 200


def test_an_uploaded_file_may_hold_nul_bytes(app, provider_client, draft):
    """Only text fields are checked: a file's content is binary (a PDF with NUL bytes)."""
    ids = _ids(app, "A5")
    content = PDF_BYTES.replace(b"<<>>", b"<< /Data (\x00\x00) >>", 1)
    response = post(provider_client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{ids['A5']}_file": (io.BytesIO(content), "certificaat.pdf"),
        f"r{ids['A5']}_valid_until": valid_until().isoformat(),
        "opslaan": "1",
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Document)).size_bytes == len(content)
