"""The portal under gunicorn, as a subprocess on a free loopback port.

Usage::

    server = GunicornServer({"DATABASE_URL": url, "SECRET_KEY": key, ...}, workers=2)
    server.start()                 # returns once the portal answers over HTTP
    requests.get(server.url + "/")
    server.stop()                  # SIGTERM (graceful), SIGKILL after a timeout

The environment given is added to this process's environment (minus settings of the
portal that would leak in from a developer's shell), so `PORTAL_ENV`, `DATABASE_URL` and
the other settings of config.py reach the workers exactly as on a server.
"""
from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["GunicornServer", "GunicornError", "ROOT"]

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

# Settings of config.py that must come from the caller, never from the shell running the tests.
_PORTAL_SETTINGS = (
    "PORTAL_ENV", "DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR", "MAIL_SERVER", "MAIL_PORT",
    "RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "CACHE_TYPE", "CACHE_REDIS_URL",
    "STORAGE_BACKEND", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY", "S3_PREFIX", "PORTAL_INSTANCE_DIR", "REPORT_CACHE_SECONDS",
    "SESSION_COOKIE_SECURE", "PORTAL_BASE_URL", "TRUSTED_PROXIES", "LOG_FORMAT",
    "MFA_REQUIRED_FOR_STAFF", "OUTBOX_SEND_AFTER_REQUEST",
)


class GunicornError(RuntimeError):
    """The server did not start, or stopped answering."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class GunicornServer:
    host = "127.0.0.1"

    def __init__(self, env: dict[str, str], *, workers: int = 2, app: str = "app:app",
                 ready_path: str = "/", extra_args: list[str] | None = None,
                 log_dir: Path | None = None, name: str = "portal") -> None:
        self.env = {key: str(value) for key, value in env.items()}
        self.workers = workers
        self.app = app
        self.ready_path = ready_path
        self.extra_args = list(extra_args or [])
        self.name = name
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="tmp-gunicorn-")) / f"{name}.log"
        self.port: int | None = None
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise GunicornError("the server has not been started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _PORTAL_SETTINGS}
        env.update(self.env)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        return env

    def start(self, attempts: int = 3) -> GunicornServer:
        """Start gunicorn and wait until the portal answers; retry on a port taken meanwhile."""
        for attempt in range(attempts):
            self.port = free_port(self.host)
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
            cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers),
                   "-b", f"{self.host}:{self.port}", "--graceful-timeout", "10",
                   *self.extra_args, self.app]
            self._process = subprocess.Popen(
                cmd, cwd=ROOT, env=self._environment(), stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True)
            try:
                self._wait_ready()
            except GunicornError:
                log = self.log_tail()
                self._terminate()
                if attempt == attempts - 1 or "Address already in use" not in log:
                    raise
                continue
            atexit.register(self.stop)
            return self
        raise AssertionError("unreachable")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            connection.request("GET", self.ready_path)
            return connection.getresponse().status < 500
        except OSError:
            return False
        finally:
            connection.close()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise GunicornError(
                    f"gunicorn {self.name} exited with {self._process.returncode}:\n{self.log_tail()}")
            if self._answers():
                return
            time.sleep(0.1)
        raise GunicornError(f"gunicorn {self.name} did not answer within {START_TIMEOUT:.0f}s:\n"
                            f"{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # SIGTERM to the arbiter is a graceful stop: it waits for the workers' requests.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # the arbiter and its workers
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Stop the server (and its workers). Idempotent."""
        atexit.unregister(self.stop)
        self._terminate()

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
