"""The running service keeps its contract (``schemas/promotions.v1.yaml``), as schemathesis
sees it: every operation with generated requests (valid and invalid), all checks, and
the checkout saga followed through its links (start → confirm / release / get)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

from tests.service.conftest import FASHION, RULESETS, Server, cart_json, start_server
from tests.service.helpers import TOKENS, log_records, write_tokens

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
SAMPLE_CART = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")

CONFIG = {
    # requests name a served ruleset (an unknown id is a 404, tested elsewhere), price
    # in its currency, and carry a token (the secured operations are also tried without)
    "parameters": {"path.id": FASHION, "body.currency": "EUR", "body.cart.currency": "EUR"},
    "auth": {"openapi": {"bearer": {"bearer": TOKENS[0]}}},
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
    "checks": {
        # a cart can fit the schema and still be refused for what it says (422): the Cart
        # schema does not carry the engine's rules (prices as decimal strings, decimals
        # of the currency, bounds on sizes, numbers and years, unique line ids)
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409",
                                                           "422"]},
    },
    "phases": {"stateful": {"generation": {"mode": "positive"}}},
}


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    where = tmp_path_factory.mktemp("contract")
    tokens = write_tokens(where / "tokens")
    server = start_server([str(RULESETS), "--no-watch", "--db", str(where / "usage.db"),
                           "--client-time", "--token-file", str(tokens),
                           "--playground"],  # its endpoints are in the contract too
                          where / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(contract_server: Server) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(contract_server.url + "/openapi.json",
                                         config=schemathesis.Config.from_dict(CONFIG))


# what `format: order-ref` means (printable, not only spaces, no '/'): a pattern cannot say it
schemathesis.openapi.format("order-ref", st.text(
    st.characters(categories=["L", "M", "N", "P", "S"], include_characters=" ",
                  exclude_characters="/"), min_size=1, max_size=128).filter(str.strip))

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                     database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_the_checkout_saga_through_its_links(api_schema: schemathesis.schemas.BaseSchema,
                                             contract_server: Server) -> None:
    keys, refs = itertools.count(), itertools.count()

    class Saga(api_schema.as_state_machine()):  # type: ignore[misc]
        """Start → confirm / release / get, following the contract's links.  A generated
        cart is almost always refused (422, as the test above shows), so a valid start
        takes a sample cart.  The store outlives a scenario and Hypothesis may run one
        again, so each start gets an order reference and each change a key of its own
        (a generated key is often the same, and a reused key is refused); for the same
        reason nothing is shrunk."""

        def before_call(self, case: schemathesis.Case) -> None:
            if "id" in (case.path_parameters or {}):
                case.path_parameters["id"] = FASHION
            positive = case.meta is None or not case.meta.generation.mode.is_negative
            if case.operation.label.endswith("/checkouts") and positive and \
                    isinstance(case.body, dict):
                case.body["cart"] = SAMPLE_CART
                ref = str(case.body.get("order_ref", ""))
                case.body["order_ref"] = f"saga-{next(refs)}-{ref}"[:128]

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            if case.method.upper() != "POST":
                return {}
            return {"headers": {"Idempotency-Key": f"saga-{next(keys)}"}}

    Saga.run(settings=hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None,
                                          derandomize=True, database=None,
                                          stateful_step_count=6,
                                          phases=[Phase.explicit, Phase.generate],
                                          suppress_health_check=list(HealthCheck)))
    answered = Counter((r["route"], r["status"]) for r in log_records(contract_server)
                       if str(r.get("order_ref", "")).startswith("saga-"))
    assert answered["/v1/rulesets/{id}/checkouts", 200], answered
    assert answered["/v1/checkouts/{order_ref}", 200], answered
    assert answered["/v1/checkouts/{order_ref}/confirm", 200] + \
        answered["/v1/checkouts/{order_ref}/release", 200], answered
