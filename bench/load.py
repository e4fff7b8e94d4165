"""Load benchmark: simulated users against the portal under gunicorn, over real HTTP.

    python3 dev.py bench load                          # 50 users, 60 seconds
    .venv/bin/python bench/load.py --users 20 --seconds 20
    .venv/bin/python bench/load.py --db sqlite         # default: PostgreSQL when installed
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --database-url postgresql+psycopg://...

Without --url the script builds a fresh database (the migrations, reference and demo
data, as `python3 dev.py` does) on a throwaway PostgreSQL server (or SQLite), and starts
`gunicorn -w WORKERS app:app` on a free loopback port with PORTAL_ENV=production. The
rate limiter is switched off (RATELIMIT_ENABLED=false) for that server: every simulated
user comes from 127.0.0.1, and the login and registration limits per address would stop
them within a minute. With --url the portal is yours; switch its limiter off (or raise
it) yourself, and give --database-url (plus the portal's UPLOAD_DIR or STORAGE_BACKEND/S3_*
settings in the environment) so that confirmation links and the final check can be read.

The users, each a thread with its own cookies, think 0.2 to 0.8 s between pages (--think):

- providers register an organisation, confirm the address with the link from the mail
  (read from the outbox table, as the mailbox would), log in, start an application for
  one category, fill in every step of the wizard with a fresh small PDF for every
  evidence field, submit it, log out, and start over as a new provider;
- assessors take a submitted application, declare no conflict of interest, judge every
  requirement, propose admission, and the other assessor approves it (the decision letter
  is made and mailed). They are the demo accounts beoordelaar1 and beoordelaar2, each
  logged in once with the demo second factor (a code counts once); the simulated
  assessors work in copies of those two sessions;
- the public searches the register of admitted partners and opens the public pages.

At the end it prints requests per second and, per page, the count, p50 and p95 latency,
and checks: no answer 5xx (or a broken connection), and every application whose
submission the portal confirmed is in the database as submitted (or further), with
every file the user uploaded for it, each readable from the storage with its checksum.
The exit status is 1 when a check fails.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

PASSWORD = "demo-wachtwoord-2027"
ASSESSORS = ("beoordelaar1@demo.nl", "beoordelaar2@demo.nl")
SEARCH_TERMS = ("", "demo", "gezinshuis", "jeugd", "Breda", "Oosterhout", "stichting", "zorg")
REQUEST_TIMEOUT = 180
PDF_HEAD = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n"


# --------------------------------------------------------------------------- HTML forms


@dataclass
class Form:
    action: str
    method: str
    fields: list[dict] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Every <form> of a page with its inputs, textareas and selects, and the labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}
        self._form: Form | None = None
        self._select: str | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "label" and a.get("for"):
            self._label_for, self._label_text = a["for"], []
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            a["tag"] = tag
            self._form.fields.append(a)
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._form is not None and self._select:
            self._form.options.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None

    def handle_data(self, data):
        if self._label_for:
            self._label_text.append(data)


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def form_ending(html: str, suffix: str) -> Form:
    for form in parse(html).forms:
        if form.action.endswith(suffix):
            return form
    raise Flow(f"no form for {suffix}")


def hidden(form: Form) -> dict[str, str]:
    return {f["name"]: f.get("value", "") for f in form.fields
            if f["tag"] == "input" and f.get("type") == "hidden"}


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise Flow("no CSRF token on the page")
    return match.group(1) or match.group(2)


# --------------------------------------------------------------------------- measuring


class Flow(Exception):
    """A user's flow cannot go on as planned (a page not as expected); not a server error."""


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []  # 5xx and broken connections
        self.events: dict[str, int] = defaultdict(int)
        self.submitted: dict[int, int] = {}  # application id -> files uploaded for it
        self.decided: list[int] = []  # applications whose approval the portal confirmed
        self.flow_problems: list[str] = []

    def record(self, page: str, status: int, seconds: float) -> None:
        with self.lock:
            self.times[page].append(seconds)
            self.statuses[page][status] += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def event(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.events[name] += n


ID_RE = re.compile(r"/\d+")
TOKEN_RE = re.compile(r"/bevestigen/[^/?]+")


def page_name(method: str, path: str) -> str:
    path = TOKEN_RE.sub("/bevestigen/<token>", path.split("?")[0].split("#")[0])
    return f"{method} {ID_RE.sub('/<id>', path)}"


class User:
    """One simulated browser: its own cookies, every request measured."""

    def __init__(self, base: str, stats: Stats, deadline: float, think: float, rng: random.Random):
        self.base, self.stats, self.deadline, self.think_max, self.rng = base, stats, deadline, think, rng
        self.http = requests.Session()

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    def think(self) -> None:
        if self.think_max > 0:
            time.sleep(self.rng.uniform(self.think_max / 4, self.think_max))

    def request(self, method: str, path: str, *, expect=(200, 302), **kwargs) -> requests.Response:
        """One request (redirects not followed, as each is a page of its own)."""
        name = page_name(method, path)
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, allow_redirects=False,
                                         timeout=REQUEST_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            self.stats.record(name, 0, time.perf_counter() - started)
            self.stats.error(f"{name}: {type(exc).__name__}: {exc}")
            raise Flow(f"{name}: connection failed") from exc
        self.stats.record(name, response.status_code, time.perf_counter() - started)
        if response.status_code >= 500:
            self.stats.error(f"{name}: {response.status_code}")
            raise Flow(f"{name}: {response.status_code}")
        if response.status_code not in expect:
            raise Flow(f"{name}: {response.status_code}")
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def follow(self, response: requests.Response) -> requests.Response:
        """GET the page a 302 points to (a browser following the redirect)."""
        location = response.headers["Location"]
        if location.startswith(self.base):
            location = location[len(self.base):]
        return self.get(location)

    def login(self, email: str, password: str = PASSWORD) -> None:
        page = self.get("/inloggen")
        response = self.post("/inloggen", {"csrf_token": csrf(page.text), "email": email,
                                           "password": password}, expect=(302,))
        if response.headers["Location"].endswith("/inloggen/code"):
            # Staff: the code of the demo second factor (README "Demo logins").
            import pyotp

            from portal.accounts.mfa import STEP_SECONDS
            from portal.demo import DEMO_TOTP_SECRET

            page = self.get("/inloggen/code")
            code = pyotp.TOTP(DEMO_TOTP_SECRET, interval=STEP_SECONDS).now()
            response = self.post("/inloggen/code", {"csrf_token": csrf(page.text), "code": code},
                                 expect=(302,))
        self.follow(response)

    def logout(self) -> None:
        page = self.get("/")
        self.follow(self.post("/uitloggen", {"csrf_token": csrf(page.text)}, expect=(302,)))


# --------------------------------------------------------------------------- providers


class Provider(User):
    counter = iter(range(1, 10**6))
    counter_lock = threading.Lock()

    def __init__(self, *args, outbox, run_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox, self.run_id = outbox, run_id

    def run(self) -> None:
        while not self.over():
            self.http.cookies.clear()
            try:
                self.one_provider()
            except Flow as exc:
                self.stats.event("provider flows broken off")
                with self.stats.lock:
                    self.stats.flow_problems.append(f"provider: {exc}")
                self.think()

    def one_provider(self) -> None:
        with self.counter_lock:
            n = next(self.counter)
        kvk = f"{(self.run_id * 10_000 + n) % 100_000_000:08d}"
        email = f"load-{self.run_id}-{n}@aanbieder.example.org"
        self.register(n, kvk, email)
        self.think()
        self.confirm(email)
        self.think()
        self.login(email, "belasting-proef-2027")
        self.think()
        if self.over():
            return
        application_id, files = self.apply(kvk)
        self.think()
        self.logout()
        self.stats.event("applications submitted")
        with self.stats.lock:
            self.stats.submitted[application_id] = files

    def register(self, n: int, kvk: str, email: str) -> None:
        page = self.get("/registreren")
        response = self.post("/registreren", {
            "csrf_token": csrf(page.text), "org_name": f"Zorgaanbieder Belasting {self.run_id}-{n}",
            "kvk_number": kvk, "street": f"Teststraat {n}", "postal_code": "4811 AB", "city": "Breda",
            "contact_email": email, "website": "", "full_name": f"Tester {n}", "email": email,
            "password": "belasting-proef-2027", "password_repeat": "belasting-proef-2027",
            "accept_terms": "y"}, expect=(200,))
        if email not in response.text:
            raise Flow("registration not confirmed on the page")
        self.stats.event("providers registered")

    def confirm(self, email: str) -> None:
        link = self.outbox(email)
        response = self.get(link, expect=(302,))
        self.follow(response)

    def apply(self, kvk: str) -> tuple[int, int]:
        page = self.get("/aanmeldingen/nieuw")
        choices = re.findall(r'name="categories"[^>]*value="(\d+)"', page.text)
        if not choices:
            raise Flow("no category to apply for")
        response = self.post("/aanmeldingen/nieuw", {
            "csrf_token": csrf(page.text), "categories": self.rng.choice(choices)}, expect=(302,))
        application_id = int(re.search(r"/aanmeldingen/(\d+)", response.headers["Location"]).group(1))
        response = self.follow(response)  # -> the wizard's first step
        step = self.follow(response)
        path = f"/aanmeldingen/{application_id}/stap/1"
        files = 0
        for _ in range(20):  # a wizard has a handful of steps
            self.think()
            data, uploads = self.fill(step.text, kvk)
            files += len(uploads)
            response = self.post(path, data, files=uploads, expect=(302,))
            target = response.headers["Location"]
            if "/overzicht" in target:
                break
            if f"/stap/{int(path.rsplit('/', 1)[1]) + 1}" not in target:
                raise Flow(f"the wizard did not go on from {path}")
            path = target.removeprefix(self.base)
            step = self.get(path)
        else:
            raise Flow("the wizard did not end")
        overview = self.get(f"/aanmeldingen/{application_id}/overzicht")
        self.think()
        form = form_ending(overview.text, "/indienen")
        response = self.post(form.action, hidden(form), expect=(302,))
        done = self.follow(response)
        if "is ingediend" not in done.text:
            raise Flow(f"application {application_id} not submitted")
        return application_id, files

    def fill(self, html: str, kvk: str) -> tuple[dict, dict]:
        """Answer every field of a wizard step correctly, with a fresh PDF per evidence field."""
        parsed = parse(html)
        form = next((f for f in parsed.forms if any(re.match(r"r\d+_", x["name"]) for x in f.fields)),
                    None)
        if form is None:
            raise Flow("no answer form on the wizard step")
        data, uploads = hidden(form), {}
        valid_until = (date.today() + timedelta(days=365)).isoformat()
        for f in form.fields:
            name, kind = f["name"], f.get("type", f["tag"])
            if not re.match(r"r\d+_", name):
                continue
            part = name.split("_", 1)[1]
            if part == "declared":
                data[name] = "y"
            elif part == "identifier":
                label = parsed.labels.get(f.get("id", ""), "")
                data[name] = f.get("value") or (kvk if "KvK" in label else "73730123")
            elif part == "number":
                data[name] = f.get("max") or str(max(int(f.get("min") or 0), 4))
            elif part == "amount":
                data[name] = "2.500.000"
            elif part == "text":
                data[name] = "Jongeren denken mee in onze cliëntenraad; ervaringsdeskundigen in elk team."
            elif part == "file" and kind == "file":
                content = PDF_HEAD + b"%" + secrets.token_hex(24).encode() + b"\n%%EOF\n"
                uploads[name] = (f"{name}.pdf", content, "application/pdf")
            elif part == "valid_until":
                data[name] = valid_until
        data["volgende"] = "1"
        return data, uploads


# --------------------------------------------------------------------------- assessors


class Assessor(User):
    """Proposes as one demo assessor; approves as the other (four eyes).

    A second factor's code can be used once, so each demo assessor logs in once
    (``log_in_assessors``) and every simulated assessor works in a copy of those sessions."""

    def __init__(self, *args, index: int, logged_in: tuple[User, User], **kwargs):
        super().__init__(*args, **kwargs)
        first, second = logged_in if index % 2 == 0 else logged_in[::-1]
        self.http.cookies.update(first.http.cookies)
        self.second = User(self.base, self.stats, self.deadline, self.think_max, self.rng)
        self.second.http.cookies.update(second.http.cookies)

    def run(self) -> None:
        while not self.over():
            try:
                if not self.decide_one():
                    self.think()
                    self.think()
            except Flow as exc:
                self.stats.event("assessments broken off")
                with self.stats.lock:
                    self.stats.flow_problems.append(f"assessor: {exc}")
                self.think()

    def act(self, who: User, application_id: int, suffix: str, fill=None) -> str:
        """Post one form of the assessment page; the page after it (with its message)."""
        page = who.get(f"/beoordeling/{application_id}")
        form = form_ending(page.text, suffix)
        data = hidden(form)
        if fill:
            fill(form, data)
        return who.follow(who.post(form.action, data, expect=(302,))).text

    def decide_one(self) -> bool:
        queue = self.get("/beoordeling/?status=ingediend")
        ids = sorted({int(i) for i in re.findall(r'href="/beoordeling/(\d+)"', queue.text)})
        if not ids:
            return False
        application_id = self.rng.choice(ids[:10])
        self.think()
        try:
            taken = "in behandeling genomen" in self.act(self, application_id, "/in-behandeling")
        except Flow:  # the page no longer offers it: a colleague was quicker
            taken = False
        if not taken:
            self.stats.event("assessments: taken by a colleague first")
            return True
        self.think()
        self.act(self, application_id, "/belangen")
        self.think()

        def verdicts(form, data):
            for f in form.fields:
                if re.fullmatch(r"v\d+_outcome", f["name"]):
                    data[f["name"]] = "voldoet"

        self.act(self, application_id, "/oordelen", verdicts)
        self.think()

        def admit(form, data):
            for f in form.fields:
                if re.fullmatch(r"c\d+_outcome", f["name"]):
                    data[f["name"]] = "toegelaten"
                elif re.fullmatch(r"c\d+_motivation", f["name"]):
                    data[f["name"]] = "Aan alle eisen is voldaan."

        if "Het besluit is voorgesteld" not in self.act(self, application_id, "/besluit", admit):
            raise Flow(f"decision on {application_id} not proposed")
        self.think()

        def declare(_form, data):
            data["no_conflict"] = "y"

        if "goedgekeurd" not in self.act(self.second, application_id, "/goedkeuren", declare):
            raise Flow(f"decision on {application_id} not approved")
        self.stats.event("decisions approved (four eyes)")
        with self.stats.lock:
            self.stats.decided.append(application_id)
        return True


def log_in_assessors(base: str, stats: Stats, deadline: float) -> tuple[User, User]:
    sessions = []
    for email in ASSESSORS:
        user = User(base, stats, deadline, 0, random.Random(0))
        user.login(email)
        sessions.append(user)
    return sessions[0], sessions[1]


# --------------------------------------------------------------------------- the public


class Public(User):
    def run(self) -> None:
        while not self.over():
            try:
                self.browse()
            except Flow as exc:
                with self.stats.lock:
                    self.stats.flow_problems.append(f"public: {exc}")
            self.think()

    def browse(self) -> None:
        choice = self.rng.random()
        if choice < 0.7:
            term = self.rng.choice(SEARCH_TERMS)
            page = self.get("/register" + (f"?zoek={term}" if term else ""))
            categories = sorted(set(re.findall(r"categorie=([\w-]+)", page.text)))
            if categories and self.rng.random() < 0.5:
                self.think()
                page = self.get(f"/register?categorie={self.rng.choice(categories)}")
            partners = re.findall(r'href="/register/(\d+)"', page.text)
            if partners:
                self.think()
                self.get(f"/register/{self.rng.choice(partners)}")
        elif choice < 0.85:
            self.get("/")
        else:
            self.get("/eisen")


# --------------------------------------------------------------------------- setting up


def _outbox_reader(database_url: str):
    """The confirmation link of the newest mail to an address, from the outbox table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, pool_size=10, max_overflow=40, pool_pre_ping=True)
    link_re = re.compile(r"https?://[^\s\"'<>]*(/bevestigen/[A-Za-z0-9_.\-]+)")

    def read(email: str) -> str:
        with engine.connect() as conn:
            body = conn.execute(text(
                "SELECT body_text FROM outbox_mails WHERE to_address = :a AND kind = 'confirm_email' "
                "ORDER BY id DESC"), {"a": email}).scalar()
        match = link_re.search(body or "")
        if not match:
            raise Flow(f"no confirmation link mailed to {email}")
        return match.group(1)

    read.engine = engine
    return read


def _add_demo_application(url: str, tmp: Path) -> None:
    """The demo provider 2 and its submitted application, as `flask seed --demo` adds them."""
    from portal.demo import DEMO_PASSWORD, seed_demo_applications
    from portal.extensions import db
    from tests.conftest import make_app

    app = make_app(url, tmp / "uploads")
    with app.app_context():
        seed_demo_applications(DEMO_PASSWORD)
        db.session.commit()
        db.engine.dispose()


def _start_portal(args, tmp: Path):
    """A fresh database with demo data, an SMTP catcher and gunicorn on them; returns
    (server, database URL, PostgreSQL server or None, upload directory)."""
    from tests.conftest import build_database
    from tests.infra.gunicorn import GunicornServer
    from tests.infra.postgres import TempPostgres
    from tests.infra.smtp import SmtpCatcher

    pg = None
    db = args.db
    if db == "auto":
        db = "postgres" if TempPostgres.available() else "sqlite"
    if db == "postgres":
        pg = TempPostgres().start()
        url = pg.create_database("load")
    else:
        url = f"sqlite:///{tmp / 'load.sqlite'}"
    print(f"building a fresh {db} database (migrations, reference and demo data) ...", flush=True)
    build_database(url, tmp)
    _add_demo_application(url, tmp)
    uploads = tmp / "uploads"
    smtp = SmtpCatcher().start()  # production mails through SMTP: a catcher on loopback
    env = {
        # Production as behind a load balancer that ends TLS: plain HTTP on loopback here.
        "PORTAL_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": "https://portal.regio.example", "SESSION_COOKIE_SECURE": "false",
        "DATABASE_URL": url, "UPLOAD_DIR": str(uploads), "PORTAL_INSTANCE_DIR": str(tmp),
        "RATELIMIT_ENABLED": "false", "MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port),
        "STORAGE_BACKEND": "local",
    }
    server = GunicornServer(env, workers=args.workers, log_dir=tmp, name="load",
                            extra_args=["--timeout", "120"])
    print(f"starting gunicorn -w {args.workers} app:app (PORTAL_ENV=production, "
          "RATELIMIT_ENABLED=false: the rate limiter is off for this load run) ...", flush=True)
    try:
        server.start()
    except BaseException:
        smtp.stop()
        if pg:
            pg.stop()
        raise
    server.smtp = smtp
    return server, url, pg, uploads


# --------------------------------------------------------------------------- checking


def check_database(database_url: str, upload_dir: Path | None, stats: Stats) -> list[str]:
    """Every confirmed submission: in the database, submitted or further, with its files;
    every confirmed approval: decided, with its decision letter."""
    from sqlalchemy import select

    from portal import files as storage
    from portal.applications.models import Answer, Application, Status
    from portal.assessment.models import DecisionLetter
    from portal.extensions import db
    from tests.conftest import make_app

    upload = upload_dir or Path(os.environ.get("UPLOAD_DIR") or tempfile.mkdtemp())
    app = make_app(database_url, upload)
    problems, checked_files = [], 0
    with app.app_context():
        for application_id in stats.decided:
            application = db.session.get(Application, application_id)
            letters = db.session.scalars(select(DecisionLetter).where(
                DecisionLetter.application_id == application_id)).all()
            if application is None or application.status != Status.BESLOTEN or not letters:
                problems.append(f"application {application_id}: approved, but not decided with a letter")
            for letter in letters:
                try:
                    storage.read_bytes(letter.document)
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    problems.append(f"application {application_id}, letter {letter.document_id}: {exc}")
        for application_id, uploaded in sorted(stats.submitted.items()):
            application = db.session.get(Application, application_id)
            if application is None:
                problems.append(f"application {application_id} is not in the database")
                continue
            if application.status in (Status.CONCEPT, Status.INGETROKKEN):
                problems.append(f"application {application_id} has status {application.status.value}")
            answers = db.session.scalars(select(Answer).where(
                Answer.application_id == application_id, Answer.document_id.is_not(None))).all()
            if len(answers) != uploaded:
                problems.append(f"application {application_id}: {uploaded} files uploaded, "
                                f"{len(answers)} in its answers")
            for answer in answers:
                try:
                    storage.read_bytes(answer.document)  # checks the sha256
                    checked_files += 1
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    problems.append(f"application {application_id}, document {answer.document_id}: {exc}")
        db.engine.dispose()
    print(f"checked {len(stats.submitted)} submitted applications and {checked_files} files "
          f"(each read back from the storage, checksum verified), and {len(stats.decided)} "
          "decisions with their letters")
    return problems


def report(stats: Stats, seconds: float) -> None:
    total = sum(len(t) for t in stats.times.values())
    print()
    print(f"{total} requests in {seconds:.1f} s: {total / seconds:.1f} requests per second")
    width = max((len(p) for p in stats.times), default=10) + 1
    print(f"{'page':{width}} {'count':>6} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for page in sorted(stats.times, key=lambda p: (p.split(" ", 1)[1], p)):
        times = sorted(stats.times[page])
        p50 = statistics.median(times) * 1000
        p95 = times[max(0, int(round(len(times) * 0.95)) - 1)] * 1000
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses[page].items()))
        print(f"{page:{width}} {len(times):>6} {p50:>8.0f} {p95:>8.0f}  {codes}")
    print()
    for name, n in sorted(stats.events.items()):
        print(f"{name}: {n}")


def run_users(args, base: str, outbox) -> tuple[Stats, float]:
    stats = Stats()
    n_public = max(1, round(args.users * 0.4))
    n_assessors = max(1, round(args.users * 0.2))
    n_providers = max(1, args.users - n_public - n_assessors)
    print(f"{args.users} users for {args.seconds} s against {base}: {n_providers} providers, "
          f"{n_assessors} assessors, {n_public} members of the public", flush=True)
    started = time.monotonic()
    deadline = started + args.seconds
    run_id = random.randrange(1000, 9999)
    users = []
    for i in range(n_providers):
        users.append(Provider(base, stats, deadline, args.think, random.Random(i), outbox=outbox,
                              run_id=run_id))
    logged_in = log_in_assessors(base, stats, deadline)
    for i in range(n_assessors):
        users.append(Assessor(base, stats, deadline, args.think, random.Random(1000 + i), index=i,
                              logged_in=logged_in))
    for i in range(n_public):
        users.append(Public(base, stats, deadline, args.think, random.Random(2000 + i)))
    threads = [threading.Thread(target=u.run, daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.8,
                        help="longest pause between two pages of a user, in seconds (default 0.8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--db", choices=["auto", "postgres", "sqlite"], default="auto")
    parser.add_argument("--url", help="a running portal instead of one started here")
    parser.add_argument("--database-url", help="its database (needed with --url)")
    args = parser.parse_args()
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (confirmation links and the final check)")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_name:
        tmp = Path(tmp_name)
        server = pg = upload_dir = None
        try:
            if args.url:
                base, database_url = args.url.rstrip("/"), args.database_url
            else:
                server, database_url, pg, upload_dir = _start_portal(args, tmp)
                base = server.url
            outbox = _outbox_reader(database_url)
            stats, seconds = run_users(args, base, outbox)
            outbox.engine.dispose()
            report(stats, seconds)
            problems = check_database(database_url, upload_dir, stats)
            if server is not None and stats.errors:
                print("--- gunicorn log (tail, lines cut at 400 characters) ---")
                for line in server.log_tail(10).splitlines():
                    print(line[:400])
        finally:
            if server is not None:
                server.stop()
                server.smtp.stop()
            if pg is not None:
                pg.stop()

    for problem in stats.flow_problems[:10]:
        print(f"flow broken off: {problem}")
    if len(stats.flow_problems) > 10:
        print(f"... and {len(stats.flow_problems) - 10} more flows broken off")
    print()
    print(f"errors (5xx or broken connection): {len(stats.errors)}")
    for error in stats.errors[:20]:
        print(f"  {error}")
    print(f"database check: {'OK' if not problems else f'{len(problems)} problems'}")
    for problem in problems[:20]:
        print(f"  {problem}")
    return 1 if stats.errors or problems or not stats.submitted else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
