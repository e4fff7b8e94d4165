"""Tariffs for every category (issue 13, A5): every category has a product with a code,
the codes are a setting the region maintains, the published tariffs have a public page that
requirement A13 links to, and submitting is refused while a chosen category has no
published tariff for the current year."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, select

from portal.applications import workflow as applications
from portal.applications.models import Application, Status
from portal.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.models import Category, Procedure, Product, Tariff
from portal.procedure import settings as ops
from tests.conftest import ADMIN, PROVIDER, login, post, user
from tests.helpers import categories, fill_completely, requirement


def _procedure():
    return db.session.scalar(select(Procedure).order_by(Procedure.id))


def _unpublish(category_code, year):
    """Remove the published tariffs of ``year`` of the category's products."""
    ids = select(Product.id).join(Category, Category.id == Product.category_id).where(
        Category.code == category_code)
    db.session.execute(delete(Tariff).where(Tariff.product_id.in_(ids), Tariff.year == year))


def test_every_category_has_a_product_with_a_code(ctx):
    procedure = _procedure()
    products = db.session.scalars(select(Product).where(Product.procedure_id == procedure.id)).all()
    by_category = {}
    for p in products:
        by_category.setdefault(p.category_id, []).append(p.code)
    assert set(by_category) == {c.id for c in procedure.categories}
    # The seeds' codes for foster care and family homes, as they were.
    codes = {p.code: p.category.code for p in products}
    assert codes["44A06"] == codes["44A07"] == "pleegzorg" and codes["44A08"] == "gezinshuiszorg"
    # The region's own codes for the other three (see portal/procedure/catalogue.py).
    assert {codes["44A09"], codes["44A10"], codes["44A11"]} == {
        "zelfstandigheidstraining", "kleinschalige-woonvormen", "leefgroepen"}


def test_product_codes_are_a_setting_validated_and_unique(ctx):
    procedure, admin = _procedure(), user(ADMIN)
    leefgroepen = categories("leefgroepen")[0]
    for code, message in [("44-A12", "bestaat uit 2 cijfers, 1 letter en 2 cijfers"),
                          ("", "Vul de productcode in"),
                          ("44a10", "Productcode 44A10 is al in gebruik")]:
        with pytest.raises(ValidationFailed) as refused:
            ops.add_product(procedure, ops.ProductSpec(code=code, name="Leefgroep 24/7",
                                                       unit="etmaal",
                                                       category_id=leefgroepen.id), by=admin)
        assert any(field == "code" and message in text for field, text in refused.value.errors)
    product = ops.add_product(procedure, ops.ProductSpec(code=" 44a12 ", name="Leefgroep plus",
                                                         unit="etmaal",
                                                         category_id=leefgroepen.id), by=admin)
    assert product.code == "44A12" and product.category_id == leefgroepen.id


def test_the_public_tariffs_page_lists_the_published_tariffs_per_year_and_category(app, client):
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.code == "44A11"))
        draft = Tariff(product_id=product.id, year=2027, price="999.99", published_at=None)
        _unpublish("leefgroepen", 2027)
        db.session.add(draft)
        db.session.commit()
    page = client.get("/tarieven").get_data(as_text=True)
    assert "<h1>Gepubliceerde tarieven</h1>" in page
    # The years of the term as it runs now (2032-2033 only once an option is exercised).
    assert 'id="jaar-2027"' in page and 'id="jaar-2031"' in page and "jaar-2032" not in page
    assert "Kleinschalige woonvormen" in page and "44A10" in page
    assert "999,99" not in page  # a draft is not public
    assert "Nog geen tarief gepubliceerd voor: Leefgroepen." in page
    assert 'href="/tarieven"' in client.get("/").get_data(as_text=True)


def test_requirement_a13_links_to_the_published_tariffs(app, client):
    with app.app_context():
        a13 = requirement("A13")
        assert "(/tarieven)" in a13.help_text
        draft = applications.create_application(_procedure(), categories("leefgroepen"),
                                                by=user(PROVIDER))
        db.session.commit()
        draft_id = draft.id
    link = '<a href="/tarieven">gepubliceerde tarieven per jaar en categorie</a>'
    assert link in client.get("/eisen").get_data(as_text=True)
    login(client, PROVIDER)
    # The wizard step that asks A13 (whichever it is) shows the link with the requirement.
    steps = [client.get(f"/aanmeldingen/{draft_id}/stap/{n}").get_data(as_text=True)
             for n in range(1, 4)]
    asking = [page for page in steps if 'id="eis-A13"' in page]
    assert len(asking) == 1 and link in asking[0]


def test_help_links_make_only_portal_paths_links(app):
    from portal.procedure.views import help_links

    with app.test_request_context("/"):
        assert str(help_links("Zie [de tarieven](/tarieven).")) == (
            'Zie <a href="/tarieven">de tarieven</a>.')
        for text in ['[x](https://example.org)', '[x](//evil.example)',
                     '[x](javascript:alert(1))', '[x](/a"onclick="b)']:
            assert "<a" not in str(help_links(text))
        assert "<script>" not in str(help_links("<script>[x](/a)</script>"))
        assert str(help_links("<b>[x](/eisen)</b>")) == (
            '&lt;b&gt;<a href="/eisen">x</a>&lt;/b&gt;')


@pytest.mark.usefixtures("in_term")
def test_submitting_is_refused_while_a_chosen_category_has_no_published_tariff(ctx):
    provider = user(PROVIDER)
    draft = applications.create_application(_procedure(), categories("pleegzorg", "leefgroepen"),
                                            by=provider)
    fill_completely(draft, provider)
    _unpublish("leefgroepen", 2029)  # this year (in_term: 2029); other years do not count
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        applications.submit(draft, by=provider)
    assert str(refused.value).startswith(
        "U kunt nog niet indienen: de regio heeft voor Leefgroepen nog geen tarieven voor 2029 "
        "gepubliceerd.")
    db.session.rollback()
    assert db.session.get(Application, draft.id).status == Status.CONCEPT
    # A draft price is not enough; a published one is.
    admin, procedure = user(ADMIN), _procedure()
    product = db.session.scalar(select(Product).where(Product.code == "44A11"))
    ops.set_prices(procedure, 2029, {product.id: "312,50"}, by=admin)
    with pytest.raises(DomainError, match="Leefgroepen nog geen tarieven voor 2029"):
        applications.submit(db.session.get(Application, draft.id), by=provider)
    ops.publish_tariffs(procedure, 2029, by=admin)
    draft = db.session.get(Application, draft.id)
    applications.submit(draft, by=provider)
    assert draft.status == Status.INGEDIEND


@pytest.mark.usefixtures("in_term")
def test_through_the_page_the_refusal_is_shown_and_the_draft_kept(app, client):
    with app.app_context():
        provider = user(PROVIDER)
        draft = applications.create_application(_procedure(), categories("gezinshuiszorg"),
                                                by=provider)
        fill_completely(draft, provider)
        _unpublish("gezinshuiszorg", 2029)
        db.session.commit()
        draft_id = draft.id
    login(client, PROVIDER)
    response = post(client, f"/aanmeldingen/{draft_id}/indienen",
                    token_from=f"/aanmeldingen/{draft_id}/overzicht", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "de regio heeft voor Gezinshuiszorg nog geen tarieven voor 2029 gepubliceerd" in page
    with app.app_context():
        assert db.session.get(Application, draft_id).status == Status.CONCEPT


def test_before_the_term_the_first_year_of_the_term_counts(ctx):
    """Before 2027 the tariffs of 2027 (the first year of the term) are the current ones."""
    provider = user(PROVIDER)
    with time_machine.travel(datetime(2026, 10, 1, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")),
                             tick=True):
        draft = applications.create_application(_procedure(), categories("pleegzorg"),
                                                by=provider)
        fill_completely(draft, provider)
        _unpublish("pleegzorg", 2027)
        with pytest.raises(DomainError, match="Pleegzorg nog geen tarieven voor 2027"):
            applications.submit(draft, by=provider)


@pytest.mark.usefixtures("in_term")
def test_the_products_page_warns_about_categories_without_a_published_tariff(app, client):
    login(client, ADMIN)
    assert 'id="zonder-tarief"' not in client.get("/beheer/producten").get_data(as_text=True)
    with app.app_context():
        _unpublish("zelfstandigheidstraining", 2029)
        db.session.commit()
    page = client.get("/beheer/producten").get_data(as_text=True)
    assert ("Voor deze categorieën heeft geen product een gepubliceerd tarief voor 2029: "
            "Zelfstandigheidstraining / kamertraining.") in page
