"""a product for every category; drafts follow the catalogue (placeholder)

Revision ID: 0019_tariff_products
Revises: 0018_search_and_list_indexes
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0019_tariff_products"
down_revision = "0018_search_and_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
