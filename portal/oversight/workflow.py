"""Verantwoordingsdialogen: the region plans a dialogue with an active partner, records its
minutes and the action points agreed; the partner confirms the minutes (or answers with a
remark) and marks the action points addressed to it done. Overdue action points are
mailed to their owner side once a day (``remind_overdue``, run by ``flask partners daily``).

Every function takes the actor ``by``, checks the role and the state, writes the audit
event and queues the mails; the caller commits."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from functools import cache

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import joinedload

from .. import audit, notifications
from ..accounts.models import Organisation, User
from ..auth import require_role
from ..errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..monitoring.models import ReportingRound
from ..partners.models import Admission, AdmissionStatus
from ..partners.workflow import partner_recipients
from ..timeutil import today_local, utcnow
from .models import ActionPoint, ActionStatus, Dialogue, OwnerSide

STAFF_ONLY = N_("Alleen medewerkers van de regio kunnen dit doen.")
NOT_ACTIVE = N_("Deze organisatie heeft geen actieve toelating. Een verantwoordingsdialoog "
                "kan alleen met een actieve partner worden gepland.")
# "Name (role)" or "Name – role" / "Name - role" / "Name, role".
PARTICIPANT = re.compile(r"^(?P<name>[^(–,-]+?)\s*(?:\((?P<role1>[^)]+)\)|[–,-]\s*(?P<role2>.+))$")
MAX_TEXT = 10000

ACTION_TRANSITIONS: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.OPEN: frozenset({ActionStatus.GEREED, ActionStatus.VERVALLEN}),
    ActionStatus.GEREED: frozenset({ActionStatus.OPEN}),
    ActionStatus.VERVALLEN: frozenset({ActionStatus.OPEN}),
}


def _require_staff(user: User) -> None:
    require_role(user, "assessor", _(STAFF_ONLY))


def _require_partner_user(user: User, organisation_id: int) -> None:
    if not (user is not None and user.is_active and user.is_provider
            and user.organisation_id == organisation_id):
        raise NotPermitted(_("Alleen gebruikers van de eigen organisatie kunnen dit doen."))


def is_active_partner(organisation_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Admission.organisation_id == organisation_id,
        Admission.status == AdmissionStatus.ACTIEF))))


def _text(value) -> str:
    return (value or "").strip()


def _lines(value) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# --- planning --------------------------------------------------------------------------------

@dataclass
class DialoguePlan:
    organisation_id: int | None
    meeting_date: date | None
    meeting_time: time | None
    place: str
    online: bool
    participants: str
    agenda: str
    reporting_round_id: int | None = None


def plan_dialogue(plan: DialoguePlan, *, by: User) -> Dialogue:
    """Plan a verantwoordingsdialoog with an active partner; the partner is told by mail."""
    _require_staff(by)
    errors = []
    organisation = (db.session.get(Organisation, plan.organisation_id)
                    if plan.organisation_id else None)
    if organisation is None:
        errors.append(("organisation_id", _("Kies de partner met wie de dialoog is.")))
    elif not is_active_partner(organisation.id):
        errors.append(("organisation_id", _(NOT_ACTIVE)))
    if plan.meeting_date is None:
        errors.append(("meeting_date", _("Vul de datum van de dialoog in.")))
    if plan.meeting_time is None:
        errors.append(("meeting_time", _("Vul het tijdstip van de dialoog in.")))
    if not _text(plan.place):
        errors.append(("place", _("Vul de plaats in, of de link van het online overleg.")))
    elif len(_text(plan.place)) > 300:
        errors.append(("place", _("De plaats is te lang (maximaal 300 tekens).")))
    participants = _lines(plan.participants)
    if not participants:
        errors.append(("participants", _("Vul de deelnemers in: één per regel, met naam en rol.")))
    for number, line in enumerate(participants, start=1):
        if not PARTICIPANT.match(line):
            errors.append(("participants", _("Deelnemer %(number)s ('%(line)s'): geef naam en "
                                             "rol, bijvoorbeeld 'Jan Jansen (contractmanager)'.",
                                             number=number, line=line[:60])))
            break
    if not _lines(plan.agenda):
        errors.append(("agenda", _("Vul de agenda in: de rapportages en bevindingen die op tafel "
                                   "liggen, één onderwerp per regel.")))
    if plan.reporting_round_id and db.session.get(ReportingRound, plan.reporting_round_id) is None:
        errors.append(("reporting_round_id", _("Kies een bestaande verantwoordingsronde, of geen.")))
    for name in ("participants", "agenda"):
        if len(getattr(plan, name) or "") > MAX_TEXT:
            errors.append((name, _("Deze tekst is te lang (maximaal %(max)s tekens).", max=MAX_TEXT)))
    if errors:
        raise ValidationFailed(errors)
    dialogue = Dialogue(organisation_id=organisation.id, meeting_date=plan.meeting_date,
                        meeting_time=plan.meeting_time, place=_text(plan.place),
                        online=bool(plan.online), participants="\n".join(participants),
                        agenda="\n".join(_lines(plan.agenda)),
                        reporting_round_id=plan.reporting_round_id or None,
                        created_by_id=by.id)
    dialogue.organisation = organisation
    db.session.add(dialogue)
    db.session.flush()
    audit.record("dialogue_planned", dialogue, actor=by, to_state="gepland",
                 detail=f"{organisation.name}: {plan.meeting_date} {plan.meeting_time:%H:%M}")
    _mail_partner(dialogue, "dialogue_planned",
                  f"Verantwoordingsdialoog op {plan.meeting_date:%d-%m-%Y}")
    return dialogue


def _mail_partner(dialogue: Dialogue, kind: str, subject: str, **context) -> None:
    for recipient in partner_recipients(dialogue.organisation):
        notifications.queue(kind, recipient, subject=subject, organisation=dialogue.organisation,
                            dialogue=dialogue, **context)


# --- minutes and action points -----------------------------------------------------------------

def _refuse_when_confirmed(dialogue: Dialogue) -> None:
    if dialogue.confirmed_at is not None:
        raise DomainError(_("Het verslag van deze dialoog is al bevestigd door de partner; het "
                            "kan niet meer worden gewijzigd."))


def record_minutes(dialogue: Dialogue, minutes: str, *, by: User,
                   today: date | None = None) -> None:
    """The region records (or corrects, before confirmation) the minutes; the partner is
    asked to confirm them."""
    _require_staff(by)
    today = today or today_local()
    if not _text(minutes):
        raise ValidationFailed([("minutes", _("Vul het verslag van de dialoog in."))])
    if len(minutes) > MAX_TEXT * 5:
        raise ValidationFailed([("minutes", _("Het verslag is te lang (maximaal 50000 tekens)."))])
    _refuse_when_confirmed(dialogue)
    if dialogue.meeting_date > today:
        meeting = f"{dialogue.meeting_date:%d-%m-%Y}"
        raise ValidationFailed([("minutes", _(
            "Het verslag kan pas worden vastgelegd op of na de datum van de dialoog (%(date)s).",
            date=meeting))])
    first = dialogue.minutes is None
    dialogue.minutes = _text(minutes)
    dialogue.minutes_recorded_at = utcnow()
    dialogue.minutes_recorded_by_id = by.id
    dialogue.partner_remark = None
    dialogue.partner_remark_at = None
    audit.record("dialogue_minutes_recorded" if first else "dialogue_minutes_changed", dialogue,
                 actor=by, from_state="gepland" if first else "verslag_ter_bevestiging",
                 to_state="verslag_ter_bevestiging")
    _mail_partner(dialogue, "dialogue_minutes",
                  f"Verslag van de verantwoordingsdialoog van {dialogue.meeting_date:%d-%m-%Y} "
                  "ter bevestiging", action_points=list(dialogue.action_points))


@dataclass
class ActionInput:
    description: str
    owner_side: str | None
    owner_name: str
    due_on: date | None


def add_action_point(dialogue: Dialogue, data: ActionInput, *, by: User,
                     today: date | None = None) -> ActionPoint:
    """An agreement of the dialogue: what, who (region or partner, a named person), when."""
    _require_staff(by)
    today = today or today_local()
    errors = []
    if not _text(data.description):
        errors.append(("description", _("Beschrijf het actiepunt.")))
    elif len(data.description) > MAX_TEXT:
        errors.append(("description", _("De omschrijving is te lang (maximaal %(max)s tekens).",
                                          max=MAX_TEXT)))
    side = next((s for s in OwnerSide if s.value == data.owner_side), None)
    if side is None:
        errors.append(("owner_side", _("Kies wie het actiepunt uitvoert: de regio of de partner.")))
    if not _text(data.owner_name):
        errors.append(("owner_name", _("Vul de naam in van wie het actiepunt uitvoert.")))
    elif len(_text(data.owner_name)) > 200:
        errors.append(("owner_name", _("De naam is te lang (maximaal 200 tekens).")))
    if data.due_on is None:
        errors.append(("due_on", _("Vul de uiterste datum van het actiepunt in.")))
    elif data.due_on < today:
        errors.append(("due_on", _("De uiterste datum van het actiepunt kan niet in het verleden "
                                   "liggen.")))
    if errors:
        raise ValidationFailed(errors)
    _refuse_when_confirmed(dialogue)
    point = ActionPoint(dialogue=dialogue, organisation_id=dialogue.organisation_id,
                        description=_text(data.description), owner_side=side,
                        owner_name=_text(data.owner_name), due_on=data.due_on,
                        status=ActionStatus.OPEN, created_by_id=by.id)
    db.session.add(point)
    db.session.flush()
    audit.record("action_point_added", point, actor=by, to_state=ActionStatus.OPEN,
                 detail=f"{side.label}: {point.owner_name}, uiterlijk {data.due_on}")
    return point


# --- the partner's answer ----------------------------------------------------------------------

def confirm_minutes(dialogue: Dialogue, *, by: User, remark: str = "") -> None:
    """The partner confirms the minutes (with an optional remark); once."""
    _require_partner_user(by, dialogue.organisation_id)
    if not dialogue.minutes:
        raise DomainError(_("Er is nog geen verslag om te bevestigen."))
    if dialogue.confirmed_at is not None:
        confirmed = f"{dialogue.confirmed_at:%d-%m-%Y}"
        raise DomainError(_("Het verslag is al bevestigd op %(date)s.", date=confirmed))
    if len(remark or "") > MAX_TEXT:
        raise ValidationFailed([("remark", _("De opmerking is te lang (maximaal %(max)s "
                                             "tekens).", max=MAX_TEXT))])
    dialogue.confirmed_at = utcnow()
    dialogue.confirmed_by_id = by.id
    if _text(remark):
        dialogue.partner_remark = _text(remark)
        dialogue.partner_remark_at = dialogue.confirmed_at
    audit.record("dialogue_minutes_confirmed", dialogue, actor=by,
                 from_state="verslag_ter_bevestiging", to_state="verslag_bevestigd",
                 detail=_text(remark))
    _mail_region(dialogue, "Verslag bevestigd door " + dialogue.organisation.name,
                 confirmed=True, by=by)


def respond_to_minutes(dialogue: Dialogue, remark: str, *, by: User) -> None:
    """The partner does not confirm yet: it answers the minutes with a remark."""
    _require_partner_user(by, dialogue.organisation_id)
    if not _text(remark):
        raise ValidationFailed([("remark", _("Vul uw opmerking bij het verslag in."))])
    if len(remark) > MAX_TEXT:
        raise ValidationFailed([("remark", _("De opmerking is te lang (maximaal %(max)s "
                                             "tekens).", max=MAX_TEXT))])
    if not dialogue.minutes:
        raise DomainError(_("Er is nog geen verslag om op te reageren."))
    if dialogue.confirmed_at is not None:
        confirmed = f"{dialogue.confirmed_at:%d-%m-%Y}"
        raise DomainError(_("Het verslag is al bevestigd op %(date)s.", date=confirmed))
    dialogue.partner_remark = _text(remark)
    dialogue.partner_remark_at = utcnow()
    audit.record("dialogue_minutes_remark", dialogue, actor=by, detail=_text(remark))
    _mail_region(dialogue, "Opmerking bij het verslag van " + dialogue.organisation.name,
                 confirmed=False, by=by)


def _mail_region(dialogue: Dialogue, subject: str, **context) -> None:
    """The region's side of a dialogue: the contract manager who planned it."""
    planner = db.session.get(User, dialogue.created_by_id)
    if planner is not None and planner.is_active:
        notifications.queue("dialogue_answered", planner.email, subject=subject, user=planner,
                            organisation=dialogue.organisation, dialogue=dialogue, **context)


def complete_action_point(point: ActionPoint, note: str, *, by: User) -> None:
    """The partner marks an action point addressed to it done, with a note."""
    _require_partner_user(by, point.organisation_id)
    if point.owner_side != OwnerSide.PARTNER:
        raise NotPermitted(_("Dit actiepunt is voor de regio; alleen de regio kan het afronden."))
    if not _text(note):
        raise ValidationFailed([("note", _("Vul een toelichting in: wat is er gedaan?"))])
    if len(note) > MAX_TEXT:
        raise ValidationFailed([("note", _("De toelichting is te lang (maximaal %(max)s "
                                           "tekens).", max=MAX_TEXT))])
    _change_action_status(point, ActionStatus.GEREED, by=by, note=note)


def set_action_status(point: ActionPoint, status: str | None, note: str, *, by: User) -> None:
    """The region sets an action point to gereed or vervallen, or opens it again."""
    _require_staff(by)
    new = next((s for s in ActionStatus if s.value == status), None)
    if new is None:
        raise ValidationFailed([("status", _("Kies de nieuwe status van het actiepunt."))])
    if len(note or "") > MAX_TEXT:
        raise ValidationFailed([("note", _("De toelichting is te lang (maximaal %(max)s "
                                           "tekens).", max=MAX_TEXT))])
    _change_action_status(point, new, by=by, note=note)


def _change_action_status(point: ActionPoint, new: ActionStatus, *, by: User, note: str) -> None:
    old = point.status
    if new not in ACTION_TRANSITIONS[old]:
        raise TransitionNotAllowed(_("Dit actiepunt is '%(old)s' en kan niet naar "
                                     "'%(new)s' gaan.", old=old.label, new=new.label))
    point.status = new
    if new == ActionStatus.OPEN:
        point.closed_at = point.closed_by_id = point.closing_note = None
    else:
        point.closed_at = utcnow()
        point.closed_by_id = by.id
        point.closing_note = _text(note) or None
    audit.record("action_point_status_changed", point, actor=by, from_state=old, to_state=new,
                 detail=_text(note))


# --- overdue action points -------------------------------------------------------------------

def overdue_query(today: date):
    return select(ActionPoint).where(ActionPoint.status == ActionStatus.OPEN,
                                     ActionPoint.due_on < today)


@cache
def _partner_tasks_statement():
    """Built once, the organisation, the day and the limit parameters (on every provider
    dashboard)."""
    overdue = and_(ActionPoint.dialogue_id == Dialogue.id,
                   ActionPoint.owner_side == OwnerSide.PARTNER,
                   ActionPoint.status == ActionStatus.OPEN,
                   ActionPoint.due_on < bindparam("tasks_today"))
    return (select(Dialogue, ActionPoint).outerjoin(ActionPoint, overdue)
            .where(Dialogue.organisation_id == bindparam("tasks_organisation_id"),
                   or_(and_(Dialogue.minutes.is_not(None), Dialogue.confirmed_at.is_(None)),
                       ActionPoint.id.is_not(None)))
            .order_by(Dialogue.meeting_date, Dialogue.id, ActionPoint.due_on, ActionPoint.id)
            .limit(bindparam("tasks_limit")))


def partner_tasks(organisation_id: int, today: date, limit: int = 20) -> dict:
    """What asks the partner's action, in one statement: the dialogues whose minutes wait
    for its confirmation and its overdue action points."""
    rows = db.session.execute(_partner_tasks_statement(), {
        "tasks_organisation_id": organisation_id, "tasks_today": today,
        "tasks_limit": limit}).all()
    minutes = {d.id: d for d, _point in rows if d.minutes and d.confirmed_at is None}
    return {"minutes": list(minutes.values()), "overdue": [p for _dialogue, p in rows if p is not None]}


def remind_overdue(today: date | None = None) -> int:
    """Mail each owner side its overdue action points, once a day: the partner's contact
    address and beheerders for the partner's points, the contract manager who planned the
    dialogue for the region's. Returns the number of mails queued."""
    today = today or today_local()
    points = db.session.scalars(
        overdue_query(today).where(or_(ActionPoint.overdue_mailed_on.is_(None),
                                       ActionPoint.overdue_mailed_on < today))
        .options(joinedload(ActionPoint.organisation), joinedload(ActionPoint.dialogue))
        .order_by(ActionPoint.organisation_id, ActionPoint.due_on, ActionPoint.id)
        .limit(5000)).all()
    partner_side: dict[int, list[ActionPoint]] = {}
    region_side: dict[int, list[ActionPoint]] = {}
    for point in points:
        if point.owner_side == OwnerSide.PARTNER:
            partner_side.setdefault(point.organisation_id, []).append(point)
        else:
            region_side.setdefault(point.dialogue.created_by_id, []).append(point)
    sent = 0
    for group in partner_side.values():
        organisation = group[0].organisation
        for recipient in partner_recipients(organisation):
            notifications.queue("action_points_overdue_partner", recipient,
                                subject=f"{len(group)} actiepunt(en) over de datum",
                                organisation=organisation, partner=organisation,
                                action_points=group)
            sent += 1
    planners = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(list(region_side))))} if region_side else {}
    for planner_id, group in region_side.items():
        planner = planners.get(planner_id)
        if planner is not None and planner.is_active:
            notifications.queue("action_points_overdue_region", planner.email,
                                subject=f"{len(group)} actiepunt(en) van de regio over de datum",
                                user=planner, action_points=group)
            sent += 1
    for point in points:
        point.overdue_mailed_on = today
    return sent
