"""Every page of the portal stays within the statement budget, and no page's number of
SQL statements grows with the data: the demo organisation's whole file is built through
the workflows, then bulk data is added (partners, documents, capacity, questions, audit
events) and every page is counted again."""
from sqlalchemy import select

from bench import scenario
from bench.datagen import populate
from portal.extensions import db
from portal.models import Application
from portal.pagecache import cache_of
from tests.conftest import login
from tests.test_scale import MAX_STATEMENTS, StatementCounter


def _count_every_page(app, rows):
    with app.app_context():
        engine = db.engine
    clients, counts = {}, {}
    for who, _endpoint, url in rows:
        if who not in clients:
            clients[who] = app.test_client()
            if who:
                login(clients[who], who)
        client = clients[who]
        client.get(url).close()  # warm up: first-request work is not the page's
        cache_of(app).clear()  # a kept public page is counted as rendered
        with StatementCounter(engine) as counter:
            response = client.get(url)
            body = response.get_data()  # streamed exports run their queries while read
            response.close()
        assert response.status_code == 200, (who, url, response.status_code, body[:300])
        counts[url] = counter.count
    return counts


def test_every_page_is_counted():
    """A new page must join the scenario (or say why it is skipped), or this fails."""
    from config import TestConfig
    from portal import create_app

    app = create_app(TestConfig)
    rows = scenario.pages(app, _placeholder_ids())
    assert scenario.uncovered(app, rows) == set()


def _placeholder_ids():
    keys = ["org", "application", "concept", "admission", "agreement", "report", "review",
            "replaceable", "question", "asked", "round", "published", "draft", "draft_requirement",
            "mail", "document", "colleague", "assessor", "category", "product", "year",
            "reporting_round", "open_round", "indicator_report", "indicator_set",
            "indicator_draft", "draft_indicator", "indicator_code", "monitored_category",
            "dialogue", "investigation"]
    return {key: 1 for key in keys}


def test_no_page_grows_with_the_data_and_none_exceeds_the_budget(app):
    ids = scenario.build(app)
    rows = scenario.pages(app, ids)
    with app.app_context():
        populate(600, rich=True)
    small = _count_every_page(app, rows)
    with app.app_context():
        populate(1200, rich=True)
        assert db.session.scalar(select(db.func.count()).select_from(Application)) > 1800
    large = _count_every_page(app, rows)
    grown = {url: (small[url], n) for url, n in large.items() if n != small[url]}
    assert grown == {}
    too_many = {url: n for url, n in large.items() if n > MAX_STATEMENTS}
    assert too_many == {}
