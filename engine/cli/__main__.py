"""``python -m engine.cli``: the same as the ``promo`` command."""

from . import run

run()
