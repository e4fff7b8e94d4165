"""Search that an index serves, whatever the number of rows: the words of a search box, the
query of a full-text index (FTS5 on SQLite), and the choice between reading a few matches by
their ids and checking many row by row. Knows no domain part: the parts that search
(accounts.search for organisations, procedure's Q&A for questions) use it."""
from __future__ import annotations

import re

from flask import g
from sqlalchemy import Integer, column, func, literal_column, select, table, text

from .extensions import db

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 10
# Up to this many rows match, they are read by their ids; more are checked row by row along
# the index of the list's order (see few_or_walk).
FEW = 200


# Made by migration 0024 and not by the models: the full-text tables (SQLite) and the
# trigram index on the published Q&A text (PostgreSQL). Alembic's comparison of models and
# database leaves them out (include_name).
FTS_TABLES = ("organisations_search", "questions_search")
UNMODELLED_INDEXES = ("ix_questions_public_search",)


def include_name(name, type_, parent_names) -> bool:
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLES)
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    return True


def contains(word: str) -> str:
    """A LIKE pattern (escape character a backslash) for text that contains ``word`` as it
    was typed: its wildcards and backslashes match themselves."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def words(term: str) -> list[str]:
    """The words of what was typed (letters and digits; signs and wildcards dropped)."""
    return _WORD.findall(term or "")[:MAX_WORDS]


def _match(fts_table: str, found: list[str]):
    """The MATCH condition on full-text table ``fts_table``: every word of ``found`` at the
    start of one of its words. Each word is quoted: no FTS syntax of the user's gets through."""
    query = " ".join('"' + word + '"*' for word in found)
    return text(f"{fts_table} MATCH :fts_query").bindparams(fts_query=query)


def fts_rowids(fts_table: str, found: list[str]):
    """select() of the rowids of full-text table ``fts_table`` (FTS5) whose text has every
    word of ``found`` at the start of one of its words."""
    return select(literal_column("rowid")).select_from(text(fts_table)).where(
        _match(fts_table, found))


def fts_join(query, id_column, fts_table: str, found: list[str]):
    """``query`` joined to the matches of full-text table ``fts_table`` on ``id_column``.
    For a count of many matches: SQLite then reads the matches one by one and stops at the
    count's cap, where ``id IN (matches)`` first builds the whole list (tens of thousands
    of ids for a large town)."""
    fts = table(fts_table, column("rowid"))
    return query.join(fts, fts.c.rowid == id_column).where(_match(fts_table, found))


def few(candidates) -> list | None:
    """The ids of ``candidates`` when there are at most FEW of them (one small read through
    their index), else None. Kept for the request: the page and its count ask alike."""
    cache = g.setdefault("textsearch_few", {})
    # The statement's own cache key (its structure) and its values: what compiling it with
    # the values written in said, at a fraction of the cost (compiling took 0.1-0.2 ms).
    statement_key = candidates._generate_cache_key()
    if statement_key is None:  # a construct SQLAlchemy cannot cache: the SQL itself
        key = str(candidates.compile(compile_kwargs={"literal_binds": True}))
    else:
        key = (statement_key.key, tuple(_hashable(p.effective_value)
                                        for p in statement_key.bindparams))
    if key not in cache:
        ids = db.session.scalars(candidates.limit(FEW + 1)).all()
        cache[key] = ids if len(ids) <= FEW else None
    return cache[key]


def _hashable(value):
    return tuple(value) if isinstance(value, list | set) else value


def unindexed(expression):
    """The same value, but no index serves a condition on it: the database checks it row by
    row while it walks another index (the page's order), instead of reading every match
    through this one and sorting them."""
    if isinstance(expression.type, Integer):
        return expression + 0
    return expression.concat("")


def few_or_walk(column, candidates, *, walk: bool = True):
    """``column IN candidates`` in the cheaper of two ways, decided by one small read of the
    candidates (at most FEW + 1 ids, from their index): a few are matched by their ids (a
    literal list: the database looks those rows up); many are checked row by row while the
    database walks the index of the list's order (``column + 0`` keeps it from reading
    every candidate first and sorting them), so a page stops after its rows. Without this a
    common word or a large town makes every page sort thousands of rows. ``walk=False``
    (for a count, which has no order to walk) reads many through their own index."""
    ids = few(candidates)
    if ids is not None:
        return column.in_(ids)
    return (unindexed(column) if walk else column).in_(candidates)


def plan_for_values() -> None:
    """PostgreSQL: plan the rest of this transaction's statements for their values.

    psycopg prepares a statement that ran five times on a connection, and PostgreSQL may
    then keep one generic plan for it, chosen without the values. For a search or a
    combination of filters, the values decide the plan: the fully filtered queue's capped
    count took 9 ms with the generic plan at 150,000 applications and 1.5 ms planned for
    its values, and the generic plan's cost grew with the data. ``set_config(..., true)``
    holds until the transaction ends; it is a SELECT, so a transaction that only read still
    ends with COMMIT (``portal.readonly_commit``). One statement, on PostgreSQL only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))


def planned_once(statement, name: str, columns: dict):
    """PostgreSQL: ``statement`` as a subquery with its values written into its SQL, so that
    PostgreSQL keeps one plan for it.

    psycopg prepares a statement that ran five times; PostgreSQL then plans it again at
    every run, for the values given, as long as it expects that plan to beat a generic one.
    For some statements it always does, and planning costs more than running: the capacity
    overview's union of one part per category took 1.0-1.7 ms a page, of which 0.4 ms was
    its work. Without values, there is nothing to plan for: it is planned once per
    connection. The LIMIT and OFFSET a list adds around it stay parameters.

    Only for values of the portal's own (ids, numbers, states), never a visitor's text.
    ``name``: the subquery's; ``columns``: the statement's columns, name -> SQL type, in
    its order."""
    from sqlalchemy.dialects import postgresql

    sql = str(statement.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))
    return text(sql).columns(*(column(key, type_) for key, type_ in columns.items())).subquery(name)
