"""portal.urls.install_fast_url_for: links whose values are all whole numbers are the same
text werkzeug builds, for every route of the portal; anything else is built by Flask."""
import random

import pytest
from flask import url_for
from werkzeug.routing import BuildError

from config import TestConfig
from portal import create_app


@pytest.fixture(scope="module")
def portal_app():
    return create_app(TestConfig)


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # werkzeug keeps a rule's converters here only
        if converters and all(type(c).__name__ == "IdConverter" for c in converters.values()):
            yield rule


def test_every_numbered_route_is_built_as_werkzeug_builds_it(portal_app):
    rng = random.Random(15)
    rules = list(_int_rules(portal_app))
    assert len(rules) > 50  # the portal's routes with ids
    for script_root in ("", "/portaal"):
        with portal_app.test_request_context("/", base_url=f"http://portal.test{script_root}/"):
            adapter = portal_app.url_map.bind("portal.test", script_name=script_root or "/")
            for rule in rules:
                for _ in range(3):  # the first builds the template, the others use it
                    values = {name: rng.choice([0, 1, 7, 42, 2**31 - 1])
                              for name in rule._converters}
                    expected = adapter.build(rule.endpoint, values)
                    assert url_for(rule.endpoint, **values) == expected, rule
                    if len(portal_app.url_map._rules_by_endpoint[rule.endpoint]) == 1:
                        # a whole number that is no part of the route goes in the query string
                        extra = {**values, "pagina": 3}
                        assert url_for(rule.endpoint, **extra) == adapter.build(rule.endpoint, extra)


def test_other_links_are_flasks_own(portal_app):
    with portal_app.test_request_context("/"):
        assert url_for("assessment.detail", application_id=5) == "/beoordeling/5"
        assert url_for("assessment.detail", application_id=5, _anchor="eis-3") == "/beoordeling/5#eis-3"
        assert url_for("assessment.detail", application_id=5, _external=True) \
            == "http://localhost/beoordeling/5"
        assert url_for("assessment.queue", pagina=2, status="open") \
            == "/beoordeling/?pagina=2&status=open"
        assert url_for("assessment.detail", application_id=True) == "/beoordeling/1"  # bool
        assert url_for("assessment.detail", application_id="12") == "/beoordeling/12"  # text
        with pytest.raises(BuildError):
            url_for("no.such_endpoint", application_id=5)
        with pytest.raises(BuildError):
            url_for("no.such_endpoint", application_id=5)  # the second time as well


def test_a_route_with_defaults_is_built_by_werkzeug(portal_app):
    """The correction route of an indicator report has defaults: werkzeug picks its rule by
    the values, so its links are not templated."""
    from portal.urls import _template

    endpoints = [rule.endpoint for rule in portal_app.url_map.iter_rules() if rule.defaults]
    assert endpoints
    with portal_app.test_request_context("/"):
        for endpoint in endpoints:
            rule = next(portal_app.url_map.iter_rules(endpoint))
            names = tuple(rule.arguments)
            assert _template(portal_app, None, endpoint, names, False) is None
