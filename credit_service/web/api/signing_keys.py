"""The service's public signing keys, so that anyone can check what it signed (audit
checkpoints today) without trusting its database."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from credit_service.web.access import public
from credit_service.web.api.common import Blueprint, service_context

bp = Blueprint(
    "signing_keys",
    __name__,
    description="Public keys that verify the service's signatures (Ed25519)",
)


class SigningKeySchema(ma.Schema):
    key_id = ma.fields.String(metadata={"description": "Named by each signed statement"})
    algorithm = ma.fields.String()
    public_key = ma.fields.String(metadata={"description": "Raw 32-byte key, base64"})
    current = ma.fields.Boolean(metadata={"description": "Signs new statements"})


class SigningKeysSchema(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(SigningKeySchema))


def _published() -> dict[str, object]:
    return {"keys": service_context().key_ring.published()}


@bp.route("/api/v1/public/signing-keys")
class SigningKeys(MethodView):
    @public("auditors verify signed checkpoints with nothing but the published keys")
    @bp.response(200, SigningKeysSchema)
    def get(self):
        """Every key the service signs with or signed with, the current one first."""
        return _published()


@bp.route("/.well-known/signing-keys")
class WellKnownSigningKeys(MethodView):
    @public("the same keys at a well-known address")
    @bp.response(200, SigningKeysSchema)
    def get(self):
        """The same list as /api/v1/public/signing-keys."""
        return _published()
