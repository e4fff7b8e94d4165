"""Public pages kept as rendered HTML per version of their data, per worker.

A public page that every visitor sees alike (the register, for anonymous visitors) is
rendered once per version of the data it shows and then answered from memory: a request
costs reading the version (one indexed statement) and no rendering, whatever the data's
size. The part that owns the page gives the version (``version()``: a string that
changes whenever what the page shows may change, for instance with the day when dates
matter); this module knows no domain part.

Only plain anonymous GETs are kept or answered from the cache: a signed-in user's page has
their menu and name, and a page with a pending flash message shows it once. A page whose
rendering wrote to the session or made a CSRF token is not kept either. Each
application has its own cache (``app.extensions``), bounded in entries and in bytes, least
recently used first out; a request with new query arguments renders as before, so the
cache holds at most the recent variants.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

MAX_ENTRIES = 256
MAX_BYTES = 16 * 1024 * 1024  # per worker, all pages together


class PageCache:
    """A bounded LRU of rendered pages: key -> (body, ETag)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, body: bytes) -> str:
        etag = hashlib.sha256(body).hexdigest()[:32]
        if len(body) > self.max_bytes:
            return etag
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._entries[key] = (body, etag)
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)
        return etag

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def cache_of(app) -> PageCache:
    cache = app.extensions.get("pagecache")
    if cache is None:
        cache = app.extensions.setdefault("pagecache", PageCache())
    return cache


def _cacheable_request() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def _visitor_specific(before: dict) -> bool:
    """Whether rendering changed the visitor's session or put a CSRF token in the page
    (Flask-WTF keeps the request's token in ``g``): such a page is this visitor's alone."""
    return dict(session) != before \
        or current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g


def public_page(version: Callable[[], str]):
    """Keep the view's 200 HTML answers to anonymous visitors per ``version()``, the locale,
    the path and the query arguments; answer a client that holds the page with 304."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _cacheable_request():
                return view(*args, **kwargs)
            key = (version(), str(get_locale()), request.path,
                   tuple(sorted(request.args.items(multi=True))))
            cache = cache_of(current_app)
            entry = cache.get(key)
            if entry is None:
                before = dict(session)  # (after Flask-Login's own bookkeeping, above)
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.mimetype != "text/html" \
                        or response.is_streamed or _visitor_specific(before):
                    return response
                etag = cache.put(key, response.get_data())
            else:
                body, etag = entry
                response = current_app.response_class(body, mimetype="text/html")
            response.set_etag(etag)
            response.headers["Cache-Control"] = "no-cache"  # may be kept, but ask each time
            return response.make_conditional(request)
        wrapped.kept_public_page = True  # the benchmark measures such pages rendered as well
        return wrapped
    return decorate
