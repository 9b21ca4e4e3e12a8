"""Accounts: who am I, password change, enterprise registration and binding approval."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from credit_service.access import ROLES
from credit_service.auth import accounts
from credit_service.web.access import ANY_SCOPE, allow, current_actor, public
from credit_service.web.api.admin import UserSchema
from credit_service.web.api.common import USCC, Blueprint, service_context

bp = Blueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    description="Own account, enterprise registration and binding",
)


class MeSchema(ma.Schema):
    username = ma.fields.String()
    role = ma.fields.String()
    region_code = ma.fields.String(allow_none=True)
    uscc = ma.fields.String(allow_none=True)
    via = ma.fields.String(metadata={"description": "token or session"})
    scopes = ma.fields.List(ma.fields.String())


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, validate=ma.validate.Length(max=128))
    new_password = ma.fields.String(required=True, validate=ma.validate.Length(max=128))


class EnterpriseRegistrationSchema(ma.Schema):
    username = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9_.@-]{3,64}$")
    )
    password = ma.fields.String(required=True, validate=ma.validate.Length(max=128))
    uscc = ma.fields.String(required=True, validate=ma.validate.Length(max=40), metadata=USCC)
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    contact = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    email = ma.fields.String(
        validate=ma.validate.Length(max=254),
        metadata={"description": "Where notifications are e-mailed (optional)."},
    )
    activation_code = ma.fields.String(validate=ma.validate.Length(max=40))


class RegistrationSchema(ma.Schema):
    username = ma.fields.String()
    uscc = ma.fields.String()
    binding_status = ma.fields.String(metadata={"description": "approved or pending"})


class ActivationCodeSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Shown once; give it to the enterprise"})
    uscc = ma.fields.String()
    expires_at = ma.fields.DateTime()


@bp.route("/accounts/me")
class Me(MethodView):
    @allow(*ROLES, scopes=ANY_SCOPE)
    @bp.response(200, MeSchema)
    def get(self):
        """Who the caller is."""
        actor = current_actor()
        return {**actor.__dict__, "scopes": sorted(actor.scopes)}


@bp.route("/accounts/me/password")
class MyPassword(MethodView):
    @allow("admin", "regulator", "viewer", "enterprise", "auditor", "checker", scopes=ANY_SCOPE)
    @bp.arguments(PasswordChangeSchema)
    @bp.response(204)
    def post(self, data):
        """Change one's own password; every session of the account ends."""
        accounts.change_password(service_context(), current_actor(), **data)


@bp.route("/accounts/enterprise")
class EnterpriseRegistration(MethodView):
    @public("enterprises register themselves; the account waits for binding approval")
    @bp.arguments(EnterpriseRegistrationSchema)
    @bp.response(
        202,
        RegistrationSchema,
        description="Received, pending a regulator's approval (the same answer whether "
        "or not the user name was free: a taken name creates nothing)",
    )
    @bp.alt_response(
        201,
        schema=RegistrationSchema,
        description="Created and active (a valid activation code)",
        success=True,
    )
    def post(self, data):
        """Register an enterprise account (active at once with a valid activation code;
        only then is a taken user name refused, 409 user-exists)."""
        data.setdefault("activation_code", None)
        receipt = accounts.register_enterprise(
            service_context(), source_ip=request.remote_addr, **data
        )
        return receipt, 201 if receipt["binding_status"] == "approved" else 202


@bp.route("/accounts/pending-bindings")
class PendingBindings(MethodView):
    @allow("admin", "regulator")
    @bp.response(200, UserSchema(many=True))
    def get(self):
        """Enterprise accounts waiting for a regulator of their region to approve them."""
        return accounts.list_users(service_context(), current_actor(), pending_only=True)


@bp.route("/accounts/<string:username>/approve-binding")
class ApproveBinding(MethodView):
    @allow("admin", "regulator")
    @bp.response(200, UserSchema)
    def post(self, username: str):
        """Approve an enterprise account's binding to its USCC."""
        return accounts.approve_binding(service_context(), current_actor(), username)


@bp.route("/entities/<string:identifier>/activation-codes")
class ActivationCodes(MethodView):
    @allow("admin", "regulator")
    @bp.response(201, ActivationCodeSchema)
    def post(self, identifier: str):
        """Issue a one-time activation code for the entity's enterprise account."""
        issued = accounts.issue_activation_code(service_context(), current_actor(), identifier)
        return issued.__dict__
