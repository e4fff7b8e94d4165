"""The demo region (`flask seed --demo`, which `python3 dev.py` runs): seeded through the
workflows on a fresh database, with every state present, and idempotent.

One database for the module (seeding it takes a while), made on a fixed day inside the term
(IN_TERM): the seed's dates follow the portal's clock, so the day must not be today's."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.demo_data import MUNICIPALITIES, PROVIDERS, municipality_of
from portal.extensions import db
from tests.conftest import ADMIN, IN_TERM, build_database, login, make_app


def _counts():
    from portal.models import (
        Admission,
        Agreement,
        Application,
        AuditEvent,
        CapacityReport,
        DecisionLetter,
        Document,
        Organisation,
        OutboxMail,
        Question,
        Tariff,
        User,
    )

    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Organisation, User, Application, Admission, Agreement, OutboxMail,
                          AuditEvent, CapacityReport, DecisionLetter, Document, Question, Tariff)}


@pytest.fixture(scope="module")
def seeded(request, tmp_path_factory):
    """A fresh database seeded twice with `flask seed --demo`; the counts after each run."""
    import time_machine

    if request.config.getoption("--db") == "postgres":
        pytest.skip("the demo is seeded into SQLite (the default); the SQLite pass runs this")
    tmp = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    with time_machine.travel(IN_TERM, tick=True):
        build_database(url, tmp, extend=False)
        app = make_app(url, tmp / "uploads")
        runner = app.test_cli_runner()
        runs = []
        for _ in range(2):
            result = runner.invoke(args=["seed", "--demo"])
            assert result.exit_code == 0, result.output
            with app.app_context():
                runs.append(_counts())
                db.session.remove()
        yield app, runs
        with app.app_context():
            db.engine.dispose()


def test_a_second_seed_run_doubles_nothing(seeded):
    _app, (first, second) = seeded
    assert first["Organisation"] >= 25 and first["Application"] >= 25
    assert second == first


def test_the_region_has_providers_in_all_five_municipalities(seeded):
    from portal.models import Organisation

    app, _runs = seeded
    with app.app_context():
        cities = db.session.scalars(select(Organisation.city)).all()
    assert len(cities) >= 25
    per_municipality = {m: sum(1 for c in cities if municipality_of(c) == m) for m in MUNICIPALITIES}
    assert all(n >= 2 for n in per_municipality.values()), per_municipality
    assert len(PROVIDERS) + 2 == len(cities)  # the README's two demo providers and the region


def test_every_application_state_and_admission_state_is_present(seeded):
    from portal.models import (
        Admission,
        AdmissionStatus,
        Application,
        CategoryDecision,
        DecisionLetter,
        Outcome,
        Status,
    )
    from portal.timeutil import today_local

    app, _runs = seeded
    with app.app_context():
        states = set(db.session.scalars(select(Application.status)))
        outcomes = set(db.session.scalars(select(CategoryDecision.outcome)
                                          .where(CategoryDecision.approved_at.is_not(None))))
        admissions = db.session.scalars(select(Admission)).all()
        decided = db.session.scalar(select(func.count()).select_from(Application)
                                    .where(Application.status == Status.BESLOTEN))
        letters = db.session.scalar(select(func.count()).select_from(DecisionLetter))
        today = today_local()
        assert states == set(Status)
        assert outcomes == {Outcome.TOEGELATEN, Outcome.AFGEWEZEN}
        assert {a.status for a in admissions} == set(AdmissionStatus)
        # A planned end: still active, with an end date after today.
        assert any(a.status == AdmissionStatus.ACTIEF and a.ended_on and a.ended_on > today
                   for a in admissions)
        assert decided >= 10 and letters == decided
        # Agreements accepted (active admissions) and one still waiting (toegelaten).
        assert sum(a.agreement.accepted_at is not None for a in admissions if a.agreement) >= 10


def test_tariffs_capacity_questions_mail_and_evidence_near_expiry(seeded):
    from portal.models import (
        CapacityReport,
        EvidenceReview,
        MailStatus,
        Organisation,
        OutboxMail,
        Question,
    )
    from portal.procedure import settings
    from portal.procedure.seed import current_procedure
    from portal.timeutil import today_local

    app, _runs = seeded
    with app.app_context():
        procedure = current_procedure()
        products = settings.products_of(procedure)
        published = settings.published_tariffs(procedure, [2027]).get(2027, [])
        assert len(products) >= 5
        assert {p.id for p, _t in published} == {p.id for p in products}
        assert db.session.scalar(select(func.count()).select_from(CapacityReport)
                                 .where(CapacityReport.is_current)) >= 10
        questions = db.session.scalars(select(Question)).all()
        assert sum(q.published_at is not None for q in questions) >= 3
        assert any(q.answer is None for q in questions)  # one waits for the region
        mail = dict(db.session.execute(select(OutboxMail.status, func.count())
                                       .group_by(OutboxMail.status)).all())
        assert mail.get(MailStatus.SENT, 0) > 50 and mail.get(MailStatus.QUEUED, 0) > 0
        soon = today_local() + timedelta(days=60)
        assert db.session.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.evidence_valid_until.is_not(None),
            Organisation.evidence_valid_until <= soon)) >= 2
        assert db.session.scalar(select(func.count()).select_from(EvidenceReview)) >= 1


def test_the_report_register_capacity_and_partner_pages_show_real_figures(seeded):
    from portal.reports import figures as reports
    from portal.timeutil import today_local

    app, _runs = seeded
    with app.app_context():
        report = reports.build(today_local())
        assert sum(report.states.values()) >= 25
        assert sum(m.total for m in report.decisions) >= 10
        assert len([m for m in report.decisions if m.total]) >= 2  # history over months
        assert report.lead.median and report.lead.median > 0
        assert sum(r.total for r in report.partners.rows) >= 10
        assert report.overdue.total >= 1  # one application waits past its decision date
    client = app.test_client()
    with app.test_request_context():
        paths = [url_for("admin_reports.dashboard"), url_for("partners_compliance.partners"),
                 url_for("partners_capacity.overview")]
        more = [url_for("assessment.queue"), url_for("notifications.index"),
                url_for("admin_audit.audit_log"), url_for("qa.admin_list"),
                url_for("partners_compliance.reviews")]
        register = url_for("partners.register")
    page = client.get(register).get_data(as_text=True)
    assert "Pleeggezinnen Mark en Maas" in page  # an active partner of the region
    login(client, ADMIN)
    for path in paths + more:  # and the other pages the demo data fills: no error
        response = client.get(path)
        assert response.status_code == 200, path
    report_page = client.get(paths[0]).get_data(as_text=True)
    assert "grafiek-besluiten" in report_page
    partners_page = client.get(paths[1]).get_data(as_text=True)
    assert "Gezinshuis De Boomgaard" in partners_page or "Pleeggezinnen Mark en Maas" in partners_page
    capacity_page = client.get(paths[2]).get_data(as_text=True)
    assert "Werkendam" in capacity_page or "Breda" in capacity_page
