"""Pagination counted and sliced in the database."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import func, select

from .extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def requested_page() -> int:
    try:
        return max(1, int(request.args.get("pagina", 1)))
    except ValueError:
        return 1


def paginate(query, *, per_page: int | None = None, count_query=None) -> Page:
    """``query`` is a select() with its ordering; counting uses ``count_query`` when given."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = requested_page()
    if count_query is None:
        count_query = select(func.count()).select_from(
            query.order_by(None).options().subquery()
        )
    total = db.session.scalar(count_query) or 0
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)
