"""Several instances: two gunicorn servers (2 workers each) on two loopback ports share one
PostgreSQL database, one Redis server (rate limits and the management figures' cache) and
one S3 server (the evidence), as on several machines behind a load balancer. Everything
goes over real HTTP: a session started on one instance goes on on the other, the login
limit counts the attempts on both, the figures computed on one are served by the other,
and a file uploaded through one is downloaded through the other.

Runs in the PostgreSQL pass of `python3 dev.py test` (`pytest --db=postgres`); alone:
`python3 dev.py test --db=postgres tests/test_instances.py`.
"""
from __future__ import annotations

import csv
import io
import re
import secrets

import pytest

from tests.infra.gunicorn import GunicornServer
from tests.infra.redis import TempRedis
from tests.infra.s3 import S3Server

requests = pytest.importorskip("requests")

pytestmark = [pytest.mark.postgres]

PASSWORD = "demo-wachtwoord-2027"
PROVIDER = "aanbieder@demo.nl"
ADMIN = "beheer@demo.nl"
LOGIN_LIMIT = 20  # "20 per 15 minutes" on POST /inloggen (portal/accounts/views.py)
LIMITER_DB, CACHE_DB = 0, 1
S3_PREFIX = "evidence"
TIMEOUT = 60  # seconds for one HTTP request; generous for a loaded machine
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def redis_server():
    if not TempRedis.available():
        pytest.skip("redis-server is not installed (`python3 dev.py test` installs it with apt-get)")
    server = TempRedis().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def file_store():
    """One S3 server on loopback (moto in server mode) with a bucket for the evidence:
    (the portal's settings for it, the server)."""
    server = S3Server().start()
    try:
        yield server.settings(server.new_bucket(), prefix=S3_PREFIX), server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    """Two portal instances (A and B) on one database, one Redis and one file store."""
    if request.config.getoption("--db") != "postgres":
        pytest.skip("runs in the PostgreSQL pass (pytest --db=postgres)")
    postgres = request.getfixturevalue("postgres")
    redis_server = request.getfixturevalue("redis_server")
    file_store = request.getfixturevalue("file_store")
    smtp = request.getfixturevalue("smtp_server")  # a real SMTP server on loopback
    name = "instances"
    with postgres.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE portal_template')
    logs = tmp_path_factory.mktemp("gunicorn-logs")  # a.log and b.log, kept for a failure
    env = {
        # Production, as on a server behind a load balancer that ends TLS; here plain HTTP on
        # loopback, so cookies without Secure.
        "PORTAL_ENV": "production",
        "PORTAL_BASE_URL": "https://portal.regio.example",
        "SESSION_COOKIE_SECURE": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),  # one key for every instance
        "DATABASE_URL": postgres.url(name),
        "RATELIMIT_STORAGE_URI": redis_server.url(LIMITER_DB),
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_server.url(CACHE_DB),
        "REPORT_CACHE_SECONDS": "300",
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": str(smtp.port),
        "PORTAL_INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
        **file_store[0],
    }
    servers = []
    try:
        for label in ("a", "b"):
            # With S3 each instance has its own local directory: only the bucket is shared.
            own = {"UPLOAD_DIR": str(tmp_path_factory.mktemp(f"uploads-{label}"))}
            servers.append(GunicornServer({**own, **env}, workers=2, log_dir=logs, name=label).start())
        yield servers
    finally:
        for server in servers:
            server.stop()
        postgres.drop_database(name)


def _token(session, url: str) -> str:
    response = session.get(url, timeout=TIMEOUT)
    assert response.status_code == 200, (url, response.status_code)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def _login(session, base: str, email: str, *, form_from: str | None = None,
           code_on: str | None = None):
    """Log in on ``base`` with the form (and its CSRF token) of ``form_from``; staff give the
    code of their second factor (the demo secret) on ``code_on``. The last answer."""
    token = _token(session, (form_from or base) + "/inloggen")
    response = session.post(base + "/inloggen", data={"csrf_token": token, "email": email,
                                                      "password": PASSWORD},
                            allow_redirects=False, timeout=TIMEOUT)
    if response.status_code == 302 and response.headers["Location"].endswith("/inloggen/code"):
        import pyotp

        from portal.accounts.mfa import STEP_SECONDS
        from portal.demo import DEMO_TOTP_SECRET

        second = code_on or base
        token = _token(session, second + "/inloggen/code")
        code = pyotp.TOTP(DEMO_TOTP_SECRET, interval=STEP_SECONDS).now()
        response = session.post(second + "/inloggen/code", data={"csrf_token": token, "code": code},
                                allow_redirects=False, timeout=TIMEOUT)
    return response


def test_a_session_started_on_one_instance_goes_on_on_the_other(cluster):
    a, b = (server.url for server in cluster)
    browser = requests.Session()
    assert browser.get(b + "/aanbieder", allow_redirects=False, timeout=TIMEOUT).status_code == 302

    response = _login(browser, a, PROVIDER)
    assert response.status_code == 302, response.text[:2000]

    # The signed session cookie set by A is valid on B (and on every worker of both).
    for _ in range(4):
        page = browser.get(b + "/aanbieder", allow_redirects=False, timeout=TIMEOUT)
        assert page.status_code == 200
        assert "Stichting Gezinshuis De Linde (demo)" in page.text

    # A form loaded from B is accepted by A: the CSRF token lives in the shared session.
    other = requests.Session()
    assert _login(other, a, PROVIDER, form_from=b).status_code == 302
    assert "Stichting Gezinshuis De Linde (demo)" in other.get(a + "/aanbieder", timeout=TIMEOUT).text


def test_the_login_limit_counts_the_attempts_on_both_instances(cluster, redis_server):
    a, b = (server.url for server in cluster)
    limiter = redis_server.client(LIMITER_DB)
    limiter.flushdb()  # earlier tests logged in from this address too
    try:
        browser = requests.Session()
        token = _token(browser, a + "/inloggen")
        answers, remaining = [], []
        for attempt in range(LOGIN_LIMIT + 2):
            base = (a, b)[attempt % 2]
            # Unknown addresses, each once: only the limit per client address can stop them
            # (not the portal's throttling per account).
            response = browser.post(base + "/inloggen", data={
                "csrf_token": token, "email": f"niemand-{attempt}@instances.example",
                "password": "wrong-password-123"}, allow_redirects=False, timeout=TIMEOUT)
            answers.append(response.status_code)
            remaining.append(response.headers.get("X-RateLimit-Remaining"))
        # Per instance (or per worker) each would allow 20: together they allow 20.
        assert answers == [200] * LOGIN_LIMIT + [429, 429], answers
        assert remaining[:LOGIN_LIMIT] == [str(n) for n in range(LOGIN_LIMIT - 1, -1, -1)], remaining
        assert "Te veel pogingen" in browser.post(b + "/inloggen", data={
            "csrf_token": token, "email": PROVIDER, "password": PASSWORD}, timeout=TIMEOUT).text
    finally:
        limiter.flushdb()


def _states(session, base: str) -> dict[str, int]:
    """The figure 'Aanmeldingen per status' as the CSV export of ``base`` gives it."""
    response = session.get(base + "/beheer/rapportage/statussen.csv", timeout=TIMEOUT)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return {label: int(n) for label, n in rows[1:]}


def test_the_management_figures_computed_on_one_instance_are_served_by_the_other(cluster):
    a, b = (server.url for server in cluster)
    admin = requests.Session()
    # The password on A, the second factor on B: a half-made login is in the shared session too.
    assert _login(admin, a, ADMIN, code_on=b).status_code == 302
    refresh_token = _token(admin, a + "/beheer/rapportage")
    assert admin.post(a + "/beheer/rapportage/bijwerken", data={"csrf_token": refresh_token},
                      allow_redirects=False, timeout=TIMEOUT).status_code == 302
    before = _states(admin, a)  # computed now, on A, and kept

    # A change through the pages: the provider starts a new application (a concept).
    provider = requests.Session()
    assert _login(provider, a, PROVIDER).status_code == 302
    page = provider.get(a + "/aanmeldingen/nieuw", timeout=TIMEOUT)
    category = re.search(r'name="categories"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="categories"',
                         page.text)
    created = provider.post(a + "/aanmeldingen/nieuw", data={
        "csrf_token": CSRF_RE.search(page.text).group(1) or CSRF_RE.search(page.text).group(2),
        "categories": category.group(1) or category.group(2)},
        allow_redirects=False, timeout=TIMEOUT)
    assert created.status_code == 302, created.text[:2000]

    # B (every worker) serves the figures A computed: the same, not yet the new concept.
    for _ in range(4):
        assert _states(admin, b) == before
    # 'Nu bijwerken' on B makes A compute them again: the change shows on both.
    assert admin.post(b + "/beheer/rapportage/bijwerken", data={"csrf_token": refresh_token},
                      allow_redirects=False, timeout=TIMEOUT).status_code == 302
    after = _states(admin, a)
    assert after["Concept"] == before["Concept"] + 1
    assert after["Totaal"] == before["Totaal"] + 1
    assert _states(admin, b) == after


def test_a_file_uploaded_through_one_instance_is_downloaded_through_the_other(cluster, file_store):
    a, b = (server.url for server in cluster)
    provider = requests.Session()
    assert _login(provider, a, PROVIDER).status_code == 302
    content = (b"%PDF-1.4\n1 0 obj <<>> endobj\n%" + secrets.token_hex(64).encode()
               + b"\ntrailer <<>>\n%%EOF\n")
    token = _token(provider, a + "/organisatie/documenten")
    uploaded = provider.post(a + "/organisatie/documenten", data={
        "csrf_token": token, "doc_type": "Meldcode", "valid_until": ""},
        files={"file": ("meldcode-instances.pdf", content, "application/pdf")},
        allow_redirects=False, timeout=TIMEOUT)
    assert uploaded.status_code == 302, uploaded.text[:2000]

    library = provider.get(b + "/organisatie/documenten", timeout=TIMEOUT)
    row = re.search(r'href="/documenten/(\d+)"[^>]*>\s*meldcode-instances\.pdf', library.text)
    assert row, "the upload is not in the library shown by B"
    for _ in range(4):  # every worker of B
        download = provider.get(f"{b}/documenten/{row.group(1)}", timeout=TIMEOUT)
        assert download.status_code == 200
        assert download.content == content
    # The file is an object in the shared bucket (each instance has its own local directory).
    settings, s3 = file_store
    assert content in s3.objects(settings["S3_BUCKET"]).values()
