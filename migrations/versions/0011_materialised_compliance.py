"""organisations.evidence_valid_until: the earliest validity date of a partner's evidence

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:00:00.000000

"Niet compliant" (a current tracked document has expired) was a correlated EXISTS over
answers, applications, documents and evidence reviews for every organisation in the
list of partners: a full scan per request. The earliest validity date of the current
tracked documents is now kept on the organisation (portal.partners.compliance.
refresh_evidence_date), so that "niet compliant" is a range condition on a partial index
(organisations without tracked evidence, NULL, stay out of it). The column is filled here
for the existing rows with the same rule as compliance.tracked_rows. "Has this document
been replaced?" gets an index of its own.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def fill_evidence_dates(bind) -> None:
    """Set organisations.evidence_valid_until for every organisation: the smallest validity
    date of (a) the documents of answers of its decided applications (the document's date,
    else the answer's) and (b) the new documents of its accepted replacements, leaving out
    every document an accepted replacement has superseded (see compliance.tracked_rows).
    Written without the application's models, so that it keeps meaning what it meant here;
    tests/test_partners_compliance.py checks it against tracked_rows."""
    orgs = sa.table("organisations", sa.column("id"), sa.column("evidence_valid_until"))
    apps = sa.table("applications", sa.column("id"), sa.column("organisation_id"), sa.column("status"))
    answers = sa.table(
        "answers", sa.column("application_id"), sa.column("document_id"), sa.column("evidence_valid_until")
    )
    docs = sa.table("documents", sa.column("id"), sa.column("valid_until"))
    reviews = sa.table(
        "evidence_reviews",
        sa.column("organisation_id"),
        sa.column("document_id"),
        sa.column("replaces_document_id"),
        sa.column("status"),
    )

    # Literals, not parameters: on PostgreSQL applications.status is an enum type.
    decided, accepted = sa.literal_column("'BESLOTEN'"), sa.literal_column("'accepted'")

    def not_superseded(document_id):
        later = reviews.alias("later")
        return ~sa.exists().where(later.c.replaces_document_id == document_id, later.c.status == accepted)

    original = (
        sa.select(sa.func.coalesce(docs.c.valid_until, answers.c.evidence_valid_until).label("until"))
        .select_from(
            answers.join(apps, apps.c.id == answers.c.application_id).join(
                docs, docs.c.id == answers.c.document_id
            )
        )
        .where(apps.c.organisation_id == orgs.c.id, apps.c.status == decided, not_superseded(docs.c.id))
        .correlate(orgs)
    )
    replacement = (
        sa.select(docs.c.valid_until.label("until"))
        .select_from(reviews.join(docs, docs.c.id == reviews.c.document_id))
        .where(
            reviews.c.organisation_id == orgs.c.id, reviews.c.status == accepted, not_superseded(docs.c.id)
        )
        .correlate(orgs)
    )
    tracked = sa.union_all(original, replacement).subquery("tracked")
    earliest = sa.select(sa.func.min(tracked.c.until)).scalar_subquery()
    bind.execute(sa.update(orgs).values(evidence_valid_until=earliest))


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_valid_until", sa.Date(), nullable=True))
    fill_evidence_dates(op.get_bind())
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organisations_evidence_valid_until",
            ["evidence_valid_until"],
            unique=False,
            sqlite_where=sa.text("evidence_valid_until IS NOT NULL"),
            postgresql_where=sa.text("evidence_valid_until IS NOT NULL"),
        )
    with op.batch_alter_table("evidence_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_reviews_replaces", ["replaces_document_id", "status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("evidence_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_reviews_replaces")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index("ix_organisations_evidence_valid_until")
        batch_op.drop_column("evidence_valid_until")
