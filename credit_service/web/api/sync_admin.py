"""Sync and job health for admins: platforms, dead letters, quarantine, job runs."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.sync import services
from credit_service.sync.platforms import load_platforms
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import Blueprint, service_context

bp = Blueprint(
    "sync_admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Provincial sync and scheduled jobs",
)
ADMIN = {"scopes": ("admin",)}


class ReconciliationSchema(ma.Schema):
    day = ma.fields.Date()
    matches = ma.fields.Boolean()
    local_count = ma.fields.Integer()
    remote_count = ma.fields.Integer(allow_none=True)


class PlatformStatusSchema(ma.Schema):
    platform = ma.fields.String()
    name = ma.fields.String()
    direction = ma.fields.String()
    last_push_success_at = ma.fields.DateTime(allow_none=True)
    last_push_error = ma.fields.String(allow_none=True)
    consecutive_failures = ma.fields.Integer()
    pending = ma.fields.Integer()
    oldest_pending_age_seconds = ma.fields.Float()
    unconfirmed_overdue = ma.fields.Integer(
        metadata={
            "description": "events (pending or refused) not confirmed within "
            "SYNC_CONFIRM_WORKDAYS working days of occurring (D11)"
        }
    )
    in_flight_attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    dead_letters = ma.fields.Integer()
    quarantined = ma.fields.Integer()
    last_pull_success_at = ma.fields.DateTime(allow_none=True)
    last_pull_error = ma.fields.String(allow_none=True)
    last_reconciliation = ma.fields.Nested(ReconciliationSchema, allow_none=True)


class DeadLetterSchema(ma.Schema):
    id = ma.fields.Integer()
    platform = ma.fields.String()
    event_id = ma.fields.String()
    event_type = ma.fields.String()
    subject = ma.fields.String()
    reason = ma.fields.String()
    at = ma.fields.DateTime()


class QuarantineSchema(ma.Schema):
    id = ma.fields.Integer()
    platform = ma.fields.String()
    change_id = ma.fields.String()
    reason = ma.fields.String()
    row = ma.fields.Dict()
    received_at = ma.fields.DateTime()


class JobRunSchema(ma.Schema):
    job_id = ma.fields.String()
    scheduled_for = ma.fields.DateTime()
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    outcome = ma.fields.String()
    detail = ma.fields.String(allow_none=True)
    host = ma.fields.String()
    request_id = ma.fields.String(
        metadata={"description": "In the run's log lines, audit rows and outbox events"}
    )


@bp.route("/sync")
class SyncStatus(MethodView):
    @allow("admin", **ADMIN)
    @bp.response(200, PlatformStatusSchema(many=True))
    def get(self):
        """Per platform: last success, pending events and their age, dead letters,
        quarantined rows, last reconciliation."""
        ctx = service_context()
        return services.sync_status(ctx, load_platforms(ctx.settings.sync_platforms_file))


@bp.route("/sync/dead-letters")
class DeadLetters(MethodView):
    @allow("admin", **ADMIN)
    @bp.response(200, DeadLetterSchema(many=True))
    def get(self):
        """Events a platform refused for good, with the reason."""
        return services.list_dead_letters(service_context())


@bp.route("/sync/dead-letters/<int:dead_letter_id>/requeue")
class Requeue(MethodView):
    @allow("admin", **ADMIN)
    @bp.response(204)
    def post(self, dead_letter_id: int):
        """Send a refused event again (after its cause was corrected)."""
        services.requeue_dead_letter(service_context(), current_actor(), dead_letter_id)


@bp.route("/sync/quarantine")
class Quarantine(MethodView):
    @allow("admin", **ADMIN)
    @bp.response(200, QuarantineSchema(many=True))
    def get(self):
        """Pulled rows that could not be filed, with the reason."""
        return services.list_quarantine(service_context())


@bp.route("/jobs")
class Jobs(MethodView):
    @allow("admin", **ADMIN)
    @bp.response(200, JobRunSchema(many=True))
    def get(self):
        """Recent runs of the scheduled jobs: when, where, outcome, error."""
        return services.recent_job_runs(service_context())
