"""Route guards by role; per-object checks live next to each object's loader."""
from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user


def _guard(check):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                flash("Log in om verder te gaan.", "info")
                return redirect(url_for("accounts.login", next=request.full_path))
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


provider_required = _guard(lambda u: u.is_provider and u.is_confirmed)
assessor_required = _guard(lambda u: u.is_assessor)
admin_required = _guard(lambda u: u.is_admin)
# Current capacity: the region's staff and referrers (verwijzers).
capacity_viewer_required = _guard(lambda u: u.can_see_capacity)
