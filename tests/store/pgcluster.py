"""A throwaway PostgreSQL cluster for the store tests (and the store benchmark).

``initdb`` into a new temporary directory, ``pg_ctl start`` listening only on
a Unix socket in that directory (no port to collide on), ``stop`` and delete
it at the end.  PostgreSQL refuses to run as root: under root the cluster is
made and run as the ``postgres`` user (which the distribution's package
creates), the directory handed to it.

Where the binaries are: ``$PROMORULES_PG_BIN``, else the directory of
``pg_ctl`` on ``PATH``, else the newest ``/usr/lib/postgresql/<version>/bin``
(Debian and Ubuntu install them there, with no link on ``PATH``), and a few
other usual places.  ``$PROMORULES_TEST_POSTGRES_URL`` points the tests at a
running server instead (a database they may fill with schemas).

Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``):
a test cluster is thrown away, and the tests are about isolation and
atomicity, which these settings do not touch.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BIN_ENV = "PROMORULES_PG_BIN"
URL_ENV = "PROMORULES_TEST_POSTGRES_URL"
REQUIRE_ENV = "PROMORULES_REQUIRE_POSTGRES"
SEARCH = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin",
          "/opt/homebrew/opt/postgresql*/bin", "/usr/local/opt/postgresql*/bin"]
DATABASE = "promotest"
SETTINGS = {
    "listen_addresses": "''", "port": "5432", "max_connections": "300",
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    "shared_buffers": "64MB", "max_locks_per_transaction": "256",
    "log_min_messages": "fatal", "logging_collector": "off", "autovacuum": "off",
}


class Unavailable(Exception):
    """No PostgreSQL to test against, and why."""


def find_bin() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    if os.environ.get(BIN_ENV):
        where = Path(os.environ[BIN_ENV])
        if not (where / "initdb").exists():
            raise Unavailable(f"${BIN_ENV}={where} holds no initdb")
        return where
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "initdb").exists():
        return Path(found).resolve().parent
    candidates = [Path(p) for pattern in SEARCH for p in glob.glob(pattern)
                  if (Path(p) / "initdb").exists()]
    if not candidates:
        raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: install "
                          f"PostgreSQL (apt-get install postgresql) or set ${BIN_ENV}")

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", str(path))) or (0,)

    return max(candidates, key=version)


class Cluster:
    """One cluster in a temporary directory; ``url(schema)`` connects to a schema of it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root, and there is no 'postgres' user to run "
                                  "the test cluster as (PostgreSQL refuses root)") from None
        self.root = Path(tempfile.mkdtemp(prefix="promorules-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *args: str, check: bool = True, timeout: float = 120,
             ) -> subprocess.CompletedProcess[str]:
        owner = self.user  # None: as this process (subprocess.run's defaults)
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              text=True, check=check, timeout=timeout, cwd=self.root,
                              user=owner.pw_uid if owner is not None else None,
                              group=owner.pw_gid if owner is not None else None,
                              extra_groups=[] if owner is not None else None)

    def start(self) -> Cluster:
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--no-locale", "-E", "UTF8", "--no-sync")
        except subprocess.CalledProcessError as err:
            raise Unavailable(f"initdb failed: {err.stderr.strip()}") from None
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"unix_socket_directories = '{self.root}'\n")
            for name, value in SETTINGS.items():
                conf.write(f"{name} = {value}\n")
        self.pg_ctl("start")
        import psycopg

        with psycopg.connect(self.url(database="postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        return self

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        args = ["pg_ctl", "-D", str(self.data), "-w", "-t", "60"]
        if action in ("start", "restart"):
            args += ["-l", str(self.log)]
        if action in ("stop", "restart"):
            args += ["-m", mode]
        try:
            self._run(*args, action)
        except subprocess.CalledProcessError as err:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise Unavailable(f"pg_ctl {action} failed: {err.stderr.strip()} {log}") from None

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        url = f"postgresql://postgres@/{database}?host={quote(str(self.root))}"
        if schema:
            url += "&options=" + quote(f"-c search_path={schema}")
        return url

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.pg_ctl("stop", mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """Where the tests' PostgreSQL is: a cluster of ours, or the server ``$URL_ENV`` names."""

    def __init__(self) -> None:
        self.cluster: Cluster | None = None
        self.base = os.environ.get(URL_ENV, "")
        self.serial = 0
        if not self.base:
            self.cluster = Cluster(find_bin()).start()
            self.base = self.cluster.url()

    def new_schema(self) -> str:
        """A new, empty schema; the URL of a store in it."""
        import psycopg

        self.serial += 1
        name = f"t{os.getpid()}_{self.serial}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return in_schema(self.base, name)

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def server_for_tests() -> Server:
    """The tests' PostgreSQL, or a pytest skip that says why there is none (a failure
    where ``$PROMORULES_REQUIRE_POSTGRES`` is 1, as in CI)."""
    import pytest  # (here, not at the top: the store benchmark imports this module too)

    try:
        return Server()
    except Unavailable as why:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL is required here ({REQUIRE_ENV}=1): {why}")
        pytest.skip(f"no PostgreSQL to test against: {why}")


def in_schema(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema``."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=" + quote(f"-c search_path={schema}")
