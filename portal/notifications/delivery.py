"""Delivery of queued mail: after each request (the mails it queued), and from
`flask outbox send` (everything that is due).

- **Claims.** A mail is claimed before it is sent, one at a time, in one statement:
  ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)``. On PostgreSQL
  concurrent workers skip each other's rows; SQLite takes the write lock for the whole
  statement (and has no FOR UPDATE), so two workers never claim the same row either.
  A claim is a lease: ``next_attempt_at`` of a ``sending`` mail is when it runs out; a
  worker that died mid-send leaves the mail to whoever comes after that. Each claim counts
  an attempt, and the attempt number is the claim's token: a worker only records the
  outcome of its own claim.
- **Retries.** A temporary error (4xx, no connection, a timeout) puts the mail back in the
  queue after a growing delay (``RETRY_DELAYS``, then hourly); it is given up after
  ``OUTBOX_GIVE_UP_AFTER_HOURS``. A permanent answer (5xx) to the mail itself fails it at
  once. When the server cannot be reached the run stops: the rest stays queued as it was.
- **Recognisable repeats.** Every mail carries ``Message-ID: <outbox-{id}@{domain}>``, the
  same on every attempt, so a receiver can tell a repeat after an unclear failure (a
  worker killed after the server accepted the mail) from a new mail.
- **Timeouts.** Flask-Mail 0.10 opens smtplib without a timeout; ``TimedConnection`` opens
  it with ``MAIL_TIMEOUT_SECONDS`` (connect and every command).
"""
from __future__ import annotations

import logging
import secrets
import smtplib
import time
from contextlib import suppress
from datetime import timedelta
from email import policy as email_policy
from email.utils import parseaddr
from functools import cache

from flask import current_app, g
from flask_mail import Connection, Message
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import DBAPIError

from ..actions import is_conflict
from ..extensions import db
from ..files import Document, read_bytes
from ..timeutil import utcnow
from .models import MailStatus, OutboxMail

log = logging.getLogger(__name__)

# After the n-th failed attempt the mail waits RETRY_DELAYS[n - 1]; after the last, hourly.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 30))
LATER_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long a mail waits after its ``attempts``-th failed attempt."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else LATER_DELAY


def message_id(mail_id: int, sender: str | None = None) -> str:
    """The stable Message-ID of outbox mail ``mail_id``: the same on every attempt."""
    address = parseaddr(sender if sender is not None else current_app.config["MAIL_DEFAULT_SENDER"])[1]
    domain = address.rpartition("@")[2] or "localhost"
    return f"<outbox-{mail_id}@{domain}>"


class Unreachable(Exception):
    """The SMTP server could not be reached or would not let us in (connect, greeting,
    STARTTLS, login): nothing about the mail itself; the run stops."""


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to the mail itself (sender, recipient, content): retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def describe(exc: BaseException) -> str:
    """The error as an administrator reads it, with the server's own answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{address}: {code} {_text(reply)}"
                            for address, (code, reply) in exc.recipients.items())
        return f"{type(exc).__name__}: {answers}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _server_gone(exc: BaseException) -> bool:
    """No server, or the connection broke or timed out: the run stops. (An SMTP answer is
    an OSError too, but the server that gave it is there.)"""
    if isinstance(exc, Unreachable | smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class TimedConnection(Connection):
    """Flask-Mail's connection, opened with a timeout (Flask-Mail 0.10 passes none to
    smtplib, so a relay that accepts and never answers would hold us forever)."""

    def __init__(self, mail, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        factory = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = factory(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host


class _Relay:
    """One SMTP connection for a run of mails, opened at the first mail."""

    def __init__(self, app) -> None:
        self._state = app.extensions["mail"]
        self._timeout = app.config["MAIL_TIMEOUT_SECONDS"]
        self._connection: TimedConnection | None = None

    def send(self, message: Message) -> None:
        if self._connection is None:
            connection = TimedConnection(self._state, self._timeout)
            try:
                connection.__enter__()
            except (smtplib.SMTPException, OSError) as exc:
                raise Unreachable(describe(exc)) from exc
            self._connection = connection
        self._connection.send(message)

    def drop(self) -> None:
        """After an error the connection may be in any state: close it without QUIT."""
        connection, self._connection = self._connection, None
        if connection is not None and connection.host is not None:
            with suppress(Exception):
                connection.host.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(smtplib.SMTPException, OSError):
                connection.__exit__(None, None, None)  # QUIT


# Flask-Mail writes its messages with email.policy.SMTP, which parses every header again
# through the header registry while writing: half of the time a plain mail costs. Its
# headers are already encoded (RFC 2047) by Flask-Mail, so the compat32 writer with CRLF
# line ends gives the same mail (a long encoded subject is folded at other points).
_WIRE_POLICY = email_policy.compat32.clone(linesep="\r\n", mangle_from_=False)


class _OutboxMessage(Message):
    def as_bytes(self) -> bytes:
        message = self._message()
        parts = list(message.walk())
        # The writer would make a random boundary per multipart part and search the text
        # for it with a regular expression compiled for it; a random token that no part's
        # text contains (a plain substring test) is as safe and much cheaper.
        token = f"outbox-{secrets.token_hex(12)}"
        if not any(token in str(part.get_payload()) for part in parts if not part.is_multipart()):
            for n, part in enumerate(parts):
                if part.is_multipart():
                    part.set_boundary(f"{token}-{n}")
        return message.as_bytes(policy=_WIRE_POLICY)


def _message(item: OutboxMail) -> Message:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = _OutboxMessage(
        subject=item.subject,
        recipients=[item.to_address],
        body=item.body_text,
        html=item.body_html,
        sender=sender,
        extra_headers={"X-Portal-Mail-Id": str(item.id), "Auto-Submitted": "auto-generated"},
    )
    message.msgId = message_id(item.id, sender)
    if item.attachment_document_id:
        document = db.session.get(Document, item.attachment_document_id)
        message.attach(document.original_name, document.content_type, read_bytes(document))
    return message


def _transmit(item: OutboxMail, relay: _Relay) -> None:
    if not current_app.config.get("MAIL_SERVER"):
        # Development default: no SMTP server. The mail is printed and stays
        # readable for administrators under /beheer/mails.
        print(
            f"--- mail #{item.id} to {item.to_address}: {item.subject}\n{item.body_text}\n---",
            flush=True,
        )
        return
    relay.send(_message(item))


# --- claims -------------------------------------------------------------------------------

def _retrying(work, tries: int = 5):
    """Run one short write transaction; again after a lost race with another worker (a
    locked SQLite file, a PostgreSQL deadlock or serialization failure)."""
    for n in range(1, tries + 1):
        try:
            return work()
        except DBAPIError as exc:
            db.session.rollback()
            if n == tries or not is_conflict(exc):
                raise
            time.sleep(0.05 * n)
    return None  # not reached


_TABLE = OutboxMail.__table__


@cache
def _claim_statement(status: MailStatus, with_ids: bool):
    """Claim the first due mail in ``status`` (queued and due, or sending with a lease that
    ran out), returning its (id, attempt). Parameters: now, lease_end (and ids). Built once
    (a Core statement with bound parameters; the worker runs it for every mail)."""
    c = _TABLE.c
    due = (select(c.id)
           .where(c.status == status, c.next_attempt_at <= bindparam("now"))
           .order_by(c.next_attempt_at, c.id)
           .limit(1)
           .with_for_update(skip_locked=True))
    if with_ids:
        due = due.where(c.id.in_(bindparam("ids", expanding=True)))
    return (update(_TABLE)
            .where(c.id == due.scalar_subquery())
            .values(status=MailStatus.SENDING, claimed_at=bindparam("now"),
                    next_attempt_at=bindparam("lease_end"), attempts=c.attempts + 1)
            .returning(c.id, c.attempts))


@cache
def _outcome_statement(columns: tuple[str, ...]):
    """Record an outcome on our claim: ``columns`` set from parameters ``v_<column>``;
    parameters mail_id and attempt name the claim."""
    c = _TABLE.c
    return (update(_TABLE)
            .where(c.id == bindparam("mail_id"), c.status == MailStatus.SENDING,
                   c.attempts == bindparam("attempt"))
            .values({name: bindparam(f"v_{name}", type_=c[name].type) for name in columns}))


def _record(mail_id: int, attempt: int, values: dict) -> int:
    """Write an outcome (no commit); returns the number of rows changed (0: the claim ran out)."""
    params = {f"v_{name}": value for name, value in values.items()}
    return db.session.execute(_outcome_statement(tuple(sorted(values))),
                              dict(params, mail_id=mail_id, attempt=attempt)).rowcount


def _lease_lost(mail_id: int, attempt: int) -> None:
    log.warning("mail %s: claim %s ran out while sending; another worker has it", mail_id, attempt)


def claim_next(only_ids=None, *, record: tuple[int, int, dict] | None = None) -> tuple[int, int] | None:
    """The next mail to send: first one whose claim ran out (its worker died), then the
    queued mail that has been due longest. ``record``: the outcome (mail id, attempt,
    values) of the previous mail, written in the same transaction as this claim, so a
    run commits once per mail. Commits."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    ids = None if only_ids is None else list(only_ids)

    def work():
        if record is not None and _record(*record) != 1:
            _lease_lost(record[0], record[1])
        now = utcnow()
        params = {"now": now, "lease_end": now + lease}
        if ids is not None:
            params["ids"] = ids
        row = None
        for status in (MailStatus.SENDING, MailStatus.QUEUED):
            row = db.session.execute(_claim_statement(status, ids is not None), params).first()
            if row is not None:
                break
        db.session.commit()
        return None if row is None else (row[0], row[1])

    return _retrying(work)


def _finish(mail_id: int, attempt: int, **values) -> bool:
    """Record the outcome of our claim; False if the lease ran out and another worker took
    the mail over meanwhile (its outcome counts)."""
    def work():
        rowcount = _record(mail_id, attempt, values)
        db.session.commit()
        return rowcount

    if _retrying(work) != 1:
        _lease_lost(mail_id, attempt)
        return False
    return True


def _failed(mail_id: int, attempt: int, exc: BaseException) -> str:
    """Reschedule after a temporary error, or give up; returns "retry" or "failed"."""
    now = utcnow()
    error = describe(exc)[:2000]
    queued_at = db.session.scalar(select(OutboxMail.queued_at).where(OutboxMail.id == mail_id))
    give_up_at = queued_at + timedelta(hours=current_app.config["OUTBOX_GIVE_UP_AFTER_HOURS"])
    if is_permanent(exc) or now >= give_up_at:
        outcome = "failed"
        _finish(mail_id, attempt, status=MailStatus.FAILED, next_attempt_at=None, last_error=error)
        log.error("mail %s given up: %s", mail_id, error)
    else:
        outcome = "retry"
        _finish(mail_id, attempt, status=MailStatus.QUEUED, last_error=error,
                next_attempt_at=min(now + retry_delay(attempt), give_up_at))
        log.warning("mail %s not delivered (attempt %s), retried later: %s", mail_id, attempt, error)
    return outcome


def _deliver(mail_id: int, attempt: int, relay: _Relay) -> tuple[str, bool, tuple | None]:
    """Send one claimed mail; returns (outcome, server gone, the outcome still to record).

    A mail that was sent is recorded as sent with the next claim (one commit per mail);
    a failure is recorded at once."""
    try:
        _transmit(db.session.get(OutboxMail, mail_id), relay)
    except Exception as exc:  # noqa: BLE001 - every delivery error is recorded on the mail
        relay.drop()
        db.session.rollback()
        return _failed(mail_id, attempt, exc), _server_gone(exc), None
    return "sent", False, (mail_id, attempt, dict(
        status=MailStatus.SENT, sent_at=utcnow(), next_attempt_at=None, last_error=None))


def send_queued(limit: int = 100, *, only_ids=None) -> dict[str, int]:
    """Send up to ``limit`` due mails (only those of ``only_ids`` if given), each claimed
    first, so that it is sent by one worker. Returns counts: sent, retry (a temporary error:
    tried again later), failed (given up).

    One SMTP connection serves the whole run, and each mail costs one commit: a sent
    mail's status is written together with the claim of the next one (or at the end), so
    a worker killed while sending mail n has recorded mails 1 .. n-1 as sent."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    relay = _Relay(current_app)
    pending = None  # the outcome of the last mail sent, not yet written
    try:
        for _ in range(limit):
            claim = claim_next(only_ids, record=pending)
            pending = None
            if claim is None:
                break
            outcome, server_gone, pending = _deliver(*claim, relay)
            counts[outcome] += 1
            if server_gone:
                break  # the rest stays queued as it is; a later run tries again
    finally:
        if pending is not None:
            _finish(pending[0], pending[1], **pending[2])
        relay.close()
    return counts


# --- after a request ----------------------------------------------------------------------

def remember(mail: OutboxMail) -> None:
    """Note a mail that the current request queued (or re-queued): it is sent after the
    response, if the request committed it. Outside an app context (no ``g``) the worker
    sends it."""
    with suppress(RuntimeError):
        pending = g.setdefault("outbox_pending", [])
        pending.append(mail)


def _committed_ids(mails) -> list[int]:
    """The ids of those mails that exist in the database (a rolled-back one has none)."""
    ids = []
    for mail in mails:
        state = inspect(mail)
        if state.has_identity and not state.deleted and not state.was_deleted:
            ids.append(state.identity[0])
    return ids


def init_app(app) -> None:
    """Deliver what a request queued once its response has been sent (so that, say, a
    password reset for a known address does not answer slower than for an unknown one):
    only those mails, and only when due. A request that failed sends nothing now:
    `flask outbox send` picks up what it committed."""

    def deliver(ids):
        with app.app_context():
            try:
                send_queued(limit=len(ids), only_ids=ids)
            except Exception:  # noqa: BLE001 - the outbox keeps the mail; log and move on
                log.exception("delivering the outbox after a request failed")
                db.session.rollback()

    @app.after_request
    def _deliver_after_response(response):
        pending = g.pop("outbox_pending", None)
        if pending and app.config["OUTBOX_SEND_AFTER_REQUEST"]:
            ids = _committed_ids(pending)
            if ids:
                response.call_on_close(lambda: deliver(ids))
        return response
