"""How a view runs a workflow operation: the one way every POST view does it.

The view loads its object (per-object authorization), builds its form and hands this
module a function that calls the operation. This module validates the form, calls the
operation, commits, and answers:

- success: a Dutch flash message and a redirect (post/redirect/get);
- a form that did not validate: the page again with the messages at their fields (422);
  an expired form (CSRF token) says so above the form;
- a rule of the domain refused (``DomainError``): rolled back, its message at its field
  or above the form, the typed input kept (422), or for a button a flash message;
- someone else changed the object meanwhile (``StaleDataError``), or the database
  answered with a deadlock or a serialization failure: rolled back, a Dutch message and
  the page again with status 409; nothing is half done.

A conflict or a lost database connection that surfaces elsewhere (at an autoflush in a
view, at a commit after the request) is answered by the application's error handlers
(``create_app``), with ``is_conflict`` and ``is_unavailable`` from here: 409 with ``BUSY``,
or 503 with ``UNAVAILABLE``; never a 500.

It knows no domain part: operations and pages are passed in.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from .errors import DomainError, ValidationFailed
from .extensions import db
from .i18n import N_
from .i18n import gettext as _

EXPIRED = N_("Het formulier is verlopen; u ziet nu de actuele stand. Probeer het opnieuw.")
STALE = N_("Iemand anders heeft dit intussen gewijzigd. U ziet nu de actuele stand.")
BUSY = N_("Iemand anders wijzigde dit op hetzelfde moment; er is niets opgeslagen. "
           "U ziet nu de actuele stand. Probeer het opnieuw.")
UNAVAILABLE = N_("De database is even niet bereikbaar. Probeer het over een paar minuten opnieuw; "
                  "kijk dan eerst of uw laatste wijziging is opgeslagen.")

# SQLSTATE of a deadlock and of a serialization failure (PostgreSQL); SQLite says "locked".
CONFLICT_STATES = {"40P01", "40001"}

Message = str | Callable[[Any], str]
Target = str | Callable[[Any], str]


class Conflict(Exception):
    """Raised by ``attempt`` when the change met another change (stale, deadlock)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_conflict(exc: BaseException) -> bool:
    """A database error that means: another transaction got in the way; try again."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in CONFLICT_STATES:
        return True
    return "database is locked" in str(orig)


def is_unavailable(exc: BaseException) -> bool:
    """A database error that means: the database cannot be reached, or it dropped the
    connection (killed, restarted, network gone). Not a conflict, not a bug in a query.
    SQLAlchemy invalidates such a connection; the pool (pool_pre_ping) replaces it."""
    if not isinstance(exc, DBAPIError) or is_conflict(exc):
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def attempt(operation: Callable[[], Any]) -> Any:
    """Call ``operation`` and commit. Rolls back and re-raises a ``DomainError``; turns a
    conflict with another transaction into ``Conflict``. Returns the operation's result."""
    try:
        result = operation()
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    except (StaleDataError, DBAPIError) as exc:
        db.session.rollback()
        if is_conflict(exc):
            raise Conflict(_(STALE) if isinstance(exc, StaleDataError) else _(BUSY)) from exc
        raise
    return result


def show_errors(form, exc: DomainError | list[tuple[str | None, str]]) -> None:
    """Put a refusal's messages at their fields; the rest (and the hidden fields') above
    the form."""
    if isinstance(exc, ValidationFailed):
        errors = exc.errors
    elif isinstance(exc, DomainError):
        errors = [(getattr(exc, "field", None), exc.message)]
    else:
        errors = exc
    for name, message in errors:
        field = form._fields.get(name) if name else None
        if field is None or name in ("csrf_token", "version"):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _text(value: Message | Target, result: Any) -> str:
    return value(result) if callable(value) else value


def expired(form) -> bool:
    """Did the form fail only because its token or version is missing or old?"""
    return bool(form.errors) and set(form.errors) <= {"csrf_token", "version"}


def submit(form, operation: Callable[[], Any], *, success: Message, done: Target,
           page: Callable[[], Any], validated: bool | None = None,
           invalid_status: int = 422):
    """A form page's POST. ``operation()`` runs when the form validates; then ``success``
    is flashed and the browser goes to ``done`` (either may be a function of the
    operation's result). Otherwise ``page()`` renders the form again: 422 with the
    messages, 409 after a conflict. ``validated``: the view validated the form itself.
    ``invalid_status``: another status for the page with the messages (pages that have
    always answered 200)."""
    valid = form.validate() if validated is None else validated
    if not valid:
        if expired(form):
            form.form_errors.append(_(EXPIRED))
        return page(), invalid_status
    try:
        result = attempt(operation)
    except DomainError as exc:
        show_errors(form, exc)
        return page(), invalid_status
    except Conflict as exc:
        form.form_errors.append(exc.message)
        return page(), 409
    flash(_text(success, result), "success")
    return redirect(_text(done, result))


def button(form, operation: Callable[[], Any], *, success: Message, back: Target,
           invalid: Callable[[], Any] | None = None, done: Target | None = None):
    """A button's POST (a form of hidden fields). Every answer is a flash message and a
    redirect to ``back``: done, refused (the rule's message), expired or met another
    change. ``invalid``: a page to show instead when the form has visible fields whose
    messages belong next to them (422). ``done``: where to go after success instead of
    ``back`` (e.g. the list, after the object was deleted)."""
    if not form.validate():
        if invalid is not None and not expired(form):
            return invalid(), 422
        flash(_(EXPIRED), "error")
        return redirect(_text(back, None))
    try:
        result = attempt(operation)
    except (DomainError, Conflict) as exc:
        if invalid is not None and isinstance(exc, ValidationFailed):
            show_errors(form, exc)
            return invalid(), 422
        flash(exc.message, "error")
        return redirect(_text(back, None))
    flash(_text(success, result), "success")
    return redirect(_text(back if done is None else done, result))
