"""Ids in paths: beyond the database's range or negative, every route answers 404, never 500,
whoever asks (issue 12, 'Robust routing')."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from portal.urls import MAX_ID, IdConverter
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login

HOSTILE_IDS = [2**70, MAX_ID + 1, -1]


def _int_routes(app):
    """Each rule with an id argument: (rule, its methods, its id arguments, the others)."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # noqa: SLF001 - werkzeug's record of the arguments
        ids = [name for name, conv in converters.items() if isinstance(conv, IdConverter)]
        if ids:
            others = [name for name in converters if name not in ids]
            found.append((rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), ids, others))
    return found


def test_every_id_route_uses_the_bounded_converter(app):
    routes = _int_routes(app)
    assert len(routes) > 50, "the portal's routes with ids were not found"
    for rule in app.url_map.iter_rules():
        for conv in rule._converters.values():  # noqa: SLF001
            assert not isinstance(conv, IntegerConverter) or isinstance(conv, IdConverter), rule.rule


@pytest.mark.parametrize("who", [None, PROVIDER, ASSESSOR_1, ADMIN])
def test_ids_beyond_the_range_are_404_on_every_route(app, who):
    client = app.test_client()
    if who:
        login(client, who)
    failures = []
    adapter = app.url_map.bind("localhost")
    for rule, methods, ids, others in _int_routes(app):
        for hostile in HOSTILE_IDS:
            values = {name: 1 for name in ids} | {name: "x" for name in others} | {ids[0]: hostile}
            path = adapter.build(rule.endpoint, values)
            for method in methods:
                status = client.open(path, method=method).status_code
                if status != 404:
                    failures.append(f"{method} {path}: {status}")
    assert failures == []


def test_the_largest_id_is_a_plain_not_found(app):
    """The edge of the range reaches the view, which finds no row: 404 with a Dutch page."""
    response = app.test_client().get(f"/register/{MAX_ID}")
    assert response.status_code == 404
    assert "Niet gevonden" in response.get_data(as_text=True)
