"""A `# promo: ignore[...]` comment that suppresses nothing.

What it finds: an inline suppression whose codes found nothing to silence
on that promotion (or line), or that names a code that is not a lint rule.
The lint runner reports it after every other rule has run; this module only
declares the code.

Why it costs money: a stale suppression is a switched-off alarm. The
mistake it once excused was fixed, and the next real mistake of that kind
on the same promotion — an uncapped 100% off, a coupon anyone can reuse —
will be silenced without anybody having looked at it.

Suppressions of time-dependent rules (`PR203`: whether a window has
ended depends on the day lint runs) are never reported as unused.

Avoid:

    # promo: ignore[PR205]       <- the promotion has per_customer: 1 now
    - id: welcome-10
      coupon: WELCOME10
      limits: { per_customer: 1 }

Prefer: delete the comment once the finding is gone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset

CODE = "PR200"
NAME = "unused-suppression"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    """Reported by the runner (``dsl.lint.suppress``), which sees every finding."""
    return iter(())
