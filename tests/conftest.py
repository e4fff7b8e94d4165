"""Fixtures: a real SQLite database built by the migrations, a real SMTP server on
loopback, real files on disk. Each test gets its own copy of a migrated, seeded database.

``PORTAL_TEST_NOW`` (an ISO 8601 instant) runs the whole suite with the clock set to that
instant; tests/test_clock.py checks it, the README explains it."""
from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from config import TestConfig
from portal import create_app
from portal.extensions import db
from tests.infra.smtp import SmtpCatcher

DEMO_PASSWORD = "demo-wachtwoord-2027"
PROVIDER = "aanbieder@demo.nl"
ASSESSOR_1 = "beoordelaar1@demo.nl"
ASSESSOR_2 = "beoordelaar2@demo.nl"
ADMIN = "beheer@demo.nl"


class ClosingClient(FlaskClient):
    """A test client that reads and closes each response as a WSGI server does, so the
    callbacks that run once a response has been sent (mail delivery) run too."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def make_app(db_url: str, upload_dir, smtp: SmtpCatcher | None = None, **overrides):
    settings = {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "UPLOAD_DIR": str(upload_dir),
        "MAIL_SERVER": smtp.host if smtp else "",
        "MAIL_PORT": smtp.port if smtp else 25,
    }
    settings.update(overrides)

    class _Config(TestConfig):
        pass

    for key, value in settings.items():
        setattr(_Config, key, value)
    application = create_app(_Config)
    application.test_client_class = ClosingClient
    return application


def build_database(db_url: str, tmp_dir, *, extend: bool = True) -> bool:
    """Upgrade an empty database with the migrations and load reference + demo data.
    ``extend``: exercise the extension options the day needs (see below). Returns whether
    an option was exercised."""
    from flask_migrate import upgrade

    from portal.demo import seed_demo
    from portal.monitoring.indicators import seed_reference as seed_monitoring_reference
    from portal.procedure.seed import seed_reference

    app = make_app(db_url, tmp_dir / "uploads")
    with app.app_context():
        upgrade()
        seed_reference()
        seed_monitoring_reference()
        seed_demo()
        _publish_tariffs_for_every_year()
        db.session.commit()
        extended = _extend_the_term_to_today() if extend else False
        db.session.remove()  # give its connection back: dispose() closes it, and the WAL is
        db.engine.dispose()  # written into the file that the tests copy
    return extended


def _publish_tariffs_for_every_year() -> None:
    """Submitting needs a published tariff for each chosen category in the current tariff
    year (``portal.procedure.settings.public_tariff_year``: this year, clamped to the term).
    The template has them for every product and every year up to the latest possible end
    (2027-2033), so tests on any day of the term (``in_term``: 2029; ``PORTAL_TEST_NOW``)
    can submit. Tests of the tariffs themselves start from none (``no_tariffs``)."""
    from decimal import Decimal

    from portal.procedure.models import Product, Tariff
    from portal.procedure.seed import current_procedure
    from portal.timeutil import utcnow

    procedure = current_procedure()
    for product in db.session.scalars(db.select(Product).where(
            Product.procedure_id == procedure.id)):
        have = {t.year for t in product.tariffs}
        for year in range(procedure.term_start.year, procedure.latest_possible_end.year + 1):
            if year not in have:
                db.session.add(Tariff(product_id=product.id, year=year,
                                      price=Decimal("150.00") + year - 2027,
                                      published_at=utcnow()))
    db.session.flush()


def remove_tariffs() -> None:
    """The template's tariffs removed, and only the three seeded 44A codes of the
    Pleeg- en gezinshuiszorg agreement active: where the tariff pages' tests start."""
    from portal.procedure.models import Product, Tariff

    db.session.execute(db.delete(Tariff))
    db.session.execute(db.update(Product).where(Product.code.not_in(
        ["44A06", "44A07", "44A08"])).values(is_active=False))
    db.session.commit()


@pytest.fixture
def no_tariffs(app):
    with app.app_context():
        remove_tariffs()


DECIDED_BEFORE = timedelta(days=30)


def _extend_the_term_to_today() -> bool:
    """A suite run after the base term (PORTAL_TEST_NOW=2033-12-31T12:00, say) meets the
    region as it would be then: it has exercised the extension options it needed, through
    the workflow (as an administrator does), so the open house still runs where it can."""
    from portal.partners.workflow import exercise_extension
    from portal.procedure.seed import current_procedure
    from portal.timeutil import today_local

    procedure = current_procedure()
    extended = False
    # A region decides on an option well before the term ends (and a run that starts at
    # 23:59 on the last day goes on after midnight): within DECIDED_BEFORE of the end counts.
    horizon = today_local() + DECIDED_BEFORE
    while procedure is not None and procedure.current_end < horizon and procedure.options_left > 0:
        exercise_extension(procedure, by=user(ADMIN),
                           rationale="Verlengd: de regio zet het open house voort.")
        db.session.commit()
        extended = True
    return extended


TEST_NOW_VARIABLE = "PORTAL_TEST_NOW"


def parse_test_now(value: str) -> datetime:
    """The instant ``PORTAL_TEST_NOW`` names, as an aware UTC datetime.

    ISO 8601 with an offset (``2027-03-28T02:30+01:00``) is taken as written; without an
    offset (``2027-03-28T02:30``, or a date alone: midnight) it is Amsterdam time. A local
    time that does not exist (the hour skipped when daylight saving starts) counts with the
    offset before the change: 2027-03-28 02:30 is 01:30 UTC, which is 03:30 in Amsterdam.
    A local time that occurs twice (when daylight saving ends) is the first of the two."""
    from portal.timeutil import AMSTERDAM

    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{TEST_NOW_VARIABLE}={value!r} is not an ISO 8601 date or time") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=AMSTERDAM, fold=0)
    return instant.astimezone(UTC)


_clock_traveller = None


def pytest_configure(config):
    """With ``PORTAL_TEST_NOW`` set, move the process's clock to that instant before any
    test module, application or template database exists; it ticks on from there. The
    patch is process-wide, so the live server's threads and the SMTP catcher see it too."""
    global _clock_traveller
    value = os.environ.get(TEST_NOW_VARIABLE, "").strip()
    if not value or _clock_traveller is not None:
        return
    import time_machine

    _clock_traveller = time_machine.travel(parse_test_now(value), tick=True)
    _clock_traveller.start()


def pytest_unconfigure(config):
    global _clock_traveller
    if _clock_traveller is not None:
        _clock_traveller.stop()
        _clock_traveller = None


def pytest_report_header(config):
    if _clock_traveller is None:
        return None
    from portal.timeutil import AMSTERDAM

    now = datetime.now(UTC)
    return (f"clock: {TEST_NOW_VARIABLE}={os.environ[TEST_NOW_VARIABLE]} -> "
            f"{now:%Y-%m-%d %H:%M:%S} UTC, {now.astimezone(AMSTERDAM):%Y-%m-%d %H:%M:%S %Z} Amsterdam")


# A working day in the middle of the contract term (from 1 January 2027, 5 years and at most
# 2 more): tests whose dates must lie well inside the term, whatever day the suite runs on
# (near the term's end the daily run ends every admission), use the `in_term` fixture.
IN_TERM = datetime(2029, 6, 13, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def in_term():
    """The clock at IN_TERM, ticking on, for one test. Ask for it before `app`, `ctx` or
    `client` (or with ``pytest.mark.usefixtures("in_term")``) so that the test's own data is
    made on that day; the template database keeps the day the session started."""
    import time_machine

    with time_machine.travel(IN_TERM, tick=True):
        yield IN_TERM


def pytest_addoption(parser):
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite",
        help="database for the `app` fixture: SQLite files, or a throwaway PostgreSQL server",
    )


_TEMPLATE = {"extended": False}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated, seeded SQLite file that tests copy."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite"
    _TEMPLATE["extended"] = build_database(f"sqlite:///{path}", path.parent)
    return path


@pytest.fixture(scope="session")
def template_db_as_published(tmp_path_factory, template_db):
    """The procedure as published, no option exercised: what tests under ``in_term`` (the
    clock in 2029) see. The same file as ``template_db`` unless the session's day made
    that one exercise options (PORTAL_TEST_NOW after the base term)."""
    if not _TEMPLATE["extended"]:
        return template_db
    path = tmp_path_factory.mktemp("template-as-published") / "portal.sqlite"
    build_database(f"sqlite:///{path}", path.parent, extend=False)
    return path


@pytest.fixture(scope="session")
def postgres(request, tmp_path_factory):
    """A PostgreSQL server with a migrated, seeded template database (only with --db=postgres)."""
    from tests.infra.postgres import TempPostgres

    if request.config.getoption("--db") != "postgres":
        yield None
        return
    if not TempPostgres.available():
        pytest.fail("--db=postgres was asked for, but PostgreSQL binaries are not available")
    server = TempPostgres().start()
    url = server.create_database("portal_template")
    build_database(url, tmp_path_factory.mktemp("pg-template"))
    yield server
    server.stop()


_pg_counter = iter(range(1, 1_000_000))


@pytest.fixture
def database_url(request, template_db, tmp_path):
    """A fresh copy of the template database for one test."""
    server = request.getfixturevalue("postgres")
    if server is None:
        path = tmp_path / "portal.sqlite"
        source = (request.getfixturevalue("template_db_as_published")
                  if "in_term" in request.fixturenames else template_db)
        shutil.copy(source, path)
        yield f"sqlite:///{path}"
        return
    name = f"t{next(_pg_counter)}"
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE portal_template')
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture(scope="session")
def smtp_server():
    catcher = SmtpCatcher()
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def app(database_url, tmp_path, smtp):
    application = make_app(database_url, tmp_path / "uploads", smtp)
    # No app context is held here: requests must each get their own (and their own
    # flask.g and session). Tests that touch the database use `ctx` or
    # `with app.app_context():`.
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str = "/inloggen") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


def post(client, url: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST a form as a browser would: with the CSRF token (and, where the page has one,
    the version of the object the form was built on) taken from a page of the session."""
    data = dict(data or {})
    html = client.get(token_from or url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {token_from or url}"
    data.setdefault("csrf_token", match.group(1) or match.group(2))
    version = VERSION_RE.search(html)
    if version:
        data.setdefault("version", version.group(1))
    return client.post(url, data=data, **kwargs)


SECOND_STEP = "/inloggen/code"
ENROLMENT = "/account/tweestapsverificatie/instellen"
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


def allow_next_code(app, email: str) -> str:
    """The user's TOTP secret (the demo staff's is DEMO_TOTP_SECRET), after forgetting the
    last time step used: tests log one account in several times within 30 seconds, which
    the replay protection refuses (tests/test_mfa.py shows it); a person does not."""
    from sqlalchemy import select

    from portal.models import User

    with app.app_context():
        account = db.session.scalar(select(User).where(User.email == email.lower()))
        account.totp_last_step = None
        db.session.commit()
        return account.totp_secret


def complete_second_factor(client, response, email: str):
    """After the password: the code from the authenticator app (pyotp computes it), or,
    for staff without a second factor, its enrolment as a person does it (the secret read
    from the page). Returns the response that ends the login."""
    import pyotp

    location = response.headers.get("Location", "")
    if location.startswith(SECOND_STEP):
        secret = allow_next_code(client.application, email)
        response = post(client, SECOND_STEP, {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    elif location.startswith(ENROLMENT):
        secret = SECRET_RE.search(client.get(ENROLMENT).get_data(as_text=True)).group(1)
        page = post(client, ENROLMENT, {"code": pyotp.TOTP(secret.replace(" ", "")).now()})
        assert page.status_code == 200 and "herstelcodes" in page.get_data(as_text=True)
    return response


def login(client, email: str, password: str = DEMO_PASSWORD):
    """Log in as a person does: the password, then (staff) the second factor."""
    response = post(client, "/inloggen", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return complete_second_factor(client, response, email)


@pytest.fixture
def provider_client(client):
    login(client, PROVIDER)
    return client


@pytest.fixture
def draft(app):
    """A draft application of the demo provider for Pleegzorg; returns its id."""
    from sqlalchemy import select

    from portal.applications import workflow
    from portal.models import Procedure
    from tests.helpers import categories

    with app.app_context():
        application = workflow.create_application(
            db.session.scalar(select(Procedure)), categories("pleegzorg"), by=user(PROVIDER))
        db.session.commit()
        return application.id


def user(email):
    from sqlalchemy import select

    from portal.models import User

    return db.session.scalar(select(User).where(User.email == email))


# The browser tests' fixtures, shared by every tests/test_browser*.py.
from tests.browser_support import browser, live  # noqa: E402,F401
