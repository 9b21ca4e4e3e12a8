"""Every table model, imported in one place so the metadata is complete (Alembic, tests)."""

from credit_service.audit.models import AuditCheckpoint, AuditEvent
from credit_service.auth.models import (
    ActivationCode,
    ApiToken,
    ChangeGeneration,
    PasswordHistory,
    SignInThrottle,
    User,
    WebSession,
)
from credit_service.catalogs.models import CatalogItemRow, CatalogVersion
from credit_service.db import metadata
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.entities.models import Entity
from credit_service.inspections.models import (
    InspectionItem,
    InspectionPlan,
    Inspector,
    InspectorConflict,
)
from credit_service.jobs.models import ImportJob, JobRun, SchedulerLease
from credit_service.notifications.models import Message, OutboundEmail
from credit_service.objections.models import Objection, ObjectionEvidence
from credit_service.procedures.models import DocumentSequence, ProcedureDocument, ProcedureStep
from credit_service.records.models import CreditRecord, CreditRecordRevision
from credit_service.repair.models import RepairApplication, RepairEvidence
from credit_service.reports.models import CreditReport
from credit_service.sync.models import (
    DeadLetter,
    OutboxEvent,
    PullState,
    QuarantinedRow,
    Reconciliation,
    Requeued,
    SyncBatch,
    SyncPosition,
)
from credit_service.tiers.models import (
    TierAssignment,
    TierChange,
    TierOverride,
    TierRuleSetVersion,
)

__all__ = [
    "ActivationCode",
    "ApiToken",
    "ChangeGeneration",
    "AuditCheckpoint",
    "AuditEvent",
    "CatalogItemRow",
    "CatalogVersion",
    "CreditRecord",
    "CreditRecordRevision",
    "CreditReport",
    "DishonestyCase",
    "DocumentSequence",
    "Entity",
    "ImportJob",
    "InspectionItem",
    "InspectionPlan",
    "Inspector",
    "InspectorConflict",
    "JobRun",
    "Message",
    "OutboundEmail",
    "Objection",
    "ObjectionEvidence",
    "SchedulerLease",
    "DeadLetter",
    "PullState",
    "QuarantinedRow",
    "Reconciliation",
    "Requeued",
    "SyncBatch",
    "SyncPosition",
    "ListChange",
    "OutboxEvent",
    "ProcedureDocument",
    "ProcedureStep",
    "PasswordHistory",
    "RepairApplication",
    "RepairEvidence",
    "SignInThrottle",
    "TierAssignment",
    "TierChange",
    "TierOverride",
    "TierRuleSetVersion",
    "User",
    "WebSession",
    "metadata",
]
