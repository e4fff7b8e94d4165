"""Hostile query strings, ids and form values on every page of the benchmark's scenario.

Each page is asked again with each of its own query arguments, and with the arguments the
portal's lists read, set to values no form would send: a number no row can have (larger
than the database's INTEGER), a negative one, text where a number belongs, 600 characters,
a NUL byte, an impossible date. Every number in its path is replaced by one no row can have.
Every form those pages show is posted with each of its fields set to such values in turn.
Each request gets an answer (the filter ignored or a Dutch message, a 404, a redirect, the
form again with its errors), never a server error."""
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.helpers import scenario_pages

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
    failures, asked = [], 0
    for client, who, url in scenario_pages(app):
        for variant in _variants(url):
            response = client.get(variant)
            response.get_data()  # streamed exports run while read
            response.close()
            asked += 1
            if response.status_code >= 500:
                failures.append((who, variant[:120], response.status_code))
    assert asked > 5000  # every page was asked, with every variant
    assert failures == []


# --- forms ----------------------------------------------------------------------------------------

POSTED = ("99999999999999999999", "-1", "abc", "a" * 20000, "\x00", "2026-02-30")


class _Forms(HTMLParser):
    """The POST forms of a page: (action, [(name, type, value, checked)])."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = (attrs.get("action"), [])
            self.forms.append(self._form)
        elif self._form is None or (tag != "option" and not attrs.get("name")):
            return
        elif tag == "input":
            self._form[1].append((attrs["name"], attrs.get("type", "text"),
                                  attrs.get("value") or "", "checked" in attrs))
        elif tag in ("select", "textarea"):
            self._form[1].append((attrs["name"], tag, "", True))
            self._select = tag == "select"
        elif tag == "option" and self._select:
            name, kind, value, _ = self._form[1][-1]
            if not value or "selected" in attrs:
                self._form[1][-1] = (name, kind, attrs.get("value") or "", True)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = False


def test_no_form_answers_hostile_values_with_a_server_error(app):
    seen, failures, posted = set(), [], 0
    for client, who, url in scenario_pages(app):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            target = action or url
            key = (who, urlsplit(target).path, tuple(name for name, *_ in fields))
            if key in seen:
                continue
            seen.add(key)
            sent = {name: value for name, kind, value, checked in fields
                    if kind not in ("file", "submit") and (checked or kind not in (
                        "checkbox", "radio"))}
            for name, kind, _value, _checked in fields:
                if name == "csrf_token" or kind == "file":
                    continue
                for value in POSTED:
                    answer = client.post(target, data={**sent, name: value})
                    answer.close()
                    posted += 1
                    if answer.status_code >= 500:
                        failures.append((who, target, name, value[:20], answer.status_code))
    assert len(seen) > 80 and posted > 1000  # the scenario's forms were found and posted
    assert failures == []
