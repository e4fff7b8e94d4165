"""the information set, reporting rounds and reports (placeholder)

Revision ID: 0020_monitoring
Revises: 0019_tariff_products
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0020_monitoring"
down_revision = "0019_tariff_products"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
