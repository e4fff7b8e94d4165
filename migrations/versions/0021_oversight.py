"""verantwoordingsdialogen with their action points; investigations (toezicht) with their
findings and the measure taken (linked to a suspension or the planned end of an admission)

Revision ID: 0021_oversight
Revises: 0020_monitoring
Create Date: 2026-12-06 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_oversight"
down_revision = "0020_monitoring"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dialogues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("meeting_time", sa.Time(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("reporting_round_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("minutes_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("minutes_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("partner_remark", sa.Text(), nullable=True),
        sa.Column("partner_remark_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_dialogues_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_dialogues_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["minutes_recorded_by_id"], ["users.id"], name=op.f("fk_dialogues_minutes_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_dialogues_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["reporting_round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_dialogues_reporting_round_id_reporting_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogues")),
    )
    op.create_index(op.f("ix_dialogues_confirmed_by_id"), "dialogues", ["confirmed_by_id"], unique=False)
    op.create_index(op.f("ix_dialogues_created_by_id"), "dialogues", ["created_by_id"], unique=False)
    op.create_index("ix_dialogues_meeting_date", "dialogues", ["meeting_date", "id"], unique=False)
    op.create_index(
        op.f("ix_dialogues_minutes_recorded_by_id"), "dialogues", ["minutes_recorded_by_id"], unique=False
    )
    op.create_index(
        "ix_dialogues_organisation_date", "dialogues", ["organisation_id", "meeting_date"], unique=False
    )
    op.create_index(
        op.f("ix_dialogues_reporting_round_id"), "dialogues", ["reporting_round_id"], unique=False
    )
    op.create_table(
        "action_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "owner_side",
            sa.Enum("regio", "partner", name="ownerside", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "gereed", "vervallen", name="actionstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("overdue_mailed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_action_points_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_action_points_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dialogue_id"], ["dialogues.id"], name=op.f("fk_action_points_dialogue_id_dialogues")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_action_points_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_points")),
    )
    op.create_index(op.f("ix_action_points_closed_by_id"), "action_points", ["closed_by_id"], unique=False)
    op.create_index(op.f("ix_action_points_created_by_id"), "action_points", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_action_points_dialogue_id"), "action_points", ["dialogue_id"], unique=False)
    op.create_index(
        "ix_action_points_organisation_status",
        "action_points",
        ["organisation_id", "status", "due_on"],
        unique=False,
    )
    op.create_index("ix_action_points_status_due", "action_points", ["status", "due_on"], unique=False)
    op.create_table(
        "investigations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "signaal",
                "klacht",
                "calamiteit",
                "periodiek",
                name="investigationreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("internal_notes", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "gesloten", name="investigationstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "measure",
            sa.Enum(
                "geen",
                "verbeterplan",
                "schorsing",
                "beeindiging",
                name="measure",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("measure_note", sa.Text(), nullable=True),
        sa.Column("measure_at", sa.DateTime(), nullable=True),
        sa.Column("plan_deadline", sa.Date(), nullable=True),
        sa.Column("admission_id", sa.Integer(), nullable=True),
        sa.Column("suspension_id", sa.Integer(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "measure <> 'verbeterplan' OR plan_deadline IS NOT NULL",
            name=op.f("ck_investigations_plan_has_deadline"),
        ),
        sa.ForeignKeyConstraint(
            ["admission_id"], ["admissions.id"], name=op.f("fk_investigations_admission_id_admissions")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_investigations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_investigations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["suspension_id"], ["suspensions.id"], name=op.f("fk_investigations_suspension_id_suspensions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
    )
    op.create_index(op.f("ix_investigations_admission_id"), "investigations", ["admission_id"], unique=False)
    op.create_index(
        op.f("ix_investigations_created_by_id"), "investigations", ["created_by_id"], unique=False
    )
    op.create_index(
        "ix_investigations_organisation", "investigations", ["organisation_id", "started_on"], unique=False
    )
    op.create_index(
        "ix_investigations_status", "investigations", ["status", "started_on", "id"], unique=False
    )
    op.create_index(
        op.f("ix_investigations_suspension_id"), "investigations", ["suspension_id"], unique=False
    )
    op.create_table(
        "investigation_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column(
            "judgement",
            sa.Enum(
                "voldoet", "verbetering_nodig", "voldoet_niet", name="judgement", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_investigation_findings_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_investigation_findings_indicator_id_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_investigation_findings_investigation_id_investigations"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_investigation_findings_requirement_id_requirements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigation_findings")),
    )
    op.create_index(
        op.f("ix_investigation_findings_created_by_id"),
        "investigation_findings",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_investigation_findings_indicator_id"),
        "investigation_findings",
        ["indicator_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_investigation_findings_investigation_id"),
        "investigation_findings",
        ["investigation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_investigation_findings_requirement_id"),
        "investigation_findings",
        ["requirement_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_investigation_findings_requirement_id"), table_name="investigation_findings")
    op.drop_index(op.f("ix_investigation_findings_investigation_id"), table_name="investigation_findings")
    op.drop_index(op.f("ix_investigation_findings_indicator_id"), table_name="investigation_findings")
    op.drop_index(op.f("ix_investigation_findings_created_by_id"), table_name="investigation_findings")
    op.drop_table("investigation_findings")
    op.drop_index(op.f("ix_investigations_suspension_id"), table_name="investigations")
    op.drop_index("ix_investigations_status", table_name="investigations")
    op.drop_index("ix_investigations_organisation", table_name="investigations")
    op.drop_index(op.f("ix_investigations_created_by_id"), table_name="investigations")
    op.drop_index(op.f("ix_investigations_admission_id"), table_name="investigations")
    op.drop_table("investigations")
    op.drop_index("ix_action_points_status_due", table_name="action_points")
    op.drop_index("ix_action_points_organisation_status", table_name="action_points")
    op.drop_index(op.f("ix_action_points_dialogue_id"), table_name="action_points")
    op.drop_index(op.f("ix_action_points_created_by_id"), table_name="action_points")
    op.drop_index(op.f("ix_action_points_closed_by_id"), table_name="action_points")
    op.drop_table("action_points")
    op.drop_index(op.f("ix_dialogues_reporting_round_id"), table_name="dialogues")
    op.drop_index("ix_dialogues_organisation_date", table_name="dialogues")
    op.drop_index(op.f("ix_dialogues_minutes_recorded_by_id"), table_name="dialogues")
    op.drop_index("ix_dialogues_meeting_date", table_name="dialogues")
    op.drop_index(op.f("ix_dialogues_created_by_id"), table_name="dialogues")
    op.drop_index(op.f("ix_dialogues_confirmed_by_id"), table_name="dialogues")
    op.drop_table("dialogues")
