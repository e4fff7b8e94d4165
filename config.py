"""Configuration for the portal.

Every setting can be given through the environment; the embedded defaults run
on a fresh machine (SQLite and uploads under ``instance/``, mail to the
console and the in-portal mail viewer).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))


def _env(name: str, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def _instance_secret_key() -> str:
    """A secret key generated once and kept in instance/ (development only)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Mail. MAIL_SERVER empty means: no SMTP, mails go to the console and stay
    # readable by administrators under /beheer/mails.
    MAIL_SERVER = _env("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = _env(
        "MAIL_DEFAULT_SENDER", "Regio WBO Jeugd <toelating@regiowbojeugd.example>"
    )
    # Flask-Mail suppresses sending when TESTING is on; the outbox decides instead.
    MAIL_SUPPRESS_SEND = False
    # Send queued mail right after each request that queued some.
    OUTBOX_SEND_AFTER_REQUEST = _env_bool("OUTBOX_SEND_AFTER_REQUEST", True)
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 10)

    UPLOAD_DIR = _env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Per-file limit for evidence; the request limit leaves room for the form.
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = _env_int("MAX_FORM_MEMORY_SIZE", 8 * 1024 * 1024)

    PORTAL_BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    CONFIRM_TOKEN_MAX_AGE = _env_int("CONFIRM_TOKEN_MAX_AGE", 3 * 24 * 3600)
    DECISION_PERIOD_WEEKS = _env_int("DECISION_PERIOD_WEEKS", 8)
    PAGE_SIZE = _env_int("PAGE_SIZE", 25)
    # The management report aggregates over every application: its figures are kept this
    # many seconds (0: computed on every request). The cache is per process by default;
    # set CACHE_TYPE=RedisCache and CACHE_REDIS_URL to share it between processes.
    REPORT_CACHE_SECONDS = _env_int("REPORT_CACHE_SECONDS", 300)
    CACHE_TYPE = _env("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = _env("CACHE_REDIS_URL", "")
    CACHE_DEFAULT_TIMEOUT = 300

    BABEL_DEFAULT_LOCALE = _env("BABEL_DEFAULT_LOCALE", "nl")
    BABEL_DEFAULT_TIMEZONE = _env("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    # Compiled catalogues (portal/translations/<lang>/LC_MESSAGES/messages.mo); Dutch,
    # the source language, needs none.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "portal" / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    WTF_CSRF_TIME_LIMIT = _env_int("WTF_CSRF_TIME_LIMIT", 8 * 3600)

    # Reverse proxies in front of the portal that set X-Forwarded-For/-Proto (0: none; the
    # client address is then the connection's). Only count proxies you run yourself: a
    # client can send any X-Forwarded-For header.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True

    @classmethod
    def finalise(cls, settings: dict) -> None:
        """Fill settings that depend on the environment kind."""
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _instance_secret_key()


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    REPORT_CACHE_SECONDS = 0
    MAIL_SERVER = ""
    PORTAL_BASE_URL = "http://localhost"
    SERVER_NAME = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def finalise(cls, settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. In production the portal refuses to start "
                "without an explicit SECRET_KEY: set the SECRET_KEY environment "
                "variable to a long random value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = _env("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"PORTAL_ENV={name!r} is unknown; use one of {', '.join(CONFIGS)}"
        ) from None
