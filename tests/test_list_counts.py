"""The counts of the big lists at national scale (issue 15): the queue's tabs and the
register's categories read the counts the database keeps (exact, whatever the size), the
open tab reads its partial index in the page's order, and a filtered list stops counting at
FILTERED_COUNT_CAP."""
import re

import pytest
from sqlalchemy import func, select, text, update

from portal.applications.models import OPEN_STATES, Application
from portal.assessment import queue
from portal.extensions import db
from portal.models import Admission, Category
from portal.pagecache import cache_of
from portal.partners.models import LIVE_ADMISSION
from tests.conftest import ASSESSOR_1
from tests.test_assessment_pages import _client, _other_org, _submit_for, _submitted
from tests.test_partners_register import _register_data
from tests.test_scale import StatementCounter


def _tabs(html: str) -> dict[str, str]:
    """The queue's tabs as shown: {status key: the number in brackets}."""
    return dict(re.findall(r'status=(\w+)"[^>]*>[^<(]*\(([^)]*)\)', html))


def _counted() -> dict[str, int]:
    """Every tab's applications counted from the rows themselves."""
    return {key: db.session.scalar(select(func.count()).select_from(Application)
                                   .where(Application.status.in_(states)))
            for key, states in queue.QUEUE_FILTERS.items()}


def test_the_queue_tabs_show_the_kept_counts_exactly(app):
    _submitted(app, ("pleegzorg",), take=True)
    _submitted(app, ("leefgroepen",), take=False)
    anker = _other_org(app)
    _submit_for(app, anker, ("gezinshuiszorg",))
    client = _client(app, ASSESSOR_1)
    with app.app_context():
        expected = _counted()
        assert queue.tab_counts() == expected
    assert expected["open"] == 3 and expected["in_behandeling"] == 1
    assert _tabs(client.get("/beoordeling/").get_data(as_text=True)) == {
        key: str(n) for key, n in expected.items()}
    # A change made outside the workflows (a bulk statement) is counted too (triggers).
    with app.app_context():
        db.session.execute(update(Application).where(Application.status.in_(OPEN_STATES))
                           .values(status="INGETROKKEN"))
        db.session.commit()
        after = _counted()
        assert queue.tab_counts() == after and after["open"] == 0
    assert _tabs(client.get("/beoordeling/").get_data(as_text=True))["ingetrokken"] == str(
        after["ingetrokken"])


def test_a_tab_alone_pages_by_its_kept_count_and_filters_stop_at_the_cap(app, monkeypatch):
    from portal.assessment import views

    for category in ("pleegzorg", "leefgroepen", "gezinshuiszorg"):
        _submitted(app, (category,), take=False, due_in=-2)
    client = _client(app, ASSESSOR_1)
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 2)
    # The tab alone: its kept count, exact however low the cap of a filtered list.
    with app.app_context():
        engine = db.engine
    client.get("/beoordeling/")
    with StatementCounter(engine) as counter:
        tab = client.get("/beoordeling/").get_data(as_text=True)
    assert "Pagina 1 van 2 (3 in totaal)" in tab
    assert not any("count(" in s.lower() and "applications" in s.lower()
                   for s in counter.statements), counter.statements
    # A filter is counted, up to the cap: "more than".
    filtered = client.get("/beoordeling/?termijn=verlopen").get_data(
        as_text=True)
    assert "Pagina 1 van meer dan 1 (meer dan 2 in totaal)" in filtered
    assert len(re.findall(r'href="/beoordeling/\d+"', filtered)) == 2
    assert 'rel="next"' in filtered  # the rows beyond the count are a page away
    last = client.get("/beoordeling/?termijn=verlopen&pagina=2").get_data(as_text=True)
    assert len(re.findall(r'href="/beoordeling/\d+"', last)) == 1
    # A page beyond the rows of a capped count: the last page the count vouches for.
    beyond = client.get("/beoordeling/?termijn=verlopen&pagina=50").get_data(as_text=True)
    assert "Pagina 1 van meer dan 1 (meer dan 2 in totaal)" in beyond
    assert len(re.findall(r'href="/beoordeling/\d+"', beyond)) == 2
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 250)
    exact = client.get("/beoordeling/?termijn=verlopen").get_data(as_text=True)
    assert "Pagina 1 van 2 (3 in totaal)" in exact


def _executed_plan(engine, run) -> str:
    """The plan of the queue's page query as the application runs it (its own SQL and
    parameters, so a parameter the planner cannot see stays a parameter)."""
    with StatementCounter(engine) as counter:
        run()
    statement, parameters = next(
        (s, p) for s, p in zip(counter.statements, counter.parameters, strict=True)
        if s.lstrip().upper().startswith("SELECT APPLICATIONS.ID") and "ORDER BY" in s)
    with engine.connect() as conn:
        # With the statistics a maintained database has (autovacuum on PostgreSQL; ANALYZE
        # or PRAGMA optimize on SQLite; the benchmark analyses its data too).
        conn.exec_driver_sql("ANALYZE")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            return "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        return "\n".join(row[-1] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))


@pytest.mark.parametrize(("sort", "index"), [("ingediend", "ix_applications_open_submitted"),
                                             ("resterend", "ix_applications_open_due"),
                                             # no open application has a decision date:
                                             # the default order, not a sort of them all
                                             ("besloten", "ix_applications_open_submitted")])
def test_the_open_tab_reads_its_partial_index_in_the_page_order(app, sort, index):
    _submitted(app, ("pleegzorg",), take=False)
    client = _client(app, ASSESSOR_1)
    with app.app_context():
        engine = db.engine
    client.get("/beoordeling/")
    plan = _executed_plan(engine, lambda: client.get(f"/beoordeling/?sorteer={sort}"))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_register_shows_the_kept_live_admissions_per_category(app, client, monkeypatch):
    from portal.partners import views

    _register_data(app)
    with app.app_context():
        expected = {name: db.session.scalar(
            select(func.count()).select_from(Admission)
            .where(Admission.category_id == category_id, Admission.status.in_(LIVE_ADMISSION)))
            for category_id, name in db.session.execute(select(Category.id, Category.name))}
        partners = db.session.scalar(select(func.count(Admission.organisation_id.distinct()))
                                     .where(Admission.status.in_(LIVE_ADMISSION)))
        engine = db.engine
    assert expected["Pleegzorg"] == 2 and expected["Gezinshuiszorg"] == 1  # one ended
    client.get("/register")
    cache_of(app).clear()  # the page rendered, not kept (see test_pagecache)
    with StatementCounter(engine) as counter:
        html = client.get("/register").get_data(as_text=True)
    for name, n in expected.items():
        assert f">{name} ({n})</a>" in html, (name, n)
    assert any("report_counts" in s for s in counter.statements)
    # The filtered register counts up to the filtered cap; the unfiltered one is exact.
    monkeypatch.setattr(views, "FILTERED_COUNT_CAP", 1)
    searched = client.get("/register?categorie=pleegzorg").get_data(as_text=True)
    assert "meer dan 1 in totaal" in searched
    whole = client.get("/register").get_data(as_text=True)
    assert "meer dan" not in whole and whole.count('href="/register/') >= partners


def test_the_open_states_are_the_partial_indexes_condition(app):
    """The indexes' SQL condition (a migration's text) and OPEN_STATES say the same."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_applications_open_%'"))
        else:
            rows = db.session.execute(text(
                "SELECT sql FROM sqlite_master WHERE name LIKE 'ix_applications_open_%'"))
        definitions = [row[0] for row in rows]
    assert len(definitions) == 2
    for definition in definitions:
        for state in OPEN_STATES:
            assert f"'{state.name}'" in definition, definition
        assert "BESLOTEN" not in definition and "CONCEPT" not in definition


def test_the_decision_date_order_is_offered_where_decisions_are(app):
    _submitted(app, ("pleegzorg",), take=False)
    client = _client(app, ASSESSOR_1)
    option = '<option value="besloten"'
    open_tab = client.get("/beoordeling/?sorteer=besloten").get_data(as_text=True)
    assert option not in open_tab
    assert '<option value="ingediend" selected>' in open_tab  # the order actually applied
    decided_tab = client.get("/beoordeling/?status=besloten").get_data(as_text=True)
    assert option + " selected>" in decided_tab
