"""The ``promo`` command group: a thin click layer over the ``dsl`` and ``engine`` APIs.

Each command lives in its own module; this one only assembles them.
Exit codes: 0 ok, 1 findings or failed tests, 2 usage or input error.
Errors are rendered (path:line:col, source line, caret); never a traceback.
"""

from __future__ import annotations

import click

from .diff import diff
from .evaluation import eval_
from .lint import lint
from .relay import relay
from .replay import replay
from .ruletests import test_
from .schema import schema
from .serve import serve
from .usage import usage


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promorules")
def cli() -> None:
    """promorules: declarative promotions, exact money, explicit stacking."""


for command in (lint, test_, schema, eval_, usage, serve):
    cli.add_command(command)
cli.add_command(diff)
cli.add_command(replay)
usage.add_command(relay)  # the outbox relay is a usage-store job, served by engine/service


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="promo")
