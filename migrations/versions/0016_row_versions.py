"""row_version on the records administrators edit together: no update is lost

Revision ID: 0016_row_versions
Revises: 0015_audit_chain
Create Date: 2026-12-06 20:10:00.000000

SQLAlchemy's version_id_col: every UPDATE (and DELETE) of such a row names the version it
read and bumps it, so a save that meets someone else's save in between fails instead of
overwriting it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_row_versions"
down_revision = "0015_audit_chain"
branch_labels = None
depends_on = None

TABLES = ("procedures", "categories", "products", "tariffs", "catalogue_versions", "requirements")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
