"""The ruleset document (pydantic v2): header, stacking, promotions, effects, limits.

Validation needs the currency's minor units to check amounts; the loader
passes them as the validation context ``{"minor_units": n}``.  The values the
documents are made of (money, conditions, moments ...) are in ``values.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    Tag,
    WithJsonSchema,
    model_validator,
)

from .codes import (
    AMOUNT_TOO_LARGE,
    BAD_WINDOW,
    CONDITIONS_TOO_LONG,
    COUNT_OUT_OF_RANGE,
    COUPON_FIELDS,
    EFFECT_KINDS,
    INVALID_VALUE,
    NAME_TOO_LONG,
    TOO_MANY_DECIMALS,
    TOO_MANY_PROMOTIONS,
)
from .currencies import MINOR_UNITS
from .loader import Cap, Caps, SourceFile
from .schema import SchemaStates, decimal_text
from .values import (
    MAX_AMOUNT,
    MAX_DECIMALS,
    CartCondition,
    Condition,
    CouponCode,
    Currency,
    Identifier,
    ItemCondition,
    Moment,
    Money,
    Percent,
    StrictBool,
    Timezone,
    custom_error,
    normalise_code,
    parse_decimal,
)

MAX_COUNT = 10**9
"""The largest count (``max_units``, ``uses``, ``buy`` …) and the largest priority (±)."""
MAX_PROMOTIONS = 10_000
MAX_CONDITION_TEXT = 2_000_000
"""Characters of all the conditions of a ruleset together (``CONDITION_FIELDS``)."""
MAX_NAME, MAX_DESCRIPTION = 200, 10_000  # characters


def _at_most(limit: int, what: str, least: int | None = None) -> AfterValidator:
    """A bound on an integer field (its lower bound, when ``least`` is given, too)."""

    def check(value: int) -> int:
        if value > limit or (least is not None and value < least):
            shown = f"{value:,}" if abs(value) < 10**30 else \
                f"a number of about {int(abs(value).bit_length() * 0.30103) + 1:,} digits"
            raise custom_error(COUNT_OUT_OF_RANGE, f"{what} is at most {limit:,}"
                               + (f" and at least {least:,}" if least is not None else "")
                               + f" (got {shown})")
        return value

    return AfterValidator(check)


def _text(limit: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise custom_error(NAME_TOO_LONG, f"{what} has at most {limit:,} characters "
                               f"(got {len(value):,})")
        return value

    return AfterValidator(check)


# ``SchemaStates`` repeats the bounds of the validators for the JSON Schema.
Count = Annotated[int, Field(ge=1, strict=True), _at_most(MAX_COUNT, "a count"),
                  SchemaStates(maximum=MAX_COUNT)]
Name = Annotated[str, _text(MAX_NAME, "a name"), SchemaStates(maxLength=MAX_NAME)]
Description = Annotated[str, _text(MAX_DESCRIPTION, "a description"),
                        SchemaStates(maxLength=MAX_DESCRIPTION)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Window(_Strict):
    """When a promotion is active: from (inclusive) until (exclusive)."""

    from_: Moment | None = Field(default=None, alias="from")
    until: Moment | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.from_ is not None and self.until is not None and \
                _has_offset(self.from_) == _has_offset(self.until):
            # A local time and one with an offset are ordered only once the
            # ruleset's timezone is known: lint rule PR204 checks those.
            start, end = _comparable(self.from_), _comparable(self.until)
            if start is not None and end is not None and end <= start:
                raise custom_error(BAD_WINDOW, "the window ends ({until}) before or when it starts "
                             "({start})", until=self.until.isoformat(),
                             start=self.from_.isoformat(), field="until")
        return self


def _has_offset(moment: dt.date | dt.datetime) -> bool:
    return isinstance(moment, dt.datetime) and moment.tzinfo is not None


def _comparable(moment: dt.date | dt.datetime) -> dt.datetime | None:
    """A naive moment to order windows by (``None`` at the calendar's very ends)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            return None
    return dt.datetime(moment.year, moment.month, moment.day)


# ----------------------------------------------------------------- effects


Choose = Literal["cheapest", "most_expensive"]


class _Effect(_Strict):
    max_amount: Money | None = Field(default=None, description="Cap on this promotion's "
                                     "discount (items and shipping).")


class PercentOff(_Effect):
    """A percentage off the target lines (at most ``max_units`` units, cheapest first)."""

    percent_off: Percent
    max_units: Count | None = None
    choose: Choose = "cheapest"


class AmountOff(_Effect):
    """A fixed amount off the target lines together, spread by largest remainder."""

    amount_off: Money


class AmountOffEach(_Effect):
    """A fixed amount off every target unit (at most ``max_units`` units)."""

    amount_off_each: Money
    max_units: Count | None = None
    choose: Choose = "cheapest"


class FixedPrice(_Effect):
    """Every target unit (at most ``max_units``) costs this price, if it cost more."""

    fixed_price: Money
    max_units: Count | None = None
    choose: Choose = "cheapest"


class BuyGet(_Effect):
    """Buy X, get Y at a percentage off (100 = free), repeating."""

    buy: Count
    get: Count
    percent_off: Percent = Decimal(100)
    choose: Choose = "cheapest"
    max_applications: Count | None = None
    get_target: ItemCondition | None = None


class BundleSpec(_Strict):
    units: Annotated[int, Field(ge=2, strict=True), _at_most(MAX_COUNT, "a bundle's units"),
                     SchemaStates(maximum=MAX_COUNT)]
    price: Money


class Bundle(_Effect):
    """``units`` target units for ``price``, repeating."""

    bundle: BundleSpec
    choose: Choose = "cheapest"
    max_applications: Count | None = None


class TierStep(_Strict):
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
    def _one_kind(self) -> TierStep:
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


class TierSpec(_Strict):
    by: Literal["subtotal", "quantity"]
    steps: Annotated[tuple[TierStep, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _thresholds(self) -> TierSpec:
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


class ShippingSpec(_Strict):
    free: Literal[True] | None = None
    amount_off: Money | None = None
    percent_off: Percent | None = None
    fixed_price: Money | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ShippingSpec:
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


EFFECT_KEYS = ("percent_off", "amount_off", "amount_off_each", "fixed_price", "buy",
               "bundle", "tiers", "shipping")


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
    | Annotated[Shipping, Tag("shipping")],
    Discriminator(effect_kind),
    BeforeValidator(_check_effect_kinds),
]

_KIND_OF_CLASS: dict[type, str] = {
    PercentOff: "percent_off", AmountOff: "amount_off", AmountOffEach: "amount_off_each",
    FixedPrice: "fixed_price", BuyGet: "buy", Bundle: "bundle", Tiers: "tiers",
    Shipping: "shipping",
}


# ---------------------------------------------------------- promotions

CONDITION_FIELDS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("when",), False),
    (("target",), True),
    (("effect", "get_target"), True),
)
"""Where a promotion holds condition expressions (the path inside the promotion),
and whether each is about one line (``item.*``) or the whole cart.  Loading,
lint, compiling and the index all read conditions through this declaration."""

RULESET_CAPS = Caps(
    lists={("promotions",): Cap(MAX_PROMOTIONS, TOO_MANY_PROMOTIONS, "promotions in a ruleset")},
    texts={frozenset(("promotions", "*", *path) for path, _ in CONDITION_FIELDS):
           Cap(MAX_CONDITION_TEXT, CONDITIONS_TOO_LONG, "characters of conditions in a ruleset")})
"""The caps the loader checks on a ruleset file before composing it."""


class Limits(_Strict):
    """Usage limits, enforced by the usage store (reserved + confirmed uses)."""

    uses: Count | None = Field(default=None, description="Total uses of the promotion.")
    per_customer: Count | None = Field(default=None, description="Uses per customer.")
    per_coupon: Count | None = Field(default=None, description="Uses per coupon code.")
    budget: Money | None = Field(default=None, description="Total discount the promotion "
                                 "may give.")

class Promotion(_Strict):
    """One promotion: when it applies, what it discounts, how it is limited."""

    id: Identifier
    name: Name | None = None
    description: Description | None = None
    priority: Annotated[int, Field(strict=True), _at_most(MAX_COUNT, "a priority", -MAX_COUNT),
                        SchemaStates(minimum=-MAX_COUNT, maximum=MAX_COUNT)] = 0
    active: Window | None = None
    coupon: CouponCode | None = None
    coupons: Annotated[tuple[CouponCode, ...], Field(min_length=1)] | None = None
    when: CartCondition | None = None
    target: ItemCondition | None = None
    effect: Effect
    limits: Limits | None = None
    exclusive: StrictBool = False
    group: Identifier | None = None

    @model_validator(mode="after")
    def _coupon_fields(self) -> Promotion:
        if self.coupon is not None and self.coupons is not None:
            raise custom_error(COUPON_FIELDS, "use 'coupon' or 'coupons', not both")
        if self.limits and self.limits.per_coupon and not self.codes:
            raise custom_error(COUPON_FIELDS, "limits.per_coupon needs a coupon on the promotion")
        return self

    @functools.cached_property
    def codes(self) -> tuple[str, ...]:
        """Normalised coupon codes (empty for an automatic promotion)."""
        raw = [self.coupon] if self.coupon is not None else (self.coupons or [])
        return tuple(normalise_code(c) for c in raw)

    @property
    def is_coupon(self) -> bool:
        return bool(self.codes)

    @property
    def get_target(self) -> Condition | None:
        """The buy/get effect's ``get_target`` (``None`` for every other effect)."""
        return getattr(self.effect, "get_target", None)

    def conditions(self) -> Iterator[tuple[tuple[str, ...], Condition, bool]]:
        """Every condition the promotion holds, as ``CONDITION_FIELDS`` lists them:
        (path inside the promotion, condition, is it about one line)."""
        for path, item_context in CONDITION_FIELDS:
            value: Any = self
            for name in path:
                value = getattr(value, name, None)
            if isinstance(value, Condition):
                yield path, value, item_context

    @property
    def effect_kind(self) -> str:
        return _KIND_OF_CLASS[type(self.effect)]


class MaxDiscount(_Strict):
    """The most an order may be discounted: the smaller of the two when both are set."""

    percent_of_subtotal: Percent | None = None
    amount: Money | None = None

    @model_validator(mode="after")
    def _one_given(self) -> MaxDiscount:
        if self.percent_of_subtotal is None and self.amount is None:
            raise custom_error(INVALID_VALUE, "max_discount needs percent_of_subtotal, amount "
                         "or both")
        return self


class Stacking(_Strict):
    """How promotions combine. Required, and every switch is explicit."""

    coupons_per_order: Annotated[int, Field(ge=0, strict=True),
                                 _at_most(MAX_COUNT, "coupons_per_order"),
                                 SchemaStates(maximum=MAX_COUNT)]
    coupon_with_automatic: StrictBool
    base: Literal["original", "discounted"]
    max_discount: MaxDiscount | None = None

class Invariants(_Strict):
    """Promises the ruleset keeps for every cart, checked by ``promo lint`` and
    ``promo test --examples`` (their exact meaning: docs/semantics.md#invariants)."""

    max_discount_percent: Percent | None = Field(
        default=None, description="The total discount is at most this percent of the "
        "subtotal (half a minor unit per line discount allowed for rounding).")
    max_discount_amount: Money | None = Field(
        default=None, description="The total discount (lines and shipping) is at most "
        "this amount.")
    no_free_lines: StrictBool = Field(
        default=False, description="No line that costs something is discounted to zero.")


def _dsl_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in DSL_VERSIONS:
        raise custom_error(INVALID_VALUE, "dsl: this promorules reads ruleset language version "
                     f"{', '.join(map(str, DSL_VERSIONS))}; got '{{value}}'", value=str(value))
    return value


DSL_VERSIONS = (1,)
DslVersion = Annotated[int, PlainValidator(_dsl_version),
                       WithJsonSchema({"const": 1, "description": "Ruleset language version."})]


def _few_promotions(value: Any) -> Any:
    """At most ``MAX_PROMOTIONS`` (a file is refused before it is composed: ``RULESET_CAPS``)."""
    if isinstance(value, (list, tuple)) and len(value) > MAX_PROMOTIONS:
        raise custom_error(TOO_MANY_PROMOTIONS, f"more than {MAX_PROMOTIONS:,} promotions in a "
                           f"ruleset (got {len(value):,})")
    return value


class Ruleset(_Strict):
    """A ruleset file: header, stacking policy and promotions."""

    ruleset: Identifier = Field(description="The ruleset's id.")
    dsl: DslVersion = Field(description="Version of the ruleset language.")
    name: Name | None = None
    description: Description | None = None
    currency: Currency
    timezone: Timezone
    rounding: Literal["half_even", "half_up", "down"] = "half_even"
    stacking: Stacking
    invariants: Invariants | None = None
    promotions: Annotated[tuple[Promotion, ...], BeforeValidator(_few_promotions),
                          SchemaStates(maxItems=MAX_PROMOTIONS)]

    _source: SourceFile | None = PrivateAttr(default=None)

    @property
    def minor_units(self) -> int:
        return MINOR_UNITS[self.currency]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def source(self) -> SourceFile | None:
        """The text the ruleset was loaded from, when it came from text."""
        return self._source


def all_field_names() -> set[str]:
    """Every field name any model accepts (for 'did you mean' hints)."""
    names: set[str] = set()
    for model in (Ruleset, Stacking, MaxDiscount, Promotion, Window, Limits, PercentOff,
                  AmountOff, AmountOffEach, FixedPrice, BuyGet, BundleSpec, Bundle, TierSpec,
                  TierStep, Tiers, ShippingSpec, Shipping, Invariants):
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return names
