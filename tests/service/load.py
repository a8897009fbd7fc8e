"""A checkout client for the load tests, run as its own process:

    python tests/service/load.py URL RULESET PREFIX COUNT OUT.json

Starts COUNT checkouts (``PREFIX-n``, a FLASH20 cart each) and confirms each one
that starts, each call with its own Idempotency-Key; writes what the server
acknowledged (order reference → state and promotions held) to OUT.json.  Stops
at the first connection error (the server may be killed under it)."""

from __future__ import annotations

import json
import sys

import httpx


def cart(order_ref: str) -> dict[str, object]:
    return {"id": f"cart-{order_ref}", "currency": "EUR", "coupons": ["flash20"],
            "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": "50.00", "quantity": 1}],
            "shipping": {"method": "standard", "price": "4.95"}}


def main() -> None:
    url, ruleset, prefix, count, out = sys.argv[1:6]
    acknowledged: dict[str, dict[str, object]] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        try:
            for n in range(int(count)):
                ref = f"{prefix}-{n}"
                started = client.post(f"/v1/rulesets/{ruleset}/checkouts",
                                      json={"order_ref": ref, "cart": cart(ref)},
                                      headers={"Idempotency-Key": f"start-{ref}"})
                if started.status_code != 200:
                    acknowledged[ref] = {"state": f"refused {started.status_code}",
                                         "uses": []}
                    continue
                uses = sorted(u["promotion"] for u in started.json()["uses"])
                acknowledged[ref] = {"state": "reserved", "uses": uses}
                confirmed = client.post(f"/v1/checkouts/{ref}/confirm",
                                        headers={"Idempotency-Key": f"confirm-{ref}"})
                if confirmed.status_code == 200:
                    acknowledged[ref]["state"] = "confirmed"
        except httpx.TransportError:
            pass
    with open(out, "w", encoding="utf-8") as file:
        json.dump(acknowledged, file)


if __name__ == "__main__":
    main()
