"""Credit-record services against a real database: file, correct, read, list."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM, Actor
from credit_service.audit.models import AuditEvent
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.loader import load_catalog_set
from credit_service.catalogs.models import CatalogVersion
from credit_service.config import PROJECT_ROOT
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord, CreditRecordRevision
from tests.factories import (
    CITY,
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    penalty_fields,
)

LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)


def count_records(ctx, source_ref: str) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(CreditRecord)
            .where(CreditRecord.source_ref == source_ref)
        ).scalar_one()


def count_audit(ctx, action: str) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        ).scalar_one()


def current_label(ctx, domain: str = "patent") -> str:
    with ctx.session_factory() as session:
        version = session.execute(
            select(CatalogVersion).where(CatalogVersion.domain == domain, CatalogVersion.is_current)
        ).scalar_one()
        return version.label


def file(ctx, entity: str, fields: dict, item_code: str = PENALTY_ITEM, actor: Actor = SYSTEM):
    return record_services.file_record(
        ctx, actor, entity=entity, item_code=item_code, fields=fields
    )


# --- filing ---------------------------------------------------------------------------------


def test_a_fine_is_a_general_penalty_public_for_a_year_repairable_after_three_months(ctx):
    entity = create_entity(ctx)

    view = file_penalty(ctx, entity["identifier"], CF_JDRQ="2026-03-15")

    assert view["item_code"] == PENALTY_ITEM
    assert view["category"] == "dishonest"
    assert view["severity"] == "general"
    assert view["heavier_penalty"] is False
    assert view["decision_date"] == date(2026, 3, 15)
    # D15: counted from the day after; public through the same day-of-month a year later.
    assert view["publicity_end"] == date(2027, 3, 15)
    # D8: general minimum 3 months; repair once the minimum has passed (the day after its end).
    assert view["repair_from"] == date(2026, 6, 16)
    assert view["retention_end"] == date(2031, 3, 15)
    assert view["early_stop_allowed"] is True
    assert view["status"] == "active"
    assert view["revision"] == 1
    assert view["source_authority"] == "宣城市市场监督管理局"
    assert view["fields"]["CF_NR_FK"] == "5"


def test_a_heavy_penalty_is_severe_public_for_three_years_and_cannot_stop_early(ctx):
    entity = create_entity(ctx)

    view = file_penalty(
        ctx, entity["identifier"], CF_CFLB=["责令停产停业"], CF_NR_FK=None, CF_JDRQ="2026-04-30"
    )

    assert view["severity"] == "severe"
    assert view["heavier_penalty"] is True
    assert view["publicity_end"] == date(2029, 4, 30)
    assert view["early_stop_allowed"] is False
    assert view["repair_from"] is None


def test_a_warning_only_penalty_is_never_published(ctx):
    entity = create_entity(ctx)

    view = file_penalty(ctx, entity["identifier"], CF_CFLB="警告", CF_NR_FK=None)

    assert view["severity"] == "minor"
    assert view["publicity_end"] is None
    assert view["repair_from"] is None


def test_a_publicity_end_in_the_past_reads_as_expired(ctx):
    entity = create_entity(ctx)

    view = file_penalty(ctx, entity["identifier"], CF_JDRQ="2025-11-24")

    assert view["publicity_end"] == date(2026, 11, 24)
    assert ctx.today() == date(2026, 11, 25)
    assert view["status"] == "expired"


def test_filing_is_audited(ctx):
    entity = create_entity(ctx)

    view = file_penalty(ctx, entity["identifier"])

    with ctx.session_factory() as session:
        event = session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "record.file", AuditEvent.object_id == str(view["id"])
            )
        ).scalar_one()
    assert event.details == {"item": PENALTY_ITEM, "source_ref": view["source_ref"]}


def test_filing_identical_fields_again_returns_the_same_record_and_writes_nothing(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()
    first, created = file(ctx, entity["identifier"], fields)
    audits_before = count_audit(ctx, "record.file")

    again, created_again = file(ctx, entity["identifier"].lower(), dict(fields))

    assert created is True
    assert created_again is False
    assert again["id"] == first["id"]
    assert count_records(ctx, fields["CF_WSH"]) == 1
    assert count_audit(ctx, "record.file") == audits_before


def test_equivalent_input_in_another_form_is_the_same_record(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields(CF_NR_FK="5.0", CF_JDRQ="2026/03/15")
    first, _ = file(ctx, entity["identifier"], fields)

    again, created = file(
        ctx, entity["identifier"], {**fields, "CF_NR_FK": "5", "CF_JDRQ": "2026-03-15"}
    )

    assert created is False
    assert again["id"] == first["id"]


def test_the_same_document_number_with_other_content_is_a_conflict_naming_the_record(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()
    first, _ = file(ctx, entity["identifier"], fields)

    with pytest.raises(Conflict) as raised:
        file(ctx, entity["identifier"], {**fields, "CF_NR_FK": "8", "CF_NR": "罚款人民币八万元"})

    assert raised.value.code == "record-exists-different"
    assert raised.value.extensions == {"record_id": first["id"]}
    assert count_records(ctx, fields["CF_WSH"]) == 1


def test_the_same_document_filed_against_another_entity_is_a_conflict(ctx):
    first_entity = create_entity(ctx)
    second_entity = create_entity(ctx)
    fields = penalty_fields()
    first, _ = file(ctx, first_entity["identifier"], fields)

    with pytest.raises(Conflict) as raised:
        file(ctx, second_entity["identifier"], fields)

    assert raised.value.extensions["record_id"] == first["id"]


def test_the_same_document_number_from_another_authority_is_another_record(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()
    first, _ = file(ctx, entity["identifier"], fields)

    second, created = file(ctx, entity["identifier"], {**fields, "CF_CFJG": "郎溪县市场监督管理局"})

    assert created is True
    assert second["id"] != first["id"]


def test_an_unknown_item_code_is_refused_by_the_catalog_gate(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()

    with pytest.raises(InvalidInput) as raised:
        file(ctx, entity["identifier"], fields, item_code="PAT-PEN-NO-SUCH-ITEM")

    assert raised.value.code == "unknown-catalog-item"
    assert "item_code" in raised.value.errors
    assert count_records(ctx, fields["CF_WSH"]) == 0


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"CF_SY": ""}, "fields.CF_SY"),
        ({"CF_NR_FK": None}, "fields.CF_NR_FK"),  # required when the penalty includes a fine
        ({"CF_NR_FK": "五万"}, "fields.CF_NR_FK"),
        ({"CF_NR_FK": "-1"}, "fields.CF_NR_FK"),
        ({"CF_JDRQ": "2026-02-30"}, "fields.CF_JDRQ"),
        ({"CF_CFLB": ["罚款", "拘役"]}, "fields.CF_CFLB"),
        ({"patent_numbers": ["201810000000.1"]}, "fields.patent_numbers"),
        ({"CF_WSH": "号" * 201}, "fields.CF_WSH"),
        ({"NOT_A_FIELD": "x"}, "fields.NOT_A_FIELD"),
        ({"CF_NR_WFFF": None, "CF_CFLB": ["没收违法所得"]}, "fields.CF_NR_WFFF"),
    ],
)
def test_fields_that_do_not_fit_the_item_are_invalid_input_per_field(ctx, overrides, key):
    entity = create_entity(ctx)
    fields = penalty_fields(**overrides)

    with pytest.raises(InvalidInput) as raised:
        file(ctx, entity["identifier"], fields)

    assert key in raised.value.errors
    assert all(k.startswith("fields.") for k in raised.value.errors)
    with ctx.session_factory() as session:
        assert session.execute(select(CreditRecord)).first() is None


def test_a_required_field_with_a_wrong_value_says_why_not_that_it_is_missing(ctx):
    entity = create_entity(ctx)

    with pytest.raises(InvalidInput) as raised:
        file(ctx, entity["identifier"], penalty_fields(CF_JDRQ="2026年3月15日", CF_SY=" "))

    assert raised.value.errors["fields.CF_JDRQ"] == ["not-a-date"]
    assert raised.value.errors["fields.CF_SY"] == [{"code": "field-required", "label": "违法事实"}]


def test_filing_for_an_unknown_entity_is_not_found(ctx):
    with pytest.raises(NotFound):
        file(ctx, "91341802MA00000000", penalty_fields())


def test_a_county_regulator_cannot_file_against_another_countys_entity(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    fields = penalty_fields()

    with pytest.raises(Forbidden):
        file(ctx, entity["identifier"], fields, actor=LANGXI_REGULATOR)

    assert count_records(ctx, fields["CF_WSH"]) == 0


def test_a_natural_persons_record_shows_the_person_masked(ctx):
    person = create_person(ctx, name="欧阳明华")

    view = file_penalty(ctx, person["identifier"])

    assert view["entity"]["name"] == "欧阳**"
    assert view["entity"]["identifier"] != person["identifier"]
    assert view["entity"]["identifier"].startswith(person["identifier"][:6])


def test_nothing_is_half_written_when_the_audit_append_fails(ctx, monkeypatch):
    from credit_service.audit import services as audit_services

    entity = create_entity(ctx)
    fields = penalty_fields()

    def failing_append(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit_services, "append", failing_append)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        file(ctx, entity["identifier"], fields)
    monkeypatch.undo()

    assert count_records(ctx, fields["CF_WSH"]) == 0
    again, created = file(ctx, entity["identifier"], fields)
    assert created is True
    assert count_records(ctx, fields["CF_WSH"]) == 1
    assert again["revision"] == 1


FINDING = {
    "document_no": "国知认〔2026〕21号",
    "decision_date": "2026-05-10",
    "authority_code": "国家知识产权局",
    "conduct_facts": "经认定的失信行为事实",
    "basis_text": "国知发保字〔2022〕8号",
}
REFUSED_PENALTY = {
    "penalty_document_no": "宣市监知罚〔2025〕7号",
    "penalty_authority": "宣城市市场监督管理局",
}
REFUSED_RULING = {
    "document_no": "国知认〔2026〕22号",
    "decision_date": "2026-05-10",
    "authority_code": "国家知识产权局",
    "ruling_document_no": "宣市监知裁〔2025〕3号",
    "ruling_date": "2025-09-01",
    "ruling_authority": "宣城市市场监督管理局",
    "ruling_content": "责令立即停止侵权行为",
    "non_performance_facts": "裁决送达后仍继续销售侵权商品",
    "trademark_numbers": ["12345678"],
}
CATALOGUED = {"catalogue_entry": "知识产权领域公共信用信息补充目录（2026年版）第12项"}


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        # CNIPA category 7: other conduct the catalogue lists as dishonest (D9)
        ("PAT-DIS-OTHER-CATALOGUED", {**FINDING, **CATALOGUED}),
        ("TM-DIS-OTHER-CATALOGUED", {**FINDING, **CATALOGUED}),
        ("GI-DIS-OTHER-CATALOGUED", {**FINDING, **CATALOGUED}),
        # CNIPA category 6 in the variants a domain lacked: refusing a penalty, a ruling
        ("PAT-DIS-REFUSE-PENALTY", {**FINDING, **REFUSED_PENALTY}),
        ("GI-DIS-REFUSE-PENALTY", {**FINDING, **REFUSED_PENALTY}),
        ("TM-DIS-REFUSE-RULING", REFUSED_RULING),
        ("GI-DIS-REFUSE-RULING", REFUSED_RULING),
    ],
)
def test_findings_of_categories_six_and_seven_pass_the_catalog_gate(ctx, code, fields):
    entity = create_entity(ctx)

    view, _ = file(ctx, entity["identifier"], fields, item_code=code)

    assert (view["item_code"], view["category"], view["severity"]) == (code, "dishonest", "general")
    assert view["publicity_end"] == date(2027, 5, 10)  # the findings' own period, P6M to P1Y
    assert view["repair_from"] == date(2026, 11, 11)


def test_the_record_says_which_day_its_retention_counts_from(ctx):
    """D16: from the end of the conduct where the record has it; a correction that drops
    it counts again from the decision date."""
    entity = create_entity(ctx)
    fields = {**FINDING, **CATALOGUED, "conduct_end_date": "2023-02-28"}

    view, _ = file(ctx, entity["identifier"], fields, item_code="PAT-DIS-OTHER-CATALOGUED")

    assert view["retention_from"] == "conduct_end_date"
    assert view["retention_start"] == date(2023, 2, 28)
    assert view["retention_end"] == date(2028, 2, 28)
    read = record_services.read_record(ctx, SYSTEM, view["id"])
    assert (read["retention_from"], read["retention_end"]) == (
        "conduct_end_date",
        date(2028, 2, 28),
    )

    del fields["conduct_end_date"]
    corrected = record_services.correct_record(
        ctx, SYSTEM, view["id"], fields=fields, reason="行为终止日期有误"
    )
    assert corrected["retention_from"] == "decision_date"
    assert corrected["retention_start"] == date(2026, 5, 10)
    assert corrected["retention_end"] == date(2031, 5, 10)


# --- corrections and history ----------------------------------------------------------------


def test_a_correction_makes_revision_two_and_keeps_revision_one_readable(ctx, clock):
    entity = create_entity(ctx)
    fields = penalty_fields()
    filed, _ = file(ctx, entity["identifier"], fields)
    filed_at = clock.now()
    clock.advance(days=2)

    corrected = record_services.correct_record(
        ctx,
        SYSTEM,
        filed["id"],
        fields={**fields, "CF_NR_FK": "8", "CF_NR": "罚款人民币八万元"},
        reason="金额录入错误",
    )
    view = record_services.read_record(ctx, SYSTEM, filed["id"])

    assert corrected["revision"] == 2
    assert corrected["fields"]["CF_NR_FK"] == "8"
    assert view["revision"] == 2
    label = current_label(ctx)
    assert [
        (r["revision"], r["current"], r["reason"], r["made_at"], r["catalog_version"])
        for r in view["revisions"]
    ] == [
        (1, False, "filed", filed_at, label),
        (2, True, "金额录入错误", clock.now(), label),
    ]
    assert view["revisions"][0]["fields"] == filed["fields"]
    assert view["revisions"][0]["fields"]["CF_NR_FK"] == "5"
    assert view["revisions"][1]["fields"]["CF_NR_FK"] == "8"
    assert label.startswith("2026年版+")
    assert count_audit(ctx, "record.correct") == 1


def test_a_correction_recomputes_severity_and_dates(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields(CF_JDRQ="2026-05-10")
    filed, _ = file(ctx, entity["identifier"], fields)

    corrected = record_services.correct_record(
        ctx,
        SYSTEM,
        filed["id"],
        fields={**fields, "CF_CFLB": ["罚款", "吊销许可证件"], "CF_NR_ZKDX": "专利代理许可证"},
        reason="补录吊销",
    )

    assert filed["severity"] == "general"
    assert corrected["severity"] == "severe"
    assert corrected["publicity_end"] == date(2029, 5, 10)
    history = record_services.read_record(ctx, SYSTEM, filed["id"])["revisions"]
    assert [(r["severity"], r["publicity_end"]) for r in history] == [
        ("general", date(2027, 5, 10)),
        ("severe", date(2029, 5, 10)),
    ]


def test_a_correction_with_unchanged_content_makes_no_revision(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()
    filed, _ = file(ctx, entity["identifier"], fields)

    view = record_services.correct_record(ctx, SYSTEM, filed["id"], fields=fields, reason="无变化")

    assert view["revision"] == 1
    with ctx.session_factory() as session:
        assert session.execute(select(CreditRecordRevision)).first() is None


@pytest.mark.parametrize(
    "change", [{"CF_WSH": "宣市监知罚〔2026〕99999号"}, {"CF_CFJG": "郎溪县市场监督管理局"}]
)
def test_a_correction_cannot_change_the_document_number_or_authority(ctx, change):
    entity = create_entity(ctx)
    fields = penalty_fields()
    filed, _ = file(ctx, entity["identifier"], fields)

    with pytest.raises(InvalidInput) as raised:
        record_services.correct_record(
            ctx, SYSTEM, filed["id"], fields={**fields, **change}, reason="改文号"
        )

    assert "fields" in raised.value.errors
    view = record_services.read_record(ctx, SYSTEM, filed["id"])
    assert view["revision"] == 1
    assert view["source_ref"] == fields["CF_WSH"]


def test_a_correction_that_does_not_fit_the_item_is_refused(ctx):
    entity = create_entity(ctx)
    fields = penalty_fields()
    filed, _ = file(ctx, entity["identifier"], fields)

    with pytest.raises(InvalidInput) as raised:
        record_services.correct_record(
            ctx, SYSTEM, filed["id"], fields={**fields, "CF_SY": ""}, reason="x"
        )

    assert "fields.CF_SY" in raised.value.errors


def test_correcting_an_unknown_record_is_not_found(ctx):
    with pytest.raises(NotFound):
        record_services.correct_record(ctx, SYSTEM, 987654, fields=penalty_fields(), reason="x")


def test_a_county_regulator_cannot_read_or_correct_another_countys_record(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    fields = penalty_fields()
    filed, _ = file(ctx, entity["identifier"], fields)

    with pytest.raises(Forbidden):
        record_services.read_record(ctx, LANGXI_REGULATOR, filed["id"])
    with pytest.raises(Forbidden):
        record_services.correct_record(
            ctx, LANGXI_REGULATOR, filed["id"], fields={**fields, "CF_NR_FK": "9"}, reason="x"
        )

    assert record_services.read_record(ctx, SYSTEM, filed["id"])["revision"] == 1


# --- listing --------------------------------------------------------------------------------


def test_list_entity_records_paginates_over_only_that_entitys_records(ctx):
    entity = create_entity(ctx)
    other = create_entity(ctx)
    filed = [file_penalty(ctx, entity["identifier"])["id"] for _ in range(5)]
    file_penalty(ctx, other["identifier"])

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = record_services.list_entity_records(
            ctx, SYSTEM, entity["identifier"], cursor=cursor, limit=2
        )
        pages += 1
        seen.extend(item["id"] for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert seen == sorted(filed)


def test_list_entity_records_refuses_a_bogus_cursor(ctx):
    entity = create_entity(ctx)

    with pytest.raises(InvalidInput):
        record_services.list_entity_records(ctx, SYSTEM, entity["identifier"], cursor="%%%")


# --- catalog versions -----------------------------------------------------------------------


@pytest.fixture
def renamed_catalogs(tmp_path: Path):
    """The project catalogs with the counterfeiting item renamed: a new patent version."""
    directory = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", directory)
    patents = directory / "patents.yaml"
    text = patents.read_text(encoding="utf-8")
    old = "name: 假冒专利行政处罚信息\n"
    assert text.count(old) == 1
    patents.write_text(text.replace(old, "name: 假冒专利行政处罚信息（2026年修订）\n"), "utf-8")
    return load_catalog_set(directory)


def test_a_record_keeps_its_catalog_version_after_a_new_version_is_registered(
    ctx, renamed_catalogs
):
    entity = create_entity(ctx)
    old_fields = penalty_fields()
    old, _ = file(ctx, entity["identifier"], old_fields)
    old_label = current_label(ctx)

    ctx.catalogs = renamed_catalogs
    results = {r.domain: r.outcome for r in catalog_services.register_catalogs(ctx)}
    new_label = current_label(ctx)
    new, created = file(ctx, entity["identifier"], penalty_fields())

    assert results["patent"] == "created"
    assert results["trademark"] == "unchanged"
    assert new_label != old_label
    assert created is True
    old_view = record_services.read_record(ctx, SYSTEM, old["id"])
    new_view = record_services.read_record(ctx, SYSTEM, new["id"])
    assert [r["catalog_version"] for r in old_view["revisions"]] == [old_label]
    assert [r["catalog_version"] for r in new_view["revisions"]] == [new_label]
    assert old_view["fields"] == old["fields"]
    # Filing the old record again under the new version is still recognised as the same.
    again, created_again = file(ctx, entity["identifier"], old_fields)
    assert (again["id"], created_again) == (old["id"], False)


def test_correcting_an_old_record_moves_it_to_the_current_catalog_version(ctx, renamed_catalogs):
    entity = create_entity(ctx)
    fields = penalty_fields()
    old, _ = file(ctx, entity["identifier"], fields)
    old_label = current_label(ctx)
    ctx.catalogs = renamed_catalogs
    catalog_services.register_catalogs(ctx)

    record_services.correct_record(
        ctx, SYSTEM, old["id"], fields={**fields, "CF_NR_FK": "6"}, reason="更正金额"
    )

    history = record_services.read_record(ctx, SYSTEM, old["id"])["revisions"]
    assert [r["catalog_version"] for r in history] == [old_label, current_label(ctx)]
    assert history[0]["catalog_version"] != history[1]["catalog_version"]
