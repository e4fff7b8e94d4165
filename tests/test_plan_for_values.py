"""textsearch.plan_for_values: on PostgreSQL the rest of the transaction is planned for its
values (no generic plan of a prepared statement), the setting ends with the transaction and
a transaction that only read still ends with COMMIT; on SQLite it runs nothing. The
filtered assessors' queue asks for it, the plain queue does not."""
from sqlalchemy import text

from portal.extensions import db
from portal.textsearch import plan_for_values
from tests.conftest import ASSESSOR_1, login
from tests.test_scale import StatementCounter


def test_plans_for_values_until_the_transaction_ends(app):
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with StatementCounter(db.engine) as counter:
            plan_for_values()
        assert counter.count == (1 if postgres else 0)
        if postgres:
            show = text("SELECT current_setting('plan_cache_mode')")  # a SELECT, as SHOW is not
            assert db.session.scalar(show) == "force_custom_plan"
            connection = db.session.connection()
            assert connection.info.get("portal_transaction_wrote") is False  # read only
            db.session.commit()
            assert db.session.scalar(show) == "auto"  # the transaction's setting only


def test_the_filtered_queue_asks_for_plans_for_its_values(app, client):
    login(client, ASSESSOR_1)
    with app.app_context():
        engine, postgres = db.engine, db.engine.dialect.name == "postgresql"
    client.get("/beoordeling/")
    for url, asks in (("/beoordeling/", False), ("/beoordeling/?zoek=Jeugd", True),
                      ("/beoordeling/?categorie=pleegzorg&termijn=verlopen", True)):
        with StatementCounter(engine) as counter:
            assert client.get(url).status_code == 200
        asked = any("set_config" in s for s in counter.statements)
        assert asked == (asks and postgres), url
