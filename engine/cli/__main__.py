"""``python -m engine.cli``: the same as the ``promo`` command."""

from . import main

main()
