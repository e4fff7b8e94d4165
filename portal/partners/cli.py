import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("partners", help="Admitted partners over the term.")
def partners_cli():
    pass


@partners_cli.command("daily")
@with_appcontext
def daily_command():
    """What is due today: suspensions that start or end, admissions that end (also at the
    end of the term), agreement reminders, expiry mails, stale capacity reminders. Safe to
    run twice a day; run `flask outbox send` after it."""
    from . import workflow

    report = workflow.run_daily()
    click.echo(f"suspensions started {report.suspensions_started}, "
               f"suspensions ended {report.suspensions_ended}, "
               f"admissions ended {report.admissions_ended}, "
               f"agreement reminders {report.agreement_reminders}")
    try:
        from .compliance import run_daily as compliance_daily
    except ImportError:  # compliance tracking not installed in this build
        compliance_daily = None
    if compliance_daily is not None:
        from ..timeutil import today_local as _today

        click.echo(f"evidence: {compliance_daily(_today())}")
    try:
        from .capacity import remind_stale
    except ImportError:
        remind_stale = None
    if remind_stale is not None:
        from ..timeutil import today_local

        click.echo(f"stale capacity reminders: {remind_stale(today_local())}")
    db.session.commit()
