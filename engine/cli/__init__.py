"""The ``promo`` command line: one module per command (group), the renderers.

The only package that imports click; every command parses its arguments,
calls the Python API and prints.  ``cli`` (the click group, in ``app``) is
imported when first read: ``main`` pauses the garbage collector before click
and the command's modules are imported (``dsl.gc_pause.start_up_begins``).
The ``promo`` command (``run``) ends its process at once when the command is done
(``exit_now``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from dsl.gc_pause import start_up_begins
from dsl.lazy import lazy_exports

if TYPE_CHECKING:
    from .app import cli

__all__ = ["cli", "exit_now", "main", "run"]

__getattr__ = lazy_exports(__name__, {"cli": "app"})


def main() -> None:
    """Console-script entry point: the collector paused while the command starts
    (``app.main`` resumes it when the command's module is imported), then the command
    run."""
    start_up_begins()
    from .app import main as run

    run()


def run() -> NoReturn:
    """The ``promo`` console script and ``python -m engine.cli``: ``main``, then
    ``exit_now``."""
    try:
        main()
    except SystemExit as stop:
        exit_now(stop)
    exit_now(SystemExit(0))


def exit_now(stop: SystemExit) -> NoReturn:
    """End the process with ``stop``'s exit code without the interpreter's teardown.

    At exit the interpreter empties every module and frees the objects one by one: a
    ``promo eval`` built about 50,000 of them while it started, and freeing them took
    a twentieth of its run.  The process ends the way it would, less that: standard
    output and error are flushed and the ``atexit`` functions run (logging's
    shutdown, ``weakref.finalize``, a coverage tool's); files and stores are closed
    already (every command opens them in ``with`` blocks).  When another thread is
    still running (a relay, a server's), when the code is not a number, when a
    profiler, a tracer or a debugger watches (``python -m cProfile -m engine.cli …``
    writes its report after the command returns), or when the output cannot be
    flushed (a closed pipe), ``stop`` is raised instead: the interpreter exits as it
    always does, and reports what it reports."""
    code = stop.code
    threading = sys.modules.get("threading")
    if (threading is not None and threading.active_count() > 1) or \
            not (code is None or isinstance(code, int)) or _watched():
        raise stop
    try:
        _flush()
    except (OSError, ValueError):
        raise stop from None
    atexit._run_exitfuncs()  # (what the interpreter runs first at exit)
    with contextlib.suppress(OSError, ValueError):  # (as the interpreter's last flush)
        _flush()
    os._exit(code or 0)


def _watched() -> bool:
    """Whether a profiler, a tracer or a debugger watches the process: a hook set, a
    ``sys.monitoring`` tool (cProfile's from Python 3.12), or pdb loaded (it takes its
    hook off on ``continue`` without breakpoints, and reports the exit after)."""
    monitoring = getattr(sys, "monitoring", None)
    return sys.getprofile() is not None or sys.gettrace() is not None or \
        "bdb" in sys.modules or (monitoring is not None and
                                 any(monitoring.get_tool(tool) is not None
                                     for tool in range(6)))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
