"""Browser-test helpers: the system Chromium under Playwright, and a live WSGI server.

Usage::

    from playwright.sync_api import sync_playwright

    server = LiveServer(app).start()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.goto(server.url + "/")
        browser.close()
    server.stop()

We drive Debian's `chromium` package instead of Playwright's downloaded browser
builds, so no `playwright install` step (and no network) is needed.
"""
from __future__ import annotations

import importlib.util
import shutil
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

__all__ = ["CHROMIUM_ARGS", "chromium_available", "launch_chromium", "LiveServer"]

# Flags for running the system Chromium headless in containers and CI:
# no sandbox (often unavailable as root / in containers), no GPU, and none of the
# background chatter (updates, sync, first-run UI) that slows startup down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_available() -> bool:
    """True if a `chromium` executable is on PATH and Playwright is importable."""
    return shutil.which("chromium") is not None and importlib.util.find_spec("playwright") is not None


def launch_chromium(playwright):
    """Launch the system Chromium headless via a Playwright (sync API) instance.

    `playwright` is the object yielded by `sync_playwright()`; returns a Browser.
    """
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed (try: apt-get install -y chromium)")
    return playwright.chromium.launch(
        executable_path=executable,
        headless=True,
        args=list(CHROMIUM_ARGS),
    )


_RESPONSES = "tests.live_server.responses"


class _ClosedOnce:
    """A response iterable whose close() runs once, however often it is called."""

    def __init__(self, iterable) -> None:
        self._iterable = iterable
        self.closed = False

    def __iter__(self):
        return iter(self._iterable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self._iterable, "close", None)
        if close is not None:
            close()


def _remembering_responses(app):
    """The app, its response iterables noted in the environ for _ClosingRequestHandler."""

    def wsgi(environ, start_response):
        response = _ClosedOnce(app(environ, start_response))
        environ.setdefault(_RESPONSES, []).append(response)
        return response

    return wsgi


class _ClosingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, but every response is closed.

    PEP 3333 wants the response iterable's close() called at the end of every request,
    also when the client went away; Flask runs the ``call_on_close`` callbacks there (the
    portal sends the mail a request queued). Werkzeug 3.1 skips it when the client resets
    the connection while the handler drains the socket after the response: the
    ``rfile.read`` in ``run_wsgi``'s ``finally`` raises ConnectionResetError before
    ``application_iter.close()`` and the error is dropped silently (``connection_dropped``).
    Chromium does that after a POST answered with a redirect when it closes the socket
    before it has read the whole answer, which a busy machine makes likely: the mail of
    that request was then never sent. So what werkzeug did not close is closed here."""

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            environ = getattr(self, "environ", None) or {}
            for response in environ.pop(_RESPONSES, ()):
                response.close()


class LiveServer:
    """Serve a WSGI app (e.g. a Flask app) on 127.0.0.1 from a background thread.

    The port is picked by the OS at start(). Requests are handled in threads, so
    a browser can load pages and their assets concurrently.

    Attributes (after start()): host, port, url ("http://127.0.0.1:<port>").
    Also usable as a context manager.
    """

    host = "127.0.0.1"

    def __init__(self, app) -> None:
        self.app = app
        self.port: int | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("LiveServer has not been started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        """Bind a free port and start serving. Returns self. No-op if running."""
        if self._server is not None:
            return self
        self._server = make_server(self.host, 0, _remembering_responses(self.app),
                                   threaded=True, request_handler=_ClosingRequestHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name=f"LiveServer:{self.port}",
            daemon=True,  # never keep the test process alive
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
