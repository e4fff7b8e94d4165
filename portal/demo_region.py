"""A demo region that looks alive: about thirty providers in the five municipalities, their
applications in every state, decisions with letters, agreements, admissions in every state,
capacity, questions and answers, mail, evidence near its expiry, and the published tariffs
of the term's first year for every product.

Everything goes through the parts' operations (registration, the wizard's answers,
submission, the assessors' verdicts and decisions, the agreement, suspension, end,
capacity, Q&A, tariffs), so the audit trail, the letters and the mails exist as they would
in use. It is deterministic (one ``random.Random`` with a fixed seed, fixed lists in
``demo_data``) and idempotent: the region is added once, in one transaction; a second run
adds nothing. Dates are relative to the portal's clock (``today_local``) and the procedure.

Only the history is moved afterwards: the operations stamp "now", so the applications'
submission and decision moments are spread over the weeks since the publication (the
report's charts and lead times need some history). The audit events keep their real time.
"""
from __future__ import annotations

import contextlib
import io
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from . import files, notifications
from .accounts import workflow as accounts
from .accounts.models import Organisation, Role, User
from .applications import workflow as applications
from .applications.models import Application
from .assessment import workflow as assessment
from .assessment.models import CategoryDecision, Outcome, VerdictOutcome
from .clock import decision_due
from .demo_data import (
    CAPACITY_REMARKS,
    DECLINED_REASON,
    PROVIDERS,
    QUESTIONS,
    TEXT_ANSWER,
)
from .extensions import db
from .notifications.delivery import send_queued
from .notifications.models import MailStatus, OutboxMail
from .partners import capacity, compliance
from .partners import workflow as partners
from .partners.models import Admission
from .procedure import qa
from .procedure import settings as procedure_settings
from .procedure.models import Category, Procedure
from .procedure.term import WindowState, application_window, publication_date
from .timeutil import today_local, utcnow

RANDOM_SEED = 2027
KVK_BASE = 90000001  # the demo providers' KvK numbers: 90000001, 90000002, ...
AGB_BASE = 73990001
# The mails of the region's story that stay in the outbox (queued); the rest are sent
# (printed, in development without an SMTP server) so that both show on the mail page.
MAILS_LEFT_QUEUED = 8


# Each provider's story, by its position in demo_data.PROVIDERS (repeated if the list grows).
STORIES = (
    "active", "active", "offered", "rejected", "active", "proposed", "completion", "active",
    "suspended", "active", "submitted", "review", "active", "partly", "ended", "active",
    "notice", "withdrawn", "active", "review", "submitted", "active", "rejected", "offered",
    "proposed", "completion", "concept", "active",
)
DECIDED = {"active", "offered", "rejected", "suspended", "partly", "ended", "notice"}

# Base price per unit per category code (euro), for the demo tariffs.
BASE_PRICES = {"pleegzorg": 62, "gezinshuiszorg": 148, "zelfstandigheidstraining": 96,
               "kleinschalige-woonvormen": 214, "leefgroepen": 236}

# Words in a provider's name -> the category it applies for first.
CATEGORY_WORDS = (
    ("Pleeg", "pleegzorg"), ("Gezinshuis", "gezinshuiszorg"), ("Kamer", "zelfstandigheidstraining"),
    ("Zelfstandig", "zelfstandigheidstraining"), ("Jongerenwonen", "zelfstandigheidstraining"),
    ("Eigen Plek", "zelfstandigheidstraining"), ("Leefgroep", "leefgroepen"),
    ("Jeugdhuis", "leefgroepen"), ("Jeugdzorg", "leefgroepen"),
)


def first_kvk() -> str:
    return str(KVK_BASE)


def is_seeded() -> bool:
    return db.session.scalar(select(Organisation.id).where(
        Organisation.kvk_number == first_kvk())) is not None


@dataclass
class Cast:
    """The demo staff who act in the story."""

    first: User
    second: User
    admin: User


def pdf_bytes(*lines: str) -> bytes:
    """A one-page A4 PDF with these lines of text (Latin-1), made by hand: cheap enough for
    hundreds of demo documents, and real enough for the inline PDF viewer."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    first, *rest = lines or ("",)
    text = (f"BT /F1 22 Tf 60 760 Td ({escape(first)}) Tj /F1 15 Tf 30 TL () ' 22 TL "
            + " ".join(f"({escape(line)}) '" for line in rest) + " ET")
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>"
        b"/Contents 5 0 R>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


def _pdf(name: str, *lines: str) -> FileStorage:
    """A demo document: its name and lines on a page (each file differs: stored once by
    checksum)."""
    return FileStorage(io.BytesIO(pdf_bytes(*lines, "", f"Bestand: {name}",
                                            "Voorbeelddocument van de demo-regio.")),
                       filename=name, content_type="application/pdf")


def _categories(procedure: Procedure) -> dict[str, Category]:
    return {c.code: c for c in db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id, Category.is_active.is_(True))
        .order_by(Category.position))}


def _choose_categories(name: str, story: str, cats: dict[str, Category],
                       rnd: random.Random) -> list[Category]:
    code = next((c for word, c in CATEGORY_WORDS if word in name), "kleinschalige-woonvormen")
    chosen = [cats[code]] if code in cats else [next(iter(cats.values()))]
    if story == "partly" or rnd.random() < 0.25:
        others = [c for c in cats.values() if c not in chosen]
        if story == "partly" and "leefgroepen" in cats and cats["leefgroepen"] not in chosen:
            chosen.append(cats["leefgroepen"])
        elif others:
            chosen.append(rnd.choice(others))
    return chosen


def _register(index: int, spec, password: str) -> User:
    name, slug, street, postal_code, city, person = spec
    first_name = person.split()[0].lower().replace("-", "")
    user = accounts.register_provider(
        org_name=name, kvk_number=str(KVK_BASE + index), street=street, postal_code=postal_code,
        city=city, contact_email=f"info@{slug}.demo.nl", website=f"https://www.{slug}.demo.nl",
        full_name=person, email=f"{first_name}@{slug}.demo.nl",
        password=password)
    accounts.confirm_email(accounts.confirmation_token(user))
    return user


@contextlib.contextmanager
def _one_hash_per_password():
    """Registration hashes each new password with argon2 (half a second, on purpose). The
    demo's providers all get the one public demo password: hash it once and let every
    registration use that hash (verification reads the salt from the hash itself)."""
    original = accounts.hash_password
    known: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in known:
            known[password] = original(password)
        return known[password]

    accounts.hash_password = hash_once
    try:
        yield
    finally:
        accounts.hash_password = original


def _fill(application: Application, user: User, rnd: random.Random, *, near_expiry: bool,
          agb_code: str, complete: bool = True) -> None:
    """Answer the requirements through the wizard's operation (all of them, or the first
    half for a draft), with a PDF for each required piece of evidence."""
    today = today_local()
    values, documents = {}, {}
    reqs = application.applicable_requirements()
    if not complete:
        reqs = reqs[: len(reqs) // 2]
    for req in reqs:
        parts: dict = {}
        if req.asks_declaration:
            parts["declared"] = True
        if req.identifier.value == "agb":
            parts["identifier"] = agb_code
        if req.asks_number:
            low = req.number_min if req.number_min is not None else 1
            high = req.number_max if req.number_max is not None else max(low, 12)
            parts["number"] = rnd.randint(max(low, min(high, 2)), high)
        if req.asks_amount:
            parts["amount"] = max(req.amount_min or 0, rnd.choice((2_500_000, 3_000_000, 5_000_000)))
        if req.asks_text:
            parts["text"] = TEXT_ANSWER
        if req.evidence.value == "required":
            org = application.organisation
            documents[req.id] = files.store_upload(
                _pdf(f"{req.code}-{org.kvk_number}.pdf", org.name,
                     f"{req.code} {req.title}", req.evidence_label or ""),
                organisation=org, by=user)
            if req.evidence_expires:
                days = rnd.randint(18, 45) if near_expiry else rnd.randint(180, 720)
                parts["valid_until"] = today + timedelta(days=days)
        values[req.id] = parts
    applications.save_answers(application, values, documents, by=user)


def _verdicts(application: Application, cast: Cast, failing: set[str] | None = None,
              only_first: int | None = None) -> None:
    failing = failing or set()
    reqs = application.applicable_requirements()
    if only_first is not None:
        reqs = reqs[:only_first]
    assessment.record_verdicts(application, {
        r.id: ((VerdictOutcome.VOLDOET_NIET, DECLINED_REASON if r.code == "A5"
                else f"{r.code}: het antwoord voldoet niet aan de eis.")
               if r.code in failing else (VerdictOutcome.VOLDOET, ""))
        for r in reqs}, by=cast.first)


def _propose(application: Application, cast: Cast, failing: set[str]) -> None:
    reqs = application.applicable_requirements()
    decisions = {}
    for cat in application.categories:
        failed = [r.id for r in reqs if r.code in failing and r.applies_to({cat.id})]
        if failed:
            decisions[cat.id] = (Outcome.AFGEWEZEN, "Niet voldaan aan de minimumeisen: "
                                 + ", ".join(r.code for r in reqs if r.id in failed) + ".", failed)
        else:
            decisions[cat.id] = (Outcome.TOEGELATEN, "De aanbieder voldoet aan alle "
                                                     "minimumeisen van deze categorie.", [])
    assessment.propose_decision(application, decisions, by=cast.first)


def _failing_for(story: str, application: Application) -> set[str]:
    if story == "rejected":
        return {"A5"}
    if story == "partly":
        codes = {r.code for r in application.applicable_requirements()
                 if not r.is_general and r.categories and r.categories[-1].code == "leefgroepen"}
        return codes or {"A5"}
    return set()


def _play(story: str, application: Application, user: User, cast: Cast,
          rnd: random.Random) -> None:
    """Move one submitted application along its story through the operations."""
    if story == "submitted":
        return
    if story == "withdrawn":
        applications.withdraw(application, by=user, reason="Wij richten ons voorlopig op "
                                                          "een andere regio.")
        return
    assessment.start_review(application, by=cast.first)
    assessment.declare_no_conflict(application, by=cast.first)
    if story == "review":
        # The general requirements up to A4 judged: the review goes on at A5, with evidence.
        _verdicts(application, cast, only_first=4)
        return
    if story == "completion" or rnd.random() < 0.3:
        a8 = next((r for r in application.applicable_requirements() if r.asks_amount), None)
        target = a8 or application.applicable_requirements()[0]
        assessment.request_completion(
            application, {target.id: "Stuur de polis waarop het verzekerde bedrag per "
                                     "aanspraak staat."}, by=cast.first)
        if story == "completion":
            return
        assessment.return_completion(application, by=user, note="De polis is toegevoegd.")
    failing = _failing_for(story, application)
    _verdicts(application, cast, failing)
    _propose(application, cast, failing)
    if story == "proposed":
        return
    assessment.approve_decision(application, by=cast.second, no_conflict=True)


def _after_decision(story: str, application: Application, user: User, cast: Cast,
                    rnd: random.Random, cats: dict[str, Category]) -> list[Admission]:
    admissions = list(db.session.scalars(select(Admission).where(
        Admission.application_id == application.id)))
    if not admissions or story == "offered":
        return admissions
    partners.accept_agreement(admissions[0].agreement, by=user,
                              ip_address=f"192.0.2.{10 + application.id % 200}")
    today = today_local()
    for admission in admissions:
        for n in range(rnd.randint(1, 2)):
            town = application.organisation.city if n == 0 else rnd.choice(
                ("Breda", "Oosterhout", "Made", "Raamsdonksveer", "Werkendam"))
            age_min = rnd.choice((None, 0, 4, 12, 16))
            capacity.report_capacity(application.organisation, capacity.CapacityInput(
                category_id=admission.category_id, location=town,
                places=rnd.choice((0, 1, 1, 2, 2, 3, 4)),
                available_from=today + timedelta(days=rnd.choice((0, 0, 7, 14, 30))),
                age_min=age_min, age_max=None if age_min is None else min(age_min + 6, 23),
                remarks=rnd.choice(CAPACITY_REMARKS)), by=user)
    first = admissions[0]
    if story == "suspended":
        partners.suspend(first, by=cast.admin, reason="Onderzoek naar een melding van de "
                                                      "inspectie.", starts_on=today,
                         ends_on=today + timedelta(days=60))
    elif story == "ended":
        partners.end(first, by=cast.admin, reason="Op verzoek van de aanbieder: de locatie "
                                                  "is gesloten.", ends_on=today)
    elif story == "notice":
        partners.end_by_partner(first, by=user, reason="Wij stoppen met deze vorm van zorg.")
    return admissions


def _replace_near_expiry(org: Organisation, user: User) -> None:
    """A partner whose evidence nearly expires sends a new version (for review)."""
    tracked = compliance.tracked_dates(org.id)
    if tracked:
        document_id = min(tracked, key=lambda d: (tracked[d], d))
        compliance.submit_replacement(org, document_id,
                                      _pdf(f"nieuw-{org.kvk_number}.pdf", org.name,
                                           "Nieuwe versie van een bewijsstuk"),
                                      today_local() + timedelta(days=365), by=user)


def _draft_for_the_demo_provider(procedure: Procedure, rnd: random.Random) -> None:
    """The README's demo provider (KvK 12345678) finds a draft for Pleegzorg, half done."""
    user = db.session.scalar(select(User).join(Organisation, User.organisation_id == Organisation.id)
                             .where(Organisation.kvk_number == "12345678", User.role == Role.PROVIDER)
                             .order_by(User.id).limit(1))
    cats = _categories(procedure)
    if user is None or "pleegzorg" not in cats or db.session.scalar(
            select(Application.id).where(Application.organisation_id == user.organisation_id)):
        return
    application = applications.create_application(procedure, [cats["pleegzorg"]], by=user)
    _fill(application, user, rnd, near_expiry=False, agb_code=user.organisation.agb_code or "",
          complete=False)


def _questions(procedure: Procedure, askers: list[User], cast: Cast) -> None:
    for n, (subject, body, answer) in enumerate(QUESTIONS):
        question = qa.ask(procedure, subject, body, by=askers[n % len(askers)])
        if n == len(QUESTIONS) - 1:
            continue  # one question waits for the region's answer
        qa.answer(question, answer, by=cast.admin)
        qa.publish(question, body, answer, by=cast.admin)


def seed_tariffs(procedure: Procedure, by: User) -> int:
    """Publish prices for every active product that has none yet, for each year from the
    term's first up to the current tariff year (submitting needs the current year's;
    a later year's are the first year's indexed by 2.5 % a year). Returns the number
    published (0 when every product has its prices)."""
    first = procedure.term_start.year
    last = procedure_settings.public_tariff_year(procedure)
    products = procedure_settings.products_of(procedure)
    existing = procedure_settings.tariffs_by_product(procedure, range(first, last + 1))
    rnd = random.Random(f"{RANDOM_SEED}-tariffs")
    base = {}
    for product in sorted(products, key=lambda p: p.code):
        code = product.category.code if product.category is not None else ""
        base[product.id] = Decimal(BASE_PRICES.get(code, 120)) + Decimal(rnd.randint(0, 2400)) / 100
    published = 0
    for year in range(first, last + 1):
        factor = Decimal("1.025") ** (year - first)
        prices = {p.id: (base[p.id] * factor).quantize(Decimal("0.01")) for p in products
                  if (p.id, year) not in existing}
        if prices:
            procedure_settings.set_prices(procedure, year, prices, by=by)
            published += procedure_settings.publish_tariffs(procedure, year, by=by)
    return published


def _spread_history(apps: list[tuple[str, Application]], procedure: Procedure,
                    rnd: random.Random) -> None:
    """Move the submission and decision moments back over the weeks since the publication
    (at most 20 weeks): the operations stamped them all "now"."""
    now = utcnow()
    today = today_local()
    published = publication_date(procedure) or today
    span = max(0, min((today - published).days, 140))
    weeks = procedure.decision_period_weeks
    overdue_shown = False
    for story, application in apps:
        if application.submitted_at is None:
            continue
        if story in DECIDED:
            ago = rnd.randint(min(span, 20), span) if span else 0
            lead = min(ago, rnd.randint(12, 55))
        elif story == "submitted" and not overdue_shown:
            # One application waits longer than the decision period: the report shows it.
            ago, lead, overdue_shown = min(span, weeks * 7 + 5), 0, True
        else:
            ago, lead = (rnd.randint(0, min(span, 40)), 0)
        submitted = now - timedelta(days=ago, hours=rnd.randint(0, 8))
        application.submitted_at = submitted
        application.created_at = min(application.created_at, submitted)
        application.decision_due = decision_due((today - timedelta(days=ago)), weeks)
        if application.decided_at is not None:
            decided = submitted + timedelta(days=lead, hours=rnd.randint(1, 6))
            application.decided_at = min(decided, now)
            for d in db.session.scalars(select(CategoryDecision).where(
                    CategoryDecision.application_id == application.id)):
                d.proposed_at = application.decided_at - timedelta(days=min(lead, 2))
                d.approved_at = application.decided_at
            for admission in db.session.scalars(select(Admission).where(
                    Admission.application_id == application.id)):
                admission.admitted_at = application.decided_at
                if admission.activated_at is not None:
                    admission.activated_at = min(now, application.decided_at
                                                 + timedelta(days=rnd.randint(1, 6)))


def deliver_most() -> None:
    """Send all but the last few queued mails (in development without an SMTP server they
    are only printed: not to the console here). With a real SMTP server nothing is sent:
    the demo addresses are fictional."""
    if not notifications.console_mode():
        return
    ids = db.session.scalars(select(OutboxMail.id).where(OutboxMail.status == MailStatus.QUEUED)
                             .order_by(OutboxMail.id)).all()
    if len(ids) <= MAILS_LEFT_QUEUED:
        return
    with contextlib.redirect_stdout(io.StringIO()):
        send_queued(limit=len(ids), only_ids=ids[:-MAILS_LEFT_QUEUED])


def seed_region(cast: Cast, password: str) -> bool:
    """Add the demo region once; returns whether anything was added. The caller commits,
    then may call ``deliver_most`` (delivery claims each mail in its own transaction)."""
    procedure = db.session.scalar(select(Procedure).order_by(Procedure.id))
    if procedure is None:
        return False
    seed_tariffs(procedure, cast.admin)
    if is_seeded() or application_window(procedure).state != WindowState.OPEN:
        return False
    rnd = random.Random(RANDOM_SEED)
    cats = _categories(procedure)
    apps: list[tuple[str, Application]] = []
    near_expiry_left = 3
    with _one_hash_per_password():
        users = [_register(index, spec, password) for index, spec in enumerate(PROVIDERS)]
    for index, (spec, user) in enumerate(zip(PROVIDERS, users, strict=True)):
        story = STORIES[index % len(STORIES)]
        chosen = _choose_categories(spec[0], story, cats, rnd)
        application = applications.create_application(procedure, chosen, by=user)
        near = story == "active" and near_expiry_left > 0 and index > 2
        near_expiry_left -= near
        agb = str(AGB_BASE + index)
        _fill(application, user, rnd, near_expiry=near, agb_code=agb,
              complete=story != "concept")
        apps.append((story, application))
        if story == "concept":
            continue
        applications.submit(application, by=user)
        # The two demo assessors take turns in deciding (four eyes: one proposes, the
        # other approves); the applications still in review are the first one's.
        actors = cast if index % 2 == 0 or story not in DECIDED else Cast(
            first=cast.second, second=cast.first, admin=cast.admin)
        _play(story, application, user, actors, rnd)
        if story in DECIDED:
            _after_decision(story, application, user, actors, rnd, cats)
        if near:
            _replace_near_expiry(application.organisation, user)
    _questions(procedure, users, cast)
    _draft_for_the_demo_provider(procedure, rnd)
    _spread_history(apps, procedure, rnd)
    db.session.flush()
    return True


def demo_cast(first_email: str, second_email: str, admin_email: str) -> Cast | None:
    people = {u.email: u for u in db.session.scalars(select(User).where(
        User.email.in_([first_email, second_email, admin_email])))}
    if len(people) < 3 or any(u.role == Role.PROVIDER for u in people.values()):
        return None
    return Cast(first=people[first_email], second=people[second_email], admin=people[admin_email])
