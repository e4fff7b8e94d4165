import click
from flask.cli import AppGroup

from ..extensions import db
from .workflow import expire_completions, send_overdue_reminders

deadlines_cli = AppGroup("deadlines", help="Deadlines of requests to complete and of decisions.")


@deadlines_cli.command("run")
def run_command():
    """Close requests to complete past their deadline; remind of decisions due within a week.
    Run daily from cron (after it, `flask outbox send` delivers the mail)."""
    expired = expire_completions()
    db.session.commit()
    reminded = send_overdue_reminders()
    db.session.commit()
    click.echo(f"completion requests closed at their deadline: {expired}; reminders: {reminded}")
