"""What a ``promo`` command computed from a file's content, kept on disk for the next run.

Each command is a new process: without this, ``promo eval`` reads, parses and
validates the same ruleset again at every run, which costs more than the rest of
the command together.  As Python keeps compiled bytecode and linters keep their
findings, an entry holds what was computed from a file whose content is known:

* ``promo eval``: the loaded, checked ruleset (``load_ruleset``'s result) and each
  cart read from a file (``load_cart``'s);
* ``promo lint``: a file's findings (``dsl.lint.FileLint``), with the moments they
  depend on: kept while the time lint runs at is on the same side of each (a window's
  end has not passed yet), never when a finding prints that time.

An entry is found by a key that is the SHA-256 of everything the result depends on:
the file's bytes and the name it was given by (diagnostics and spans print it),
promorules' version and the modification times and sizes of its source files (an
edited installation never reads an entry of its former code), Python's version,
the installations of pydantic, PyYAML and tzdata and the system's time zone
database, the loader's caps, and what the caller adds (lint: the configuration).
Only regular files are kept (a pipe cannot be read twice).  ``promo eval`` keeps
only what loaded: an invalid file is read again at every run and reported as
before (lint keeps a file's diagnostics, loading errors included: they are its
findings).

Entries are pickles, written to a temporary file beside their place and moved
there (``os.replace``): a reader sees a whole entry or none.  An entry that cannot
be read or unpickled, or holds something else than expected, is ignored and
written again; a directory that cannot be written is no error (the command works
as without a cache).  The directory is ``$PROMO_CACHE_DIR``, else
``$XDG_CACHE_HOME/promorules``, else ``~/.cache/promorules``; ``PROMO_NO_CACHE=1``
or a command's ``--no-cache`` turn it off.  Like ``__pycache__``, the directory is
trusted: it is created readable by its owner only, and whoever can write into it
can make the command run code.

The directory is kept under a size (``LIMIT_MB``, or ``$PROMO_CACHE_MAX_MB``): after
each entry written, when the entries add up to more, the least recently used are
removed until they fill three quarters of it (a hit marks its entry used, at most
once a day: ``REFRESH_AFTER``).  Temporary files a writer left behind (it died
before renaming) go too once they are an hour old.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FORMAT = 1
"""Changes when what an entry holds changes shape."""
ENTRY_SUFFIX = ".pickle"
_PACKAGES = ("dsl", "engine")  # the code an entry was computed by
# and the libraries it was computed with (tzdata: the time zones, where the system has none)
_LIBRARIES = ("pydantic", "pydantic_core", "yaml", "tzdata")
LIMIT_MB = 64.0
"""The most the entries may add up to, in MiB, unless ``$PROMO_CACHE_MAX_MB`` says
otherwise (a ruleset's entry is tens to hundreds of KiB)."""
REFRESH_AFTER = 24 * 3600
"""Seconds after which a hit marks its entry used again (its modification time):
the order entries are removed in, without a write at every run."""
STALE_TEMPORARY = 3600
"""Seconds after which a temporary file is one whose writer died before renaming it."""


def directory(enabled: bool = True) -> Path | None:
    """Where entries are kept, or ``None`` when the cache is off."""
    if not enabled or os.environ.get("PROMO_NO_CACHE", "") not in ("", "0"):
        return None
    if chosen := os.environ.get("PROMO_CACHE_DIR"):
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "promorules"


@functools.cache
def _code_stamp() -> bytes:
    """promorules' version and the modification time and size of each of its source files."""
    import engine

    root = Path(engine.__file__).resolve().parent.parent
    stamps = [engine.__version__]
    pending = [root / package for package in _PACKAGES]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir() and entry.name != "__pycache__":
                    pending.append(Path(entry.path))
                elif entry.name.endswith((".py", ".lark")):
                    stat = entry.stat()
                    stamps.append(f"{entry.path}:{stat.st_mtime_ns}:{stat.st_size}")
    return "\n".join(sorted(stamps)).encode()


@functools.cache
def _library_stamp() -> str:
    """Where the libraries a result is computed with are installed, and the modification
    time and size of each one's ``__init__.py``: another version installed, another
    stamp (found without importing them: a lint report from the cache needs none)."""
    from importlib.util import find_spec

    stamps = []
    for library in _LIBRARIES:
        spec = find_spec(library)
        stamps.append(f"{library}:{_file_stamp(spec.origin if spec is not None else None)}")
    # the time zone database zoneinfo reads first (messages print UTC offsets)
    import zoneinfo

    stamps += [f"tz:{_file_stamp(os.path.join(path, 'tzdata.zi'))}" for path in zoneinfo.TZPATH]
    return "\n".join(stamps)


def _file_stamp(path: str | None) -> str:
    """A file's path, modification time and size (the path alone if it cannot be read)."""
    try:
        status = os.stat(path) if path else None
    except OSError:
        status = None
    return f"{path}:{status and status.st_mtime_ns}:{status and status.st_size}"


def key(kind: str, name: str, content: bytes, extra: Iterable[str] = ()) -> str:
    """The entry's name for ``content`` read as ``name``, computed as ``kind``."""
    from dsl import loader

    digest = hashlib.sha256()
    for part in (f"{FORMAT}", kind, name, sys.version, _library_stamp(),
                 f"{loader.MAX_BYTES} {loader.MAX_NODES} {loader.MAX_DEPTH}", *extra):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(_code_stamp() + b"\0")
    digest.update(content)
    return digest.hexdigest()


def read(where: Path, name: str, kind: type[T]) -> T | None:
    """The entry ``name`` if it holds a ``kind``, else ``None`` (missing, unreadable,
    corrupt, of another shape)."""
    path = where / (name + ENTRY_SUFFIX)
    try:
        with open(path, "rb") as file:
            value = pickle.load(file)
            used = os.fstat(file.fileno()).st_mtime
    except Exception:  # noqa: BLE001 - a bad entry is a miss: computed again, rewritten
        return None
    if not isinstance(value, kind):
        return None
    if time.time() - used > REFRESH_AFTER:  # used now: the last to be removed
        with contextlib.suppress(OSError):
            os.utime(path)
    return value


def write(where: Path, name: str, value: Any) -> None:
    """Keep ``value`` as the entry ``name``, whole or not at all; failures are ignored
    (no cache is slower, never wrong)."""
    import tempfile

    temporary = None
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=where, prefix=f".{name[:16]}.",
                                             suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, where / (name + ENTRY_SUFFIX))
        temporary = None
    except Exception:  # noqa: BLE001 - unpicklable, unwritable, full disk: no entry
        return
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    _written(where, len(data))


_TOTALS: dict[Path, int] = {}
"""What the entries of each directory added up to when last counted, plus what this
process wrote since: a command that writes many entries (lint of many files) counts
the directory once, and again only when the sum may pass the limit."""


def _written(where: Path, size: int) -> None:
    limit = limit_bytes()
    total = _TOTALS.get(where)
    if total is not None and total + size <= limit:
        _TOTALS[where] = total + size  # (an entry written again is counted twice: too high)
        return
    _TOTALS[where] = prune(where, limit)


def limit_bytes() -> int:
    """``$PROMO_CACHE_MAX_MB`` (a number of MiB, decimals allowed) in bytes, else
    ``LIMIT_MB``'s."""
    written = os.environ.get("PROMO_CACHE_MAX_MB", "")
    try:
        megabytes = float(written) if written else LIMIT_MB
    except ValueError:
        megabytes = LIMIT_MB
    if not megabytes >= 0 or megabytes == float("inf"):  # (NaN, negative, infinite)
        megabytes = LIMIT_MB
    return int(megabytes * 1024 * 1024)


def prune(where: Path, limit: int) -> int:
    """When the entries in ``where`` add up to more than ``limit`` bytes, remove the
    least recently used until they fill at most three quarters of it (so that the
    next entries written do not each prune again); remove temporary files older than
    ``STALE_TEMPORARY``.  Another process may prune at the same time: an entry
    already gone is skipped, and one still open by a reader stays readable.
    Returns what the entries left add up to."""
    entries = []
    total = 0
    now = time.time()
    try:
        with os.scandir(where) as found:
            for entry in found:
                if not entry.is_file(follow_symlinks=False):
                    continue
                status = entry.stat(follow_symlinks=False)
                if entry.name.endswith(".tmp"):
                    if now - status.st_mtime > STALE_TEMPORARY:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
                elif entry.name.endswith(ENTRY_SUFFIX):
                    entries.append((status.st_mtime, entry.path, status.st_size))
                    total += status.st_size
    except OSError:
        return 0
    if total <= limit:
        return total
    keep = limit * 3 // 4
    for _, path, size in sorted(entries):  # the least recently used first
        if total <= keep:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
        total -= size
    return total


def cached(where: Path | None, path: str, kind: type[T], compute: Callable[[], T],
           extra: Iterable[str] = (), holds: Callable[[T], bool] | None = None) -> T:
    """``compute()`` for the file at ``path``, from the cache in ``where`` when an entry
    of its content is there (``None``: no cache).  ``holds`` says whether an entry (or
    a value just computed) is true now (lint's findings about the time it runs at):
    one that is not is computed again (and not kept)."""
    from dsl.loader import MAX_BYTES

    if where is None:
        return compute()
    try:
        status = Path(path).stat()
        # Only a regular file can be read twice: a pipe (``<(cat cart.yaml)``,
        # ``/dev/stdin``) read here for the key would be empty for compute().
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BYTES:
            return compute()  # (which refuses a file too large)
        content = Path(path).read_bytes()
    except OSError:  # compute() says why it cannot be read
        return compute()
    name = key(kind.__name__, path, content, extra)
    found = read(where, name, kind)
    if found is not None and (holds is None or holds(found)):
        return found
    value = compute()
    # (not kept when the file changed meanwhile: computed from other content than the key's)
    if (holds is None or holds(value)) and _unchanged(path, content):
        write(where, name, value)
    return value


def _unchanged(path: str, content: bytes) -> bool:
    try:
        return Path(path).read_bytes() == content
    except OSError:
        return False
