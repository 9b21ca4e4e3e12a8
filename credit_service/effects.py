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
EntitiesRenamed      the listings' search names follow (dishonesty/search_names.py)
ListingChanged       change-feed row, listing.published/removed event, tier, notice
RecordFiled          record.filed event, tier
RecordCorrected      record.corrected event, tier
RecordStatusChanged  record.revoked / record.publication_ended event, tier; a revoked
                     penalty takes down the listings resting on it (D11)
RecordPurged         record.purged event, tier (a record past its retention, D16)
RepairGranted        repair.granted event, notice
ObjectionMarked      objection.marked / objection.cleared event, change-feed row of a
                     listing's mark, notice (accepted)
ObjectionDecided     objection.decided event, notice
BindingDecided       notice
ReviewStepTaken      notice
==================== ==========================================================

A *notice* (``notifications.handlers.notify``) is a message in the message centre of
each enterprise account bound to the entity (for BindingDecided: of that account) and,
where the account has an e-mail address, an e-mail in the outbox, sent by the
``notifications.send_emails`` job: a mail server that is down never holds up the act.
BindingDecided and ReviewStepTaken exist for the notices alone: the binding decision,
and the review steps the party must hear of that no other fact names (a repair
application accepted, not accepted, refused, materials requested; an objection's
materials requested, its decision extended), with what was said and by when.

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
    BindingDecided,
    EntitiesChanged,
    EntitiesRenamed,
    HandlerTable,
    ListingChanged,
    ObjectionDecided,
    ObjectionMarked,
    RecordCorrected,
    RecordFiled,
    RecordPurged,
    RecordStatusChanged,
    RepairGranted,
    ReviewStepTaken,
)
from credit_service.dishonesty.feed import write_feed, write_mark_feed
from credit_service.dishonesty.search_names import follow_renames
from credit_service.dishonesty.services import end_listings_on_revoked
from credit_service.notifications.handlers import notify
from credit_service.sync.outbound import (
    send_listing_events,
    send_objection_events,
    send_record_events,
    send_repair_events,
)
from credit_service.tiers.recompute import recompute_changed

HANDLERS: HandlerTable = {
    EntitiesChanged: (recompute_changed,),
    EntitiesRenamed: (follow_renames,),
    ListingChanged: (write_feed, send_listing_events, recompute_changed, notify),
    RecordFiled: (send_record_events, recompute_changed),
    RecordCorrected: (send_record_events, recompute_changed),
    RecordStatusChanged: (send_record_events, recompute_changed, end_listings_on_revoked),
    RecordPurged: (send_record_events, recompute_changed),
    RepairGranted: (send_repair_events, notify),
    ObjectionMarked: (send_objection_events, write_mark_feed, notify),
    ObjectionDecided: (send_objection_events, notify),
    BindingDecided: (notify,),
    ReviewStepTaken: (notify,),
}
