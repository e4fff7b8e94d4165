"""One log line per request (request id, user, route, method, status, duration), JSON in
production, and an error's traceback exactly once."""
from __future__ import annotations

import io
import json
import logging
import os
import re

import pytest

from config import DevelopmentConfig, ProductionConfig
from tests.conftest import ASSESSOR_1, login, make_app, user


def _request_lines(caplog):
    return [r for r in caplog.records if r.name == "portal.request"]


@pytest.fixture
def portal_handler():
    """The portal's own log handler, writing into a buffer for the test."""
    [handler] = [h for h in logging.getLogger("portal").handlers if getattr(h, "_portal_handler", False)]
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield handler, buffer
    handler.setStream(old)


def test_one_line_per_request_with_its_fields(app, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    client = app.test_client()
    login(client, ASSESSOR_1)
    with app.app_context():
        assessor_id = user(ASSESSOR_1).id
    caplog.clear()
    response = client.get("/beoordeling/?status=open")
    assert response.status_code == 200
    [line] = _request_lines(caplog)
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert line.request_id == request_id
    assert str(line.user_id) == str(assessor_id)
    assert line.route == "/beoordeling/" and line.endpoint == "assessment.queue"
    assert line.method == "GET" and line.status == 200
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert line.levelno == logging.INFO
    assert "status=open" not in line.getMessage()  # the rule, not the path with its query


def test_the_route_is_the_rule_not_a_path_with_a_token(client, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    client.get("/wachtwoord-herstellen/geheim-token-123")
    [line] = _request_lines(caplog)
    assert line.route == "/wachtwoord-herstellen/<token>"
    assert "geheim-token-123" not in caplog.text
    assert line.user_id is None


def test_a_sane_request_id_is_taken_over_and_a_bad_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a.9:77"})
    assert response.headers["X-Request-ID"] == "lb-4f2a.9:77"
    for bad in ("two words", "x" * 300, "forged%0AINFO", "<script>"):
        response = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), bad
    ids = [r.request_id for r in _request_lines(caplog)]
    assert ids[0] == "lb-4f2a.9:77" and len(set(ids)) == 5


def test_an_error_is_logged_once_with_its_traceback(app, caplog, portal_handler):
    _handler, stream = portal_handler

    @app.route("/_test/stuk")
    def broken():
        raise RuntimeError("kapot-in-de-test")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: answered, not raised
    caplog.set_level(logging.INFO)
    response = app.test_client().get("/_test/stuk")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page and response.headers["X-Request-ID"] in page
    assert "kapot-in-de-test" not in page
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1
    [line] = _request_lines(caplog)
    assert line is with_traceback[0]
    assert line.levelno == logging.ERROR and line.status == 500 and line.route == "/_test/stuk"
    assert caplog.text.count("Traceback (most recent call last)") == 1
    assert caplog.text.count("RuntimeError: kapot-in-de-test") == 1
    assert "Exception on /_test/stuk" not in caplog.text  # Flask's own line is not written
    written = stream.getvalue()  # what the operator sees on standard error
    assert written.count("Traceback (most recent call last)") == 1
    assert written.count("RuntimeError: kapot-in-de-test") == 1


def test_json_lines_in_production_format(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "uploads", LOG_FORMAT="json")
    # make_app replaced the handler: take the new one
    [handler] = [h for h in logging.getLogger("portal").handlers if getattr(h, "_portal_handler", False)]
    stream = io.StringIO()
    handler.setStream(stream)

    @app.route("/_test/stuk")
    def broken():
        raise ValueError("json-fout")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    ok = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    client.get("/_test/stuk")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "portal.request"]
    assert len(requests) == 2
    first, second = requests
    assert ok.headers["X-Request-ID"] == "abc-123"
    assert first["request_id"] == "abc-123" and first["route"] == "/healthz"
    assert first["method"] == "GET" and first["status"] == 200 and first["user_id"] is None
    assert first["level"] == "INFO" and "duration_ms" in first and "time" in first
    assert second["status"] == 500 and second["level"] == "ERROR"
    assert "ValueError: json-fout" in second["exc_info"]
    assert sum("json-fout" in json.dumps(line) for line in lines) == 1


@pytest.mark.skipif("LOG_FORMAT" in os.environ, reason="LOG_FORMAT is set in the environment")
def test_log_format_defaults():
    assert ProductionConfig.LOG_FORMAT == "json"
    assert DevelopmentConfig.LOG_FORMAT == "text"


def test_an_unknown_path_is_named_shortened_and_without_line_breaks(client, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    response = client.get("/bestaat-niet%0AINFO%20vervalst" + "x" * 300)
    assert response.status_code == 404
    [line] = _request_lines(caplog)
    assert line.route.startswith("/bestaat-niet?INFO vervalst") and len(line.route) == 200
    assert "\n" not in line.getMessage() and line.endpoint is None and line.status == 404
