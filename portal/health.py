"""Health checks for a load balancer or an orchestrator.

- ``GET /healthz``: the process lives and answers (liveness). Touches nothing else.
- ``GET /readyz``: the process can serve: the database answers ``SELECT 1`` and the file
  storage passes its own check, ``files.storage().check()`` (local: the directory is there
  and writable; S3: the bucket answers) (readiness). The answer also carries the outbox's
  backlog (mails queued) and the age in seconds of the oldest queued mail, for
  monitoring. 200 when ready, 503 naming the failing check otherwise.

Both need no login, set no cookie, are not rate limited, and say nothing secret: a failed
check is named, its error goes to the log only.

Infrastructure: it knows no part of the domain (it reads the outbox's model).
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select, text

from . import files
from .extensions import csrf, db, limiter
from .notifications.models import MailStatus, OutboxMail
from .timeutil import utcnow

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz():
    return _no_store(jsonify(status="ok"))


def _check_database() -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _check_storage() -> None:
    """The configured file storage (local disk or S3) answers its own check."""
    files.storage().check()


def _outbox() -> dict:
    """The backlog: two statements on the (status, id) index."""
    queued = db.session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.QUEUED))
    oldest = db.session.scalar(
        select(OutboxMail.created_at).where(OutboxMail.status == MailStatus.QUEUED)
        .order_by(OutboxMail.id).limit(1))
    age = None
    if oldest is not None:
        age = max(0, round((utcnow() - oldest).total_seconds()))
    return {"queued": queued or 0, "oldest_queued_age_seconds": age}


CHECKS = {"database": _check_database, "storage": _check_storage}


@bp.route("/readyz")
def readyz():
    checks, failing = {}, []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure means: not ready; logged, not shown
            log.warning("readiness check %s failed", name, exc_info=True)
            checks[name] = "failed"
            failing.append(name)
        else:
            checks[name] = "ok"
    body = {"status": "ok" if not failing else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    if "database" not in failing:
        try:
            body["outbox"] = _outbox()
        except Exception:  # noqa: BLE001 - the figures are extra; readiness stands
            log.warning("outbox figures for /readyz failed", exc_info=True)
            db.session.rollback()
            body["outbox"] = None
    return _no_store(jsonify(body)), 503 if failing else 200


def init_app(app) -> None:
    """Register the checks. Call before other parts register before-request hooks."""
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)

    @app.before_request
    def _answer_health_checks_first():
        """A probe is answered before the hooks registered after this one (the session
        guard loads a signed-in user from the database, and may redirect): /healthz must
        not depend on the database, and neither check on a cookie a client happens to send."""
        if request.blueprint == bp.name and request.endpoint in app.view_functions:
            return app.ensure_sync(app.view_functions[request.endpoint])(**(request.view_args or {}))
        return None
