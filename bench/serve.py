"""The portal under gunicorn on loopback for the benchmarks (bench/concurrency.py,
bench/upload.py): a fresh SQLite database (migrations, reference and demo data, and
optionally bench/scenario.py's file plus ``size`` generated applications), an SMTP
catcher, and `gunicorn -w WORKERS app:app` with PORTAL_ENV=production.
"""
from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build(tmp: Path, size: int = 0) -> tuple[str, dict]:
    """A SQLite database under ``tmp``; with ``size`` the scenario and that many generated
    applications. Returns (database URL, the scenario's ids or {})."""
    from portal.extensions import db
    from tests.conftest import build_database, make_app

    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    build_database(url, tmp)
    ids: dict = {}
    if size:
        from bench import scenario
        from bench.datagen import populate

        app = make_app(url, tmp / "uploads", None, RATELIMIT_ENABLED=False)
        t0 = time.perf_counter()
        ids = scenario.build(app)
        with app.app_context():
            populate(size, rich=True)
            db.session.remove()
            db.engine.dispose()
        print(f"  populated {size:,} applications in {time.perf_counter() - t0:.1f}s", flush=True)
    return url, ids


def start(url: str, tmp: Path, *, workers: int = 2, env: dict | None = None):
    """gunicorn on the database; returns the server (``server.smtp``: the catcher).
    The rate limiter is off: every simulated client comes from 127.0.0.1."""
    from tests.infra.gunicorn import GunicornServer
    from tests.infra.smtp import SmtpCatcher

    smtp = SmtpCatcher().start()
    settings = {
        "PORTAL_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": "https://portal.regio.example", "SESSION_COOKIE_SECURE": "false",
        "DATABASE_URL": url, "UPLOAD_DIR": str(tmp / "uploads"), "PORTAL_INSTANCE_DIR": str(tmp),
        "RATELIMIT_ENABLED": "false", "MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port),
        "STORAGE_BACKEND": "local", "REPORT_CACHE_SECONDS": "300",
    }
    settings.update(env or {})
    server = GunicornServer(settings, workers=workers, log_dir=tmp, name="bench",
                            extra_args=["--timeout", "120"])
    try:
        server.start()
    except BaseException:
        smtp.stop()
        raise
    server.smtp = smtp
    return server


def stop(server) -> None:
    try:
        server.stop()
    finally:
        server.smtp.stop()


def workers(server) -> list[int]:
    """The process ids of gunicorn's workers (the master's children)."""
    import psutil

    return [child.pid for child in psutil.Process(server.pid).children()]
