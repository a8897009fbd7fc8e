"""The analysis commands over the public engine API: what a ruleset can give away
(``bound``), the promises it declares (``invariants``), what a change does
(``diff``) and what it would have cost on past orders (``replay``).  No click
here: the commands live in ``engine.cli``."""
