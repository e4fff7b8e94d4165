"""Throttling per account: failed logins, second-factor codes and reset requests.

Flask-Limiter limits each address (``RATELIMIT_*``); this module limits each account,
whatever address the attempts come from (ASVS 6.1.1, 6.3.1). After
``THROTTLE_FREE_ATTEMPTS`` failures, each next attempt waits longer: 1, 2, 4, ...
minutes after the last failure, at most ``THROTTLE_MAX_MINUTES`` (a throttle, not a lock).
The account is a keyed hash of the e-mail address typed (or the user id): an address
without an account is throttled exactly like one with an account, so the answer never
tells which addresses exist. A day without failures starts the count again.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..errors import DomainError
from ..extensions import db
from ..i18n import ngettext
from ..timeutil import utcnow
from .models import AccountThrottle

LOGIN = "login"
SECOND_FACTOR = "second-factor"
RESET = "reset"
FORGET_AFTER = timedelta(hours=24)

WAIT_MESSAGES = {
    LOGIN: "Er is te vaak een onjuist wachtwoord ingevuld voor dit e-mailadres. Wacht {wait} "
           "en probeer het dan opnieuw.",
    SECOND_FACTOR: "Er is te vaak een onjuiste code ingevuld. Wacht {wait} en probeer het dan "
                   "opnieuw.",
    RESET: "Er is te vaak een nieuw wachtwoord aangevraagd voor dit e-mailadres. Wacht {wait} "
           "en probeer het dan opnieuw.",
}


class Throttled(DomainError):
    """Refused without trying: the account waits ``minutes`` more."""

    def __init__(self, kind: str, minutes: int):
        wait = ngettext("%(num)d minuut", "%(num)d minuten", minutes)
        super().__init__(WAIT_MESSAGES[kind].format(wait=wait))
        self.minutes = minutes


def _key(kind: str, account: str | int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{kind}:{account}".lower().encode(), hashlib.sha256).hexdigest()


def _row(kind: str, account: str | int) -> AccountThrottle | None:
    return db.session.scalar(select(AccountThrottle).where(
        AccountThrottle.kind == kind, AccountThrottle.key == _key(kind, account)))


def delay(failures: int) -> timedelta:
    """How long after the last failure the next attempt may come."""
    free = current_app.config["THROTTLE_FREE_ATTEMPTS"]
    if failures < free:
        return timedelta(0)
    minutes = min(2 ** min(failures - free, 30), current_app.config["THROTTLE_MAX_MINUTES"])
    return timedelta(minutes=minutes)


def wait_minutes(kind: str, account: str | int) -> int:
    """Whole minutes the account must still wait (0: it may try now)."""
    row = _row(kind, account)
    if row is None:
        return 0
    now = utcnow()
    if now - row.last_failure_at > FORGET_AFTER:
        return 0
    left = row.last_failure_at + delay(row.failures) - now
    return max(0, math.ceil(left.total_seconds() / 60))


def check(kind: str, account: str | int) -> None:
    """Raise ``Throttled`` while the account must wait."""
    minutes = wait_minutes(kind, account)
    if minutes:
        raise Throttled(kind, minutes)


def record_failure(kind: str, account: str | int) -> int:
    """Count one failed attempt (the caller commits); returns the count."""
    row = _row(kind, account)
    now = utcnow()
    if row is None:
        row = AccountThrottle(kind=kind, key=_key(kind, account), failures=0, last_failure_at=now)
        db.session.add(row)
    elif now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    return row.failures


def clear(kind: str, account: str | int) -> None:
    """A success: the account's count starts again."""
    db.session.execute(delete(AccountThrottle).where(
        AccountThrottle.kind == kind, AccountThrottle.key == _key(kind, account)))
