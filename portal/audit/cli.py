import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from .chain import verify

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Check the audit trail's hash chain from its first event; name the first event that was
    changed, inserted or deleted. Exit status 0 when intact, 1 otherwise."""
    report = verify(db.session)
    if report.intact:
        click.echo(f"audit trail intact: {report.checked} events checked")
        return
    click.echo(f"audit trail NOT intact after {report.checked} good events: {report.finding}", err=True)
    sys.exit(1)
