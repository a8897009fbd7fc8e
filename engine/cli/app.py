"""The ``promo`` command group: a thin click layer over the ``dsl`` and ``engine`` APIs.

Each command lives in its own module; this one only assembles them.
Exit codes: 0 ok, 1 findings or failed tests, 2 usage or input error.
Errors are rendered (path:line:col, source line, caret); never a traceback.

A command's module is imported when that command runs, not before: ``promo
--version`` and ``promo --help`` import none of them, and ``promo eval`` imports
the evaluation and nothing of the usage store, the linter or the service.
``promo --help`` lists the commands with the short help written in ``COMMANDS``
(``tests/cli/test_startup.py`` keeps it equal to the command's own).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping

import click

from dsl.gc_pause import start_up_ends

from .. import __version__

# name: (module:object in engine/cli, the help `promo --help` shows: the docstring's start)
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("lint:lint", "Check rulesets: loading errors and semantic rules (files or "
             "directories; default: rulesets/)."),
    "test": ("ruletests:test_", "Run rule tests: carts with expected outcomes (files, or "
             "directories searched for tests/ folders; default: rulesets/)."),
    "schema": ("schema:schema", "Write the JSON Schemas (ruleset, cart, result, events) and "
               "the service's OpenAPI contract (promotions.v1.yaml) into a directory."),
    "eval": ("evaluation:eval_", "Dry-run a ruleset against cart snapshots: priced lines "
             "and why."),
    "usage": ("usage:usage", "Usage limits: reserve, confirm, release, expire, reconcile, "
              "status, events, migrate."),
    "serve": ("serve:serve", "Serve RULESET_OR_DIR... over HTTP: evaluate, coupons, the "
              "checkout saga, events."),
    "explain": ("explain:explain", "Explain the decision about each promotion (all, or those "
                "named) for a cart: the coupon, the window, every part of its conditions, the "
                "limits, the stacking and the effect's computation."),
    "fmt": ("fmt:fmt", "Format rulesets: canonical key order, conditions and quoted money, "
            "comments kept (files or directories; default: rulesets/)."),
    "play": ("play:play", "Edit RULESET and a CART in the browser and see the priced result "
             "live."),
    "bound": ("bound:bound", "The largest discount one cart can get, per promotion and for "
              "the whole ruleset: a proven upper bound and the best witness a search found "
              "(as a rule test)."),
    "diff": ("diff:diff", "Price carts with the OLD and NEW ruleset (files, or REV:path from "
             "git) and report the carts whose total or promotions change."),
    "coupons": ("coupons:coupons", "Coupon batches: generate single-use codes into the usage "
                "store, export, status."),
    "replay": ("replay:replay", "Price an order history with RULESET, applying the usage "
               "limits and budgets in time order as the usage store would: uses, discount and "
               "when limits ran out."),
}
# group: its subcommands that live in other modules
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "usage": ("relay:relay",),  # the outbox relay is a usage-store job, served by engine/service
}


def _load(where: str) -> click.Command:
    module, name = where.split(":")
    command: click.Command = getattr(importlib.import_module(f".{module}", __package__), name)
    return command


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands by name; a command in ``COMMANDS`` is imported when first
    looked up (click looks up only the command it runs, and every one for ``--help``)."""

    def __init__(self) -> None:
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            command = self.loaded[name] = _load(COMMANDS[name][0])
            if isinstance(command, click.Group):
                for where in SUBCOMMANDS.get(name, ()):
                    command.add_command(_load(where))
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **self.loaded})

    def __len__(self) -> int:
        return len({*COMMANDS, *self.loaded})


class _Group(click.Group):
    """A group whose ``--help`` lists the commands from ``COMMANDS`` without importing
    them, and whose command's start-up ends once its module is imported."""

    def resolve_command(self, ctx: click.Context, args: list[str],
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        found = super().resolve_command(ctx, args)  # the command's module imported
        # The collector paused by `main` (engine/cli/__init__.py) runs again before the
        # command parses its arguments and does its work (a server, a replay: memory
        # stays bounded); what the command imports only in its function is imported
        # with the collector on.
        start_up_ends()
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        loaded = self.commands.loaded  # type: ignore[attr-defined]
        shown = [(name, loaded.get(name) or click.Command(name, help=COMMANDS[name][1]))
                 for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in shown if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit))
                                    for name, command in shown])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, package_name="promorules")
def cli() -> None:
    """promorules: declarative promotions, exact money, explicit stacking."""


cli.commands = _Commands()


PLUGINS_OFF = ("PYDANTIC_DISABLE_PLUGINS", "__all__")
"""Pydantic looks for its plugins among the entry points of every installed distribution
the first time it builds a model, a sixth of a ``promo eval``'s start.  Plugins observe
validation; the command validates only its own documents, so it loads none, unless
``PYDANTIC_DISABLE_PLUGINS`` is set already (to a plugin's name, or empty: load them)."""


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault(*PLUGINS_OFF)
    try:
        cli(prog_name="promo")
    except OSError as err:
        # Output that cannot be written (a full disk, ``> /dev/full``, a device error;
        # click itself handles a closed pipe) is a refusal like an unwritable --output,
        # not a traceback.  Such a write names no file (opening one does); any other
        # OSError here is a bug, and stays one.
        if err.errno not in _WRITE_FAILURES or err.filename is not None:
            raise
        _output_unwritable(err)


_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE}


def _output_unwritable(err: OSError) -> None:
    from dsl.codes import OUTPUT_UNWRITABLE
    from dsl.errors import InputError

    # what is left in the buffer goes nowhere, so the interpreter's last flush at exit
    # does not fail again
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    problem = InputError(f"cannot write the output: {err.strerror or err}",
                         code=OUTPUT_UNWRITABLE)
    with contextlib.suppress(OSError):
        click.echo(problem.render(), err=True)
    sys.exit(2)
