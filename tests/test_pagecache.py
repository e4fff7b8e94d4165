"""The public register's page, kept rendered per version of the register for anonymous
visitors: a kept page costs one statement, a change of the register or of the day shows at
once, signed-in visitors and pending messages are never served a kept page."""
from datetime import datetime

import time_machine
from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.extensions import db
from portal.pagecache import PageCache, cache_of
from tests.conftest import PROVIDER, login
from tests.test_partners_capacity import admit, organisation
from tests.test_partners_register import _register_data
from tests.test_scale import StatementCounter


def _get(app, client, url, **kwargs):
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(url, **kwargs)
    return response, counter.count


def test_a_kept_register_page_costs_one_statement_and_is_the_same_page(app, client):
    _register_data(app)
    first, rendered = _get(app, client, "/register")
    again, kept = _get(app, client, "/register")
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert "Woongroep Het Anker" in again.get_data(as_text=True)
    assert kept == 1 < rendered  # the register's version only
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "no-cache"
    assert again.headers["X-Frame-Options"] == "SAMEORIGIN"  # the usual headers still set
    # A client that holds the page is answered without it.
    held, _ = _get(app, client, "/register", headers={"If-None-Match": first.headers["ETag"]})
    assert held.status_code == 304 and held.get_data() == b""


def test_each_filter_and_page_is_kept_apart(app, client):
    _register_data(app)
    whole = client.get("/register").get_data(as_text=True)
    oosterhout = client.get("/register?gemeente=Oosterhout").get_data(as_text=True)
    assert "Woongroep Het Anker" in oosterhout and "De Linde" not in oosterhout
    assert "De Linde" in whole
    assert "De Linde" in client.get("/register").get_data(as_text=True)
    assert "De Linde" not in client.get("/register?gemeente=Oosterhout").get_data(as_text=True)
    assert len(cache_of(app)) == 2


def test_a_change_of_the_register_shows_at_once(app, client):
    _register_data(app)
    assert "Nieuwe Zorg" not in client.get("/register").get_data(as_text=True)
    with app.app_context():
        admit(organisation("Nieuwe Zorg", "61111111"), "pleegzorg")
        db.session.commit()
    response, statements = _get(app, client, "/register")
    assert "Nieuwe Zorg" in response.get_data(as_text=True) and statements > 1
    # A public detail of an organisation changes the page as well.
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Nieuwe Zorg"))
        org.name = "Nieuwe Zorg Hernoemd"
        db.session.commit()
    assert "Nieuwe Zorg Hernoemd" in client.get("/register").get_data(as_text=True)


def test_a_new_day_renders_the_page_again(app, client):
    _register_data(app)
    with time_machine.travel(datetime(2027, 3, 1, 21, 0), tick=False):  # 22:00 in Amsterdam
        client.get("/register")
        _, kept = _get(app, client, "/register")
    with time_machine.travel(datetime(2027, 3, 1, 23, 30), tick=False):  # 00:30, the next day
        _, next_day = _get(app, client, "/register")
    assert kept == 1 < next_day


def test_signed_in_visitors_get_their_own_page(app, client):
    _register_data(app)
    client.get("/register")  # kept for anonymous visitors
    login(client, PROVIDER)
    response, statements = _get(app, client, "/register")
    html = response.get_data(as_text=True)
    assert "Ingelogd als" in html and "Uitloggen" in html and statements > 1
    assert "ETag" not in response.headers


def test_a_pending_message_is_shown_and_the_page_not_kept(app, client):
    _register_data(app)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Een melding voor deze bezoeker")]
    html = client.get("/register").get_data(as_text=True)
    assert "Een melding voor deze bezoeker" in html
    assert len(cache_of(app)) == 0
    again = client.get("/register").get_data(as_text=True)  # the message was shown once
    assert "Een melding voor deze bezoeker" not in again and len(cache_of(app)) == 1


def test_an_answer_other_than_a_page_is_not_kept(app, client):
    _register_data(app)
    assert client.get("/register?pagina=999").status_code in (200, 302)
    assert client.post("/register").status_code == 405
    for key in cache_of(app)._entries:
        assert key[2] == "/register"


def test_the_cache_keeps_the_recent_pages_within_its_bounds():
    cache = PageCache(max_entries=3, max_bytes=100)
    for n in range(4):
        cache.put(("page", n), b"x" * 10)
    assert len(cache) == 3 and cache.get(("page", 0)) is None  # the oldest went first
    assert cache.get(("page", 1)) is not None  # now the most recent
    cache.put(("page", 4), b"y" * 10)
    assert cache.get(("page", 2)) is None and cache.get(("page", 1)) is not None
    cache.put(("big", 0), b"z" * 85)  # over the byte bound: the least recent go
    assert cache._bytes <= 100 and cache.get(("big", 0)) is not None
    too_big = cache.put(("huge", 0), b"h" * 101)  # larger than the whole cache: not kept
    assert cache.get(("huge", 0)) is None and len(too_big) == 32
    body, etag = cache.get(("big", 0))
    assert body == b"z" * 85 and etag == cache.put(("big", 0), body)  # the same body, same ETag
    cache.clear()
    assert len(cache) == 0 and cache._bytes == 0


# --- the procedure's public pages and the published questions (portal.contentversion) -----

PROCEDURE_PAGES = ("/", "/eisen", "/tarieven", "/vragen")


def test_the_procedures_public_pages_are_kept_until_their_content_changes(app, client):
    from portal.models import Category

    for url in PROCEDURE_PAGES:
        first, rendered = _get(app, client, url)
        again, kept = _get(app, client, url)
        assert first.status_code == 200 and again.get_data() == first.get_data(), url
        assert kept == 1 < rendered, (url, kept, rendered)
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.code == "pleegzorg"))
        old, category.name = category.name, "Pleegzorg (nieuw)"
        db.session.commit()
    assert "Pleegzorg (nieuw)" in client.get("/").get_data(as_text=True)
    assert "Pleegzorg (nieuw)" in client.get("/tarieven").get_data(as_text=True)
    assert old != "Pleegzorg (nieuw)"


def test_a_published_question_shows_at_once(app, client):
    from portal.models import Procedure, Question
    from portal.timeutil import utcnow
    from tests.conftest import user

    client.get("/vragen")
    with app.app_context():
        question = Question(procedure_id=db.session.scalar(select(Procedure.id)),
                            asked_by_id=user(PROVIDER).id, subject="Tarief", body="Wat is het tarief?",
                            answer="Zie de tarieven.", answered_at=utcnow(),
                            public_question="Hoe hoog is het tarief in 2027?",
                            public_answer="Zie de pagina met tarieven.", published_at=utcnow())
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    assert "Hoe hoog is het tarief in 2027?" in client.get("/vragen").get_data(as_text=True)
    with app.app_context():
        db.session.get(Question, question_id).published_at = None
        db.session.commit()
    assert "Hoe hoog is het tarief in 2027?" not in client.get("/vragen").get_data(as_text=True)


def test_content_versions_follow_changes_collections_and_bulk_statements_not_rollbacks(app):
    from sqlalchemy import update

    from portal import contentversion
    from portal.models import Category, Requirement

    with app.app_context():
        before = contentversion.current("procedure")
        requirement = db.session.scalar(select(Requirement).limit(1))
        other = db.session.scalar(select(Category).where(Category.id.not_in(
            [c.id for c in requirement.categories])).limit(1))
        requirement.categories.append(other)  # only an association row changes
        db.session.commit()
        after_collection = contentversion.current("procedure")
        assert after_collection != before
        db.session.execute(update(Category).values(description="Bijgewerkt"))
        db.session.commit()
        after_bulk = contentversion.current("procedure")
        assert after_bulk != after_collection
        category = db.session.scalar(select(Category).limit(1))
        category.name = "Wordt teruggedraaid"
        db.session.flush()
        db.session.rollback()
        db.session.add(category)  # an unrelated commit afterwards raises nothing
        db.session.commit()
        assert contentversion.current("procedure") == after_bulk
        assert contentversion.current("questions", "nooit").endswith(".0")


def test_a_page_with_a_form_token_or_a_session_change_is_not_kept(app, client):
    """Should a public page ever carry a form (a CSRF token is the visitor's own) or write
    to the session, it is rendered for each visitor."""
    from flask import render_template_string, session

    from portal.pagecache import public_page

    @app.route("/test-publiek-formulier")
    @public_page(lambda: "1")
    def with_form():
        return render_template_string("<form method=post>{{ csrf_token() }}</form>")

    @app.route("/test-publiek-sessie")
    @public_page(lambda: "1")
    def with_session():
        session["bezoeken"] = session.get("bezoeken", 0) + 1
        return f"<p>bezoek {session['bezoeken']}</p>"

    @app.route("/test-publiek")
    @public_page(lambda: "1")
    def plain():
        return "<p>voor iedereen</p>"

    assert client.get("/test-publiek-formulier").get_data() \
        == client.get("/test-publiek-formulier").get_data()  # the same visitor, the same token
    assert client.get("/test-publiek-sessie").get_data() == b"<p>bezoek 1</p>"
    assert client.get("/test-publiek-sessie").get_data() == b"<p>bezoek 2</p>"
    assert len(cache_of(app)) == 0
    other = app.test_client()  # another visitor gets a token of their own
    assert other.get("/test-publiek-formulier").get_data() \
        != client.get("/test-publiek-formulier").get_data()
    assert client.get("/test-publiek").get_data() == b"<p>voor iedereen</p>"
    assert len(cache_of(app)) == 1
    # A visitor whose session already holds a form token (the login page was seen) still
    # gets, and leaves, kept pages: only what the page's own rendering does counts.
    visitor = app.test_client()
    visitor.get("/inloggen")
    cache_of(app).clear()
    assert visitor.get("/test-publiek").get_data() == b"<p>voor iedereen</p>"
    assert len(cache_of(app)) == 1


def test_the_kept_pages_are_the_public_ones_and_the_benchmark_renders_them_too():
    from bench.pages import _pages
    from config import TestConfig
    from portal import create_app
    from tests.test_scale_pages import _placeholder_ids

    app = create_app(TestConfig)
    kept = {endpoint for endpoint, view in app.view_functions.items()
            if getattr(view, "kept_public_page", False)}
    assert kept == {"partners.register", "procedure.home", "procedure.requirements",
                    "procedure.tariffs", "qa.public"}
    rendered = {endpoint for _who, endpoint, _url, before, suffix in _pages(app, _placeholder_ids(), None)
                if suffix == " (rendered)" and before is not None}
    assert rendered == kept
