"""row_version on organisations and mail_templates: their edits lose no update either

Revision ID: 0017_more_row_versions
Revises: 0016_row_versions
Create Date: 2026-12-06 20:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_more_row_versions"
down_revision = "0016_row_versions"
branch_labels = None
depends_on = None

TABLES = ("organisations", "mail_templates")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
