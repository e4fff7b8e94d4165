"""Mail goes through the outbox: queued with the change, sent after commit, once.
(Outages, retries, several workers: tests/test_outbox_reliability.py.)"""
from datetime import UTC, timedelta

import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import MailStatus, OutboxMail
from portal.notifications import queue
from portal.notifications.delivery import send_queued
from tests.conftest import make_app, post
from tests.infra.smtp import SmtpCatcher, free_port


def _register(client, email="nieuw@org.example", kvk="11223344"):
    return post(client, "/registreren", {
        "org_name": "Stichting Test", "kvk_number": kvk, "street": "Straat 1",
        "postal_code": "4811AB", "city": "Breda", "contact_email": "info@org.example",
        "full_name": "Tess Test", "email": email, "password": "wachtwoord-van-12",
        "password_repeat": "wachtwoord-van-12", "accept_terms": "y",
    })


def _at(naive_utc):
    """Freeze the clock at a stored (naive UTC) time."""
    return time_machine.travel(naive_utc.replace(tzinfo=UTC), tick=False)


def test_smtp_down_change_commits_mail_waits_and_is_sent_once_later(template_db, tmp_path):
    import shutil

    path = tmp_path / "p.sqlite"
    shutil.copy(template_db, path)
    port = free_port()  # nothing listens here yet: the SMTP server is down
    app = make_app(f"sqlite:///{path}", tmp_path / "up", None, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=port)
    client = app.test_client()
    response = _register(client)
    assert response.status_code == 200  # the registration itself succeeded

    with app.app_context():
        mail = db.session.scalar(select(OutboxMail))
        assert mail.status == MailStatus.QUEUED
        assert mail.attempts == 1 and "Connection" in mail.last_error
        # the first retry waits a minute
        assert mail.next_attempt_at - mail.created_at >= timedelta(minutes=1)
        mail_id, retry_at = mail.id, mail.next_attempt_at

    catcher = SmtpCatcher(port=port).start()
    try:
        runner = app.test_cli_runner()
        with _at(retry_at - timedelta(seconds=1)):
            result = runner.invoke(args=["outbox", "send"])
        assert result.exit_code == 0, result.output
        assert "sent 0" in result.output  # not due yet
        with _at(retry_at):
            result = runner.invoke(args=["outbox", "send"])
            assert result.exit_code == 0, result.output
            assert "sent 1" in result.output
            [message] = catcher.wait_for(1)
            assert message["To"] == "nieuw@org.example"
            assert message["Message-ID"] == f"<outbox-{mail_id}@regiowbojeugd.example>"
            # a second run sends nothing again
            result = runner.invoke(args=["outbox", "send"])
            assert "sent 0" in result.output
        assert len(catcher.messages) == 1
        with app.app_context():
            mail = db.session.scalar(select(OutboxMail))
            assert mail.status == MailStatus.SENT and mail.attempts == 2 and mail.last_error is None
            assert mail.next_attempt_at is None
    finally:
        catcher.stop()


def test_mail_is_not_queued_when_the_change_rolls_back(ctx):
    queue("confirm_email", "x@y.example", subject="Test", link="http://l", hours=1, name="X")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_every_mail_has_dutch_text_and_html_parts(ctx, smtp):
    queue("confirm_email", "x@y.example", subject="Bevestig uw e-mailadres", link="http://l/abc",
          hours=72, name="Xander")
    db.session.commit()
    assert send_queued()["sent"] == 1
    [message] = smtp.wait_for(1)
    assert message.is_multipart()
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Beste Xander" in text and "http://l/abc" in text
    assert '<html lang="nl">' in html and 'href="http://l/abc"' in html


def test_retries_wait_longer_each_time_and_give_up_after_the_window(template_db, tmp_path):
    """Temporary errors are retried after 1, 2, 5, 10, 30 minutes, then hourly; the mail is
    given up (failed) once OUTBOX_GIVE_UP_AFTER_HOURS have passed since it was queued, and
    no run sends it after that. The clock, not the number of runs, decides."""
    import shutil

    path = tmp_path / "p.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "up", None, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=free_port(), OUTBOX_GIVE_UP_AFTER_HOURS=3)
    with app.app_context():
        mail = queue("confirm_email", "x@y.example", subject="S", link="l", hours=1, name="X")
        db.session.commit()
        mail_id, due, give_up_at = mail.id, mail.next_attempt_at, mail.queued_at + timedelta(hours=3)
        waits = []
        while True:
            with _at(due - timedelta(seconds=1)):  # not due yet: nothing happens
                assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}
            with _at(due):
                counts = send_queued()
                assert counts["retry"] + counts["failed"] == 1, counts
                assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}  # one try per due time
            db.session.expire_all()
            mail = db.session.get(OutboxMail, mail_id)
            if mail.status == MailStatus.FAILED:
                break
            assert mail.status == MailStatus.QUEUED and "Connection refused" in mail.last_error
            waits.append(mail.next_attempt_at - due)
            due = mail.next_attempt_at
        minutes = [round(w.total_seconds() / 60) for w in waits]
        assert minutes[:7] == [1, 2, 5, 10, 30, 60, 60]
        assert due == give_up_at  # the last attempt is at the end of the window, not after
        assert mail.next_attempt_at is None and mail.attempts == len(waits) + 1
        with _at(give_up_at + timedelta(days=30)):
            assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}


def test_development_default_prints_mail_and_admin_can_read_it(template_db, tmp_path, capsys):
    import shutil

    from tests.conftest import ADMIN, login

    path = tmp_path / "p.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "up", None)  # no MAIL_SERVER
    client = app.test_client()
    _register(client)
    out = capsys.readouterr().out
    assert "to nieuw@org.example: Bevestig uw e-mailadres" in out
    admin = app.test_client()
    login(admin, ADMIN)
    listing = admin.get("/beheer/mails/").get_data(as_text=True)
    assert "nieuw@org.example" in listing
    with app.app_context():
        mail_id = db.session.scalar(select(OutboxMail.id))
    page = admin.get(f"/beheer/mails/{mail_id}").get_data(as_text=True)
    assert "Bevestig uw e-mailadres" in page and "/bevestigen/" in page
    # providers and assessors cannot read the outbox
    from tests.conftest import ASSESSOR_1
    other = app.test_client()
    login(other, ASSESSOR_1)
    assert other.get("/beheer/mails/").status_code == 403


# --- mail with a secret link ------------------------------------------------------------------

def test_every_queued_mail_with_a_token_link_is_marked_sensitive(app):
    """A static guard: any queue() call that builds a signed link names a kind declared
    sensitive."""
    import ast
    from pathlib import Path

    from portal.notifications import kinds

    sensitive = {k.kind for k in kinds.declared(app).values() if k.sensitive}
    root = Path(__file__).resolve().parent.parent / "portal"
    found = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "queue"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                uses_token = any(isinstance(n, ast.keyword) and n.arg == "token"
                                 for n in ast.walk(node))
                found[node.args[0].value] = found.get(node.args[0].value, False) or uses_token
    with_token = {kind for kind, uses in found.items() if uses}
    assert {"password_reset", "invitation", "confirm_email_change", "staff_invitation"} <= with_token
    assert with_token <= sensitive
    assert sensitive <= set(found)  # every sensitive kind is sent somewhere


def test_queue_marks_sensitive_kinds_and_cannot_unmark_them(app):
    from portal.notifications import kinds

    with app.test_request_context():
        reset = queue("password_reset", "a@b.example", subject="x", name="A",
                      link="http://localhost/wachtwoord-herstellen/abc", minutes=60)
        forced = queue("password_reset", "a@b.example", subject="x", sensitive=False, name="A",
                       link="http://localhost/wachtwoord-herstellen/abc", minutes=60)
        plain = queue("password_changed", "a@b.example", subject="y", name="A",
                      reset_link="http://localhost/wachtwoord-vergeten")
        chosen = queue("password_changed", "a@b.example", subject="y", sensitive=True, name="A",
                       reset_link="http://localhost/wachtwoord-vergeten")
        db.session.commit()
        assert kinds.get("password_reset").sensitive
        assert not kinds.get("password_changed").sensitive
        assert (reset.sensitive, forced.sensitive, plain.sensitive, chosen.sensitive) == (
            True, True, False, True)


def test_console_mode_admin_reads_confirmation_links_but_the_organisation_does_not(template_db,
                                                                                    tmp_path):
    import re
    import shutil

    from tests.conftest import ADMIN, login

    path = tmp_path / "p.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "up", None)  # no MAIL_SERVER: console mode
    client = app.test_client()
    _register(client)
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "confirm_email"))
        assert mail.sensitive
        mail_id, token = mail.id, re.search(r"/bevestigen/([^\s\"<]+)", mail.body_text).group(1)
    admin = app.test_client()
    login(admin, ADMIN)
    assert token in admin.get(f"/beheer/mails/{mail_id}").get_data(as_text=True)
    assert token in admin.get(f"/beheer/mails/{mail_id}/html").get_data(as_text=True)
    # The organisation's own message pages never show it, not even to the recipient.
    client.get(f"/bevestigen/{token}")  # the recipient confirms through the mail
    user = app.test_client()
    login(user, "nieuw@org.example", "wachtwoord-van-12")
    page = user.get(f"/organisatie/berichten/{mail_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert token not in html and "persoonlijke link" in html
    # With an SMTP server the administrators' reader redacts it too.
    live = make_app(f"sqlite:///{path}", tmp_path / "up", None, MAIL_SERVER="127.0.0.1")
    admin = live.test_client()
    login(admin, ADMIN)
    html = admin.get(f"/beheer/mails/{mail_id}").get_data(as_text=True)
    assert token not in html and "persoonlijke link" in html
    assert admin.get(f"/beheer/mails/{mail_id}/html").status_code == 404


def test_outbox_settings_come_from_the_environment(monkeypatch):
    import importlib

    import config

    for name, value in {"OUTBOX_GIVE_UP_AFTER_HOURS": "24", "OUTBOX_LEASE_SECONDS": "90",
                        "MAIL_TIMEOUT_SECONDS": "7"}.items():
        monkeypatch.setenv(name, value)
    try:
        reloaded = importlib.reload(config)
        assert (reloaded.Config.OUTBOX_GIVE_UP_AFTER_HOURS, reloaded.Config.OUTBOX_LEASE_SECONDS,
                reloaded.Config.MAIL_TIMEOUT_SECONDS) == (24, 90, 7)
    finally:
        monkeypatch.undo()
        reloaded = importlib.reload(config)
    assert (reloaded.Config.OUTBOX_GIVE_UP_AFTER_HOURS, reloaded.Config.OUTBOX_LEASE_SECONDS,
            reloaded.Config.MAIL_TIMEOUT_SECONDS) == (72, 60, 30)


def test_only_a_permanent_answer_to_the_mail_itself_is_permanent():
    import smtplib

    from portal.notifications.delivery import Unreachable, describe, is_permanent, retry_delay

    refused = smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"5.1.1 Onbekend")})
    assert is_permanent(refused) and describe(refused) == (
        "SMTPRecipientsRefused: a@b.example: 550 5.1.1 Onbekend")
    assert not is_permanent(smtplib.SMTPRecipientsRefused({"a@b.example": (450, b"4.2.0 Vol")}))
    assert is_permanent(smtplib.SMTPDataError(554, b"5.7.1 Geweigerd"))
    assert is_permanent(smtplib.SMTPSenderRefused(553, b"5.1.8 Afzender", "x@y"))
    assert not is_permanent(smtplib.SMTPDataError(451, b"4.3.0 Later"))
    assert not is_permanent(smtplib.SMTPServerDisconnected("weg"))
    assert not is_permanent(TimeoutError("timed out"))
    # a server that refuses us (5xx greeting, login) is an outage, not a refusal of the mail
    assert not is_permanent(Unreachable("SMTPConnectError: 554 Geen dienst"))
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 5, 10, 30, 60, 60, 60]
