"""The report's kept counts (report_counts, kept by the triggers of migration 0023) equal a
full recomputation after every kind of writer: the real workflows (submit, decide,
herstelbesluit, withdraw, suspend, end), Core bulk statements (bench/datagen.populate with
rich data, multi-row inserts of decision rounds), updates by hand, deletes of single rows,
multi-row deletes and foreign-key cascades; on SQLite and on PostgreSQL (--db=postgres).
And the report's pages no longer read the tables they count, so they cannot grow."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import (
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)

from bench.datagen import populate
from portal.applications.models import application_categories
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    Application,
    CatalogueVersion,
    CategoryDecision,
    OutboxMail,
    Outcome,
    Status,
    Suspension,
)
from portal.oversight.models import Investigation
from portal.partners.models import LIVE_ADMISSION
from portal.reports import counts
from portal.reports import figures as reports
from portal.reports.models import ReportCount
from portal.timeutil import today_local
from tests.conftest import ADMIN, login
from tests.test_admin_reports import _bulk_decisions, build_known_data
from tests.test_scale import StatementCounter

TRIGGER_GROUPS = {
    "applications": ["rc_app_status", "rc_app_version", "rc_app_lead", "rc_app_links",
                     "rc_app_unlink"],
    "application_categories": ["rc_link_status"],
    "category_decisions": ["rc_decisions"],
    "admissions": ["rc_live_category", "rc_live_org"],
}


# --- the full recomputation, in Python from the rows --------------------------------------------

def recomputed() -> dict[tuple[str, str, str], int]:
    """Every count from the rows themselves, computed in Python (no SQL aggregate)."""
    out: Counter = Counter()
    status_of = {}
    for app_id, status, version_id, submitted, decided in db.session.execute(
            select(Application.id, Application.status, Application.catalogue_version_id,
                   Application.submitted_at, Application.decided_at)):
        status_of[app_id] = status
        out[("status", status.name, "")] += 1
        out[("version", str(version_id), "")] += 1
        if status is Status.BESLOTEN and submitted is not None and decided is not None:
            out[("lead", f"{decided:%Y-%m}", str((decided.date() - submitted.date()).days))] += 1
    for app_id, category_id in db.session.execute(
            select(application_categories.c.application_id, application_categories.c.category_id)):
        out[("category_status", str(category_id), status_of[app_id].name)] += 1
    latest = {}
    for app_id, category_id, round_, approved_at, outcome in db.session.execute(
            select(CategoryDecision.application_id, CategoryDecision.category_id,
                   CategoryDecision.round, CategoryDecision.approved_at, CategoryDecision.outcome)):
        if approved_at is not None:
            key = (app_id, category_id)
            if key not in latest or latest[key][0] < round_:
                latest[key] = (round_, approved_at, outcome)
    for _round, approved_at, outcome in latest.values():
        out[("decisions", f"{approved_at:%Y-%m}", outcome.name)] += 1
    live_per_org: Counter = Counter()
    for org_id, category_id, status in db.session.execute(
            select(Admission.organisation_id, Admission.category_id, Admission.status)):
        if status.name in LIVE_ADMISSION:
            out[("live_category", str(category_id), status.name)] += 1
            live_per_org[org_id] += 1
    for org_id, n in live_per_org.items():
        out[("live_org", str(org_id), "")] = n
    out[("live_orgs", "", "")] = len(live_per_org)
    return {key: n for key, n in out.items() if n}


def assert_counts_agree(step: str) -> None:
    db.session.flush()
    want = recomputed()
    have = counts.kept()
    wrong = {k: (have.get(k, 0), want.get(k, 0)) for k in have.keys() | want.keys()
             if have.get(k, 0) != want.get(k, 0)}
    assert wrong == {}, f"after {step}: (kept, recomputed) {sorted(wrong.items())[:20]}"
    assert counts.computed() == want, step  # the SQL of `flask report recount` agrees too
    assert all(n >= 0 for n in db.session.scalars(select(ReportCount.n))), step  # 0 may stay


def _deletable_applications(limit: int, *statuses: Status) -> list[int]:
    """Applications nothing without a cascade refers to."""
    return list(db.session.scalars(
        select(Application.id).where(
            Application.status.in_(statuses),
            ~select(Admission.id).where(Admission.application_id == Application.id).exists(),
            ~select(Agreement.id).where(Agreement.application_id == Application.id).exists(),
            ~select(OutboxMail.id).where(OutboxMail.application_id == Application.id).exists())
        .order_by(Application.id).limit(limit)))


def _shift(table, column: str, condition, *, days: int) -> None:
    """Move a timestamp of the rows by ``days`` with one Core executemany UPDATE."""
    rows = [{"row_id": i, "value": at + timedelta(days=days)} for i, at in db.session.execute(
        select(table.c.id, table.c[column]).where(condition, table.c[column].is_not(None)))]
    assert rows
    db.session.connection().execute(
        update(table).where(table.c.id == bindparam("row_id")).values({column: bindparam("value")}),
        rows)


# --- the counts follow every writer ------------------------------------------------------------

def test_counts_follow_the_workflows_bulk_statements_updates_and_deletes(ctx):
    assert_counts_agree("the demo data of the template database")

    build_known_data()  # submit, decide, herstelbesluit, withdraw, suspend, end, dates moved
    assert_counts_agree("the workflows")
    assert counts.kept()[("live_orgs", "", "")] == 3

    populate(300, rich=True)  # Core bulk inserts and an executemany UPDATE of admissions
    assert_counts_agree("populate(300, rich=True)")
    assert _bulk_decisions() > 50  # rounds 0 and 1 of a decision in one multi-row INSERT
    assert_counts_agree("bulk decisions with approved herstelbesluiten")

    # Updates by hand (Core, many rows at once): states, dates, catalogue versions.
    submitted = list(db.session.scalars(select(Application.id).where(
        Application.status == Status.INGEDIEND).order_by(Application.id).limit(20)))
    db.session.execute(update(Application).where(Application.id.in_(submitted[:10]))
                       .values(status=Status.INGETROKKEN.name))
    decided = list(db.session.scalars(select(Application.id).where(
        Application.status == Status.BESLOTEN).order_by(Application.id).limit(30)))
    _shift(Application.__table__, "decided_at", Application.id.in_(decided[:15]), days=45)
    db.session.execute(update(Application).where(Application.id.in_(decided[15:20]))
                       .values(submitted_at=None))
    db.session.execute(update(Application).where(Application.id.in_(decided[20:25]))
                       .values(status=Status.BESLUIT_VOORGESTELD.name))
    version = CatalogueVersion(procedure_id=db.session.scalar(select(CatalogueVersion.procedure_id)),
                               number=99, note="test")
    db.session.add(version)
    db.session.flush()
    db.session.execute(update(Application).where(Application.id.in_(submitted[10:]))
                       .values(catalogue_version_id=version.id))
    # An approved later round moved back to pending, and a pending one approved.
    later = db.session.scalars(select(CategoryDecision).where(CategoryDecision.round == 1)
                               .order_by(CategoryDecision.id).limit(4)).all()
    later[0].approved_at = None
    later[1].outcome = Outcome.AFGEWEZEN
    _shift(CategoryDecision.__table__, "approved_at",
           (CategoryDecision.round == 0) & (CategoryDecision.id % 5 == 0), days=-40)
    # Admissions: suspended, ended, moved to another category, all of one organisation ended.
    live = db.session.scalars(select(Admission).where(
        Admission.status.in_([AdmissionStatus[s] for s in LIVE_ADMISSION]))
        .order_by(Admission.id).limit(12)).all()
    live[0].status = AdmissionStatus.GESCHORST
    live[1].status = AdmissionStatus.BEEINDIGD
    db.session.flush()
    org = live[2].organisation_id
    db.session.execute(update(Admission).where(Admission.organisation_id == org)
                       .values(status=AdmissionStatus.BEEINDIGD.name))
    assert_counts_agree("updates by hand")

    # Deletes: a decision round (the earlier round counts again), admissions, applications
    # one by one through the ORM and many at once with a cascade to links and decisions.
    latest = db.session.scalar(select(CategoryDecision).where(
        CategoryDecision.round == 1, CategoryDecision.approved_at.is_not(None))
        .order_by(CategoryDecision.id.desc()).limit(1))
    db.session.delete(latest)
    db.session.flush()
    assert_counts_agree("a deleted herstelbesluit")
    bulk = (CategoryDecision.motivation == "x") & CategoryDecision.corrects_id.is_(None)
    db.session.execute(delete(CategoryDecision).where(CategoryDecision.id.in_(
        select(CategoryDecision.id).where(bulk, CategoryDecision.round == 0)
        .order_by(CategoryDecision.id).limit(6).scalar_subquery())))
    # Every round of a few decisions in one statement.
    groups = db.session.execute(select(CategoryDecision.application_id, CategoryDecision.category_id)
                                .where(bulk, CategoryDecision.round == 1)
                                .order_by(CategoryDecision.id.desc()).limit(3)).all()
    assert len(groups) == 3
    db.session.execute(delete(CategoryDecision).where(
        tuple_(CategoryDecision.application_id, CategoryDecision.category_id).in_(groups)))
    admissions = db.session.scalars(select(Admission.id).where(
        ~select(Suspension.id).where(Suspension.admission_id == Admission.id).exists(),
        ~select(Investigation.id).where(Investigation.admission_id == Admission.id).exists())
        .order_by(Admission.id.desc()).limit(8)).all()
    db.session.execute(delete(Admission).where(Admission.id.in_(admissions)))
    assert_counts_agree("deleted decisions and admissions")

    drafts = _deletable_applications(3, Status.CONCEPT)
    for application in db.session.scalars(select(Application).where(Application.id.in_(drafts))):
        assert application.categories
        db.session.delete(application)  # the ORM deletes its links and answers first
    db.session.flush()
    assert_counts_agree("drafts deleted through the ORM")
    gone = _deletable_applications(40, Status.BESLOTEN, Status.INGEDIEND, Status.INGETROKKEN,
                                   Status.BESLUIT_VOORGESTELD, Status.CONCEPT)
    assessor = db.session.scalar(select(CategoryDecision.proposed_by_id).limit(1))
    decided_links = db.session.execute(
        select(application_categories.c.application_id, application_categories.c.category_id,
               Application.submitted_at)
        .join(Application, Application.id == application_categories.c.application_id)
        .where(Application.id.in_(gone), Application.submitted_at.is_not(None)).limit(6)).all()
    # One INSERT with many VALUES: on PostgreSQL the triggers of the later rounds must see
    # the earlier rounds of the same statement.
    db.session.execute(insert(CategoryDecision).values([
        dict(application_id=a, category_id=c, round=r, outcome="TOEGELATEN", motivation="y",
             proposed_by_id=assessor, proposed_at=at, approved_at=at + timedelta(days=r * 31))
        for a, c, at in decided_links for r in (0, 1)]))
    assert_counts_agree("decisions for applications about to go")
    with_decisions = db.session.scalar(select(func.count()).select_from(CategoryDecision)
                                       .where(CategoryDecision.application_id.in_(gone)))
    assert with_decisions >= 10
    db.session.execute(delete(Application).where(Application.id.in_(gone)))  # cascades
    assert db.session.scalar(select(func.count()).select_from(application_categories).where(
        application_categories.c.application_id.in_(gone))) == 0
    assert_counts_agree(f"{len(gone)} applications deleted at once ({with_decisions} decisions)")
    db.session.commit()

    # The figures read the counts: the same numbers as the rows give.
    want = recomputed()
    report = reports.build(today_local())
    assert {s.name: n for s, n in report.states.items() if n} == {
        k[1]: n for k, n in want.items() if k[0] == "status"}
    assert report.partners.organisations == want.get(("live_orgs", "", ""), 0)
    assert report.lead.count == sum(n for k, n in want.items() if k[0] == "lead")
    assert sum(m.total for m in report.decisions) == sum(
        n for k, n in want.items() if k[0] == "decisions")


def test_recount_rebuilds_the_counts_and_check_finds_a_wrong_one(app):
    runner = app.test_cli_runner()
    with app.app_context():
        build_known_data()
        db.session.execute(update(ReportCount).where(ReportCount.figure == "status")
                           .values(n=ReportCount.n + 7))
        db.session.execute(delete(ReportCount).where(ReportCount.figure == "live_orgs"))
        db.session.commit()
    result = runner.invoke(args=["report", "check"])
    assert result.exit_code == 1 and "counts differ" in result.output, result.output
    result = runner.invoke(args=["report", "recount"])
    assert result.exit_code == 0 and "live_orgs: 1" in result.output, result.output
    result = runner.invoke(args=["report", "check"])
    assert result.exit_code == 0 and "agree" in result.output, result.output
    with app.app_context():
        assert counts.kept() == recomputed()
        assert counts.kept()[("live_orgs", "", "")] == 3


def test_every_trigger_exists_at_head(ctx):
    """A later migration that recreates one of these tables (SQLite batch mode) drops its
    triggers: it must create them again."""
    if db.engine.dialect.name == "sqlite":
        names = set(db.session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rc_%'")))
        want = {f"{name}_{suffix}" for names_ in TRIGGER_GROUPS.values() for name in names_
                for suffix in ("ins", "del", "upd")}
        want -= {"rc_app_links_ins", "rc_app_links_del", "rc_app_unlink_ins",
                 "rc_app_unlink_upd"}
    else:
        names = set(db.session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'rc_%'")))
        groups = {n for names_ in TRIGGER_GROUPS.values() for n in names_}
        want = {f"{n}_upd" for n in groups if n != "rc_app_unlink"}
        want |= groups - {"rc_app_links"}  # that one fires on an UPDATE only
    assert names == want


# --- the pages read the counts, not the rows ------------------------------------------------------

COUNTED_TABLES = re.compile(
    r"\b(FROM|JOIN)\s+(applications|application_categories|category_decisions|admissions)\b",
    re.IGNORECASE)


def _statements(app, client, url: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.statements


def test_the_report_and_the_admin_pages_do_not_read_the_counted_tables(app):
    app.config["REPORT_CACHE_SECONDS"] = 0  # every figure computed again
    with app.app_context():
        build_known_data()
        populate(300)
    client = app.test_client()
    login(client, ADMIN)
    report = _statements(app, client, "/beheer/rapportage")
    reading = [s for s in report if COUNTED_TABLES.search(s)]
    # Only the overdue figure reads applications: the open ones whose date has passed (an
    # index on status and decision_due), as it depends on today.
    assert len(reading) == 1 and "decision_due" in reading[0], reading
    assert sum("report_counts" in s for s in report) == 6
    for url in ("/beheer/categorieen", "/beheer/eisen"):
        statements = _statements(app, client, url)
        assert [s for s in statements if COUNTED_TABLES.search(s)] == [], url
        assert any("report_counts" in s for s in statements), url
    # And the numbers on them are the counted ones.
    with app.app_context():
        live = defaultdict(int)
        for category_id, n in db.session.execute(
                select(Admission.category_id, func.count()).where(
                    Admission.status.in_([AdmissionStatus[s] for s in LIVE_ADMISSION]))
                .group_by(Admission.category_id)):
            live[category_id] = n
        assert counts.live_admissions_per_category() == dict(live)
        per_version = dict(db.session.execute(
            select(Application.catalogue_version_id, func.count())
            .group_by(Application.catalogue_version_id)).all())
        assert counts.applications_per_version(per_version) == per_version
        assert counts.applications_per_version([]) == {}
