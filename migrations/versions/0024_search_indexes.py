"""search served by indexes: the public register (lower(city) for the place filter; the
name and place by a full-text index on SQLite, trigram indexes on PostgreSQL) and the
published questions and answers (full-text on SQLite, trigram on PostgreSQL). The
full-text tables are FTS5 tables with external content, kept by triggers.

Revision ID: 0024_search_indexes
Revises: 0023_report_counts
Create Date: 2026-12-07 02:05:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_search_indexes"
down_revision = "0023_report_counts"
branch_labels = None
depends_on = None

# portal.textsearch.FTS_TABLES: (table, its source table, the indexed columns)
FULL_TEXT = (("organisations_search", "organisations", ("name", "city")),
             ("questions_search", "questions", ("public_question", "public_answer")))


def _full_text(fts: str, source: str, columns: tuple[str, ...]) -> None:
    """An external-content FTS5 table over ``source`` (rowid = id, no copy of the text) and
    the triggers that keep it in step with every insert, change and delete."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{source}', "
               "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {source} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade():
    # The filter compares lower(city) (the forms now strip the place): strip what is stored.
    op.execute("UPDATE organisations SET city = trim(city) WHERE city <> trim(city)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_organisations_city_search ON organisations "
                   "USING gin (lower(city) gin_trgm_ops)")
        # ILIKE '%word%' on the published question and answer (not in the models:
        # portal.textsearch.UNMODELLED_INDEXES).
        op.execute("CREATE INDEX ix_questions_public_search ON questions "
                   "USING gin (public_question gin_trgm_ops, public_answer gin_trgm_ops)")
        return
    op.execute("CREATE INDEX ix_organisations_city_search ON organisations (lower(city))")
    for fts, source, columns in FULL_TEXT:
        _full_text(fts, source, columns)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_questions_public_search")
    else:
        for fts, _source, _columns in FULL_TEXT:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER {fts}_{suffix}")
            op.execute(f"DROP TABLE {fts}")
    op.execute("DROP INDEX ix_organisations_city_search")
