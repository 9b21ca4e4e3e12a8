"""The service's signing keys: Ed25519 keys held outside the database.

A key is its 32-byte seed, given base64-encoded in the settings (``AUDIT_SIGNING_KEY``
for the current key, ``AUDIT_RETIRED_KEYS`` for the ones it replaced). A signature made
with any of them stays verifiable: the key ring publishes every public key with its id,
and a signed statement names the id of the key that signed it. From a seed the ring
also derives a separate secret for HMAC (``mac``), so that per-row authentication codes
and signatures never share key material.

Without a configured key (development, the demo, tests) the ring creates one in a file
beside the data (``DATA_DIR/audit-signing.key``, readable by the owner only) on first
use: still outside the database, which is what the audit log's guarantee rests on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from credit_service.config import Settings, SettingsError

ALGORITHM = "Ed25519"
KEY_FILE = "audit-signing.key"
_MAC_LABEL = b"credit-service audit row mac v1"


@dataclass(frozen=True)
class SigningKey:
    """One key: its id (the first 16 hex digits of the SHA-256 of the raw public key)."""

    key_id: str
    private: Ed25519PrivateKey
    public_raw: bytes
    mac_secret: bytes

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public_raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        mac_secret = hmac.new(seed, _MAC_LABEL, hashlib.sha256).digest()
        return cls(hashlib.sha256(public_raw).hexdigest()[:16], private, public_raw, mac_secret)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode("ascii")

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under this key's derived secret, as hex."""
        return hmac.new(self.mac_secret, message, hashlib.sha256).hexdigest()

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """The current key and the retired ones, by id."""

    current: SigningKey
    retired: tuple[SigningKey, ...] = ()

    def get(self, key_id: str) -> SigningKey | None:
        return next((k for k in (self.current, *self.retired) if k.key_id == key_id), None)

    def published(self) -> list[dict[str, object]]:
        """What the well-known address shows: every public key, the current one first."""
        return [
            {
                "key_id": key.key_id,
                "algorithm": ALGORITHM,
                "public_key": key.public_key,
                "current": key is self.current,
            }
            for key in (self.current, *self.retired)
        ]


def verify_signature(public_key: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``public_key``'s (base64, raw) over ``message``:
    what an auditor runs, holding nothing but the published key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def new_seed() -> str:
    """A fresh key for ``AUDIT_SIGNING_KEY`` (``flask audit keygen``)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def load_key_ring(settings: Settings) -> KeyRing:
    """The ring the settings name, or a generated development key kept in the data folder.

    :raises SettingsError: a key that is not base64 of 32 bytes.
    """
    if settings.audit_signing_key:
        current = _key("AUDIT_SIGNING_KEY", settings.audit_signing_key)
    else:
        current = SigningKey.from_seed(_development_seed(settings.data_dir / KEY_FILE))
    retired = tuple(
        _key("AUDIT_RETIRED_KEYS", value.strip())
        for value in (settings.audit_retired_keys or "").split(",")
        if value.strip()
    )
    return KeyRing(current, retired)


def _key(variable: str, value: str) -> SigningKey:
    try:
        seed = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise SettingsError(f"{variable}: not base64 ({exc})") from exc
    if len(seed) != 32:
        raise SettingsError(f"{variable}: an Ed25519 seed is 32 bytes, this one {len(seed)}")
    return SigningKey.from_seed(seed)


def _development_seed(path: Path) -> bytes:
    """The seed in ``path``, created (mode 0600) if absent. The new key is written to a
    temporary file and linked into place, so two processes starting at once agree on
    one key and neither reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(new_seed() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process linked its key first: use that one
        finally:
            temporary.unlink()
    return base64.b64decode(path.read_text(encoding="ascii").strip())
