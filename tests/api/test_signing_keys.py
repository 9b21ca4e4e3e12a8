"""The published signing keys: what an auditor verifies checkpoints with, anonymously."""

from __future__ import annotations

from credit_service.access import SYSTEM
from credit_service.audit import sealing
from credit_service.audit import services as audit
from credit_service.signing_keys import new_seed, verify_signature


def test_the_keys_are_public_at_both_addresses_and_verify_a_checkpoint(client, ctx):
    with ctx.session_factory.begin() as session:
        audit.append(session, actor=SYSTEM, action="test.act", now=ctx.now())
    sealing.seal_log(ctx)
    with ctx.session_factory() as session:
        checkpoint = audit.latest_checkpoint(session)

    api = client.get("/api/v1/public/signing-keys")
    well_known = client.get("/.well-known/signing-keys")

    assert api.status_code == well_known.status_code == 200
    assert api.get_json() == well_known.get_json()
    [key] = api.get_json()["keys"]
    assert (key["key_id"], key["algorithm"], key["current"]) == (
        checkpoint["key_id"],
        "Ed25519",
        True,
    )
    assert verify_signature(
        key["public_key"], checkpoint["statement"].encode(), checkpoint["signature"]
    )


def test_a_retired_key_stays_published_after_the_current_one(client, ctx):
    old = ctx.key_ring.current.key_id
    seed = (ctx.settings.data_dir / "audit-signing.key").read_text().strip()
    ctx.settings = ctx.settings.replace(audit_signing_key=new_seed(), audit_retired_keys=seed)

    keys = client.get("/api/v1/public/signing-keys").get_json()["keys"]

    assert [k["current"] for k in keys] == [True, False]
    assert keys[1]["key_id"] == old
