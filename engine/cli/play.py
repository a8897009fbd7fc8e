"""``promo play``: the playground page on a free loopback port, with the files loaded."""

from __future__ import annotations

import click

from . import common
from .common import handles_errors


@click.command()
@click.argument("ruleset", type=common.Path())
@click.argument("cart", required=False, type=common.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free one).")
@click.option("--no-browser", is_flag=True, help="Only print the page's address; do not "
              "open a browser.")
@handles_errors
def play(ruleset: str, cart: str | None, port: int, no_browser: bool) -> None:
    """Edit RULESET and a CART in the browser and see the priced result live.

    Serves the playground page (`promo serve --playground`) on loopback and opens it.
    RULESET is a file or a directory of rulesets; the sample carts are the files in the
    carts/ folder beside each ruleset, CART (any cart file) first. Stop with Ctrl-C.
    """
    from ..service import Settings, missing_dependencies, serve

    missing_dependencies()

    def opened(url: str) -> None:
        click.echo(f"promo play: {url}/", err=False)
        if not no_browser:
            import webbrowser

            webbrowser.open(url + "/")

    serve(Settings(sources=(ruleset,), host="127.0.0.1", port=port, playground=True,
                   sample_carts=(cart,) if cart else (), access_log=False), opened)
