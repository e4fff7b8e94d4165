"""The partner picker of a new dialogue and a new investigation: no list of every partner
(tens of thousands at national scale), but the chosen partner (?partner=<id>) fixed in the
form, or a search by name or KvK number among the partners the form may choose, served by
an index, at most 20 shown. Bad input is answered in Dutch, never a 500; the page's number
of statements does not grow with the number of partners."""
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AdmissionStatus, Organisation
from portal.oversight import views
from portal.oversight.models import Dialogue, Investigation
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, login, post
from tests.test_partners_capacity import admit, count_statements, demo_org, organisation
from tests.test_queue_search import _plan as query_plan

pytestmark = pytest.mark.usefixtures("in_term")

PLAN_URL = "/beheer/dialogen/nieuw"
NEW_URL = "/beheer/toezicht/nieuw"
BOTH = pytest.mark.parametrize("url", [PLAN_URL, NEW_URL])
LINK_RE = re.compile(r'href="(/beheer/(?:dialogen|toezicht)/nieuw\?partner=(\d+))"')


def _client(app, who=ASSESSOR_1):
    client = app.test_client()
    login(client, who)
    return client


def _partners(app):
    """Three organisations named 'Jeugdzorg …': an active partner, an admitted one (not yet
    active: a partner for an investigation, not for a dialogue) and an ended one (neither)."""
    with app.app_context():
        ids = {}
        for key, name, kvk, status in (
                ("actief", "Jeugdzorg Het Anker", "99887766", AdmissionStatus.ACTIEF),
                ("toegelaten", "Jeugdzorg De Brug", "99887755", AdmissionStatus.TOEGELATEN),
                ("beeindigd", "Jeugdzorg Oud en Nieuw", "99887744", AdmissionStatus.BEEINDIGD)):
            org = organisation(name, kvk)
            admit(org, "pleegzorg", status=status)
            ids[key] = org.id
        db.session.commit()
        return ids


def _found(client, url, term) -> tuple[int, str, set[int]]:
    response = client.get(url, query_string={"zoek": term})
    html = response.get_data(as_text=True)
    return response.status_code, html, {int(m[1]) for m in LINK_RE.findall(html)}


# --- searching ---------------------------------------------------------------------------------

def test_search_by_name_and_by_kvk_finds_the_partners_each_form_may_choose(app):
    ids = _partners(app)
    client = _client(app)

    status, html, found = _found(client, PLAN_URL, "jeugdzorg")
    assert status == 200 and found == {ids["actief"]}  # a dialogue: active partners only
    assert "Zoek een partner (naam of KvK-nummer)" in html
    assert 'name="meeting_date"' not in html  # the form follows the choice
    assert f'href="{PLAN_URL}?partner={ids["actief"]}"' in html and "KvK 99887766" in html
    # an investigation: every partner with a live admission (toegelaten, actief, geschorst)
    assert _found(client, NEW_URL, "JEUGDZORG")[2] == {ids["actief"], ids["toegelaten"]}
    assert _found(client, NEW_URL, "Jeugdzorg het anker")[2] == {ids["actief"]}

    # a KvK number matches exactly (also typed with a space); none of another partner
    assert _found(client, PLAN_URL, "99887766")[2] == {ids["actief"]}
    assert _found(client, NEW_URL, "9988 7755")[2] == {ids["toegelaten"]}
    assert _found(client, PLAN_URL, "99887755")[2] == set()  # not active: no dialogue
    assert _found(client, NEW_URL, "99887744")[2] == set()  # ended: no partner

    status, html, found = _found(client, NEW_URL, "Zorgboerderij Nergens")
    assert status == 200 and found == set()
    assert "Geen partner gevonden met deze zoekterm." in html
    assert _found(client, PLAN_URL, "%%")[2] == set() and _found(client, PLAN_URL, "__")[2] == set()


@BOTH
def test_a_search_too_short_or_too_long_is_answered_never_a_500(app, url):
    _partners(app)
    client = _client(app)
    status, html, found = _found(client, url, "J")
    assert status == 200 and "Typ minstens 2 tekens om te zoeken." in html and found == set()
    assert 'aria-describedby="organisation_id-fout"' in html
    status, html, found = _found(client, url, "Jeugdzorg " * 50)  # 500 characters
    assert status == 200 and "De zoekterm is te lang" in html and found == set()
    assert client.get(url, query_string={"zoek": "x" * 5000}).status_code == 200
    status, html, found = _found(client, url, "   ")
    assert status == 200 and found == set() and "Geen partner gevonden" not in html


def test_at_most_twenty_partners_are_shown(app):
    with app.app_context():
        for i in range(25):
            admit(organisation(f"Gezinshuis Veelvoud {i:02d}", f"700000{i:02d}"), "pleegzorg")
        db.session.commit()
    status, html, found = _found(_client(app), PLAN_URL, "Gezinshuis Veelvoud")
    assert status == 200 and len(found) == views.PICKER_LIMIT == 20
    assert "Er zijn meer dan 20 partners gevonden" in html
    assert "Gezinshuis Veelvoud 00" in html and "Gezinshuis Veelvoud 24" not in html  # by name


# --- the chosen partner ------------------------------------------------------------------------

@BOTH
def test_the_chosen_partner_is_fixed_in_the_form(app, url):
    ids = _partners(app)
    html = _client(app).get(f"{url}?partner={ids['actief']}").get_data(as_text=True)
    assert "Jeugdzorg Het Anker" in html and "KvK 99887766" in html
    assert f'<input type="hidden" name="organisation_id" value="{ids["actief"]}">' in html
    assert f'<a href="{url}">Andere partner kiezen</a>' in html
    assert 'name="zoek"' not in html and "<select" in html  # the rest of the form


@pytest.mark.parametrize("url,partner,message", [
    (PLAN_URL, "999999", "Er is geen organisatie met dit nummer"),
    (PLAN_URL, "abc", "Er is geen organisatie met dit nummer"),
    (PLAN_URL, "-3", "Er is geen organisatie met dit nummer"),
    (PLAN_URL, "99999999999999999999", "Er is geen organisatie met dit nummer"),
    (PLAN_URL, "toegelaten", "Deze organisatie heeft geen actieve toelating"),
    (PLAN_URL, "beeindigd", "Deze organisatie heeft geen actieve toelating"),
    (NEW_URL, "424242", "Er is geen organisatie met dit nummer"),
    (NEW_URL, "beeindigd", "Deze organisatie is geen partner"),
])
def test_a_partner_that_cannot_be_chosen_is_explained(app, url, partner, message):
    ids = _partners(app)
    response = _client(app).get(url, query_string={"partner": ids.get(partner, partner)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert 'name="zoek"' in html and 'name="organisation_id"' not in html


def test_the_list_pages_and_the_partner_file_pass_the_partner_on(app):
    ids = _partners(app)
    client = _client(app, ADMIN)
    partner = ids["actief"]
    assert f'href="{PLAN_URL}?partner={partner}"' in client.get(
        f"/beheer/dialogen?partner={partner}").get_data(as_text=True)
    assert f'href="{NEW_URL}?partner={partner}"' in client.get(
        f"/beheer/toezicht?partner={partner}").get_data(as_text=True)
    assert f'href="{PLAN_URL}"' in client.get("/beheer/dialogen").get_data(as_text=True)
    assert f'href="{NEW_URL}"' in client.get("/beheer/toezicht").get_data(as_text=True)


@pytest.mark.parametrize("partner", ["99999999999999999999", "2147483648", "-3", "abc", "1.5"])
def test_a_partner_filter_no_row_can_match_shows_the_whole_list(app, partner):
    """A number larger than the database's INTEGER (a 500 before), or no number at all, is
    no filter: the list as without one."""
    client = _client(app, ADMIN)
    for url, new in (("/beheer/dialogen", PLAN_URL), ("/beheer/toezicht", NEW_URL)):
        response = client.get(url, query_string={"partner": partner})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'href="{new}"' in html and f"{new}?partner=" not in html


# --- posting -----------------------------------------------------------------------------------

def _chosen_through_the_search(client, url, term) -> tuple[str, str]:
    """Search, follow the one result: (the form's URL, the organisation_id it posts)."""
    _, _, found = _found(client, url, term)
    assert len(found) == 1, found
    form_url = f"{url}?partner={found.pop()}"
    html = client.get(form_url).get_data(as_text=True)
    posted = re.search(r'name="organisation_id" value="(\d+)"', html)
    return form_url, posted.group(1)


def test_a_dialogue_and_an_investigation_with_a_searched_partner_end_to_end(app, smtp):
    ids = _partners(app)
    client = _client(app, ADMIN)

    form_url, org_id = _chosen_through_the_search(client, PLAN_URL, "Jeugdzorg Het")
    response = post(client, form_url, {
        "organisation_id": org_id, "meeting_date": today_local().isoformat(),
        "meeting_time": "10:00", "place": "Stadskantoor Breda",
        "participants": "Dirk Visser (contractmanager)", "agenda": "Rapportage",
        "reporting_round_id": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        dialogue = db.session.scalar(select(Dialogue))
        assert dialogue.organisation_id == ids["actief"]

    form_url, org_id = _chosen_through_the_search(client, NEW_URL, "99887755")
    response = post(client, form_url, {
        "organisation_id": org_id, "reason": "signaal",
        "started_on": today_local().isoformat(), "description": "Signaal van een verwijzer."})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        assert db.session.scalar(select(Investigation)).organisation_id == ids["toegelaten"]


@pytest.mark.parametrize("url,data,message", [
    (PLAN_URL, {"meeting_date": "2029-03-01", "meeting_time": "10:00", "place": "Zaal 3",
                "participants": "Dirk Visser (contractmanager)", "agenda": "Rapportage"},
     "Deze organisatie heeft geen actieve toelating"),
    (NEW_URL, {"reason": "klacht", "started_on": "2029-03-01", "description": "Zaal 3"},
     "Deze organisatie is geen partner"),
])
def test_a_post_with_a_partner_that_cannot_be_chosen_keeps_the_input(app, url, data, message):
    ids = _partners(app)
    client = _client(app, ADMIN)
    response = post(client, url, dict(data, organisation_id=str(ids["beeindigd"])))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'href="#organisation_id"' in html and 'id="organisation_id"' in html
    assert "Zaal 3" in html and 'name="zoek"' in html  # the input kept, a partner to search
    with app.app_context():
        assert db.session.scalar(select(func.count(Dialogue.id))) == 0
        assert db.session.scalar(select(func.count(Investigation.id))) == 0


# --- at scale ----------------------------------------------------------------------------------

def _add_partners(app, first, last):
    with app.app_context():
        for i in range(first, last):
            admit(organisation(f"Jeugdzorg Schaal {i:03d}", f"6100{i:04d}"), "pleegzorg")
        db.session.commit()


def test_the_picker_costs_the_same_statements_with_5_and_with_50_partners(app):
    _add_partners(app, 0, 5)
    client = _client(app)
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg")
        db.session.commit()
        chosen = org.id
    urls = [f"{url}{query}" for url in (PLAN_URL, NEW_URL)
            for query in ("", "?zoek=Jeugdzorg+Schaal", "?zoek=61000003", "?zoek=J",
                          f"?partner={chosen}")]
    small = {url: count_statements(app, client, url) for url in urls}
    _add_partners(app, 5, 50)
    large = {url: count_statements(app, client, url) for url in urls}
    assert large == small
    assert len(_found(client, PLAN_URL, "Jeugdzorg Schaal")[2]) == 20


def test_the_search_is_served_by_the_index(app):
    """On SQLite the picker's whole search walks the index of lower(name) in its order and
    stops at the 21st partner; on PostgreSQL the trigram index serves the name (which
    plan joins the admissions depends on the sizes; a test's tables are tiny)."""
    from portal.accounts.search import name_matches

    with app.app_context():
        on_postgres = db.session.get_bind().dialect.name == "postgresql"
        for eligible in (views.DIALOGUE_PARTNER, views.INVESTIGATION_PARTNER):
            statement = (select(Organisation.id)
                         .where(name_matches("Jeugdzorg"), eligible)
                         .order_by(func.lower(Organisation.name), Organisation.id)
                         .limit(views.PICKER_LIMIT + 1))
            if on_postgres:
                statement = select(Organisation.id).where(name_matches("Jeugdzorg"))
            plan = query_plan(statement)
            assert on_postgres or "TEMP B-TREE" not in plan, plan  # no sort of all matches
            assert "ix_organisations_name_search" in plan, plan
            kvk = query_plan(select(Organisation.id).where(Organisation.kvk_number == "99887766",
                                                           eligible))
            assert "kvk" in kvk.lower() or "autoindex" in kvk.lower(), kvk
