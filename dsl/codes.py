"""Every error code promorules reports, each declared once with what it means.

Code ranges (stable; a code is never reused for another meaning or renumbered):

* ``PR1xx`` ruleset loading: files and YAML (100-119), the document model
  (120-149), expressions: syntax (150-169) and names and types (170-199)
* ``PR2xx`` semantic lint rules (declared by the rules, ``dsl/lint/rules/``)
* ``PR3xx`` cart snapshots and evaluation input
* ``PR4xx`` the usage store
* ``PR5xx`` command line usage, configuration and rule-test files
* ``PR6xx`` the HTTP service (requests, idempotency keys, authentication)

Modules import the names; the string ``"PRnnn"`` is written only here (a test
keeps it so), and the README's table of codes is checked against this one.
"""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {}
"""Every error code and what it means."""


def _code(code: str, meaning: str) -> str:
    if code in ERROR_CODES:
        raise ValueError(f"error code {code} declared twice")
    ERROR_CODES[code] = meaning
    return code


UNEXPECTED = "PR000"  # the root class's code: never raised on its own

# ruleset files and YAML
UNREADABLE = _code("PR100", "a file cannot be read")
YAML_SYNTAX = _code("PR101", "YAML syntax error, a bad alias, a merge key or a non-scalar key")
FORBIDDEN_TAG = _code("PR102", "a YAML tag that is not allowed (e.g. !!python/object): "
                               "nothing in a ruleset runs")
DUPLICATE_KEY = _code("PR103", "a duplicate mapping key")
TOO_LARGE = _code("PR104", "a file too large or of too many lines, too many nodes (alias "
                           "bomb) or nested too deep")
FLOAT_MONEY = _code("PR105", "money written as a bare float (9.99) instead of a quoted "
                             "decimal (\"9.99\")")
NOT_ONE_DOCUMENT = _code("PR106", "not exactly one YAML document (empty file, or several)")
NOT_A_MAPPING = _code("PR107", "the document is not a mapping")
NUMBER_OUT_OF_BOUNDS = _code("PR108", "a number beyond ±10^15, or with more than 12 decimals")
TEXT_TOO_LONG = _code("PR109", "a text (YAML scalar) longer than 10,000 characters")
TOO_MANY_PROMOTIONS = _code("PR110", "more than 10,000 promotions in a ruleset")
CONDITIONS_TOO_LONG = _code("PR111", "conditions longer than 2,000,000 characters in all in "
                                     "a ruleset")
NOT_A_RULESET = _code("PR119", "a file of another kind: a cart or rule tests where a "
                                "ruleset is expected, a ruleset or rule tests as a cart")

# the document model
MISSING_FIELD = _code("PR120", "a required field is missing")
UNKNOWN_FIELD = _code("PR121", "an unknown field (with a did-you-mean hint)")
INVALID_VALUE = _code("PR122", "an invalid value (type, range, choice)")
TOO_PRECISE = _code("PR123", "an amount with more decimals than the currency allows")
UNKNOWN_CURRENCY = _code("PR124", "an unknown currency (not ISO 4217)")
UNKNOWN_TIMEZONE = _code("PR125", "an unknown timezone (not an IANA name)")
BAD_WINDOW = _code("PR126", "an active window that ends before or when it starts")
EFFECT_KINDS = _code("PR127", "an effect with no or several discount kinds")
COUPON_FIELDS = _code("PR129", "coupon fields that contradict each other")
DUPLICATE_PROMOTION_ID = _code("PR130", "two promotions with the same id")
AMOUNT_TOO_LARGE = _code("PR131", "an amount above the maximum (10^15 in the currency's unit), "
                                  "or a tier threshold above 10^15")
COUNT_OUT_OF_RANGE = _code("PR132", "a count above 10^9, or a priority beyond ±10^9")
TOO_MANY_DECIMALS = _code("PR133", "a percentage or tier threshold with more than 6 decimals")
MOMENT_OUT_OF_RANGE = _code("PR134", "a date or date-time outside the years 1900 to 9000")
NAME_TOO_LONG = _code("PR135", "a name (200), description (10,000), coupon code (100) or "
                               "metadata value (200) longer than its limit of characters")
EFFECT_FIELDS = _code("PR137", "a promotion with both or neither of 'effect' and 'effects', "
                               "an 'effects' list empty or of more than 100 effects, or two "
                               "gifts of one sku in one list")
EFFECT_TARGET = _code("PR138", "an effect's own 'target' where it means nothing: inside "
                               "'effect' (the promotion's 'target' is the one) or on a shipping "
                               "effect")
GIFT_TARGET = _code("PR139", "a gift effect with a `target`: a gift chooses its line by its sku")
GIFT_TOO_LARGE = _code("PR140", "a gift whose value (unit_price × quantity) is above the maximum "
                                "amount (10^15)")
SHIPMENT_OUTSIDE_CONTEXT = _code("PR141", "shipment.* used outside shipment_target (there is no "
                                          "shipment there)")
ITEM_IN_SHIPMENT_TARGET = _code("PR142", "item.* used in shipment_target outside a function "
                                         "over lines (a shipment_target is about one shipment)")
BAD_DAYS = _code("PR143", "a schedule's days: an unknown day name (with the likely one), a "
                          "day listed twice, or no day")
BAD_HOURS = _code("PR144", "a schedule's hours: a range not written HH:MM-HH:MM, an empty "
                           "range, ranges that overlap, or no range")
COUPON_BATCH_FIELDS = _code("PR145", "coupon_batch with coupon or coupons, coupon_pattern "
                                     "without coupon_batch, or two batch promotions whose "
                                     "codes could be the same (one batch, overlapping "
                                     "patterns)")
BAD_COUPON_PATTERN = _code("PR146", "a coupon_pattern that cannot make unguessable codes: "
                                    "fewer than 8 '#', characters other than '#', letters, "
                                    "digits, '-', '_', '.', or too long; at generate time, "
                                    "too few '#' for the count")

# expressions: syntax
EXPRESSION_SYNTAX = _code("PR150", "expression syntax error")
EXPRESSION_INCOMPLETE = _code("PR151", "an incomplete expression (ends too early, "
                                       "unterminated string, empty)")
UNBALANCED = _code("PR152", "unbalanced parentheses or brackets")
EXPRESSION_TOO_LARGE = _code("PR153", "an expression too long or nested too deep")
BAD_DATE_LITERAL = _code("PR154", "an invalid date or datetime literal")

# expressions: names and types
UNKNOWN_NAME = _code("PR170", "an unknown name or field")
TYPE_MISMATCH = _code("PR171", "a type mismatch")
ITEM_OUTSIDE_CONTEXT = _code("PR172", "item.* used where there is no line, or functions over "
                                      "lines nested")
UNKNOWN_FUNCTION = _code("PR173", "an unknown function")
WRONG_ARITY = _code("PR174", "a function called with the wrong number of arguments or a "
                             "misplaced 'where'")

# cart snapshots
CART_INVALID = _code("PR300", "an invalid cart value")
CART_MISSING = _code("PR301", "a required cart field is missing")
CART_UNKNOWN_FIELD = _code("PR302", "an unknown cart field")
CART_FLOAT_PRICE = _code("PR303", "a price sent as a bare number instead of a decimal string")
CART_TOO_PRECISE = _code("PR304", "a price with more decimals than the currency allows")
CART_CURRENCY = _code("PR305", "an unknown cart currency, or one that differs from the "
                               "ruleset's")
CART_DUPLICATE_LINE = _code("PR306", "a duplicate line id")
CART_UNREADABLE = _code("PR307", "a cart file cannot be read")
CART_AMOUNT_TOO_LARGE = _code("PR308", "a cart amount above the maximum (10^15): a price, a "
                                       "line's total or the subtotal")
CART_NUMBER_OUT_OF_BOUNDS = _code("PR309", "a quantity or order count above 10^9, or a number "
                                           "beyond ±10^15")
CART_BAD_TIME = _code("PR310", "an evaluation time that is not ISO-8601 text, or outside the "
                               "years 1900 to 9000")
CART_TOO_MANY = _code("PR311", "too many lines (1,000), coupons (20), tags or segments (50) in a "
                               "cart")
CART_TEXT_TOO_LONG = _code("PR312", "a cart text longer than its limit (100 characters; 10,000 "
                                    "in a file)")
CART_ATTRIBUTES_TOO_LARGE = _code("PR313", "attributes too large: too many values, nested too "
                                           "deep, too much text, or a number out of range")
EVALUATION_TOO_LARGE = _code("PR314", "a cart too large to price against the ruleset: its lines "
                                      "times the promotions applied exceed 200,000, or the "
                                      "line discounts computed 1,000,000")
CART_SHIPPING_AND_SHIPMENTS = _code("PR315", "a cart with both shipping and shipments (send "
                                             "one or the other)")
CART_DUPLICATE_SHIPMENT = _code("PR316", "a duplicate shipment id")
CART_TOO_MANY_SHIPMENTS = _code("PR317", "too many shipments in a cart (100)")

# order histories (``promo replay``)
ORDERS_OUT_OF_ORDER = _code("PR330", "an order history not in time order: an order dated before "
                                     "the one above it")
ORDER_WITHOUT_TIME = _code("PR331", "an order in a history without its time (`at`)")
ORDERS_BAD_LAYOUT = _code("PR332", "a CSV or Parquet order history not in the flat layout (a "
                                   "missing column, a price as a float, an order's rows apart)")
ORDERS_UNREADABLE = _code("PR333", "an order history that cannot be read: missing, of an unknown "
                                   "kind, or CSV or Parquet without pyarrow installed")

# the usage store
STORE_ERROR = _code("PR400", "the usage store cannot do what was asked")
STORE_NOT_A_STORE = _code("PR401", "not a usage store: corrupt or not SQLite")
STORE_READ_ONLY = _code("PR402", "the usage store is read-only or missing where it must exist")
STORE_BUSY = _code("PR403", "the usage store stayed locked past the busy timeout")
STORE_TOO_NEW = _code("PR404", "the usage store was written by a newer promorules")
STORE_DISK = _code("PR405", "the disk is full or failing (SQLite could not read or write "
                            "the store): nothing was written")
STORE_UNOPENABLE = _code("PR406", "the usage store's file, or the -wal/-shm files beside it, "
                                  "cannot be opened (permissions, not a regular file)")
USAGE_LIMIT = _code("PR410", "a usage limit or budget would be exceeded: nothing was reserved")
RESERVATION_CONFLICT = _code("PR411", "the order reference is already reserved with other "
                                      "content")
ILLEGAL_TRANSITION = _code("PR412", "an illegal transition of a reservation")
UNKNOWN_RESERVATION = _code("PR413", "no reservation has this order reference")
CUSTOMER_REQUIRED = _code("PR415", "a per-customer limit on a guest cart")

# the usage store: locations and servers, idempotency records, moving a store (PR420-PR449)
STORE_LOCATION = _code("PR420", "an invalid usage store location: a URL of an unknown scheme, "
                                "one that cannot be parsed, or a database that vanishes at "
                                "exit (`:memory:`, an empty path)")
STORE_UNREACHABLE = _code("PR421", "the usage store's server cannot be reached or refuses the "
                                   "connection (down, wrong host, port, user, password or "
                                   "database)")
STORE_CONNECTION_LOST = _code("PR422", "the connection to the usage store's server was lost "
                                       "during a transaction (server restarted, network): it "
                                       "was rolled back, unless it was lost during the commit")
STORE_CONFLICT = _code("PR423", "a serialization failure or deadlock persisted through the "
                                "retries: nothing was written")
STORE_TIMEOUT = _code("PR424", "a statement ran past the usage store's statement timeout and "
                               "was cancelled: nothing was written")
STORE_POOL_EXHAUSTED = _code("PR425", "no connection of the usage store's pool became free in "
                                      "time: nothing was done")
STORE_SERVER_REFUSED = _code("PR426", "the usage store's server refused the statement "
                                      "(permissions, disk full, read-only server, out of "
                                      "resources): nothing was written")
IDEMPOTENCY_UNCLAIMED = _code("PR430", "an idempotency key answered that holds no claim (never "
                                       "claimed, abandoned or pruned)")
MIGRATE_TARGET_NOT_EMPTY = _code("PR440", "promo usage migrate: the target store is not empty")
MIGRATE_MISMATCH = _code("PR441", "promo usage migrate: the copy differs from the source "
                                  "(rows, events or counters): the target is left as copied")

# command line, configuration, rule tests
NO_SUCH_PATH = _code("PR500", "a path given on the command line does not exist")
BAD_OPTION = _code("PR501", "an invalid command-line value")
BAD_LINT_CONFIG = _code("PR502", "an invalid [tool.promorules.lint] configuration in "
                                 "pyproject.toml")
OUTPUT_UNWRITABLE = _code("PR509", "a file or directory a command writes cannot be written "
                                   "(promo fmt, promo test --update, promo schema -o, promo "
                                   "coupons export --output)")
BAD_TEST_FILE = _code("PR510", "an invalid rule test file (structure, amounts, reason codes, "
                               "duplicate names)")
TEST_TARGET_MISSING = _code("PR511", "a ruleset or cart named by a rule test does not exist")
FORMAT_UNSAFE = _code("PR520", "promo fmt cannot format a file without changing what it loads "
                               "as or losing a comment: the file is left as it is")
UNKNOWN_PROMOTION = _code("PR530", "promo explain, promo coupons: a promotion id that the "
                                    "ruleset does not have")
GIT_UNREADABLE = _code("PR535", "a ruleset given as REV:path that git cannot read (no git, "
                                 "not a repository, an unknown revision or path)")
DASK_UNAVAILABLE = _code("PR536", "--dask: dask.distributed is not installed, or its scheduler "
                                   "cannot be reached")

# the HTTP service (``promo serve``): each also a problem type, .../errors/PR6nn
BAD_REQUEST_BODY = _code("PR600", "a request body that is not a JSON document (or nested too "
                                  "deep)")
BODY_TOO_LARGE = _code("PR601", "a request body over the service's size limit")
NOT_JSON = _code("PR602", "a request body whose content type is not application/json")
UNKNOWN_RULESET = _code("PR603", "no ruleset is served under this id")
IDEMPOTENCY_KEY_MISSING = _code("PR604", "a state-changing request without a valid "
                                         "Idempotency-Key header")
IDEMPOTENCY_KEY_REUSED = _code("PR605", "an Idempotency-Key used before with another request")
IDEMPOTENCY_IN_FLIGHT = _code("PR606", "the first request with this Idempotency-Key is still "
                                       "running")
AUTH_REQUIRED = _code("PR607", "a protected endpoint called without a bearer token")
AUTH_REFUSED = _code("PR608", "a bearer token that is not one of the service's tokens")
NO_SUCH_ROUTE = _code("PR609", "no endpoint at this path, or not with this method")
INTERNAL_ERROR = _code("PR610", "an unexpected error in the service (logged with the request "
                                "id; nothing is shown to the client)")
RULESET_UNAVAILABLE = _code("PR611", "a served ruleset that has never loaded (its file has "
                                     "errors)")
BAD_REQUEST_FIELD = _code("PR612", "a request field or query parameter with a missing or "
                                   "invalid value")
STORE_UNAVAILABLE = _code("PR613", "the service has no usage store, or cannot reach it")
SERVE_CONFIG = _code("PR614", "an invalid `promo serve` or relay configuration (address, "
                              "token file, secret file, URL)")
