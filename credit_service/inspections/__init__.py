"""Inspections: tier-driven "double random, one public" (双随机、一公开) inspection plans."""
