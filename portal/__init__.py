"""The open-house admissions portal for Wonen met begeleiding."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import forms, i18n, pool_check, readonly_commit, requestlog, textinput
from .extensions import babel, cache, csrf, db, limiter, login_manager, mail, migrate
from .i18n import gettext as _
from .urls import IdConverter, install_fast_url_for

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the portal. ``config``: a config class, a dict of overrides, or None (environment)."""
    import config as config_module

    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder="static",
        instance_path=str(config_module.INSTANCE_DIR),
    )
    # One id converter for every route: ids beyond the database's range are a 404.
    app.url_map.converters["int"] = IdConverter
    install_fast_url_for(app)
    overrides = {}
    if config is None:
        config_cls = config_module.config_from_env()
    elif isinstance(config, dict):
        config_cls = config_module.CONFIGS[config.get("PORTAL_ENV", "development")]
        overrides = config
    else:
        config_cls = config
    app.config.from_object(config_cls)
    app.config.update(overrides)
    settings = dict(app.config)
    config_cls.finalise(settings)
    app.config.update(settings)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(
            parents=True, exist_ok=True)

    # First, so that its after_request runs last and logs the final status.
    requestlog.init_app(app)
    _trust_proxies(app)
    _init_extensions(app)
    _register_blueprints(app)
    _declare_mail_kinds(app)
    _register_cli(app)
    _register_template_helpers(app)
    _register_errors(app)
    _security_headers(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA cache_size=-32000")  # 32 MB page cache
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL
        cursor.close()


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address (recorded, for
    example, when an agreement is accepted) and scheme from their X-Forwarded-* headers."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _init_extensions(app: Flask) -> None:
    from .accounts.models import load_signed_in

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = pool_check.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    db.init_app(app)
    with app.app_context():  # PostgreSQL: keep psycopg's prepared statements across requests
        readonly_commit.install(db.engine)
        pool_check.install(db.engine)  # and check a pooled connection without a round trip
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app)
    i18n.install(app)
    textinput.install(app)  # a NUL in a query or a form field: 400, before any view
    cache.init_app(app)
    # The limiter is one object for the process; its application-wide limits would carry over
    # from an app built earlier (tests build many): each app starts from its own settings.
    limiter.limit_manager.set_application_limits([])
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in om verder te gaan."
    login_manager.login_message_category = "info"
    login_manager.localize_callback = _  # the message above, translated when it is flashed
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        # With the organisation in the same statement: every page's header names it, which
        # cost each provider page a statement of its own.
        return load_signed_in(int(user_id))

    # Import every model so metadata (and Alembic autogenerate) sees them.
    from . import models  # noqa: F401
    from .notifications import delivery

    delivery.init_app(app)
    from . import files

    files.init_app(app)  # the file storage (local or S3) and its error pages


def _register_blueprints(app: Flask) -> None:
    from . import admin, health, monitoring, oversight, partners

    health.init_app(app)
    admin.register(app)
    partners.register(app)
    monitoring.register(app)
    oversight.register(app)
    from .accounts.views import bp as accounts_bp
    from .applications.views import bp as applications_bp
    from .assessment.views import bp as assessment_bp
    from .notifications.views import bp as notifications_bp
    from .procedure.qa_views import bp as qa_bp
    from .procedure.views import bp as procedure_bp

    for bp in (procedure_bp, accounts_bp, applications_bp, assessment_bp, notifications_bp, qa_bp):
        app.register_blueprint(bp)


def _declare_mail_kinds(app: Flask) -> None:
    """The mails each part sends, declared in its ``mails`` module (a kind declared twice
    stops the start). Notifications knows no part: ``queue()`` and the mail-text editor
    look a kind up in what is declared here."""
    from .accounts import mails as accounts_mails
    from .applications import mails as applications_mails
    from .assessment import mails as assessment_mails
    from .monitoring import mails as monitoring_mails
    from .notifications import kinds
    from .oversight import mails as oversight_mails
    from .partners import mails as partners_mails
    from .procedure import mails as procedure_mails

    kinds.declare(app, accounts_mails.KINDS, procedure_mails.KINDS, applications_mails.KINDS,
                  partners_mails.KINDS, assessment_mails.KINDS, monitoring_mails.KINDS,
                  oversight_mails.KINDS)


def _register_cli(app: Flask) -> None:
    from .accounts.cli import users_cli
    from .accounts.privacy import privacy_cli
    from .assessment.cli import deadlines_cli
    from .audit.cli import audit_cli
    from .demo import seed_command
    from .notifications.cli import outbox_cli
    from .partners.cli import partners_cli
    from .reports.counts import report_cli

    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(partners_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(report_cli)
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _register_template_helpers(app: Flask) -> None:
    from .timeutil import to_local

    @app.template_filter("datum")
    def _datum(value):
        return i18n.format_date(value) if value else ""

    @app.template_filter("datumtijd")
    def _datumtijd(value):
        return i18n.format_datetime(value) if value else ""

    @app.template_filter("euro")
    def _euro(value):
        """Whole euros as '€ 2.500.000'; amounts with cents as '€ 1.234,56'."""
        if value is None:
            return ""
        if isinstance(value, int):
            return "€ " + f"{value:,}".replace(",", ".")
        return i18n.format_currency(value, "EUR")

    from .urls import portal_url

    app.jinja_env.globals["to_local"] = to_local
    app.jinja_env.globals["portal_url"] = portal_url
    # Radio buttons and checkboxes of a choice field, as its subfields render them (faster).
    app.jinja_env.globals["choice_inputs"] = forms.choice_inputs
    # Menus link only to parts this build has.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions


def _register_errors(app: Flask) -> None:
    def page(code, title, message):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(_e):
        return page(400, _("Ongeldig verzoek"), _("Uw verzoek is niet goed aangekomen. Ga terug en "
                                                  "probeer het opnieuw."))

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Geen toegang"), _("U heeft geen toegang tot deze pagina."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Niet gevonden"),
                    _("Deze pagina bestaat niet, of u heeft er geen toegang toe."))

    @app.errorhandler(413)
    def too_large(_e):
        from .files import human_size

        back_url = _same_origin_referrer()
        return render_template(
            "errors/too_large.html", code=413, title=_("Bestand te groot"),
            per_file=human_size(app.config["UPLOAD_MAX_BYTES"]),
            per_request=human_size(app.config["MAX_CONTENT_LENGTH"] or 0),
            back_url=back_url or _home_of_current_user(), back_is_referrer=bool(back_url),
        ), 413

    @app.errorhandler(429)
    def too_many(_e):
        return page(429, _("Te veel pogingen"), _("U heeft dit te vaak geprobeerd. Wacht even en "
                                                  "probeer het dan opnieuw."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(400, _("Formulier verlopen"), _("Het formulier is verlopen of ongeldig. Ga "
                                                    "terug, laad de pagina opnieuw en probeer "
                                                    "het nog eens."))

    _register_database_errors(app, page)


def _register_database_errors(app: Flask, page) -> None:
    """A conflict with another transaction (deadlock, serialization failure, stale row,
    a locked SQLite file) or a lost database connection is never a 500, wherever it
    surfaces: in ``actions.attempt`` it is the view's own message; elsewhere (an autoflush
    in a view, a commit after the request) it is answered here: rolled back, 409 or 503."""
    from flask import g
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm.exc import StaleDataError
    from werkzeug.exceptions import InternalServerError

    from . import actions

    def rollback():
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
            app.logger.warning("rollback after a database error failed", exc_info=True)

    def safe_page(code, title, message):
        """The error page; without the layout if rendering it needs the database too."""
        try:
            return page(code, title, message)
        except Exception:  # noqa: BLE001 - the database is down: the page must still come
            rollback()
            from markupsafe import escape

            return (f"<!doctype html><html lang=\"nl\"><title>{escape(title)}</title>"
                    f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>", code)

    def answer(exc):
        """409 or 503 for a database error that means so; None for any other error."""
        if actions.is_conflict(exc):
            requestlog.forget_error()  # an expected race, not a fault: no traceback
            rollback()
            app.logger.warning("database conflict answered with 409: %s", type(exc).__name__)
            return safe_page(409, _("Tegelijk gewijzigd"),
                             _(actions.STALE) if isinstance(exc, StaleDataError)
                             else _(actions.BUSY))
        if actions.is_unavailable(exc):
            requestlog.remember_error((type(exc), exc, exc.__traceback__))
            rollback()
            body, status = safe_page(503, _("Even niet bereikbaar"), _(actions.UNAVAILABLE))
            return body, status, {"Retry-After": "30"}
        return None

    @app.errorhandler(DBAPIError)
    @app.errorhandler(StaleDataError)
    def database_error(exc):
        response = answer(exc)
        if response is None:
            raise exc  # a real error: Flask logs it (once, see requestlog) and answers 500
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        original = getattr(exc, "original_exception", None)
        response = answer(original) if original is not None else None
        if response is not None:  # e.g. a conflict at a commit after the request
            return response
        rollback()
        return safe_page(500, _("Er ging iets mis"),
                         _("Er ging iets mis aan onze kant; de fout is vastgelegd. Probeer het "
                           "later opnieuw. Noem bij vragen deze code: %(code)s.",
                           code=g.get("request_id") or "-"))


def _same_origin_referrer() -> str | None:
    """The page the request came from, as a path on this site; None for another site."""
    from urllib.parse import urlsplit, urlunsplit

    from flask import request

    referrer = urlsplit(request.referrer or "")
    own = urlsplit(request.host_url)
    if (referrer.scheme, referrer.netloc) != (own.scheme, own.netloc):
        return None
    if not referrer.path.startswith("/") or referrer.path.startswith("//"):
        return None
    return urlunsplit(("", "", referrer.path, referrer.query, ""))


def _home_of_current_user() -> str:
    """The start page of the signed-in user's part of the portal (or the public home)."""
    from flask import current_app, url_for
    from flask_login import current_user

    endpoint = "procedure.home"
    if current_user.is_authenticated:
        if current_user.is_provider:
            endpoint = "applications.dashboard"
        elif current_user.is_admin:
            endpoint = "admin.index"
        elif current_user.is_assessor:
            endpoint = "assessment.queue"
    if endpoint not in current_app.view_functions:
        endpoint = "procedure.home"
    return url_for(endpoint)


def _security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("HSTS_HEADER"):
            response.headers.setdefault("Strict-Transport-Security", app.config["HSTS_HEADER"])
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-src 'self'; form-action 'self'; frame-ancestors 'self'",
        )
        return response
