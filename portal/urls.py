"""URLs: the id converter of every route, absolute links for mail (always from
PORTAL_BASE_URL, never from the request's Host), and ``url_for`` for links that only take
numbers built once per endpoint."""
from types import MethodType
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.routing import IntegerConverter

# The largest id a row can have: PostgreSQL's INTEGER (SQLite's is larger, but a larger id
# would be a 500 on PostgreSQL and never names a row on either).
MAX_ID = 2**31 - 1


def row_id(value) -> int:
    """``value`` as a row's id (1 to MAX_ID); ValueError otherwise. For ``request.args.get(
    name, type=row_id)``: a query argument such as ``?partner=2**70`` is then no filter
    (None) instead of a number the database refuses."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"not a row id: {value!r}")
    return number


def row_id_or_none(value) -> int | None:
    """A form's or query's value as a row's id, or None for the empty choice and anything
    else (text, a number no row's id can be): the form's own check then names what is
    missing, and the database never gets a number it refuses."""
    if value in (None, "", "None"):
        return None
    try:
        return row_id(value)
    except (TypeError, ValueError):
        return None


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


# --- url_for for numbers ---------------------------------------------------------------------
#
# A list page links every row (``url_for('assessment.detail', application_id=a.id)``), and
# werkzeug builds each link by matching the endpoint's rules and converting every value
# (about 6-9 microseconds; a catalogue version's page, four links per requirement, spent
# about a tenth of its time there). A link whose values are all whole numbers is the same text with other
# digits: it is built once per endpoint, argument names and script root, with marker numbers,
# and then filled in. Anything else (text values, an anchor, a method, a scheme, external
# links, relative endpoints, outside a request) is built by Flask as before.

_MARK = 7391046158270000  # + position: digits no route or query string has on its own
_MAX_TEMPLATES = 4096


def install_fast_url_for(app) -> None:
    """Make ``app.url_for`` (what ``flask.url_for`` calls) take the shortcut above. Not with
    ``url_defaults`` functions (they may add values): then Flask builds every link."""
    flask_url_for = app.url_for
    templates: dict[tuple, tuple[str, tuple[str, ...]] | None] = {}

    def url_for(self, /, endpoint, *, _anchor=None, _method=None, _scheme=None,
                _external=None, **values):
        if (_anchor is None and _method is None and _scheme is None and not _external
                and values and endpoint[:1] != "." and not any(self.url_default_functions.values())
                and all(type(v) is int for v in values.values()) and request):
            names = tuple(values)
            key = (endpoint, names, request.script_root)
            template = templates.get(key, False)
            if template is False:
                template = _template(self, flask_url_for, endpoint, names, _external)
                if len(templates) < _MAX_TEMPLATES:
                    templates[key] = template
            if template is not None:
                text, order = template
                return text.format(*(values[name] for name in order))
        return flask_url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                             _external=_external, **values)

    app.url_for = MethodType(url_for, app)


def _template(app, flask_url_for, endpoint, names, external):
    """The link with a ``{}`` per number, in the order they appear; None for an endpoint
    with more than one rule or with defaults (werkzeug may then pick a rule by the values),
    or when the marker numbers do not come back as they went in (then Flask builds each
    link)."""
    rules = list(app.url_map.iter_rules(endpoint)) if endpoint in app.view_functions else []
    if len(rules) != 1 or rules[0].defaults:
        return None
    marks = {name: _MARK + i for i, name in enumerate(names)}
    built = flask_url_for(endpoint, _external=external, **marks)
    if "{" in built or "}" in built:
        return None
    found = sorted((built.find(str(mark)), name) for name, mark in marks.items())
    if any(position < 0 or built.count(str(marks[name])) != 1 for position, name in found):
        return None
    text = built
    for mark in marks.values():
        text = text.replace(str(mark), "{}")
    return text, tuple(name for _position, name in found)
