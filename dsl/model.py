"""The ruleset document (pydantic v2): header, stacking, promotions, effects, limits.

Validation needs the currency's minor units to check amounts; the loader
passes them as the validation context ``{"minor_units": n}``.  The values the
documents are made of (money, conditions, moments ...) are in ``values.py``.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)

from .codes import (
    BAD_COUPON_PATTERN,
    BAD_DAYS,
    BAD_HOURS,
    BAD_WINDOW,
    CONDITIONS_TOO_LONG,
    COUPON_BATCH_FIELDS,
    COUPON_FIELDS,
    EFFECT_FIELDS,
    EFFECT_TARGET,
    GIFT_TARGET,
    INVALID_VALUE,
    TOO_MANY_PROMOTIONS,
)
from .currencies import MINOR_UNITS
from .effects import _KIND_OF_CLASS, Effect, Gift
from .expr.types import WEEKDAYS, Context
from .fields import MAX_COUNT, Count, Description, Metadata, Name, Strict, at_most
from .loader import Cap, Caps, SourceFile
from .schedule import (
    RANGE_PATTERN,
    Schedule,
    ScheduleError,
    check_days,
    check_ranges,
    parse_day,
    parse_range,
)
from .schema import SchemaStates
from .values import (
    CartCondition,
    Condition,
    CouponCode,
    Currency,
    Identifier,
    ItemCondition,
    Moment,
    Money,
    Percent,
    ShipmentCondition,
    StrictBool,
    Timezone,
    custom_error,
    normalise_code,
)

if TYPE_CHECKING:
    from .couponbatch import CodePattern

MAX_PROMOTIONS = 10_000
MAX_CONDITION_TEXT = 2_000_000
"""Characters of all the conditions of a ruleset together (``CONDITION_FIELDS``)."""

def _schedule_part(code: str, parse: Callable[[Any], Any]) -> PlainValidator:
    """A day or an hours range, read by ``dsl/schedule.py`` (kept as written)."""

    def check(value: Any) -> str:
        try:
            parse(value)
        except ScheduleError as err:
            raise custom_error(code, err.message.replace("{", "{{").replace("}", "}}"),
                               hint=err.hint) from None
        return str(value)

    return PlainValidator(check)


def _schedule_list(code: str, check: Callable[[Any], None],
                   parse: Callable[[Any], Any]) -> AfterValidator:
    def checked(values: tuple[str, ...]) -> tuple[str, ...]:
        try:
            check([parse(value) for value in values])
        except ScheduleError as err:  # pointing at the entry at fault, when there is one
            raise custom_error(code, err.message.replace("{", "{{").replace("}", "}}"),
                               hint=err.hint, field=err.entry) from None
        return values

    return AfterValidator(checked)


Day = Annotated[str, _schedule_part(BAD_DAYS, parse_day),
                WithJsonSchema({"enum": list(WEEKDAYS)})]
Hours = Annotated[str, _schedule_part(BAD_HOURS, parse_range),
                  WithJsonSchema({"type": "string", "pattern": RANGE_PATTERN,
                                  "description": "HH:MM-HH:MM, start inclusive, end "
                                  "exclusive; 24:00 ends at midnight; an end at or before "
                                  "the start runs past midnight."})]


class Window(Strict):
    """When a promotion is active: from (inclusive) until (exclusive), and on which
    days and hours of the week (in the ruleset's timezone; docs/semantics.md#schedules)."""

    from_: Moment | None = Field(default=None, alias="from")
    until: Moment | None = None
    days: Annotated[tuple[Day, ...], _schedule_list(BAD_DAYS, check_days, str),
                    SchemaStates(minItems=1, maxItems=7, uniqueItems=True)] | None = Field(
        default=None, description="The days it is open (mon ... sun); every day when left "
        "out.")
    hours: Annotated[tuple[Hours, ...], _schedule_list(BAD_HOURS, check_ranges, parse_range),
                     SchemaStates(minItems=1)] | None = Field(
        default=None, description="The hours it is open each of those days, as "
        "\"HH:MM-HH:MM\" ranges; the whole day when left out.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
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

    def schedule(self, zone: ZoneInfo) -> Schedule | None:
        """The weekly schedule in ``zone``, or ``None`` when neither days nor hours are set."""
        if self.days is None and self.hours is None:
            return None
        return Schedule.of(self.days, self.hours, zone)


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


# ---------------------------------------------------------- promotions

CONDITION_FIELDS: tuple[tuple[tuple[str, ...], Context], ...] = (
    (("when",), Context.CART),
    (("target",), Context.ITEM),
    (("effect", "get_target"), Context.ITEM),
    (("effects", "*", "target"), Context.ITEM),
    (("effects", "*", "get_target"), Context.ITEM),
    (("shipment_target",), Context.SHIPMENT),
)
"""Where a promotion holds condition expressions (the path inside the promotion,
``*`` for each entry of a list), and what each is about: the whole cart, one line
(``item.*``) or one shipment (``shipment.*``).  Loading, lint, compiling, the index,
explain and coverage all read conditions through this declaration (``values_at``
walks a path)."""

Path = tuple[str | int, ...]


def values_at(root: Any, path: tuple[str, ...], at: Path = ()) -> Iterator[tuple[Path, Any]]:
    """The values a ``CONDITION_FIELDS`` path reaches in ``root`` (a model, or the raw
    mappings and lists it was read from), each with its path (``*`` replaced by the
    entry's position); missing values are left out."""
    if not path:
        yield at, root
        return
    name, rest = path[0], path[1:]
    if name == "*":
        if isinstance(root, (list, tuple)):
            for position, item in enumerate(root):
                yield from values_at(item, rest, (*at, position))
        return
    value = root.get(name) if isinstance(root, dict) else \
        getattr(root, name, None) if isinstance(root, Strict) else None
    if value is not None:
        yield from values_at(value, rest, (*at, name))

RULESET_CAPS = Caps(
    lists={("promotions",): Cap(MAX_PROMOTIONS, TOO_MANY_PROMOTIONS, "promotions in a ruleset")},
    texts={frozenset(("promotions", "*", *path) for path, _ in CONDITION_FIELDS):
           Cap(MAX_CONDITION_TEXT, CONDITIONS_TOO_LONG, "characters of conditions in a ruleset")})
"""The caps the loader checks on a ruleset file before composing it."""


class Limits(Strict):
    """Usage limits, enforced by the usage store (reserved + confirmed uses)."""

    uses: Count | None = Field(default=None, description="Total uses of the promotion.")
    per_customer: Count | None = Field(default=None, description="Uses per customer.")
    per_coupon: Count | None = Field(default=None, description="Uses per coupon code.")
    budget: Money | None = Field(default=None, description="Total discount the promotion "
                                 "may give.")

MAX_EFFECTS = 100
"""Effects in one promotion's ``effects`` list."""


def _effect_list(value: Any) -> Any:
    """At least one effect, at most ``MAX_EFFECTS``."""
    if isinstance(value, (list, tuple)) and not value:
        raise custom_error(EFFECT_FIELDS, "effects: lists at least one effect (or write "
                           "'effect' for one)")
    if isinstance(value, (list, tuple)) and len(value) > MAX_EFFECTS:
        raise custom_error(EFFECT_FIELDS, f"effects: at most {MAX_EFFECTS} effects in one "
                           f"promotion (got {len(value):,})")
    return value


class Promotion(Strict):
    """One promotion: when it applies, what it discounts, how it is limited."""

    id: Identifier
    name: Name | None = None
    description: Description | None = None
    priority: Annotated[int, Field(strict=True), at_most(MAX_COUNT, "a priority", -MAX_COUNT),
                        SchemaStates(minimum=-MAX_COUNT, maximum=MAX_COUNT)] = 0
    active: Window | None = None
    coupon: CouponCode | None = None
    coupons: Annotated[tuple[CouponCode, ...], Field(min_length=1)] | None = None
    coupon_batch: Identifier | None = Field(
        default=None, description="The batch of single-use codes generated into the usage "
        "store (`promo coupons generate`) that this promotion takes, instead of coupon/coupons.")
    coupon_pattern: str | None = Field(
        default=None, description="How the batch's codes are written: each '#' one generated "
        "character (digits and capitals without 0, O, 1, I, L), the rest as written; at "
        "least 8 '#'. Default: <coupon_batch>-####-####.")
    when: CartCondition | None = None
    target: ItemCondition | None = None
    shipment_target: ShipmentCondition | None = Field(
        default=None, description="The shipments a shipping effect applies to, each on its "
        "own (every shipping effect of an effects list; a condition about one shipment: "
        "shipment.*); all of them if not given.")
    effect: Effect | None = Field(default=None, description="What the promotion discounts "
                                  "(exactly one of `effect` and `effects`).")
    effects: Annotated[tuple[Effect, ...], BeforeValidator(_effect_list),
                       SchemaStates(minItems=1, maxItems=MAX_EFFECTS)] | None = Field(
        default=None, description="Several effects, applied in this order as one promotion "
        "(exactly one of `effect` and `effects`).")
    limits: Limits | None = None
    exclusive: StrictBool = False
    group: Identifier | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def _coupon_fields(self) -> Self:
        if self.coupon is not None and self.coupons is not None:
            raise custom_error(COUPON_FIELDS, "use 'coupon' or 'coupons', not both")
        if self.coupon_batch is not None and self.codes:
            raise custom_error(COUPON_BATCH_FIELDS, "a promotion takes codes of its "
                               "coupon_batch or the codes in coupon/coupons, not both",
                               field="coupon_batch")
        if self.coupon_pattern is not None:
            if self.coupon_batch is None:
                raise custom_error(COUPON_BATCH_FIELDS, "coupon_pattern needs a coupon_batch",
                                   field="coupon_pattern")
            from .couponbatch import pattern_problem  # (only for a ruleset with batches)

            problem = pattern_problem(self.coupon_pattern)
            if problem is not None:
                raise custom_error(BAD_COUPON_PATTERN, problem, field="coupon_pattern")
        if self.limits and self.limits.per_coupon and not self.is_coupon:
            raise custom_error(COUPON_FIELDS, "limits.per_coupon needs a coupon on the promotion")
        return self

    @model_validator(mode="after")
    def _effect_fields(self) -> Self:
        if (self.effect is None) == (self.effects is None):
            raise custom_error(EFFECT_FIELDS, "a promotion has 'effect' (one effect) or "
                               "'effects' (a list), " + ("not both" if self.effect else
                                                         "and this one has neither"))
        if self.effect is not None and self.effect.target is not None:
            raise custom_error(EFFECT_TARGET, "effect: a 'target' inside the effect is for the "
                               "entries of an 'effects' list; write it on the promotion",
                               field="effect")
        if self.target is not None and all(isinstance(e, Gift) for e in self.all_effects):
            # (in a list with other effects, the promotion's target is theirs)
            raise custom_error(GIFT_TARGET, "a gift effect takes no target: it adds its own "
                               "line, or discounts the cart lines with its sku")
        skus = [e.gift.sku for e in self.all_effects if isinstance(e, Gift)]
        if len(skus) > len(set(skus)):
            raise custom_error(EFFECT_FIELDS, "effects: two gifts of the same sku in one "
                               "promotion would add the same line; give one gift the quantity "
                               "of both", field="effects")
        return self

    @property
    def all_effects(self) -> tuple[Effect, ...]:
        """The promotion's effects in the order they apply (one for ``effect``)."""
        return self.effects if self.effects is not None else \
            (self.effect,) if self.effect is not None else ()

    def effect_paths(self) -> Iterator[tuple[Path, Effect]]:
        """Each effect with its path inside the promotion: ``("effect",)`` or
        ``("effects", position)``."""
        if self.effects is not None:
            for position, effect in enumerate(self.effects):
                yield ("effects", position), effect
        elif self.effect is not None:
            yield ("effect",), self.effect

    @functools.cached_property
    def codes(self) -> tuple[str, ...]:
        """Normalised coupon codes (empty for an automatic promotion)."""
        raw = [self.coupon] if self.coupon is not None else (self.coupons or [])
        return tuple(normalise_code(c) for c in raw)

    @property
    def is_coupon(self) -> bool:
        """Whether the promotion needs a code entered: one of its own, or one of its batch."""
        return bool(self.codes) or self.coupon_batch is not None

    @functools.cached_property
    def batch_pattern(self) -> "CodePattern | None":
        """The pattern of the batch's codes (``None`` without a ``coupon_batch``)."""
        if self.coupon_batch is None:
            return None
        from .couponbatch import CodePattern, default_pattern

        return CodePattern(self.coupon_pattern or default_pattern(self.coupon_batch))

    @property
    def get_target(self) -> Condition | None:
        """The buy/get ``effect``'s ``get_target`` (``None`` for every other effect, and
        for an ``effects`` list: each entry holds its own)."""
        return getattr(self.effect, "get_target", None)

    def conditions(self) -> Iterator[tuple[Path, Condition, Context]]:
        """Every condition the promotion holds, as ``CONDITION_FIELDS`` lists them:
        (path inside the promotion, condition, what it is about)."""
        for fields, context in CONDITION_FIELDS:
            for path, value in values_at(self, fields):
                if isinstance(value, Condition):
                    yield path, value, context

    @property
    def effect_kind(self) -> str:
        """The effect's kind; for an ``effects`` list, the kinds joined by ``+``."""
        return "+".join(_KIND_OF_CLASS[type(effect)] for effect in self.all_effects)


class MaxDiscount(Strict):
    """The most an order may be discounted: the smaller of the two when both are set."""

    percent_of_subtotal: Percent | None = None
    amount: Money | None = None

    @model_validator(mode="after")
    def _one_given(self) -> Self:
        if self.percent_of_subtotal is None and self.amount is None:
            raise custom_error(INVALID_VALUE, "max_discount needs percent_of_subtotal, amount "
                         "or both")
        return self


BEST_DEAL_EXACT_UP_TO = 20
"""Candidates (eligible promotions that move money on their own) up to which
``mode: best_deal`` searches every allowed set (engine/bestdeal.py; lint PR221)."""


class Stacking(Strict):
    """How promotions combine. Required, and every switch is explicit."""

    coupons_per_order: Annotated[int, Field(ge=0, strict=True),
                                 at_most(MAX_COUNT, "coupons_per_order"),
                                 SchemaStates(maximum=MAX_COUNT)]
    coupon_with_automatic: StrictBool
    base: Literal["original", "discounted"]
    max_discount: MaxDiscount | None = None
    mode: Literal["priority", "best_deal"] = Field(
        default="priority", description="priority: each promotion in priority order applies "
        "if the stacking rules let it; best_deal: among the sets of eligible promotions the "
        "stacking rules allow, the one with the largest total discount applies "
        "(docs/semantics.md#best-deal).")

class Invariants(Strict):
    """Promises the ruleset keeps for every cart, checked by ``promo lint`` and
    ``promo test --examples`` (their exact meaning: docs/semantics.md#invariants)."""

    max_discount_percent: Percent | None = Field(
        default=None, description="The total discount is at most this percent of the "
        "subtotal (half a minor unit per line discount, per effect, allowed for rounding).")
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


class Ruleset(Strict):
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
    """Every field name any ruleset model accepts (for 'did you mean' hints)."""
    names: set[str] = set()
    pending: list[type[Strict]] = [Strict]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        names.update(info.alias or name for name, info in model.model_fields.items())
    return names
