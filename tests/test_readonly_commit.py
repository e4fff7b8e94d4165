"""portal.readonly_commit on PostgreSQL: a transaction that only read ends with COMMIT, so
that psycopg's prepared statements outlive it (the next requests run them unplanned); one
that wrote, or failed, is rolled back as before. On SQLite nothing is installed."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import QueuePool

from portal import readonly_commit
from portal.extensions import db
from tests.conftest import PROVIDER, login

PREPARED = text("SELECT count(*) FROM pg_prepared_statements")


@pytest.fixture
def pg_engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (--db=postgres)")
    engine = create_engine(database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    assert readonly_commit.install(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE readonly_marks (id serial PRIMARY KEY, label text)"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE readonly_marks"))
    engine.dispose()


def _run_closed(engine, statement, times=1, params=None):
    """Run ``statement`` in a transaction that is closed, not committed (as a request's)."""
    with engine.connect() as conn:
        for _ in range(times):
            result = conn.execute(statement, params or {})
        return result.all() if result.returns_rows else None


def test_read_only_transactions_keep_the_prepared_statements(pg_engine):
    page = text("SELECT id, label FROM readonly_marks WHERE id > :n ORDER BY id")
    for _ in range(6):  # psycopg prepares a statement at its fifth run on a connection
        _run_closed(pg_engine, page, params={"n": 0})
    with pg_engine.connect() as conn:  # the same connection (a pool of one)
        assert conn.execute(PREPARED).scalar() >= 1


def test_a_transaction_that_wrote_is_still_rolled_back(pg_engine):
    _run_closed(pg_engine, text("INSERT INTO readonly_marks (label) VALUES ('weg')"))
    _run_closed(pg_engine, text("UPDATE readonly_marks SET label = 'weg'"))
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM readonly_marks")).scalar() == 0
    with pg_engine.begin() as conn:  # a committed write stays, as it should
        conn.execute(text("INSERT INTO readonly_marks (label) VALUES ('blijft')"))
    _run_closed(pg_engine, text("DELETE FROM readonly_marks"))
    assert _run_closed(pg_engine, text("SELECT label FROM readonly_marks")) == [("blijft",)]


def test_a_failed_transaction_rolls_back_and_the_connection_goes_on(pg_engine):
    with pg_engine.connect() as conn, pytest.raises(ProgrammingError):
        conn.execute(text("SELECT * FROM no_such_table"))
    assert _run_closed(pg_engine, text("SELECT 1")) == [(1,)]


def test_the_portal_keeps_prepared_statements_across_requests(app, database_url):
    if not database_url.startswith("postgresql"):
        with app.app_context():
            assert not readonly_commit.install(db.engine)  # SQLite: nothing to do
        return
    client = app.test_client()
    login(client, PROVIDER)
    for _ in range(7):
        assert client.get("/aanbieder").status_code == 200
    with app.app_context():  # the connection the requests used, back in the pool
        assert db.session.execute(PREPARED).scalar() >= 1
