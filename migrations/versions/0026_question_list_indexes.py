"""partial indexes on open and answered questions for the administrators' list

Revision ID: 0026_question_list_indexes
Revises: 0025_open_queue_indexes
Create Date: 2026-12-07 13:20:00.000000

The administrators' list of questions shows the open ones first (oldest on top), then the
answered ones (newest on top). Ordered by "open or not" in one query, the database sorted
every question of the procedure for a page of 25; now each part is its own query, and
these indexes hold each part's rows in its order, so that counting a part (up to the cap)
and finding its page read an index only.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026_question_list_indexes"
down_revision = "0025_open_queue_indexes"
branch_labels = None
depends_on = None

PARTS = (("ix_questions_open", "answered_at IS NULL"),
         ("ix_questions_answered", "answered_at IS NOT NULL"))


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        for name, condition in PARTS:
            batch_op.create_index(name, ["procedure_id", "asked_at", "id"], unique=False,
                                  sqlite_where=sa.text(condition),
                                  postgresql_where=sa.text(condition))


def downgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        for name, _condition in reversed(PARTS):
            batch_op.drop_index(name)
