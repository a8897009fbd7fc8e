"""The analysis commands over the public engine API: what a ruleset can give away
(``bound``), the promises it declares (``invariants``).  No click here: the
commands live in ``engine.cli``."""
