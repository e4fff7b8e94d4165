"""verantwoordingsdialogen, action points and supervision (placeholder)

Revision ID: 0021_oversight
Revises: 0020_monitoring
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0021_oversight"
down_revision = "0020_monitoring"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
