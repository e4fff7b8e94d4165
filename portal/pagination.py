"""Pagination with counting and slicing in the database, at a cost that stays flat.

Two habits keep big lists fast:
- the page is chosen on ids alone (an index-only query, ordered and limited), and only
  those rows are then loaded with their relations ("deferred join");
- counts stop at a cap: beyond it the page says "more than N" instead of scanning all.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import func, select

from .extensions import db

COUNT_CAP = 1_000
# A filtered list checks its conditions row by row while it counts: it stops sooner (four
# pages of 25 or two of 50), and says "more than 100" beyond; the pages beyond stay a "next"
# away. (At 150,000 applications the queue with every filter spent 3 ms counting to 250.)
FILTERED_COUNT_CAP = 100


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int  # capped: see `more`
    more: bool = False  # there are more than `total` rows

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and len(self.items) == self.per_page)


def requested_page() -> int:
    try:
        return min(max(1, int(request.args.get("pagina", 1))), 100_000)
    except ValueError:
        return 1


def capped_count_statement(query, cap: int = COUNT_CAP):
    """The statement that counts the rows of ``query`` up to one more than ``cap`` (for a
    part that builds its statements once, with parameters); run it with ``run_capped_count``."""
    return select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery())


def run_capped_count(statement, params: dict | None = None,
                     cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Run a ``capped_count_statement`` built with the same ``cap``; returns (count,
    more_than_cap)."""
    n = db.session.scalar(statement, params) or 0
    return min(n, cap), n > cap


def capped_count(query, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count the rows of ``query`` up to ``cap``; returns (count, more_than_cap)."""
    return run_capped_count(capped_count_statement(query, cap), cap=cap)


def paginate(ids_query, load, *, per_page: int | None = None, count_query=None,
             cap: int = COUNT_CAP, total: int | None = None) -> Page:
    """``ids_query``: a select() of one id column, filtered and ordered.
    ``load(ids)``: returns the objects for those ids (with their relations).
    ``count_query``: the same rows, written for counting (when the cheapest way to find a
    page's rows in order and to count all of them differ); ``ids_query`` by default,
    counted up to ``cap``. ``total``: the number of rows where it is known already (a
    count the database keeps); then nothing is counted."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = requested_page()
    if total is not None:
        more = False
    else:
        total, more = capped_count(ids_query if count_query is None else count_query, cap)
    if not more:  # a page beyond the last shows the last (the count is exact below the cap)
        page = min(page, max(1, -(-total // per_page)))
    ids = list(db.session.scalars(ids_query.limit(per_page).offset((page - 1) * per_page)))
    if not ids and more and page > 1:
        # Beyond the rows of a list counted only up to its cap: the last page the count
        # vouches for (it has rows), as an exact count's list shows its last page.
        page = -(-total // per_page)
        ids = list(db.session.scalars(ids_query.limit(per_page).offset((page - 1) * per_page)))
    by_id = {obj.id: obj for obj in load(ids)} if ids else {}
    return Page(items=[by_id[i] for i in ids if i in by_id], page=page, per_page=per_page,
                total=total, more=more)


def paginate_two(first, second, load, *, per_page: int | None = None, cap: int = COUNT_CAP,
                 first_count: tuple[int, bool] | None = None) -> Page:
    """One list of the rows of ``first`` followed by the rows of ``second``: two id queries,
    each filtered and ordered on its own, so that an index serves each. (One query ordered
    by "which part first, then ..." sorts every row of both parts on every request.)
    ``first_count``: ``capped_count(first, cap)`` where the caller has it already."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    n_first, more_first = first_count or capped_count(first, cap)
    n_second, more_second = capped_count(second, cap)
    more = more_first or more_second or n_first + n_second > cap
    total = min(n_first + n_second, cap)
    page = requested_page()
    if not more:
        page = min(page, max(1, -(-total // per_page)))
    first_total = None if more_first else n_first

    def ids_of(page):
        nonlocal first_total
        offset = (page - 1) * per_page
        ids = list(db.session.scalars(first.limit(per_page).offset(offset)))
        if ids and len(ids) < per_page:  # the first part ends on this page
            first_total = offset + len(ids)
        elif not ids and first_total is None:  # beyond a first part counted up to the cap
            first_total = db.session.scalar(
                select(func.count()).select_from(first.order_by(None).subquery()))
        # Asked on every page, if only for no rows (LIMIT 0): a page costs the same number
        # of statements wherever it falls.
        return ids + list(db.session.scalars(
            second.limit(per_page - len(ids)).offset(max(0, offset - (first_total or 0)))))

    ids = ids_of(page)
    if not ids and more and page > 1:  # as paginate: the last page the count vouches for
        page = -(-total // per_page)
        ids = ids_of(page)
    by_id = {obj.id: obj for obj in load(ids)} if ids else {}
    return Page(items=[by_id[i] for i in ids if i in by_id], page=page, per_page=per_page,
                total=total, more=more)
