"""Reporting rounds (verantwoordingsrondes) and the partners' reports.

An administrator opens a round for a period on a published version of the information
set and for some categories; every partner with an active admission in one of them is
asked (mail and a task on its dashboard) to report its figures per category before the
deadline. A figure is checked against its unit (a count is a whole number of at least 0,
a percentage lies between 0 and 100, a score between 1 and 10), the indicator's plausible
range and the totals of the report; a figure that misses its target needs an explanation.
A submitted report is never changed: a correction is a new report with a reason, and the
old one stays. After the round is closed nothing is reported any more. The daily command
reminds a partner that has not reported everything once before and once after the
deadline.

Like every operations module: these functions check who may act, write the audit event in
the caller's transaction and never touch the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, eager, files, notifications
from ..accounts.models import Organisation, User
from ..auth import require_role
from ..errors import DomainError, NotPermitted, ValidationFailed
from ..extensions import db
from ..i18n import gettext as _
from ..partners.models import Admission, AdmissionStatus
from ..partners.workflow import partner_recipients
from ..procedure.models import Category, Procedure
from ..timeutil import today_local, utcnow
from .indicators import CONSISTENCY, parse_number, show_number, unit_problem
from .models import (
    Frequency,
    Indicator,
    IndicatorReport,
    IndicatorSet,
    IndicatorValue,
    ReportAttachment,
    ReportingRound,
    RoundParticipant,
    round_participant_categories,
)

LABEL_MAX = 60
NOTE_MAX = 2000
EXPLANATION_MAX = 2000
REASON_MAX = 2000
ATTACHMENTS_MAX = 5
REMIND_BEFORE_DAYS = 7  # the first reminder, this many days before the deadline
REMIND_AFTER_DAYS = 3  # the second, this many days after it


# --- who may act ----------------------------------------------------------------------------

def _require_admin(user: User) -> None:
    require_role(user, "admin", _("Alleen de contractbeheerder mag verantwoordingsrondes beheren."))


def _require_partner_user(user: User, organisation: Organisation) -> None:
    if not (user is not None and user.is_active and user.is_provider
            and user.organisation_id == organisation.id):
        raise NotPermitted(_("U kunt alleen rapporteren voor uw eigen organisatie."))


# --- reading --------------------------------------------------------------------------------

def participant(reporting_round: ReportingRound, organisation_id: int) -> RoundParticipant | None:
    return db.session.scalar(select(RoundParticipant).where(
        RoundParticipant.round_id == reporting_round.id,
        RoundParticipant.organisation_id == organisation_id))


def asked_indicators(indicators: list[Indicator], category_id: int,
                     reporting_round: ReportingRound) -> list[Indicator]:
    """The indicators a partner reports for ``category_id`` in the round: those of the
    category (or of every category); a yearly indicator only in a round whose period ends
    on 31 December."""
    year_end = (reporting_round.period_end.month, reporting_round.period_end.day) == (12, 31)
    return [i for i in indicators if i.applies_to(category_id)
            and (i.frequency is Frequency.QUARTER or year_end)]


def current_reports(round_id: int, organisation_id: int) -> dict[int, IndicatorReport]:
    """The partner's current report per category in the round."""
    return {r.category_id: r for r in db.session.scalars(
        select(IndicatorReport).where(IndicatorReport.round_id == round_id,
                                      IndicatorReport.organisation_id == organisation_id,
                                      IndicatorReport.is_current))}


@cache
def _open_tasks_statement():
    """Built once, the organisation a parameter (on every provider dashboard)."""
    organisation_id = bindparam("tasks_organisation_id")
    reported = exists().where(IndicatorReport.round_id == ReportingRound.id,
                              IndicatorReport.organisation_id == organisation_id,
                              IndicatorReport.category_id == Category.id,
                              IndicatorReport.is_current)
    return (select(ReportingRound, Category)
            .join(RoundParticipant, RoundParticipant.round_id == ReportingRound.id)
            .join(round_participant_categories,
                  round_participant_categories.c.participant_id == RoundParticipant.id)
            .join(Category, Category.id == round_participant_categories.c.category_id)
            .where(RoundParticipant.organisation_id == organisation_id,
                   ReportingRound.closed_at.is_(None), ~reported)
            .order_by(ReportingRound.deadline, ReportingRound.id, Category.position)
            .limit(40))


def open_tasks(organisation_id: int) -> list[tuple[ReportingRound, Category]]:
    """What the partner still has to report: (round, category) of open rounds without a
    report, deadline first (the dashboard's tasks; one statement)."""
    return [tuple(row) for row in db.session.execute(
        _open_tasks_statement(), {"tasks_organisation_id": organisation_id})]


# --- rounds ---------------------------------------------------------------------------------

@dataclass
class RoundInput:
    label: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    deadline: date | None = None
    set_id: int | None = None
    category_ids: list[int] = field(default_factory=list)
    note: str | None = None


def _check_round(procedure: Procedure, data: RoundInput, today: date):
    errors: list[tuple[str, str]] = []
    label = " ".join((data.label or "").split())
    if not label:
        errors.append(("label", _("Vul de naam van de ronde in, bijvoorbeeld 2027 K1.")))
    elif len(label) > LABEL_MAX:
        errors.append(("label", _("Gebruik voor de naam hoogstens %(max)s tekens.", max=LABEL_MAX)))
    elif db.session.scalar(select(ReportingRound.id).where(
            ReportingRound.procedure_id == procedure.id,
            func.lower(ReportingRound.label) == label.lower())) is not None:
        errors.append(("label", _("Er is al een ronde met de naam %(label)s. Kies een andere naam.",
                                   label=label)))
    if data.period_start is None:
        errors.append(("period_start", _("Vul de eerste dag van de periode in.")))
    if data.period_end is None:
        errors.append(("period_end", _("Vul de laatste dag van de periode in.")))
    elif data.period_start is not None and data.period_end < data.period_start:
        errors.append(("period_end", _("De laatste dag van de periode ligt vóór de eerste dag.")))
    if data.deadline is None:
        errors.append(("deadline", _("Vul de uiterste datum in waarop partners rapporteren.")))
    elif data.deadline < today:
        errors.append(("deadline", _("De uiterste datum ligt in het verleden.")))
    elif data.period_end is not None and data.deadline < data.period_end:
        errors.append(("deadline", _("De uiterste datum ligt vóór het einde van de periode; "
                                     "partners rapporteren over een afgelopen periode.")))
    indicator_set = db.session.get(IndicatorSet, data.set_id) if data.set_id else None
    if indicator_set is None or indicator_set.procedure_id != procedure.id:
        errors.append(("set_id", _("Kies een gepubliceerde versie van de informatieset.")))
        indicator_set = None
    elif indicator_set.is_draft:
        errors.append(("set_id", _("Deze versie van de informatieset is nog een concept. Kies "
                                   "een gepubliceerde versie.")))
    ids = sorted(set(data.category_ids or []))
    categories = list(db.session.scalars(select(Category).where(
        Category.id.in_(ids), Category.procedure_id == procedure.id))) if ids else []
    if not ids:
        errors.append(("category_ids", _("Kies ten minste één categorie.")))
    elif len(categories) != len(ids):
        errors.append(("category_ids", _("Kies alleen categorieën van deze procedure.")))
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        errors.append(("note", _("Gebruik voor de toelichting hoogstens %(max)s tekens.",
                                 max=NOTE_MAX)))
    return label, indicator_set, categories, note, errors


def active_partners(category_ids: list[int]) -> dict[int, list[int]]:
    """Organisation id -> the ids of the given categories it has an active admission in."""
    partners: dict[int, list[int]] = {}
    for organisation_id, category_id in db.session.execute(
            select(Admission.organisation_id, Admission.category_id)
            .where(Admission.category_id.in_(category_ids),
                   Admission.status == AdmissionStatus.ACTIEF)
            .order_by(Admission.organisation_id, Admission.category_id)):
        partners.setdefault(organisation_id, []).append(category_id)
    return partners


def open_round(procedure: Procedure, data: RoundInput, *, by: User,
               today: date | None = None) -> ReportingRound:
    """Open a round and ask every active partner of its categories (mail, dashboard)."""
    _require_admin(by)
    today = today or today_local()
    label, indicator_set, categories, note, errors = _check_round(procedure, data, today)
    if errors:
        raise ValidationFailed(errors)
    reporting_round = ReportingRound(
        procedure_id=procedure.id, set_id=indicator_set.id, label=label,
        period_start=data.period_start, period_end=data.period_end, deadline=data.deadline,
        note=note, opened_by_id=by.id, categories=categories)
    db.session.add(reporting_round)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise DomainError(_("Er is zojuist al een ronde %(label)s geopend.", label=label)) from exc
    partners = active_partners([c.id for c in categories])
    organisations = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(list(partners))))} if partners else {}
    by_id = {c.id: c for c in categories}
    for organisation_id, category_ids in partners.items():
        organisation = organisations[organisation_id]
        db.session.add(RoundParticipant(round_id=reporting_round.id,
                                        organisation_id=organisation_id,
                                        categories=[by_id[c] for c in category_ids]))
        for recipient in partner_recipients(organisation):
            notifications.queue(
                "monitoring_round_opened", recipient, organisation=organisation,
                subject=f"Verantwoording {label}: rapporteer uw cijfers vóór "
                        f"{data.deadline:%d-%m-%Y}",
                reporting_round=reporting_round, organisation_name=organisation.name,
                category_names=[by_id[c].name for c in category_ids])
    db.session.flush()
    audit.record("reporting_round_opened", reporting_round, actor=by, to_state="open",
                 detail=f"{label}: {reporting_round.period_start.isoformat()} tot en met "
                        f"{reporting_round.period_end.isoformat()}, uiterlijk "
                        f"{reporting_round.deadline.isoformat()}, informatieset versie "
                        f"{indicator_set.number}, {len(partners)} partners gevraagd")
    return reporting_round


def close_round(reporting_round: ReportingRound, *, by: User) -> ReportingRound:
    """Close the round: nothing is reported or corrected in it any more."""
    _require_admin(by)
    if not reporting_round.is_open:
        raise DomainError(_("De ronde %(label)s is al gesloten.", label=reporting_round.label))
    reporting_round.closed_at = utcnow()
    reporting_round.closed_by_id = by.id
    db.session.flush()
    audit.record("reporting_round_closed", reporting_round, actor=by, from_state="open",
                 to_state="gesloten", detail=reporting_round.label)
    return reporting_round


# --- reports --------------------------------------------------------------------------------

@dataclass
class Figure:
    """One figure as typed: the text of the value and the explanation."""

    value: str | None = None
    explanation: str | None = None


def value_field(indicator: Indicator) -> str:
    return f"waarde_{indicator.code}"


def explanation_field(indicator: Indicator) -> str:
    return f"toelichting_{indicator.code}"


def check_figures(indicators: list[Indicator], figures: dict[str, Figure]):
    """The figures checked: (values by indicator id, explanations by indicator id, errors).
    ``figures`` is keyed by indicator code; every message names its indicator."""
    errors: list[tuple[str, str]] = []
    values: dict[int, Decimal] = {}
    explanations: dict[int, str | None] = {}
    by_code: dict[str, Decimal] = {}
    for indicator in indicators:
        figure = figures.get(indicator.code) or Figure()
        name = value_field(indicator)
        try:
            value = parse_number(figure.value)
        except ValueError:
            errors.append((name, _("%(indicator)s: '%(typed)s' is "
                                   "geen getal. Vul een getal in, zonder letters of tekens "
                                   "(decimalen met een komma).", indicator=indicator.name,
                                   typed=(figure.value or '').strip()[:20])))
            continue
        if value is None:
            errors.append((name, _("%(indicator)s: vul een waarde in (0 als er niets te "
                                   "melden is).", indicator=indicator.name)))
            continue
        problem = unit_problem(indicator.unit, value)
        if problem is None and abs(value) >= Decimal("1000000000"):
            problem = _("het getal is te groot.")
        if problem:
            errors.append((name, _("%(indicator)s: %(problem)s", indicator=indicator.name,
                                   problem=problem)))
            continue
        if indicator.plausible_min is not None and value < indicator.plausible_min or \
                indicator.plausible_max is not None and value > indicator.plausible_max:
            errors.append((name, _("%(indicator)s: %(value)s ligt buiten het "
                                   "aannemelijke bereik (%(min)s "
                                   "tot en met %(max)s). "
                                   "Controleer de waarde.", indicator=indicator.name,
                                   value=show_number(value),
                                   min=show_number(indicator.plausible_min),
                                   max=show_number(indicator.plausible_max))))
            continue
        explanation = (figure.explanation or "").replace("\r\n", "\n").strip()
        if len(explanation) > EXPLANATION_MAX:
            errors.append((explanation_field(indicator),
                           _("%(indicator)s: gebruik voor de toelichting hoogstens "
                             "%(max)s tekens.", indicator=indicator.name,
                             max=EXPLANATION_MAX)))
            continue
        if indicator.misses_target(value) and not explanation:
            errors.append((explanation_field(indicator),
                           _("%(indicator)s: %(value)s haalt de streefwaarde "
                             "(%(target)s, %(direction)s) "
                             "niet. Licht toe waardoor, en wat u eraan doet.",
                             indicator=indicator.name, value=show_number(value),
                             target=show_number(indicator.target),
                             direction=indicator.direction.label)))
            continue
        values[indicator.id] = value
        explanations[indicator.id] = explanation or None
        by_code[indicator.code] = value
    names = {i.code: i.name for i in indicators}
    for left, right in CONSISTENCY:
        if all(code in by_code for code in (*left, *right)):
            ended = sum(by_code[c] for c in left)
            available = sum(by_code[c] for c in right)
            if ended > available:
                first = next(i for i in indicators if i.code == left[0])
                errors.append((value_field(first),
                               _("%(ended_names)s (%(ended)s) "
                                 "is meer dan %(available_names)s "
                                 "(%(available)s). Controleer deze aantallen.",
                                 ended_names=" + ".join(names[c] for c in left),
                                 ended=show_number(ended),
                                 available_names=" + ".join(names[c] for c in right),
                                 available=show_number(available))))
    return values, explanations, errors


def submit_report(reporting_round: ReportingRound, organisation: Organisation,
                  category_id: int, figures: dict[str, Figure], *, by: User,
                  attachments=(), correction_reason: str | None = None,
                  correcting: bool = False) -> IndicatorReport:
    """A partner's figures for one category of the round; with ``correcting`` a new
    version of its current report, with a reason (the old version stays)."""
    _require_partner_user(by, organisation)
    asked = participant(reporting_round, organisation.id)
    if asked is None or category_id not in asked.category_id_list:
        raise NotPermitted(_("Uw organisatie is in deze ronde niet gevraagd voor deze categorie."))
    if not reporting_round.is_open:
        raise DomainError(_("De ronde %(label)s is gesloten. U kunt niet meer "
                            "rapporteren of corrigeren; neem contact op met de "
                            "contractbeheerder als een cijfer niet klopt.",
                            label=reporting_round.label))
    current = current_reports(reporting_round.id, organisation.id).get(category_id)
    errors: list[tuple[str, str]] = []
    reason = (correction_reason or "").replace("\r\n", "\n").strip()
    if current is not None and not correcting:
        raise DomainError(_("Uw organisatie heeft voor deze ronde en categorie al "
                            "gerapporteerd. Een tweede rapportage kan niet; dien een correctie "
                            "in met een reden."))
    if correcting and current is None:
        raise DomainError(_("Er is nog geen rapportage om te corrigeren."))
    if correcting and not reason:
        errors.append(("reason", _("Reden van de correctie: vul in wat er niet klopte.")))
    elif len(reason) > REASON_MAX:
        errors.append(("reason", _("Reden van de correctie: gebruik hoogstens %(max)s "
                                   "tekens.", max=REASON_MAX)))
    uploads = [f for f in attachments if f is not None and getattr(f, "filename", "")]
    if len(uploads) > ATTACHMENTS_MAX:
        errors.append(("attachments", _("Bijlagen: voeg hoogstens %(max)s bestanden "
                                        "toe.", max=ATTACHMENTS_MAX)))
    indicator_set = reporting_round.indicator_set
    indicators = asked_indicators(list(indicator_set.indicators), category_id, reporting_round)
    values, explanations, figure_errors = check_figures(indicators, figures)
    errors = figure_errors + errors
    if errors:
        raise ValidationFailed(errors)
    documents = []
    for upload in uploads:
        try:
            documents.append(files.store_upload(upload, organisation=organisation, by=by,
                                                allow_images=True, doc_type="verantwoording"))
        except files.UploadError as exc:
            raise ValidationFailed([("attachments", _("Bijlagen: %(message)s",
                                                        message=exc.message))]) from exc
    if current is not None:
        current.is_current = False
        db.session.flush()
    report = IndicatorReport(
        round_id=reporting_round.id, organisation_id=organisation.id, category_id=category_id,
        set_id=indicator_set.id, number=(current.number + 1) if current else 1,
        is_current=True, correction_reason=reason or None, submitted_by_id=by.id,
        replaces_id=current.id if current else None)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise DomainError(_("Er is zojuist tegelijk een andere rapportage voor deze ronde en "
                            "categorie opgeslagen. Bekijk die en dien zo nodig een correctie "
                            "in.")) from exc
    for indicator in indicators:
        db.session.add(IndicatorValue(report_id=report.id, indicator_id=indicator.id,
                                      value=values[indicator.id],
                                      explanation=explanations[indicator.id]))
    for document in {d.id: d for d in documents}.values():
        db.session.add(ReportAttachment(report_id=report.id, document_id=document.id))
    db.session.flush()
    category = db.session.get(Category, category_id)
    audit.record("indicator_report_corrected" if current else "indicator_report_submitted",
                 report, actor=by, to_state="ingediend",
                 detail=f"{reporting_round.label}, {category.code}, versie {report.number}"
                        + (f": {reason}" if reason else ""))
    return report


@cache
def _history_statements() -> dict:
    return {
        "reports": select(IndicatorReport).where(
            IndicatorReport.round_id == bindparam("history_round_id"),
            IndicatorReport.organisation_id == bindparam("history_organisation_id"),
            IndicatorReport.category_id == bindparam("history_category_id"))
        .options(joinedload(IndicatorReport.submitted_by))
        .order_by(IndicatorReport.number.desc()),
        "values": eager.collection(IndicatorReport.values, joinedload(IndicatorValue.indicator)),
        "attachments": eager.collection(IndicatorReport.attachments,
                                        joinedload(ReportAttachment.document)),
    }


def report_history(report: IndicatorReport) -> list[IndicatorReport]:
    """Every version of the partner's report for the round and category, newest first (with
    their values and attachments: three statements, built once)."""
    statements = _history_statements()
    reports = db.session.scalars(statements["reports"], {
        "history_round_id": report.round_id, "history_organisation_id": report.organisation_id,
        "history_category_id": report.category_id}).all()
    eager.fill(db.session, reports, statements["values"])
    eager.fill(db.session, reports, statements["attachments"])
    return list(reports)


# --- reminders (the daily command) ------------------------------------------------------------

def _missing(participant_row: RoundParticipant) -> list[int]:
    reported = set(db.session.scalars(select(IndicatorReport.category_id).where(
        IndicatorReport.round_id == participant_row.round_id,
        IndicatorReport.organisation_id == participant_row.organisation_id,
        IndicatorReport.is_current)))
    return [c for c in participant_row.category_id_list if c not in reported]


def remind(today: date | None = None) -> int:
    """Remind each partner that has not reported every category of an open round, once
    REMIND_BEFORE_DAYS days before the deadline (or later, up to the deadline) and once
    REMIND_AFTER_DAYS days after it. Each reminder commits with its mail: a second run the
    same day sends nothing twice. Returns the number of reminders."""
    today = today or today_local()
    before_from = today + timedelta(days=REMIND_BEFORE_DAYS)
    after_until = today - timedelta(days=REMIND_AFTER_DAYS)
    due = db.session.execute(
        select(RoundParticipant.id, ReportingRound.deadline)
        .join(ReportingRound, ReportingRound.id == RoundParticipant.round_id)
        .where(ReportingRound.closed_at.is_(None), ReportingRound.deadline <= before_from)
        .order_by(RoundParticipant.id)).all()
    sent = 0
    for participant_id, deadline in due:
        if deadline <= after_until:
            column, moment = RoundParticipant.reminder_after_at, "after"
        elif deadline >= today:
            column, moment = RoundParticipant.reminder_before_at, "before"
        else:
            continue  # between the deadline and the second reminder
        row = db.session.get(RoundParticipant, participant_id)
        if getattr(row, column.key) is not None:
            continue
        missing = _missing(row)
        if not missing:
            continue
        claimed = db.session.execute(
            update(RoundParticipant)
            .where(RoundParticipant.id == participant_id, column.is_(None))
            .values({column.key: utcnow()})
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        row = db.session.get(RoundParticipant, participant_id, populate_existing=True)
        reporting_round = row.reporting_round
        organisation = row.organisation
        names = [c.name for c in db.session.scalars(
            select(Category).where(Category.id.in_(missing)).order_by(Category.position))]
        late = moment == "after"
        for recipient in partner_recipients(organisation):
            notifications.queue(
                "monitoring_reminder", recipient, organisation=organisation,
                subject=(f"Herinnering: uw verantwoording {reporting_round.label} is te laat"
                         if late else f"Herinnering: verantwoording {reporting_round.label} "
                                      f"uiterlijk {deadline:%d-%m-%Y}"),
                reporting_round=reporting_round, organisation_name=organisation.name,
                category_names=names, late=late)
        audit.record("reporting_reminder_sent", row, detail=(
            f"{reporting_round.label}: {'na' if late else 'voor'} de uiterste datum, "
            f"{len(missing)} categorie(ën) open"))
        db.session.commit()
        sent += 1
    return sent
