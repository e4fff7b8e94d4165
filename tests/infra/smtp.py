"""A real SMTP server on 127.0.0.1 that records every message it receives.

Usage::

    catcher = SmtpCatcher()
    catcher.start()
    ...  # point the app's MAIL_SERVER / MAIL_PORT at catcher.host / catcher.port
    [msg] = catcher.wait_for(1)
    assert "Welcome" in msg["Subject"]
    catcher.stop()

To simulate an outage, `stop()` the catcher and later `start()` it again (or
create `SmtpCatcher(port=old.port)`): the port stays the same, so the app's mail
configuration keeps pointing at it.

Bad behaviour, for the outbox's tests: ``answer("RCPT"|"DATA", reply, ...)`` answers the
next commands of that kind with the given replies (e.g. ``"451 4.3.0 Try again later"``,
``"550 5.1.1 No such user"``; such a message is not recorded), ``answer_always`` answers
every one so until cleared, ``delay`` slows every DATA down, and ``hold_after(n)`` keeps
the DATA after the n-th recorded message waiting until ``release()`` (it is then refused
and not recorded: a mail "in flight" when its sender dies). ``SilentRelay`` accepts TCP
connections and never says a word.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import deque
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

__all__ = ["MAIL_WAIT_SECONDS", "SilentRelay", "SmtpCatcher", "free_port"]

# How long the wait helpers wait for a mail by default: generous, because a live server
# sends mail after its response and a loaded CI machine may take seconds to get there.
# A wait ends as soon as the mail is there, so a long limit costs nothing when all is well.
MAIL_WAIT_SECONDS = 30.0


class _DropLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 logs a deprecation warning on every successful AUTH; hide it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_DropLoginDataWarning())


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a currently unused TCP port on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Authenticator that accepts every username/password (tests only)."""
    return AuthResult(success=True)


class _Handler:
    """aiosmtpd handler: parse each DATA payload and hand it to the catcher."""

    def __init__(self, catcher: SmtpCatcher) -> None:
        self._catcher = catcher

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        reply = self._catcher._scripted("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await self._catcher._before_data()
        if reply:
            return reply
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        message = BytesParser(policy=policy.default).parsebytes(content)
        self._catcher._record(message, envelope.mail_from, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpCatcher:
    """Record mail sent to a local SMTP server running in a background thread.

    Attributes:
        host: always "127.0.0.1".
        port: the TCP port; chosen free at construction unless given.
        messages: snapshot list of received `EmailMessage` objects (oldest first).

    Messages survive `stop()`/`start()` cycles; call `clear()` to forget them.
    Any AUTH credentials are accepted (no TLS required), so an app configured with
    a username/password can still deliver here.
    """

    host = "127.0.0.1"

    def __init__(self, port: int | None = None) -> None:
        self.port: int = port if port is not None else free_port(self.host)
        self._controller: Controller | None = None
        # Each record is (message, envelope sender, envelope recipients).
        self._records: list[tuple[EmailMessage, str, list[str]]] = []
        self._cond = threading.Condition()
        # Bad behaviour (see the module's docstring).
        self._replies: dict[str, deque[str]] = {"RCPT": deque(), "DATA": deque()}
        self._always: dict[str, str | None] = {"RCPT": None, "DATA": None}
        self.delay: float = 0.0
        self._hold_after: int | None = None
        self._held = threading.Event()
        self._released = threading.Event()
        self.refused = 0  # messages answered with a scripted reply

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SmtpCatcher:
        """Start listening on `self.port`. Returns self. No-op if already running."""
        if self._controller is not None:
            return self
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            # A fixed greeting name avoids a slow socket.getfqdn() lookup.
            server_hostname="localhost",
            ready_timeout=10,
            authenticator=_accept_any_login,
            auth_require_tls=False,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; connections to the port are refused afterwards."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpCatcher:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ------------------------------------------------------------------ bad behaviour

    def answer(self, stage: str, *replies: str) -> None:
        """Answer the next RCPT or DATA commands with ``replies``, one each, in order."""
        with self._cond:
            self._replies[stage].extend(replies)

    def answer_always(self, stage: str, reply: str | None) -> None:
        """Answer every RCPT or DATA command with ``reply`` (None: behave again)."""
        with self._cond:
            self._always[stage] = reply

    def hold_after(self, count: int) -> None:
        """Keep the DATA after the ``count``-th recorded message waiting until release()."""
        with self._cond:
            self._hold_after = count
            self._held.clear()
            self._released.clear()

    def wait_held(self, timeout: float = MAIL_WAIT_SECONDS) -> None:
        if not self._held.wait(timeout):
            raise AssertionError(f"no message was held within {timeout}s "
                                 f"({len(self._records)} recorded)")

    def release(self) -> None:
        self._released.set()

    def _scripted(self, stage: str) -> str | None:
        with self._cond:
            reply = self._replies[stage].popleft() if self._replies[stage] else self._always[stage]
            if reply:
                self.refused += 1
            return reply

    async def _before_data(self) -> str | None:
        """Runs in the server's event loop before a DATA is accepted."""
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._cond:
            hold = self._hold_after is not None and len(self._records) >= self._hold_after
            if hold:
                self._hold_after = None
        if hold:
            self._held.set()
            while not self._released.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 Held by the test, not delivered"
        return self._scripted("DATA")

    # ------------------------------------------------------------------ messages

    def _record(self, message: EmailMessage, mail_from: str, rcpt_tos: list[str]) -> None:
        """Called from the server thread for every delivered message."""
        with self._cond:
            self._records.append((message, mail_from, rcpt_tos))
            self._cond.notify_all()

    @property
    def messages(self) -> list[EmailMessage]:
        """A copy of the received messages, oldest first."""
        with self._cond:
            return [record[0] for record in self._records]

    def clear(self) -> None:
        """Forget all received messages."""
        with self._cond:
            self._records.clear()

    def wait_for(self, count: int, timeout: float = MAIL_WAIT_SECONDS) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; return all of them.

        Raises AssertionError (listing what did arrive) after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._records) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [str(m["Subject"]) for m, _, _ in self._records]
                    raise AssertionError(
                        f"expected at least {count} message(s) within {timeout}s, "
                        f"got {len(subjects)}: {subjects}"
                    )
                self._cond.wait(min(remaining, 0.1))
            return [record[0] for record in self._records]

    def find(
        self,
        to: str | None = None,
        subject_contains: str | None = None,
        body_contains: str | None = None,
    ) -> list[EmailMessage]:
        """Messages matching all given filters (case-insensitive).

        to: an address that must appear among the envelope recipients or the
            To/Cc headers of the message.
        subject_contains: a substring of the Subject header.
        body_contains: a substring of the plain-text body.
        """
        with self._cond:
            records = list(self._records)
        found = []
        for message, _sender, rcpt_tos in records:
            if to is not None and to.lower() not in _recipients(message, rcpt_tos):
                continue
            if subject_contains is not None and subject_contains.lower() not in str(
                message.get("Subject", "")
            ).lower():
                continue
            if body_contains is not None and body_contains.lower() not in plain_body(
                message
            ).lower():
                continue
            found.append(message)
        return found

    def wait_find(self, timeout: float = MAIL_WAIT_SECONDS, **filters) -> list[EmailMessage]:
        """Like find(), but waits up to ``timeout`` seconds for a match: a live server
        delivers mail once its response has been sent, so it may arrive a moment later."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(**filters)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)


class SilentRelay:
    """A server on 127.0.0.1 that accepts TCP connections and never answers (a relay that
    hangs). Connections are closed on stop(), or after ``hold`` seconds at the latest, so
    that a client without a timeout ends eventually instead of hanging a test run."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None, hold: float = 120.0) -> None:
        self.port: int = port if port is not None else free_port(self.host)
        self.hold = hold
        self.connections = 0
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> SilentRelay:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(16)
        server.settimeout(0.1)
        self._server = server
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        deadline_of: dict[socket.socket, float] = {}
        while self._server is not None:
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                conn = None
            now = time.monotonic()
            with self._lock:
                if conn is not None:
                    self.connections += 1
                    self._open.append(conn)
                    deadline_of[conn] = now + self.hold
                for old in [c for c in self._open if deadline_of.get(c, now) <= now]:
                    old.close()
                    self._open.remove(old)

    def stop(self) -> None:
        server, self._server = self._server, None
        if self._thread is not None:
            self._thread.join(timeout=5)
        if server is not None:
            server.close()
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()

    def __enter__(self) -> SilentRelay:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def plain_body(message: EmailMessage) -> str:
    """The plain-text body of a message ('' when it has none)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def _recipients(message: EmailMessage, rcpt_tos: list[str]) -> set[str]:
    """Lower-cased bare addresses from the envelope and the To/Cc headers."""
    addresses = {addr.lower() for addr in rcpt_tos}
    for header in ("To", "Cc"):
        value = message.get(header)
        if value is None:
            continue
        for address in getattr(value, "addresses", ()):
            if address.addr_spec:
                addresses.add(address.addr_spec.lower())
    return addresses
