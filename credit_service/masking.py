"""Masking of natural persons' names, phone numbers and addresses for public output (D12).

Resident ID numbers are masked in identifiers.py, whose error messages need it.
"""

from __future__ import annotations

import re

from credit_service.identifiers import canonical

# fmt: off
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "南宫", "独孤", "闻人", "澹台",
        "申屠", "太史", "百里", "呼延", "万俟", "钟离", "宗政", "濮阳", "单于", "左丘",
        "东郭", "西门", "第五", "赫连", "拓跋", "淳于", "鲜于", "闾丘", "司空", "公冶",
        "公羊", "太叔", "仲孙", "漆雕", "巫马", "颛孙", "壤驷", "谷梁", "宰父", "夹谷",
        "羊舌", "微生", "子车", "亓官", "司寇", "公西", "公良", "东门", "南门", "达奚",
    }
)
# fmt: on

_ADDRESS_MARKERS = frozenset("县区市")
_ADDRESS_MARKER_FROM = 2  # a marker in the first two characters is part of a place name
_MASK = "****"


def mask_person_name(name: str) -> str:
    """Surname plus one '*' per remaining character, as public pages show natural persons.

    Two-character names never take a compound surname: the person must have a given name.
    Latin-script names (with a space) keep the first word and mask the letters of the rest.
    """
    name = name.strip()
    words = name.split()
    if len(words) > 1:
        return " ".join([words[0], *(_mask_letters(word) for word in words[1:])])
    surname_length = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:surname_length] + "*" * len(name[surname_length:])


def _mask_letters(word: str) -> str:
    """Letters become '*'; hyphens and apostrophes stay so the shape still reads as a name."""
    return "".join("*" if char.isalpha() else char for char in word)


def mask_phone(value: str) -> str:
    """A mobile number keeps its first 3 and last 4 digits; any other number its last 2."""
    digits = _national_number(re.sub(r"[^0-9]", "", canonical(value)))
    if _is_mobile(digits):
        return digits[:3] + "*" * 4 + digits[-4:]
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def _national_number(digits: str) -> str:
    """Drop a +86 or 0086 country code, but only in front of a mobile number."""
    for country_code in ("0086", "86"):
        national = digits.removeprefix(country_code)
        if national != digits and _is_mobile(national):
            return national
    return digits


def _is_mobile(digits: str) -> bool:
    """Mainland mobile numbers are 11 digits starting with 1."""
    return len(digits) == 11 and digits.startswith("1")


def mask_address(value: str) -> str:
    """Keep the address up to its first 县/区/市 from the third character on, mask the rest.

    '****' is always appended so the output does not tell whether anything followed; an
    address without a marker becomes '****' and an empty one stays empty.
    """
    address = value.strip()
    if not address:
        return ""
    for index in range(_ADDRESS_MARKER_FROM, len(address)):
        if address[index] in _ADDRESS_MARKERS:
            return address[: index + 1] + _MASK
    return _MASK
