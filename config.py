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
    # query_cache_size: SQLAlchemy keeps the compiled SQL of this many statements (500 by
    # default). Walking the benchmark's GET pages alone compiles about 300; with the forms'
    # posts, the workers' runs and the lists' filter combinations a busy portal needs more,
    # and a statement pushed out is compiled again (about a millisecond) on its next use.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "query_cache_size": 2000}

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
    # A mail that meets only temporary errors is retried after 1, 2, 5, 10, 30 minutes and
    # then hourly, and given up (failed) this many hours after it was queued; a permanent
    # (5xx) answer fails it at once.
    OUTBOX_GIVE_UP_AFTER_HOURS = _env_int("OUTBOX_GIVE_UP_AFTER_HOURS", 72)
    # A worker's claim on a mail is a lease: if the worker dies mid-send, another worker
    # takes the mail over after this many seconds. Keep it above MAIL_TIMEOUT_SECONDS.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 60)
    # Every SMTP connection (connect and each command) gives up after this many seconds.
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 30)

    UPLOAD_DIR = _env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Where files live: "local" (UPLOAD_DIR) or "s3" (an S3-compatible bucket, shared by
    # several machines). Empty S3_ENDPOINT_URL/keys: boto3's defaults (AWS, its credential chain).
    STORAGE_BACKEND = _env("STORAGE_BACKEND", "local")
    S3_BUCKET = _env("S3_BUCKET", "")
    S3_PREFIX = _env("S3_PREFIX", "")
    S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL")
    S3_REGION = _env("S3_REGION")
    S3_ACCESS_KEY_ID = _env("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = _env("S3_SECRET_ACCESS_KEY")
    # Directory of pg_dump/pg_restore for `flask backup`/`restore` on PostgreSQL (empty: PATH).
    PG_BIN_DIR = _env("PG_BIN_DIR", "")
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
    # The register's open-data exports (CSV and JSON together) are public and read every live
    # admission: this many per address.
    EXPORT_RATE_LIMIT = _env("EXPORT_RATE_LIMIT", "20 per minute")
    RATELIMIT_HEADERS_ENABLED = True

    # Account security (portal/accounts/security.py, mfa.py). Assessors, administrators
    # and referrers must enrol a second factor (TOTP) before they reach any page.
    MFA_REQUIRED_FOR_STAFF = _env_bool("MFA_REQUIRED_FOR_STAFF", True)
    # A session ends after this much inactivity (staff, providers) and, active or not,
    # this long after the login.
    SESSION_IDLE_MINUTES_STAFF = _env_int("SESSION_IDLE_MINUTES_STAFF", 30)
    SESSION_IDLE_MINUTES_PROVIDER = _env_int("SESSION_IDLE_MINUTES_PROVIDER", 120)
    SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 12)
    # Per account, whatever the address: after this many failed logins (or second-factor
    # codes, or reset requests) each next attempt waits longer: 1, 2, 4, ... minutes, at
    # most THROTTLE_MAX_MINUTES.
    THROTTLE_FREE_ATTEMPTS = _env_int("THROTTLE_FREE_ATTEMPTS", 10)
    THROTTLE_MAX_MINUTES = _env_int("THROTTLE_MAX_MINUTES", 60)
    HSTS_HEADER = ""  # production sends Strict-Transport-Security (see ProductionConfig)

    # Privacy (AVG): how long each kind of record is kept (portal/accounts/privacy.py; shown
    # on the privacy statement; `flask privacy due` lists what has passed its period).
    PRIVACY_CONTACT_EMAIL = _env("PRIVACY_CONTACT_EMAIL", "privacy@regiowbojeugd.example")
    RETENTION_DRAFT_DAYS = _env_int("RETENTION_DRAFT_DAYS", 365)
    RETENTION_WITHDRAWN_YEARS = _env_int("RETENTION_WITHDRAWN_YEARS", 2)
    RETENTION_DECIDED_YEARS = _env_int("RETENTION_DECIDED_YEARS", 7)
    RETENTION_MAIL_DAYS = _env_int("RETENTION_MAIL_DAYS", 365)
    RETENTION_INACTIVE_ACCOUNT_DAYS = _env_int("RETENTION_INACTIVE_ACCOUNT_DAYS", 365)
    RETENTION_AUDIT_YEARS = _env_int("RETENTION_AUDIT_YEARS", 7)

    # Logs (portal/requestlog.py): one line per request on standard error, `text` or
    # `json` (one object per line; the production default).
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")

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
    MFA_REQUIRED_FOR_STAFF = True  # BIO 5.17.01: not a switch in production
    LOG_FORMAT = _env("LOG_FORMAT", "json")

    # Strict-Transport-Security: browsers use https only, for a year (production only).
    HSTS_HEADER = "max-age=31536000; includeSubDomains"

    @classmethod
    def finalise(cls, settings: dict) -> None:
        """Refuse to start with an unsafe configuration (each problem named)."""
        problems = []
        if not settings.get("SECRET_KEY"):
            problems.append(
                "SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random "
                "value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        if not settings.get("MAIL_SERVER"):
            problems.append(
                "MAIL_SERVER is not set: without an SMTP server mail would only be printed, and "
                "password-reset links would not reach their owners. Set MAIL_SERVER (and "
                "MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD as needed)."
            )
        if not str(settings.get("PORTAL_BASE_URL", "")).startswith("https://"):
            problems.append(
                "PORTAL_BASE_URL must be the portal's https address (links in mail use it), "
                f"not {settings.get('PORTAL_BASE_URL')!r}."
            )
        if problems:
            raise RuntimeError(
                "PORTAL_ENV=production refuses to start:\n- " + "\n- ".join(problems)
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
