"""Logs an operator can use: one line per request, and each error's traceback once.

Every request gets an id: the ``X-Request-ID`` header of the request when it is sane (a
proxy or load balancer in front sets one), otherwise a new one; it is echoed in the
response's ``X-Request-ID`` header and attached to every log record written while the
request runs. When the request ends, the logger ``portal.request`` writes one line with
the request id, the user id (or none), the route (the URL rule and the endpoint), the
method, the status and the duration in milliseconds.

An exception that escapes a view is not logged by Flask separately: its traceback goes
with that request's line (level ERROR), so it appears exactly once.

``LOG_FORMAT``: ``json`` (one JSON object per line, python-json-logger; the production
default) or ``text`` (readable, for development). ``LOG_LEVEL``: the level of the
portal's loggers (``INFO``).

Infrastructure: it knows no part of the domain.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import types
import uuid

from flask import Flask, g, has_request_context, request, session

log = logging.getLogger("portal.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Accepted from a client or proxy: short, and nothing that could forge a log line.
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def request_id_from(header: str | None) -> str:
    """The request id to use: the given one when it is sane, otherwise a new one."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if has_request_context():
        return g.get("request_id")
    return None


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as ``logging.lastResort``
    does), not to the stream of the moment the app was built; ``setStream`` still works."""

    _stream = None

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    @stream.setter
    def stream(self, value):
        self._stream = None if value is sys.stderr else value


def make_formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                         "name": "logger"})
    if kind == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise RuntimeError(f"LOG_FORMAT={kind!r} is unknown; use json or text")


def configure_logging(app: Flask) -> None:
    """One handler (standard error) for the portal's loggers, in the configured format.
    Building another app in the same process replaces the handler rather than adding one."""
    logger = logging.getLogger("portal")  # the app's logger and every portal.* module's
    # logging.config.fileConfig (Alembic's env.py, run by `flask db upgrade` in the same
    # process) disables every logger that exists by then; the portal's must keep logging.
    for name, existing in list(logging.root.manager.loggerDict.items()):
        if (name == "portal" or name.startswith("portal.")) and isinstance(existing, logging.Logger):
            existing.disabled = False
    for handler in list(logger.handlers):
        if getattr(handler, "_portal_handler", False):
            logger.removeHandler(handler)
    handler = StderrHandler()
    handler._portal_handler = True
    handler.setFormatter(make_formatter(str(app.config.get("LOG_FORMAT") or "text").lower()))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())


def _user_id() -> int | str | None:
    """The signed-in user's id, without loading the user or touching the session's
    'accessed' flag (which would add Vary: Cookie): a request that never looked at the
    user (a health check) costs no query for its log line."""
    user = g.get("_login_user")  # set by Flask-Login once the user was loaded
    if user is not None:
        return user.get_id() if getattr(user, "is_authenticated", False) else None
    current = session._get_current_object()
    return dict.get(current, "_user_id") if isinstance(current, dict) else None


def remember_error(exc_info) -> None:
    """Keep an exception's traceback for the request's log line (instead of logging it
    now). Called for exceptions Flask answers with a 500, and by error handlers that turn
    an exception into another status but want its traceback on record."""
    if has_request_context():
        g.request_error = exc_info
    else:  # not in a request (a CLI command): log it now
        logging.getLogger("portal").error("Exception", exc_info=exc_info)


def forget_error() -> None:
    """The remembered exception was answered as an expected case (a conflict): no traceback."""
    if has_request_context():
        g.pop("request_error", None)


def _log_exception(self: Flask, exc_info) -> None:
    """Replaces ``Flask.log_exception``: the traceback goes with the request's line."""
    remember_error(exc_info)


def init_app(app: Flask) -> None:
    """Call early in create_app: this after_request then runs after every other one and
    so sees the final status."""
    configure_logging(app)
    app.log_exception = types.MethodType(_log_exception, app)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        rule = request.url_rule.rule if request.url_rule is not None else None
        exc_info = g.pop("request_error", None)
        level = logging.ERROR if response.status_code >= 500 or exc_info else logging.INFO
        # The rule, not the path: a path may hold a secret (a password reset token).
        # Only a request that matched no rule (a 404) names its path, shortened.
        where = rule or "".join(c if c.isprintable() else "?" for c in request.path[:200])
        log.log(
            level,
            "%s %s %s %s ms", request.method, where, response.status_code, duration_ms,
            exc_info=exc_info,
            extra={
                "request_id": request_id,
                "user_id": _user_id(),
                "route": where,
                "endpoint": request.endpoint,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response
