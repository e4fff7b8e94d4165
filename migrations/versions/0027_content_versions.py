"""content_versions: named versions of what public pages show

Revision ID: 0027_content_versions
Revises: 0026_question_list_indexes
Create Date: 2026-12-07 15:40:00.000000

One row per name (the procedure's public content, the published questions), raised in the
same transaction as every change of the models its part names (``portal.contentversion``).
The public pages are kept rendered per version (``portal.pagecache``). The rows are made
here, so that the first changes of two transactions do not both insert one.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_content_versions"
down_revision = "0026_question_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "content_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_content_versions")),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(table, [{"name": name, "version": 1, "changed_at": now}
                           for name in ("procedure", "questions")])


def downgrade():
    op.drop_table("content_versions")
