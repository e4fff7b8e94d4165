"""Smoke tests for the test infrastructure in tests/infra (independent of the portal)."""
from __future__ import annotations

import smtplib
import socket
import threading
import time
from email.message import EmailMessage

import pytest
from flask import Flask, redirect

from tests.infra.browser import LiveServer, chromium_available, launch_chromium
from tests.infra.postgres import TempPostgres
from tests.infra.smtp import MAIL_WAIT_SECONDS, SmtpCatcher


def _mail(to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "portal@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Beste bezoeker,\n\nTot ziens op de open dag.\n")
    return msg


def test_smtp_catcher_receives_mail():
    catcher = SmtpCatcher().start()
    try:
        with smtplib.SMTP(catcher.host, catcher.port, timeout=MAIL_WAIT_SECONDS) as smtp:
            smtp.send_message(_mail("Ouder <ouder@example.org>", "Bevestiging aanmelding"))

        [msg] = catcher.wait_for(1)
        assert msg["Subject"] == "Bevestiging aanmelding"
        assert "Tot ziens" in msg.get_content()
        assert catcher.find(to="OUDER@example.org") == [msg]
        assert catcher.find(subject_contains="bevestiging") == [msg]
        assert catcher.find(to="someone-else@example.org") == []

        catcher.clear()
        assert catcher.messages == []
    finally:
        catcher.stop()


def test_smtp_catcher_can_go_down_and_come_back_on_the_same_port():
    first = SmtpCatcher().start()
    port = first.port
    first.stop()

    # While it is down, delivery fails with a connection error.
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)

    second = SmtpCatcher(port=port).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=MAIL_WAIT_SECONDS) as smtp:
            smtp.login("any-user", "any-password")  # credentials are accepted
            smtp.send_message(_mail("a@example.org", "Weer bereikbaar"))
        assert [m["Subject"] for m in second.wait_for(1)] == ["Weer bereikbaar"]
    finally:
        second.stop()


def test_smtp_catcher_wait_for_times_out():
    catcher = SmtpCatcher().start()
    try:
        with pytest.raises(AssertionError, match="expected at least 1"):
            catcher.wait_for(1, timeout=0.2)
    finally:
        catcher.stop()


@pytest.mark.postgres
@pytest.mark.skipif(not TempPostgres.available(), reason="PostgreSQL server binaries not installed")
def test_temp_postgres_runs_queries():
    sqlalchemy = pytest.importorskip("sqlalchemy")

    pg = TempPostgres().start()
    try:
        url = pg.create_database("infra_check")
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/infra_check"

        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sqlalchemy.text("select 1")).scalar() == 1
        finally:
            engine.dispose()

        pg.drop_database("infra_check")
        with pg.connect() as conn:
            names = [r[0] for r in conn.execute("select datname from pg_database")]
        assert "infra_check" not in names
    finally:
        base_dir = pg.base_dir
        pg.stop()
    assert base_dir is not None and not base_dir.exists()


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="chromium (or playwright) not installed")
def test_live_server_serves_page_to_chromium():
    from playwright.sync_api import sync_playwright

    app = Flask("infra_check")

    @app.get("/")
    def index():
        return "<!doctype html><title>Infra</title><h1>Open dag</h1>"

    with LiveServer(app) as server, sync_playwright() as playwright:
        assert server.url.startswith("http://127.0.0.1:")
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            assert page.locator("h1").inner_text() == "Open dag"
            assert page.title() == "Infra"
        finally:
            browser.close()


def test_live_server_closes_a_response_the_client_reset():
    """The callbacks that run once a response has been sent (the portal sends a request's
    mail there) run also when the client closes the connection without reading the whole
    answer, as Chromium does after a redirect: its kernel then resets the connection while
    werkzeug drains it, and werkzeug alone would skip the response's close()."""
    app = Flask("infra_check")
    closed = threading.Event()

    @app.post("/versturen")
    def send():
        response = redirect("/verstuurd")
        response.set_data(b"Verstuurd.")
        response.call_on_close(closed.set)
        return response

    with LiveServer(app) as server:
        for _ in range(5):
            closed.clear()
            with socket.create_connection((server.host, server.port), timeout=10) as sock:
                sock.sendall(b"POST /versturen HTTP/1.1\r\nHost: portal\r\nContent-Length: 0\r\n\r\n")
                answer, deadline = b"", time.monotonic() + 10
                while not answer.endswith(b"Verstuurd.") and time.monotonic() < deadline:
                    answer = sock.recv(4096, socket.MSG_PEEK)  # the whole answer...
            # ... is there, and the socket closed with it unread
            assert closed.wait(10), "the response was not closed"
