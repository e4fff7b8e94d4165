"""partial indexes on open applications in the queue's two orders

Revision ID: 0025_open_queue_indexes
Revises: 0024_search_indexes
Create Date: 2026-12-07 05:20:00.000000

The assessors' open tab lists applications in four states, by submission or by due date.
An index on (status, submitted_at) serves one state in order, not four: the database read
every open application and sorted them for a page of 25. These partial indexes hold the
open applications only, in the page's order.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_open_queue_indexes"
down_revision = "0024_search_indexes"
branch_labels = None
depends_on = None

# applications.models._OPEN_SQL at the time of this migration.
OPEN_SQL = "status IN ('INGEDIEND', 'IN_BEHANDELING', 'AANVULLING_GEVRAAGD', 'BESLUIT_VOORGESTELD')"


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        for name, column in (("ix_applications_open_submitted", "submitted_at"),
                             ("ix_applications_open_due", "decision_due")):
            batch_op.create_index(name, [column, "id"], unique=False,
                                  sqlite_where=sa.text(OPEN_SQL),
                                  postgresql_where=sa.text(OPEN_SQL))


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_open_due")
        batch_op.drop_index("ix_applications_open_submitted")
