import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo, seed_reference


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also add demo accounts (never in production).")
def seed_command(demo):
    """Load the reference data (idempotent); with --demo, the demo accounts too."""
    seed_reference()
    if demo:
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("Demo accounts are refused in production.")
        seed_demo()
        from .demo import seed_demo_applications

        seed_demo_applications(DEMO_PASSWORD)
    db.session.commit()
    click.echo("reference data in place")
    if demo:
        for email, _name, role, _org_role in DEMO_ACCOUNTS:
            click.echo(f"  demo {role.value:9} {email} / {DEMO_PASSWORD}")
        click.echo(f"  demo provider  aanbieder2@demo.nl / {DEMO_PASSWORD} (has a submitted application)")
