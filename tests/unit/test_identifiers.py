"""Identifier validation, normalisation and masking against the national standards."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from credit_service.errors import InvalidInput
from credit_service.identifiers import (
    USCC_ALPHABET,
    InvalidIdentifier,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    mask_resident_id,
    normalize,
    normalize_patent_application_no,
    normalize_resident_id,
    normalize_trademark_no,
    normalize_uscc,
    patent_check_char,
    patent_type,
    resident_id_birth_date,
    uscc_check_char,
    uscc_division_code,
)
from credit_service.masking import COMPOUND_SURNAMES, mask_address, mask_person_name, mask_phone

# Independent oracles written from the standards' weight tables, so the tests do not merely
# repeat python-stdnum.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uscc_oracle(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def ric_oracle(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def ric(first17: str) -> str:
    """A resident ID with a correct check character, whatever else is wrong with it."""
    return first17 + ric_oracle(first17)


VALID_USCC = "91110000600037341L"
GB_EXAMPLE_ID = "11010519491231002X"  # the worked example of GB 11643-1999


def reason_of(excinfo: pytest.ExceptionInfo[InvalidIdentifier]) -> str | dict[str, Any]:
    """The rule broken: its code and params, as the field error is given."""
    error = excinfo.value
    assert error.reason == error.params["reason"]
    assert error.errors == {error.kind: [error.field_error]}
    return error.field_error


# --- USCC ------------------------------------------------------------------------------------


def test_uscc_alphabet_has_31_symbols_without_i_o_z_s_v() -> None:
    assert len(USCC_ALPHABET) == len(set(USCC_ALPHABET)) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID_USCC, VALID_USCC),
        ("91110000600037341l", VALID_USCC),
        (" 9111 0000 6000 3734 1L ", VALID_USCC),
        ("\u3000９１１１００００６０００３７３４１Ｌ\u3000", VALID_USCC),
        ("９１１１００００６０００３７３４１ｌ", VALID_USCC),
        ("Y1110000600037341Y", "Y1110000600037341Y"),  # letter authority code, stdnum rejects
        ("y1110000600037341y", "Y1110000600037341Y"),
    ],
)
def test_normalize_uscc_accepts(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected
    assert is_valid_uscc(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("91110000600037341", {"code": "identifier-length", "expected_length": 18, "length": 17}),
        ("91110000600037341LL", {"code": "identifier-length", "expected_length": 18, "length": 19}),
        ("", {"code": "identifier-length", "expected_length": 18, "length": 0}),
        ("9111000060003734IL", {"code": "identifier-character", "char": "I", "position": 17}),
        ("911100006000373O1L", {"code": "identifier-character", "char": "O", "position": 16}),
        ("Z1110000600037341L", {"code": "identifier-character", "char": "Z", "position": 1}),
        ("9S110000600037341L", {"code": "identifier-character", "char": "S", "position": 2}),
        ("91110000V00037341L", {"code": "identifier-character", "char": "V", "position": 9}),
        ("91110000-600037341", {"code": "identifier-character", "char": "-", "position": 9}),
        ("911A0000600037341L", "uscc-division-digits"),
        ("91110000600037341M", {"code": "identifier-check-character", "expected": "L"}),
    ],
)
def test_normalize_uscc_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc(raw)
    assert reason_of(excinfo) == reason
    assert excinfo.value.kind == "uscc"
    assert not is_valid_uscc(raw)


def test_a_wrong_check_character_names_the_value_and_the_expected_character() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc("91110000600037341M")
    error = excinfo.value
    assert error.code == "invalid-identifier"
    assert error.extensions == {
        "kind": "uscc",
        "value": "91110000600037341M",
        "reason": "identifier-check-character",
        "expected": "L",
    }
    assert error.errors == {"uscc": [{"code": "identifier-check-character", "expected": "L"}]}
    assert isinstance(error, InvalidInput)


def test_org_code_check_only_when_strict() -> None:
    inner_check_wrong = make_uscc("91110000600037342")  # org code 60003734 wants check '1'
    assert normalize_uscc(inner_check_wrong) == inner_check_wrong
    assert normalize_uscc(VALID_USCC, strict_org_code=True) == VALID_USCC
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_uscc(inner_check_wrong, strict_org_code=True)
    assert reason_of(excinfo) == {"code": "uscc-organisation-check-character", "expected": "1"}


@pytest.mark.parametrize(
    ("first17", "check"),
    [("91110000600037341", "L"), ("Y1110000600037341", "Y"), ("91340100MA2N0XX0U", "F")],
)
def test_uscc_check_char_and_make(first17: str, check: str) -> None:
    assert uscc_check_char(first17) == check == uscc_oracle(first17)
    assert make_uscc(first17) == first17 + check


@pytest.mark.parametrize("first17", ["9111000060003734", "9111000060003734I", "911A0000600037341"])
def test_make_uscc_refuses_bodies_that_cannot_be_valid(first17: str) -> None:
    with pytest.raises(InvalidIdentifier):
        make_uscc(first17)


def test_uscc_division_code_reads_positions_3_to_8() -> None:
    assert uscc_division_code(" 91110000600037341l") == "110000"
    assert uscc_division_code(make_uscc("92320583MA1XXXXX0")) == "320583"


uscc_bodies = st.builds(
    lambda authority, division, org: authority + division + org,
    st.text(USCC_ALPHABET, min_size=2, max_size=2),
    st.text(string.digits, min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)


@given(uscc_bodies)
def test_make_uscc_always_validates(first17: str) -> None:
    code = make_uscc(first17)
    assert is_valid_uscc(code)
    assert code[17] == uscc_oracle(first17)


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_invalidates_a_uscc(
    first17: str, position: int, replacement: str
) -> None:
    code = make_uscc(first17)
    assume(code[position] != replacement)
    assert not is_valid_uscc(code[:position] + replacement + code[position + 1 :])


# --- Resident ID ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (GB_EXAMPLE_ID, GB_EXAMPLE_ID),
        ("11010519491231002x", GB_EXAMPLE_ID),
        (" 110105 19491231 002X ", GB_EXAMPLE_ID),
        ("１１０１０５１９４９１２３１００２ｘ", GB_EXAMPLE_ID),
        # county code created in 2015, holder born 1990: stdnum's ric.validate rejects this
        (ric("11011919900101001"), ric("11011919900101001")),
        # a code stdnum's table lists without a county: its ric.is_valid raises KeyError
        (ric("46032120200101001"), ric("46032120200101001")),
    ],
)
def test_normalize_resident_id_accepts(raw: str, expected: str) -> None:
    assert normalize_resident_id(raw) == expected
    assert is_valid_resident_id(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("11010519491231002", {"code": "identifier-length", "expected_length": 18, "length": 17}),
        ("1101051949123100201", {"code": "identifier-length", "expected_length": 18, "length": 19}),
        ("1101051949123100X2", "resident-id-shape"),
        ("11010519491231002Y", "resident-id-shape"),
        (ric("99010519491231002"), "resident-id-province"),
        (ric("11010519990230001"), "resident-id-birth-date"),
        (ric("11010519991301001"), "resident-id-birth-date"),
        (
            "440524188001010014",
            {"code": "resident-id-born-too-early", "year": 1900},
        ),  # GB 11643's own 1880 example
        (ric("11010530000101001"), "resident-id-born-in-future"),
        ("110105194912310021", {"code": "identifier-check-character", "expected": "X"}),
    ],
)
def test_normalize_resident_id_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_resident_id(raw)
    assert reason_of(excinfo) == reason
    assert excinfo.value.kind == "resident_id"
    assert not is_valid_resident_id(raw)


def test_birth_date_is_checked_against_the_given_today() -> None:
    born_2_jan = ric("11010520240102001")
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_resident_id(born_2_jan, today=date(2024, 1, 1))
    assert excinfo.value.reason == "resident-id-born-in-future"
    assert normalize_resident_id(born_2_jan, today=date(2024, 1, 2)) == born_2_jan


def test_resident_id_birth_date() -> None:
    assert resident_id_birth_date("11010519491231002x") == date(1949, 12, 31)


@given(
    st.sampled_from(["110105", "310104", "440309", "650102", "820000"]),
    st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    st.text(string.digits, min_size=3, max_size=3),
)
def test_make_resident_id_matches_the_mod_11_2_table(
    region: str, born: date, sequence: str
) -> None:
    first17 = region + born.strftime("%Y%m%d") + sequence
    assert make_resident_id(first17) == first17 + ric_oracle(first17)
    assert resident_id_birth_date(make_resident_id(first17)) == born


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("110105194912310021", "resident_id"), ("110105194912310021", "uscc")],
)
def test_errors_never_carry_a_full_resident_id(raw: str, kind: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize(kind, raw)
    assert raw not in str(excinfo.value)
    assert raw not in str(excinfo.value.as_record())
    assert excinfo.value.value == excinfo.value.params["value"] == "110105********0021"


# --- Patent application numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("200410018477.9", "200410018477.9"),
        ("CN200410018477.9", "200410018477.9"),
        ("ZL 2004 1 0018477.9", "200410018477.9"),
        ("zl2004100184779", "200410018477.9"),
        ("cn 202390123456.x", "202390123456.X"),
        ("ＣＮ２０２３９０１２３４５６．Ｘ", "202390123456.X"),
        ("98123456.9", "98123456.9"),
        ("ZL93100001.7", "93100001.7"),
        ("931000017", "93100001.7"),
    ],
)
def test_normalize_patent_application_no_accepts(raw: str, expected: str) -> None:
    assert normalize_patent_application_no(raw) == expected
    assert normalize("patent_application_no", raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("202340123456.2", {"code": "patent-number-type", "digit": "4"}),
        ("98523456.X", {"code": "patent-number-type", "digit": "5"}),
        ("202310123456.X", {"code": "identifier-check-character", "expected": "6"}),
        ("CN200410018477.8", {"code": "identifier-check-character", "expected": "9"}),
        ("2023101234.5", "patent-number-shape"),
        ("US202310123456.6", "patent-number-shape"),
        ("202310123456..6", "patent-number-shape"),
        ("CN1234567A", "patent-number-shape"),
    ],
)
def test_normalize_patent_application_no_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_patent_application_no(raw)
    assert reason_of(excinfo) == reason
    assert excinfo.value.kind == "patent_application_no"


@pytest.mark.parametrize(
    ("digits", "check"),
    [("200410018477", "9"), ("202390123456", "X"), ("202310123456", "6"), ("93100001", "7")],
)
def test_patent_check_char(digits: str, check: str) -> None:
    assert patent_check_char(digits) == check


@pytest.mark.parametrize("digits", ["2004100184", "2004100184771", "20041001847A"])
def test_patent_check_char_needs_8_or_12_digits(digits: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        patent_check_char(digits)
    assert reason_of(excinfo) == "patent-number-digits"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("202310123456.6", "invention"),
        ("202320123456.1", "utility_model"),
        ("CN202330123456.7", "design"),
        ("202380123456.4", "pct_invention"),
        ("202390123456.X", "pct_utility_model"),
        ("93100001.7", "invention"),
    ],
)
def test_patent_type(raw: str, kind: str) -> None:
    assert patent_type(raw) == kind


# --- Trademark registration numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "1"),
        ("12345678", "12345678"),
        ("00012345", "00012345"),
        (" 1234 5678 ", "12345678"),
        ("G123456", "G123456"),
        ("g1234567", "G1234567"),
        ("Ｇ１２３４５６", "G123456"),
    ],
)
def test_normalize_trademark_no_accepts(raw: str, expected: str) -> None:
    assert normalize_trademark_no(raw) == expected


@pytest.mark.parametrize("raw", ["", "123456789", "G12345", "G12345678", "A123456", "12.34"])
def test_normalize_trademark_no_rejects(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_trademark_no(raw)
    assert excinfo.value.kind == "trademark_no"


# --- Dispatch -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("uscc", "91110000600037341l", VALID_USCC),
        ("resident_id", "11010519491231002x", GB_EXAMPLE_ID),
        ("patent_application_no", "CN2004100184779", "200410018477.9"),
        ("trademark_no", "g123456", "G123456"),
    ],
)
def test_normalize_dispatches_on_kind(kind: str, raw: str, expected: str) -> None:
    assert normalize(kind, raw) == expected


def test_normalize_rejects_unknown_kind_as_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown identifier kind 'isbn'"):
        normalize("isbn", "978-3-16-148410-0")


# --- Masking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳明华", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),  # two characters: a one-character surname and a given name
        ("李", "李"),
        ("", ""),
        (" 赵六 ", "赵*"),
        ("John Smith", "John *****"),
        ("Mary Ann O'Neil", "Mary *** *'****"),
    ],
)
def test_mask_person_name(name: str, masked: str) -> None:
    assert mask_person_name(name) == masked


SINGLE_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"]
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(
    st.sampled_from(SINGLE_SURNAMES + sorted(COMPOUND_SURNAMES)),
    st.text(cjk, min_size=1, max_size=3),
)
def test_masked_names_never_show_the_given_name(surname: str, given_name: str) -> None:
    assume(not set(given_name) & set(surname))
    assume(surname + given_name[0] not in COMPOUND_SURNAMES)  # truly ambiguous, e.g. 单+于…
    masked = mask_person_name(surname + given_name)
    assert masked == surname + "*" * len(given_name)
    assert not set(given_name) & set(masked)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (GB_EXAMPLE_ID, "110105********002X"),
        ("110105 19491231 002x", "110105********002X"),
        ("110105194912310", "110105********"),  # first-generation 15 digits: no tail
    ],
)
def test_mask_resident_id(raw: str, masked: str) -> None:
    assert mask_resident_id(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("0086 13800138000", "138****8000"),
        ("010-12345678", "*********78"),
        ("12345", "***45"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("北京市海淀区中关村大街1号", "北京市****"),
        ("浙江省杭州市西湖区文三路90号", "浙江省杭州市****"),
        ("河北省雄县雄州镇", "河北省雄县****"),
        ("市中区人民路1号", "市中区****"),  # '市' as first character is part of the name
        ("江苏省苏州工业园区星湖街", "江苏省苏州工业园区****"),
        ("上海市", "上海市****"),
        ("中关村大街1号", "****"),
        ("", ""),
    ],
)
def test_mask_address(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_check_char_agrees_with_python_stdnum(first17):
    assert uscc_check_char(first17) == stdnum_uscc.calc_check_digit(first17)
