"""When the open house takes applications: from its publication up to and including the
current end of the term, while it is open; and its reopening on the announced date.

The procedure is *published* when its first requirement catalogue is published
(``versions.publish``, or the seed): that is the administrators' explicit act that puts
the requirements on the public page and makes applying possible. Its publication date is
the Amsterdam date of that first version's ``published_at``.

The current end is ``Procedure.current_end`` (the initial end moved by every exercised
extension option). After it, nobody creates, submits or is admitted any more.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import audit, notifications
from ..accounts.models import OrgRole, User
from ..applications.models import Application, Status
from ..errors import DomainError
from ..extensions import db
from ..i18n import gettext as _
from ..timeutil import to_local, today_local
from .models import CatalogueVersion, Procedure


class WindowState(str, enum.Enum):
    NOT_PUBLISHED = "not_published"
    OPEN = "open"
    CLOSED = "closed"  # temporarily, by the region
    ENDED = "ended"  # the term is over


@dataclass(frozen=True)
class ApplicationWindow:
    """Whether applications are taken on ``today``, and why not."""

    state: WindowState
    today: date
    opens_on: date | None  # the publication date
    ends_on: date  # the current end of the term (inclusive)
    notice: str | None = None  # the closed notice

    @property
    def is_open(self) -> bool:
        return self.state == WindowState.OPEN

    @property
    def has_ended(self) -> bool:
        return self.state == WindowState.ENDED


def publication_date(procedure: Procedure) -> date | None:
    """The Amsterdam date on which the procedure's first catalogue version was published
    (None: not published yet)."""
    first = db.session.scalar(
        select(func.min(CatalogueVersion.published_at))
        .where(CatalogueVersion.procedure_id == procedure.id,
               CatalogueVersion.published_at.is_not(None)))
    return to_local(first).date() if first is not None else None


def application_window(procedure: Procedure, today: date | None = None) -> ApplicationWindow:
    today = today or today_local()
    opens_on, ends_on = publication_date(procedure), procedure.current_end
    if today > ends_on:
        state = WindowState.ENDED
    elif opens_on is None or today < opens_on:
        state = WindowState.NOT_PUBLISHED
    elif not procedure.is_open:
        state = WindowState.CLOSED
    else:
        state = WindowState.OPEN
    return ApplicationWindow(state, today, opens_on, ends_on, procedure.closed_notice)


def _day(value: date) -> str:
    return f"{value:%d-%m-%Y}"


def term_ended_message(procedure: Procedure) -> str:
    return _("De looptijd van %(procedure)s is op %(date)s geëindigd. Aanmelden en toelaten "
             "zijn niet meer mogelijk.", procedure=procedure.name,
             date=_day(procedure.current_end))


def refusal(window: ApplicationWindow, procedure: Procedure, *, verb: str) -> str | None:
    """The Dutch reason why ``verb`` ("aanmelden", "indienen") cannot happen now, or None."""
    if window.state == WindowState.ENDED:
        return term_ended_message(procedure)
    if window.state == WindowState.NOT_PUBLISHED:
        if window.opens_on is None:
            return _("De procedure is nog niet gepubliceerd; aanmelden kan nog niet.")
        return _("De procedure wordt op %(date)s gepubliceerd; %(verb)s kan vanaf die dag.",
                 date=_day(window.opens_on), verb=verb)
    if window.state == WindowState.CLOSED:
        reason = (window.notice or "").strip()
        sentences = [_("Aanmelden is tijdelijk gesloten, dus %(verb)s kan nu niet.", verb=verb)]
        if reason:
            sentences.append(_("Mededeling van de regio: %(notice)s", notice=reason))
        if procedure.reopens_on:
            sentences.append(_("Aanmelden gaat weer open op %(date)s.",
                               date=_day(procedure.reopens_on)))
        return " ".join(sentences)
    return None


def require_open(procedure: Procedure, *, verb: str, today: date | None = None) -> None:
    """DomainError with the reason unless applications are taken today."""
    reason = refusal(application_window(procedure, today), procedure, verb=verb)
    if reason:
        raise DomainError(reason)


def term_has_ended(procedure: Procedure, today: date | None = None) -> bool:
    return (today or today_local()) > procedure.current_end


def require_term_running(procedure: Procedure, today: date | None = None) -> None:
    """DomainError once the term is over (nobody is admitted any more)."""
    if term_has_ended(procedure, today):
        raise DomainError(term_ended_message(procedure))


# --- reopening on the announced date (the daily run) --------------------------------------

def reopen_due(today: date | None = None) -> int:
    """Open every procedure whose temporary closure ends today (or ended before): audited
    with no actor, the public notice removed, subscribers told. Safe to run twice.
    Returns the number of procedures reopened."""
    today = today or today_local()
    due = db.session.scalars(select(Procedure).where(
        Procedure.is_open.is_(False), Procedure.reopens_on.is_not(None),
        Procedure.reopens_on <= today).order_by(Procedure.id)).all()
    reopened = 0
    for procedure in due:
        if today > procedure.current_end:
            continue  # the term is over: nothing to reopen
        reopened += 1
        notice, reopens_on = procedure.closed_notice, procedure.reopens_on
        procedure.is_open, procedure.closed_notice, procedure.reopens_on = True, None, None
        audit.record("applications_opened", procedure, actor=None, from_state="gesloten",
                     to_state="open",
                     detail=f"heropend op {reopens_on:%d-%m-%Y} (aangekondigde datum); "
                            f"mededeling verwijderd: {(notice or '').strip() or '(leeg)'}")
        _mail_reopened(procedure)
        db.session.commit()
    return reopened


def reopen_recipients(procedure: Procedure) -> list[User]:
    """Who hears that applying is open again: every confirmed, active user who asked for
    the procedure's news (the opt-in of the questions-and-answers mail), and the
    beheerders of organisations with a concept application in the procedure (their draft
    was kept while the house was closed)."""
    subscribers = select(User.id).where(User.qa_notifications.is_(True))
    with_draft = (select(User.id).join(Application,
                                       Application.organisation_id == User.organisation_id)
                  .where(Application.procedure_id == procedure.id,
                         Application.status == Status.CONCEPT,
                         User.org_role == OrgRole.BEHEERDER))
    return list(db.session.scalars(
        select(User).where(User.id.in_(subscribers.union(with_draft)),
                           User.is_active_account.is_(True),
                           User.email_confirmed_at.is_not(None))
        .order_by(User.id)))


def _mail_reopened(procedure: Procedure) -> None:
    for user in reopen_recipients(procedure):
        notifications.queue(
            "applications_reopened", user.email,
            subject=f"Aanmelden is weer open – {procedure.name}",
            organisation=user.organisation, user=user, name=user.full_name,
            procedure=procedure)
