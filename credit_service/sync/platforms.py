"""The configured provincial platforms (SYNC_PLATFORMS_FILE): where, who, what, how often."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from credit_service.errors import CatalogError
from credit_service.sync.models import EVENT_TYPES

DIRECTIONS = ("push", "pull", "both")
# How much earlier than its interval a platform is still due: the scheduler's ticks (and
# the moment a job reads the clock) wander a little, and a platform whose interval is the
# job's own tick must not skip every other tick.
TICK_SLACK = timedelta(seconds=5)


class PlatformSchema(Schema):
    # at most 35 characters: its sync actor "sync:<id>" names the platform of a forwarded
    # objection (objections.platform holds 40)
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,34}$"))
    name = fields.String(required=True)
    base_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    app_key = fields.String(required=True)
    secret = fields.String(load_default=None)
    secret_env = fields.String(load_default=None)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    event_types = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)), load_default=lambda: list(EVENT_TYPES)
    )
    push_every_seconds = fields.Integer(load_default=60, validate=validate.Range(min=1))
    pull_every_seconds = fields.Integer(load_default=300, validate=validate.Range(min=1))
    batch_size = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1))


class PlatformsFileSchema(Schema):
    platforms = fields.List(fields.Nested(PlatformSchema), required=True)


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    base_url: str
    app_key: str
    secret: str
    direction: str
    event_types: frozenset[str]
    push_every_seconds: int
    pull_every_seconds: int
    batch_size: int
    timeout_seconds: float

    @property
    def pushes(self) -> bool:
        return self.direction in ("push", "both")

    @property
    def pulls(self) -> bool:
        return self.direction in ("pull", "both")


def load_platforms(path: Path | None) -> dict[str, Platform]:
    """The platforms in the file (none when there is no file).

    :raises CatalogError: an invalid file, or a secret that is not available.
    """
    if path is None or not Path(path).exists():
        return {}
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        data = PlatformsFileSchema().load(raw if isinstance(raw, dict) else {})
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError.in_file(path, f"cannot be read as YAML: {exc}") from exc
    except ValidationError as exc:
        raise CatalogError.in_file(path, str(exc.messages)) from exc
    return {p["id"]: _platform(path, p) for p in data["platforms"]}


def _platform(path: Path, p: dict) -> Platform:
    secret = p["secret"] or (os.environ.get(p["secret_env"]) if p["secret_env"] else None)
    if not secret:
        raise CatalogError.in_file(path, f"platform {p['id']}: no secret (set {p['secret_env']})")
    return Platform(
        id=p["id"],
        name=p["name"],
        base_url=p["base_url"].rstrip("/"),
        app_key=p["app_key"],
        secret=secret,
        direction=p["direction"],
        event_types=frozenset(p["event_types"]),
        push_every_seconds=p["push_every_seconds"],
        pull_every_seconds=p["pull_every_seconds"],
        batch_size=p["batch_size"],
        timeout_seconds=p["timeout_seconds"],
    )


def interval_passed(last: datetime | None, tick: datetime, every_seconds: int) -> bool:
    """Whether a platform is due on the scheduler tick ``tick``: ``every_seconds`` (its
    push or pull interval, less the tick slack) have passed since ``last``; never
    contacted (``None``) is due at once. With a job ticking every T seconds, the platform
    is reached on the first tick at least its interval after the last."""
    if last is None:
        return True
    interval = timedelta(seconds=every_seconds)
    return tick - last >= interval - min(TICK_SLACK, interval / 2)
