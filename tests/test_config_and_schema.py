"""Configuration from the environment; the schema only through migrations; seed data."""
import importlib
import shutil

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from portal import create_app, textsearch
from portal.extensions import db
from portal.models import (
    CatalogueVersion,
    Category,
    Procedure,
    Product,
    Region,
    Requirement,
    Role,
    User,
)
from tests.conftest import build_database, make_app


def _reload_config(monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import config

    return importlib.reload(config)


def test_every_setting_comes_from_the_environment(monkeypatch, tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
        "SECRET_KEY": "from-env",
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_PORT": "2525",
        "MAIL_USERNAME": "user",
        "MAIL_PASSWORD": "pw",
        "MAIL_USE_TLS": "true",
        "MAIL_DEFAULT_SENDER": "portal@example.org",
        "UPLOAD_DIR": str(tmp_path / "files"),
        "MAX_CONTENT_LENGTH": "1234567",
        "PORTAL_BASE_URL": "https://toelating.example.org",
    }
    config = _reload_config(monkeypatch, **env)
    try:
        app = create_app(config.DevelopmentConfig)
        assert app.config["SQLALCHEMY_DATABASE_URI"] == env["DATABASE_URL"]
        assert app.config["SECRET_KEY"] == "from-env"
        assert app.config["MAIL_SERVER"] == "smtp.example.org"
        assert app.config["MAIL_PORT"] == 2525
        assert (app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"]) == ("user", "pw")
        assert app.config["MAIL_USE_TLS"] is True
        assert app.config["MAIL_DEFAULT_SENDER"] == "portal@example.org"
        assert app.config["UPLOAD_DIR"] == str(tmp_path / "files")
        assert app.config["MAX_CONTENT_LENGTH"] == 1234567
        assert app.config["PORTAL_BASE_URL"] == "https://toelating.example.org"
    finally:
        for key in env:
            monkeypatch.delenv(key)
        importlib.reload(config)


def test_embedded_defaults_and_generated_secret_key(monkeypatch, tmp_path):
    for key in ("DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR"):
        monkeypatch.delenv(key, raising=False)
    config = _reload_config(monkeypatch, PORTAL_INSTANCE_DIR=str(tmp_path / "instance"))
    try:
        app = create_app(config.DevelopmentConfig)
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/portal.sqlite"
        assert app.config["UPLOAD_DIR"] == str(tmp_path / "instance" / "uploads")
        key = (tmp_path / "instance" / "secret_key").read_text()
        assert app.config["SECRET_KEY"] == key and len(key) > 40
        # generated once, then kept
        assert create_app(config.DevelopmentConfig).config["SECRET_KEY"] == key
    finally:
        monkeypatch.delenv("PORTAL_INSTANCE_DIR")
        importlib.reload(config)


SAFE_PRODUCTION = {"SECRET_KEY": "x" * 40, "MAIL_SERVER": "smtp.regio.example",
                   "PORTAL_BASE_URL": "https://toelating.regio.example"}


@pytest.mark.parametrize(("missing", "value", "message"), [
    ("SECRET_KEY", "", "SECRET_KEY is not set"),
    ("MAIL_SERVER", "", "MAIL_SERVER is not set"),
    ("PORTAL_BASE_URL", "http://toelating.regio.example", "PORTAL_BASE_URL must be the portal's https"),
])
def test_production_refuses_an_unsafe_configuration(monkeypatch, missing, value, message):
    env = {**SAFE_PRODUCTION, missing: value}
    for key in env:
        monkeypatch.delenv(key, raising=False)
    config = _reload_config(monkeypatch, **{k: v for k, v in env.items() if v})
    try:
        with pytest.raises(RuntimeError, match=message):
            create_app(config.ProductionConfig)
    finally:
        for key in env:
            monkeypatch.delenv(key, raising=False)
        importlib.reload(config)


def test_production_starts_when_safe_and_sends_hsts(monkeypatch, tmp_path):
    config = _reload_config(monkeypatch, **SAFE_PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/p.sqlite",
                            UPLOAD_DIR=str(tmp_path / "uploads"))
    try:
        app = create_app(config.ProductionConfig)
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        response = app.test_client().get("/healthz")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        for key in (*SAFE_PRODUCTION, "DATABASE_URL", "UPLOAD_DIR"):
            monkeypatch.delenv(key, raising=False)
        importlib.reload(config)
    # Development sends no HSTS: it runs on plain http on the developer's machine.
    dev = create_app(config.DevelopmentConfig)
    assert "Strict-Transport-Security" not in dev.test_client().get("/healthz").headers


def test_migrations_build_the_schema_and_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    build_database(url, tmp_path)
    app = make_app(url, tmp_path / "uploads")
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "render_as_batch": True,
                "include_name": textsearch.include_name})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff


def test_seed_is_idempotent_and_holds_the_reference_data(template_db, tmp_path):
    path = tmp_path / "p.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads")
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed", "--demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Region) == 1 and count(Procedure) == 1
        assert count(Category) == 5 and count(Product) == 6 and count(CatalogueVersion) == 1
        assert count(Requirement) == 24
        procedure = db.session.scalar(select(Procedure))
        assert str(procedure.term_start) == "2027-01-01" and str(procedure.term_end) == "2031-12-31"
        assert procedure.extension_options == 2 and procedure.extension_months == 12
        assert str(procedure.latest_possible_end) == "2033-12-31"
        assert procedure.region.name == "Regio West-Brabant Oost Jeugd"
        assert [c.name for c in procedure.categories] == [
            "Pleegzorg", "Gezinshuiszorg", "Zelfstandigheidstraining / kamertraining",
            "Kleinschalige woonvormen", "Leefgroepen"]
        # 44A06-44A08 from the seeds; 44A09-44A11 the region's own codes (one per category).
        assert sorted(db.session.scalars(select(Product.code))) == [
            "44A06", "44A07", "44A08", "44A09", "44A10", "44A11"]
        assert {p.category_id for p in db.session.scalars(select(Product))} == {
            c.id for c in procedure.categories}
        version = db.session.scalar(select(CatalogueVersion))
        assert version.number == 1 and version.published_at is not None
        codes = [r.code for r in version.requirements]
        assert codes[:14] == [f"A{i}" for i in range(1, 15)]
        assert set(codes[14:]) == {"P1", "P2", "H1", "H2", "H3", "Z1", "Z2", "K1", "K2", "L1"}
        h2 = next(r for r in version.requirements if r.code == "H2")
        assert [c.code for c in h2.categories] == ["gezinshuiszorg"] and h2.number_max == 6
        roles = sorted(r.value for r in db.session.scalars(select(User.role)))
        # The demo staff once each; the providers: the README's two and the demo region's.
        assert roles[:3] == ["admin", "assessor", "assessor"] and set(roles[3:]) == {"provider"}


def test_users_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--role", "assessor", "--email",
                                 "Nieuw@Regio.example", "--password", "een-goed-wachtwoord"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        created = db.session.scalar(select(User).where(User.email == "nieuw@regio.example"))
        assert created.role == Role.ASSESSOR and created.is_confirmed
        assert created.password_hash.startswith("$argon2id$")
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email",
                                 "nieuw@regio.example", "--password", "een-goed-wachtwoord"])
    assert result.exit_code != 0 and "bestaat al" in result.output
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email", "a@b.example",
                                 "--password", "kort"])
    assert result.exit_code != 0


def test_users_create_command_makes_referrers_with_their_affiliation(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--role", "referrer", "--email",
                                 "wijkteam@breda.example", "--password", "een-goed-wachtwoord"])
    assert result.exit_code != 0 and "--affiliation" in result.output
    result = runner.invoke(args=["users", "create", "--role", "referrer", "--email",
                                 "wijkteam@breda.example", "--affiliation", "Sociaal wijkteam Breda",
                                 "--password", "een-goed-wachtwoord"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        created = db.session.scalar(select(User).where(User.email == "wijkteam@breda.example"))
        assert created.role == Role.REFERRER and created.affiliation == "Sociaal wijkteam Breda"
        assert created.can_see_capacity and not created.is_staff
        # The workflow keeps the rule for every caller, and only referrers keep an affiliation.
        from portal.accounts.staff import create_staff_user
        from portal.errors import DomainError

        with pytest.raises(DomainError):
            create_staff_user(email="x@gemeente.example", full_name="X", role=Role.REFERRER,
                              password="een-goed-wachtwoord", affiliation="  ")
        assessor = create_staff_user(email="y@regio.example", full_name="Y", role=Role.ASSESSOR,
                                     password="een-goed-wachtwoord", affiliation="Gemeente")
        assert assessor.affiliation is None


def test_models_match_migrations_on_the_suites_database(app):
    """Runs on SQLite, and on PostgreSQL in the --db=postgres pass."""
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_name": textsearch.include_name})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        assert db.engine.dialect.name in ("sqlite", "postgresql")


def test_the_engine_keeps_the_compiled_sql_of_every_page(app):
    """More than SQLAlchemy's default of 500 compiled statements (the GET pages alone need
    about 300), and connections checked before use: by pool_pre_ping, or on PostgreSQL
    through psycopg by portal.pool_check (tests/test_conflicts.py shows it at work)."""
    from sqlalchemy import event

    from portal import pool_check

    with app.app_context():
        assert db.engine._compiled_cache.capacity == 2000
        checked = event.contains(db.engine.pool, "checkout", pool_check._check)
        if db.engine.dialect.name == "postgresql":
            assert checked and not db.engine.pool._pre_ping
        else:
            assert db.engine.pool._pre_ping and not checked


def test_demo_seed_gives_the_assessor_a_submitted_application(app):
    from portal.models import Application, Organisation, Status

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed", "--demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        # The README's second demo provider; the demo region (tests/test_demo.py) adds more.
        [application] = db.session.scalars(select(Application).join(Application.organisation)
                                           .where(Organisation.kvk_number == "23456789")).all()
        assert application.status == Status.INGEDIEND


def test_the_limits_and_switches_come_from_the_environment_too(monkeypatch, tmp_path):
    env = {"SECRET_KEY": "from-env", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
           "UPLOAD_DIR": str(tmp_path / "files"), "UPLOAD_MAX_BYTES": "2048",
           "MAX_FORM_MEMORY_SIZE": "4096", "RATELIMIT_ENABLED": "false",
           "WTF_CSRF_TIME_LIMIT": "600", "DECISION_PERIOD_WEEKS": "6"}
    config = _reload_config(monkeypatch, **env)
    try:
        app = create_app(config.DevelopmentConfig)
        assert app.config["UPLOAD_MAX_BYTES"] == 2048
        assert app.config["MAX_FORM_MEMORY_SIZE"] == 4096
        assert app.config["RATELIMIT_ENABLED"] is False
        assert app.config["WTF_CSRF_TIME_LIMIT"] == 600
        assert app.config["DECISION_PERIOD_WEEKS"] == 6
    finally:
        for key in env:
            monkeypatch.delenv(key)
        importlib.reload(config)


def _load_dev_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "dev.py"
    spec = importlib.util.spec_from_file_location("dev_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_script_installs_pango_with_apt_get_when_it_is_missing(monkeypatch, tmp_path, capsys):
    """`python3 dev.py test` and `serve` install the Pango libraries WeasyPrint needs. A
    stand-in apt-get (a real executable on PATH) records how it was called and 'installs'
    them; nothing is asked of apt-get once they are there."""
    import ctypes.util
    import os
    import stat

    dev = _load_dev_script()
    bin_dir, log, installed = tmp_path / "bin", tmp_path / "apt.log", tmp_path / "installed"
    bin_dir.mkdir()
    for name, body in (("apt-get", f'echo "$@" >> {log}\ntouch {installed}\n'),
                       ("sudo", 'exec "$@"\n')):
        script = bin_dir / name
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/bin{os.pathsep}/usr/bin")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: (
        str(bin_dir / name) if (bin_dir / name).exists() else None))
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: (
        f"lib{name}.so.0" if installed.exists() else None) if name.startswith("pango") else real(name))

    dev.ensure_pango()
    assert log.read_text().splitlines() == ["install -y libpango-1.0-0 libpangoft2-1.0-0"]
    assert "Pango installed" in capsys.readouterr().out
    dev.ensure_pango()  # present now: apt-get is not asked again
    assert len(log.read_text().splitlines()) == 1



def test_seed_takes_the_decision_period_from_the_configuration(tmp_path):
    """DECISION_PERIOD_WEEKS is the period of a newly seeded procedure; after that it is the
    procedure's own setting, which seeding again does not overwrite."""
    from flask_migrate import upgrade

    from portal.models import Procedure
    from portal.procedure.seed import seed_reference

    app = make_app(f"sqlite:///{tmp_path}/p.sqlite", tmp_path / "uploads", DECISION_PERIOD_WEEKS=6)
    with app.app_context():
        upgrade()
        seed_reference()
        db.session.commit()
        assert db.session.scalar(select(Procedure.decision_period_weeks)) == 6
        app.config["DECISION_PERIOD_WEEKS"] = 10
        seed_reference()
        db.session.commit()
        assert db.session.scalar(select(Procedure.decision_period_weeks)) == 6
        db.engine.dispose()
