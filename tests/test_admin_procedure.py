"""Region administration of the procedure: settings, open/closed, public documents,
categories, products and tariffs (P×Q) with indexation; bad input; access; the public page."""
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.applications import workflow
from portal.errors import DomainError, NotPermitted, ValidationFailed
from portal.extensions import db
from portal.models import (
    Application,
    AuditEvent,
    Category,
    Document,
    Procedure,
    Product,
    Tariff,
)
from portal.partners.models import Admission, AdmissionStatus
from portal.procedure import settings as ops
from portal.procedure.models import ProcedureDocument
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, csrf_token, login, post, user
from tests.helpers import PDF_BYTES, PNG_BYTES, categories
from tests.test_scale import MAX_STATEMENTS, StatementCounter

# The public page shows the tariffs of "this year"; tests fix the day so that they do not
# depend on when they run (the term runs 2027 - 2031).
TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ops, "today_local", lambda: TODAY)


# --- helpers -----------------------------------------------------------------------------------

def _client(app, who=ADMIN):
    client = app.test_client()
    login(client, who)
    return client


def _text(response):
    return response.get_data(as_text=True)


def _procedure():
    return db.session.scalar(select(Procedure))


def _product(code):
    return db.session.scalar(select(Product).where(Product.code == code))


def _category(code):
    return db.session.scalar(select(Category).where(Category.code == code))


def _tariff(code, year):
    return db.session.scalar(select(Tariff).join(Product).where(Product.code == code,
                                                                Tariff.year == year))


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def _settings_data(**overrides):
    data = {
        "name": "Open house Wonen met begeleiding",
        "reference": "",
        "description": "Toelatingsprocedure voor jeugdhulpaanbieders.",
        "term_start": "2027-01-01",
        "term_end": "2031-12-31",
        "extension_options": "2",
        "extension_months": "12",
        "decision_period_weeks": "8",
        "completion_working_days": "10",
        "notice_months": "3",
    }
    data.update(overrides)
    return data


def _admit(app, category_code="pleegzorg"):
    """An admission of the demo provider (made directly; how it came about does not matter)."""
    with app.app_context():
        provider = user(PROVIDER)
        application = workflow.create_application(_procedure(), categories(category_code),
                                                  by=provider)
        admission = Admission(organisation_id=provider.organisation_id,
                              category_id=_category(category_code).id,
                              application_id=application.id, status=AdmissionStatus.ACTIEF)
        db.session.add(admission)
        db.session.commit()
        return admission.id


def _price_field(code):
    return f"p{_product(code).id}"


def _set_prices(app, year, prices, publish=False):
    """Prices through the operation: {code: text}."""
    with app.app_context():
        admin = user(ADMIN)
        procedure = _procedure()
        ops.set_prices(procedure, year, {_product(c).id: p for c, p in prices.items()}, by=admin)
        if publish:
            ops.publish_tariffs(procedure, year, by=admin)
        db.session.commit()


SEEDED = {"44A06": "123,45", "44A07": "1.234,56", "44A08": "99.99"}


# --- money ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1.234,56", "1234.56"), ("1234.56", "1234.56"), ("1234,56", "1234.56"),
    ("€ 1.234,56", "1234.56"), ("125,-", "125.00"), ("125", "125.00"), ("0,5", "0.50"),
    ("1,234.56", "1234.56"), ("1.234.567,89", "1234567.89"), (" 98,7 ", "98.70"),
])
def test_prices_in_dutch_and_international_notation_are_exact(text, expected):
    price = ops.parse_price(text)
    assert isinstance(price, Decimal)
    assert price == Decimal(expected) and str(price) == expected


@pytest.mark.parametrize("text, message", [
    ("12,345", "hoogstens twee cijfers achter de komma"),
    ("123.456", "hoogstens twee cijfers achter de komma"),
    ("0,001", "hoogstens twee cijfers achter de komma"),
    ("-5", "kan niet negatief zijn"),
    ("-0,01", "kan niet negatief zijn"),
    ("twaalf", "Vul een bedrag in euro's in"),
    ("1.23.4", "Vul een bedrag in euro's in"),
    ("", "Vul een tarief in"),
    ("100000000", "hoogstens € 99.999.999,99"),
])
def test_bad_prices_are_refused_in_dutch(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ops.parse_price(text)


def test_decimal_prices_with_more_than_cents_and_floats_are_refused():
    assert ops.parse_price(Decimal("1.50")) == Decimal("1.50")
    assert ops.parse_price(Decimal("1.500")) == Decimal("1.50")  # the same amount
    with pytest.raises(ValueError, match="twee cijfers"):
        ops.parse_price(Decimal("1.005"))
    with pytest.raises(ValueError, match="negatief"):
        ops.parse_price(Decimal("-1"))
    with pytest.raises(TypeError):
        ops.parse_price(1.5)


def test_indexation_is_exact_to_the_cent_and_rounds_half_up():
    assert ops.indexed(Decimal("123.45"), ops.parse_percentage("3,7")) == Decimal("128.02")
    assert ops.indexed(Decimal("123.45"), Decimal("3.7")) == Decimal("128.02")
    # 10.00 * 1.0025 = 10.025: half-up gives 10.03 (bankers' rounding would give 10.02).
    assert ops.indexed(Decimal("10.00"), Decimal("0.25")) == Decimal("10.03")
    assert ops.indexed(Decimal("0.10"), Decimal("-50")) == Decimal("0.05")
    # A float would make 1.15 * 1.1 = 1.2649999...; Decimal does not.
    assert ops.indexed(Decimal("1.15"), Decimal("10")) == Decimal("1.27")
    for bad, message in (("3,755", "hoogstens twee cijfers"), ("101", "tussen -50 en 100"),
                         ("veel", "Vul een percentage in")):
        with pytest.raises(ValueError, match=message):
            ops.parse_percentage(bad)


# --- procedure settings ------------------------------------------------------------------------------

@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_settings_change_is_saved_and_audited_with_old_and_new_values(app):
    client = _client(app)
    page = _text(client.get("/beheer/procedure"))
    assert "Procedure beheren" in page and 'value="8"' in page
    assert "31 december 2031" in page and "2 van 2 (elk 12 maanden)" in page
    response = post(client, "/beheer/procedure", _settings_data(
        name="Open house Wonen met begeleiding 2027", reference="WBO-2026-WMB",
        decision_period_weeks="6", completion_working_days="15", notice_months="6",
        extension_options="3", extension_months="6"))
    assert response.status_code == 302, _text(response)[:3000]
    with app.app_context():
        procedure = _procedure()
        assert procedure.name == "Open house Wonen met begeleiding 2027"
        assert procedure.reference == "WBO-2026-WMB"
        assert (procedure.decision_period_weeks, procedure.completion_working_days,
                procedure.notice_months) == (6, 15, 6)
        assert (procedure.extension_options, procedure.extension_months) == (3, 6)
        details = {e.detail for e in _events("setting_changed")}
        assert 'decision_period_weeks: 8 -> 6' in details
        assert 'name: "Open house Wonen met begeleiding" -> ' \
               '"Open house Wonen met begeleiding 2027"' in details
        assert "reference: (leeg) -> \"WBO-2026-WMB\"" in details
        assert all(e.actor.email == ADMIN for e in _events("setting_changed"))
        assert len(_events("setting_changed")) == 8  # description too
    page = _text(client.get("/beheer/procedure"))
    assert "De instellingen zijn opgeslagen." in page
    assert "decision_period_weeks: 8 -&gt; 6" in page  # the history on the page
    assert "Instelling gewijzigd" in page
    home = _text(app.test_client().get("/"))
    assert "Open house Wonen met begeleiding 2027" in home and "WBO-2026-WMB" in home
    assert "6 weken na indienen" in home
    # The term end moved only with the new options: 2031 + 3 x 6 months.
    assert "uiterlijk tot en met 30 juni 2033" in home


def test_saving_unchanged_settings_records_nothing(app):
    client = _client(app)
    with app.app_context():
        description = _procedure().description
    response = post(client, "/beheer/procedure", _settings_data(description=description))
    assert response.status_code == 302
    assert "Er was niets gewijzigd." in _text(client.get("/beheer/procedure"))
    with app.app_context():
        assert _events("setting_changed") == []


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_bad_settings_are_refused_in_dutch_and_keep_the_input(app):
    client = _client(app)
    response = post(client, "/beheer/procedure", _settings_data(
        name="", description="Een nieuwe beschrijving die niet verloren mag gaan.",
        decision_period_weeks="0", completion_working_days="tien", notice_months="30",
        term_end="2026-12-31", reference="WBO-X"))
    assert response.status_code == 422
    page = _text(response)
    # Every message at once: what the form could not read, and the rules of the rest.
    for message in ("Vul de naam van de procedure in.", "De beslistermijn ligt tussen 1 en 52 weken.",
                    "Vul een heel getal in, zonder punten of letters.",
                    "De opzegtermijn ligt tussen 0 en 24 maanden.",
                    "De einddatum ligt na de begindatum."):
        assert message in page, message
    assert "De termijn voor aanvullen: vul een heel getal in." not in page  # said once only
    assert "Een nieuwe beschrijving die niet verloren mag gaan." in page
    assert 'value="tien"' in page and 'value="WBO-X"' in page and 'value="2026-12-31"' in page
    # With the number fixed, the operation refuses the rest just the same.
    response = post(client, "/beheer/procedure", _settings_data(
        name="", decision_period_weeks="0", notice_months="30", term_end="2026-12-31",
        reference="WBO-X"))
    page = _text(response)
    assert response.status_code == 422
    for message in ("Vul de naam van de procedure in.", "De beslistermijn ligt tussen 1 en 52 weken.",
                    "De opzegtermijn ligt tussen 0 en 24 maanden.",
                    "De einddatum ligt na de begindatum."):
        assert message in page
    assert 'href="#decision_period_weeks"' in page  # the summary links to the field
    assert 'value="WBO-X"' in page
    with app.app_context():
        procedure = _procedure()
        assert procedure.name == "Open house Wonen met begeleiding"
        assert procedure.decision_period_weeks == 8 and procedure.reference is None
        assert _events("setting_changed") == []


def test_a_stale_settings_form_is_refused_with_the_input_kept(app):
    client = _client(app)
    page = _text(client.get("/beheer/procedure"))
    token = csrf_token(client, "/beheer/procedure")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    with app.app_context():  # another administrator saves first
        ops.update_settings(_procedure(), _replace_settings(decision_period_weeks=7),
                            by=user(ADMIN))
        db.session.commit()
    data = _settings_data(decision_period_weeks="5", csrf_token=token, version=version)
    response = client.post("/beheer/procedure", data=data)
    assert response.status_code == 422
    assert "Iemand anders heeft dit intussen gewijzigd" in _text(response)
    with app.app_context():
        assert _procedure().decision_period_weeks == 7
    # Saving again (the form now carries the current state) overwrites, knowingly.
    again = re.search(r'name="version" type="hidden" value="(\d+)"', _text(response)).group(1)
    assert again != version
    response = client.post("/beheer/procedure", data={**data, "version": again})
    assert response.status_code == 302
    with app.app_context():
        assert _procedure().decision_period_weeks == 5


def _replace_settings(**changes):
    settings = ops.Settings.of(_procedure())
    for key, value in changes.items():
        setattr(settings, key, value)
    return settings


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_term_dates_are_editable_only_before_the_first_admission(app):
    client = _client(app)
    response = post(client, "/beheer/procedure", _settings_data(term_start="2027-02-01",
                                                                term_end="2032-01-31"))
    assert response.status_code == 302
    with app.app_context():
        procedure = _procedure()
        assert (procedure.term_start, procedure.term_end) == (date(2027, 2, 1), date(2032, 1, 31))
        assert "term_end: 2031-12-31 -> 2032-01-31" in {e.detail for e in _events("setting_changed")}
    _admit(app)
    page = _text(client.get("/beheer/procedure"))
    assert 'name="term_end"' not in page and "begin en einde van de looptijd liggen vast" in page
    # Posting other dates anyway (a form built before the admission) is refused, naming the
    # field, and nothing is saved; without them the rest is saved.
    response = post(client, "/beheer/procedure", _settings_data(
        term_start="2027-01-01", term_end="2035-12-31", decision_period_weeks="7"))
    assert response.status_code == 422
    assert "het begin en het einde van de looptijd liggen vast" in _text(response)
    with app.app_context():
        assert _procedure().decision_period_weeks == 8
    data = _settings_data(decision_period_weeks="7")
    del data["term_start"], data["term_end"]
    response = post(client, "/beheer/procedure", data)
    assert response.status_code == 302
    with app.app_context():
        procedure = _procedure()
        assert procedure.term_end == date(2032, 1, 31) and procedure.decision_period_weeks == 7
        # The operation refuses it outright.
        with pytest.raises(ValidationFailed) as refused:
            ops.update_settings(procedure, _replace_settings(term_end=date(2035, 12, 31)),
                                by=user(ADMIN))
        assert "Het einde schuift alleen op door een verlengingsoptie" in refused.value.errors[0][1]


def test_only_active_administrators_may_change_settings(ctx):
    for who in (PROVIDER, ASSESSOR_1):
        with pytest.raises(NotPermitted):
            ops.update_settings(_procedure(), _replace_settings(decision_period_weeks=4),
                                by=user(who))
        with pytest.raises(NotPermitted):
            ops.set_applications_open(_procedure(), False, notice="Dicht", by=user(who))
    admin = user(ADMIN)
    admin.is_active_account = False
    with pytest.raises(NotPermitted):
        ops.add_category(_procedure(), name="X", description="", by=admin)


# --- open and closed ---------------------------------------------------------------------------------

def test_closing_needs_a_notice_and_nothing_is_lost(app):
    client = _client(app)
    assert "Aanmelden open of gesloten" in _text(client.get("/beheer/procedure/aanmelden"))
    response = post(client, "/beheer/procedure/aanmelden",
                    {"state": "gesloten", "closed_notice": "  ", "reopens_on": "2027-09-01"})
    assert response.status_code == 422
    page = _text(response)
    assert "Schrijf de mededeling die bezoekers zien" in page
    assert 'value="2027-09-01"' in page
    assert re.search(r'<input checked id="state-\d" name="state" [^>]*value="gesloten"', page)
    response = post(client, "/beheer/procedure/aanmelden",
                    {"state": "gesloten", "closed_notice": "We werken de eisen bij.",
                     "reopens_on": (TODAY - timedelta(days=400)).isoformat()})
    assert "ligt in de toekomst" in _text(response)
    assert "We werken de eisen bij." in _text(response)
    with app.app_context():
        assert _procedure().is_open is True
        assert _events("applications_closed") == []


def test_closing_shows_the_notice_publicly_and_stops_new_applications(app):
    client = _client(app)
    response = post(client, "/beheer/procedure/aanmelden", {
        "state": "gesloten", "closed_notice": "We werken de eisen voor 2028 bij.",
        "reopens_on": "2099-09-01"})
    assert response.status_code == 302, _text(response)[:2000]
    home = _text(app.test_client().get("/"))
    assert "Aanmelden is tijdelijk gesloten" in home
    assert "We werken de eisen voor 2028 bij." in home
    assert "Aanmelden gaat weer open op 1 september 2099." in home
    provider = _client(app, PROVIDER)
    assert "Nieuwe aanmelding</a>" not in _text(provider.get("/"))
    with app.app_context():
        with pytest.raises(DomainError, match="gesloten"):
            workflow.create_application(_procedure(), categories("pleegzorg"), by=user(PROVIDER))
        closed = _events("applications_closed")
        assert [(e.from_state, e.to_state) for e in closed] == [("open", "gesloten")]
        assert 'closed_notice: (leeg) -> "We werken de eisen voor 2028 bij."' in {
            e.detail for e in _events("setting_changed")}
    # Reopen: the notice goes, applications are possible again.
    response = post(client, "/beheer/procedure/aanmelden", {"state": "open", "closed_notice": ""})
    assert response.status_code == 302
    home = _text(app.test_client().get("/"))
    assert "tijdelijk gesloten" not in home and "We werken de eisen" not in home
    with app.app_context():
        procedure = _procedure()
        assert procedure.is_open and procedure.closed_notice is None and procedure.reopens_on is None
        assert len(_events("applications_opened")) == 1


# --- public documents --------------------------------------------------------------------------------

def _upload(client, kind, data: bytes, filename: str, title: str):
    token = csrf_token(client, "/beheer/procedure/documenten")
    return client.post(f"/beheer/procedure/documenten/{kind}", data={
        f"{kind}-csrf_token": token, f"{kind}-title": title,
        f"{kind}-file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_public_documents_are_uploaded_as_pdf_and_downloadable_by_anyone(app):
    client = _client(app)
    anonymous = app.test_client()
    assert anonymous.get("/procedure/documenten/toelatingsdocument").status_code == 404
    response = _upload(client, "toelatingsdocument", PDF_BYTES, "toelating.pdf",
                       "Toelatingsdocument Wonen met begeleiding")
    assert response.status_code == 302, _text(response)[:2000]
    download = anonymous.get("/procedure/documenten/toelatingsdocument")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    home = _text(anonymous.get("/"))
    assert "Toelatingsdocument Wonen met begeleiding" in home
    assert 'href="/procedure/documenten/toelatingsdocument"' in home
    assert "modelovereenkomst" not in home
    with app.app_context():
        row = db.session.scalar(select(ProcedureDocument))
        assert row.kind == "toelatingsdocument" and row.document.organisation_id is None
        assert row.document.content_type == "application/pdf"
    # Replacing: the new file is served; the change is audited.
    newer = PDF_BYTES + b"% versie 2\n"
    assert _upload(client, "toelatingsdocument", newer, "toelating-v2.pdf",
                   "Toelatingsdocument (versie 2)").status_code == 302
    assert anonymous.get("/procedure/documenten/toelatingsdocument").data == newer
    with app.app_context():
        events = _events("document_published")
        assert len(events) == 2 and "toelating.pdf" in events[1].detail
        assert "toelating-v2.pdf" in events[1].detail
        assert db.session.scalar(select(func.count(ProcedureDocument.id))) == 1
    # Withdrawing takes it off the public page.
    response = post(client, "/beheer/procedure/documenten/toelatingsdocument/intrekken", {},
                    token_from="/beheer/procedure/documenten")
    assert response.status_code == 302
    assert anonymous.get("/procedure/documenten/toelatingsdocument").status_code == 404
    assert anonymous.get("/procedure/documenten/iets-anders").status_code == 404


def test_a_document_that_is_not_a_pdf_is_refused_and_the_title_kept(app):
    client = _client(app)
    response = _upload(client, "modelovereenkomst", PNG_BYTES, "scan.png", "Mijn eigen titel")
    assert response.status_code == 422
    page = _text(response)
    assert "Het bestand &#39;scan.png&#39; is geen PDF-bestand" in page
    assert 'value="Mijn eigen titel"' in page
    response = _upload(client, "modelovereenkomst", b"", "leeg.pdf", "")
    page = _text(response)
    assert "Vul de titel in" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ProcedureDocument.id))) == 0
        assert db.session.scalar(select(func.count(Document.id))
                                 .where(Document.organisation_id.is_(None))) == 0


# --- categories --------------------------------------------------------------------------------------

def test_categories_are_added_renamed_described_and_reordered(app):
    client = _client(app)
    page = _text(client.get("/beheer/categorieen"))
    assert "Pleegzorg" in page and "Leefgroepen" in page
    # As a browser posts it: the hidden version of a form that creates is empty.
    response = post(client, "/beheer/categorieen/nieuw",
                    {"name": "Crisisopvang in gezinnen", "description": "Kort en snel.", "version": ""})
    assert response.status_code == 302
    with app.app_context():
        new = _category("crisisopvang-in-gezinnen")
        assert new.is_active and new.position == 6
        new_id = new.id
        assert _events("category_added")[0].object_id == new_id
    # Duplicate name: refused in Dutch, the description is kept.
    response = post(client, "/beheer/categorieen/nieuw",
                    {"name": "pleegzorg", "description": "Nog een keer pleegzorg."})
    assert response.status_code == 422
    assert "Er is al een categorie met de naam" in _text(response)
    assert "Nog een keer pleegzorg." in _text(response)
    # Rename and describe: the code stays.
    url = f"/beheer/categorieen/{new_id}"
    response = post(client, url, {"name": "Crisisopvang", "description": "Binnen 24 uur."})
    assert response.status_code == 302
    with app.app_context():
        category = db.session.get(Category, new_id)
        assert (category.name, category.code) == ("Crisisopvang", "crisisopvang-in-gezinnen")
        details = [e.detail for e in _events("category_changed")]
        assert 'name: "Crisisopvang in gezinnen" -> "Crisisopvang"' in details
        assert 'description: "Kort en snel." -> "Binnen 24 uur."' in details
    # Move it up twice, then down once.
    for direction in ("up", "up", "down"):
        response = post(client, f"{url}/verplaatsen", {"direction": direction},
                        token_from="/beheer/categorieen")
        assert response.status_code == 302
    with app.app_context():
        order = list(db.session.scalars(select(Category.code).order_by(Category.position)))
        assert order == ["pleegzorg", "gezinshuiszorg", "zelfstandigheidstraining",
                         "kleinschalige-woonvormen", "crisisopvang-in-gezinnen", "leefgroepen"]
        assert len(_events("category_moved")) == 3
    # The first one cannot move further up.
    pleegzorg = _first_category_id(app)
    post(client, f"/beheer/categorieen/{pleegzorg}/verplaatsen", {"direction": "up"},
         token_from="/beheer/categorieen")
    with app.app_context():
        assert _category("pleegzorg").position == 1
    # The public page follows the order.
    home = _text(app.test_client().get("/"))
    assert home.index("Crisisopvang") < home.index("Leefgroepen")


def _first_category_id(app):
    with app.app_context():
        return _category("pleegzorg").id


def test_a_deactivated_category_takes_no_new_applications_and_admissions_stay(app):
    admission_id = _admit(app, "gezinshuiszorg")
    client = _client(app)
    with app.app_context():
        gezinshuis, leefgroepen = _category("gezinshuiszorg").id, _category("leefgroepen").id
    provider = _client(app, PROVIDER)
    assert f'value="{leefgroepen}"' in _text(provider.get("/aanmeldingen/nieuw"))
    for category_id in (gezinshuis, leefgroepen):
        response = post(client, f"/beheer/categorieen/{category_id}/deactiveren", {},
                        token_from="/beheer/categorieen")
        assert response.status_code == 302
    page = _text(client.get("/beheer/categorieen"))
    assert "De categorie Leefgroepen is gedeactiveerd" in page and "gedeactiveerd</span>" in page
    with app.app_context():
        assert _category("gezinshuiszorg").is_active is False
        # The admission stays as it was, and is still counted on the page.
        assert db.session.get(Admission, admission_id).status == AdmissionStatus.ACTIEF
        events = _events("category_deactivated")
        assert [(e.from_state, e.to_state) for e in events] == [("actief", "gedeactiveerd")] * 2
        with pytest.raises(DomainError, match="U kunt zich niet meer aanmelden voor "
                                              "Leefgroepen: de regio neemt in deze categorie"):
            workflow.create_application(_procedure(), categories("pleegzorg", "leefgroepen"),
                                        by=user(PROVIDER))
    row = re.search(rf'<tr id="categorie-{gezinshuis}">.*?</tr>', page, re.S).group(0)
    assert "<td>1</td>" in row  # one live admission
    new_page = _text(provider.get("/aanmeldingen/nieuw"))
    assert "Pleegzorg" in new_page and f'value="{leefgroepen}"' not in new_page
    # Posting the inactive category anyway creates nothing.
    with app.app_context():
        before = db.session.scalar(select(func.count(Application.id)))
    response = post(provider, "/aanmeldingen/nieuw", {"categories": str(leefgroepen)})
    assert response.status_code != 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == before
    home = _text(app.test_client().get("/"))
    assert "(neemt geen nieuwe aanmeldingen aan)" in home
    # Reactivate: offered again.
    response = post(client, f"/beheer/categorieen/{leefgroepen}/activeren", {},
                    token_from="/beheer/categorieen")
    assert response.status_code == 302
    assert f'value="{leefgroepen}"' in _text(provider.get("/aanmeldingen/nieuw"))
    with app.app_context():
        assert _category("leefgroepen").is_active is True
        assert len(_events("category_reactivated")) == 1


def test_bad_category_input_is_refused_in_dutch(app):
    client = _client(app)
    response = post(client, "/beheer/categorieen/nieuw",
                    {"name": "", "description": "Beschrijving blijft staan."})
    assert response.status_code == 422
    assert "Vul de naam van de categorie in." in _text(response)
    assert "Beschrijving blijft staan." in _text(response)
    response = post(client, "/beheer/categorieen/nieuw", {"name": "x" * 121, "description": ""})
    assert "De naam is maximaal 120 tekens lang." in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Category.id))) == 5


# --- products ----------------------------------------------------------------------------------------

def test_seeded_products_have_a_category_and_seeding_is_idempotent(ctx):
    from portal.procedure.seed import seed_reference

    assert {p.code: p.category.code for p in db.session.scalars(select(Product))} == {
        "44A06": "pleegzorg", "44A07": "pleegzorg", "44A08": "gezinshuiszorg",
        # the region's own codes for the other categories (portal/procedure/catalogue.py)
        "44A09": "zelfstandigheidstraining", "44A10": "kleinschalige-woonvormen",
        "44A11": "leefgroepen"}
    # A database seeded before products had a category gets it; a choice of the region stays.
    _product("44A07").category_id = None
    _product("44A08").category_id = _category("leefgroepen").id
    seed_reference()
    seed_reference()
    db.session.commit()
    assert db.session.scalar(select(func.count(Product.id))) == 6
    assert _product("44A07").category.code == "pleegzorg"
    assert _product("44A08").category.code == "leefgroepen"


def test_products_are_added_and_edited_with_valid_codes(app):
    client = _client(app)
    with app.app_context():
        leefgroepen = _category("leefgroepen").id
    response = post(client, "/beheer/producten/nieuw", {
        "code": "45a12", "name": "Leefgroep 24 uur", "unit": "etmaal",
        "category_id": str(leefgroepen)})
    assert response.status_code == 302, _text(response)[:2000]
    response = post(client, "/beheer/producten/nieuw", {
        "code": "54001", "name": "Kamertraining", "unit": "uur", "category_id": str(leefgroepen)})
    assert response.status_code == 302
    page = _text(client.get("/beheer/producten"))
    assert "45A12" in page and "54001" in page and "Leefgroep 24 uur" in page
    with app.app_context():
        product = _product("45A12")
        assert (product.unit, product.category.code) == ("etmaal", "leefgroepen")
        product_id = product.id
        assert len(_events("product_added")) == 2
    response = post(client, f"/beheer/producten/{product_id}", {
        "code": "45A13", "name": "Leefgroep", "unit": "dagdeel", "category_id": str(leefgroepen)})
    assert response.status_code == 302
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.code, product.name, product.unit) == ("45A13", "Leefgroep", "dagdeel")
        details = {e.detail for e in _events("product_changed")}
        assert "code: \"45A12\" -> \"45A13\"" in details
        assert "unit: \"etmaal\" -> \"dagdeel\"" in details


@pytest.mark.parametrize("code, message", [
    ("44A06", "Productcode 44A06 is al in gebruik"),
    ("44 a 06", "Productcode 44A06 is al in gebruik"),
    ("4A06", "2 cijfers, 1 letter en 2 cijfers"),
    ("44AB6", "2 cijfers, 1 letter en 2 cijfers"),
    ("123456", "2 cijfers, 1 letter en 2 cijfers"),
    ("", "Vul de productcode in"),
])
def test_bad_product_codes_are_refused_in_dutch_and_nothing_is_lost(app, code, message):
    client = _client(app)
    with app.app_context():
        pleegzorg = _category("pleegzorg").id
    response = post(client, "/beheer/producten/nieuw", {
        "code": code, "name": "Een naam die blijft staan", "unit": "week",
        "category_id": str(pleegzorg)})
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert 'value="Een naam die blijft staan"' in page
    assert '<option selected value="week">' in page
    assert f'<option selected value="{pleegzorg}">' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Product.id))) == 6


@pytest.mark.parametrize("category", ["", "99999999999999999999", "-5", "abc", "999999"])
def test_product_without_unit_or_category_is_refused(app, category):
    """No category, or a value no category has (a number larger than the database's
    INTEGER was a 500): the same Dutch message."""
    client = _client(app)
    response = post(client, "/beheer/producten/nieuw", {
        "code": "44A19", "name": "Zonder eenheid", "unit": "liter", "category_id": category})
    assert response.status_code == 422
    page = _text(response)
    assert "Kies een eenheid: etmaal, uur, dagdeel, week, maand, stuk." in page
    assert "Kies de categorie waar het product bij hoort." in page
    with app.app_context():
        assert _product("44A19") is None


# --- tariffs ----------------------------------------------------------------------------------------

@pytest.mark.usefixtures("no_tariffs")
def test_tariffs_are_entered_in_dutch_notation_stored_exactly_and_published(app):
    client = _client(app)
    with app.app_context():
        fields = {code: _price_field(code) for code in SEEDED}
    response = post(client, "/beheer/tarieven/2027",
                    {fields[c]: text for c, text in SEEDED.items()})
    assert response.status_code == 302, _text(response)[:3000]
    with app.app_context():
        assert _tariff("44A06", 2027).price == Decimal("123.45")
        assert _tariff("44A07", 2027).price == Decimal("1234.56")
        assert _tariff("44A08", 2027).price == Decimal("99.99")
        assert all(_tariff(c, 2027).published_at is None for c in SEEDED)
        assert len(_events("tariff_set")) == 3
    page = _text(client.get("/beheer/tarieven/2027"))
    assert 'value="1.234,56"' in page and "concept" in page
    # Drafts are not public.
    home = _text(app.test_client().get("/"))
    assert "Tarieven 2027" not in home and "123,45" not in home
    response = post(client, "/beheer/tarieven/2027/publiceren", {},
                    token_from="/beheer/tarieven/2027")
    assert response.status_code == 302
    with app.app_context():
        assert all(_tariff(c, 2027).published_at is not None for c in SEEDED)
        assert "2027: 3 tarieven" in _events("tariffs_published")[0].detail
    home = _text(app.test_client().get("/"))
    assert "Tarieven 2027" in home
    assert "€\xa0123,45" in home and "€\xa01.234,56" in home and "€\xa099,99" in home
    assert "44A08" in home and "Gezinshuiszorg" in home


@pytest.mark.usefixtures("no_tariffs")
def test_bad_tariffs_are_refused_in_dutch_and_every_typed_price_is_kept(app):
    client = _client(app)
    with app.app_context():
        fields = {code: _price_field(code) for code in SEEDED}
    response = post(client, "/beheer/tarieven/2027", {
        fields["44A06"]: "123,456", fields["44A07"]: "-10", fields["44A08"]: "88,50"})
    assert response.status_code == 422
    page = _text(response)
    assert "44A06: Een tarief heeft hoogstens twee cijfers achter de komma" in page
    assert "44A07: Een tarief kan niet negatief zijn." in page
    for typed in ('value="123,456"', 'value="-10"', 'value="88,50"'):
        assert typed in page
    assert f'href="#{fields["44A06"]}"' in page
    with app.app_context():  # all or nothing: the good price was not saved either
        assert db.session.scalar(select(func.count(Tariff.id))) == 0
        assert _events("tariff_set") == []


@pytest.mark.usefixtures("in_term", "no_tariffs")  # as published: no option exercised
def test_publishing_needs_a_price_for_every_product_and_published_prices_stay(app):
    _set_prices(app, 2027, {"44A06": "100", "44A07": "200"})
    client = _client(app)
    response = post(client, "/beheer/tarieven/2027/publiceren", {},
                    token_from="/beheer/tarieven/2027")
    assert response.status_code == 302
    page = _text(client.get("/beheer/tarieven/2027"))
    assert "Nog niet elk product heeft een tarief voor 2027: 44A08" in page
    with app.app_context():
        assert _tariff("44A06", 2027).published_at is None
    # An empty field removes a draft price (and is audited).
    with app.app_context():
        field = _price_field("44A07")
    assert post(client, "/beheer/tarieven/2027", {field: ""}).status_code == 302
    with app.app_context():
        assert _tariff("44A07", 2027) is None and _tariff("44A06", 2027) is not None
        assert "44A07 2027: 200.00 -> (leeg)" in _events("tariff_removed")[0].detail
    _set_prices(app, 2027, {"44A07": "200", "44A08": "300"}, publish=True)
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            ops.set_prices(_procedure(), 2027, {_product("44A06").id: "101"}, by=user(ADMIN))
        assert "al gepubliceerd en kan niet meer worden gewijzigd" in refused.value.errors[0][1]
        with pytest.raises(DomainError, match="geen nieuwe tarieven"):
            ops.publish_tariffs(_procedure(), 2027, by=user(ADMIN))
        with pytest.raises(DomainError, match="2027 tot en met 2031"):
            ops.set_prices(_procedure(), 2040, {}, by=user(ADMIN))
    assert client.get("/beheer/tarieven/2026").status_code == 404
    assert client.get("/beheer/tarieven/2032").status_code == 404


@pytest.mark.usefixtures("no_tariffs")
def test_indexation_for_next_year_is_exact_shown_side_by_side_and_published_separately(app):
    _set_prices(app, 2027, {"44A06": "123,45", "44A07": "200,00", "44A08": "10,00"}, publish=True)
    client = _client(app)
    with app.app_context():
        per_product = {f"i{_product('44A08').id}": "0,25"}
    response = post(client, "/beheer/tarieven/2028/indexeren",
                    {"percentage": "3,7", **per_product}, token_from="/beheer/tarieven/2028")
    assert response.status_code == 302, _text(response)[:3000]
    with app.app_context():
        assert _tariff("44A06", 2028).price == Decimal("128.02")  # 123.45 * 1.037 = 128.01765
        assert _tariff("44A07", 2028).price == Decimal("207.40")
        assert _tariff("44A08", 2028).price == Decimal("10.03")  # 10.025, half-up
        assert all(_tariff(c, 2028).published_at is None for c in SEEDED)
        # The published prices of 2027 are untouched.
        assert _tariff("44A06", 2027).price == Decimal("123.45")
        assert any("index 3.7% op 2027" in e.detail for e in _events("tariff_set"))
    page = _text(client.get("/beheer/tarieven/2028"))
    assert "Tarieven 2028 naast 2027" in page
    row = re.search(r"<td>44A06</td>.*?</tr>", page, re.S).group(0)
    assert "€\xa0123,45" in row and 'value="128,02"' in row and "+3,70%" in row
    # Still a draft: the public page shows 2027 only.
    home = _text(app.test_client().get("/"))
    assert "Tarieven 2027" in home and "Tarieven 2028" not in home and "128,02" not in home
    # Adjust one draft by hand, then publish 2028.
    with app.app_context():
        field = _price_field("44A07")
    response = post(client, "/beheer/tarieven/2028", {field: "210,00"})
    assert response.status_code == 302
    response = post(client, "/beheer/tarieven/2028/publiceren", {},
                    token_from="/beheer/tarieven/2028")
    assert response.status_code == 302
    home = _text(app.test_client().get("/"))
    assert "Tarieven 2028" in home and "€\xa0128,02" in home and "€\xa0210,00" in home
    # Indexing a published year again is refused.
    response = post(client, "/beheer/tarieven/2028/indexeren", {"percentage": "2"},
                    token_from="/beheer/tarieven/2028")
    assert response.status_code == 422
    assert "al gepubliceerd" in _text(response)


@pytest.mark.usefixtures("no_tariffs")
def test_bad_indexation_input_is_refused_and_kept(app):
    _set_prices(app, 2027, {"44A06": "100", "44A07": "100"})
    client = _client(app)
    with app.app_context():
        i07 = f"i{_product('44A07').id}"
    index = "/beheer/tarieven/2028/indexeren"
    response = post(client, index, {"percentage": "3,755", i07: "abc"},
                    token_from="/beheer/tarieven/2028")
    assert response.status_code == 422
    page = _text(response)
    assert "hoogstens twee cijfers achter de komma" in page
    assert "44A07: Vul een percentage in" in page
    assert 'value="3,755"' in page and 'value="abc"' in page
    response = post(client, index, {"percentage": ""}, token_from="/beheer/tarieven/2028")
    assert "Vul een percentage in voor alle producten" in _text(response)
    # 44A08 has no price in 2027: indexing all is refused with a message naming it.
    response = post(client, index, {"percentage": "2"}, token_from="/beheer/tarieven/2028")
    assert "44A08 heeft geen tarief in 2027" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Tariff.id)).where(Tariff.year == 2028)) == 0


@pytest.mark.usefixtures("in_term", "no_tariffs")  # as published: no option exercised
def test_public_page_shows_term_documents_and_published_tariffs_only(app):
    _set_prices(app, 2027, {"44A06": "111,11", "44A07": "222,22", "44A08": "333,33"}, publish=True)
    _set_prices(app, 2028, {"44A06": "444,44"})  # a draft
    home = _text(app.test_client().get("/"))
    assert "1 januari 2027 tot en met 31 december 2031" in home
    assert "nog 2 van 2, elk 12 maanden (uiterlijk tot en met 31 december 2033)" in home
    assert "€\xa0111,11" in home and "444,44" not in home and "Tarieven 2028" not in home
    # Before the term starts, "this year" is the first year of the term.
    assert ops.public_tariff_year(_fake_procedure(), date(2026, 11, 23)) == 2027
    assert ops.public_tariff_year(_fake_procedure(), date(2029, 5, 1)) == 2029


def _fake_procedure():
    class _P:
        term_start = date(2027, 1, 1)
        current_end = date(2031, 12, 31)
    return _P()


# --- access ------------------------------------------------------------------------------------------

def _all_urls(app):
    with app.app_context():
        values = {"category_id": _category("pleegzorg").id, "product_id": _product("44A06").id,
                  "year": 2027, "kind": "toelatingsdocument"}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin_procedure."):
            continue
        url = rule.build({k: values[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
@pytest.mark.parametrize("who", [PROVIDER, ASSESSOR_1])
def test_non_administrators_get_403_on_every_url(app, who):
    urls = _all_urls(app)
    # settings, opening, documents, upload, withdraw, categories, add, edit, move,
    # deactivate, reactivate, products, add, edit, tariffs, year, index, publish
    assert len({u for _, u in urls}) >= 17 and len(urls) >= 23
    client = _client(app, who)
    token = csrf_token(client, "/account")
    for method, url in urls:
        response = client.open(url, method=method,
                               data={"csrf_token": token, "state": "gesloten",
                                     "closed_notice": "x", "name": "x", "direction": "up"}
                               if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.status_code)
    anonymous = app.test_client()
    for method, url in urls:
        assert anonymous.open(url, method=method).status_code in (302, 400), (method, url)
    with app.app_context():
        assert _procedure().is_open and _category("pleegzorg").is_active
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.object_type.in_(("procedures", "categories", "products", "tariffs")))) == 0


@pytest.mark.usefixtures("no_tariffs")
def test_pages_run_a_small_fixed_number_of_statements(app):
    _set_prices(app, 2027, {"44A06": "100", "44A07": "100", "44A08": "100"}, publish=True)
    _set_prices(app, 2028, {"44A06": "103"})
    client = _client(app)
    _upload(client, "toelatingsdocument", PDF_BYTES, "t.pdf", "Toelatingsdocument")
    post(client, "/beheer/procedure", _settings_data(decision_period_weeks="7"))
    with app.app_context():
        ids = (_category("pleegzorg").id, _product("44A06").id)
        engine = db.engine
    urls = ["/beheer/procedure", "/beheer/procedure/aanmelden", "/beheer/procedure/documenten",
            "/beheer/categorieen", "/beheer/categorieen/nieuw", f"/beheer/categorieen/{ids[0]}",
            "/beheer/producten", "/beheer/producten/nieuw", f"/beheer/producten/{ids[1]}",
            "/beheer/tarieven", "/beheer/tarieven/2027", "/beheer/tarieven/2028"]
    anonymous = app.test_client()
    for c, url in [(client, u) for u in urls] + [(anonymous, "/")]:
        c.get(url)  # warm up
        with StatementCounter(engine) as counter:
            assert c.get(url).status_code == 200, url
        assert counter.count <= MAX_STATEMENTS, (url, counter.count)


# --- variants tested on their own --------------------------------------------------------------------

@pytest.mark.usefixtures("no_tariffs")
def test_indexation_with_only_per_product_percentages(app):
    """No percentage for all products: only the products given a percentage get a 2028
    draft, each with its own percentage, exact to the cent."""
    _set_prices(app, 2027, {"44A06": "123,45", "44A07": "200,00", "44A08": "10,00"}, publish=True)
    client = _client(app)
    with app.app_context():
        i06, i07, i08 = (f"i{_product(c).id}" for c in ("44A06", "44A07", "44A08"))
    response = post(client, "/beheer/tarieven/2028/indexeren",
                    {"percentage": "", i06: "2,5", i07: "", i08: "-1,25"},
                    token_from="/beheer/tarieven/2028")
    assert response.status_code == 302, _text(response)[:3000]
    page = _text(client.get(response.headers["Location"]))
    assert "2 tarieven voor 2028 berekend en opgeslagen als concept" in page
    with app.app_context():
        assert _tariff("44A06", 2028).price == Decimal("126.54")  # 123.45 * 1.025 = 126.53625
        assert _tariff("44A08", 2028).price == Decimal("9.88")  # 10 * 0.9875 = 9.875, half-up
        assert _tariff("44A07", 2028) is None  # no percentage given: left alone
        assert _tariff("44A06", 2028).published_at is None
        details = sorted(e.detail for e in _events("tariff_set") if "op 2027" in e.detail)
        assert len(details) == 2
        assert any("index 2.5% op 2027" in d for d in details)
        assert any("index -1.25% op 2027" in d for d in details)
    row = re.search(r"<td>44A06</td>.*?</tr>", page, re.S).group(0)
    assert "€\xa0123,45" in row and 'value="126,54"' in row and "+2,50%" in row
    row = re.search(r"<td>44A08</td>.*?</tr>", page, re.S).group(0)
    # The last column is the real change on 2027 after rounding to the cent: -1,20%.
    assert 'value="9,88"' in row and "-1,20%" in row


def test_the_model_agreement_is_uploaded_and_downloadable_by_anyone(app):
    client = _client(app)
    anonymous = app.test_client()
    assert anonymous.get("/procedure/documenten/modelovereenkomst").status_code == 404
    body = PDF_BYTES + b"% modelovereenkomst\n"
    response = _upload(client, "modelovereenkomst", body, "model.pdf",
                       "Model deelnemersovereenkomst 2027")
    assert response.status_code == 302, _text(response)[:2000]
    download = anonymous.get("/procedure/documenten/modelovereenkomst")
    assert download.status_code == 200 and download.data == body
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    home = _text(anonymous.get("/"))
    assert 'href="/procedure/documenten/modelovereenkomst"' in home
    assert "Model deelnemersovereenkomst 2027" in home
    # The other kind is still absent: one kind does not stand in for the other.
    assert anonymous.get("/procedure/documenten/toelatingsdocument").status_code == 404
    with app.app_context():
        (row,) = db.session.scalars(select(ProcedureDocument)).all()
        assert row.kind == "modelovereenkomst" and row.title == "Model deelnemersovereenkomst 2027"
        assert row.document.original_name == "model.pdf"
        (event,) = _events("document_published")
        assert "model.pdf" in event.detail


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_exercising_an_extension_option_moves_the_public_end_and_leaves_one_fewer(app):
    anonymous = app.test_client()
    home = _text(anonymous.get("/"))
    assert "1 januari 2027 tot en met 31 december 2031" in home
    assert "nog 2 van 2, elk 12 maanden" in home
    client = _client(app)
    response = post(client, "/beheer/looptijd", {
        "rationale": "De markt is nog volop in ontwikkeling.", "exercised_on": "2031-06-01"})
    assert response.status_code == 302, _text(response)[:2000]
    home = _text(anonymous.get("/"))
    assert "1 januari 2027 tot en met 31 december 2032" in home
    assert "nog 1 van 2, elk 12 maanden (uiterlijk tot en met 31 december 2033)" in home
    assert "31 december 2031" not in home
    with app.app_context():
        procedure = _procedure()
        assert procedure.current_end == date(2032, 12, 31) and procedure.options_left == 1
        (event,) = _events("extension_exercised")
        assert "2031-12-31 -> 2032-12-31" in event.detail
    # The second and last option: none left, and a third is refused.
    post(client, "/beheer/looptijd", {"rationale": "Nog een jaar.", "exercised_on": "2032-06-01"})
    home = _text(anonymous.get("/"))
    assert "tot en met 31 december 2033" in home and "geen (meer)" in home
    response = post(client, "/beheer/looptijd", {"rationale": "Te veel.",
                                                 "exercised_on": "2033-06-01"},
                    follow_redirects=True)
    assert "Er zijn geen verlengingsopties meer over." in _text(response)
    with app.app_context():
        assert _procedure().options_left == 0 and len(_events("extension_exercised")) == 2
