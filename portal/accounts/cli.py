import click
from flask.cli import AppGroup

from ..errors import DomainError
from ..extensions import db
from .models import Role
from .staff import create_staff_user

users_cli = AppGroup("users", help="Staff accounts (assessors, administrators, referrers).")


@users_cli.command("create")
@click.option("--role", type=click.Choice(["assessor", "admin", "referrer"]), required=True)
@click.option("--email", required=True)
@click.option("--name", "full_name", default=None, help="Full name; defaults to the email.")
@click.option("--affiliation", default=None,
              help="A referrer's sociaal wijkteam or municipality (required for referrers).")
@click.password_option(
    "--password", prompt="Wachtwoord", help="At least 12 characters; prompted when omitted."
)
def create_command(role, email, full_name, affiliation, password):
    """Create an assessor, administrator or referrer (verwijzer) account."""
    if len(password) < 12:
        raise click.BadParameter("at least 12 characters", param_hint="--password")
    if role == "referrer" and not (affiliation or "").strip():
        raise click.BadParameter("name the sociaal wijkteam or municipality",
                                 param_hint="--affiliation")
    try:
        user = create_staff_user(email=email, full_name=full_name or email, role=Role(role),
                                 password=password, affiliation=affiliation)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email} (id {user.id}); at the first login the "
               "portal asks to set up the second factor (an authenticator app)")
