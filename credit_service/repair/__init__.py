"""Repair: credit-repair (信用修复) applications, review within working-day deadlines, grants."""
