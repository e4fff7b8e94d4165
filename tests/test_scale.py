"""Pages run a fixed, small number of SQL statements, whatever the amount of data."""
from sqlalchemy import event, select

from bench.datagen import populate
from portal.applications import workflow
from portal.extensions import db
from portal.models import Application, Procedure, Status
from portal.pagecache import cache_of
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, user
from tests.helpers import categories, submitted_application

MAX_STATEMENTS = 15


class StatementCounter:
    """Counts (and keeps) the SQL statements run on ``engine`` inside the ``with``, and
    their parameters (``parameters[i]`` are those of ``statements[i]``)."""

    def __init__(self, engine):
        self.engine, self.count, self.statements, self.parameters = engine, 0, [], []

    def _on_execute(self, conn, cursor, statement, parameters, *args):
        self.count += 1
        self.statements.append(statement)
        self.parameters.append(parameters)

    def __enter__(self):
        self.count, self.statements, self.parameters = 0, [], []
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def count_statements(app, client, url) -> int:
    """The SQL statements of one GET of ``url`` (after a first, warming request), rendered:
    not answered from the public page cache (test_pagecache counts that)."""
    with app.app_context():
        engine = db.engine
    client.get(url)  # warm up
    cache_of(app).clear()
    with StatementCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


def _demo_application(app):
    """One submitted, complete application of the demo provider."""
    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, "pleegzorg", "leefgroepen")
        # Take it through a whole assessment, so every part of its pages has rows.
        from portal.assessment import workflow as assessment
        from portal.models import Outcome, VerdictOutcome
        from tests.conftest import ASSESSOR_2
        from tests.helpers import requirement

        assessor = user(ASSESSOR_1)
        assessment.start_review(application, by=assessor)
        assessment.declare_no_conflict(application, by=assessor)
        assessment.request_completion(application, {requirement("A5").id: "Nieuw certificaat?"},
                                      by=assessor)
        assessment.return_completion(application, by=provider)
        assessment.record_verdicts(application, {
            r.id: (VerdictOutcome.VOLDOET_NIET, "nee") if r.code == "L1" else (VerdictOutcome.VOLDOET, "")
            for r in application.applicable_requirements()}, by=assessor)
        pleeg, leef = categories("pleegzorg", "leefgroepen")
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.TOEGELATEN, "ja", []),
            leef.id: (Outcome.AFGEWEZEN, "nee", [requirement("L1").id])}, by=assessor)
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
        draft = workflow.create_application(
            db.session.scalar(select(Procedure)), categories("gezinshuiszorg"), by=provider)
        db.session.commit()
        return application.id, draft.id


def _pages(ids):
    application_id, draft_id = ids
    return {
        PROVIDER: ["/aanbieder", f"/aanmeldingen/{application_id}", f"/aanmeldingen/{draft_id}/stap/1",
                   f"/aanmeldingen/{draft_id}/stap/2", f"/aanmeldingen/{draft_id}/overzicht",
                   "/aanmeldingen/nieuw"],
        ASSESSOR_1: ["/beoordeling/", "/beoordeling/?status=besloten&pagina=2",
                     "/beoordeling/?categorie=pleegzorg&beoordelaar=niemand&termijn=verlopen"
                     "&zoek=Aanbieder&sorteer=resterend",
                     f"/beoordeling/{application_id}"],
        ADMIN: ["/beheer/mails/", "/beheer/mails/?pagina=2", f"/beoordeling/{application_id}?als=admin"],
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
