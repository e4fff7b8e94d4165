"""Hostile query strings and ids on every page of the benchmark's scenario.

Each page is asked again with each of its own query arguments, and with the arguments the
portal's lists read, set to values no form would send: a number no row can have (larger
than the database's INTEGER), a negative one, text where a number belongs, 600 characters,
a NUL byte, an impossible date. Every number in its path is replaced by one no row can have.
Each request gets an answer (the filter ignored or a Dutch message, a 404, a redirect),
never a server error."""
from urllib.parse import parse_qsl, urlencode, urlsplit

from bench import scenario
from tests.conftest import login

# The query arguments the portal's pages read (lists, filters, exports, comparisons).
COMMON = ("pagina", "zoek", "status", "partner", "categorie", "sorteer", "formaat", "termijn",
          "beoordelaar", "leeftijd", "van", "naar", "tot")
HOSTILE = ("99999999999999999999", "-1", "abc", "a" * 600, "\x00", "2026-13-45")
PATH_IDS = ("2147483648", "99999999999999999999999")


def _variants(url: str) -> list[str]:
    parts = urlsplit(url)
    own = dict(parse_qsl(parts.query))
    names = list(own) + [name for name in COMMON if name not in own]
    urls = [f"{parts.path}?{urlencode({**own, name: value})}"
            for name in names for value in HOSTILE]
    segments = parts.path.split("/")
    for i, segment in enumerate(segments):
        if segment.isdigit():
            urls += ["/".join([*segments[:i], value, *segments[i + 1:]]) + (
                f"?{parts.query}" if parts.query else "") for value in PATH_IDS]
    return urls


def test_no_page_answers_hostile_input_with_a_server_error(app):
    ids = scenario.build(app)
    clients, failures, asked = {}, [], 0
    for who, _endpoint, url in scenario.pages(app, ids):
        if who not in clients:
            clients[who] = app.test_client()
            if who:
                login(clients[who], who)
        for variant in _variants(url):
            response = clients[who].get(variant)
            response.get_data()  # streamed exports run while read
            response.close()
            asked += 1
            if response.status_code >= 500:
                failures.append((who, variant[:120], response.status_code))
    assert asked > 5000  # every page was asked, with every variant
    assert failures == []
