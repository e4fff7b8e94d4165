"""referrers (verwijzers): the user role REFERRER and users.affiliation

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000

The role is stored by its name. On PostgreSQL user_role is a native enum type, which gets
the new value; on SQLite the column is a plain VARCHAR(8) without a CHECK constraint
(SQLAlchemy's Enum does not create one), and 'REFERRER' fits in it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # ADD VALUE may not be used in the transaction that adds it (and not at all in a
        # transaction block before PostgreSQL 12): run it on its own.
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE user_role ADD VALUE IF NOT EXISTS 'REFERRER'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("affiliation", sa.String(length=200), nullable=True))


def downgrade():
    bind = op.get_bind()
    referrers = bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'REFERRER'")).scalar()
    if referrers:
        raise RuntimeError(
            f"{referrers} referrer account(s) exist; delete or convert them before downgrading below 0009"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("affiliation")
    if bind.dialect.name == "postgresql":
        # PostgreSQL cannot drop an enum value: make the type again without it (the CHECK
        # constraint on the role is bound to the old type, so it is made again too).
        op.execute("ALTER TABLE users DROP CONSTRAINT ck_users_provider_has_organisation")
        op.execute("ALTER TYPE user_role RENAME TO user_role_0009")
        op.execute("CREATE TYPE user_role AS ENUM ('PROVIDER', 'ASSESSOR', 'ADMIN')")
        op.execute("ALTER TABLE users ALTER COLUMN role TYPE user_role USING role::text::user_role")
        op.execute("DROP TYPE user_role_0009")
        op.execute(
            "ALTER TABLE users ADD CONSTRAINT ck_users_provider_has_organisation CHECK "
            "((role = 'PROVIDER' AND organisation_id IS NOT NULL AND org_role IS NOT NULL) "
            "OR (role <> 'PROVIDER' AND organisation_id IS NULL))"
        )
