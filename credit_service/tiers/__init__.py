"""Tiers: graded supervision (分级分类监管) and tier-driven random inspections."""
