"""Analysis adapters over the public API: what a ruleset can cost, and what a change does."""
