"""Administration: accounts, API tokens and the audit trail (admins; auditors read the trail)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.access import ROLES
from credit_service.audit import sealing, verification
from credit_service.audit import services as audit
from credit_service.auth import accounts, tokens
from credit_service.auth import services as auth_services
from credit_service.web.access import allow, current_actor
from credit_service.web.api.common import (
    USCC,
    Blueprint,
    DomainDateTime,
    csv_response,
    id_field,
    service_context,
)
from credit_service.web.error_text import request_language
from credit_service.web.i18n import translate

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Accounts, tokens and the audit trail",
)
ADMIN_SCOPES = ("admin",)
AUDIT_SCOPES = ("admin", "audit")


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.String()
    region_code = ma.fields.String(allow_none=True)
    uscc = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean()
    binding_status = ma.fields.String()
    locked_until = ma.fields.DateTime(allow_none=True)
    password_changed_at = ma.fields.DateTime(allow_none=True)


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9_.@-]{3,64}$")
    )
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    region_code = ma.fields.String(validate=ma.validate.Length(equal=6))
    uscc = ma.fields.String(validate=ma.validate.Length(max=40), metadata=USCC)
    password = ma.fields.String(
        validate=ma.validate.Length(max=128), metadata={"description": "Omit for machine clients"}
    )


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    name = ma.fields.String()
    prefix = ma.fields.String()
    scopes = ma.fields.List(ma.fields.String())
    created_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)
    last_used_at = ma.fields.DateTime(allow_none=True)


class TokenCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(sorted(auth_services.ALL_SCOPES)))
    )
    days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=730))


class IssuedTokenSchema(ma.Schema):
    token = ma.fields.String(metadata={"description": "Shown once; only its hash is kept"})
    id = ma.fields.Integer()
    scopes = ma.fields.List(ma.fields.String())
    expires_at = ma.fields.DateTime()


class AuditQueryArgsSchema(ma.Schema):
    actor = ma.fields.String(validate=ma.validate.Length(max=100))
    action = ma.fields.String(validate=ma.validate.Length(max=64))
    object_type = ma.fields.String(validate=ma.validate.Length(max=40))
    object_id = ma.fields.String(validate=ma.validate.Length(max=100))
    request_id = ma.fields.String(
        validate=ma.validate.Length(max=64),
        metadata={"description": "The X-Request-ID of the request (or job-…, cli-…) that wrote it"},
    )
    since = DomainDateTime(metadata={"description": "From (inclusive), with zone"})
    until = DomainDateTime(metadata={"description": "Until (exclusive), with zone"})


class AuditPageArgsSchema(AuditQueryArgsSchema):
    after_id = id_field(minimum=0)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    seq = ma.fields.Integer(
        allow_none=True, metadata={"description": "Place in the sealed log; null until sealed"}
    )
    occurred_at = ma.fields.DateTime()
    actor = ma.fields.String()
    role = ma.fields.String()
    source_ip = ma.fields.String(allow_none=True)
    action = ma.fields.String()
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    outcome = ma.fields.String()
    details = ma.fields.Dict()
    request_id = ma.fields.String(allow_none=True)
    chain_hash = ma.fields.String(allow_none=True)


class AuditPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEventSchema))
    next_after_id = ma.fields.Integer(allow_none=True)


class FindingSchema(ma.Schema):
    problem = ma.fields.String(metadata={"description": "Code; its words are in `message`"})
    message = ma.fields.String()
    seq = ma.fields.Integer(allow_none=True)
    id = ma.fields.Integer(allow_none=True)
    params = ma.fields.Dict()


class VerificationSchema(ma.Schema):
    ok = ma.fields.Boolean()
    checked = ma.fields.Integer()
    checkpoints = ma.fields.Integer()
    witnessed = ma.fields.Integer(metadata={"description": "Checkpoint copies compared"})
    unsealed = ma.fields.Integer(metadata={"description": "Rows awaiting their seal"})
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))


class SealSchema(ma.Schema):
    rows = ma.fields.Integer()
    size = ma.fields.Integer()
    head = ma.fields.String()


@bp.route("/users")
class Users(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, UserSchema(many=True))
    def get(self):
        """List accounts."""
        return accounts.list_users(service_context(), current_actor())

    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.arguments(UserCreateSchema)
    @bp.response(201, UserSchema)
    def post(self, data):
        """Create an account (the password must meet the configured policy)."""
        user = auth_services.create_user(
            service_context(), current_actor(), display_name=data.pop("display_name"), **data
        )
        return auth_services.user_view(user)


@bp.route("/users/<string:username>/disable")
class DisableUser(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, UserSchema)
    def post(self, username: str):
        """Disable an account: its sessions end and its tokens stop at the next request
        (409 last-admin for the last active administrator)."""
        return accounts.set_active(service_context(), current_actor(), username, active=False)


@bp.route("/users/<string:username>/enable")
class EnableUser(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, UserSchema)
    def post(self, username: str):
        """Enable an account again."""
        return accounts.set_active(service_context(), current_actor(), username, active=True)


@bp.route("/users/<string:username>/unlock")
class UnlockUser(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, UserSchema)
    def post(self, username: str):
        """Lift the account's sign-in locks, for every source, before their time."""
        return accounts.unlock(service_context(), current_actor(), username)


@bp.route("/tokens")
class Tokens(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, TokenSchema(many=True))
    def get(self):
        """List API tokens (never their secrets)."""
        return accounts.list_tokens(service_context())

    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.arguments(TokenCreateSchema)
    @bp.response(201, IssuedTokenSchema)
    def post(self, data):
        """Issue a token for a user or machine client; the secret is in this answer only
        (409 account-disabled or binding-pending for an account that may not act)."""
        issued = tokens.create_token(service_context(), current_actor(), **data)
        return {
            "token": issued.secret,
            "id": issued.token_id,
            "scopes": issued.scopes,
            "expires_at": issued.expires_at,
        }


@bp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(204)
    def delete(self, token_id: int):
        """Revoke a token at once."""
        tokens.revoke_token(service_context(), current_actor(), token_id)


@bp.route("/audit")
class AuditEvents(MethodView):
    @allow("admin", "auditor", scopes=AUDIT_SCOPES)
    @bp.arguments(AuditPageArgsSchema, location="query")
    @bp.response(200, AuditPageSchema)
    def get(self, args):
        """Search the audit trail (oldest first; page with next_after_id)."""
        limit = args.pop("limit")
        with service_context().read_session_factory() as session:
            events = audit.query_events(session, limit=limit + 1, **args)
        more = len(events) > limit
        events = events[:limit]
        return {"items": events, "next_after_id": events[-1].id if more else None}


@bp.route("/audit/export.csv")
class AuditExport(MethodView):
    @allow("admin", "auditor", scopes=AUDIT_SCOPES)
    @bp.arguments(AuditQueryArgsSchema, location="query")
    @bp.response(200, description="CSV (UTF-8 with BOM), streamed")
    def get(self, args):
        """Export the matching audit events as CSV; the export itself is audited."""
        ctx = service_context()
        audit.append_alone(
            ctx.session_factory,
            actor=current_actor(),
            action="audit.export",
            now=ctx.now(),
            object_type="audit",
            details={k: str(v) for k, v in args.items()},
        )
        rows = audit.export_rows(ctx.read_session_factory, **args)
        return csv_response("audit.csv", audit.EXPORT_COLUMNS, rows)


@bp.route("/audit/verify")
class AuditVerify(MethodView):
    @allow("admin", "auditor", scopes=AUDIT_SCOPES)
    @bp.response(200, VerificationSchema)
    def get(self):
        """Verify the audit log against its signed checkpoints and their copies, naming
        each row that was altered, inserted, deleted or re-hashed."""
        result = verification.verify_log(service_context())
        language = request_language(page=False)
        findings = [
            {**vars(f), "message": translate(f"error.{f.problem}", language, **f.params)}
            for f in result.findings
        ]
        return {**vars(result), "ok": result.ok, "findings": findings}


@bp.route("/audit/seal")
class AuditSeal(MethodView):
    @allow("admin", scopes=ADMIN_SCOPES)
    @bp.response(200, SealSchema)
    def post(self):
        """Seal the rows written since the last seal and sign a checkpoint now (the
        scheduler does it every AUDIT_SEAL_SECONDS); the request itself is audited."""
        ctx = service_context()
        sealed = sealing.seal_log(ctx)
        audit.append_alone(
            ctx.session_factory,
            actor=current_actor(),
            action="audit.seal",
            now=ctx.now(),
            object_type="audit",
            details={"rows": sealed.rows, "size": sealed.size},
        )
        return sealed
