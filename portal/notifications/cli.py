import click
from flask.cli import AppGroup

from .delivery import send_queued

outbox_cli = AppGroup("outbox", help="The mail outbox.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Most mails to send in this run.")
def send_command(limit):
    """Send the mail that is due: new mail and retries (run from cron or a worker loop;
    several workers at once are fine: each mail is claimed by one)."""
    counts = send_queued(limit=limit)
    click.echo(f"sent {counts['sent']}, retry later {counts['retry']}, failed {counts['failed']}")
