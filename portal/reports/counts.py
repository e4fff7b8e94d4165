"""The counts the report reads instead of counting every application (table
``report_counts``, model ``models.ReportCount``).

Triggers of migration 0023 keep them for every writer (the workflows, Core bulk
statements, cascades): a row's old contribution out, its new one in. What each figure
counts, with its keys (``''`` where a figure has fewer):

- ``status``          application status name, ''
- ``version``         catalogue_version_id, ''
- ``lead``            month of decided_at 'YYYY-MM', calendar days from submission to
                      decision (decided applications with both dates)
- ``category_status`` category_id, status name of the application (per link row)
- ``decisions``       month of approved_at, outcome name: the latest approved round of each
                      application and category
- ``live_category``   category_id, admission status name (live admissions)
- ``live_org``        organisation_id, '' (its live admissions)
- ``live_orgs``       '', '': organisations with at least one live admission

A count may be 0; readers skip those rows. ``recount`` (``flask report recount``)
computes every count again from the rows, for after a repair by hand or a TRUNCATE
(which fires no row triggers).
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import (
    Date,
    Integer,
    String,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import aliased

from ..applications.models import Application, Status, application_categories
from ..assessment.models import CategoryDecision
from ..extensions import db
from ..partners.models import LIVE_ADMISSION, Admission, AdmissionStatus
from .models import (
    CATEGORY_STATUS,
    DECISIONS,
    LEAD,
    LIVE_CATEGORY,
    LIVE_ORG,
    LIVE_ORGS,
    STATUS,
    VERSION,
    ReportCount,
)

FIGURES = (STATUS, VERSION, LEAD, CATEGORY_STATUS, DECISIONS, LIVE_CATEGORY, LIVE_ORG, LIVE_ORGS)
LIVE_STATES = tuple(AdmissionStatus[name] for name in LIVE_ADMISSION)


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def month_of(column):
    """``YYYY-MM`` of a timestamp column, on SQLite and PostgreSQL (as the triggers)."""
    if _sqlite():
        return func.substr(column, 1, 7)  # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'
    return func.to_char(column, literal_column("'YYYY-MM'"))


def days_between(start, end):
    """Calendar days from ``start`` to ``end`` as an integer, on SQLite and PostgreSQL."""
    if _sqlite():
        # julianday() is N.5 at midnight: +0.5 and truncation give the day number.
        half = literal_column("0.5")
        return (cast(func.julianday(end) + half, Integer)
                - cast(func.julianday(start) + half, Integer))
    return cast(end, Date) - cast(start, Date)


def _key(value):
    return cast(value, String)


def _name(figure: str):
    """The figure's name as a constant column; ``figure`` is one of FIGURES, never input."""
    return literal_column(f"'{figure}'", String)


EMPTY = literal_column("''", String)


def _row(figure: str, key1, key2, n):
    """A SELECT of one figure's (figure, key1, key2, n)."""
    return select(_name(figure).label("figure"), key1.label("key1"), key2.label("key2"),
                  n.label("n"))


# --- reading ----------------------------------------------------------------------------------

def statement(figure: str, *conditions):
    """key1, key2, n of the non-zero counts of ``figure``."""
    return select(ReportCount.key1, ReportCount.key2, ReportCount.n).where(
        ReportCount.figure == figure, ReportCount.n != 0, *conditions)


def live_admissions_per_category() -> dict[int, int]:
    """Live admissions (toegelaten, actief, geschorst) per category id."""
    out: dict[int, int] = {}
    for key1, _status, n in db.session.execute(statement(LIVE_CATEGORY)):
        out[int(key1)] = out.get(int(key1), 0) + n
    return out


def applications_per_version(version_ids) -> dict[int, int]:
    """Applications per catalogue version id, for the given ids."""
    keys = [str(i) for i in version_ids]
    if not keys:
        return {}
    return {int(key1): n for key1, _, n in db.session.execute(
        statement(VERSION, ReportCount.key1.in_(keys)))}


# --- computing them again ---------------------------------------------------------------------

def _selects():
    """Per figure, a SELECT of (figure, key1, key2, n) over the source rows."""
    link = application_categories.c
    days = days_between(Application.submitted_at, Application.decided_at)
    decided = month_of(Application.decided_at)
    later = aliased(CategoryDecision)
    approved = month_of(CategoryDecision.approved_at)
    live = Admission.status.in_(LIVE_STATES)
    return {
        STATUS: _row(STATUS, _key(Application.status), EMPTY, func.count())
        .group_by(Application.status),
        VERSION: _row(VERSION, _key(Application.catalogue_version_id), EMPTY,
                        func.count()).group_by(Application.catalogue_version_id),
        LEAD: _row(LEAD, decided, _key(days), func.count())
        .where(Application.status == Status.BESLOTEN, Application.decided_at.is_not(None),
               Application.submitted_at.is_not(None))
        .group_by(decided, days),
        CATEGORY_STATUS: _row(CATEGORY_STATUS, _key(link.category_id),
                                _key(Application.status), func.count())
        .join_from(application_categories, Application, Application.id == link.application_id)
        .group_by(link.category_id, Application.status),
        DECISIONS: _row(DECISIONS, approved, _key(CategoryDecision.outcome), func.count())
        .where(CategoryDecision.approved_at.is_not(None), ~exists().where(
            later.application_id == CategoryDecision.application_id,
            later.category_id == CategoryDecision.category_id,
            later.round > CategoryDecision.round, later.approved_at.is_not(None)))
        .group_by(approved, CategoryDecision.outcome),
        LIVE_CATEGORY: _row(LIVE_CATEGORY, _key(Admission.category_id),
                              _key(Admission.status), func.count())
        .where(live).group_by(Admission.category_id, Admission.status),
        LIVE_ORG: _row(LIVE_ORG, _key(Admission.organisation_id), EMPTY, func.count())
        .where(live).group_by(Admission.organisation_id),
        LIVE_ORGS: _row(LIVE_ORGS, EMPTY, EMPTY,
                          func.count(func.distinct(Admission.organisation_id))).where(live),
    }


def computed() -> dict[tuple[str, str, str], int]:
    """Every count as the source rows give it now (non-zero ones), without writing."""
    out = {}
    for query in _selects().values():
        for figure, key1, key2, n in db.session.execute(query):
            if n:
                out[(figure, key1, key2)] = n
    return out


def kept() -> dict[tuple[str, str, str], int]:
    """Every non-zero count in ``report_counts``."""
    return {(f, k1, k2): n for f, k1, k2, n in db.session.execute(
        select(ReportCount.figure, ReportCount.key1, ReportCount.key2, ReportCount.n)
        .where(ReportCount.n != 0))}


def recount() -> dict[str, int]:
    """Empty ``report_counts`` and compute every count from the rows again, in the caller's
    transaction (the caller commits). On PostgreSQL the table is locked first, so no
    trigger of a concurrent writer adds to it meanwhile (those wait, then add to the new
    counts). Returns the number of rows per figure."""
    if not _sqlite():
        db.session.execute(text("LOCK TABLE report_counts IN EXCLUSIVE MODE"))
    db.session.execute(delete(ReportCount))
    columns = ["figure", "key1", "key2", "n"]
    for query in _selects().values():
        db.session.execute(insert(ReportCount).from_select(columns, query))
    return dict(db.session.execute(
        select(ReportCount.figure, func.count()).group_by(ReportCount.figure)).all())


@click.group("report", help="The management report's kept counts.")
def report_cli():
    pass


@report_cli.command("recount")
@with_appcontext
def recount_command():
    """Compute every count of the report from the rows again (one transaction)."""
    rows = recount()
    db.session.commit()
    for figure in FIGURES:
        click.echo(f"{figure}: {rows.get(figure, 0)}")


@report_cli.command("check")
@with_appcontext
def check_command():
    """Compare the kept counts with the rows; exit code 1 when they differ."""
    have, want = kept(), computed()
    wrong = sorted(k for k in have.keys() | want.keys() if have.get(k, 0) != want.get(k, 0))
    for key in wrong[:50]:
        click.echo(f"{'/'.join(key)}: kept {have.get(key, 0)}, rows give {want.get(key, 0)}")
    if wrong:
        click.echo(f"{len(wrong)} counts differ; `flask report recount` computes them again.")
        raise SystemExit(1)
    click.echo(f"all {len(want)} counts agree.")

