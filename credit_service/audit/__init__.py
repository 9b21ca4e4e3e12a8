"""Audit: the append-only, hash-chained audit trail."""
