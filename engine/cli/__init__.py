"""The ``promo`` command line: one module per command (group), the renderers.

The only package that imports click; every command parses its arguments,
calls the Python API and prints.
"""

from .app import cli, main

__all__ = ["cli", "main"]
