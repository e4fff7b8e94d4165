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
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

__all__ = ["SmtpCatcher", "free_port"]


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

    async def handle_DATA(self, server, session, envelope) -> str:
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

    def wait_for(self, count: int, timeout: float = 5) -> list[EmailMessage]:
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
        self, to: str | None = None, subject_contains: str | None = None
    ) -> list[EmailMessage]:
        """Messages matching all given filters (case-insensitive).

        to: an address that must appear among the envelope recipients or the
            To/Cc headers of the message.
        subject_contains: a substring of the Subject header.
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
            found.append(message)
        return found

    def wait_find(self, timeout: float = 5, **filters) -> list[EmailMessage]:
        """Like find(), but waits up to ``timeout`` seconds for a match: a live server
        delivers mail once its response has been sent, so it may arrive a moment later."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(**filters)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)


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
