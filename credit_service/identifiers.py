"""Chinese identifiers (USCC, resident ID, patent and trademark numbers): checks, and the
masking of a resident ID (which this module's own messages need); names, phone numbers and
addresses are masked in masking.py."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date, datetime
from itertools import cycle
from typing import Any

from stdnum.cn import ric as stdnum_ric

from credit_service.clock import SHANGHAI
from credit_service.errors import InvalidInput

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _canonical_char_table() -> dict[int, int]:
    """Full-width ASCII (U+FF01–U+FF5E) and the ideographic space onto ASCII, lowercase onto
    uppercase: people paste codes from Chinese documents typed with an IME, in either case."""
    half_width = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}
    upper = {code: ord(chr(target).upper()) for code, target in half_width.items()}
    return upper | str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


_CANONICAL_CHARS = _canonical_char_table()
_USCC_INDEX = {char: index for index, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CANONICAL_USCC = re.compile(f"[{USCC_ALPHABET}]{{18}}")

# A value shaped like a resident ID (18 or first-generation 15 digits) is masked in messages
# whatever field it was typed into, since clerks do paste ID numbers into the USCC field.
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9X]")
_MAX_SHOWN = 64

_DIGITS = re.compile(r"[0-9]+")

# GB 11714 organisation-code check (nested in USCC positions 9–17).
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# First-level codes of GB/T 2260 (provinces, Taiwan, Hong Kong, Macao) plus 83, used by
# residence permits of Taiwan residents; unlike county codes
# these have not changed since Chongqing (50) was created in 1997.
_PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63"}
    | {"64", "65", "71", "81", "82", "83"}
)
_EARLIEST_BIRTH_YEAR = 1900

_PATENT_PREFIXES = ("CN", "ZL")
_PATENT_SHAPE = re.compile(r"([0-9]{12}|[0-9]{8})\.?([0-9X])")
_PATENT_TYPES = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "pct_invention",
    "9": "pct_utility_model",
}

_TRADEMARK_SHAPE = re.compile(r"[0-9]{1,8}|G[0-9]{6,7}")


class InvalidIdentifier(InvalidInput):
    """An identifier that breaks its national standard; its params never hold a full ID.

    ``reason`` is the code of the rule broken (``identifier-check-character``) and
    ``details`` its params; the same reason is the field error under the kind's name
    (``uscc``, ``resident_id``, ...), so a form shows it under the field typed into.
    """

    code = "invalid-identifier"
    title = "Invalid identifier"

    def __init__(self, kind: str, value: str, reason: str, **details: Any) -> None:
        shown = _shown_value(kind, value)
        self.field_error: str | dict[str, Any] = {"code": reason, **details} if details else reason
        super().__init__(
            errors={kind: [self.field_error]}, kind=kind, value=shown, reason=reason, **details
        )
        self.kind = kind
        self.value = shown  # masked like the params, so logging the exception leaks nothing
        self.reason = reason


def _shown_value(kind: str, value: str) -> str:
    """The value as it may appear in a message: resident IDs masked, long pastes cut short."""
    if kind == "resident_id" or _RESIDENT_ID_SHAPE.fullmatch(canonical(value)):
        return mask_resident_id(value)
    return value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "…"


def canonical(value: str) -> str:
    """Half-width, uppercase and without any whitespace: the form every rule reads."""
    return "".join(value.translate(_CANONICAL_CHARS).split())


# --- USCC (GB 32100-2015) -------------------------------------------------------------------


def _check_uscc_alphabet(chars: str) -> None:
    """Reject characters outside the 31-symbol alphabet (no I, O, Z, S, V), naming the first."""
    for position, char in enumerate(chars, start=1):
        if char not in USCC_ALPHABET:
            raise InvalidIdentifier(
                "uscc", chars, "identifier-character", char=char, position=position
            )


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters.

    Computed here with a lookup table rather than by stdnum (whose ``str.index`` per
    character dominated bulk imports); the unit tests check both agree.
    """
    if len(first17) != 17:
        raise InvalidIdentifier(
            "uscc", first17, "identifier-length", expected_length=17, length=len(first17)
        )
    _check_uscc_alphabet(first17)
    return _uscc_check(first17)


def _uscc_check(first17: str) -> str:
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def _org_code_check_char(org_body: str) -> str:
    """The GB 11714 check character over the 8-character organisation code body."""
    total = sum(
        int(char, 36) * weight for char, weight in zip(org_body, _ORG_CODE_WEIGHTS, strict=True)
    )
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def normalize_uscc(value: str, *, strict_org_code: bool = False) -> str:
    """The canonical USCC, or InvalidIdentifier.

    Own format checks rather than stdnum's validate, which demands digits in positions 1–2
    and so rejects real codes of letter-coded registering authorities such as 'Y'. The nested
    GB 11714 organisation-code check is opt-in: under D13 the USCC's own check character
    decides validity, and the inner code is the issuing registry's business.
    """
    code = value if _CANONICAL_USCC.fullmatch(value) else canonical(value)
    if len(code) != 18:
        raise InvalidIdentifier(
            "uscc", code, "identifier-length", expected_length=18, length=len(code)
        )
    _check_uscc_alphabet(code)
    if not code[2:8].isdigit():
        raise InvalidIdentifier("uscc", code, "uscc-division-digits")
    expected = _uscc_check(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier("uscc", code, "identifier-check-character", expected=expected)
    if strict_org_code and code[16] != (org_check := _org_code_check_char(code[8:16])):
        raise InvalidIdentifier(
            "uscc", code, "uscc-organisation-check-character", expected=org_check
        )
    return code


def is_valid_uscc(value: str) -> bool:
    """Whether the value is a valid USCC under the default (non-strict) rules."""
    try:
        normalize_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def identifier_problem(value: str) -> InvalidIdentifier | None:
    """Why a typed identifier is neither a valid USCC nor a valid resident ID, as the error
    of the kind it looks like (a resident ID by its shape, province and birth date, else a
    USCC: a wrong check character, a wrong length, a letter outside the alphabet); None
    when it is one of them. A search or a credit check tells this answer ("not a valid
    number, because …") from "no such entity"."""
    errors: list[InvalidIdentifier] = []
    for normalise in (normalize_uscc, normalize_resident_id):
        try:
            normalise(value)
            return None
        except InvalidIdentifier as exc:
            errors.append(exc)
    uscc_error, resident_error = errors
    return resident_error if looks_like_resident_id(value) else uscc_error


def looks_like_resident_id(value: str) -> bool:
    """Whether a value is shaped like a resident ID (digits, a province, a birth date),
    valid or not: such a value is masked wherever it is shown (D12)."""
    number = canonical(value)
    if not (_RESIDENT_ID_SHAPE.fullmatch(number) and number[:2] in _PROVINCE_CODES):
        return False
    if len(number) != 18:
        return True
    try:
        _birth_date(number)
    except ValueError:
        return False
    return True


def uscc_division_code(uscc: str) -> str:
    """The 6-digit administrative division code of the registering authority (positions 3–8)."""
    return normalize_uscc(uscc)[2:8]


def make_uscc(first17: str) -> str:
    """A complete, validated USCC for the first 17 characters (demo data, tests)."""
    return normalize_uscc(first17 + uscc_check_char(first17))


# --- Resident ID (GB 11643-1999) -----------------------------------------------------------


def _resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character.

    stdnum's calc_check_digit wants the full 18 characters and ignores the last one; it parses
    in base 13, so callers must have checked the 17 characters are ASCII digits.
    """
    return stdnum_ric.calc_check_digit(first17 + "0")


def _birth_date(number: str) -> date:
    """The YYYYMMDD birth date in positions 7–14; ValueError when no such calendar day exists."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def normalize_resident_id(value: str, *, today: date | None = None) -> str:
    """The canonical resident ID (uppercase 'X'), or InvalidIdentifier.

    Not stdnum's ric.validate: it checks the 6-digit birth place against a dated county table,
    so it rejects people born before their county code was created (e.g. 110119 延庆区, 2015)
    and crashes with KeyError on some codes. Only the province part is checked here.
    """
    number = canonical(value)
    if len(number) != 18:
        raise InvalidIdentifier(
            "resident_id", number, "identifier-length", expected_length=18, length=len(number)
        )
    if not (_DIGITS.fullmatch(number[:17]) and number[17] in "0123456789X"):
        raise InvalidIdentifier("resident_id", number, "resident-id-shape")
    if number[:2] not in _PROVINCE_CODES:
        raise InvalidIdentifier("resident_id", number, "resident-id-province")
    _check_birth_date(number, today or datetime.now(SHANGHAI).date())
    expected = _resident_id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier(
            "resident_id", number, "identifier-check-character", expected=expected
        )
    return number


def _check_birth_date(number: str, today: date) -> None:
    """Reject impossible, pre-1900 and future birth dates; the reason names only the problem
    (never the date: it is personal data)."""
    try:
        born = _birth_date(number)
    except ValueError:
        raise InvalidIdentifier("resident_id", number, "resident-id-birth-date") from None
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdentifier(
            "resident_id", number, "resident-id-born-too-early", year=_EARLIEST_BIRTH_YEAR
        )
    if born > today:
        raise InvalidIdentifier("resident_id", number, "resident-id-born-in-future")


def is_valid_resident_id(value: str) -> bool:
    """Whether the value is a valid resident ID as of today (Asia/Shanghai)."""
    try:
        normalize_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


def resident_id_birth_date(value: str) -> date:
    """The birth date encoded in a valid resident ID."""
    return _birth_date(normalize_resident_id(value))


def make_resident_id(first17: str) -> str:
    """A complete, validated resident ID for the first 17 digits (demo data, tests)."""
    if not (len(first17) == 17 and _DIGITS.fullmatch(first17)):
        raise InvalidIdentifier("resident_id", first17, "identifier-digits", count=17)
    return normalize_resident_id(first17 + _resident_id_check_char(first17))


# --- Patent application number ---------------------------------------------------------------


def patent_check_char(digits: str) -> str:
    """The CNIPA check character: weights 2–9 cycling over the digits, sum mod 11, 10 as 'X'."""
    if not (len(digits) in (8, 12) and _DIGITS.fullmatch(digits)):
        raise InvalidIdentifier("patent_application_no", digits, "patent-number-digits")
    remainder = sum(int(d) * w for d, w in zip(digits, cycle(range(2, 10)))) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_patent_application_no(value: str) -> str:
    """The canonical 'digits.check' form without 'CN'/'ZL' prefix, or InvalidIdentifier.

    Both the 12-digit form (since October 2003: YYYY, type, 7-digit serial) and the older
    8-digit form (YY, type, 5-digit serial) are still cited on certificates, so both count.
    """
    cleaned = canonical(value)
    number = cleaned[2:] if cleaned[:2] in _PATENT_PREFIXES else cleaned
    shape = _PATENT_SHAPE.fullmatch(number)
    if shape is None:
        raise InvalidIdentifier("patent_application_no", cleaned, "patent-number-shape")
    digits, check = shape.groups()
    type_digit = _patent_type_digit(digits)
    if type_digit not in _PATENT_TYPES:
        raise InvalidIdentifier(
            "patent_application_no", cleaned, "patent-number-type", digit=type_digit
        )
    expected = patent_check_char(digits)
    if check != expected:
        raise InvalidIdentifier(
            "patent_application_no", cleaned, "identifier-check-character", expected=expected
        )
    return f"{digits}.{check}"


def _patent_type_digit(digits: str) -> str:
    """The type digit follows the year: 4 year digits in the new form, 2 in the old."""
    return digits[4] if len(digits) == 12 else digits[2]


def patent_type(value: str) -> str:
    """The kind of patent right applied for, read from the type digit of a valid number."""
    return _PATENT_TYPES[_patent_type_digit(normalize_patent_application_no(value).split(".")[0])]


# --- Trademark registration number -----------------------------------------------------------


def normalize_trademark_no(value: str) -> str:
    """The trademark number without whitespace and with an uppercase Madrid 'G', or
    InvalidIdentifier. Leading zeros are kept: they are part of the number as registered."""
    number = canonical(value)
    if not _TRADEMARK_SHAPE.fullmatch(number):
        raise InvalidIdentifier("trademark_no", number, "trademark-number-shape")
    return number


_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "uscc": normalize_uscc,
    "resident_id": normalize_resident_id,
    "patent_application_no": normalize_patent_application_no,
    "trademark_no": normalize_trademark_no,
}


def normalize(kind: str, value: str) -> str:
    """Normalise a value of the named kind; an unknown kind is a programming error."""
    try:
        normalizer = _NORMALIZERS[kind]
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}") from None
    return normalizer(value)


# --- Resident IDs in messages and views (D12) --------------------------------------------


def mask_resident_id(value: str) -> str:
    """First 6 (region) + 8 '*' + last 4, for regulators without the right to full values.

    A shorter value shows no tail, so a partial ID never reveals more than its region code.
    """
    number = canonical(value)
    tail = number[-4:] if len(number) >= 18 else ""
    return number[:6] + "*" * 8 + tail
