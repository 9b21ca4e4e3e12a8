"""A first end-to-end pass through the services on both databases."""

from credit_service.access import SYSTEM
from credit_service.records import services as record_services
from tests.factories import create_entity, file_penalty


def test_filing_the_same_penalty_twice_returns_the_first(ctx):
    entity = create_entity(ctx)
    first = file_penalty(ctx, entity["identifier"], CF_WSH="宣市监知罚〔2026〕9001号")
    again, created = record_services.file_record(
        ctx,
        SYSTEM,
        entity=entity["identifier"],
        item_code="PAT-PEN-COUNTERFEIT",
        fields={k: v for k, v in first["fields"].items()},
    )
    assert created is False
    assert again["id"] == first["id"]
