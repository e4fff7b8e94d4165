"""Fixtures: a real SQLite database built by the migrations, a real SMTP server on
loopback, real files on disk. Each test gets its own copy of a migrated, seeded database."""
from __future__ import annotations

import re
import shutil

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


def build_database(db_url: str, tmp_dir) -> None:
    """Upgrade an empty database with the migrations and load reference + demo data."""
    from flask_migrate import upgrade

    from portal.demo import seed_demo
    from portal.procedure.seed import seed_reference

    app = make_app(db_url, tmp_dir / "uploads")
    with app.app_context():
        upgrade()
        seed_reference()
        seed_demo()
        db.session.commit()
        db.engine.dispose()


def pytest_addoption(parser):
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite",
        help="database for the `app` fixture: SQLite files, or a throwaway PostgreSQL server",
    )


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated, seeded SQLite file that tests copy."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite"
    build_database(f"sqlite:///{path}", path.parent)
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
        shutil.copy(template_db, path)
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


def login(client, email: str, password: str = DEMO_PASSWORD):
    response = post(client, "/inloggen", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


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
