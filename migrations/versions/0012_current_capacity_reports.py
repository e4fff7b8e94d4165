"""capacity_reports.is_current, kept on the row; indexes for the capacity overview

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:30:00.000000

"The current report" was NOT EXISTS a later report for the same organisation, category
and location, and the overview sorted every current report by category, organisation
name and location on each request. A new report now clears is_current on the one it
replaces (portal.partners.capacity.report_capacity); the column is filled here for the
existing rows with the old rule. The overview orders per category, freshest first: a
partial index (category_id, reported_at, id) over the current reports and an index on
categories (position, id) deliver that order without a sort. A partial unique index keeps
one current report per organisation, category and location (case aside).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def fill_current(bind) -> None:
    """is_current false for every report that a later report (higher id) for the same
    organisation, category and location (lower case) replaced; true for the others (the
    rule "current" had before this column)."""
    reports = sa.table(
        "capacity_reports",
        sa.column("id"),
        sa.column("organisation_id"),
        sa.column("category_id"),
        sa.column("location"),
        sa.column("is_current", sa.Boolean),
    )
    newer = reports.alias("newer")
    replaced = sa.exists().where(
        newer.c.organisation_id == reports.c.organisation_id,
        newer.c.category_id == reports.c.category_id,
        sa.func.lower(newer.c.location) == sa.func.lower(reports.c.location),
        newer.c.id > reports.c.id,
    )
    bind.execute(sa.update(reports).values(is_current=~replaced))


def upgrade():
    with op.batch_alter_table("capacity_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False))
    fill_current(op.get_bind())
    with op.batch_alter_table("capacity_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_capacity_reports_current",
            ["category_id", "reported_at", "id"],
            unique=False,
            sqlite_where=sa.text("is_current = 1"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.create_index(
            "uq_capacity_reports_current_location",
            ["organisation_id", "category_id", sa.text("lower(location)")],
            unique=True,
            sqlite_where=sa.text("is_current = 1"),
            postgresql_where=sa.text("is_current"),
        )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index("ix_categories_position", ["position", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index("ix_categories_position")
    with op.batch_alter_table("capacity_reports", schema=None) as batch_op:
        batch_op.drop_index("uq_capacity_reports_current_location")
        batch_op.drop_index("ix_capacity_reports_current")
        batch_op.drop_column("is_current")
