"""indexes for the staff list and the queue search; the version of the public register

- users: (role, is_active_account, full_name, id) serves the staff list's filter, count and
  order;
- applications: (status, decided_at) gains submitted_at (the report's lead time reads the
  index only); (status, decision_due) serves the report's overdue figure and the queue's
  due-date filter;
- organisations: the queue's search by name: a trigram GIN index on lower(name) on
  PostgreSQL (pg_trgm), a plain index on lower(name) on SQLite (prefix search);
- register_versions: one row, raised with every change of the public register, so that its
  exports are built once per version and served with an ETag.

Revision ID: 0018_search_and_list_indexes
Revises: 0017_more_row_versions
Create Date: 2026-12-06 22:30:00.000000
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_search_and_list_indexes"
down_revision = "0017_more_row_versions"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_role_active_name",
                              ["role", "is_active_account", "full_name", "id"], unique=False)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_decided")
        batch_op.create_index("ix_applications_status_decided",
                              ["status", "decided_at", "submitted_at"], unique=False)
        batch_op.create_index("ix_applications_status_due", ["status", "decision_due"],
                              unique=False)
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_organisations_name_search ON organisations "
                   "USING gin (lower(name) gin_trgm_ops)")
    else:
        op.execute("CREATE INDEX ix_organisations_name_search ON organisations (lower(name))")
    table = op.create_table(
        "register_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1, "changed_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    op.drop_table("register_versions")
    op.execute("DROP INDEX ix_organisations_name_search")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_due")
        batch_op.drop_index("ix_applications_status_decided")
        batch_op.create_index("ix_applications_status_decided", ["status", "decided_at"],
                              unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_role_active_name")
