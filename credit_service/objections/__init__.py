"""Objections (异议, D19): a party contests a record, a listing or one field of either."""
