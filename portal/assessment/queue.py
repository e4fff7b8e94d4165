"""The assessors' queue: its filters from the query string, and the query of its rows.

Every filter is served by an index: the state tab by (status, submitted_at) or (status,
decided_at), the category by the link table's category_id, the assessor by assessor_id, the
due date by decision_due, and the search by name by ``ix_organisations_name_search``: a
trigram index on PostgreSQL (any part of the name, ``pg_trgm``), an index on lower(name) on
SQLite (the start of the name). A KvK number matches exactly (its unique index). A filter
value that does not exist is ignored (the default applies); a search term too short or too
long is not searched and says why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, exists, or_, select

from ..accounts.models import Organisation, User
from ..accounts.search import kvk_number, name_matches, search_term
from ..applications.models import (
    OPEN_STATES,
    Application,
    Status,
    application_categories,
    open_condition,
)
from ..extensions import db
from ..procedure.models import Category
from ..reports.models import STATUS, ReportCount
from . import workflow

QUEUE_FILTERS = {
    "open": OPEN_STATES,
    "ingediend": (Status.INGEDIEND,),
    "in_behandeling": (Status.IN_BEHANDELING,),
    "aanvulling_gevraagd": (Status.AANVULLING_GEVRAAGD,),
    "besluit_voorgesteld": (Status.BESLUIT_VOORGESTELD,),
    "besloten": (Status.BESLOTEN,),
    "ingetrokken": (Status.INGETROKKEN,),
}
SORTS = {
    "ingediend": (Application.submitted_at.asc(), Application.id.asc()),
    "resterend": (Application.decision_due.asc(), Application.id.asc()),
    "besloten": (Application.decided_at.desc(), Application.id.desc()),
}


@dataclass
class QueueQuery:
    key: str  # the state tab
    sort: str
    category: object | None
    who: str | None
    due: str | None
    term: str  # the search actually applied ("" for none)
    typed: str  # what was typed (shown back in the field)
    ids: object  # select() of Application.id, filtered and ordered
    messages: list[str] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        """Narrowed beyond the state tab (so its count is not the tab's)."""
        return bool(self.category or self.who or self.due or self.term)

    @property
    def filters(self) -> dict:
        return {"status": self.key, "categorie": self.category.code if self.category else None,
                "beoordelaar": self.who, "termijn": self.due, "zoek": self.typed or None,
                "sorteer": self.sort}


def build(args, user, today: date, categories) -> QueueQuery:
    """The queue's query from the request's ``args`` for ``user``."""
    key = args.get("status") if args.get("status") in QUEUE_FILTERS else "open"
    # The open tab as the partial indexes on open applications are written (their order).
    ids = select(Application.id).where(
        open_condition() if key == "open" else Application.status.in_(QUEUE_FILTERS[key]))
    category = next((c for c in categories if c.code == args.get("categorie")), None)
    if category is not None:
        # EXISTS, not IN: the database then walks the state's index in the order shown
        # and checks each row's link (its primary key), instead of reading the whole
        # category first (tens of thousands of ids) and sorting what is left.
        ids = ids.where(exists().where(
            application_categories.c.application_id == Application.id,
            application_categories.c.category_id == category.id))
    who = args.get("beoordelaar") if args.get("beoordelaar") in ("mij", "niemand") else None
    if who == "mij":
        ids = ids.where(Application.assessor_id == user.id)
    elif who == "niemand":
        ids = ids.where(Application.assessor_id.is_(None))
    due = args.get("termijn") if args.get("termijn") in ("verlopen", "week") else None
    if due:  # a stopped clock is never overdue
        ids = ids.where(Application.status.in_(workflow.CLOCK_RUNNING))
    if due == "verlopen":
        ids = ids.where(Application.decision_due < today)
    elif due == "week":
        ids = ids.where(Application.decision_due.between(today, today + timedelta(days=7)))
    term, typed, messages = search_term(args.get("zoek"))
    if term:
        kvk = kvk_number(term)
        condition = name_matches(term)
        if kvk:
            condition = or_(condition, Organisation.kvk_number == kvk)
        ids = ids.where(_organisation_filter(condition))
    sort = args.get("sorteer")
    # No open application has a decision date: on the open tab that order means nothing,
    # and no index holds the open applications in it (the database sorted them all).
    if sort not in SORTS or (sort == "besloten" and key == "open"):
        sort = "besloten" if key == "besloten" else "ingediend"
    return QueueQuery(key=key, sort=sort, category=category, who=who, due=due, term=term,
                      typed=typed, ids=ids.order_by(*SORTS[sort]), messages=messages)


# Up to this many organisations match a search, their applications are found through the
# index on organisation_id; a more common term is checked row by row (it matches densely).
FEW_ORGANISATIONS = 200


def _organisation_filter(condition):
    """The applications of the organisations matching ``condition``, in the cheaper of two
    ways: a rare term (a few organisations) reads their applications by organisation; a
    common one checks each row of the state's index by the organisation's primary key, so
    that the page stops at its first rows instead of reading every application of thousands
    of organisations."""
    few = db.session.scalars(select(Organisation.id).where(condition)
                             .limit(FEW_ORGANISATIONS + 1)).all()
    if len(few) <= FEW_ORGANISATIONS:
        return Application.organisation_id.in_(few)
    return exists().where(Organisation.id == Application.organisation_id, condition)


def tab_counts() -> dict[str, int]:
    """Every tab's number of applications, whatever the other filters: the applications per
    state that the database keeps counted (``report_counts``, kept by triggers), so the
    figure is exact and costs the same at every size."""
    per_state = dict(db.session.execute(_statements()["counts"]).all())
    return {key: sum(per_state.get(state.name, 0) for state in states)
            for key, states in QUEUE_FILTERS.items()}


@dataclass(slots=True)
class QueueRow:
    """One row of the queue: the columns it shows, read as plain values (building ORM
    objects for 25 applications, their organisations and assessors was a fifth of the
    page's time)."""

    id: int
    reference: str
    round_id: int | None
    status: Status
    submitted_at: object
    decision_due: object
    organisation_name: str
    kvk_number: str
    assessor_name: str | None
    category_names: list[str]


@cache
def _statements() -> dict:
    """The queue's fixed statements, built once (the ids of a page as a parameter)."""
    ids = bindparam("queue_ids", expanding=True)
    return {
        "counts": select(ReportCount.key1, ReportCount.n).where(ReportCount.figure == STATUS),
        "categories": select(application_categories.c.application_id, Category.name)
        .join(Category, Category.id == application_categories.c.category_id)
        .where(application_categories.c.application_id.in_(ids))
        .order_by(Category.position, Category.id),
        "rows": select(Application.id, Application.reference, Application.round_id,
                       Application.status, Application.submitted_at, Application.decision_due,
                       Organisation.name, Organisation.kvk_number, User.full_name)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(User, User.id == Application.assessor_id)
        .where(Application.id.in_(ids)),
    }


def rows(ids: list[int]) -> list[QueueRow]:
    """The rows of applications ``ids`` (in no particular order), in two statements."""
    statements, page = _statements(), {"queue_ids": list(ids)}
    names: dict[int, list[str]] = {}
    for application_id, name in db.session.execute(statements["categories"], page):
        names.setdefault(application_id, []).append(name)
    found = db.session.execute(statements["rows"], page)
    return [QueueRow(*row, category_names=names.get(row[0], [])) for row in found]
