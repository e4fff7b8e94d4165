"""Collections of a page's objects loaded by one statement each, built once.

SQLAlchemy's ``selectinload`` runs one statement per collection too, but sets up its loader
again for every query (paths, the statement's cache key, per-parent bookkeeping): for the few
rows of an application's categories or a decision's requirements that took about twice the
time of reading them. Here a part builds the statement once (``collection``, in its
``@cache`` statement builder) and fills the collections of the objects it loaded (``fill``):
the same statement, the same rows, in the relationship's order. A collection the session has
loaded already (it may hold changes of this request) is left as it is.

One-to-many and many-to-many relationships over a single column (what the portal has).
Knows no domain part.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import RelationshipDirection
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import Select

PARENT_IDS = "eager_parent_ids"


@dataclass(frozen=True)
class Collection:
    """How to fill one relationship: its name, the parent's attribute that the rows are
    matched on, and the statement (the parent's value and the related object per row)."""

    name: str
    parent_key: str
    statement: Select


def collection(relationship, *options) -> Collection:
    """The statement for ``relationship`` (e.g. ``Application.categories``) of any number of
    parents; ``options`` apply to the related objects (e.g. ``joinedload(Answer.document)``;
    no joined collections). Build it once (``functools.cache``), then ``fill`` with it."""
    prop = relationship.property
    target = prop.mapper
    ids = bindparam(PARENT_IDS, expanding=True)
    (parent_column, remote), = prop.synchronize_pairs
    if prop.secondary is not None:  # many-to-many through a link table
        (child_column, link_child), = prop.secondary_synchronize_pairs
        statement = (select(remote, target.class_).select_from(target.class_)
                     .join(prop.secondary, link_child == child_column).where(remote.in_(ids)))
    elif prop.direction is RelationshipDirection.ONETOMANY:
        statement = select(remote, target.class_).where(remote.in_(ids))
    else:
        raise ValueError(f"{relationship} is not a collection")
    order = list(prop.order_by or ()) + list(target.primary_key)
    parent_key = prop.parent.get_property_by_column(parent_column).key
    return Collection(prop.key, parent_key,
                      statement.order_by(*order).options(*options))


def fill(session, parents, spec: Collection) -> None:
    """Load ``spec``'s collection of each of ``parents`` whose collection is not loaded, in
    one statement (none when every one is loaded)."""
    waiting = {}
    for parent in parents:
        if spec.name in inspect(parent).unloaded:
            waiting.setdefault(getattr(parent, spec.parent_key), []).append(parent)
    if not waiting:
        return
    found = {key: [] for key in waiting}
    for key, related in session.execute(spec.statement, {PARENT_IDS: list(waiting)}):
        found[key].append(related)
    for key, same in waiting.items():
        for parent in same:
            set_committed_value(parent, spec.name, list(found[key]))
