"""Named versions of what public pages show, raised with every change of their data.

A part names what a page shows and the models it comes from (``watch("procedure",
Procedure, Category, ...)``); every transaction that adds, changes or deletes one of them
(through the ORM's flushes, or bulk statements through the session) raises that name's
version in the same transaction, just before its commit. ``current(name)`` reads it in one
indexed statement; ``portal.pagecache`` keeps pages per version. This module knows no
domain part: the parts tell it what to watch.

(The public register has its own version, ``partners.snapshot``, which also names its
open-data snapshot folders.)
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .timeutil import utcnow

_MODELS: dict[type, set[str]] = {}
_TABLES: dict[str, set[str]] = {}
_KEY = "content_changed"


class ContentVersion(db.Model):
    """One row per name: its version and when it last changed."""

    __tablename__ = "content_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def watch(name: str, *models: type, tables: tuple[str, ...] = ()) -> None:
    """Raise ``name``'s version whenever one of ``models`` (or a row of ``tables``, such
    as an association table changed through a relationship) changes."""
    for model in models:
        _MODELS.setdefault(model, set()).add(name)
        _TABLES.setdefault(model.__tablename__, set()).add(name)
    for table in tables:
        _TABLES.setdefault(table, set()).add(name)


def _names_of(obj) -> set[str]:
    found = set()
    for cls in type(obj).__mro__:
        found |= _MODELS.get(cls, set())
    return found


@event.listens_for(Session, "before_flush")
def _note_changes(session, flush_context, instances):
    changed = set()
    for obj in (*session.new, *session.deleted):
        changed |= _names_of(obj)
    for obj in session.dirty:
        names = _names_of(obj)
        if names - changed and session.is_modified(obj):  # collections too (association rows)
            changed |= names
    if changed:
        session.info.setdefault(_KEY, set()).update(changed)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        names = _TABLES.get(getattr(table, "name", None))
        if names:
            state.session.info.setdefault(_KEY, set()).update(names)


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session):
    if session.new or session.dirty or session.deleted:
        session.flush()
    for name in sorted(session.info.pop(_KEY, ())):  # one order: no deadlock between two
        bump(session.connection(), name)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_KEY, None)


def bump(connection, name: str) -> None:
    """Raise ``name``'s version (in the caller's transaction)."""
    table = ContentVersion.__table__
    result = connection.execute(update(table).where(table.c.name == name).values(
        version=table.c.version + 1, changed_at=utcnow()))
    if result.rowcount == 0:
        connection.execute(insert(table).values(name=name, version=1, changed_at=utcnow()))


def current(*names: str) -> str:
    """The versions of ``names`` as one short string (one indexed read); "0" for a name
    that never changed."""
    found = {row.name: f"{row.version}-{row.changed_at:%Y%m%d%H%M%S%f}" for row in db.session.execute(
        select(ContentVersion.name, ContentVersion.version, ContentVersion.changed_at)
        .where(ContentVersion.name.in_(names)))}
    return ".".join(found.get(name, "0") for name in names)
