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

from flask_babel import gettext as _
from sqlalchemy import String, func, literal, or_, select

from ..accounts.models import Organisation
from ..applications.models import Application, Status, application_categories
from ..extensions import db
from . import workflow

TAB_COUNT_CAP = 999
SEARCH_MIN = 2
SEARCH_MAX = 100
OPEN = (Status.INGEDIEND, Status.IN_BEHANDELING, Status.AANVULLING_GEVRAAGD,
        Status.BESLUIT_VOORGESTELD)
QUEUE_FILTERS = {
    "open": OPEN,
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


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_matches(term: str):
    """The condition on Organisation for a search by name, served by the search index."""
    lowered = func.lower(Organisation.name)
    if db.session.get_bind().dialect.name == "postgresql":
        return lowered.like(func.lower(literal(f"%{_escape_like(term)}%", String)), escape="\\")
    # SQLite: a range on the index of lower(name): names that start with the term (lowered
    # by the database, as the index is).
    return ((lowered >= func.lower(literal(term, String)))
            & (lowered < func.lower(literal(term + "\U0010ffff", String))))


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
    def filters(self) -> dict:
        return {"status": self.key, "categorie": self.category.code if self.category else None,
                "beoordelaar": self.who, "termijn": self.due, "zoek": self.typed or None,
                "sorteer": self.sort}


def _search_term(raw: str | None) -> tuple[str, str, list[str]]:
    """(term to search, text to show in the field, messages)."""
    typed = " ".join((raw or "").split())
    if not typed:
        return "", "", []
    if len(typed) > SEARCH_MAX:
        return "", typed[:SEARCH_MAX], [
            _("De zoekterm is te lang: typ hoogstens %(n)s tekens.", n=SEARCH_MAX)]
    if len(typed) < SEARCH_MIN:
        return "", typed, [_("Typ minstens %(n)s tekens om te zoeken.", n=SEARCH_MIN)]
    return typed, typed, []


def build(args, user, today: date, categories) -> QueueQuery:
    """The queue's query from the request's ``args`` for ``user``."""
    key = args.get("status") if args.get("status") in QUEUE_FILTERS else "open"
    ids = select(Application.id).where(Application.status.in_(QUEUE_FILTERS[key]))
    category = next((c for c in categories if c.code == args.get("categorie")), None)
    if category is not None:
        ids = ids.where(Application.id.in_(
            select(application_categories.c.application_id)
            .where(application_categories.c.category_id == category.id)))
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
    term, typed, messages = _search_term(args.get("zoek"))
    if term:
        kvk = term.replace(" ", "")
        condition = name_matches(term)
        if kvk.isdigit() and len(kvk) == 8:
            condition = or_(condition, Organisation.kvk_number == kvk)
        ids = ids.where(Application.organisation_id.in_(select(Organisation.id).where(condition)))
    sort = args.get("sorteer")
    if sort not in SORTS:
        sort = "besloten" if key == "besloten" else "ingediend"
    return QueueQuery(key=key, sort=sort, category=category, who=who, due=due, term=term,
                      typed=typed, ids=ids.order_by(*SORTS[sort]), messages=messages)


def tab_counts() -> dict[str, int]:
    """Every tab's number of applications, each stopping at TAB_COUNT_CAP, in one statement
    (each an index range on status, whatever the other filters)."""
    return db.session.execute(select(*(
        select(func.count()).select_from(
            select(Application.id).where(Application.status.in_(v)).limit(TAB_COUNT_CAP + 1)
            .subquery()).scalar_subquery().label(k)
        for k, v in QUEUE_FILTERS.items()))).one()._asdict()
