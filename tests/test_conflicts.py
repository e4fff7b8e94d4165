"""A lost database race is answered, never a 500: with the view's own Dutch message, or
(where it surfaces outside ``actions.attempt``) with 409 and the same message; a lost
database connection with 503 and a Dutch page, and the next request works.

SQLite: a write lock held by another connection makes a real "database is locked".
PostgreSQL (the --db=postgres pass): two real concurrent requests through a threaded
server, a deadlock provoked by two requests locking rows in opposite order, and a
connection killed with pg_terminate_backend in the middle of a request.
"""
from __future__ import annotations

import html
import http.cookies
import os
import shutil
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from flask import g
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from portal.actions import BUSY, UNAVAILABLE
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.models import Application, Status, User
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, CSRF_RE, PROVIDER, VERSION_RE, user

# --- SQLite: a locked database file ----------------------------------------------------------------


@contextmanager
def write_lock(database_url: str):
    """Another connection holds the database's write lock (as a long transaction would)."""
    path = make_url(database_url).database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _short_busy_timeout():
    """The request's connection gives up on a lock after 50 ms instead of 5 s."""
    db.session.execute(text("PRAGMA busy_timeout=50"))


def _rename_admin(new_name: str):
    admin = db.session.scalar(select(User).where(User.email == ADMIN))
    admin.full_name = new_name


def _admin_name(app) -> str:
    with app.app_context():
        return db.session.scalar(select(User.full_name).where(User.email == ADMIN))


@pytest.fixture
def sqlite_app(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the locked-file conflict is SQLite's")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors are answered
    return app


def test_a_conflict_at_autoflush_in_a_view_is_409_with_the_dutch_message(sqlite_app, database_url):
    app = sqlite_app

    @app.route("/_test/autoflush")
    def autoflush():
        _short_busy_timeout()
        _rename_admin("Gewijzigd tijdens een slot")
        # The query flushes the change first: the UPDATE meets the other connection's lock.
        count = db.session.scalar(select(func.count()).select_from(Application))
        db.session.commit()
        return str(count)

    before = _admin_name(app)
    client = app.test_client()
    with write_lock(database_url):
        response = client.get("/_test/autoflush")
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert BUSY in page and "Tegelijk gewijzigd" in page
    assert _admin_name(app) == before  # nothing half saved
    again = client.get("/_test/autoflush")  # without the lock it goes through
    assert again.status_code == 200
    assert _admin_name(app) == "Gewijzigd tijdens een slot"


def test_a_conflict_at_a_commit_after_the_request_is_409_not_500(sqlite_app, database_url, caplog):
    app = sqlite_app

    @app.route("/_test/na-het-verzoek")
    def later():
        _short_busy_timeout()
        _rename_admin("Na het verzoek")
        g.commit_after = True
        return "klaar"

    @app.after_request
    def commit_after(response):
        if g.pop("commit_after", False):
            db.session.commit()
        return response

    before = _admin_name(app)
    with write_lock(database_url):
        response = app.test_client().get("/_test/na-het-verzoek")
    assert response.status_code == 409
    assert BUSY in html.unescape(response.get_data(as_text=True))
    assert _admin_name(app) == before
    # Answered as a conflict, not logged as an error with a traceback.
    assert not [r for r in caplog.records if r.exc_info]


def test_a_conflict_in_a_form_post_keeps_the_views_own_answer(sqlite_app, database_url):
    """Through actions.attempt (a real POST view): the button's flash message, no 500."""
    from tests.conftest import login, post

    app = sqlite_app

    @app.before_request
    def short_timeout():
        _short_busy_timeout()

    client = app.test_client()
    login(client, ASSESSOR_1)
    app_id = _submitted_for_review(app)
    url = f"/beoordeling/{app_id}"
    with write_lock(database_url):
        response = post(client, url + "/in-behandeling", {}, token_from=url)
    assert response.status_code in (302, 409), response.status_code
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert BUSY in page
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.INGEDIEND


_orgs = iter(range(1, 10_000))


def test_a_database_that_cannot_be_reached_gives_the_dutch_503_page(app, database_url, tmp_path):
    """The database file's directory disappears under a signed-in user: every page answers
    503 with the Dutch message (the page even without its layout, which needs the user from
    the database), never a 500; /healthz still says the process lives."""
    from tests.conftest import login, make_app

    if not database_url.startswith("sqlite"):
        pytest.skip("a removed database file is SQLite's")
    moved = tmp_path / "elsewhere" / "portal.sqlite"
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    path = db_dir / "portal.sqlite"
    shutil.copy(make_url(database_url).database, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    login(client, PROVIDER)
    assert client.get("/aanbieder").status_code == 200
    moved.parent.mkdir()
    db_dir.rename(moved.parent / "db")  # gone from where the portal looks
    with app.app_context():
        db.engine.dispose()  # no pooled connection keeps the old file open
    for url in ("/aanbieder", "/"):
        response = client.get(url)
        assert response.status_code == 503, (url, response.status_code)
        assert UNAVAILABLE in html.unescape(response.get_data(as_text=True))
        assert response.headers["Retry-After"] == "30"
    assert client.get("/healthz").status_code == 200


def _submitted_for_review(app, provider_email: str = PROVIDER) -> int:
    from tests.helpers import submitted_application

    with app.app_context():
        application = submitted_application(user(provider_email), "pleegzorg")
        db.session.commit()
        return application.id


def _new_provider(app) -> str:
    """Another provider organisation (one running application per category each)."""
    from portal.accounts.workflow import register_provider
    from portal.timeutil import utcnow

    n = next(_orgs)
    kvk, email = f"{55000000 + n}", f"beheer{n}@race{n}.example"
    with app.app_context():
        account = register_provider(
            org_name=f"Jeugdzorg Race {n}", kvk_number=kvk, street="Haven 1", postal_code="4811AB",
            city="Breda", contact_email=f"info@race{n}.example", website=None,
            full_name=f"Beheerder {n}", email=email, password="wachtwoord-van-12")
        account.email_confirmed_at = utcnow()
        db.session.commit()
    return email


# --- PostgreSQL: real concurrent requests through a threaded server ----------------------------------


@pytest.fixture
def pg_app(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (--db=postgres)")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    with app.app_context():  # rows of the test's own, for the test-only routes
        db.session.execute(text("CREATE TABLE test_marks (id serial PRIMARY KEY, label text NOT NULL)"))
        db.session.execute(text("INSERT INTO test_marks (label) VALUES ('rij'), ('rij')"))
        db.session.commit()
    return app


def _marks(app, label: str) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM test_marks WHERE label = :label"),
                                 {"label": label})


def _mark(label: str) -> None:
    db.session.execute(text("INSERT INTO test_marks (label) VALUES (:label)"), {"label": label})


@contextmanager
def serving(app):
    """The app behind a real threaded HTTP server on a loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=60)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A user agent with its own cookies; answers are (status, text), redirects not followed."""

    USER_AGENT = "portal-tests"

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect())

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"User-Agent": self.USER_AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request_ = urllib.request.Request(self.base + path, body, headers)
        try:
            with self.opener.open(request_, timeout=120) as response:
                self._keep(response.headers)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            self._keep(exc.headers)
            return exc.code, exc.read().decode()

    def _keep(self, headers) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def form(self, path: str) -> dict:
        status, page = self.open(path)
        token = CSRF_RE.search(page)
        assert status == 200 and token, (path, status, page[:2000])
        version = VERSION_RE.search(page)
        fields = {"csrf_token": token.group(1) or token.group(2)}
        if version:
            fields["version"] = version.group(1)
        return fields

    def login(self, app, email: str):
        """Log in as the suite does (password, then the second factor), and take over the
        signed-in session."""
        from tests.conftest import login

        client = app.test_client()
        # The same agent and address, or the session protection ends the session.
        client.environ_base.update(HTTP_USER_AGENT=self.USER_AGENT, REMOTE_ADDR="127.0.0.1")
        login(client, email)
        self.cookies["session"] = client.get_cookie("session").value


def _proposed_application(app) -> int:
    """An application in 'besluit voorgesteld' (proposed by assessor 1)."""
    from portal.assessment import workflow as assessment
    from portal.models import Outcome, VerdictOutcome

    app_id = _submitted_for_review(app, _new_provider(app))
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessor = user(ASSESSOR_1)
        assessment.start_review(application, by=assessor)
        assessment.declare_no_conflict(application, by=assessor)
        assessment.record_verdicts(
            application, {r.id: (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()},
            by=assessor)
        [category] = application.categories
        assessment.propose_decision(application, {category.id: (Outcome.TOEGELATEN, "Voldoet.", [])},
                                    by=assessor)
        db.session.commit()
        assert application.status == Status.BESLUIT_VOORGESTELD
    return app_id


APPROVED = "Het besluit is goedgekeurd en naar de aanbieder gestuurd."
SENT_BACK = "Het voorstel is met uw opmerking teruggestuurd naar de beoordelaar."


def _race(*calls):
    """Start the calls at the same moment (a barrier) in threads; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=60)
        try:
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


# More rounds: CONFLICT_ROUNDS=50 (about a second each).
ROUNDS = int(os.environ.get("CONFLICT_ROUNDS", "6"))


@pytest.mark.postgres
def test_approving_and_sending_back_at_the_same_moment_never_gives_a_500(pg_app):
    """Assessor 2 approves while the administrator (who assesses too) sends the same
    proposal back, both posted at the same moment, a few rounds. Each answer is a success
    or the Dutch conflict message; the application ends in one state, with one audit event
    and, for an approval, its decision mail in the outbox."""
    from portal.models import OutboxMail

    app = pg_app
    app.config["OUTBOX_SEND_AFTER_REQUEST"] = False
    seen = []
    with serving(app) as base:
        approver, returner = Browser(base), Browser(base)
        approver.login(app, ASSESSOR_2)
        returner.login(app, ADMIN)
        for _ in range(ROUNDS):
            app_id = _proposed_application(app)
            url = f"/beoordeling/{app_id}"
            approve = {**approver.form(url), "no_conflict": "y"}
            send_back = {**returner.form(url), "remark": "Graag de motivering aanvullen."}
            answers = _race(lambda url=url, data=approve: approver.open(url + "/goedkeuren", data),
                            lambda url=url, data=send_back: returner.open(url + "/terugsturen", data))
            outcomes = []
            for browser, (status, page) in zip((approver, returner), answers, strict=True):
                assert status < 500, page[:3000]
                if status == 302:  # the button's answer: a flash message on the page
                    status, page = browser.open(url)
                outcomes.append(_outcome(status, page))
            seen.append(tuple(outcomes))
            with app.app_context():
                application = db.session.get(Application, app_id)
                actions = db.session.scalars(
                    select(AuditEvent.action).where(
                        AuditEvent.object_type == "applications", AuditEvent.object_id == app_id,
                        AuditEvent.action.in_(("decision_approved", "decision_sent_back")))).all()
                decision_mails = db.session.scalar(
                    select(func.count()).select_from(OutboxMail)
                    .where(OutboxMail.application_id == app_id, OutboxMail.kind == "decision"))
                if outcomes[0] == "approved":
                    assert outcomes[1].startswith("conflict"), outcomes
                    assert application.status == Status.BESLOTEN
                    assert actions == ["decision_approved"]
                    assert decision_mails >= 1
                else:
                    assert outcomes[0].startswith("conflict") and outcomes[1] == "sent_back", outcomes
                    assert application.status == Status.IN_BEHANDELING
                    assert actions == ["decision_sent_back"]
                    assert decision_mails == 0
    assert all(sum(o.startswith("conflict") for o in pair) == 1 for pair in seen), seen
    print("approve/send back outcomes:", seen)


def _outcome(status: int, page: str) -> str:
    """What the user was told: success of either action, or a conflict message: the
    database's (a deadlock or serialization failure: ``BUSY``, as a page with 409 or as the
    button's message) or the assessment's (the other change came first: stale)."""
    from portal.assessment.workflow import STALE_MESSAGE

    text_ = html.unescape(page)
    if status == 409:
        assert BUSY in text_ or STALE_MESSAGE in text_, text_[:2000]
        return "conflict (409)"
    assert status in (200, 302), (status, text_[:2000])
    if APPROVED in text_:
        return "approved"
    if SENT_BACK in text_:
        return "sent_back"
    if BUSY in text_:
        return "conflict (busy)"
    assert STALE_MESSAGE in text_, text_[:3000]
    return "conflict (stale)"


def _pg_server_and_name(request, database_url):
    server = request.getfixturevalue("postgres")
    return server, make_url(database_url).database


@pytest.mark.postgres
def test_a_deadlock_between_two_requests_is_409_for_one_and_done_for_the_other(pg_app):
    """Two requests lock the same two rows in opposite order: PostgreSQL must kill one
    (40P01). That one gets 409 with the Dutch message, nothing of it is saved; the other
    finishes."""
    app = pg_app
    first, second = 1, 2
    both_hold_one = threading.Barrier(2)

    @app.route("/_test/vergrendel/<int:a>/<int:b>")
    def lock(a, b):
        _mark("vergrendeld")
        db.session.execute(text("SELECT id FROM test_marks WHERE id = :id FOR UPDATE"), {"id": a})
        both_hold_one.wait(timeout=60)
        db.session.execute(text("SELECT id FROM test_marks WHERE id = :id FOR UPDATE"), {"id": b})
        db.session.commit()
        return "klaar"

    with serving(app) as base:
        answers = _race(lambda: Browser(base).open(f"/_test/vergrendel/{first}/{second}"),
                        lambda: Browser(base).open(f"/_test/vergrendel/{second}/{first}"))
        assert sorted(status for status, _ in answers) == [200, 409], answers
        [conflict] = [page for status, page in answers if status == 409]
        assert BUSY in html.unescape(conflict) and "Tegelijk gewijzigd" in conflict
        assert _marks(app, "vergrendeld") == 1  # the loser's insert was rolled back
        # And the portal goes on.
        assert Browser(base).open("/readyz")[0] == 200


@pytest.mark.postgres
def test_a_connection_killed_mid_request_gives_503_and_the_next_request_works(pg_app, request,
                                                                              database_url):
    """The database connection of a request is terminated (pg_terminate_backend) while the
    request has written something and not committed: a Dutch 503 page, nothing saved, and
    the next requests (on a new connection) succeed."""
    app = pg_app
    server, name = _pg_server_and_name(request, database_url)
    holding = threading.Event()
    killed = threading.Event()
    backend = {}

    @app.route("/_test/vasthouden", methods=["GET"])
    def hold():
        _mark("half")
        backend["pid"] = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        if request_should_wait.is_set():
            holding.set()
            assert killed.wait(timeout=60)
        _mark("half")
        db.session.commit()
        return "klaar"

    request_should_wait = threading.Event()
    request_should_wait.set()
    with serving(app) as base:
        browser = Browser(base)
        answer = {}
        thread = threading.Thread(target=lambda: answer.update(r=browser.open("/_test/vasthouden")))
        thread.start()
        assert holding.wait(timeout=60)
        with server.connect(name) as conn:
            assert conn.execute("SELECT pg_terminate_backend(%s)", (backend["pid"],)).fetchone()[0]
            deadline = time.monotonic() + 60
            while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                               (backend["pid"],)).fetchone():
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.05)  # polling interval
        killed.set()
        thread.join(timeout=120)
        status, page = answer["r"]
        assert status == 503, page[:2000]
        assert UNAVAILABLE in html.unescape(page) and "<h1>Even niet bereikbaar</h1>" in page
        assert _marks(app, "half") == 0  # nothing of the request was saved
        # The next requests get a working connection.
        request_should_wait.clear()
        assert browser.open("/_test/vasthouden")[0] == 200
        assert browser.open("/readyz")[0] == 200
        assert browser.open("/")[0] == 200
        assert _marks(app, "half") == 2


def _end_other_backends(server, name: str) -> None:
    """End every connection to database ``name`` but this one (as a server restart does),
    and wait until they are gone."""
    with server.connect(name) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        deadline = time.monotonic() + 60
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s "
                           "AND pid <> pg_backend_pid()", (name,)).fetchone():
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)  # polling interval


@pytest.mark.postgres
def test_a_pooled_connection_the_server_ended_is_replaced_without_an_error(pg_app, request,
                                                                          database_url):
    """Between requests the server ends the portal's idle connections (a restart, an idle
    timeout): the next requests get new connections, with no 503 and nothing lost. The
    check at checkout (portal.pool_check) sees the ended connection without asking the
    server; without any check the first request after it fails."""
    from portal import pool_check

    app = pg_app
    server, name = _pg_server_and_name(request, database_url)
    with app.app_context():
        assert not db.engine.pool._pre_ping  # noqa: SLF001 - replaced by the check below
        assert pool_check.install(db.engine)
    with serving(app) as base:
        browser = Browser(base)
        for _ in range(2):
            for path in ("/", "/readyz", "/register"):
                assert browser.open(path)[0] == 200
            _end_other_backends(server, name)
        login_status, _ = browser.open("/inloggen")
        assert login_status == 200


@pytest.mark.postgres
def test_the_connection_check_sees_an_ended_connection_without_a_query(request, database_url):
    from portal.pool_check import looks_alive

    if not database_url.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (--db=postgres)")
    server, name = _pg_server_and_name(request, database_url)
    conn = server.connect(name, autocommit=False)
    try:
        assert looks_alive(conn)
        conn.execute("SELECT 1")
        assert not looks_alive(conn)  # in a transaction: not idle, so the ping decides
        conn.rollback()
        assert looks_alive(conn)
        _end_other_backends(server, name)
        deadline = time.monotonic() + 60
        while looks_alive(conn):  # the server's goodbye reaches the socket
            assert time.monotonic() < deadline, "the ended connection still looked alive"
            time.sleep(0.05)  # polling interval
        with pytest.raises(Exception):  # noqa: B017, PT011 - any error: the connection is gone
            conn.execute("SELECT 1")
    finally:
        conn.close()
