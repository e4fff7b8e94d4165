"""The one role guard of the portal, for views and for operations alike.

A role is a name in ``ROLES`` with a check on the user. Views use ``role_required(role)``
(or its four short names below); operations call ``require_role(user, role, message)``
and ``require_beheerder(user, organisation_id, doing)``, which raise ``NotPermitted``
with a Dutch message. Per-object checks (is this your application?) live next to each
object's loader; this module knows no domain part, only the user's properties.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from .errors import NotPermitted
from .i18n import gettext as _

ROLES = {
    "provider": lambda u: u.is_provider and u.is_confirmed,
    "assessor": lambda u: u.is_assessor,  # administrators assess too
    "admin": lambda u: u.is_admin,
    # Current capacity: the region's staff and referrers (verwijzers).
    "capacity_viewer": lambda u: u.can_see_capacity,
}


def has_role(user, role: str) -> bool:
    """Is ``user`` an active account with ``role``? (None and anonymous users are not.)"""
    check = ROLES[role]
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.is_active and check(user))


def require_role(user, role: str, message: str) -> None:
    """For operations: refuse with ``message`` unless ``user`` has ``role``."""
    if not has_role(user, role):
        raise NotPermitted(message)


def require_beheerder(user, organisation_id: int, doing: str | None = None) -> None:
    """For operations: a user of the organisation, and its beheerder (a medewerker only
    prepares). ``doing`` completes "Alleen een beheerder van uw organisatie kan …" (by
    default "dit doen")."""
    if not (user is not None and user.is_active and user.is_provider
            and user.organisation_id == organisation_id):
        raise NotPermitted(_("Alleen gebruikers van de eigen organisatie kunnen dit doen."))
    if not user.is_org_beheerder:
        if doing is None:
            doing = _("dit doen")
        raise NotPermitted(_("Alleen een beheerder van uw organisatie kan %(doing)s.", doing=doing))


def role_required(role: str):
    """For views: anonymous users go to the login page, other roles get a 403."""
    ROLES[role]  # an unknown role fails at import, not at the first request

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                flash(_("Log in om verder te gaan."), "info")
                return redirect(url_for("accounts.login", next=request.full_path))
            if not has_role(current_user, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def forbid_unless(allowed: bool) -> None:
    """Inside a view, after the route's guard: a 403 when a further rule refuses."""
    if not allowed:
        abort(403)


provider_required = role_required("provider")
assessor_required = role_required("assessor")
admin_required = role_required("admin")
capacity_viewer_required = role_required("capacity_viewer")
