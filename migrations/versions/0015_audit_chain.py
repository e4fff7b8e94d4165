"""audit_events: client address, outcome and a hash chain; sealed events cannot change

Revision ID: 0015_audit_chain
Revises: 0014_account_security
Create Date: 2026-12-06 20:00:00.000000

Every event gets its place in the chain (seq), the previous event's hash and its own
(portal/audit/chain.py); the events already there are sealed here, in id order. The
chain's head is one row in audit_chain. Triggers refuse DELETE of an audit event and
UPDATE of a sealed one (the sealing itself, within the committing transaction, updates
a row whose hash is still empty), on SQLite and PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

from portal.audit.chain import GENESIS, event_hash

# revision identifiers, used by Alembic.
revision = "0015_audit_chain"
down_revision = "0014_account_security"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit events are append-only"

PG_FUNCTION = f"""
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.hash IS NOT NULL THEN
        RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _seal_existing(bind) -> None:
    events = sa.table(
        "audit_events", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
        sa.column("actor_id", sa.Integer), sa.column("object_type", sa.String),
        sa.column("object_id", sa.Integer), sa.column("action", sa.String),
        sa.column("from_state", sa.String), sa.column("to_state", sa.String),
        sa.column("detail", sa.Text), sa.column("ip_address", sa.String),
        sa.column("outcome", sa.String), sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    )
    prev, seq, last_id = GENESIS, 0, 0
    while True:
        rows = bind.execute(sa.select(events).where(events.c.id > last_id)
                            .order_by(events.c.id).limit(1000)).all()
        if not rows:
            break
        for row in rows:
            seq += 1
            digest = event_hash(seq=seq, prev_hash=prev, at=row.at, actor_id=row.actor_id,
                                object_type=row.object_type, object_id=row.object_id,
                                action=row.action, from_state=row.from_state,
                                to_state=row.to_state, detail=row.detail,
                                ip_address=row.ip_address, outcome=row.outcome)
            bind.execute(events.update().where(events.c.id == row.id)
                         .values(seq=seq, prev_hash=prev, hash=digest))
            prev = digest
        last_id = rows[-1].id
    chain = sa.table("audit_chain", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                     sa.column("last_hash", sa.String))
    bind.execute(chain.insert().values(id=1, seq=seq, last_hash=prev))


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=10), server_default="success",
                                      nullable=False))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_audit_events_seq"), ["seq"])
        batch_op.create_check_constraint(op.f("ck_audit_events_outcome"),
                                         "outcome IN ('success', 'failure')")
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    bind = op.get_bind()
    _seal_existing(bind)
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
        # Emptying the table at once would bypass the row triggers.
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    else:
        op.execute(f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        op.execute(f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   f"WHEN OLD.hash IS NOT NULL BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_events_outcome"), type_="check")
        batch_op.drop_constraint(op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("outcome")
        batch_op.drop_column("ip_address")
