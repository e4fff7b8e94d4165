"""drafts follow the catalogue: applications.moved_from_version_id, moved_at, moved_codes

A draft (status concept) moves to a newly published catalogue version; the application
keeps the version it came from, when it moved and the codes of the requirements it must
answer (again), so the provider's dashboard and the wizard can say so. Partial index: only
moved drafts have a value.

No schema change for the products: every category's product (44A09-44A11, the region's own
codes) comes with the reference data (``portal.procedure.seed``), which is idempotent.

Revision ID: 0019_tariff_products
Revises: 0018_search_and_list_indexes
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_tariff_products"
down_revision = "0018_search_and_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("moved_codes", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            "ix_applications_moved_from_version_id",
            ["moved_from_version_id"],
            unique=False,
            sqlite_where=sa.text("moved_from_version_id IS NOT NULL"),
            postgresql_where=sa.text("moved_from_version_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_applications_moved_from_version_id_catalogue_versions"),
            "catalogue_versions",
            ["moved_from_version_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_applications_moved_from_version_id_catalogue_versions"),
            type_="foreignkey")
        batch_op.drop_index("ix_applications_moved_from_version_id")
        batch_op.drop_column("moved_codes")
        batch_op.drop_column("moved_at")
        batch_op.drop_column("moved_from_version_id")
