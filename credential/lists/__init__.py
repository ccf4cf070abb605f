"""Signed lists an authority publishes and gates hold: trust lists (spec 16) and status lists (spec 17)."""
