"""Sync: the transactional outbox and the exchange with provincial credit platforms."""
