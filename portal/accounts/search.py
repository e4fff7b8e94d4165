"""The search for an organisation by name or KvK number, served by an index whatever the
number of organisations: by name ``ix_organisations_name_search`` (a trigram index on
PostgreSQL, ``pg_trgm``: any part of the name; an index on lower(name) on SQLite: the start
of the name), a KvK number (8 digits) exactly by its unique index. Used by the assessors'
queue (``assessment.queue``) and the oversight's partner picker. The public register's
search (name, place or KvK number; ``register_matches``, ``register_search``) is below; the
staff partner list uses it too.
"""
from __future__ import annotations

from sqlalchemy import String, and_, false, func, literal, or_

from ..extensions import db
from ..i18n import gettext as _
from ..textsearch import contains, few, few_or_walk, fts_join, fts_rowids, words
from .models import Organisation

SEARCH_MIN = 2
SEARCH_MAX = 100


def name_matches(term: str):
    """The condition on Organisation for a search by name, served by the search index."""
    lowered = func.lower(Organisation.name)
    if db.session.get_bind().dialect.name == "postgresql":
        return lowered.like(func.lower(literal(contains(term), String)), escape="\\")
    # SQLite: a range on the index of lower(name): names that start with the term (lowered
    # by the database, as the index is).
    return ((lowered >= func.lower(literal(term, String)))
            & (lowered < func.lower(literal(term + "\U0010ffff", String))))


def kvk_number(term: str) -> str | None:
    """The KvK number a search term is (8 digits, spaces allowed), or None."""
    digits = term.replace(" ", "")
    return digits if digits.isdigit() and len(digits) == 8 else None


def search_term(raw: str | None) -> tuple[str, str, list[str]]:
    """(term to search, text to show in the field, messages): a term too short or too long
    is not searched and says why."""
    typed = " ".join((raw or "").split())
    if not typed:
        return "", "", []
    if len(typed) > SEARCH_MAX:
        return "", typed[:SEARCH_MAX], [
            _("De zoekterm is te lang: typ hoogstens %(n)s tekens.", n=SEARCH_MAX)]
    if len(typed) < SEARCH_MIN:
        return "", typed, [_("Typ minstens %(n)s tekens om te zoeken.", n=SEARCH_MIN)]
    return typed, typed, []


# --- the public register's search: name, place or KvK number ---------------------------------

# SQLite: a full-text index (FTS5) over the organisations' name and place, kept by triggers
# (migration 0024): every word that starts with every word typed. PostgreSQL: trigram
# indexes on lower(name) and lower(city): any part of either.
FTS_TABLE = "organisations_search"


def place_key(column):
    """The indexed form of a place name: lower case (the forms strip the spaces around it,
    and migration 0024 stripped those already stored)."""
    return func.lower(column)


def register_matches(term: str, *, walk: bool = False):
    """The condition on Organisation for the register's search box, served by indexes.
    ``walk``: for a page in name order, many matches are checked row by row along the
    order's index (textsearch.unindexed); a count reads them through the search's index."""
    conditions = []
    kvk = kvk_number(term)
    if kvk:
        conditions.append(Organisation.kvk_number == kvk)
    found = words(term)
    if found and db.session.get_bind().dialect.name == "postgresql":
        # Every word in the name or the place, anywhere in it.
        conditions.append(and_(*(
            or_(func.lower(Organisation.name).like(pattern, escape="\\"),
                place_key(Organisation.city).like(pattern, escape="\\"))
            for pattern in (func.lower(literal(contains(word), String))
                            for word in found))))
    elif found:
        conditions.append(few_or_walk(Organisation.id, fts_rowids(FTS_TABLE, found), walk=walk))
    return or_(*conditions) if conditions else false()


def register_search(query, term: str, *, walk: bool = False):
    """``query`` (over Organisation) narrowed by the register's search box, as
    ``register_matches``; a count (no ``walk``) of many full-text matches on SQLite joins
    the full-text table instead, so that it stops at its cap (textsearch.fts_join)."""
    found = words(term)
    if (not walk and found and not kvk_number(term)
            and db.session.get_bind().dialect.name == "sqlite"
            and few(fts_rowids(FTS_TABLE, found)) is None):
        return fts_join(query, Organisation.id, FTS_TABLE, found)
    return query.where(register_matches(term, walk=walk))


def name_order():
    """The order by name of a search's results that the database reads from an index,
    stopping at the limit instead of sorting every match (a broad term matches thousands):
    on SQLite lower(name), the order of the search index the range uses; on PostgreSQL
    name, its btree ``ix_organisations_name`` (the trigram index has no order)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Organisation.name
    return func.lower(Organisation.name)
