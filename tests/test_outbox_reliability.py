"""The outbox when things go wrong: a real SMTP server on loopback (aiosmtpd) that is down,
refuses, hangs or stops mid-batch, and real `flask outbox send` processes that compete or
get killed. Every mail must arrive exactly once, counted by its Message-ID at the server.

The clock is moved (time-machine) instead of waiting for retry delays and leases. Times
that a subprocess wrote are taken from the database, so the tests also hold when the suite
runs with PORTAL_TEST_NOW (the subprocesses run on the real clock)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.models import Application, AuditEvent, MailStatus, OutboxMail, Status
from portal.notifications import queue, resend
from portal.notifications.delivery import send_queued
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, login, make_app, post, user
from tests.infra.postgres import TempPostgres
from tests.infra.smtp import SilentRelay, SmtpCatcher, free_port
from tests.test_scale import StatementCounter

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"
WAIT = 120  # seconds: a generous limit for conditions that normally hold within seconds
DOMAIN = "regiowbojeugd.example"


def _at(naive_utc: datetime):
    """Freeze the clock at a stored (naive UTC) time."""
    return time_machine.travel(naive_utc.replace(tzinfo=UTC), tick=False)


def _sqlite_app(template_db, tmp_path, **settings):
    path = tmp_path / "portal.sqlite"
    if not path.exists():
        shutil.copy(template_db, path)
    settings.setdefault("MAIL_SERVER", "127.0.0.1")
    return make_app(f"sqlite:///{path}", tmp_path / "uploads", None, **settings)


def _message_ids(catcher: SmtpCatcher) -> Counter:
    return Counter(str(m["Message-ID"]) for m in catcher.messages)


def _expected_ids(app) -> set[str]:
    with app.app_context():
        return {f"<outbox-{i}@{DOMAIN}>" for i in db.session.scalars(select(OutboxMail.id))}


def _statuses(app) -> Counter:
    with app.app_context():
        return Counter(dict(db.session.execute(
            select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all()))


def _latest_due(app) -> datetime:
    with app.app_context():
        return db.session.scalar(select(func.max(OutboxMail.next_attempt_at)).where(
            OutboxMail.status == MailStatus.QUEUED))


def _send_all_due(app, catcher=None) -> None:
    """`flask outbox send` until nothing is left: now, then with the clock moved to the
    latest retry time (a retry waits at most an hour)."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "send", "--limit", "100000"])
    assert result.exit_code == 0, result.output
    latest = _latest_due(app)
    if latest is not None:
        with _at(latest):
            result = runner.invoke(args=["outbox", "send", "--limit", "100000"])
            assert result.exit_code == 0, result.output


def _assert_each_delivered_once(app, catcher: SmtpCatcher) -> None:
    expected = _expected_ids(app)
    catcher.wait_for(len(expected))
    received = _message_ids(catcher)
    assert set(received) == expected
    assert [mid for mid, n in received.items() if n > 1] == []
    assert _statuses(app) == Counter({MailStatus.SENT: len(expected)})


def _queue_many(app, n: int) -> None:
    """``n`` plain mails, due long ago (whatever the clock of the process that sends)."""
    long_ago = datetime(2000, 1, 1)
    with app.app_context():
        db.session.execute(insert(OutboxMail), [
            {"kind": "password_changed", "to_address": f"ontvanger{i}@example.org",
             "subject": f"Testmail {i}", "body_text": f"Tekst {i}", "body_html": f"<p>Tekst {i}</p>",
             "status": MailStatus.QUEUED, "attempts": 0, "created_at": long_ago,
             "queued_at": datetime.now(UTC).replace(tzinfo=None), "next_attempt_at": long_ago}
            for i in range(n)])
        db.session.commit()


# --- (a) the SMTP server down while 50 decisions are made through the pages ------------------

def _proposed_applications(app, organisations: int) -> list[int]:
    """For each of ``organisations`` new providers an application per category (five),
    submitted, assessed and proposed for admission through the workflow; returns their ids."""
    from portal.accounts.workflow import register_provider
    from portal.assessment import workflow as assessment
    from portal.models import Category, Outcome, VerdictOutcome
    from portal.timeutil import utcnow
    from tests.helpers import submitted_application

    ids = []
    with app.app_context():
        first = user(ASSESSOR_1)
        codes = db.session.scalars(select(Category.code).order_by(Category.position)).all()
        for n in range(organisations):
            provider = register_provider(
                org_name=f"Zorgaanbieder {n}", kvk_number=f"{70000000 + n}", street="Haven 1",
                postal_code="4811AB", city="Breda", contact_email=f"info{n}@aanbieder.example",
                website=None, full_name=f"Beheerder {n}", email=f"beheer{n}@aanbieder.example",
                password="wachtwoord-van-12")
            provider.email_confirmed_at = utcnow()
            for code in codes:
                application = submitted_application(provider, code)
                assessment.start_review(application, by=first)
                assessment.declare_no_conflict(application, by=first)
                assessment.record_verdicts(
                    application, {r.id: (VerdictOutcome.VOLDOET, "")
                                  for r in application.applicable_requirements()}, by=first)
                [category] = application.categories
                assessment.propose_decision(application, {category.id: (
                    Outcome.TOEGELATEN, "Voldoet aan alle minimumeisen.", [])}, by=first)
                db.session.commit()
                ids.append(application.id)
    return ids


def test_smtp_down_during_50_decisions_then_every_mail_arrives_once(template_db, tmp_path):
    port = free_port()  # nothing listens: the SMTP server is down
    app = _sqlite_app(template_db, tmp_path, MAIL_PORT=port)
    ids = _proposed_applications(app, 10)
    assert len(ids) == 50
    approver = app.test_client()
    login(approver, ASSESSOR_2)
    for app_id in ids:
        page = f"/beoordeling/{app_id}"
        response = post(approver, page + "/goedkeuren", {"no_conflict": "y"}, token_from=page)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application).where(
            Application.status == Status.BESLOTEN)) == 50
        decision_mails = db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.subject.like("Besluit over uw aanmelding%")))
        assert decision_mails >= 50
        # every request tried its own mails once, found no server and left them queued
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.status != MailStatus.QUEUED)) == 0
        tried = db.session.scalars(select(OutboxMail).where(OutboxMail.attempts > 0)).all()
        assert len(tried) >= 50 and all("Connection refused" in m.last_error for m in tried)
        assert all(m.next_attempt_at > m.created_at for m in tried)

    catcher = SmtpCatcher(port=port).start()  # the server is back
    try:
        _send_all_due(app)
        _assert_each_delivered_once(app, catcher)
        letters = [m for m in catcher.messages if "Besluit over uw aanmelding" in str(m["Subject"])]
        assert len(letters) == decision_mails
        assert all([a.get_content_type() for a in m.iter_attachments()] == ["application/pdf"]
                   for m in letters)
        # nothing more goes out, however late a run comes
        _send_all_due(app)
        with app.app_context(), _at(datetime(2040, 1, 1)):
            assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}
        assert len(catcher.messages) == len(_expected_ids(app))
    finally:
        catcher.stop()


# --- (b) 451, then 250; (c) 550 and the administrators' page --------------------------------

def _one_mail(app, to="ontvanger@example.org") -> int:
    with app.app_context():
        mail = queue("password_changed", to, subject="Uw wachtwoord is gewijzigd", name="Ontvanger",
                     reset_link="http://localhost/wachtwoord-vergeten")
        db.session.commit()
        return mail.id


def test_a_temporary_refusal_is_retried_after_a_minute_and_delivered_once(template_db, tmp_path):
    catcher = SmtpCatcher().start()
    try:
        app = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port)
        catcher.answer("DATA", "451 4.3.0 Tijdelijk probleem, probeer het later")
        mail_id = _one_mail(app)
        with app.app_context():
            assert send_queued() == {"sent": 0, "retry": 1, "failed": 0}
            mail = db.session.get(OutboxMail, mail_id)
            assert mail.status == MailStatus.QUEUED and "451" in mail.last_error
            retry_at = mail.next_attempt_at
            assert retry_at - mail.queued_at >= timedelta(minutes=1)
            assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}  # not yet
            with _at(retry_at):
                assert send_queued() == {"sent": 1, "retry": 0, "failed": 0}
                assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}
            mail = db.session.get(OutboxMail, mail_id)
            assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.SENT, 2, None)
        assert catcher.refused == 1
        assert _message_ids(catcher) == Counter({f"<outbox-{mail_id}@{DOMAIN}>": 1})
    finally:
        catcher.stop()


def test_a_permanent_refusal_fails_at_once_is_shown_and_can_be_sent_again(template_db, tmp_path):
    catcher = SmtpCatcher().start()
    try:
        app = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port)
        catcher.answer_always("RCPT", "550 5.1.1 Dit adres bestaat niet")
        mail_id = _one_mail(app, to="onbekend@example.org")
        with app.app_context():
            assert send_queued() == {"sent": 0, "retry": 0, "failed": 1}
            mail = db.session.get(OutboxMail, mail_id)
            assert mail.status == MailStatus.FAILED and mail.attempts == 1
            assert "550" in mail.last_error and "Dit adres bestaat niet" in mail.last_error
            assert mail.next_attempt_at is None
            with _at(mail.queued_at + timedelta(days=2)):  # never retried
                assert send_queued() == {"sent": 0, "retry": 0, "failed": 0}
        assert catcher.refused == 1 and catcher.messages == []

        admin = app.test_client()
        login(admin, ADMIN)
        listing = admin.get("/beheer/mails/?status=failed").get_data(as_text=True)
        assert "onbekend@example.org" in listing and "Dit adres bestaat niet" in listing
        assert "mislukt" in listing and "Opnieuw versturen" in listing
        page = admin.get(f"/beheer/mails/{mail_id}").get_data(as_text=True)
        assert "Laatste fout" in page and "550 5.1.1" in page

        # Only an administrator may send it again: the page and the operation refuse others.
        assessor = app.test_client()
        login(assessor, ASSESSOR_1)
        assert post(assessor, f"/beheer/mails/{mail_id}/opnieuw", token_from="/").status_code == 403
        with app.app_context():
            from portal.errors import NotPermitted

            with pytest.raises(NotPermitted):
                resend(db.session.get(OutboxMail, mail_id), by=user(ASSESSOR_1))
            db.session.rollback()

        catcher.answer_always("RCPT", None)  # the address exists now
        response = post(admin, f"/beheer/mails/{mail_id}/opnieuw", token_from=f"/beheer/mails/{mail_id}",
                        follow_redirects=True)
        assert "staat weer in de wachtrij" in response.get_data(as_text=True)
        [message] = catcher.wait_for(1)  # sent after that request
        assert message["Message-ID"] == f"<outbox-{mail_id}@{DOMAIN}>"
        with app.app_context():
            mail = db.session.get(OutboxMail, mail_id)
            assert mail.status == MailStatus.SENT and mail.attempts == 2
            [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail_resent")).all()
            assert (audit.object_type, audit.object_id) == ("outbox_mails", mail_id)
            assert audit.actor_id == user(ADMIN).id
            assert (audit.from_state, audit.to_state) == ("failed", "queued") and "550" in audit.detail
        # a mail that did not fail cannot be sent again
        response = post(admin, f"/beheer/mails/{mail_id}/opnieuw", token_from=f"/beheer/mails/{mail_id}",
                        follow_redirects=True)
        assert "Alleen een mislukte e-mail kan opnieuw worden verstuurd." in response.get_data(as_text=True)
        assert len(catcher.messages) == 1
    finally:
        catcher.stop()


def test_admin_page_lists_delayed_and_failed_mail_with_flat_statement_counts(template_db, tmp_path):
    port = free_port()  # down
    app = _sqlite_app(template_db, tmp_path, MAIL_PORT=port, PAGE_SIZE=10)
    admin = app.test_client()
    login(admin, ADMIN)

    def statements(url):
        with app.app_context():
            engine = db.engine
        with StatementCounter(engine) as counter:
            response = admin.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), counter.count

    counts = {}
    for total in (3, 40):
        with app.app_context():
            existing = db.session.scalar(select(func.count()).select_from(OutboxMail))
            for i in range(existing, total):
                queue("password_changed", f"wacht{i}@example.org", subject=f"Vertraagd {i}",
                      name="X", reset_link="http://localhost/wachtwoord-vergeten")
            db.session.commit()
            send_queued(limit=1)  # the first try fails and stops the run (no server)
            # mark the others as tried, as earlier runs would have
            for mail in db.session.scalars(select(OutboxMail).where(OutboxMail.attempts == 0)):
                mail.attempts, mail.last_error = 1, "SMTPServerDisconnected: Connection unexpectedly closed"
                mail.next_attempt_at = mail.queued_at + timedelta(minutes=1)
            db.session.commit()
        html, counts[total] = statements("/beheer/mails/?status=vertraagd")
        assert "Vertraagd" in html and "Volgende poging" in html and "Laatste fout:" in html
        assert "Connection refused" in html or "Connection unexpectedly closed" in html
    assert counts[3] == counts[40]
    html, _ = statements("/beheer/mails/?status=vertraagd&pagina=4")
    assert "Pagina 4 van 4" in html



# --- (d) a relay that accepts and never answers --------------------------------------------

def _register(client, n=1):
    return post(client, "/registreren", {
        "org_name": f"Stichting Stil {n}", "kvk_number": f"5566778{n}", "street": "Straat 1",
        "postal_code": "4811AB", "city": "Breda", "contact_email": "info@stil.example",
        "full_name": "Stil Test", "email": f"stil{n}@org.example", "password": "wachtwoord-van-12",
        "password_repeat": "wachtwoord-van-12", "accept_terms": "y",
    })


def test_a_silent_relay_costs_one_timeout_never_a_hanging_request(template_db, tmp_path):
    relay = SilentRelay().start()  # holds every connection for two minutes without a word
    try:
        app = _sqlite_app(template_db, tmp_path, MAIL_PORT=relay.port, MAIL_TIMEOUT_SECONDS=2)
        client = app.test_client()
        started = time.monotonic()
        response = _register(client)  # the test client also runs the delivery after it
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert relay.connections == 1  # one attempt, then the mail waits
        # Without the timeout the request would wait for the relay's two minutes.
        assert elapsed < 60, elapsed
        with app.app_context():
            [mail] = db.session.scalars(select(OutboxMail)).all()
            assert mail.status == MailStatus.QUEUED and mail.attempts == 1
            assert "timed out" in mail.last_error
            mail_id, retry_at = mail.id, mail.next_attempt_at
        # the worker meets the same relay: one timeout, no hang
        started = time.monotonic()
        with _at(retry_at):
            result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert "retry later 1" in result.output and time.monotonic() - started < 60
    finally:
        relay.stop()

    catcher = SmtpCatcher().start()  # a working server is configured
    try:
        live = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port, MAIL_TIMEOUT_SECONDS=2)
        _send_all_due(live)
        assert _message_ids(catcher) == Counter({f"<outbox-{mail_id}@{DOMAIN}>": 1})
        with live.app_context():
            assert db.session.get(OutboxMail, mail_id).status == MailStatus.SENT
    finally:
        catcher.stop()


def test_a_request_sends_only_the_mail_it_queued(template_db, tmp_path, capsys):
    catcher = SmtpCatcher().start()
    try:
        app = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port)
        other = _one_mail(app, to="achterstand@example.org")  # queued earlier, due
        response = _register(app.test_client(), n=2)
        assert response.status_code == 200
        [message] = catcher.wait_for(1)
        assert message["To"] == "stil2@org.example"
        with app.app_context():
            assert db.session.get(OutboxMail, other).status == MailStatus.QUEUED
        _send_all_due(app)  # the worker sends the rest
        _assert_each_delivered_once(app, catcher)
    finally:
        catcher.stop()


# --- (e), (f) real worker processes -------------------------------------------------------------

def _worker(database_url: str, catcher: SmtpCatcher, tmp_path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "SECRET_KEY": "test-worker",
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MAIL_SERVER": catcher.host,
        "MAIL_PORT": str(catcher.port),
        "MAIL_DEFAULT_SENDER": f"Regio WBO Jeugd <toelating@{DOMAIN}>",
    }
    env.pop("PORTAL_TEST_NOW", None)
    return subprocess.Popen([str(FLASK), "--app", "app", "outbox", "send", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0, err[-3000:]
    return out


def _two_workers_deliver_each_mail_once(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path / "uploads", None, MAIL_SERVER="127.0.0.1")
    _queue_many(app, 1000)
    catcher = SmtpCatcher().start()
    try:
        workers = [_worker(database_url, catcher, tmp_path, "--limit", "1000") for _ in range(2)]
        outputs = [_finished(w) for w in workers]
        sent = [int(out.split("sent ")[1].split(",")[0]) for out in outputs]
        assert sum(sent) == 1000, outputs
        _assert_each_delivered_once(app, catcher)
        with app.app_context():  # each mail was claimed once: no claim was lost or doubled
            assert set(db.session.scalars(select(OutboxMail.attempts))) == {1}
            db.engine.dispose()
    finally:
        catcher.stop()


def test_two_workers_on_sqlite_deliver_each_of_1000_mails_once(template_db, tmp_path):
    path = tmp_path / "portal.sqlite"
    shutil.copy(template_db, path)
    _two_workers_deliver_each_mail_once(f"sqlite:///{path}", tmp_path)


@pytest.fixture
def postgres_url(request, tmp_path_factory):
    """A migrated PostgreSQL database: from the suite's server (--db=postgres), else from
    a server of this test's own when PostgreSQL is installed; skipped otherwise."""
    from tests.conftest import build_database

    server = request.getfixturevalue("postgres")
    own = None
    if server is None:
        if not TempPostgres.available():
            pytest.skip("PostgreSQL is not installed")
        server = own = TempPostgres().start()
    try:
        name = f"outbox_{os.getpid()}_{time.monotonic_ns()}"
        if own is None:
            with server.connect() as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE portal_template')
            url = server.url(name)
        else:
            url = server.create_database(name)
            build_database(url, tmp_path_factory.mktemp("pg-outbox"))
        yield url
        if own is None:
            server.drop_database(name)
    finally:
        if own is not None:
            own.stop()


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_each_of_1000_mails_once(postgres_url, tmp_path):
    _two_workers_deliver_each_mail_once(postgres_url, tmp_path)


def test_a_worker_killed_mid_batch_loses_nothing_and_its_mail_is_retried_after_the_lease(
        template_db, tmp_path):
    catcher = SmtpCatcher().start()
    app = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    _queue_many(app, 200)
    try:
        catcher.hold_after(30)  # the 31st mail stays in flight
        worker = _worker(database_url, catcher, tmp_path, "--limit", "1000")
        catcher.wait_held(WAIT)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=WAIT)
        catcher.release()
        assert len(catcher.messages) == 30
        with app.app_context():
            [in_flight] = db.session.scalars(select(OutboxMail).where(
                OutboxMail.status == MailStatus.SENDING)).all()
            lease_ends, in_flight_id = in_flight.next_attempt_at, in_flight.id
            assert in_flight.attempts == 1
            assert lease_ends - in_flight.claimed_at == timedelta(seconds=60)
        assert _statuses(app) == Counter({MailStatus.SENT: 30, MailStatus.SENDING: 1,
                                          MailStatus.QUEUED: 169})

        # A new worker at once: it sends the rest, and leaves the claimed mail alone.
        assert "sent 169" in _finished(_worker(database_url, catcher, tmp_path, "--limit", "1000"))
        assert _statuses(app) == Counter({MailStatus.SENT: 199, MailStatus.SENDING: 1})
        # One second before the lease ends nothing happens; when it ends, it is taken over.
        runner = app.test_cli_runner()
        with _at(lease_ends - timedelta(seconds=1)):
            assert "sent 0" in runner.invoke(args=["outbox", "send"]).output
        with _at(lease_ends):
            assert "sent 1" in runner.invoke(args=["outbox", "send"]).output
        _assert_each_delivered_once(app, catcher)
        with app.app_context():
            assert db.session.get(OutboxMail, in_flight_id).attempts == 2
            db.engine.dispose()
    finally:
        catcher.stop()


# --- (g) the SMTP server stops in the middle of a batch -------------------------------------

def test_smtp_server_stopped_mid_batch_leaves_the_rest_queued_and_a_later_run_sends_all(
        template_db, tmp_path):
    catcher = SmtpCatcher().start()
    app = _sqlite_app(template_db, tmp_path, MAIL_PORT=catcher.port)
    _queue_many(app, 20)
    results = []

    def batch():
        with app.app_context():
            results.append(send_queued(limit=1000))

    try:
        catcher.hold_after(5)  # the sixth mail is in flight when the server goes
        runner = threading.Thread(target=batch)
        runner.start()
        catcher.wait_held(WAIT)
        catcher.stop()
        catcher.release()
        runner.join(WAIT)
        assert not runner.is_alive()
        assert results == [{"sent": 5, "retry": 1, "failed": 0}]  # the run stopped there
        assert len(catcher.messages) == 5
        with app.app_context():
            mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
            assert [m.status for m in mails] == [MailStatus.SENT] * 5 + [MailStatus.QUEUED] * 15
            interrupted = mails[5]
            assert interrupted.attempts == 1 and "SMTPServerDisconnected" in interrupted.last_error
            assert interrupted.next_attempt_at - interrupted.claimed_at >= timedelta(minutes=1)
            assert all(m.next_attempt_at is not None and m.attempts == 0 for m in mails[6:])
            assert all(m.sent_at is not None and m.next_attempt_at is None for m in mails[:5])

        catcher.start()  # back, on the same port
        _send_all_due(app)
        _assert_each_delivered_once(app, catcher)
    finally:
        catcher.stop()
