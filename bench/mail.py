"""Mail throughput: 10,000 queued mails delivered by `flask outbox send` to a loopback SMTP server.

    .venv/bin/python bench/mail.py                 # 10,000 mails (target: at most 60 s)
    .venv/bin/python bench/mail.py --mails 500     # a quick smoke run

A fresh SQLite database (migrations, reference and demo data) gets ``--mails`` rows in
its outbox (a Dutch text of a few kB, plain and HTML, each to its own address); an
aiosmtpd server on 127.0.0.1 receives them and counts their Message-IDs (it does not parse
the mails, so the server is not what is measured). `flask --app app outbox send
--limit N` then runs as its own process with PORTAL_ENV=production, timed from start to
exit; then again with two such processes at once (``--workers 1 2``, the default), as
several cron jobs or worker loops would run them (each mail is claimed by one). Printed
for each: seconds, mails per second, the senders' CPU time, and the checks that every mail
arrived once and every row is ``sent``. The exit status is 1 when a check fails.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 60
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class CountingServer:
    """aiosmtpd on loopback that keeps, per Message-ID, how often it arrived."""

    def __init__(self) -> None:
        from collections import Counter

        self.received: Counter = Counter()
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:
        match = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.received[match.group(1).decode() if match else None] += 1
        return "250 OK"

    def __enter__(self) -> CountingServer:
        from aiosmtpd.controller import Controller

        from tests.infra.smtp import free_port

        self.host, self.port = "127.0.0.1", free_port()
        self.controller = Controller(self, hostname=self.host, port=self.port,
                                     server_hostname="localhost", ready_timeout=10)
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()


def _queue(url: str, tmp: Path, n: int) -> None:
    """``n`` queued mails in the outbox, inserted in bulk (as many requests would queue them)."""
    from sqlalchemy import insert

    from portal.extensions import db
    from portal.notifications.models import MailStatus, OutboxMail
    from portal.timeutil import utcnow
    from tests.conftest import make_app

    app = make_app(url, tmp / "uploads")
    with app.app_context():
        now = utcnow()
        body = ("Beste aanbieder,\n\nUw aanmelding voor de open-house toelating is ontvangen. "
                "U vindt haar in het portaal onder Mijn aanmeldingen.\n\n" * 6)
        html = "<p>" + body.replace("\n\n", "</p><p>") + "</p>"
        rows = [dict(kind="application_submitted", to_address=f"ontvanger{i}@bench.example",
                     subject=f"Aanmelding ontvangen ({i})", body_text=body, body_html=html,
                     status=MailStatus.QUEUED, attempts=0, created_at=now, queued_at=now,
                     next_attempt_at=now, sensitive=False) for i in range(n)]
        for start in range(0, n, 2000):
            db.session.execute(insert(OutboxMail), rows[start:start + 2000])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _outbox(url: str) -> dict[int, str]:
    """Every outbox row's id and status."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM outbox_mails")).all())
    engine.dispose()
    return rows


def run(mails: int, workers: int = 1) -> dict:
    """Queue ``mails`` and deliver them; returns the figures (seconds, per_second, ok)."""
    from tests.conftest import build_database

    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'mail.sqlite'}"
        build_database(url, tmp)
        _queue(url, tmp, mails)
        # The demo data queued (and sent) a few mails of its own: those not yet sent count in.
        due = [i for i, status in _outbox(url).items() if status != "SENT"]
        with CountingServer() as smtp:
            env = dict(os.environ, PORTAL_ENV="production", SECRET_KEY=secrets.token_urlsafe(48),
                       PORTAL_BASE_URL="https://portal.regio.example", DATABASE_URL=url,
                       UPLOAD_DIR=str(tmp / "uploads"), PORTAL_INSTANCE_DIR=str(tmp),
                       MAIL_SERVER=smtp.host, MAIL_PORT=str(smtp.port), STORAGE_BACKEND="local")
            flask = Path(sys.executable).with_name("flask")
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            processes = [subprocess.Popen(
                [str(flask), "--app", "app", "outbox", "send", "--limit", str(len(due) + 10)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(workers)]
            outputs = [process.communicate() for process in processes]
            seconds = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            received = dict(smtp.received)
        statuses = _outbox(url)
    domain = "regiowbojeugd.example"
    expected = {f"<outbox-{i}@{domain}>" for i in due}
    sent = sum(1 for status in statuses.values() if status == "SENT")
    ok = (all(process.returncode == 0 for process in processes) and sent == len(statuses)
          and set(received) == expected and all(n == 1 for n in received.values()))
    return dict(mails=len(due), workers=workers, seconds=seconds, cpu=cpu, per_second=len(due) / seconds,
                received=sum(received.values()), sent=sent, total=len(statuses), ok=ok,
                said="; ".join(out.strip() for out, _ in outputs),
                output="\n".join(err.strip() for _, err in outputs))


def report(figures: dict) -> None:
    by = ("`flask outbox send`" if figures["workers"] == 1
          else f"{figures['workers']} `flask outbox send` processes at once")
    print(f"mail: {figures['mails']:,} queued mails delivered by {by} to aiosmtpd "
          f"on loopback in {figures['seconds']:.1f} s = {figures['per_second']:,.0f} mails/s "
          f"(target: 10,000 in at most {TARGET_SECONDS} s); the senders' CPU time "
          f"{figures['cpu']:.1f} s")
    print(f"      received by the server: {figures['received']:,}; rows sent: "
          f"{figures['sent']:,} of {figures['total']:,}; command said: "
          f"{figures['said'] or '-'}")
    if not figures["ok"]:
        print("      CHECK FAILED: not every mail was delivered exactly once")
        print(figures["output"][-2000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="`flask outbox send` processes at once, a run for each number "
                             "given (default: 1, then 2; each mail is claimed by one of them)")
    args = parser.parse_args()
    ok = True
    for workers in args.workers:
        figures = run(args.mails, workers)
        report(figures)
        ok = ok and figures["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
