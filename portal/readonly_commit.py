"""PostgreSQL: a transaction that only read ends with COMMIT instead of ROLLBACK.

psycopg prepares a statement on the server once it has run it five times on a connection
(``prepare_threshold``), so that PostgreSQL plans it once instead of at every run; for the
portal's pages, with their joins, planning took longer than running. But psycopg forgets
every prepared statement at a ROLLBACK, and every request ends its transaction with one
(the session is closed, not committed): nothing was ever prepared, and each statement was
planned again on every request.

For a transaction that ran SELECT statements only, COMMIT and ROLLBACK are the same to the
database (locks of a SELECT ... FOR UPDATE are released by either). This sends COMMIT for
such a transaction just before SQLAlchemy rolls it back, so that the rollback finds nothing
to do and the prepared statements live on. A transaction that ran any other statement
(INSERT, UPDATE, DELETE, DDL, a WITH ...) ends with a real ROLLBACK, as before; so does a
transaction in error. Knows no domain part.
"""
from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
WROTE = "portal_transaction_wrote"


def install(engine: Engine) -> bool:
    """Listen on ``engine`` when it is PostgreSQL through psycopg; returns whether it did."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return False
    if not event.contains(engine, "rollback", _commit_if_read_only):
        event.listen(engine, "begin", _begin)
        event.listen(engine, "before_cursor_execute", _note_statement)
        event.listen(engine, "rollback", _commit_if_read_only)
    return True


def _begin(conn) -> None:
    conn.info[WROTE] = False


def _note_statement(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def _commit_if_read_only(conn) -> None:
    if conn.info.get(WROTE, True):
        return
    from psycopg import Error
    from psycopg.pq import TransactionStatus

    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None or (
            dbapi_connection.pgconn.transaction_status != TransactionStatus.INTRANS):
        return  # idle, or in error: the rollback does what is needed
    try:
        dbapi_connection.commit()
    except Error:  # the connection is gone or refused: SQLAlchemy's rollback handles it
        log.debug("COMMIT of a read-only transaction failed; rolling back", exc_info=True)
