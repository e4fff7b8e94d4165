"""partial indexes on applications.assessor_id and round_id; index on catalogue_version_id

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:00:00.000000

Most applications have no assessor yet, or belong to no re-confirmation round. A full
index on such a column is mostly NULLs, and the planner's statistics then make it
ignore the index for the few rows that have a value (SQLite's ANALYZE counts the NULLs
as one value): the herbevestiging pages scanned every application. A partial index
holds only the rows with a value. Applications per catalogue version are counted on
the catalogue page.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_assessor_id")
        batch_op.drop_index("ix_applications_round_id")
        batch_op.create_index(
            "ix_applications_assessor_id",
            ["assessor_id"],
            unique=False,
            sqlite_where=sa.text("assessor_id IS NOT NULL"),
            postgresql_where=sa.text("assessor_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_applications_round_id",
            ["round_id"],
            unique=False,
            sqlite_where=sa.text("round_id IS NOT NULL"),
            postgresql_where=sa.text("round_id IS NOT NULL"),
        )
        batch_op.create_index("ix_applications_catalogue_version_id", ["catalogue_version_id"], unique=False)


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_catalogue_version_id")
        batch_op.drop_index("ix_applications_round_id")
        batch_op.drop_index("ix_applications_assessor_id")
        batch_op.create_index("ix_applications_round_id", ["round_id"], unique=False)
        batch_op.create_index("ix_applications_assessor_id", ["assessor_id"], unique=False)
