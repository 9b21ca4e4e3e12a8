"""Passwords: argon2id hashing and the two password-policy profiles (MLPS and ASVS).

MLPS (等保 2.0 level 3 practice): at least 8 characters from at least 3 of the 4 classes,
not a common password, none of the last N reused, changed every N days. ASVS (OWASP ASVS
4.0 §2.1): length over composition — at least 12 characters, any characters, checked
against common passwords, no forced rotation. docs/security.md compares them.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106 "second recommended" profile: 64 MiB, 3 passes, 4 lanes.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
MAX_LENGTH = 128
# Upper case, lower case, digits: without I, O, l, 0 and 1 (read aloud or copied by hand).
TEMPORARY_GROUPS = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789")


@dataclass(frozen=True)
class PasswordProfile:
    """The rules one profile applies to a new password."""

    name: str
    min_length: int
    min_classes: int
    history: bool
    expires: bool


# One per name the PASSWORD_PROFILE setting accepts (config.PASSWORD_PROFILES).
PROFILES = {
    "MLPS": PasswordProfile("MLPS", min_length=8, min_classes=3, history=True, expires=True),
    "ASVS": PasswordProfile("ASVS", min_length=12, min_classes=0, history=False, expires=False),
}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one hash of time."""
    if not password_hash:
        _HASHER.hash(password)  # same cost either way: no user enumeration by timing
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def temporary_password() -> str:
    """A random password an administrator hands over, meeting every profile: four groups
    of four from upper and lower case letters and digits (at least one of each; letters
    and digits that look alike left out), joined by hyphens, about 90 bits."""
    pick = secrets.SystemRandom()
    chars = [pick.choice(group) for group in TEMPORARY_GROUPS]
    chars += [pick.choice("".join(TEMPORARY_GROUPS)) for _ in range(16 - len(chars))]
    pick.shuffle(chars)
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters appear."""
    return sum(
        (
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isascii() or not c.isalnum() for c in password),
        )
    )


def policy_problems(
    password: str, profile: PasswordProfile, *, username: str
) -> list[str | dict[str, Any]]:
    """What is wrong with a new password under ``profile`` (empty when acceptable), as
    field errors: codes, or ``{"code": ..., **params}``."""
    problems: list[str | dict[str, Any]] = []
    if len(password) < profile.min_length:
        problems.append({"code": "password-too-short", "min_length": profile.min_length})
    if len(password) > MAX_LENGTH:
        problems.append({"code": "length-at-most", "max": MAX_LENGTH})
    if character_classes(password) < profile.min_classes:
        problems.append({"code": "password-too-few-classes", "min_classes": profile.min_classes})
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append("password-too-common")
    if username and username.lower() in lowered:
        problems.append("password-contains-username")
    return problems
