"""Entities: the registry of market entities."""
