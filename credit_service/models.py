"""Every table model, imported in one place so the metadata is complete (Alembic, tests)."""

from credit_service.audit.models import AuditChainHead, AuditEvent
from credit_service.auth.models import ApiToken, User
from credit_service.catalogs.models import CatalogItemRow, CatalogVersion
from credit_service.db import metadata
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord, CreditRecordRevision

__all__ = [
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "CatalogItemRow",
    "CatalogVersion",
    "CreditRecord",
    "CreditRecordRevision",
    "Entity",
    "User",
    "metadata",
]
