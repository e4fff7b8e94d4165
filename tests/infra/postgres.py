"""A throwaway PostgreSQL server for tests.

Usage::

    if TempPostgres.available():
        pg = TempPostgres()
        pg.start()
        url = pg.create_database("portal_test")   # SQLAlchemy URL (postgresql+psycopg://...)
        ...
        pg.stop()                                  # kills the server, deletes its files

The cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a free
port (plus a Unix socket inside the temp directory), trusts every local
connection and runs with fsync off, so it is fast and entirely disposable.

PostgreSQL refuses to run as root.  When the tests run as root, the server
binaries are started through `runuser` (or `su`) as an unprivileged user: the
existing `nobody` user, or a system user `pgtest` created on demand.
"""
from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

__all__ = ["TempPostgres", "PostgresError"]

# Where distribution packages put the server binaries (Debian/Ubuntu, RPM, source builds).
_EXTRA_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")
_BINARIES = ("initdb", "pg_ctl", "postgres")
_FALLBACK_USER = "pgtest"


class PostgresError(RuntimeError):
    """Raised when the temporary server cannot be created, started or reached."""


def _version_key(path: str) -> tuple[int, ...]:
    """Sort key so /usr/lib/postgresql/16/bin beats /usr/lib/postgresql/9/bin."""
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def find_binary(name: str) -> str | None:
    """Full path of a PostgreSQL server binary, or None if it is not installed."""
    found = shutil.which(name)
    if found:
        return found
    dirs = [d for pattern in _EXTRA_BIN_GLOBS for d in glob.glob(pattern)]
    for directory in sorted(dirs, key=_version_key, reverse=True):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class TempPostgres:
    """A private PostgreSQL cluster in a temp directory, started on demand.

    Attributes (valid after start()):
        host: "127.0.0.1"
        port: TCP port the server listens on
        base_dir: temp directory holding data/, sock/ and postgres.log
        data_dir, socket_dir, log_path: paths inside base_dir
        run_as: unprivileged user running the server when we are root, else None

    Also usable as a context manager (`with TempPostgres() as pg: ...`).
    """

    host = "127.0.0.1"
    superuser = "postgres"

    def __init__(self) -> None:
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.run_as: str | None = None
        self._bins: dict[str, str] = {}
        self._running = False

    # ------------------------------------------------------------------ discovery

    @classmethod
    def available(cls) -> bool:
        """True if initdb, pg_ctl and postgres are installed and psycopg imports.

        As root, also requires `runuser` or `su` to drop privileges.
        """
        if any(find_binary(name) is None for name in _BINARIES):
            return False
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return False
        # As root the server has to run as another user, through runuser or su.
        return not _is_root() or bool(shutil.which("runuser") or shutil.which("su"))

    # ------------------------------------------------------------------ paths

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._base() / "sock"

    @property
    def log_path(self) -> Path:
        return self._base() / "postgres.log"

    def _base(self) -> Path:
        if self.base_dir is None:
            raise PostgresError("TempPostgres has not been started")
        return self.base_dir

    # ------------------------------------------------------------------ privileges

    @staticmethod
    def _pick_user() -> str:
        """An unprivileged account to run the server as (root only)."""
        for name in ("nobody", _FALLBACK_USER):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                pass
        subprocess.run(
            ["useradd", "--system", "--no-create-home", _FALLBACK_USER],
            check=True,
            capture_output=True,
        )
        return _FALLBACK_USER

    def _as_user(self, cmd: list[str]) -> list[str]:
        """Wrap `cmd` so it runs as self.run_as when we are root."""
        if self.run_as is None:
            return cmd
        if shutil.which("runuser"):
            return ["runuser", "-u", self.run_as, "--", *cmd]
        # `su` needs a shell; `nobody` has nologin, so force /bin/sh.
        return ["su", "-s", "/bin/sh", self.run_as, "-c", subprocess.list2cmdline(cmd)]

    def _run(self, cmd: list[str], what: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, LC_ALL="C", LANG="C")
        # Don't let a developer's PG* settings leak into initdb/pg_ctl.
        for key in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE"):
            env.pop(key, None)
        result = subprocess.run(
            self._as_user(cmd),
            cwd=self._base(),  # readable by run_as, unlike e.g. /root
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
                f"{self._log_tail()}"
            )
        return result

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, PostgresError):
            return ""
        return "\n--- postgres.log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def _make_base_dir(self) -> Path:
        """Create the temp directory, writable by the user that runs the server."""
        parent = None
        if self.run_as is not None:
            # The server user must be able to traverse every parent directory;
            # a private TMPDIR (e.g. under /root) would not do, /tmp always does.
            tmp = Path(tempfile.gettempdir())
            world_x = all(
                os.stat(p).st_mode & stat.S_IXOTH for p in [tmp, *tmp.parents]
            )
            parent = str(tmp) if world_x else "/tmp"
        base = Path(tempfile.mkdtemp(prefix="tmp-pg-", dir=parent))
        os.chmod(base, 0o700)
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(base, user.pw_uid, user.pw_gid)
        return base

    # ------------------------------------------------------------------ lifecycle

    def start(self, attempts: int = 3) -> TempPostgres:
        """initdb a new cluster and start the server. Returns self."""
        if self._running:
            return self
        self._bins = {name: find_binary(name) for name in _BINARIES}
        missing = [name for name, path in self._bins.items() if path is None]
        if missing:
            raise PostgresError(f"PostgreSQL binaries not found: {', '.join(missing)}")

        self.run_as = self._pick_user() if _is_root() else None
        self.base_dir = self._make_base_dir()
        try:
            self._run(
                [
                    self._bins["initdb"],
                    "-D", str(self.data_dir),
                    "-A", "trust",
                    "-U", self.superuser,
                    "--encoding", "UTF8",
                    "--locale", "C",
                    "--no-sync",  # durability is pointless for a throwaway cluster
                ],
                "initdb",
            )
            self._run(["mkdir", "-p", str(self.socket_dir)], "mkdir socket dir")
            # The free port may be grabbed by someone else before postgres binds it;
            # retry with another port in that case.
            for attempt in range(attempts):
                self.port = _free_port()
                try:
                    self._pg_ctl_start()
                    break
                except PostgresError:
                    if attempt == attempts - 1 or "already in use" not in self._log_tail():
                        raise
        except BaseException:
            self._cleanup_dir()
            raise
        self._running = True
        atexit.register(self.stop)  # don't leak a server if the test run crashes
        return self

    def _pg_ctl_start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                f"-c listen_addresses={self.host}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        self._run(
            [
                self._bins["pg_ctl"],
                "-w",
                "-t", "60",
                "-D", str(self.data_dir),
                "-o", options,
                "-l", str(self.log_path),
                "start",
            ],
            "pg_ctl start",
        )

    def stop(self) -> None:
        """Stop the server immediately and delete all of its files. Idempotent."""
        if self._running:
            self._running = False
            atexit.unregister(self.stop)
            with contextlib.suppress(PostgresError):  # already gone; still remove the files
                self._run(
                    [self._bins["pg_ctl"], "-w", "-D", str(self.data_dir), "-m", "immediate", "stop"],
                    "pg_ctl stop",
                )
        self._cleanup_dir()

    def _cleanup_dir(self) -> None:
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    @property
    def running(self) -> bool:
        return self._running

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL for `dbname`, using the psycopg 3 driver."""
        if self.port is None:
            raise PostgresError("TempPostgres has not been started")
        return f"postgresql+psycopg://{self.superuser}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        """A plain psycopg connection to `dbname` as the superuser."""
        import psycopg

        if self.port is None:
            raise PostgresError("TempPostgres has not been started")
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.superuser,
            dbname=dbname,
            autocommit=autocommit,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        """CREATE DATABASE `name`; returns its SQLAlchemy URL."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name` if it exists, disconnecting any open sessions."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
