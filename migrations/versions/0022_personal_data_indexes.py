"""indexes for a person's own data: the mails sent to an address and the files a user
uploaded (Mijn gegevens downloaden read both tables whole)

Revision ID: 0022_personal_data_indexes
Revises: 0021_oversight
Create Date: 2026-12-07 01:45:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_personal_data_indexes"
down_revision = "0021_oversight"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_mails_to_address", ["to_address"], unique=False)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_uploaded_by", ["uploaded_by_id"], unique=False)


def downgrade():
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_uploaded_by")
    with op.batch_alter_table("outbox_mails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_mails_to_address")
