"""outbox_mails.next_attempt_at and queued_at: retrying driven by time, claims as leases

Revision ID: 0013_outbox_retry
Revises: 0012
Create Date: 2026-12-06 19:40:00.000000

A queued mail waits until next_attempt_at (growing delays after each temporary failure);
a mail being sent holds a lease until next_attempt_at, after which another worker may take
it over. A mail is given up OUTBOX_GIVE_UP_AFTER_HOURS after queued_at (its creation, or
the moment an administrator sent it again). Existing queued mail is due at once; a claim
left behind by a worker is due at once too (its lease has long run out). Mail that an
earlier version gave up stays failed: an administrator can send it again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_outbox_retry"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    outbox = sa.table(
        "outbox_mails",
        sa.column("created_at", sa.DateTime),
        sa.column("claimed_at", sa.DateTime),
        sa.column("queued_at", sa.DateTime),
        sa.column("next_attempt_at", sa.DateTime),
    )
    op.execute(outbox.update().values(queued_at=outbox.c.created_at))
    # The enum stores the members' names (mail_status on PostgreSQL).
    op.execute(outbox.update().where(sa.text("status IN ('QUEUED', 'SENDING')"))
               .values(next_attempt_at=sa.func.coalesce(outbox.c.claimed_at, outbox.c.created_at)))
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.alter_column("queued_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_outbox_mails_status_next_attempt", ["status", "next_attempt_at"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_mails_status_next_attempt")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("queued_at")
