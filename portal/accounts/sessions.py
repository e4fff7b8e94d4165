"""Sessions that end (ASVS 3.3): the request side of logging in and out.

A login starts a new session (everything of the old one is dropped, a new random id) that
holds the user's ``session_version``; ``guard`` (before every request) ends a session
whose version is no longer the user's (a logout elsewhere, a new password, a reset second
factor, a deactivation), that was idle too long (``SESSION_IDLE_MINUTES_STAFF`` /
``_PROVIDER``) or that began more than ``SESSION_ABSOLUTE_HOURS`` ago. The session then
continues as an anonymous one, so a protected page answers with the login page.

Between the password and the second factor the session holds only the pending user and
when the password was given (``PENDING_MINUTES`` to finish); the user is not logged in.
It also keeps users who must set up a second factor on the enrolment page.
"""
from __future__ import annotations

import secrets
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from . import mfa
from .models import User

VERSION = "_sv"
STARTED = "_started"
SEEN = "_seen"
SESSION_ID = "_sid"
PENDING_USER = "_mfa_uid"
PENDING_AT = "_mfa_at"
PENDING_NEXT = "_mfa_next"
PENDING_MINUTES = 10
TOUCH_SECONDS = 30  # how often the last activity is written into the cookie

# Pages a user who must still set up the second factor may open.
ENROLMENT_ENDPOINTS = {"accounts.mfa_setup", "accounts.logout", "static"}

EXPIRED = N_("Uw sessie is verlopen. Log opnieuw in.")
IDLE = N_("U was een tijd niet actief en bent daarom uitgelogd. Log opnieuw in.")


def start(user: User) -> None:
    """Log ``user`` in, in a new session (after the password, and the second factor)."""
    session.clear()
    login_user(user)
    now = int(time.time())
    session[VERSION] = user.session_version
    session[STARTED] = now
    session[SEEN] = now
    session[SESSION_ID] = secrets.token_urlsafe(16)


def keep_after_change(user: User) -> None:
    """The user raised their own session version (a new password): every other session
    ends, this one goes on."""
    if current_user.is_authenticated and current_user.id == user.id:
        session[VERSION] = user.session_version


def end() -> None:
    """Log out and drop the session (its messages for the next page stay)."""
    flashes = session.get("_flashes")
    logout_user()
    session.clear()
    if flashes:
        session["_flashes"] = flashes


def begin_second_step(user: User, next_url: str | None) -> None:
    """The password was right; the second factor comes next (not logged in yet)."""
    session.clear()
    session[PENDING_USER] = user.id
    session[PENDING_AT] = int(time.time())
    if next_url:
        session[PENDING_NEXT] = next_url


def pending_user() -> User | None:
    """The user between password and second factor, if that step has not expired."""
    user_id, started = session.get(PENDING_USER), session.get(PENDING_AT)
    if user_id is None or started is None:
        return None
    if time.time() - started > PENDING_MINUTES * 60:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active_account else None


def pending_next() -> str | None:
    return session.get(PENDING_NEXT)


def idle_limit(user: User) -> int:
    minutes = (current_app.config["SESSION_IDLE_MINUTES_PROVIDER"] if user.is_provider
               else current_app.config["SESSION_IDLE_MINUTES_STAFF"])
    return minutes * 60


def _ended(user: User, now: int) -> str | None:
    """Why the current session has ended, or None."""
    if not user.is_active_account or session.get(VERSION) != user.session_version:
        return _(EXPIRED)
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        return _(EXPIRED)
    if now - started > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return _(EXPIRED)
    if now - seen > idle_limit(user):
        return _(IDLE)
    return None


def guard():
    """Before every request: end a session that ended; keep users without their required
    second factor on the enrolment page."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    reason = _ended(current_user, now)
    if reason is not None:
        end()
        flash(reason, "info")
        return None  # on as anonymous: a protected page sends the browser to the login page
    if now - session[SEEN] >= TOUCH_SECONDS or now < session[SEEN]:
        session[SEEN] = now
    if mfa.must_enrol(current_user) and request.endpoint not in ENROLMENT_ENDPOINTS:
        if request.method == "GET":
            flash(_("Stel eerst tweestapsverificatie in. Daarna kunt u verder."), "info")
        return redirect(url_for("accounts.mfa_setup"))
    return None
