"""A throwaway Redis server on loopback for tests (Debian's `redis-server`).

Usage::

    if TempRedis.available():
        server = TempRedis().start()
        url = server.url(0)          # redis://127.0.0.1:PORT/0
        ...
        server.stop()

The server keeps nothing on disk (no RDB snapshots, no append-only file), listens only
on 127.0.0.1 on a free port and runs in a fresh temporary directory. `python3 dev.py
test` installs `redis-server` with apt-get when it is missing.
"""
from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["TempRedis", "RedisError"]

START_TIMEOUT = 30.0


class RedisError(RuntimeError):
    """Raised when the temporary server cannot be started or reached."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempRedis:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._process: subprocess.Popen | None = None
        self._log = None

    @staticmethod
    def binary() -> str | None:
        return shutil.which("redis-server") or next(
            (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).exists()), None)

    @classmethod
    def available(cls) -> bool:
        """True when redis-server is installed and the redis client library imports."""
        if cls.binary() is None:
            return False
        try:
            import redis  # noqa: F401
        except ImportError:
            return False
        return True

    def url(self, db: int = 0) -> str:
        if self.port is None:
            raise RedisError("TempRedis has not been started")
        return f"redis://{self.host}:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis.from_url(self.url(db))

    def start(self, attempts: int = 3) -> TempRedis:
        binary = self.binary()
        if binary is None:
            raise RedisError("redis-server is not installed (apt-get install redis-server)")
        self.base_dir = Path(tempfile.mkdtemp(prefix="tmp-redis-"))
        for attempt in range(attempts):
            self.port = _free_port()
            self._log = (self.base_dir / "redis.log").open("ab")
            self._process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", self.host, "--save", "",
                 "--appendonly", "no", "--dir", str(self.base_dir), "--protected-mode", "yes"],
                stdout=self._log, stderr=subprocess.STDOUT, cwd=self.base_dir)
            try:
                self._wait_ready()
            except RedisError:
                self._terminate()
                if attempt == attempts - 1:
                    self._cleanup_dir()
                    raise
                continue
            atexit.register(self.stop)
            return self
        raise AssertionError("unreachable")

    def _wait_ready(self) -> None:
        """Poll until the server answers PING (or fail when it exits or takes too long)."""
        import redis

        deadline = time.monotonic() + START_TIMEOUT
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise RedisError(f"redis-server exited with {self._process.returncode}:\n"
                                     f"{self.log_tail()}")
                with contextlib.suppress(redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        raise RedisError(f"redis-server did not answer within {START_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.base_dir / "redis.log").read_text(errors="replace")
        except (OSError, TypeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _terminate(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _cleanup_dir(self) -> None:
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def stop(self) -> None:
        """Stop the server and delete its directory. Idempotent."""
        atexit.unregister(self.stop)
        self._terminate()
        self._cleanup_dir()

    def __enter__(self) -> TempRedis:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
