"""Health checks (/healthz, /readyz) through the test client and through gunicorn, the
production server, started as a real process. Failures are real: a database file whose
directory is gone, a storage path that is not a directory."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from config import Config
from portal.extensions import db
from portal.notifications.models import MailStatus, OutboxMail
from portal.timeutil import utcnow
from tests.conftest import ADMIN, login, make_app

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_session_login_or_database(tmp_path):
    """The database's directory is removed: the process still lives, /healthz says so."""
    db_dir = tmp_path / "gone"
    app = make_app(f"sqlite:///{db_dir / 'portal.sqlite'}", tmp_path / "uploads")
    shutil.rmtree(db_dir)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_checks_and_the_outbox_backlog(app, client):
    with app.app_context():
        queued_before = db.session.scalar(
            db.select(db.func.count()).select_from(OutboxMail)
            .where(OutboxMail.status == MailStatus.QUEUED))
        oldest = OutboxMail(kind="test", to_address="a@example.org", subject="oud", body_text="x",
                            body_html="x", status=MailStatus.QUEUED)
        db.session.add(oldest)
        db.session.flush()
        # The oldest queued mail: the lowest id, made ten minutes ago.
        first_id = db.session.scalar(db.select(db.func.min(OutboxMail.id))
                                     .where(OutboxMail.status == MailStatus.QUEUED))
        db.session.get(OutboxMail, first_id).created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "storage": "ok"}
    assert body["outbox"]["queued"] == queued_before + 1
    assert 600 <= body["outbox"]["oldest_queued_age_seconds"] < 3600
    assert "Set-Cookie" not in response.headers


def test_readyz_with_an_empty_outbox(app, client):
    with app.app_context():
        db.session.execute(db.update(OutboxMail).values(status=MailStatus.SENT))
        db.session.commit()
    body = client.get("/readyz").get_json()
    assert body["outbox"] == {"queued": 0, "oldest_queued_age_seconds": None}


def test_health_checks_need_no_login_and_stay_out_of_a_signed_in_session(app):
    client = app.test_client()
    login(client, ADMIN)
    for url in ("/healthz", "/readyz"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_readyz_is_503_naming_the_database_when_it_cannot_be_opened(tmp_path):
    db_dir = tmp_path / "removed"
    url = f"sqlite:///{db_dir / 'portal.sqlite'}"
    app = make_app(url, tmp_path / "uploads")
    shutil.rmtree(db_dir)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"] == {"database": "failed", "storage": "ok"}
    assert "outbox" not in body
    text = response.get_data(as_text=True)
    assert str(db_dir) not in text and "sqlite" not in text.lower()  # nothing about the setup


def test_readyz_is_503_naming_the_storage_when_it_is_not_a_directory(app, tmp_path):
    uploads = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(uploads)
    uploads.write_text("not a directory")  # the storage cannot be made or written there
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["storage"]
    assert body["checks"] == {"database": "ok", "storage": "failed"}
    assert str(uploads) not in response.get_data(as_text=True)


def test_health_checks_are_not_rate_limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "uploads", RATELIMIT_ENABLED=True,
                   RATELIMIT_APPLICATION="3 per minute")
    client = app.test_client()
    for _ in range(10):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    statuses = [client.get("/").status_code for _ in range(5)]
    assert 429 in statuses  # the limit is real for ordinary pages


# --- gunicorn ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_until_serving(process, url: str, deadline_s: float = 90.0):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}")
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)  # polling interval, not a wait for a fixed time
    pytest.fail(f"gunicorn did not answer {url} within {deadline_s} s")


def test_gunicorn_serves_health_checks_in_production_mode(template_db, tmp_path):
    database = tmp_path / "portal.sqlite"
    shutil.copy(template_db, database)
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    # The portal's settings come from this test only, never from the shell running it.
    env = {key: value for key, value in os.environ.items()
           if not hasattr(Config, key) and key not in ("PORTAL_ENV", "DATABASE_URL", "PYTHONPATH")}
    env.update(PORTAL_ENV="production", SECRET_KEY="a-secret-for-this-test-only-0123456789",
               DATABASE_URL=f"sqlite:///{database}", UPLOAD_DIR=str(tmp_path / "uploads"),
               PORTAL_INSTANCE_DIR=str(tmp_path / "instance"), LOG_FORMAT="json",
               OUTBOX_SEND_AFTER_REQUEST="false", RATELIMIT_ENABLED="true",
               # production insists on these; no mail is sent in this test
               MAIL_SERVER="127.0.0.1", PORTAL_BASE_URL="https://portal.example")
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            status, _, body = _wait_until_serving(process, f"http://127.0.0.1:{port}/healthz")
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            status, headers, body = _get(f"http://127.0.0.1:{port}/readyz")
            assert status == 200, body
            ready = json.loads(body)
            assert ready["checks"] == {"database": "ok", "storage": "ok"}
            assert isinstance(ready["outbox"]["queued"], int)
            request_id = headers["X-Request-ID"]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Each request logged one JSON line with its id (the access log of the portal itself).
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{") and '"portal.request"' in line]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert len(mine) == 1, lines
    assert mine[0]["route"] == "/readyz" and mine[0]["status"] == 200 and mine[0]["method"] == "GET"
    assert mine[0]["user_id"] is None and mine[0]["duration_ms"] >= 0
