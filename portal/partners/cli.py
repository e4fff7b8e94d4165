import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


@click.group("partners", help="Admitted partners over the term.")
def partners_cli():
    pass


def _admissions_part(today):
    from . import workflow

    report = workflow.run_daily(today)
    return (f"suspensions started {report.suspensions_started}, "
            f"suspensions ended {report.suspensions_ended}, "
            f"admissions ended {report.admissions_ended}, "
            f"agreement reminders {report.agreement_reminders}")


def _evidence_part(today):
    from .compliance import run_daily as compliance_daily

    return f"evidence: {compliance_daily(today)}"


def _capacity_part(today):
    from .capacity import remind_stale

    return f"stale capacity reminders: {remind_stale(today)}"


def _reopening_part(today):
    from ..procedure.term import reopen_due

    return f"procedures reopened: {reopen_due(today)}"


DAILY_PARTS = (("reopening", _reopening_part), ("admissions", _admissions_part),
               ("evidence", _evidence_part), ("capacity", _capacity_part))


@partners_cli.command("daily")
@with_appcontext
def daily_command():
    """What is due today: a temporary closure that ends today (applying opens again),
    suspensions that start or end, admissions that end (also at the
    end of the term), agreement reminders, expiry mails, stale capacity reminders. Safe to
    run twice a day; run `flask outbox send` after it.

    Every item commits on its own, so an interrupted run loses nothing and the next run
    continues where it stopped. A part that fails does not stop the other parts; the
    command then exits with status 1 (cron mails the error) and the next run retries it."""
    from ..timeutil import today_local

    today = today_local()
    failed = []
    # The parts above this one (monitoring, oversight) add their steps at registration.
    later = tuple(current_app.extensions.get("daily_parts", ()))
    for name, part in DAILY_PARTS + later:
        try:
            click.echo(part(today))
        except Exception as exc:  # noqa: BLE001 - report, keep the other parts going
            db.session.rollback()
            failed.append(name)
            click.echo(f"{name} failed: {exc.__class__.__name__}: {exc}", err=True)
        else:
            db.session.commit()
    if failed:
        raise click.ClickException(
            f"not completed: {', '.join(failed)}; what was done is kept, run the command "
            "again to continue")
