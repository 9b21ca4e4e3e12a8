"""Who is acting: the Actor passed into every service, and the region-scope rule.

Role checks per endpoint live in the web layer; object-level checks (region scope,
an enterprise's own entity) are made here, in the core, where the object is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from credit_service.errors import Forbidden

ROLES = ("admin", "regulator", "viewer", "checker", "enterprise", "sync", "auditor")
REGION_SCOPED_ROLES = frozenset({"regulator", "viewer"})


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a user, a machine client, the public or the system."""

    role: str
    username: str
    user_id: int | None = None
    region_code: str | None = None
    city_code: str | None = None
    uscc: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    source_ip: str | None = None
    via: str = "token"

    @property
    def is_anonymous(self) -> bool:
        return self.role == "public"

    @property
    def from_platform(self) -> bool:
        """A platform's sync client: what it changes was decided elsewhere, and is not
        sent back to the platforms."""
        return self.role == "sync"

    def covers_region(self, region_code: str | None) -> bool:
        """Whether this actor may see and act on an entity in ``region_code``."""
        if self.role not in REGION_SCOPED_ROLES:
            return True
        if self.region_code is None or region_code is None:
            return False
        return self.region_code == self.city_code or self.region_code == region_code

    def ensure_region(self, region_code: str | None) -> None:
        """Raise Forbidden unless the actor's region scope covers ``region_code``."""
        if not self.covers_region(region_code):
            raise Forbidden("region-scope", scope=self.region_code)

    def ensure_own_entity(self, uscc: str) -> None:
        """Raise Forbidden when an enterprise account touches another entity."""
        if self.role == "enterprise" and self.uscc != uscc:
            raise Forbidden("not-own-entity")


PUBLIC = Actor(role="public", username="anonymous", via="anonymous")
SYSTEM = Actor(role="admin", username="system", via="system")
