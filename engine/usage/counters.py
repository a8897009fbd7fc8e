"""Which counters one use touches, and how a counter is keyed: declared once.

Counters (``scope``, ``key``), kept for every use whether or not a limit is set:

* ``uses``         promotion id                    — ``limits.uses``
* ``per_customer`` promotion id, customer id       — ``limits.per_customer``
* ``per_coupon``   promotion id, normalised code   — ``limits.per_coupon``
* ``budget``       promotion id (minor units)      — ``limits.budget``

The three counting scopes carry the name of the limit that bounds them.
"""

from __future__ import annotations

from dsl.model import Promotion

SEPARATOR = "\x1f"  # cannot occur in an id or code typed by a person
BUDGET = "budget"


def counter_key(promotion: str, qualifier: str | None = None) -> str:
    """The key of a promotion's counter, qualified by a customer id or a coupon code."""
    return promotion if qualifier is None else f"{promotion}{SEPARATOR}{qualifier}"


def shown_key(key: str) -> str:
    """A key as people read it: ``welcome-10/c-981``."""
    return key.replace(SEPARATOR, "/")


def counted(promotion: str, customer: str, coupon: str | None) -> list[tuple[str, str]]:
    """``(scope, key)`` of every counter one use adds 1 to (``coupon`` normalised)."""
    keys = [("uses", counter_key(promotion)),
            ("per_customer", counter_key(promotion, customer))]
    if coupon is not None:
        keys.append(("per_coupon", counter_key(promotion, coupon)))
    return keys


def limited(promotion: Promotion, customer: str,
            coupon: str | None) -> list[tuple[str, str, int | None]]:
    """``(scope, key, limit)`` of every counter one use adds 1 to; the limit is the
    promotion's ``limits.<scope>`` (``None``: unlimited)."""
    limits = promotion.limits
    return [(scope, key, getattr(limits, scope) if limits is not None else None)
            for scope, key in counted(promotion.id, customer, coupon)]
