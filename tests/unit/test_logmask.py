"""Resident ID numbers are masked in log lines (credit_service.logmask); USCCs are not."""

from __future__ import annotations

import io
import logging

from credit_service.logmask import MaskingFilter, mask_resident_ids
from tests.factories import unique_resident_id, unique_uscc


def test_a_resident_id_in_a_path_is_cut_to_its_region():
    person = unique_resident_id()
    masked = mask_resident_ids(f"GET /api/v1/entities/{person}/tier?x=1 HTTP/1.1")
    assert person not in masked
    assert f"/api/v1/entities/{person[:6]}************/tier?x=1" in masked


def test_uscc_and_numbers_that_are_no_valid_id_stay():
    uscc = unique_uscc()
    person = unique_resident_id()
    wrong_check = person[:17] + ("1" if person[17] != "1" else "2")
    text = f"{uscc} {wrong_check} 1234567890123456789 {person}x"
    assert mask_resident_ids(text) == text  # the last is part of a longer token


def test_the_filter_masks_message_arguments_and_tracebacks():
    person = unique_resident_id()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("tests.logmask")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup of %s failed", person)
        try:
            raise ValueError(f"no entity {person}")
        except ValueError:
            logger.exception("unhandled error on GET /console/entities/%s", person)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert person not in written
    assert written.count(person[:6] + "*" * 12) == 3  # message, message, traceback
    assert "ValueError" in written
