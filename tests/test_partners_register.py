"""The public register of admitted partners: search and filters, each partner's page, and
the register as open data (CSV and Open Contracting JSON)."""
import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Admission, AdmissionStatus, Category
from portal.pagecache import cache_of
from portal.partners.views import MUNICIPALITIES
from portal.timeutil import today_local
from tests.conftest import ASSESSOR_1, PROVIDER, login
from tests.test_partners_capacity import (
    MAX_STATEMENTS,
    admit,
    age,
    count_statements,
    demo_org,
    organisation,
    report,
)
from tests.test_scale import StatementCounter

A = AdmissionStatus


def _register_data(app):
    """Five organisations: active, suspended, admitted without agreement, ended, and one in a
    village of Geertruidenberg."""
    with app.app_context():
        demo = demo_org()  # Breda
        admit(demo, "pleegzorg", "gezinshuiszorg", admitted_at=datetime(2027, 1, 4, 9))
        geschorst = organisation("Woongroep Het Anker", "23456789", city="Oosterhout")
        admit(geschorst, "leefgroepen", status=A.GESCHORST)
        nieuw = organisation("Kamers op Maat", "34567890", city="Raamsdonksveer",
                             website="www.kamersopmaat.example")
        admit(nieuw, "zelfstandigheidstraining", status=A.TOEGELATEN)
        gestopt = organisation("Gestopt Gezinshuis", "45678901", city="Breda")
        admit(gestopt, "gezinshuiszorg", status=A.BEEINDIGD)
        formula = organisation("=HYPERLINK(\"http://x\") Zorg", "56789012", city="Made",
                               website="javascript:alert(1)")
        admit(formula, "pleegzorg")
        db.session.commit()
        return {"demo": demo.id, "geschorst": geschorst.id, "nieuw": nieuw.id,
                "gestopt": gestopt.id, "formula": formula.id}


def test_register_lists_live_admissions_with_their_state(app, client):
    ids = _register_data(app)
    html = client.get("/register").get_data(as_text=True)
    assert "Stichting Gezinshuis De Linde (demo)" in html
    assert "Woongroep Het Anker" in html and "Kamers op Maat" in html
    assert "Gestopt Gezinshuis" not in html  # ended
    row = html[html.index("Woongroep Het Anker"):]
    row = row[:row.index("</tr>")]
    assert "Leefgroepen" in row and "geschorst" in row
    demo_row = html[html.index("Stichting Gezinshuis De Linde"):]
    assert "geschorst" not in demo_row[:demo_row.index("</tr>")]
    assert "Pleegzorg (sinds 4 januari 2027)" in demo_row[:demo_row.index("</tr>")]
    assert f'href="/register/{ids["geschorst"]}"' in html


def test_register_search_and_filters(app, client):
    _register_data(app)

    def names(url):
        html = client.get(url).get_data(as_text=True)
        return {n for n in ("De Linde", "Het Anker", "Kamers op Maat", "HYPERLINK")
                if n in html}

    assert names("/register?zoek=anker") == {"Het Anker"}
    assert names("/register?zoek=34567890") == {"Kamers op Maat"}
    assert names("/register?zoek=3456 7890") == {"Kamers op Maat"}
    assert names("/register?zoek=oosterhout") == {"Het Anker"}
    assert names("/register?categorie=pleegzorg") == {"De Linde", "HYPERLINK"}
    assert names("/register?gemeente=Breda") == {"De Linde"}
    # A village belongs to its municipality.
    assert names("/register?gemeente=Geertruidenberg") == {"Kamers op Maat"}
    assert names("/register?gemeente=Drimmelen") == {"HYPERLINK"}
    assert names("/register?gemeente=Drimmelen&categorie=leefgroepen") == set()
    assert names("/register?gemeente=Atlantis") == {"De Linde", "Het Anker", "Kamers op Maat",
                                                     "HYPERLINK"}
    html = client.get("/register?gemeente=Breda&zoek=linde").get_data(as_text=True)
    # Filters stay in the category tabs and the export links.
    assert "categorie=pleegzorg&amp;gemeente=Breda&amp;zoek=linde" in html
    assert "/register/export.csv?gemeente=Breda&amp;zoek=linde" in html
    assert "nog geen toegelaten aanbieders" in client.get(
        "/register?gemeente=Altena").get_data(as_text=True)
    assert list(MUNICIPALITIES) == ["Altena", "Breda", "Drimmelen", "Geertruidenberg",
                                    "Oosterhout"]


def test_register_is_paginated_in_the_database(app, client):
    with app.app_context():
        for n in range(55):
            admit(organisation(f"Aanbieder {n:02d}", f"{60000000 + n}"), "pleegzorg")
        db.session.commit()
    first = client.get("/register").get_data(as_text=True)
    assert "Aanbieder 00" in first and "Aanbieder 49" in first and "Aanbieder 50" not in first
    assert "Pagina 1 van 2" in first
    second = client.get("/register?pagina=2").get_data(as_text=True)
    assert "Aanbieder 54" in second and "Aanbieder 00" not in second
    assert count_statements(app, client, "/register?gemeente=Breda&zoek=aanbieder") \
        <= MAX_STATEMENTS


@pytest.mark.parametrize("few", [0, 200])
def test_a_searched_register_counts_its_matches_either_way(app, client, monkeypatch, few):
    """A search that matches many (FEW 0 forces it) is counted by joining the full-text
    table on SQLite, so the count stops at its cap; a few by their ids: the same total."""
    from portal import textsearch

    monkeypatch.setattr(textsearch, "FEW", few)
    with app.app_context():
        for n in range(55):
            admit(organisation(f"Aanbieder {n:02d}", f"{60000000 + n}"), "pleegzorg")
        admit(organisation("Iemand Anders", "69999999"), "pleegzorg")
        db.session.commit()
        engine = db.engine
    client.get("/register?zoek=aanbieder")
    cache_of(app).clear()  # count the search, not the kept page
    with StatementCounter(engine) as counter:
        first = client.get("/register?zoek=aanbieder").get_data(as_text=True)
    assert "Pagina 1 van 2 (55 in totaal)" in first and "Iemand Anders" not in first
    second = client.get("/register?zoek=aanbieder&pagina=2").get_data(as_text=True)
    assert "Aanbieder 54" in second and "Aanbieder 00" not in second
    joined = any("JOIN organisations_search" in s for s in counter.statements)
    assert joined == (few == 0 and engine.dialect.name == "sqlite"), counter.statements


def test_partner_page_shows_categories_dates_state_and_contact(app, client):
    ids = _register_data(app)
    html = client.get(f"/register/{ids['demo']}").get_data(as_text=True)
    assert "Stichting Gezinshuis De Linde (demo)" in html
    assert "Lindelaan 1" in html and "4811 AB Breda" in html
    assert 'href="mailto:info@delinde.demo.nl"' in html
    assert "Pleegzorg" in html and "Gezinshuiszorg" in html and "4 januari 2027" in html
    assert "actief" in html
    nieuw = client.get(f"/register/{ids['nieuw']}").get_data(as_text=True)
    assert 'href="https://www.kamersopmaat.example"' in nieuw
    assert "deelnemersovereenkomst nog niet geaccepteerd" in nieuw
    formula = client.get(f"/register/{ids['formula']}").get_data(as_text=True)
    assert 'href="javascript' not in formula and "javascript:alert(1)" in formula
    assert client.get(f"/register/{ids['gestopt']}").status_code == 404
    assert client.get("/register/999999").status_code == 404


def test_suspension_shows_on_the_partner_page(app, client):
    from portal.partners import workflow
    from tests.conftest import ADMIN, user

    ids = _register_data(app)
    with app.app_context():
        admission = db.session.scalar(select(Admission).where(
            Admission.organisation_id == ids["demo"]).join(Category).where(
            Category.code == "pleegzorg"))
        workflow.suspend(admission, by=user(ADMIN), reason="Onderzoek.",
                         starts_on=today_local(), ends_on=today_local() + timedelta(days=30))
        db.session.commit()
    html = client.get(f"/register/{ids['demo']}").get_data(as_text=True)
    assert "geschorst" in html and "tot en met" in html
    assert "Onderzoek." not in html  # the reason is for the partner and the region only
    register = client.get("/register?zoek=linde").get_data(as_text=True)
    assert "badge-geschorst" in register


def test_capacity_on_the_partner_page_only_for_staff(app, client):
    ids = _register_data(app)
    with app.app_context():
        fresh = report(demo_org(), location="Breda-Noord", places=2)
        old = report(demo_org(), location="Teteringen", places=1)
        age(old, 31)
        db.session.commit()
        assert fresh.id
    url = f"/register/{ids['demo']}"
    assert "Breda-Noord" not in client.get(url).get_data(as_text=True)
    provider = app.test_client()
    login(provider, PROVIDER)
    assert "Breda-Noord" not in provider.get(url).get_data(as_text=True)
    staff = app.test_client()
    login(staff, ASSESSOR_1)
    html = staff.get(url).get_data(as_text=True)
    assert "Breda-Noord" in html and "Teteringen" in html and "badge-verouderd" in html
    assert f'href="/beheer/partners/{ids["demo"]}"' in html
    assert count_statements(app, staff, url) <= MAX_STATEMENTS


def _streamed(client, url):
    """The body of a response read as a WSGI server reads it: a stream, not a buffer."""
    response = client.get(url, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data(as_text=True)
    response.close()
    return response, body


def _csv(client, url="/register/export.csv"):
    response, body = _streamed(client, url)
    assert response.mimetype == "text/csv"
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:]), delimiter=";"))


def test_csv_export(app, client):
    _register_data(app)
    response = client.get("/register/export.csv")
    assert 'attachment; filename="register-' in response.headers["Content-Disposition"]
    rows = _csv(client)
    assert {(r["organisatie"], r["categorie_code"], r["status"]) for r in rows} == {
        ("Stichting Gezinshuis De Linde (demo)", "pleegzorg", "actief"),
        ("Stichting Gezinshuis De Linde (demo)", "gezinshuiszorg", "actief"),
        ("Woongroep Het Anker", "leefgroepen", "geschorst"),
        ("Kamers op Maat", "zelfstandigheidstraining", "toegelaten"),
        ("'=HYPERLINK(\"http://x\") Zorg", "pleegzorg", "actief"),  # never a formula
    }
    linde = next(r for r in rows if r["categorie_code"] == "pleegzorg"
                 and r["kvk_nummer"] == "12345678")
    assert linde["toegelaten_op"] == "2027-01-04" and linde["plaats"] == "Breda"
    filtered = _csv(client, "/register/export.csv?gemeente=Geertruidenberg")
    assert [r["organisatie"] for r in filtered] == ["Kamers op Maat"]


def _ocds(client, url="/register/export.json"):
    response, body = _streamed(client, url)
    assert response.mimetype == "application/json"
    return json.loads(body)


def _is_iso(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_ocds_release_package(app, client):
    _register_data(app)
    package = _ocds(client)
    assert package["version"] == "1.1" and _is_iso(package["publishedDate"])
    assert package["uri"].endswith("/register/export.json")
    release, = package["releases"]
    for field in ("ocid", "id", "date", "tag", "initiationType"):
        assert release[field], field
    assert release["ocid"].startswith("ocds-") and release["initiationType"] == "tender"
    assert _is_iso(release["date"]) and release["tag"] == ["award"]
    buyer, *suppliers = release["parties"]
    assert buyer["roles"] == ["buyer"] and buyer["name"] == "Regio West-Brabant Oost Jeugd"
    assert release["buyer"] == {"id": buyer["id"], "name": buyer["name"]}
    by_kvk = {p["identifier"]["id"]: p for p in suppliers}
    assert set(by_kvk) == {"12345678", "23456789", "34567890", "56789012"}  # not the ended one
    linde = by_kvk["12345678"]
    assert linde["id"] == "NL-KVK-12345678" and linde["identifier"]["scheme"] == "NL-KVK"
    assert linde["roles"] == ["supplier"] and linde["address"]["locality"] == "Breda"
    assert linde["contactPoint"]["email"] == "info@delinde.demo.nl"
    assert {a["category"] for a in linde["details"]["admissions"]} == {"pleegzorg",
                                                                        "gezinshuiszorg"}
    assert all(_is_iso(a["admittedDate"]) for a in linde["details"]["admissions"])
    assert "url" not in by_kvk["56789012"]["contactPoint"]  # javascript: is no website
    assert by_kvk["34567890"]["contactPoint"]["url"] == "https://www.kamersopmaat.example"
    awards = {a["title"]: a for a in release["awards"]}
    assert len(release["awards"]) == 4  # one per category with suppliers
    assert "Kleinschalige woonvormen" not in awards
    assert {s["id"] for s in awards["Pleegzorg"]["suppliers"]} == {"NL-KVK-12345678",
                                                                   "NL-KVK-56789012"}
    assert [s["id"] for s in awards["Leefgroepen"]["suppliers"]] == ["NL-KVK-23456789"]
    assert awards["Gezinshuiszorg"]["suppliers"] == [{"id": "NL-KVK-12345678",
                                                      "name": linde["name"]}]
    assert len({a["id"] for a in release["awards"]}) == 4
    period = awards["Pleegzorg"]["contractPeriod"]
    assert period["startDate"] == "2027-01-01T00:00:00+01:00"
    assert period["endDate"] == "2031-12-31T23:59:59+01:00"
    assert period["maxExtentDate"] == "2033-12-31T23:59:59+01:00"
    party_ids = {p["id"] for p in release["parties"]}
    assert all(s["id"] in party_ids for a in release["awards"] for s in a["suppliers"])
    # Filters apply as on the page.
    one = _ocds(client, "/register/export.json?categorie=leefgroepen")["releases"][0]
    assert [a["title"] for a in one["awards"]] == ["Leefgroepen"]
    assert [p["identifier"]["id"] for p in one["parties"][1:]] == ["23456789"]


def test_exports_of_an_empty_register_are_valid(client):
    package = _ocds(client)
    release = package["releases"][0]
    assert len(release["parties"]) == 1 and release["awards"] == []
    _, body = _streamed(client, "/register/export.csv")
    assert body == "\ufefforganisatie;kvk_nummer;agb_code;adres;postcode;plaats;e_mail;website;categorie;" \
                   "categorie_code;status;toegelaten_op\r\n"


def test_exports_stream_a_large_register(app, client):
    from bench.datagen import populate

    with app.app_context():
        populate(900)
        expected = db.session.scalar(select(db.func.count()).select_from(Admission).where(
            Admission.status.in_(("TOEGELATEN", "ACTIEF", "GESCHORST"))))
        assert expected > 300
    rows = _csv(client)
    assert len(rows) == expected
    release = _ocds(client)["releases"][0]
    assert sum(len(a["suppliers"]) for a in release["awards"]) == expected
    assert len(release["parties"]) - 1 == len({r["kvk_nummer"] for r in rows})


def _date_nl(value):
    from babel.dates import format_date

    return format_date(value, "d MMMM y", locale="nl")


def _row(html, name):
    row = html[html.index(name):]
    return row[:row.index("</tr>")]


def test_notice_and_planned_end_show_in_the_register_and_on_the_partner_page(app, client):
    from portal.partners import workflow
    from portal.procedure.models import add_months
    from tests.conftest import ADMIN, user

    ids = _register_data(app)
    before = count_statements(app, client, "/register")
    today = today_local()
    with app.app_context():
        def admission_of(org_id, code):
            return db.session.scalar(select(Admission).join(Category).where(
                Admission.organisation_id == org_id, Category.code == code))

        notice_end = workflow.end_by_partner(admission_of(ids["demo"], "pleegzorg"),
                                             by=user(PROVIDER), reason="Wij stoppen ermee.")
        planned_end = today + timedelta(days=45)
        workflow.end(admission_of(ids["geschorst"], "leefgroepen"), by=user(ADMIN),
                     reason="Tekortkomingen.", ends_on=planned_end)
        db.session.commit()
    assert notice_end == add_months(today, 3)

    page = client.get(f"/register/{ids['demo']}").get_data(as_text=True)
    assert f"eindigt op {_date_nl(notice_end)}" in _row(page, "<td>Pleegzorg</td>")
    assert "eindigt op" not in _row(page, "<td>Gezinshuiszorg</td>")
    assert "Wij stoppen ermee." not in page  # the reason is not public
    anker = client.get(f"/register/{ids['geschorst']}").get_data(as_text=True)
    assert f"eindigt op {_date_nl(planned_end)}" in anker and "badge-geschorst" in anker

    register = client.get("/register").get_data(as_text=True)
    demo_row = _row(register, "Stichting Gezinshuis De Linde")
    pleeg = demo_row[demo_row.index("Pleegzorg"):]
    assert pleeg[:pleeg.index("</li>")].endswith(f"eindigt op {_date_nl(notice_end)}")
    gezins = demo_row[demo_row.index("Gezinshuiszorg"):]
    assert "eindigt op" not in gezins[:gezins.index("</li>")]
    anker_row = _row(register, "Woongroep Het Anker")
    assert "badge-geschorst" in anker_row and f"eindigt op {_date_nl(planned_end)}" in anker_row
    assert "Tekortkomingen." not in register
    # Showing the end costs no statement more.
    assert count_statements(app, client, "/register") == before <= MAX_STATEMENTS


def _referrer(app, email="verwijzer@wijkteam.example"):
    from portal.accounts.passwords import hash_password
    from portal.models import Role, User
    from portal.timeutil import utcnow
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        db.session.add(User(email=email, full_name="Vera Verwijzer", role=Role.REFERRER,
                            affiliation="Sociaal wijkteam Breda-Noord",
                            password_hash=hash_password(DEMO_PASSWORD),
                            email_confirmed_at=utcnow()))
        db.session.commit()
    client = app.test_client()
    response = login(client, email)
    # A referrer sets up the second factor first (the login helper does, as a person does).
    assert response.headers["Location"].endswith("/account/tweestapsverificatie/instellen")
    return client


def test_referrers_see_current_capacity_in_the_overview_and_on_the_partner_page(app, client):
    ids = _register_data(app)
    with app.app_context():
        report(demo_org(), location="Breda-Noord", places=2)
        old = report(demo_org(), location="Teteringen", places=1)
        age(old, 31)
        db.session.commit()
    referrer = _referrer(app)
    overview = referrer.get("/capaciteit")
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200
    assert "Breda-Noord" in html and "Teteringen" in html and "badge-verouderd" in html
    # The organisation links to its public page, not to the region's partner file.
    assert f'href="/register/{ids["demo"]}"' in html and "/beheer/partners/" not in html
    # The menu: capacity, no assessment, no administration.
    nav = html[html.index('aria-label="Hoofdmenu"'):html.index("</nav>")]
    assert 'href="/capaciteit"' in nav
    assert "/beoordeling" not in nav and 'href="/beheer/"' not in nav
    assert "Ingelogd als Vera Verwijzer (verwijzer)" in html

    page = referrer.get(f"/register/{ids['demo']}").get_data(as_text=True)
    assert "Breda-Noord" in page and "Beschikbare plaatsen" in page
    assert "/beheer/partners/" not in page
    assert "Breda-Noord" not in client.get(f"/register/{ids['demo']}").get_data(as_text=True)
    assert count_statements(app, referrer, "/capaciteit") <= MAX_STATEMENTS
    assert count_statements(app, referrer, f"/register/{ids['demo']}") <= MAX_STATEMENTS


def test_public_exports_are_rate_limited_per_address(database_url, tmp_path, smtp):
    """50 export requests from one address: the first ones are served, then a Dutch 429;
    another address is still served (issue 15, bad input)."""
    from portal.extensions import limiter
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path / "uploads", smtp, RATELIMIT_ENABLED=True,
                   EXPORT_RATE_LIMIT="20 per minute")
    with app.app_context():
        limiter.reset()
    try:
        client = app.test_client()
        codes = [client.get("/register/export.csv" if i % 2 else "/register/export.json").status_code
                 for i in range(50)]
        assert codes[:20] == [200] * 20 and set(codes[20:]) == {429}
        refused = client.get("/register/export.csv")
        assert "Te veel pogingen" in refused.get_data(as_text=True)
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.99"
        assert other.get("/register/export.csv").status_code == 200
    finally:
        with app.app_context():
            limiter.reset()


@pytest.mark.parametrize("term", ['"', "*", 'anker" OR "linde', "NEAR(anker linde)", "anker*",
                                  "^anker", "x" * 500, "%%", "__", "-anker", "ånker"])
def test_register_search_takes_any_text(app, client, term):
    """Whatever is typed (full-text syntax, quotes, wildcards, 500 characters) is searched
    as words, never run as a query of its own: a page, never a 500."""
    _register_data(app)
    response = client.get("/register", query_string={"zoek": term})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if term in ('anker" OR "linde', "NEAR(anker linde)"):
        # Every word must match: no organisation is called both.
        assert "Het Anker" not in html and "De Linde" not in html
    with app.app_context():
        on_sqlite = db.session.get_bind().dialect.name == "sqlite"
    if term in ("anker*", "^anker", "-anker") or (term == "ånker" and on_sqlite):
        assert "Het Anker" in html  # the word "anker" (signs aside; accents on SQLite)


def test_register_search_follows_changes_and_reads_indexes(app, client, monkeypatch):
    from portal import textsearch
    from portal.accounts.search import place_key, register_matches
    from portal.models import Organisation
    from tests.test_queue_search import _plan

    ids = _register_data(app)

    def names(term):
        html = client.get("/register", query_string={"zoek": term}).get_data(as_text=True)
        return {n for n in ("De Linde", "Het Anker", "Kamers op Maat", "De Wilg") if n in html}

    assert names("linde") == {"De Linde"} and names("stichting gezinshuis") == {"De Linde"}
    with app.app_context():
        demo = db.session.get(Organisation, ids["demo"])
        demo.name, demo.city = "Gezinshuis De Wilg", "Oosterhout"
        db.session.commit()
    assert names("linde") == set() and names("wilg") == {"De Wilg"}
    assert names("oosterhout") == {"De Wilg", "Het Anker"}
    with app.app_context():
        on_postgres = db.session.get_bind().dialect.name == "postgresql"
        # (FEW = 0: the matches are read in the statement itself, not first as a list)
        monkeypatch.setattr(textsearch, "FEW", 0)
        plan = _plan(select(Organisation.id).where(register_matches("wilg")))
        places = _plan(select(Organisation.id).where(
            Organisation.city.is_not(None),
            place_key(Organisation.city).in_(["breda", "bavel"])))
    assert ("ix_organisations_name_search" in plan) if on_postgres else \
        ("organisations_search VIRTUAL TABLE" in plan), plan
    assert "ix_organisations_city_search" in places, places


@pytest.mark.parametrize("few", [0, 1, 200])
def test_a_few_or_many_matches_give_the_same_register(app, client, monkeypatch, few):
    """The search and the place filter read a few matching organisations by their ids and
    check many row by row (textsearch.few_or_walk): the same page either way."""
    from portal import textsearch

    _register_data(app)
    monkeypatch.setattr(textsearch, "FEW", few)

    def names(url):
        html = client.get(url).get_data(as_text=True)
        return {n for n in ("De Linde", "Het Anker", "Kamers op Maat", "HYPERLINK") if n in html}

    assert names("/register?zoek=anker") == {"Het Anker"}
    assert names("/register?zoek=oosterhout") == {"Het Anker"}
    assert names("/register?gemeente=Breda") == {"De Linde"}
    assert names("/register?gemeente=Geertruidenberg") == {"Kamers op Maat"}
    assert names("/register?gemeente=Breda&zoek=linde") == {"De Linde"}
    assert names("/register?gemeente=Breda&zoek=anker") == set()
