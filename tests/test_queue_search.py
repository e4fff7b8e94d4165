"""The assessors' queue search and the staff list at scale (issue 15): served by indexes
(a trigram index on PostgreSQL, lower(name) on SQLite; role on users), and bad input gives
a clear answer, never a 500."""
import pytest
from sqlalchemy import func, select, text

from portal.accounts import staff as staff_ops
from portal.assessment import queue
from portal.extensions import db
from portal.models import Organisation, User
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, user
from tests.infra.browser import chromium_available
from tests.test_assessment_pages import _client, _other_org, _submit_for, _submitted


def _plan(statement) -> str:
    """The database's query plan of ``statement`` (sequential scans discouraged on
    PostgreSQL, where the tables of a test are too small to prefer an index)."""
    dialect = db.session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        connection = db.session.connection()
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        # (the literal '%' of a LIKE pattern comes escaped as '%%', as the driver reads it)
        rows = connection.exec_driver_sql("EXPLAIN " + sql).scalars().all()
    else:
        rows = [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    db.session.rollback()
    return "\n".join(rows)


def test_the_search_by_name_and_the_staff_list_are_served_by_indexes(app):
    with app.app_context():
        term = queue.build({"zoek": "Jeugdzorg"}, user(ASSESSOR_1), today_local(), [])
        assert term.term == "Jeugdzorg"
        # The organisations a search finds (the queue's rows are then theirs).
        plan = _plan(select(Organisation.id).where(queue.name_matches(term.term)))
        assert "ix_organisations_name_search" in plan, plan
        staff = select(func.count()).select_from(User).where(
            User.role.in_(staff_ops.MANAGED_ROLES), User.is_active_account.is_(True))
        assert "ix_users_role_active_name" in _plan(staff)


def test_queue_search_by_name_and_kvk(app):
    anker = _other_org(app)
    _, anker_ref = _submit_for(app, anker, ("gezinshuiszorg",), due_in=10)
    _, demo_ref = _submitted(app, ("pleegzorg",), take=False, due_in=5)
    client = _client(app, ASSESSOR_1)

    def found(term):
        html = client.get("/beoordeling/", query_string={"zoek": term}).get_data(as_text=True)
        return {ref for ref in (anker_ref, demo_ref) if ref in html}

    assert found("jeugdzorg") == {anker_ref}  # the start of the name, in any case
    assert found("JEUGDZORG HET ANKER") == {anker_ref}
    assert found("stichting gezinshuis") == {demo_ref}
    assert found("99887766") == {anker_ref} and found("9988 7766") == {anker_ref}
    assert found("%%") == set() and found("__") == set()  # no wildcards
    with app.app_context():
        on_postgres = db.session.get_bind().dialect.name == "postgresql"
    # PostgreSQL's trigram index serves any part of the name; SQLite's the start of it.
    assert found("het anker") == ({anker_ref} if on_postgres else set())


def test_queue_bad_input_is_answered_never_a_500(app):
    _, first_ref = _submitted(app, ("pleegzorg",), take=False, due_in=5)
    _, second_ref = _submitted(app, ("leefgroepen",), take=False, due_in=6)
    client = _client(app, ASSESSOR_1)

    one = client.get("/beoordeling/?zoek=S")
    html = one.get_data(as_text=True)
    assert one.status_code == 200 and "Typ minstens 2 tekens" in html
    assert first_ref in html and second_ref in html  # not searched
    assert 'aria-describedby="f-zoek-fout"' in html

    long = client.get("/beoordeling/", query_string={"zoek": "Stichting " * 50})
    html = long.get_data(as_text=True)
    assert long.status_code == 200 and "De zoekterm is te lang" in html
    assert first_ref in html  # not searched
    assert 'value="Stichting Stichting' in html and "Stichting " * 12 not in html  # shown cut

    odd = client.get("/beoordeling/?status=bestaat-niet&categorie=xyz&beoordelaar=iedereen"
                     "&termijn=gisteren&sorteer=willekeurig")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 200 and first_ref in html and second_ref in html
    assert 'aria-current="page">Alle open (2)' in html

    app.config["PAGE_SIZE"] = 1
    beyond = client.get("/beoordeling/?pagina=999")
    html = beyond.get_data(as_text=True)
    assert beyond.status_code == 200
    assert second_ref in html and first_ref not in html  # the last page
    assert client.get("/beoordeling/?pagina=-4").status_code == 200
    assert client.get("/beoordeling/?pagina=abc").status_code == 200


def test_staff_list_pages_and_filters(app):
    from portal.accounts.staff import create_staff

    with app.app_context():
        admin = user(ADMIN)
        for name in ("Zeger Zandstra", "Anna Aalders", "Bram Bos"):
            create_staff(full_name=name, email=f"{name.split()[0].lower()}@regio.example",
                         role="assessor", by=admin)
        gone = create_staff(full_name="Aaron Af", email="aaron@regio.example", role="assessor",
                            by=admin)
        gone.is_active_account = False
        db.session.commit()
    client = _client(app, ADMIN)
    active = client.get("/beheer/medewerkers").get_data(as_text=True)
    assert active.index("Anna Aalders") < active.index("Bram Bos") < active.index("Zeger Zandstra")
    assert "Aaron Af" not in active
    everyone = client.get("/beheer/medewerkers?status=alle").get_data(as_text=True)
    assert everyone.index("Zeger Zandstra") < everyone.index("Aaron Af")  # active ones first
    assert "Aaron Af" in client.get("/beheer/medewerkers?status=gedeactiveerd").get_data(as_text=True)
    assert "Aaron Af" not in client.get("/beheer/medewerkers?status=onzin").get_data(as_text=True)
    app.config["PAGE_SIZE"] = 2
    last = client.get("/beheer/medewerkers?pagina=500")
    assert last.status_code == 200 and "Zeger Zandstra" in last.get_data(as_text=True)


def test_due_filter_and_search_together(app):
    anker = _other_org(app)
    _, soon_ref = _submit_for(app, anker, ("gezinshuiszorg",), due_in=3)
    _, later_ref = _submit_for(app, anker, ("pleegzorg",), due_in=30)
    client = _client(app, ASSESSOR_1)
    html = client.get("/beoordeling/?termijn=week&zoek=jeugdzorg").get_data(as_text=True)
    assert soon_ref in html and later_ref not in html


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")
def test_queue_search_messages_in_the_browser_pass_axe(live, browser, smtp):
    from playwright.sync_api import expect

    from tests.browser_support import login_page, serious_a11y_violations

    _, reference = _submitted(live.app, ("pleegzorg",), take=False)
    page = login_page(browser, live.url, ASSESSOR_1)
    page.goto(f"{live.url}/beoordeling/")
    page.get_by_label("Naam of KvK-nummer").fill("S")
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_text("Typ minstens 2 tekens om te zoeken.")).to_be_visible()
    expect(page.get_by_label("Naam of KvK-nummer")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("row").filter(has_text=reference)).to_be_visible()
    assert serious_a11y_violations(page) == []
    page.get_by_label("Naam of KvK-nummer").fill("stichting")
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_role("row").filter(has_text=reference)).to_be_visible()
    expect(page.get_by_text("Typ minstens 2 tekens om te zoeken.")).to_have_count(0)


@pytest.mark.parametrize("few", [0, 200])
def test_a_common_and_a_rare_search_term_find_the_same_rows(app, monkeypatch, few):
    """A rare term reads the matching organisations' applications by organisation_id; a
    term that matches more than FEW_ORGANISATIONS organisations is checked row by row along
    the state's index. Forcing either way, the queue finds the same applications."""
    monkeypatch.setattr(queue, "FEW_ORGANISATIONS", few)
    anker = _other_org(app)
    _, anker_ref = _submit_for(app, anker, ("gezinshuiszorg",), due_in=10)
    _, demo_ref = _submitted(app, ("pleegzorg",), take=False, due_in=5)
    client = _client(app, ASSESSOR_1)

    def found(query):
        html = client.get("/beoordeling/", query_string=query).get_data(as_text=True)
        return {ref for ref in (anker_ref, demo_ref) if ref in html}

    assert found({"zoek": "jeugdzorg"}) == {anker_ref}
    assert found({"zoek": "99887766"}) == {anker_ref}
    assert found({"zoek": "stichting", "categorie": "pleegzorg", "sorteer": "resterend"}) == {demo_ref}
    assert found({"zoek": "stichting", "categorie": "gezinshuiszorg"}) == set()
    with app.app_context():
        built = queue.build({"zoek": "jeugdzorg", "categorie": "pleegzorg"}, user(ASSESSOR_1),
                            today_local(), [])
        sql = str(built.ids.compile(dialect=db.session.get_bind().dialect))
        db.session.rollback()
    # With no room for "a few", the organisation is checked per row (EXISTS on its key).
    assert ("EXISTS (SELECT" in sql) == (few == 0), sql
