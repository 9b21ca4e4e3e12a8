"""How a setting is declared (``_setting``: its variable, default, description, parser
and check) and the parsers and checks the settings use (``config.Settings``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import field
from pathlib import Path
from typing import Any


def setting(
    env: str,
    default: Any,
    doc: str,
    parse: Callable[[str], Any] = str,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """A field read from ``env``; ``check`` returns what is wrong with a value, if anything."""
    return field(default=default, metadata={"env": env, "doc": doc, "parse": parse, "check": check})


def parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_path(value: str) -> Path:
    return Path(value).expanduser().resolve()


def at_least(minimum: int, why: str) -> Callable[[int | None], str | None]:
    """At least ``minimum``, or unset (None) where the setting may be."""
    return lambda value: (
        None if value is None or value >= minimum else f"must be at least {minimum} ({why})"
    )


def positive(value: float) -> str | None:
    return None if value > 0 else "must be more than 0"


def one_of(choices: Iterable[str]) -> Callable[[str], str | None]:
    known = sorted(choices)
    return lambda value: None if value in known else f"must be one of {', '.join(known)}"
