"""Questions to the region and their answers (vragen en antwoorden, nota van inlichtingen).

A provider asks a question; an administrator answers it (the asker gets the answer by
mail) and may publish an anonymised version of the question and the answer on the public
page; users who opted in get a mail when new questions and answers are published.

Like every workflow module: these functions check who may act, write the audit event and
queue the mails in the caller's transaction; they never touch the request.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit, notifications
from ..accounts.models import Organisation, User
from ..auth import require_role
from ..errors import DomainError, NotPermitted
from ..extensions import db
from ..i18n import N_, format_number
from ..i18n import gettext as _
from ..timeutil import utcnow
from .models import Procedure, Question

SUBJECT_MAX = 200
BODY_MAX = 5000
ANSWER_MAX = 10000
PUBLIC_MAX = 10000
TITLE_LENGTH = 120

STALE_MESSAGE = N_("Iemand anders heeft deze vraag intussen gewijzigd. U ziet nu de actuele "
                    "stand; controleer die en probeer het zo nodig opnieuw.")


class StaleQuestion(DomainError):
    """The question changed after the actor loaded it."""


# The same question by the same user within this time is a double click (or a form sent
# again): it is stored, and its receipt sent, once.
DUPLICATE_WINDOW = timedelta(minutes=10)
DUPLICATE_MESSAGE = N_("U heeft deze vraag net al gesteld. Hij is één keer verstuurd; u hoeft "
                        "hem niet opnieuw te versturen.")


class DuplicateQuestion(DomainError):
    """The user asked exactly this question a moment ago; ``question`` is that one."""

    def __init__(self, question: Question):
        super().__init__(_(DUPLICATE_MESSAGE))
        self.question = question


# --- reading helpers ---------------------------------------------------------------------

def version(question: Question) -> int:
    """A number that changes whenever the answer or the publication changes; forms carry it,
    so a form built on an older state is refused (there is no version column)."""
    state = "\x1f".join(str(part) for part in (
        question.answer, question.answered_at, question.public_question,
        question.public_answer, question.published_at))
    return zlib.crc32(state.encode("utf-8"))


def check_version(question: Question, expected: int | None) -> None:
    if expected is not None and expected != version(question):
        raise StaleQuestion(_(STALE_MESSAGE))


def is_answered(question: Question) -> bool:
    return question.answered_at is not None


def is_published(question: Question) -> bool:
    return question.published_at is not None


def public_title(question: Question, length: int = TITLE_LENGTH) -> str:
    """A short title from the anonymised question (the asker's subject is not anonymised,
    so it never appears in public)."""
    text = " ".join((question.public_question or "").split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(",.;:") + "…"


# --- rules ---------------------------------------------------------------------------------

def _require_provider(user: User) -> None:
    if not (user.is_provider and user.is_confirmed and user.is_active
            and user.organisation_id is not None):
        raise NotPermitted(_("Alleen aanbieders met een bevestigd account kunnen een vraag stellen."))


def _require_admin(user: User) -> None:
    require_role(user, "admin", _("Alleen de contractbeheerder mag vragen beantwoorden en publiceren."))


def may_see(question: Question, user: User) -> bool:
    """Administrators see every question; a provider only those of the own organisation."""
    if user.is_admin:
        return True
    return bool(user.is_provider and user.organisation_id is not None
                and user.organisation_id == question.organisation_id)


def _text(value: str | None, *, empty: str, maximum: int, too_long: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(empty)
    if len(text) > maximum:
        raise DomainError(too_long)
    return text


# --- changes ---------------------------------------------------------------------------------

def ask(procedure: Procedure, subject: str, body: str, *, by: User) -> Question:
    """A provider asks a question; the asker gets a receipt."""
    _require_provider(by)
    subject = _text(subject, empty=_("Vul een onderwerp in."), maximum=SUBJECT_MAX,
                    too_long=_("Het onderwerp mag maximaal %(max)s tekens lang zijn.",
                               max=SUBJECT_MAX))
    subject = " ".join(subject.split())  # a one-line subject (it goes into a mail header)
    body = _text(body, empty=_("Vul uw vraag in."), maximum=BODY_MAX,
                 too_long=_("Uw vraag mag maximaal %(max)s tekens lang zijn.",
                            max=format_number(BODY_MAX)))
    # One asker at a time (PostgreSQL: a row lock; SQLite has one writer anyway), so two
    # requests of one double click cannot both miss each other's question.
    db.session.execute(select(User.id).where(User.id == by.id).with_for_update())
    earlier = db.session.scalar(
        select(Question).where(Question.asked_by_id == by.id,
                               Question.procedure_id == procedure.id,
                               Question.subject == subject, Question.body == body,
                               Question.asked_at >= utcnow() - DUPLICATE_WINDOW)
        .order_by(Question.id.desc()).limit(1))
    if earlier is not None:
        raise DuplicateQuestion(earlier)
    question = Question(procedure_id=procedure.id, organisation_id=by.organisation_id,
                        asked_by_id=by.id, subject=subject, body=body, asked_at=utcnow())
    db.session.add(question)
    db.session.flush()
    audit.record("question_asked", question, actor=by, to_state="unanswered")
    organisation = by.organisation
    notifications.queue(
        "qa_receipt", by.email,
        subject=f"Ontvangstbevestiging van uw vraag: {subject}",
        organisation=organisation, user=by,
        question=question, procedure=procedure, name=by.full_name,
    )
    return question


def answer(question: Question, text: str, *, by: User, expected_version: int | None = None) -> bool:
    """Answer a question, or change its answer; the asker gets the answer by mail.

    Returns False when the answer did not change (nothing is recorded or mailed)."""
    _require_admin(by)
    check_version(question, expected_version)
    text = _text(text, empty=_("Schrijf een antwoord."), maximum=ANSWER_MAX,
                 too_long=_("Het antwoord mag maximaal %(max)s tekens lang zijn.",
                            max=format_number(ANSWER_MAX)))
    if is_answered(question) and question.answer == text:
        return False
    changed = is_answered(question)
    question.answer = text
    question.answered_by_id = by.id
    question.answered_at = utcnow()
    audit.record("question_answer_changed" if changed else "question_answered", question,
                 actor=by, from_state="answered" if changed else "unanswered",
                 to_state="answered")
    asker = db.session.get(User, question.asked_by_id)
    organisation = (db.session.get(Organisation, question.organisation_id)
                    if question.organisation_id else None)
    procedure = db.session.get(Procedure, question.procedure_id)
    notifications.queue(
        "qa_answer", asker.email,
        subject=(f"Gewijzigd antwoord op uw vraag: {question.subject}" if changed
                 else f"Antwoord op uw vraag: {question.subject}"),
        organisation=organisation, user=asker,
        question=question, procedure=procedure, name=asker.full_name, changed=changed,
    )
    return True


def publish(question: Question, public_question: str, public_answer: str, *, by: User,
            expected_version: int | None = None) -> bool:
    """Publish an anonymised version of an answered question, or change the published texts.

    Users who opted in are mailed when the question becomes public (not when its texts are
    edited later). Returns True when the question was newly published."""
    _require_admin(by)
    check_version(question, expected_version)
    if not is_answered(question):
        raise DomainError(_("Beantwoord de vraag eerst; daarna kunt u haar publiceren."))
    public_question = _text(
        public_question, empty=_("Vul de geanonimiseerde vraag in."), maximum=PUBLIC_MAX,
        too_long=_("De geanonimiseerde vraag mag maximaal %(max)s tekens lang zijn.",
                   max=format_number(PUBLIC_MAX)))
    public_answer = _text(
        public_answer, empty=_("Vul het geanonimiseerde antwoord in."), maximum=PUBLIC_MAX,
        too_long=_("Het geanonimiseerde antwoord mag maximaal %(max)s tekens lang zijn.",
                   max=format_number(PUBLIC_MAX)))
    newly = not is_published(question)
    if (not newly and question.public_question == public_question
            and question.public_answer == public_answer):
        return False
    question.public_question = public_question
    question.public_answer = public_answer
    if newly:
        question.published_at = utcnow()
        audit.record("question_published", question, actor=by, from_state="answered",
                     to_state="published")
        notify_subscribers([question])
    else:
        audit.record("question_public_text_changed", question, actor=by,
                     from_state="published", to_state="published")
    return newly


def unpublish(question: Question, *, by: User, expected_version: int | None = None) -> None:
    """Take a question off the public page. The anonymised texts stay, for a later
    publication."""
    _require_admin(by)
    check_version(question, expected_version)
    if not is_published(question):
        raise DomainError(_("Deze vraag is niet gepubliceerd."))
    question.published_at = None
    audit.record("question_unpublished", question, actor=by, from_state="published",
                 to_state="answered")


def set_notifications(user: User, enabled: bool, *, by: User) -> bool:
    """Opt in to (or out of) the mail about newly published questions and answers.
    Returns False when nothing changed."""
    if by.id != user.id:
        raise NotPermitted(_("U kunt alleen uw eigen e-mailinstellingen wijzigen."))
    if not (user.is_confirmed and user.is_active):
        raise NotPermitted(_("Alleen gebruikers met een bevestigd, actief account kunnen dit instellen."))
    enabled = bool(enabled)
    if user.qa_notifications == enabled:
        return False
    user.qa_notifications = enabled
    audit.record("qa_notifications_on" if enabled else "qa_notifications_off", user, actor=by)
    return True


@dataclass(frozen=True)
class PublishedItem:
    """What the subscribers' mail says about one newly published question."""

    id: int
    title: str


def notify_subscribers(questions: Iterable[Question]) -> int:
    """One mail per opted-in, active, confirmed user listing the newly published questions.
    Returns the number of mails queued."""
    items = [PublishedItem(q.id, public_title(q)) for q in questions]
    if not items:
        return 0
    subscribers = db.session.scalars(
        select(User)
        .where(User.qa_notifications.is_(True), User.is_active_account.is_(True),
               User.email_confirmed_at.is_not(None))
        .options(joinedload(User.organisation))
        .order_by(User.id)
    ).all()
    subject = ("Nieuwe vraag en antwoord gepubliceerd" if len(items) == 1
               else "Nieuwe vragen en antwoorden gepubliceerd") + " – Wonen met begeleiding"
    for user in subscribers:
        notifications.queue("qa_published", user.email, subject=subject,
                             organisation=user.organisation, user=user, items=items,
                             name=user.full_name)
    return len(subscribers)
