"""Demo data for `flask seed --demo`: the demo accounts of the README and a second provider
with a submitted application, so that an assessor finds something in the queue on a fresh
machine. It sits above every part (it fills them through their workflows); no part imports it.
"""
from __future__ import annotations

import io

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from . import files
from .accounts.models import Organisation, OrgRole, Role, User
from .accounts.passwords import hash_password
from .applications import workflow
from .applications.models import Application
from .demo_region import deliver_most, demo_cast, pdf_bytes, seed_region, seed_tariffs
from .extensions import db
from .monitoring.indicators import seed_reference as seed_monitoring_reference
from .procedure.models import Category, Procedure, add_months
from .procedure.seed import get_or_create, seed_reference
from .timeutil import today_local, utcnow

DEMO_PASSWORD = "demo-wachtwoord-2027"
# The demo assessors and administrator have enrolled their second factor with this TOTP
# secret (README "Demo logins"): add it to an authenticator app, or compute the current
# code with `python -c "import pyotp; print(pyotp.TOTP('<secret>').now())"`.
DEMO_TOTP_SECRET = "WBOJEUGDDEMOTOTPWBOJEUGDDEMOTOTP"
DEMO_ACCOUNTS = [
    # email, name, role, org role
    ("aanbieder@demo.nl", "Anna de Vries", Role.PROVIDER, OrgRole.BEHEERDER),
    ("beoordelaar1@demo.nl", "Bas Jansen", Role.ASSESSOR, None),
    ("beoordelaar2@demo.nl", "Carla Bakker", Role.ASSESSOR, None),
    ("beheer@demo.nl", "Dirk Visser", Role.ADMIN, None),
]


DEMO_PROVIDER_2 = "aanbieder2@demo.nl"


def seed_demo_applications(password: str) -> bool:
    """Add the demo application once; returns whether anything was added."""
    if db.session.scalar(select(func.count()).select_from(Application)):
        return False
    org = Organisation(name="Jeugdhulp Oosterhout (demo)", kvk_number="23456789",
                       agb_code="73730002", street="Markt 10", postal_code="4901 EP",
                       city="Oosterhout", contact_email="info@jeugdhulp-oosterhout.demo.nl")
    user = db.session.scalar(select(User).where(User.email == DEMO_PROVIDER_2))
    if user is None:
        user = User(email=DEMO_PROVIDER_2, full_name="Erik de Boer", role=Role.PROVIDER,
                    organisation=org, org_role=OrgRole.BEHEERDER,
                    password_hash=hash_password(password), email_confirmed_at=utcnow())
        db.session.add_all([org, user])
    db.session.flush()
    procedure = db.session.scalar(select(Procedure).order_by(Procedure.id))
    category = db.session.scalar(select(Category).where(Category.code == "gezinshuiszorg"))
    application = workflow.create_application(procedure, [category], by=user)
    values, documents = {}, {}
    for req in application.applicable_requirements():
        parts = {}
        if req.asks_declaration:
            parts["declared"] = True
        if req.identifier.value == "agb":
            parts["identifier"] = org.agb_code
        if req.asks_number:
            parts["number"] = req.number_max or max(req.number_min or 0, 4)
        if req.asks_amount:
            parts["amount"] = req.amount_min or 2_500_000
        if req.asks_text:
            parts["text"] = ("Jongeren denken mee in onze jongerenraad; een ervaringsdeskundige "
                             "werkt in elk team.")
        if req.evidence.value == "required":
            documents[req.id] = files.store_upload(
                FileStorage(io.BytesIO(pdf_bytes(org.name, f"{req.code} {req.title}")),
                            filename=f"{req.code}-demo.pdf"),
                organisation=org, by=user)
            if req.evidence_expires:
                parts["valid_until"] = add_months(today_local(), 12)  # 29 February: 28th
        values[req.id] = parts
    workflow.save_answers(application, values, documents, by=user)
    seed_demo_tariffs(procedure)  # submitting needs the published tariffs
    workflow.submit(application, by=user)
    db.session.flush()
    return True


def seed_demo() -> None:
    org = get_or_create(
        Organisation, {"kvk_number": "12345678"},
        {
            "name": "Stichting Gezinshuis De Linde (demo)",
            "agb_code": "73730001",
            "street": "Lindelaan 1",
            "postal_code": "4811 AB",
            "city": "Breda",
            "contact_email": "info@delinde.demo.nl",
        },
    )
    for email, name, role, org_role in DEMO_ACCOUNTS:
        existing = db.session.scalar(select(User).filter_by(email=email))
        if existing is not None and role != Role.PROVIDER and existing.totp_secret is None:
            # A demo database from before the second factor: the documented secret.
            existing.totp_secret, existing.totp_enabled_at = DEMO_TOTP_SECRET, utcnow()
        if existing is None:
            db.session.add(
                User(
                    email=email,
                    full_name=name,
                    role=role,
                    organisation=org if role == Role.PROVIDER else None,
                    org_role=org_role,
                    password_hash=hash_password(DEMO_PASSWORD),
                    email_confirmed_at=utcnow(),
                    # Seeding is not a password choice: the demo password is set directly.
                    totp_secret=None if role == Role.PROVIDER else DEMO_TOTP_SECRET,
                    totp_enabled_at=None if role == Role.PROVIDER else utcnow(),
                )
            )
    db.session.flush()


def seed_demo_tariffs(procedure: Procedure) -> int:
    """The published tariffs of every product, set by the demo administrator (idempotent)."""
    admin = db.session.scalar(select(User).where(User.email == "beheer@demo.nl"))
    return seed_tariffs(procedure, admin) if admin is not None else 0


def seed_demo_region() -> bool:
    """The demo region (``portal.demo_region``), played by the demo assessors and
    administrator; returns whether it was added (once: a second run adds nothing)."""
    cast = demo_cast(*(email for email, _n, role, _o in DEMO_ACCOUNTS if role != Role.PROVIDER))
    return cast is not None and seed_region(cast, DEMO_PASSWORD)


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also add demo accounts (never in production).")
def seed_command(demo):
    """Load the reference data (idempotent); with --demo, the demo accounts too."""
    seed_reference()
    seed_monitoring_reference()
    region = False
    if demo:
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("Demo accounts are refused in production.")
        seed_demo()
        seed_demo_applications(DEMO_PASSWORD)
        region = seed_demo_region()
    db.session.commit()
    if demo and region:
        deliver_most()  # after the commit: delivery claims each mail in its own transaction
    click.echo("reference data in place")
    if demo:
        for email, _name, role, _org_role in DEMO_ACCOUNTS:
            click.echo(f"  demo {role.value:9} {email} / {DEMO_PASSWORD}")
        click.echo(f"  demo provider  aanbieder2@demo.nl / {DEMO_PASSWORD} (has a submitted application)")
        click.echo(f"  second factor of the demo assessors and administrator: TOTP secret "
                   f"{DEMO_TOTP_SECRET}")
        if region:
            click.echo("  demo region: providers in the five municipalities added "
                       "(their users' password is the demo password too)")
