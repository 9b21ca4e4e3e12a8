"""The handler table: what each recorded fact (credit_service/changes.py) turns into.

Services record facts inside their transactions; just before a transaction commits,
every handler named here for a fact's type gets all the facts of the types it handles, as
one list in the order recorded, in the same transaction (``changes.install`` wires it to
the write session factory when the Context is built). One row per fact type, read like
the scheduler's job table (schedulers/jobs.py):

==================== ==========================================================
fact                 handlers
==================== ==========================================================
EntitiesChanged      tier recompute
ListingChanged       change-feed row, listing.published/removed event, tier
RecordFiled          record.filed event, tier
RecordCorrected      record.corrected event, tier
RecordStatusChanged  record.revoked / record.publication_ended event, tier; a revoked
                     penalty takes down the listings resting on it (D11)
RepairGranted        repair.granted event
ObjectionMarked      objection.marked / objection.cleared event, change-feed row of a
                     listing's mark
ObjectionDecided     objection.decided event
==================== ==========================================================

Handlers run in the order this table first names them: the tier recompute (once per
round, each entity once), the feed, then the outbox events of listings, records and
repairs. A handler may record further facts; they are handled in a next round before the
commit: the listings a revoked penalty takes down are such facts, so the platforms hear
``record.revoked`` and then the ``listing.removed`` it caused.

This module sits above the areas (like web/ and schedulers/): it is the one place that
knows them all, and the only importer of the tier handler.
"""

from __future__ import annotations

from credit_service.changes import (
    EntitiesChanged,
    HandlerTable,
    ListingChanged,
    ObjectionDecided,
    ObjectionMarked,
    RecordCorrected,
    RecordFiled,
    RecordStatusChanged,
    RepairGranted,
)
from credit_service.dishonesty.feed import write_feed, write_mark_feed
from credit_service.dishonesty.services import end_listings_on_revoked
from credit_service.sync.outbound import (
    send_listing_events,
    send_objection_events,
    send_record_events,
    send_repair_events,
)
from credit_service.tiers.recompute import recompute_changed

HANDLERS: HandlerTable = {
    EntitiesChanged: (recompute_changed,),
    ListingChanged: (write_feed, send_listing_events, recompute_changed),
    RecordFiled: (send_record_events, recompute_changed),
    RecordCorrected: (send_record_events, recompute_changed),
    RecordStatusChanged: (send_record_events, recompute_changed, end_listings_on_revoked),
    RepairGranted: (send_repair_events,),
    ObjectionMarked: (send_objection_events, write_mark_feed),
    ObjectionDecided: (send_objection_events,),
}
