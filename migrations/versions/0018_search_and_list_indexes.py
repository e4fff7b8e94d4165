"""indexes for the staff list and the queue search (placeholder)

Revision ID: 0018_search_and_list_indexes
Revises: 0017_more_row_versions
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0018_search_and_list_indexes"
down_revision = "0017_more_row_versions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
