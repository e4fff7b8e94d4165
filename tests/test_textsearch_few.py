"""textsearch.few: the ids of a small candidate set, read once per request for the same
statement with the same values (the page and its count ask alike), and read again for
other values."""
from sqlalchemy import func, select

from portal.accounts.models import Organisation
from portal.extensions import db
from portal.textsearch import few
from tests.test_scale import StatementCounter


def _in_places(*places):
    return select(Organisation.id).where(func.lower(Organisation.city).in_(list(places)))


def test_few_reads_each_candidate_set_once_per_request(app):
    with app.app_context():
        everyone = db.session.execute(select(Organisation.id, Organisation.city)).all()
        engine = db.engine
    assert everyone, "the test database has organisations"
    city = everyone[0].city.lower()
    expected = sorted(i for i, c in everyone if c.lower() == city)
    with app.test_request_context(), StatementCounter(engine) as counter:
        first = few(_in_places(city))
        again = few(_in_places(city))  # a new statement object, the same SQL and values
        other = few(_in_places("nergensdorp"))
        reordered = few(_in_places("nergensdorp", city))
    assert sorted(first) == expected and again == first
    assert other == [] and sorted(reordered) == expected
    assert counter.count == 3  # the repeated one was kept; other values were read
    with app.test_request_context(), StatementCounter(engine) as counter:
        assert sorted(few(_in_places(city))) == expected
    assert counter.count == 1  # kept for one request only


def test_few_keeps_a_statement_sqlalchemy_cannot_cache_by_its_sql(app):
    """A construct without a cache key (here a column that opts out of caching) is kept by
    its SQL with the values written in."""
    from sqlalchemy.sql.expression import ColumnClause

    class Uncached(ColumnClause):
        inherit_cache = False

    with app.app_context():
        engine = db.engine
        expected = sorted(db.session.scalars(select(Organisation.id)).all())[:5]
    statement = select(Uncached("id")).select_from(Organisation.__table__).where(
        Organisation.id.in_(expected))
    assert statement._generate_cache_key() is None
    with app.test_request_context(), StatementCounter(engine) as counter:
        assert sorted(few(statement)) == expected
        assert sorted(few(statement)) == expected
    assert counter.count == 1
