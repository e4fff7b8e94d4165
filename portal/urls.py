"""URLs: the id converter of every route, and absolute links for mail (always from
PORTAL_BASE_URL, never from the request's Host)."""
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter

# The largest id a row can have: PostgreSQL's INTEGER (SQLite's is larger, but a larger id
# would be a 500 on PostgreSQL and never names a row on either).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` for the whole portal: a non-negative whole number a row's id can be.

    2**70 or -1 in a path is no route (404), instead of an integer the database cannot
    take. Installed in create_app before any route is added."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def portal_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
