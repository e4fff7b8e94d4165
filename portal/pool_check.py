"""PostgreSQL through psycopg: a pooled connection is checked before use without a round trip.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` every time a connection leaves the pool,
that is on every request: with psycopg a BEGIN and a SELECT, two round trips before the
page's first statement. A connection the server has ended (a restart, a crash,
``pg_terminate_backend``, an idle timeout) has the server's last message or the end of the
stream waiting on its socket. So at checkout a connection is asked nothing when libpq
reports it as good and idle and nothing can be read from its socket. Otherwise it is pinged
as before, and if that fails the pool drops it and takes or opens another
(``DisconnectionError``). A network that disappears without closing the connection is not
seen by either check: ``SELECT 1`` would wait for TCP's timeout as well.

Other databases keep ``pool_pre_ping``. Knows no domain part.
"""
from __future__ import annotations

import logging
import select

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)


def applies_to(url) -> bool:
    """Whether the database at ``url`` (a string or SQLAlchemy's URL) is PostgreSQL through
    psycopg (3)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg"


def engine_options(url: str, options: dict) -> dict:
    """``options`` for an engine on ``url``: without ``pool_pre_ping`` where this check
    replaces it."""
    if applies_to(url) and options.get("pool_pre_ping"):
        return {**options, "pool_pre_ping": False}
    return options


def install(engine: Engine) -> bool:
    """Check ``engine``'s connections at checkout when it is PostgreSQL through psycopg and
    does not ping them itself; returns whether it does."""
    if not applies_to(engine.url) or engine.pool._pre_ping:  # noqa: SLF001 - the pool's setting
        return False
    if not event.contains(engine.pool, "checkout", _check):
        event.listen(engine.pool, "checkout", _check)
    return True


def looks_alive(dbapi_connection) -> bool:
    """True when libpq has the connection as good and idle and its socket has nothing to
    read, without asking the server."""
    from psycopg import pq

    try:
        pgconn = dbapi_connection.pgconn
        if dbapi_connection.closed or pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        return not poller.poll(0)
    except Exception:  # noqa: BLE001 - any doubt: the ping decides
        log.debug("connection check failed; pinging", exc_info=True)
        return False


def _check(dbapi_connection, _record, _proxy) -> None:
    if looks_alive(dbapi_connection):
        return
    try:  # as pool_pre_ping does; the transaction it opens is the request's
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        log.info("a pooled database connection was gone; taking another")
        raise exc.DisconnectionError(str(error)) from error
