"""foundation: catalogs, entities, records, users, tokens, audit

Revision ID: 4d974a180cdd
Revises:
Create Date: 2026-11-25 18:07:53.753514
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "4d974a180cdd"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purged_through_seq", sa.Integer(), nullable=False),
        sa.Column(
            "purged_through_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The chain's single head row exists from the start, so appenders only ever lock it.
    op.bulk_insert(
        sa.table(
            "audit_chain_head",
            sa.column("id", sa.Integer()),
            sa.column("last_seq", sa.Integer()),
            sa.column("last_hash", sa.String()),
            sa.column("purged_through_seq", sa.Integer()),
            sa.column("purged_through_hash", sa.String()),
        ),
        [
            {
                "id": 1,
                "last_seq": 0,
                "last_hash": "0" * 64,
                "purged_through_seq": 0,
                "purged_through_hash": "0" * 64,
            }
        ],
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("source_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events_seq")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor"), ["actor"], unique=False)
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("edition", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("loaded_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint(
            "domain", "content_hash", name=op.f("uq_catalog_versions_domain_content_hash")
        ),
    )
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_versions_domain"), ["domain"], unique=False)

    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("identifier", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "former_names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("industry", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column(
            "legal_representative", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("agency_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("agency_licence_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("identifier", name=op.f("uq_entities_identifier")),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entities_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_entities_region_code"), ["region_code"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_uscc"), ["uscc"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_tokens_prefix")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "catalog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("record_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("disclosure", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("repairable", sa.Boolean(), nullable=False),
        sa.Column("heavier_penalty", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_items_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_catalog_items_version_id_code")),
    )
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_items_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_items_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("catalog_item_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("heavier_penalty", sa.Boolean(), nullable=False),
        sa.Column("disclosure", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("source_authority", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("publicity_end", sa.Date(), nullable=True),
        sa.Column("repair_from", sa.Date(), nullable=True),
        sa.Column("retention_end", sa.Date(), nullable=True),
        sa.Column("early_stop_allowed", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("status_changed_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("revision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filed_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalog_item_id"],
            ["catalog_items.id"],
            name=op.f("fk_credit_records_catalog_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_credit_records_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
        sa.UniqueConstraint(
            "source_authority",
            "source_ref",
            name=op.f("uq_credit_records_source_authority_source_ref"),
        ),
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_records_entity_status", ["entity_id", "status"], unique=False
        )
        batch_op.create_index("ix_credit_records_publicity_end", ["publicity_end"], unique=False)

    op.create_table(
        "credit_record_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("catalog_item_id", sa.Integer(), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("publicity_end", sa.Date(), nullable=True),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("made_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("made_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalog_item_id"],
            ["catalog_items.id"],
            name=op.f("fk_credit_record_revisions_catalog_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_records.id"],
            name=op.f("fk_credit_record_revisions_record_id_credit_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_record_revisions")),
        sa.UniqueConstraint(
            "record_id", "revision", name=op.f("uq_credit_record_revisions_record_id_revision")
        ),
    )
    with op.batch_alter_table("credit_record_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_record_revisions_record_id"), ["record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_record_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_record_revisions_record_id"))

    op.drop_table("credit_record_revisions")
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_records_publicity_end")
        batch_op.drop_index("ix_credit_records_entity_status")

    op.drop_table("credit_records")
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_items_version_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_items_code"))

    op.drop_table("catalog_items")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_uscc"))

    op.drop_table("users")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_region_code"))
        batch_op.drop_index(batch_op.f("ix_entities_name"))

    op.drop_table("entities")
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_versions_domain"))

    op.drop_table("catalog_versions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index("ix_audit_events_object")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("audit_chain_head")
