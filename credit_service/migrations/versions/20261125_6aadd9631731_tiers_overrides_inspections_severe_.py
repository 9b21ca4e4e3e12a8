"""tiers, overrides, inspections, severe-dishonesty cases, sliding lockout

Revision ID: 6aadd9631731
Revises: 987fbb2055a5
Create Date: 2026-11-25 19:08:29.635304
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "6aadd9631731"
down_revision: str | None = "987fbb2055a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_sequences")),
        sa.UniqueConstraint("prefix", "year", name=op.f("uq_document_sequences_prefix_year")),
    )
    op.create_table(
        "inspectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("badge_no", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("office_region", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspectors")),
        sa.UniqueConstraint("badge_no", name=op.f("uq_inspectors_badge_no")),
    )
    op.create_table(
        "tier_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("applied_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_rule_sets")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_tier_rule_sets_content_hash")),
    )
    op.create_table(
        "dishonesty_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column(
            "grounds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "record_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("proposal_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("notice_no", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("notice_served_on", sa.Date(), nullable=True),
        sa.Column("statement_deadline", sa.Date(), nullable=True),
        sa.Column("statement_deadline_provisional", sa.Boolean(), nullable=False),
        sa.Column("statement_waived", sa.Boolean(), nullable=False),
        sa.Column("statement_received_on", sa.Date(), nullable=True),
        sa.Column("decision_no", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("publication_deadline", sa.Date(), nullable=True),
        sa.Column("publication_deadline_provisional", sa.Boolean(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("term_ends_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removal_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("removal_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column(
            "measures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_dishonesty_cases_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dishonesty_cases")),
    )
    with op.batch_alter_table("dishonesty_cases", schema=None) as batch_op:
        batch_op.create_index("ix_dishonesty_cases_entity", ["entity_id"], unique=False)
        batch_op.create_index(
            "ix_dishonesty_cases_published", ["state", "published_on"], unique=False
        )

    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("seed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("population_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["tier_rule_sets.id"],
            name=op.f("fk_inspection_plans_rule_set_id_tier_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
    )
    op.create_table(
        "inspector_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_inspector_conflicts_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"],
            ["inspectors.id"],
            name=op.f("fk_inspector_conflicts_inspector_id_inspectors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector_conflicts")),
        sa.UniqueConstraint(
            "inspector_id", "entity_id", name=op.f("uq_inspector_conflicts_inspector_id_entity_id")
        ),
    )
    with op.batch_alter_table("inspector_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspector_conflicts_inspector_id"), ["inspector_id"], unique=False
        )

    op.create_table(
        "tier_assignments",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("computed_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_tier_assignments_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["tier_rule_sets.id"],
            name=op.f("fk_tier_assignments_rule_set_id_tier_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_tier_assignments")),
    )
    with op.batch_alter_table("tier_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_tier_assignments_tier", ["tier"], unique=False)

    op.create_table(
        "tier_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("old_tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("new_tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_tier_changes_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["tier_rule_sets.id"],
            name=op.f("fk_tier_changes_rule_set_id_tier_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
    )
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tier_changes_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "tier_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_tier_overrides_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_overrides")),
    )
    with op.batch_alter_table("tier_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tier_overrides_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "dishonesty_case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("pdf_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["dishonesty_cases.id"],
            name=op.f("fk_dishonesty_case_documents_case_id_dishonesty_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dishonesty_case_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_dishonesty_case_documents_number")),
    )
    with op.batch_alter_table("dishonesty_case_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dishonesty_case_documents_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "dishonesty_case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state_after", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["dishonesty_cases.id"],
            name=op.f("fk_dishonesty_case_steps_case_id_dishonesty_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dishonesty_case_steps")),
    )
    with op.batch_alter_table("dishonesty_case_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dishonesty_case_steps_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "inspection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column(
            "inspector_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("result_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_inspection_items_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["inspection_plans.id"],
            name=op.f("fk_inspection_items_plan_id_inspection_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_records.id"],
            name=op.f("fk_inspection_items_record_id_credit_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_items")),
    )
    with op.batch_alter_table("inspection_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_items_plan_id"), ["plan_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "failure_times",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("first_failed_at")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "first_failed_at", credit_service.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_column("failure_times")

    with op.batch_alter_table("inspection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_items_plan_id"))

    op.drop_table("inspection_items")
    with op.batch_alter_table("dishonesty_case_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dishonesty_case_steps_case_id"))

    op.drop_table("dishonesty_case_steps")
    with op.batch_alter_table("dishonesty_case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dishonesty_case_documents_case_id"))

    op.drop_table("dishonesty_case_documents")
    with op.batch_alter_table("tier_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tier_overrides_entity_id"))

    op.drop_table("tier_overrides")
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tier_changes_entity_id"))

    op.drop_table("tier_changes")
    with op.batch_alter_table("tier_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_tier_assignments_tier")

    op.drop_table("tier_assignments")
    with op.batch_alter_table("inspector_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspector_conflicts_inspector_id"))

    op.drop_table("inspector_conflicts")
    op.drop_table("inspection_plans")
    with op.batch_alter_table("dishonesty_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_dishonesty_cases_published")
        batch_op.drop_index("ix_dishonesty_cases_entity")

    op.drop_table("dishonesty_cases")
    op.drop_table("tier_rule_sets")
    op.drop_table("inspectors")
    op.drop_table("document_sequences")
