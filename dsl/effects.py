"""The effect documents of a promotion: what it discounts and how (pydantic v2).

Each effect kind is one model; ``Effect`` is their union, told apart by the
key that names the kind (``effect_kind``).  How each applies to a cart is in
``engine/effects.py``.
"""

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    WithJsonSchema,
    model_validator,
)

from .codes import (
    AMOUNT_TOO_LARGE,
    EFFECT_KINDS,
    EFFECT_TARGET,
    GIFT_TARGET,
    GIFT_TOO_LARGE,
    INVALID_VALUE,
    TOO_MANY_DECIMALS,
)
from .fields import MAX_COUNT, Count, Name, Strict, at_most, bounded_text
from .schema import SchemaStates, decimal_text
from .values import (
    MAX_AMOUNT,
    MAX_DECIMALS,
    ItemCondition,
    Money,
    Percent,
    custom_error,
    parse_decimal,
)

Choose = Literal["cheapest", "most_expensive"]


class _Effect(Strict):
    max_amount: Money | None = Field(default=None, description="Cap on this effect's "
                                     "discount (items and shipping).")
    target: ItemCondition | None = Field(default=None, description="In an `effects:` list: "
                                         "the lines this effect touches, in place of the "
                                         "promotion's `target`.")


PerLine = Annotated[Count | None, Field(description="At most this many units of each line "
                                        "are discounted.")]


class PercentOff(_Effect):
    """A percentage off the target lines (at most ``max_units`` units, cheapest first)."""

    percent_off: Percent
    max_units: Count | None = None
    max_units_per_line: PerLine = None
    choose: Choose = "cheapest"


class AmountOff(_Effect):
    """A fixed amount off the target lines together, spread by largest remainder."""

    amount_off: Money


class AmountOffEach(_Effect):
    """A fixed amount off every target unit (at most ``max_units`` units)."""

    amount_off_each: Money
    max_units: Count | None = None
    max_units_per_line: PerLine = None
    choose: Choose = "cheapest"


class FixedPrice(_Effect):
    """Every target unit (at most ``max_units``) costs this price, if it cost more."""

    fixed_price: Money
    max_units: Count | None = None
    max_units_per_line: PerLine = None
    choose: Choose = "cheapest"


class BuyGet(_Effect):
    """Buy X, get Y at a percentage off (100 = free), repeating."""

    buy: Count
    get: Count
    percent_off: Percent = Decimal(100)
    choose: Choose = "cheapest"
    max_applications: Count | None = None
    max_units_per_line: PerLine = None
    get_target: ItemCondition | None = None


class BundleSpec(Strict):
    units: Annotated[int, Field(ge=2, strict=True), at_most(MAX_COUNT, "a bundle's units"),
                     SchemaStates(maximum=MAX_COUNT)]
    price: Money


class Bundle(_Effect):
    """``units`` target units for ``price``, repeating."""

    bundle: BundleSpec
    choose: Choose = "cheapest"
    max_applications: Count | None = None


class TierStep(Strict):
    """A threshold and the effect that applies from it on."""

    at: Annotated[Decimal, PlainValidator(lambda v: _threshold(v)),
                  PlainSerializer(str, return_type=str),
                  WithJsonSchema({"type": ["number", "string"], "minimum": 0,
                                  "maximum": int(MAX_AMOUNT),
                                  "pattern": decimal_text(MAX_AMOUNT, MAX_DECIMALS)})]
    percent_off: Percent | None = None
    amount_off: Money | None = None
    amount_off_each: Money | None = None
    fixed_price: Money | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [k for k in TIER_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise custom_error(EFFECT_KINDS, "a tier step gives exactly one of "
                         f"{', '.join(TIER_KINDS)} (found {len(kinds)})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in TIER_KINDS if getattr(self, k) is not None)


TIER_KINDS = ("percent_off", "amount_off", "amount_off_each", "fixed_price")


def _threshold(value: Any) -> Decimal:
    """A tier threshold: at most 10^15, with at most ``MAX_DECIMALS`` decimals."""
    at = parse_decimal(value, "a tier threshold")
    exponent = at.as_tuple().exponent
    if at > MAX_AMOUNT:
        raise custom_error(AMOUNT_TOO_LARGE, "a tier threshold is at most 10^15")
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise custom_error(TOO_MANY_DECIMALS, f"a tier threshold has at most {MAX_DECIMALS} "
                           "decimals (got {value})", value=str(at))
    return at


class TierSpec(Strict):
    by: Literal["subtotal", "quantity"]
    steps: Annotated[tuple[TierStep, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _thresholds(self) -> Self:
        for step in self.steps:
            if self.by == "quantity" and step.at != step.at.to_integral_value():
                raise custom_error(INVALID_VALUE, "a quantity threshold is a whole number "
                             "(got {value})", value=str(step.at))
            if step.at < 0:
                raise custom_error(INVALID_VALUE, "a tier threshold cannot be negative")
        return self


class Tiers(_Effect):
    """The highest step reached by the target lines' subtotal or units applies."""

    tiers: TierSpec


class ShippingSpec(Strict):
    free: Literal[True] | None = None
    amount_off: Money | None = None
    percent_off: Percent | None = None
    fixed_price: Money | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [k for k in SHIPPING_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise custom_error(EFFECT_KINDS, "a shipping effect gives exactly one of "
                         f"{', '.join(SHIPPING_KINDS)} (found {len(kinds)})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in SHIPPING_KINDS if getattr(self, k) is not None)


SHIPPING_KINDS = ("free", "amount_off", "percent_off", "fixed_price")


class Shipping(_Effect):
    """A discount on the cart's shipping price."""

    shipping: ShippingSpec

    @model_validator(mode="after")
    def _no_target(self) -> Self:
        if self.target is not None:
            raise custom_error(EFFECT_TARGET, "a shipping effect has no target lines "
                               "(condition the promotion with 'when')", field="target")
        return self


MAX_SKU = 100  # characters, as a cart line's sku
Sku = Annotated[str, Field(min_length=1), bounded_text(MAX_SKU, "a sku"),
                SchemaStates(maxLength=MAX_SKU)]


class GiftSpec(Strict):
    """The gift: a line the promotion adds to the result (docs/semantics.md#gifts)."""

    sku: Sku = Field(description="The gift's sku; under when_in_cart: discount, the cart "
                     "lines with this sku are discounted instead of adding the gift.")
    unit_price: Money = Field(description="The gift's price per unit (counted in the "
                              "subtotal), in the currency's minor units.")
    quantity: Count = Field(default=1, description="Units given.")
    percent_off: Percent = Field(default=Decimal(100), description="The discount on the "
                                 "gift (100 = free).")
    name: Name | None = None
    product: Sku | None = None
    category: Sku | None = None
    when_in_cart: Literal["add", "discount"] = Field(
        default="add", description="add: the gift line is always added; discount: when the "
        "cart has a line with the gift's sku, up to quantity of its units are discounted "
        "instead and no line is added.")

    @model_validator(mode="after")
    def _bounded_value(self) -> Self:
        if self.unit_price * self.quantity > MAX_AMOUNT:
            raise custom_error(GIFT_TOO_LARGE, "a gift's value (unit_price × quantity) is at "
                               "most 10^15 (got {value})",
                               value=format(self.unit_price * self.quantity, "f"))
        return self


class Gift(_Effect):
    """A line given with the order, at ``percent_off`` off (docs/semantics.md#gifts)."""

    gift: GiftSpec

    @model_validator(mode="after")
    def _no_target(self) -> Self:
        if self.target is not None:  # (an entry of an effects list)
            raise custom_error(GIFT_TARGET, "a gift effect takes no target: it adds its own "
                               "line, or discounts the cart lines with its sku", field="target")
        return self


EFFECT_KEYS = ("percent_off", "amount_off", "amount_off_each", "fixed_price", "buy",
               "bundle", "tiers", "shipping", "gift")


def effect_kind(value: Any) -> str | None:
    """Which effect a mapping describes (``None`` if it is not exactly one)."""
    if isinstance(value, BaseModel):
        return _KIND_OF_CLASS.get(type(value))
    if not isinstance(value, dict):
        return None
    if "buy" in value or "get" in value:
        return "buy"
    kinds = [k for k in EFFECT_KEYS if k in value]
    return kinds[0] if len(kinds) == 1 else None


def _check_effect_kinds(value: Any) -> Any:
    if isinstance(value, dict):
        present = [k for k in EFFECT_KEYS if k in value]
        if "buy" in value or "get" in value:
            present = [k for k in present if k not in ("buy", "percent_off")]
            if "buy" not in value or "get" not in value:
                raise custom_error(EFFECT_KINDS, "buy/get needs both 'buy' and 'get'")
            if present:
                raise custom_error(EFFECT_KINDS, "an effect gives one kind of discount: buy/get "
                             "and {others}", others=" and ".join(present))
        elif not present:
            raise custom_error(EFFECT_KINDS, "an effect needs one of: "
                         f"{', '.join(EFFECT_KEYS)}")
        elif len(present) > 1:
            raise custom_error(EFFECT_KINDS, "an effect gives one kind of discount, this one "
                         "has {kinds}", kinds=" and ".join(present))
    elif not isinstance(value, BaseModel):
        raise custom_error(INVALID_VALUE, "an effect is a mapping such as {{percent_off: 20}}")
    return value


Effect = Annotated[
    Annotated[PercentOff, Tag("percent_off")]
    | Annotated[AmountOff, Tag("amount_off")]
    | Annotated[AmountOffEach, Tag("amount_off_each")]
    | Annotated[FixedPrice, Tag("fixed_price")]
    | Annotated[BuyGet, Tag("buy")]
    | Annotated[Bundle, Tag("bundle")]
    | Annotated[Tiers, Tag("tiers")]
    | Annotated[Shipping, Tag("shipping")]
    | Annotated[Gift, Tag("gift")],
    Discriminator(effect_kind),
    BeforeValidator(_check_effect_kinds),
]

_KIND_OF_CLASS: dict[type, str] = {
    PercentOff: "percent_off", AmountOff: "amount_off", AmountOffEach: "amount_off_each",
    FixedPrice: "fixed_price", BuyGet: "buy", Bundle: "bundle", Tiers: "tiers",
    Shipping: "shipping", Gift: "gift",
}
