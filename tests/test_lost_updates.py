"""No lost updates (issue 12, point 7): two administrators save the same record at the same
moment. The form's version check passed for both (each read the record before the other
saved); the second save must then be refused with a clear Dutch message, and the first
save must stand.

The moment is made exact, not likely: while the portal flushes its UPDATE of the record,
another connection (another administrator's request) saves the same row first and
commits. Without row versions the portal's UPDATE would overwrite that save."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from portal.actions import STALE
from portal.extensions import db
from portal.procedure.models import Category, Procedure, Product, Requirement, Tariff
from tests.conftest import post
from tests.test_admin_catalogue import BASE, _draft, _req
from tests.test_admin_catalogue import _client as catalogue_client
from tests.test_admin_catalogue import _form as requirement_form
from tests.test_admin_procedure import SEEDED, _client, _price_field, _product, _settings_data, _text


@contextmanager
def someone_else_saves_first(table: str, row_id: int, column: str, value):
    """When the portal is about to write ``table`` row ``row_id``, another connection sets
    ``column`` to ``value`` on that row and commits (bumping its row version, as the
    portal's own save does)."""
    done = {"saved": False}

    def before_flush(session, _context, _instances):
        if done["saved"]:
            return
        ours = [o for o in session.dirty | session.deleted
                if getattr(o, "__tablename__", None) == table and o.id == row_id]
        if not ours:
            return
        done["saved"] = True
        with db.engine.connect() as other:
            other.execute(text(f"UPDATE {table} SET {column} = :value, row_version = row_version + 1 "
                               "WHERE id = :id"), {"value": value, "id": row_id})
            other.commit()

    event.listen(Session, "before_flush", before_flush)
    try:
        yield done
    finally:
        event.remove(Session, "before_flush", before_flush)


def _refused(response, done):
    assert done["saved"], "the concurrent save did not happen: the test proves nothing"
    assert response.status_code == 409, _text(response)[:2000]
    assert STALE in _text(response)


def _value(model, row_id, column):
    db.session.remove()
    return getattr(db.session.get(model, row_id), column)


def test_procedure_settings(app):
    client = _client(app)
    with app.app_context():
        procedure_id = db.session.scalar(select(Procedure.id))
    with someone_else_saves_first("procedures", procedure_id, "description", "Van de collega.") as done:
        response = post(client, "/beheer/procedure", _settings_data(description="Van mij."))
    _refused(response, done)
    with app.app_context():
        assert _value(Procedure, procedure_id, "description") == "Van de collega."


def test_opening_and_closing(app):
    client = _client(app)
    with app.app_context():
        procedure_id = db.session.scalar(select(Procedure.id))
    with someone_else_saves_first("procedures", procedure_id, "closed_notice", "Collega sloot.") as done:
        response = post(client, "/beheer/procedure/aanmelden", {
            "state": "gesloten", "closed_notice": "Tijdelijk gesloten wegens drukte.",
            "reopens_on": "2099-09-01"})
    _refused(response, done)
    with app.app_context():
        assert _value(Procedure, procedure_id, "closed_notice") == "Collega sloot."


def test_category(app):
    client = _client(app)
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.code == "pleegzorg"))
    with someone_else_saves_first("categories", category_id, "description", "Van de collega.") as done:
        response = post(client, f"/beheer/categorieen/{category_id}",
                        {"name": "Pleegzorg", "description": "Van mij."})
    _refused(response, done)
    with app.app_context():
        assert _value(Category, category_id, "description") == "Van de collega."


def test_product(app):
    client = _client(app)
    with app.app_context():
        product = _product("44A06")
        product_id, category_id = product.id, product.category_id
    with someone_else_saves_first("products", product_id, "name", "Naam van de collega") as done:
        response = post(client, f"/beheer/producten/{product_id}", {
            "code": "44A06", "name": "Mijn naam", "unit": "etmaal", "category_id": str(category_id)})
    _refused(response, done)
    with app.app_context():
        assert _value(Product, product_id, "name") == "Naam van de collega"


@pytest.mark.usefixtures("no_tariffs")
def test_tariffs(app):
    client = _client(app)
    with app.app_context():
        fields = {code: _price_field(code) for code in SEEDED}
    assert post(client, "/beheer/tarieven/2027", {fields[c]: t for c, t in SEEDED.items()}).status_code == 302
    with app.app_context():
        tariff_id = db.session.scalar(select(Tariff.id).join(Product).where(Product.code == "44A06",
                                                                          Tariff.year == 2027))
    with someone_else_saves_first("tariffs", tariff_id, "price", 150) as done:
        response = post(client, "/beheer/tarieven/2027",
                        {fields["44A06"]: "130,00", fields["44A07"]: "1.234,56", fields["44A08"]: "99,99"})
    _refused(response, done)
    with app.app_context():
        assert _value(Tariff, tariff_id, "price") == 150


def test_requirement_in_a_catalogue_draft(app):
    number = _draft(app)
    client = catalogue_client(app)
    with app.app_context():
        requirement_id = _req(number, "A15").id if _req(number, "A15") else _req(number, "A1").id
        code = db.session.get(Requirement, requirement_id).code
    url = f"{BASE}/versie/{number}/eis/{requirement_id}"
    with someone_else_saves_first("requirements", requirement_id, "help_text", "Van de collega.") as done:
        response = post(client, url, requirement_form(code=code, help_text="Van mij."))
    _refused(response, done)
    with app.app_context():
        assert _value(Requirement, requirement_id, "help_text") == "Van de collega."


@pytest.mark.parametrize("table", ["procedures", "categories", "products", "tariffs",
                                   "catalogue_versions", "requirements"])
def test_the_shared_records_carry_a_row_version(app, table):
    """The mechanism itself: each of these tables has the column the ORM checks."""
    with app.app_context():
        mapper = next(m for m in db.Model.registry.mappers if m.local_table.name == table)
        assert mapper.version_id_col is not None and mapper.version_id_col.name == "row_version"


def test_organisation_data(app):
    from portal.accounts.models import Organisation
    from tests.conftest import PROVIDER, login
    from tests.test_organisation_users import ORG

    client = app.test_client()
    login(client, PROVIDER)
    with app.app_context():
        org_id = db.session.scalar(select(Organisation.id).join(Organisation.users)
                                   .where(Organisation.users.any(email=PROVIDER)))
    with someone_else_saves_first("organisations", org_id, "city", "Oosterhout") as done:
        response = post(client, "/organisatie/gegevens", ORG)
    _refused(response, done)
    with app.app_context():
        assert _value(Organisation, org_id, "city") == "Oosterhout"


def test_organisation_form_built_before_a_save_is_refused(app):
    """The slower case: a colleague saved after this form was opened (no race at all)."""
    from portal.accounts.models import Organisation
    from tests.conftest import PROVIDER, login
    from tests.test_organisation_users import ORG

    client = app.test_client()
    login(client, PROVIDER)
    page = client.get("/organisatie/gegevens").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert post(client, "/organisatie/gegevens", {**ORG, "city": "Breda"}).status_code == 302
    response = post(client, "/organisatie/gegevens", {**ORG, "city": "Altena", "version": version})
    # This page answers its refusals with 200 (as it always has), the message above the form.
    assert response.status_code == 200 and "Iemand anders heeft dit intussen gewijzigd" in _text(response)
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.users.any(email=PROVIDER)))
        assert org.city == "Breda"


def test_mail_text(app):
    from portal.notifications.models import MailTemplate
    from tests.test_admin_mail_texts import URL, _texts

    client = _client(app)
    assert post(client, URL, _texts(text="Eerste versie {{ application.reference }}")).status_code == 302
    with app.app_context():
        row_id = db.session.scalar(select(MailTemplate.id).where(MailTemplate.kind == "receipt"))
    with someone_else_saves_first("mail_templates", row_id, "body_text", "Van de collega") as done:
        response = post(client, URL, _texts(text="Mijn versie {{ application.reference }}"))
    _refused(response, done)
    with app.app_context():
        assert _value(MailTemplate, row_id, "body_text") == "Van de collega"
