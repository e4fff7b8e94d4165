"""Pages run a fixed, small number of SQL statements, whatever the amount of data."""
from sqlalchemy import event, select

from bench.datagen import populate
from portal.applications import workflow
from portal.extensions import db
from portal.models import Application, Procedure, Status
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, user
from tests.helpers import categories, fill_completely

MAX_STATEMENTS = 15


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _on_execute(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def _demo_application(app):
    """One submitted, complete application of the demo provider."""
    with app.app_context():
        provider = user(PROVIDER)
        application = workflow.create_application(
            db.session.scalar(select(Procedure)), categories("pleegzorg", "leefgroepen"),
            by=provider)
        fill_completely(application, provider)
        workflow.submit(application, by=provider)
        draft = workflow.create_application(
            db.session.scalar(select(Procedure)), categories("gezinshuiszorg"), by=provider)
        db.session.commit()
        return application.id, draft.id


def _pages(ids):
    application_id, draft_id = ids
    return {
        PROVIDER: ["/aanbieder", f"/aanmeldingen/{application_id}", f"/aanmeldingen/{draft_id}",
                   "/aanmeldingen/nieuw"],
        ASSESSOR_1: ["/beoordeling/", "/beoordeling/?status=besloten&pagina=2",
                     f"/beoordeling/{application_id}"],
        ADMIN: ["/beheer/mails/", "/beheer/mails/?pagina=2"],
        None: ["/", "/eisen", "/register", "/register?categorie=pleegzorg",
               "/register?zoek=Breda", "/register?pagina=2"],
    }


def _count_all(app, application_id):
    counts = {}
    with app.app_context():
        engine = db.engine
    for who, urls in _pages(application_id).items():
        client = app.test_client()
        if who:
            login(client, who)
        for url in urls:
            client.get(url)  # warm up (first-request work is not per page)
            with StatementCounter(engine) as counter:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            counts[url] = counter.count
    return counts


def test_statement_counts_are_small_and_do_not_grow_with_data(app):
    application_id = _demo_application(app)
    with app.app_context():
        populate(300)
    small = _count_all(app, application_id)
    with app.app_context():
        populate(600)
        assert db.session.scalar(select(db.func.count()).select_from(Application)
                                 .where(Application.status == Status.BESLOTEN)) > 200
    large = _count_all(app, application_id)
    assert large == small
    too_many = {url: n for url, n in large.items() if n > MAX_STATEMENTS}
    assert too_many == {}
