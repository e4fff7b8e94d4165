"""outbox_mails.sensitive: mails with a secret link are never shown in the portal

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The kinds that carried a signed link before this revision (portal.notifications.SENSITIVE_KINDS).
LINK_KINDS = ("password_reset", "confirm_email", "confirm_email_change", "invitation", "staff_invitation")


def upgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False))
    outbox = sa.table("outbox_mails", sa.column("kind", sa.String), sa.column("sensitive", sa.Boolean))
    op.execute(outbox.update().where(outbox.c.kind.in_(LINK_KINDS)).values(sensitive=True))


def downgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_column("sensitive")
