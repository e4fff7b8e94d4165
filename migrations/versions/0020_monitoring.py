"""the information set (indicators, versioned), reporting rounds and the partners' reports

Revision ID: 0020_monitoring
Revises: 0019_tariff_products
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_monitoring"
down_revision = "0019_tariff_products"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "indicator_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_indicator_sets_procedure_id_procedures")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_indicator_sets_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_sets")),
        sa.UniqueConstraint("procedure_id", "number", name=op.f("uq_indicator_sets_procedure_id")),
    )
    op.create_index(op.f("ix_indicator_sets_procedure_id"), "indicator_sets", ["procedure_id"], unique=False)
    op.create_index(
        op.f("ix_indicator_sets_published_by_id"), "indicator_sets", ["published_by_id"], unique=False
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "aantal", "percentage", "dagen", "score", "bedrag", name="unit", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "direction",
            sa.Enum("hoger", "lager", name="direction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "frequency",
            sa.Enum("kwartaal", "jaar", name="frequency", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("plausible_min", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("plausible_max", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "plausible_min IS NULL OR plausible_max IS NULL OR plausible_min <= plausible_max",
            name=op.f("ck_indicators_plausible_order"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_indicators_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_sets.id"], name=op.f("fk_indicators_set_id_indicator_sets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("set_id", "code", name=op.f("uq_indicators_set_id")),
    )
    op.create_index(op.f("ix_indicators_category_id"), "indicators", ["category_id"], unique=False)
    op.create_index(op.f("ix_indicators_set_id"), "indicators", ["set_id"], unique=False)
    op.create_table(
        "reporting_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_reporting_rounds_period_order")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_reporting_rounds_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_reporting_rounds_opened_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedures.id"], name=op.f("fk_reporting_rounds_procedure_id_procedures")
        ),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_sets.id"], name=op.f("fk_reporting_rounds_set_id_indicator_sets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_rounds")),
        sa.UniqueConstraint("procedure_id", "label", name=op.f("uq_reporting_rounds_procedure_id")),
    )
    op.create_index(
        op.f("ix_reporting_rounds_closed_by_id"), "reporting_rounds", ["closed_by_id"], unique=False
    )
    op.create_index(
        "ix_reporting_rounds_open_deadline", "reporting_rounds", ["closed_at", "deadline"], unique=False
    )
    op.create_index(
        op.f("ix_reporting_rounds_opened_by_id"), "reporting_rounds", ["opened_by_id"], unique=False
    )
    op.create_index(
        op.f("ix_reporting_rounds_procedure_id"), "reporting_rounds", ["procedure_id"], unique=False
    )
    op.create_index(op.f("ix_reporting_rounds_set_id"), "reporting_rounds", ["set_id"], unique=False)
    op.create_table(
        "indicator_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_indicator_reports_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_indicator_reports_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["indicator_reports.id"],
            name=op.f("fk_indicator_reports_replaces_id_indicator_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["reporting_rounds.id"], name=op.f("fk_indicator_reports_round_id_reporting_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_sets.id"], name=op.f("fk_indicator_reports_set_id_indicator_sets")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_indicator_reports_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_reports")),
        sa.UniqueConstraint(
            "round_id", "organisation_id", "category_id", "number", name=op.f("uq_indicator_reports_round_id")
        ),
    )
    op.create_index(
        op.f("ix_indicator_reports_category_id"), "indicator_reports", ["category_id"], unique=False
    )
    op.create_index(
        "ix_indicator_reports_org_current",
        "indicator_reports",
        ["organisation_id", "is_current"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicator_reports_replaces_id"), "indicator_reports", ["replaces_id"], unique=False
    )
    op.create_index(op.f("ix_indicator_reports_round_id"), "indicator_reports", ["round_id"], unique=False)
    op.create_index(op.f("ix_indicator_reports_set_id"), "indicator_reports", ["set_id"], unique=False)
    op.create_index(
        op.f("ix_indicator_reports_submitted_by_id"), "indicator_reports", ["submitted_by_id"], unique=False
    )
    op.create_index(
        "uq_indicator_reports_current",
        "indicator_reports",
        ["round_id", "organisation_id", "category_id"],
        unique=True,
        sqlite_where=sa.text("is_current = 1"),
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "reporting_round_categories",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_reporting_round_categories_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_reporting_round_categories_round_id_reporting_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "category_id", name=op.f("pk_reporting_round_categories")),
    )
    op.create_index(
        op.f("ix_reporting_round_categories_category_id"),
        "reporting_round_categories",
        ["category_id"],
        unique=False,
    )
    op.create_table(
        "round_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("reminder_before_at", sa.DateTime(), nullable=True),
        sa.Column("reminder_after_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_round_participants_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_round_participants_round_id_reporting_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_participants")),
        sa.UniqueConstraint("round_id", "organisation_id", name=op.f("uq_round_participants_round_id")),
    )
    op.create_index(
        op.f("ix_round_participants_organisation_id"), "round_participants", ["organisation_id"], unique=False
    )
    op.create_table(
        "round_participant_categories",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_round_participant_categories_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["round_participants.id"],
            name=op.f("fk_round_participant_categories_participant_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "category_id",
                                name=op.f("pk_round_participant_categories")),
    )
    op.create_index(
        op.f("ix_round_participant_categories_category_id"),
        "round_participant_categories",
        ["category_id"],
        unique=False,
    )
    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_indicator_values_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["indicator_reports.id"],
            name=op.f("fk_indicator_values_report_id_indicator_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint("report_id", "indicator_id", name=op.f("uq_indicator_values_report_id")),
    )
    op.create_index(
        op.f("ix_indicator_values_indicator_id"), "indicator_values", ["indicator_id"], unique=False
    )
    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_report_attachments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["indicator_reports.id"],
            name=op.f("fk_report_attachments_report_id_indicator_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachments")),
    )
    op.create_index(
        op.f("ix_report_attachments_document_id"), "report_attachments", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_report_attachments_report_id"), "report_attachments", ["report_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_report_attachments_report_id"), table_name="report_attachments")
    op.drop_index(op.f("ix_report_attachments_document_id"), table_name="report_attachments")
    op.drop_table("report_attachments")
    op.drop_index(op.f("ix_indicator_values_indicator_id"), table_name="indicator_values")
    op.drop_table("indicator_values")
    op.drop_index(op.f("ix_round_participants_organisation_id"), table_name="round_participants")
    op.drop_table("round_participants")
    op.drop_index(op.f("ix_reporting_round_categories_category_id"), table_name="reporting_round_categories")
    op.drop_table("reporting_round_categories")
    op.drop_index(
        "uq_indicator_reports_current",
        table_name="indicator_reports",
        sqlite_where=sa.text("is_current = 1"),
        postgresql_where=sa.text("is_current"),
    )
    op.drop_index(op.f("ix_indicator_reports_submitted_by_id"), table_name="indicator_reports")
    op.drop_index(op.f("ix_indicator_reports_set_id"), table_name="indicator_reports")
    op.drop_index(op.f("ix_indicator_reports_round_id"), table_name="indicator_reports")
    op.drop_index(op.f("ix_indicator_reports_replaces_id"), table_name="indicator_reports")
    op.drop_index("ix_indicator_reports_org_current", table_name="indicator_reports")
    op.drop_index(op.f("ix_indicator_reports_category_id"), table_name="indicator_reports")
    op.drop_table("indicator_reports")
    op.drop_index(op.f("ix_reporting_rounds_set_id"), table_name="reporting_rounds")
    op.drop_index(op.f("ix_reporting_rounds_procedure_id"), table_name="reporting_rounds")
    op.drop_index(op.f("ix_reporting_rounds_opened_by_id"), table_name="reporting_rounds")
    op.drop_index("ix_reporting_rounds_open_deadline", table_name="reporting_rounds")
    op.drop_index(op.f("ix_reporting_rounds_closed_by_id"), table_name="reporting_rounds")
    op.drop_table("reporting_rounds")
    op.drop_index(op.f("ix_indicators_set_id"), table_name="indicators")
    op.drop_index(op.f("ix_indicators_category_id"), table_name="indicators")
    op.drop_table("indicators")
    op.drop_index(op.f("ix_indicator_sets_published_by_id"), table_name="indicator_sets")
    op.drop_index(op.f("ix_indicator_sets_procedure_id"), table_name="indicator_sets")
    op.drop_table("indicator_sets")
