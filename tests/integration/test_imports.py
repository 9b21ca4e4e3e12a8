"""CSV imports of entities and records (双公示 current and older layouts, and ours)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM, Actor
from credit_service.demo.seed import seed
from credit_service.entities import importer as entity_importer
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput
from credit_service.identifiers import uscc_check_char
from credit_service.records import importer as record_importer
from credit_service.records import layouts
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    unique_resident_id,
    unique_uscc,
)

LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
_numbers = iter(range(1, 1_000_000))


def csv_text(columns: Iterable[str], rows: Iterable[Mapping[str, object]]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    buffer.seek(0)
    return buffer


def errors_of(report) -> list[tuple[int, str | None]]:
    return [(e.line, e.column) for e in report.errors]


def count(ctx, model, *where) -> int:
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


# --- entities -------------------------------------------------------------------------------

ENTITY_COLUMNS = ("kind", "identifier", "name", "region_code", "industry")


def entity_row(region: str = XUANZHOU, **overrides: str) -> dict[str, str]:
    row = {
        "kind": "organisation",
        "identifier": unique_uscc(region),
        "name": f"宣城导入{next(_numbers)}有限公司",
        "region_code": region,
        "industry": "C",
    }
    row.update(overrides)
    return row


def test_entity_import_creates_valid_rows_and_reports_invalid_ones_by_line(ctx):
    good = [entity_row(), entity_row(LANGXI)]
    bad_uscc = entity_row(identifier="91341802MA00000000")
    bad_region = entity_row(region_code="310000")
    stream = csv_text(ENTITY_COLUMNS, [good[0], bad_uscc, bad_region, good[1]])

    report = entity_importer.import_entities(ctx, SYSTEM, stream)

    assert (report.rows, report.created, report.invalid) == (4, 2, 2)
    assert errors_of(report) == [(3, "identifier"), (4, "region_code")]
    assert report.errors[0].reason == "identifier-check-character"
    assert report.errors[0].params == {"expected": uscc_check_char("91341802MA0000000")}
    assert report.errors[1].reason == "not-one-of"
    for row in good:
        view = entity_services.read_entity(ctx, SYSTEM, row["identifier"])
        assert view["name"] == row["name"]
    assert count(ctx, Entity) == 2


def test_entity_import_validating_in_a_worker_reports_what_it_reports_in_process(ctx):
    def rows() -> list[dict[str, str]]:  # new entities each time, the same refused rows
        bad = entity_row(LANGXI, identifier="91341802MA00000000")
        return [entity_row(LANGXI), entity_row(XUANZHOU), bad, entity_row(LANGXI)]

    reports = [
        entity_importer.import_entities(
            ctx, LANGXI_REGULATOR, csv_text(ENTITY_COLUMNS, rows()), workers=workers
        ).as_dict()
        for workers in (0, 1)
    ]

    assert reports[1] == reports[0]
    assert (reports[0]["created"], reports[0]["invalid"]) == (2, 2)
    assert [(e["line"], e["column"]) for e in reports[0]["errors"]] == [
        (3, "region_code"),
        (4, "identifier"),
    ]


def test_entity_import_stores_former_names_as_a_list_and_updates_them(ctx):
    columns = (*ENTITY_COLUMNS, "former_names")
    row = entity_row(former_names="宣城旧名甲有限公司；宣城旧名乙有限公司")

    first = entity_importer.import_entities(ctx, SYSTEM, csv_text(columns, [row]), workers=1)
    stored = entity_services.read_entity(ctx, SYSTEM, row["identifier"])["former_names"]
    renamed = {**row, "former_names": "宣城旧名丙有限公司"}
    second = entity_importer.import_entities(ctx, SYSTEM, csv_text(columns, [renamed]))

    assert (first.created, second.updated) == (1, 1)
    assert stored == ["宣城旧名甲有限公司", "宣城旧名乙有限公司"]
    view = entity_services.read_entity(ctx, SYSTEM, row["identifier"])
    assert view["former_names"] == ["宣城旧名丙有限公司"]


def test_entity_import_reports_a_row_with_too_many_values(ctx):
    first, second = entity_row(), entity_row()
    header = ",".join(ENTITY_COLUMNS)
    lines = [
        header,
        ",".join(first[c] for c in ENTITY_COLUMNS),
        ",".join(second[c] for c in ENTITY_COLUMNS) + ",多余的值",
    ]
    stream = io.StringIO("\n".join(lines) + "\n")

    report = entity_importer.import_entities(ctx, SYSTEM, stream)

    assert (report.created, report.invalid) == (1, 1)
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (3, "row", "more-values-than-columns")
    ]
    assert count(ctx, Entity, Entity.identifier == second["identifier"]) == 0


def test_entity_import_reports_one_error_per_faulty_column_of_a_row(ctx):
    row = entity_row(name="", industry="Z")

    report = entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, [row]))

    assert report.invalid == 1
    assert sorted(errors_of(report)) == [(2, "industry"), (2, "name")]


def test_entity_import_with_a_byte_order_mark_reads_the_header(ctx):
    row = entity_row()
    stream = io.StringIO("\ufeff" + csv_text(ENTITY_COLUMNS, [row]).getvalue())

    report = entity_importer.import_entities(ctx, SYSTEM, stream)

    assert (report.created, report.invalid) == (1, 0)


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ((*ENTITY_COLUMNS, "注册资本"), {"code": "unknown-columns", "columns": "注册资本"}),
        (("kind", "identifier", "name"), {"code": "missing-columns", "columns": "region_code"}),
    ],
)
def test_entity_import_with_a_bad_header_fails_before_writing_anything(ctx, columns, problem):
    row = entity_row()
    row["注册资本"] = "100万"
    stream = csv_text(columns, [{c: row[c] for c in columns}])

    with pytest.raises(InvalidInput) as raised:
        entity_importer.import_entities(ctx, SYSTEM, stream)

    assert raised.value.code == "header-mismatch"
    assert raised.value.errors == {"header": [problem]}
    assert count(ctx, Entity) == 0


def test_reimporting_the_same_entity_file_changes_nothing(ctx, clock):
    rows = [entity_row() for _ in range(3)]
    entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, rows))
    clock.advance(days=1)

    report = entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, rows))

    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 0, 0, 3)
    with ctx.session_factory() as session:
        stamps = session.execute(select(Entity.updated_at)).scalars().all()
    assert stamps and all(s < clock.now() for s in stamps)


def test_reimporting_a_changed_row_updates_that_entity_only(ctx):
    rows = [entity_row() for _ in range(3)]
    entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, rows))
    changed = [rows[0], {**rows[1], "industry": "F"}, rows[2]]

    report = entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, changed))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert entity_services.read_entity(ctx, SYSTEM, rows[1]["identifier"])["industry"] == "F"
    assert entity_services.read_entity(ctx, SYSTEM, rows[0]["identifier"])["industry"] == "C"


def test_entity_import_accepts_identifiers_in_lowercase_as_the_same_entity(ctx):
    row = entity_row()
    entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, [row]))

    again = {**row, "identifier": row["identifier"].lower()}
    report = entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, [again]))

    assert (report.created, report.unchanged) == (0, 1)


def test_a_county_scoped_entity_import_refuses_rows_outside_its_county(ctx):
    own = entity_row(LANGXI)
    elsewhere = entity_row(XUANZHOU)

    report = entity_importer.import_entities(
        ctx, LANGXI_REGULATOR, csv_text(ENTITY_COLUMNS, [elsewhere, own])
    )

    assert (report.created, report.invalid) == (1, 1)
    assert errors_of(report) == [(2, "region_code")]
    assert count(ctx, Entity, Entity.identifier == elsewhere["identifier"]) == 0


def test_a_county_scoped_entity_import_cannot_take_over_another_countys_entity(ctx):
    existing = create_entity(ctx, region_code=XUANZHOU)
    takeover = entity_row(LANGXI, identifier=existing["identifier"], name="被改名的公司")

    report = entity_importer.import_entities(
        ctx, LANGXI_REGULATOR, csv_text(ENTITY_COLUMNS, [takeover])
    )

    assert (report.created, report.updated, report.invalid) == (0, 0, 1)
    assert errors_of(report) == [(2, "identifier")]
    assert report.errors[0].reason == "outside-region"
    view = entity_services.read_entity(ctx, SYSTEM, existing["identifier"])
    assert (view["region_code"], view["name"]) == (XUANZHOU, existing["name"])


def test_entity_import_in_small_batches_imports_every_row(ctx):
    ctx.settings = ctx.settings.replace(import_batch_size=3)
    rows = [entity_row() for _ in range(7)]
    rows[4]["identifier"] = "invalid"

    report = entity_importer.import_entities(ctx, SYSTEM, csv_text(ENTITY_COLUMNS, rows))

    assert (report.rows, report.created, report.invalid) == (7, 6, 1)
    assert errors_of(report) == [(6, "identifier")]


# --- records: the current 双公示 layout -------------------------------------------------------


def dsgs_row(entity: Mapping[str, object], **overrides: str) -> dict[str, str]:
    person = entity["kind"] == "natural_person"
    row = {
        "CF_XDR_MC": str(entity["name"]),
        "CF_XDR_LB": "自然人" if person else "法人及非法人组织",
        "CF_XDR_SHXYM": "" if person else str(entity["identifier"]),
        "CF_XDR_ZJLX": "身份证" if person else "",
        "CF_XDR_ZJHM": str(entity["identifier"]) if person else "",
        "CF_FRDB": "" if person else "张三",
        "CF_WSH": f"宣市监知罚〔2026〕{next(_numbers)}号",
        "CF_WFXW": "假冒专利",
        "CF_SY": "在产品上标注他人专利号",
        "CF_YJ": "《中华人民共和国专利法》第六十八条",
        "CF_CFLB": "罚款;没收违法所得",
        "CF_NR": "罚款人民币五万元",
        "CF_NR_FK": "5",
        "CF_NR_WFFF": "1.2",
        "CF_JDRQ": "2026-03-15",
        "CF_CFJG": "宣城市市场监督管理局",
        "CF_CFJGDM": "11341800MB0000001",
        "BZ": "",
    }
    row.update(overrides)
    return row


def dsgs_csv(rows: list[dict[str, str]]) -> io.StringIO:
    columns = [c for c in layouts.DSGS_COLUMNS if any(c in r for r in rows)]
    return csv_text(columns, rows)


def records_of(ctx, source_ref: str) -> list[CreditRecord]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(CreditRecord).where(CreditRecord.source_ref == source_ref)
            ).scalars()
        )


def test_dsgs_columns_cover_the_documented_party_and_fact_fields():
    assert {"CF_XDR_SHXYM", "CF_XDR_LB", "CF_XDR_ZJHM", "CF_WFXW", "CF_CFLB"} <= set(
        layouts.DSGS_COLUMNS
    )
    assert "CF_XDR_ZJHM" not in layouts.DSGS_FACTS  # the party block is not stored


def test_dsgs_import_files_records_under_the_item_of_the_violation_type(ctx):
    entity = create_entity(ctx)
    row = dsgs_row(entity)

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    assert (report.rows, report.created, report.invalid) == (1, 1, 0)
    [record] = records_of(ctx, row["CF_WSH"])
    assert record.item_code == "PAT-PEN-COUNTERFEIT"
    assert record.entity_id == entity["id"]
    assert record.source_authority == "宣城市市场监督管理局"
    assert record.severity == "general"
    assert record.fields["CF_CFLB"] == ["罚款", "没收违法所得"]
    assert record.fields["CF_NR_WFFF"] == "1.2"
    assert not {"CF_XDR_MC", "CF_XDR_SHXYM", "CF_FRDB"} & set(record.fields)
    assert record.revision_reason == "imported"


def test_dsgs_import_resolves_the_item_from_any_of_its_violation_types(ctx):
    entity = create_entity(ctx)
    agency = dsgs_row(entity, CF_WFXW="擅自开展专利代理业务")
    trademark = dsgs_row(entity, CF_WFXW="商标侵权")

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([agency, trademark]))

    assert report.created == 2
    assert records_of(ctx, agency["CF_WSH"])[0].item_code == "PAT-PEN-AGENCY"
    assert records_of(ctx, trademark["CF_WSH"])[0].item_code == "TM-PEN-INFRINGEMENT"


def test_dsgs_import_takes_an_explicit_item_code_and_heavier_penalty_flag(ctx):
    entity = create_entity(ctx)
    row = dsgs_row(
        entity, CF_WFXW="其他专利违法行为", ITEM_CODE="PAT-PEN-COUNTERFEIT", heavier_penalty="是"
    )

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    assert report.created == 1
    [record] = records_of(ctx, row["CF_WSH"])
    assert record.item_code == "PAT-PEN-COUNTERFEIT"
    assert (record.severity, record.heavier_penalty) == ("severe", True)


def test_dsgs_import_of_a_natural_person_finds_the_party_by_id_number(ctx):
    person = create_person(ctx)
    row = dsgs_row(person, CF_XDR_ZJHM=str(person["identifier"]).lower())

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    assert (report.created, report.invalid) == (1, 0)
    assert records_of(ctx, row["CF_WSH"])[0].entity_id == person["id"]


def test_dsgs_import_reports_rows_it_cannot_file(ctx):
    entity = create_entity(ctx)
    good = dsgs_row(entity)
    unknown_party = dsgs_row({**entity, "identifier": unique_uscc()})
    unknown_violation = dsgs_row(entity, CF_WFXW="虚假宣传")
    missing_fine = dsgs_row(entity, CF_NR_FK="")
    bad_date = dsgs_row(entity, CF_JDRQ="2026年3月15日")
    # out of the domain range: date arithmetic on 9999-12-31 and decimal arithmetic on
    # 1e999999999 overflowed and stopped the whole import; a decision cannot be future
    out_of_range = [
        dsgs_row(entity, CF_JDRQ="9999-12-31"),
        dsgs_row(entity, CF_JDRQ="2026-11-26"),  # the day after today
        dsgs_row(entity, CF_JDRQ="1900-01-01"),
        dsgs_row(entity, CF_NR_FK="1e999999999"),
    ]
    rows = [good, unknown_party, unknown_violation, missing_fine, bad_date, *out_of_range]

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))

    assert (report.rows, report.created, report.invalid) == (9, 1, 8)
    assert sorted(errors_of(report)) == [
        (3, "party"),
        (4, "CF_WFXW"),
        (5, "CF_NR_FK"),
        (6, "CF_JDRQ"),
        (7, "CF_JDRQ"),
        (8, "CF_JDRQ"),
        (9, "CF_JDRQ"),
        (10, "CF_NR_FK"),
    ]
    assert next(e.reason for e in report.errors if e.column == "party") == "party-not-registered"
    assert count(ctx, CreditRecord) == 1


def test_dsgs_import_reports_a_row_with_too_many_values(ctx):
    entity = create_entity(ctx)
    row = dsgs_row(entity)
    text = dsgs_csv([row]).getvalue().rstrip("\r\n") + ",多余\r\n"

    report = record_importer.import_records(ctx, SYSTEM, io.StringIO(text))

    assert [(e.line, e.column) for e in report.errors] == [(2, "row")]
    assert report.created == 0


def test_dsgs_import_with_an_unknown_column_fails_before_writing_anything(ctx):
    entity = create_entity(ctx)
    row = {**dsgs_row(entity), "CF_UNKNOWN": "x"}
    columns = [*(c for c in layouts.DSGS_COLUMNS if c in row), "CF_UNKNOWN"]

    with pytest.raises(InvalidInput) as raised:
        record_importer.import_records(ctx, SYSTEM, csv_text(columns, [row]))

    assert raised.value.errors == {"header": [{"code": "unknown-columns", "columns": "CF_UNKNOWN"}]}
    assert count(ctx, CreditRecord) == 0


def test_reimporting_the_same_record_file_changes_nothing(ctx):
    entity = create_entity(ctx)
    rows = [dsgs_row(entity) for _ in range(3)]
    record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))

    assert (report.created, report.updated, report.unchanged, report.invalid) == (0, 0, 3, 0)
    assert count(ctx, CreditRecord) == 3
    assert all(records_of(ctx, r["CF_WSH"])[0].revision == 1 for r in rows)


def test_a_record_filed_by_hand_is_unchanged_when_the_same_row_is_imported(ctx):
    entity = create_entity(ctx)
    row = dsgs_row(entity, CF_CFLB="罚款", CF_NR_WFFF="")
    same = ("CF_WSH", "CF_NR_FK", "CF_JDRQ", "CF_CFJG", "CF_CFJGDM")
    filed = file_penalty(ctx, entity["identifier"], **{k: row[k] for k in same})

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert records_of(ctx, row["CF_WSH"])[0].id == filed["id"]


def test_reimporting_changed_content_makes_a_correction(ctx):
    entity = create_entity(ctx)
    row = dsgs_row(entity)
    record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    changed = {**row, "CF_NR_FK": "8", "CF_NR": "罚款人民币八万元"}
    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv([changed]))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    [record] = records_of(ctx, row["CF_WSH"])
    assert record.revision == 2
    assert record.fields["CF_NR_FK"] == "8"
    history = record_services.read_record(ctx, SYSTEM, record.id)["revisions"]
    assert [(r["revision"], r["reason"]) for r in history] == [
        (1, "imported"),
        (2, "import correction"),
    ]
    assert history[0]["fields"]["CF_NR_FK"] == "5"


def test_a_document_already_filed_for_another_entity_is_a_row_error(ctx):
    first, second = create_entity(ctx), create_entity(ctx)
    row = dsgs_row(first)
    record_importer.import_records(ctx, SYSTEM, dsgs_csv([row]))

    report = record_importer.import_records(
        ctx, SYSTEM, dsgs_csv([dsgs_row(second, CF_WSH=row["CF_WSH"])])
    )

    assert (report.created, report.updated, report.unchanged, report.invalid) == (0, 0, 0, 1)
    assert errors_of(report) == [(2, "CF_WSH")]
    assert records_of(ctx, row["CF_WSH"])[0].entity_id == first["id"]


def test_a_county_scoped_record_import_refuses_parties_outside_its_county(ctx):
    own = create_entity(ctx, region_code=LANGXI)
    elsewhere = create_entity(ctx, region_code=XUANZHOU)
    rows = [dsgs_row(elsewhere), dsgs_row(own)]

    report = record_importer.import_records(ctx, LANGXI_REGULATOR, dsgs_csv(rows))

    assert (report.created, report.invalid) == (1, 1)
    assert errors_of(report) == [(2, "party")]
    assert report.errors[0].reason == "outside-region"
    assert records_of(ctx, rows[0]["CF_WSH"]) == []


def test_a_county_record_import_cannot_tell_a_person_elsewhere_from_an_unregistered_one(ctx):
    person = create_person(ctx, region_code=XUANZHOU)
    unregistered = {**person, "identifier": unique_resident_id(XUANZHOU, born="19700101")}

    report = record_importer.import_records(
        ctx, LANGXI_REGULATOR, dsgs_csv([dsgs_row(person), dsgs_row(unregistered)])
    )

    assert errors_of(report) == [(2, "party"), (3, "party")]
    assert {e.reason for e in report.errors} == {"party-not-registered"}


def test_record_import_in_batches_of_three_imports_all_seven_rows(ctx):
    ctx.settings = ctx.settings.replace(import_batch_size=3)
    entity = create_entity(ctx)
    rows = [dsgs_row(entity) for _ in range(7)]

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))

    assert (report.rows, report.created, report.invalid) == (7, 7, 0)
    assert count(ctx, CreditRecord) == 7
    again = record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))
    assert (again.created, again.unchanged) == (0, 7)


def test_record_import_in_batches_reports_lines_of_every_batch(ctx):
    ctx.settings = ctx.settings.replace(import_batch_size=3)
    entity = create_entity(ctx)
    rows = [dsgs_row(entity) for _ in range(7)]
    rows[1]["CF_SY"] = ""
    rows[5]["CF_XDR_SHXYM"] = unique_uscc()

    report = record_importer.import_records(ctx, SYSTEM, dsgs_csv(rows))

    assert (report.created, report.invalid) == (5, 2)
    assert errors_of(report) == [(3, "CF_SY"), (7, "party")]


# --- records: the older 双公示 layout ---------------------------------------------------------

LEGACY_USED = (
    "CF_WSH",
    "CF_CFMC",
    "CF_CFLB1",
    "CF_CFLB2",
    "CF_SY",
    "CF_YJ",
    "CF_XDR_MC",
    "CF_XDR_SHXYM",
    "CF_XDR_SFZ",
    "CF_FR",
    "CF_JG",
    "CF_JDRQ",
    "CF_XZJG",
    "CF_ZT",
    "DFBM",
    "SJC",
)


def legacy_row(entity: Mapping[str, object], **overrides: str) -> dict[str, str]:
    person = entity["kind"] == "natural_person"
    row = {
        "CF_WSH": f"宣市监知罚〔2018〕{next(_numbers)}号",
        "CF_CFMC": "假冒专利",
        "CF_CFLB1": "责令停产停业",
        "CF_CFLB2": "通报批评",
        "CF_SY": "在产品上标注他人专利号",
        "CF_YJ": "《中华人民共和国专利法》第六十三条",
        "CF_XDR_MC": str(entity["name"]),
        "CF_XDR_SHXYM": "" if person else str(entity["identifier"]),
        "CF_XDR_SFZ": str(entity["identifier"]) if person else "",
        "CF_FR": "" if person else "张三",
        "CF_JG": "责令停产停业三个月并通报批评",
        "CF_JDRQ": "2018/06/01",
        "CF_XZJG": "宣城市知识产权局",
        "CF_ZT": "0",
        "DFBM": "341800",
        "SJC": "2018-06-02 10:00:00",
    }
    row.update(overrides)
    return row


def test_legacy_layout_rows_are_mapped_to_the_current_fields(ctx):
    entity = create_entity(ctx)
    row = legacy_row(entity)

    report = record_importer.import_records(ctx, SYSTEM, csv_text(LEGACY_USED, [row]))

    assert (report.created, report.invalid) == (1, 0), report.errors
    [record] = records_of(ctx, row["CF_WSH"])
    assert record.item_code == "PAT-PEN-COUNTERFEIT"
    assert record.source_authority == "宣城市知识产权局"
    assert record.decision_date.isoformat() == "2018-06-01"
    assert record.fields["CF_WFXW"] == "假冒专利"
    assert record.fields["CF_CFLB"] == ["通报批评", "责令停产停业"]  # in catalog order
    assert record.fields["CF_NR"] == "责令停产停业三个月并通报批评"
    assert record.severity == "severe"
    assert not {"CF_ZT", "DFBM", "SJC", "CF_FR"} & set(record.fields)


def test_legacy_layout_finds_a_natural_person_by_the_id_card_column(ctx):
    person = create_person(ctx)
    row = legacy_row(person)

    report = record_importer.import_records(ctx, SYSTEM, csv_text(LEGACY_USED, [row]))

    assert report.created == 1
    assert records_of(ctx, row["CF_WSH"])[0].entity_id == person["id"]


def test_legacy_layout_reimport_is_unchanged_and_a_change_is_a_correction(ctx):
    entity = create_entity(ctx)
    row = legacy_row(entity)
    record_importer.import_records(ctx, SYSTEM, csv_text(LEGACY_USED, [row]))

    same = record_importer.import_records(ctx, SYSTEM, csv_text(LEGACY_USED, [row]))
    changed = record_importer.import_records(
        ctx, SYSTEM, csv_text(LEGACY_USED, [{**row, "CF_SY": "销售假冒专利产品"}])
    )

    assert (same.created, same.unchanged) == (0, 1)
    assert changed.updated == 1
    assert records_of(ctx, row["CF_WSH"])[0].revision == 2


def test_legacy_layout_reports_a_violation_type_without_an_item(ctx):
    entity = create_entity(ctx)
    row = legacy_row(entity, CF_CFMC="无照经营")

    report = record_importer.import_records(ctx, SYSTEM, csv_text(LEGACY_USED, [row]))

    assert errors_of(report) == [(2, "CF_WFXW")]


# --- records: our generic layout -------------------------------------------------------------


def test_generic_layout_files_records_of_any_item(ctx):
    entity = create_entity(ctx)
    columns = (
        "entity",
        "item_code",
        "document_no",
        "decision_date",
        "authority_code",
        "conduct_facts",
        "basis_text",
        "application_numbers",
        "CF_WSH",
        "CF_WFXW",
        "CF_SY",
        "CF_YJ",
        "CF_CFLB",
        "CF_NR",
        "CF_NR_FK",
        "CF_JDRQ",
        "CF_CFJG",
    )
    finding = {
        "entity": entity["identifier"].lower(),
        "item_code": "PAT-DIS-ABNORMAL-APPLICATION",
        "document_no": "国知认〔2026〕1号",
        "decision_date": "2026-02-01",
        "authority_code": "国家知识产权局",
        "conduct_facts": "批量提交非正常专利申请",
        "basis_text": "国知发保字〔2022〕8号第六条",
        "application_numbers": "CN202610000001.9； 202620000002.9",
    }
    penalty = {
        "entity": entity["identifier"],
        "item_code": "PAT-PEN-COUNTERFEIT",
        "CF_WSH": "宣市监知罚〔2026〕77号",
        "CF_WFXW": "假冒专利",
        "CF_SY": "在产品上标注他人专利号",
        "CF_YJ": "专利法第六十八条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款五万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2026-03-15",
        "CF_CFJG": "宣城市市场监督管理局",
    }

    report = record_importer.import_records(ctx, SYSTEM, csv_text(columns, [finding, penalty]))

    assert (report.created, report.invalid) == (2, 0), report.errors
    [found] = records_of(ctx, "国知认〔2026〕1号")
    assert found.item_code == "PAT-DIS-ABNORMAL-APPLICATION"
    assert found.severity == "general"
    assert found.fields["application_numbers"] == ["202610000001.9", "202620000002.9"]
    assert records_of(ctx, "宣市监知罚〔2026〕77号")[0].item_code == "PAT-PEN-COUNTERFEIT"


def test_generic_layout_reports_an_unknown_item_and_a_field_of_another_item(ctx):
    entity = create_entity(ctx)
    columns = ("entity", "item_code", "document_no", "decision_date", "authority_code", "CF_SY")
    unknown_item = {"entity": entity["identifier"], "item_code": "PAT-NO-SUCH"}
    foreign_field = {
        "entity": entity["identifier"],
        "item_code": "PAT-TRU-DEMO-ENTERPRISE",
        "document_no": "国知办函〔2025〕9号",
        "decision_date": "2025-12-01",
        "authority_code": "国家知识产权局",
        "CF_SY": "不属于该条目的字段",
    }

    report = record_importer.import_records(
        ctx, SYSTEM, csv_text(columns, [unknown_item, foreign_field])
    )

    assert report.invalid == 2
    assert (2, "ITEM_CODE") in errors_of(report)
    assert (3, "CF_SY") in errors_of(report)


# --- demo seed ------------------------------------------------------------------------------


def seed_counts(summary: str) -> tuple[int, ...]:
    numbers = re.fullmatch(
        r"entities: (\d+) created, (\d+) unchanged; "
        r"records: (\d+) created, (\d+) unchanged, (\d+) invalid",
        summary,
    )
    assert numbers, summary
    return tuple(int(n) for n in numbers.groups())


def test_the_demo_seed_imports_cleanly_and_a_second_run_creates_nothing(ctx):
    first = seed_counts(seed(ctx, SYSTEM, entities=60, seed=7))
    entities_after_first = count(ctx, Entity)
    records_after_first = count(ctx, CreditRecord)

    second = seed_counts(seed(ctx, SYSTEM, entities=60, seed=7))

    entities_created, _, records_created, _, invalid = first
    assert invalid == 0
    assert entities_created == entities_after_first > 50
    assert records_created == records_after_first > 0
    assert second == (0, entities_created, 0, records_created, 0)
    assert count(ctx, Entity) == entities_after_first
    assert count(ctx, CreditRecord) == records_after_first
