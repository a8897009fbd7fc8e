"""The ``promo`` command line: one module per command (group), the renderers.

The only package that imports click; every command parses its arguments,
calls the Python API and prints.  ``cli`` (the click group, in ``app``) is
imported when first read: ``main`` pauses the garbage collector before click
and the command's modules are imported (``dsl.gc_pause.start_up_begins``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl.gc_pause import start_up_begins
from dsl.lazy import lazy_exports

if TYPE_CHECKING:
    from .app import cli

__all__ = ["cli", "main"]

__getattr__ = lazy_exports(__name__, {"cli": "app"})


def main() -> None:
    """Console-script entry point: the collector paused while the command starts
    (``app.main`` resumes it when the command's module is imported), then the command
    run."""
    start_up_begins()
    from .app import main as run

    run()
