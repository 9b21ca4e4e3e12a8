"""Every table model, imported in one place so the metadata is complete (Alembic, tests)."""

from credit_service.audit.models import AuditChainHead, AuditEvent
from credit_service.auth.models import (
    ActivationCode,
    ApiToken,
    PasswordHistory,
    User,
    WebSession,
)
from credit_service.catalogs.models import CatalogItemRow, CatalogVersion
from credit_service.db import metadata
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord, CreditRecordRevision

__all__ = [
    "ActivationCode",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "CatalogItemRow",
    "CatalogVersion",
    "CreditRecord",
    "CreditRecordRevision",
    "Entity",
    "PasswordHistory",
    "User",
    "WebSession",
    "metadata",
]
