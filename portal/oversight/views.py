"""The oversight part's pages: the region's dialogues and investigations (staff), and the
partner's view of its dialogues, action points and investigations (provider users).

Every form posts as a button with fields (``portal.actions.button`` with ``invalid``):
the fields' messages show at the form, the input kept; success, a refusal and a conflict
are a message on the page the browser goes back to."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import joinedload

from .. import eager
from ..accounts.models import Organisation
from ..accounts.search import kvk_number, name_matches, name_order, search_term
from ..actions import button, submit
from ..auth import assessor_required, provider_required
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..monitoring.models import Indicator, IndicatorSet, ReportingRound
from ..pagination import paginate
from ..partners.models import LIVE_ADMISSION, Admission, AdmissionStatus
from ..procedure.models import CatalogueVersion, Requirement
from ..timeutil import today_local
from ..urls import row_id
from . import supervision, workflow
from .forms import (
    ActionPointForm,
    ActionStatusForm,
    CloseInvestigationForm,
    CompleteActionForm,
    ConfirmMinutesForm,
    FindingForm,
    FollowUpForm,
    InvestigationForm,
    MeasureForm,
    MinutesForm,
    PlanDialogueForm,
)
from .models import ActionPoint, ActionStatus, Dialogue, Finding, Investigation, OwnerSide

bp = Blueprint("oversight", __name__)

STAFF_LIST_LIMIT = 50


# --- the partner picker of a new dialogue or investigation ----------------------------------
# Not a list of every partner (tens of thousands at national scale): the chosen partner
# (?partner=<id>, or the posted organisation_id), or a search by name or KvK number served
# by the organisations' indexes (accounts.search), at most PICKER_LIMIT shown. The page's
# statements and time do not grow with the number of partners.

PICKER_LIMIT = 20
UNKNOWN_PARTNER = N_("Er is geen organisatie met dit nummer. Zoek de partner op naam of "
                     "KvK-nummer.")
# The partners each form may choose (the operation checks the same rule again).
DIALOGUE_PARTNER = exists().where(Admission.organisation_id == Organisation.id,
                                  Admission.status == AdmissionStatus.ACTIEF)
INVESTIGATION_PARTNER = exists().where(Admission.organisation_id == Organisation.id,
                                       Admission.status.in_(LIVE_ADMISSION))
NO_INVESTIGATION_PARTNER = N_("Deze organisatie is geen partner (zij heeft geen lopende "
                              "toelating); toezicht kan alleen bij een partner worden "
                              "vastgelegd.")


@dataclass
class PartnerPicker:
    chosen: Organisation | None = None
    problem: str | None = None  # why the partner asked for cannot be chosen
    typed: str = ""  # the search as typed (shown back in the field)
    messages: list[str] = field(default_factory=list)  # why the search was not run
    results: list[Organisation] | None = None  # None: nothing searched
    more: bool = False  # more than PICKER_LIMIT found


def _partner_picker(eligible, refused: str, form) -> PartnerPicker:
    """The picker of a form: its chosen partner, when it is one ``eligible`` (a condition on
    Organisation) may choose; otherwise the search of ``?zoek=``. At most two statements,
    whatever the number of partners. On a GET the choice is ``?partner=``; on a POST the
    posted organisation_id, whose refusal the operation has already put at the field."""
    picker = PartnerPicker()
    chosen = form.organisation_id.data
    asked = request.method != "POST" and bool((request.args.get("partner") or "").strip())
    if chosen is not None:
        row = db.session.execute(select(Organisation, eligible)
                                 .where(Organisation.id == chosen)).first()
        if row is not None and row[1]:
            picker.chosen = row[0]
            return picker
        if asked:
            picker.problem = _(UNKNOWN_PARTNER) if row is None else refused
    elif asked:
        picker.problem = _(UNKNOWN_PARTNER)
    term, picker.typed, picker.messages = search_term(request.args.get("zoek"))
    if term:
        kvk = kvk_number(term)
        found = db.session.scalars(
            select(Organisation)
            .where(Organisation.kvk_number == kvk if kvk else name_matches(term), eligible)
            .order_by(name_order(), Organisation.id)
            .limit(PICKER_LIMIT + 1)).all()
        picker.results, picker.more = found[:PICKER_LIMIT], len(found) > PICKER_LIMIT
    return picker


# --- the region: dialogues -----------------------------------------------------------------

@bp.route("/beheer/dialogen")
@assessor_required
def dialogues():
    today = today_local()
    partner = request.args.get("partner", type=row_id)
    ids = select(Dialogue.id).order_by(Dialogue.meeting_date.desc(), Dialogue.id.desc())
    if partner:
        ids = ids.where(Dialogue.organisation_id == partner)
    page = paginate(
        ids,
        lambda ids: db.session.scalars(select(Dialogue).where(Dialogue.id.in_(ids))
                                       .options(joinedload(Dialogue.organisation))))
    overdue = db.session.scalars(
        workflow.overdue_query(today)
        .options(joinedload(ActionPoint.organisation), joinedload(ActionPoint.dialogue))
        .order_by(ActionPoint.due_on, ActionPoint.id).limit(STAFF_LIST_LIMIT)).all()
    return render_template("oversight/dialogues.html", page=page, overdue=overdue, today=today,
                           partner=partner)


@bp.route("/beheer/dialogen/nieuw", methods=["GET", "POST"])
@assessor_required
def plan():
    rounds = db.session.scalars(select(ReportingRound).order_by(ReportingRound.period_start.desc(),
                                                                ReportingRound.id.desc())
                                .limit(100)).all()
    if request.method == "POST":
        form = PlanDialogueForm()
    else:
        form = PlanDialogueForm(data={"organisation_id": request.args.get("partner"),
                                      "meeting_date": today_local()})
    form.reporting_round_id.choices = [("", _("Geen"))] + [(str(r.id), r.label) for r in rounds]

    def page():
        picker = _partner_picker(DIALOGUE_PARTNER, _(workflow.NOT_ACTIVE), form)
        return render_template("oversight/plan.html", form=form, picker=picker)

    if request.method != "POST":
        return page()
    return submit(
        form,
        lambda: workflow.plan_dialogue(workflow.DialoguePlan(
            organisation_id=form.organisation_id.data, meeting_date=form.meeting_date.data,
            meeting_time=form.meeting_time.data, place=form.place.data or "",
            online=form.online.data, participants=form.participants.data or "",
            agenda=form.agenda.data or "", reporting_round_id=form.reporting_round_id.data),
            by=current_user),
        success=_("De dialoog is gepland; de partner heeft bericht gekregen."),
        done=lambda d: url_for("oversight.dialogue", dialogue_id=d.id), page=page)


@cache
def _dialogue_statements(of_organisation: bool) -> dict:
    """The dialogue page's statements, built once (with the ids as parameters)."""
    query = select(Dialogue).where(Dialogue.id == bindparam("dialogue_id")).options(
        joinedload(Dialogue.organisation), joinedload(Dialogue.created_by),
        joinedload(Dialogue.confirmed_by), joinedload(Dialogue.reporting_round))
    if of_organisation:
        query = query.where(Dialogue.organisation_id == bindparam("dialogue_organisation_id"))
    return {"dialogue": query, "action_points": eager.collection(Dialogue.action_points)}


def _dialogue(dialogue_id, organisation_id=None) -> Dialogue:
    statements = _dialogue_statements(organisation_id is not None)
    dialogue = db.session.scalar(statements["dialogue"], {
        "dialogue_id": dialogue_id, "dialogue_organisation_id": organisation_id})
    if dialogue is None:
        abort(404)
    eager.fill(db.session, [dialogue], statements["action_points"])
    return dialogue


def _dialogue_page(dialogue, **forms):
    context = dict(minutes_form=MinutesForm(formdata=None, data={"minutes": dialogue.minutes}),
                   point_form=ActionPointForm(formdata=None), status_form=None, status_point=None)
    context.update(forms)
    return render_template("oversight/dialogue.html", dialogue=dialogue, today=today_local(),
                           ActionStatusForm=ActionStatusForm, **context)


@bp.route("/beheer/dialogen/<int:dialogue_id>")
@assessor_required
def dialogue(dialogue_id):
    return _dialogue_page(_dialogue(dialogue_id))


@bp.route("/beheer/dialogen/<int:dialogue_id>/verslag", methods=["POST"])
@assessor_required
def minutes(dialogue_id):
    item = _dialogue(dialogue_id)
    form = MinutesForm()
    return button(form, lambda: workflow.record_minutes(item, form.minutes.data or "",
                                                        by=current_user),
                  success=_("Het verslag is vastgelegd; de partner is gevraagd het te bevestigen."),
                  back=url_for("oversight.dialogue", dialogue_id=item.id),
                  invalid=lambda: _dialogue_page(_dialogue(dialogue_id), minutes_form=form))


@bp.route("/beheer/dialogen/<int:dialogue_id>/actiepunten", methods=["POST"])
@assessor_required
def add_point(dialogue_id):
    item = _dialogue(dialogue_id)
    form = ActionPointForm()
    return button(form, lambda: workflow.add_action_point(item, workflow.ActionInput(
        description=form.description.data or "", owner_side=form.owner_side.data,
        owner_name=form.owner_name.data or "", due_on=form.due_on.data), by=current_user),
        success=_("Het actiepunt is toegevoegd."),
        back=url_for("oversight.dialogue", dialogue_id=item.id),
        invalid=lambda: _dialogue_page(_dialogue(dialogue_id), point_form=form))


@bp.route("/beheer/actiepunten/<int:point_id>/status", methods=["POST"])
@assessor_required
def point_status(point_id):
    point = db.session.get(ActionPoint, point_id)
    if point is None:
        abort(404)
    form = ActionStatusForm(prefix=f"p{point.id}")
    dialogue_id = point.dialogue_id
    return button(form, lambda: workflow.set_action_status(point, form.status.data,
                                                           form.note.data or "", by=current_user),
                  success=_("De status van het actiepunt is gewijzigd."),
                  back=url_for("oversight.dialogue", dialogue_id=dialogue_id),
                  invalid=lambda: _dialogue_page(_dialogue(dialogue_id), status_form=form,
                                                 status_point=point_id))


# --- the region: investigations ----------------------------------------------------------------

@bp.route("/beheer/toezicht")
@assessor_required
def investigations():
    partner = request.args.get("partner", type=row_id)
    ids = select(Investigation.id).order_by(Investigation.started_on.desc(),
                                            Investigation.id.desc())
    if partner:
        ids = ids.where(Investigation.organisation_id == partner)
    page = paginate(
        ids,
        lambda ids: db.session.scalars(select(Investigation).where(Investigation.id.in_(ids))
                                       .options(joinedload(Investigation.organisation))))
    return render_template("oversight/investigations.html", page=page, today=today_local(),
                           partner=partner)


@bp.route("/beheer/toezicht/nieuw", methods=["GET", "POST"])
@assessor_required
def open_investigation():
    if request.method == "POST":
        form = InvestigationForm()
    else:
        form = InvestigationForm(data={"organisation_id": request.args.get("partner"),
                                       "started_on": today_local()})

    def page():
        picker = _partner_picker(INVESTIGATION_PARTNER, _(NO_INVESTIGATION_PARTNER), form)
        return render_template("oversight/investigation_new.html", form=form, picker=picker)

    if request.method != "POST":
        return page()
    return submit(
        form,
        lambda: supervision.open_investigation(supervision.InvestigationInput(
            organisation_id=form.organisation_id.data, reason=form.reason.data,
            started_on=form.started_on.data, description=form.description.data or "",
            internal_notes=form.internal_notes.data or ""), by=current_user),
        success=_("Het onderzoek is vastgelegd; de partner heeft bericht gekregen."),
        done=lambda i: url_for("oversight.investigation", investigation_id=i.id), page=page)


@cache
def _investigation_statements(of_organisation: bool) -> dict:
    """The investigation page's statements, built once (with the ids as parameters)."""
    query = select(Investigation).where(Investigation.id == bindparam("investigation_id")).options(
        joinedload(Investigation.organisation), joinedload(Investigation.suspension),
        joinedload(Investigation.admission))
    if of_organisation:
        query = query.where(
            Investigation.organisation_id == bindparam("investigation_organisation_id"))
    return {"investigation": query,
            "findings": eager.collection(Investigation.findings, joinedload(Finding.requirement),
                                         joinedload(Finding.indicator))}


def _investigation(investigation_id, organisation_id=None) -> Investigation:
    statements = _investigation_statements(organisation_id is not None)
    item = db.session.scalar(statements["investigation"], {
        "investigation_id": investigation_id, "investigation_organisation_id": organisation_id})
    if item is None:
        abort(404)
    eager.fill(db.session, [item], statements["findings"])
    return item


def _finding_choices(form):
    # Rows of the three columns the choices need, not ORM objects of every published
    # version's requirements (and indicators).
    requirements = db.session.execute(
        select(Requirement.id, Requirement.code, Requirement.title)
        .join(CatalogueVersion, CatalogueVersion.id == Requirement.version_id)
        .where(CatalogueVersion.published_at.is_not(None))
        .order_by(CatalogueVersion.number.desc(), Requirement.position, Requirement.id)
        .limit(500)).all()
    seen, req_choices = set(), [("", _("Geen eis"))]
    for r in requirements:  # the latest published version of each code
        if r.code not in seen:
            seen.add(r.code)
            req_choices.append((str(r.id), f"{r.code} {r.title}"))
    indicators = db.session.execute(
        select(Indicator.id, Indicator.code, Indicator.name)
        .join(IndicatorSet, IndicatorSet.id == Indicator.set_id)
        .where(IndicatorSet.published_at.is_not(None))
        .order_by(IndicatorSet.number.desc(), Indicator.position, Indicator.id).limit(500)).all()
    seen, ind_choices = set(), [("", _("Geen indicator"))]
    for i in indicators:
        if i.code not in seen:
            seen.add(i.code)
            ind_choices.append((str(i.id), i.name))
    form.requirement_id.choices = req_choices
    form.indicator_id.choices = ind_choices
    return form


def _investigation_page(item, **forms):
    admissions = supervision.live_admissions(item.organisation_id)
    measure_form = forms.pop("measure_form", None) or MeasureForm(formdata=None)
    measure_form.admission_id.choices = [("", _("Kies een toelating…"))] + [
        (str(a.id), a.category.name) for a in admissions]
    context = dict(finding_form=_finding_choices(forms.pop("finding_form", None)
                                                 or FindingForm(formdata=None)),
                   measure_form=measure_form,
                   follow_up_form=FollowUpForm(formdata=None, data={
                       "follow_up_on": item.follow_up_on}),
                   close_form=CloseInvestigationForm(formdata=None))
    context.update(forms)
    return render_template("oversight/investigation.html", item=item, today=today_local(),
                           **context)


@bp.route("/beheer/toezicht/<int:investigation_id>")
@assessor_required
def investigation(investigation_id):
    return _investigation_page(_investigation(investigation_id))


def _back(item):
    return url_for("oversight.investigation", investigation_id=item.id)


@bp.route("/beheer/toezicht/<int:investigation_id>/bevindingen", methods=["POST"])
@assessor_required
def add_finding(investigation_id):
    item = _investigation(investigation_id)
    form = _finding_choices(FindingForm())
    return button(form, lambda: supervision.add_finding(item, supervision.FindingInput(
        requirement_id=form.requirement_id.data, indicator_id=form.indicator_id.data,
        subject=form.subject.data or "", judgement=form.judgement.data,
        text=form.text.data or ""), by=current_user),
        success=_("De bevinding is vastgelegd."), back=_back(item),
        invalid=lambda: _investigation_page(_investigation(investigation_id), finding_form=form))


@bp.route("/beheer/toezicht/<int:investigation_id>/maatregel", methods=["POST"])
@assessor_required
def take_measure(investigation_id):
    item = _investigation(investigation_id)
    form = MeasureForm()
    return button(form, lambda: supervision.take_measure(item, supervision.MeasureInput(
        measure=form.measure.data, note=form.note.data or "",
        plan_deadline=form.plan_deadline.data, admission_id=form.admission_id.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        follow_up_on=form.follow_up_on.data), by=current_user),
        success=_("De maatregel is vastgelegd en aan de partner gemeld."), back=_back(item),
        invalid=lambda: _investigation_page(_investigation(investigation_id), measure_form=form))


@bp.route("/beheer/toezicht/<int:investigation_id>/follow-up", methods=["POST"])
@assessor_required
def follow_up(investigation_id):
    item = _investigation(investigation_id)
    form = FollowUpForm()
    return button(form, lambda: supervision.set_follow_up(item, form.follow_up_on.data,
                                                          by=current_user),
                  success=_("De follow-up is gepland."), back=_back(item),
                  invalid=lambda: _investigation_page(_investigation(investigation_id),
                                                      follow_up_form=form))


@bp.route("/beheer/toezicht/<int:investigation_id>/afsluiten", methods=["POST"])
@assessor_required
def close(investigation_id):
    item = _investigation(investigation_id)
    form = CloseInvestigationForm()
    return button(form, lambda: supervision.close_investigation(item, form.conclusion.data or "",
                                                                by=current_user),
                  success=_("Het onderzoek is afgesloten; de partner heeft bericht gekregen."),
                  back=_back(item),
                  invalid=lambda: _investigation_page(_investigation(investigation_id),
                                                      close_form=form))


# --- the partner's side ----------------------------------------------------------------------

@bp.route("/organisatie/dialogen")
@provider_required
def my_dialogues():
    org_id = current_user.organisation_id
    today = today_local()
    page = paginate(
        select(Dialogue.id).where(Dialogue.organisation_id == org_id)
        .order_by(Dialogue.meeting_date.desc(), Dialogue.id.desc()),
        lambda ids: db.session.scalars(select(Dialogue).where(Dialogue.id.in_(ids))))
    points = db.session.scalars(
        select(ActionPoint).where(ActionPoint.organisation_id == org_id,
                                  ActionPoint.owner_side == OwnerSide.PARTNER,
                                  ActionPoint.status == ActionStatus.OPEN)
        .options(joinedload(ActionPoint.dialogue))
        .order_by(ActionPoint.due_on, ActionPoint.id).limit(STAFF_LIST_LIMIT)).all()
    return render_template("oversight/my_dialogues.html", page=page, points=points, today=today)


def _my_dialogue_page(item, **forms):
    context = dict(confirm_form=ConfirmMinutesForm(formdata=None), done_form=None,
                   done_point=None)
    context.update(forms)
    return render_template("oversight/my_dialogue.html", dialogue=item, today=today_local(),
                           CompleteActionForm=CompleteActionForm, **context)


@bp.route("/organisatie/dialogen/<int:dialogue_id>")
@provider_required
def my_dialogue(dialogue_id):
    return _my_dialogue_page(_dialogue(dialogue_id, current_user.organisation_id))


@bp.route("/organisatie/dialogen/<int:dialogue_id>/bevestigen", methods=["POST"])
@provider_required
def confirm(dialogue_id):
    item = _dialogue(dialogue_id, current_user.organisation_id)
    form = ConfirmMinutesForm()
    respond = request.form.get("answer") == "opmerking"
    if respond:
        def operation():
            return workflow.respond_to_minutes(item, form.remark.data or "", by=current_user)
        success = _("Uw opmerking is naar de regio gestuurd.")
    else:
        def operation():
            return workflow.confirm_minutes(item, by=current_user, remark=form.remark.data or "")
        success = _("U heeft het verslag bevestigd.")
    return button(form, operation, success=success,
                  back=url_for("oversight.my_dialogue", dialogue_id=item.id),
                  invalid=lambda: _my_dialogue_page(
                      _dialogue(dialogue_id, current_user.organisation_id), confirm_form=form))


@bp.route("/organisatie/actiepunten/<int:point_id>/gereed", methods=["POST"])
@provider_required
def complete_point(point_id):
    point = db.session.scalar(select(ActionPoint).where(
        ActionPoint.id == point_id, ActionPoint.organisation_id == current_user.organisation_id))
    if point is None:
        abort(404)
    dialogue_id = point.dialogue_id
    form = CompleteActionForm(prefix=f"p{point.id}")
    return button(form, lambda: workflow.complete_action_point(point, form.note.data or "",
                                                               by=current_user),
                  success=_("Het actiepunt staat op gereed; de regio ziet uw toelichting."),
                  back=url_for("oversight.my_dialogue", dialogue_id=dialogue_id),
                  invalid=lambda: _my_dialogue_page(
                      _dialogue(dialogue_id, current_user.organisation_id), done_form=form,
                      done_point=point_id))


@bp.route("/organisatie/toezicht")
@provider_required
def my_investigations():
    page = paginate(
        select(Investigation.id).where(
            Investigation.organisation_id == current_user.organisation_id)
        .order_by(Investigation.started_on.desc(), Investigation.id.desc()),
        lambda ids: db.session.scalars(select(Investigation).where(Investigation.id.in_(ids))))
    return render_template("oversight/my_investigations.html", page=page)


@bp.route("/organisatie/toezicht/<int:investigation_id>")
@provider_required
def my_investigation(investigation_id):
    item = _investigation(investigation_id, current_user.organisation_id)
    return render_template("oversight/my_investigation.html", item=item)


# --- sections other parts' pages show (template globals: those parts import nothing here) --

def partner_tasks(organisation_id):
    """The provider dashboard's tasks: minutes to confirm and overdue action points of the
    partner, in one statement (a dialogue, with an overdue point of it or None)."""
    return workflow.partner_tasks(organisation_id, today_local())


FILE_LIMIT = 10


@cache
def _file_section_statements() -> dict:
    """The partner file section's two statements, built once (the organisation and the day
    as parameters)."""
    organisation_id = bindparam("section_organisation_id")
    open_points = (select(func.count(ActionPoint.id))
                   .where(ActionPoint.dialogue_id == Dialogue.id,
                          ActionPoint.status == ActionStatus.OPEN))
    return {
        "dialogues": select(Dialogue, open_points.scalar_subquery(),
                            open_points.where(ActionPoint.due_on < bindparam("section_today"))
                            .scalar_subquery())
        .where(Dialogue.organisation_id == organisation_id)
        .order_by(Dialogue.meeting_date.desc(), Dialogue.id.desc())
        .limit(FILE_LIMIT + 1),
        "investigations": select(Investigation)
        .where(Investigation.organisation_id == organisation_id)
        .options(joinedload(Investigation.suspension))
        .order_by(Investigation.started_on.desc(), Investigation.id.desc())
        .limit(FILE_LIMIT + 1),
    }


def partner_file_section(organisation_id):
    """The partner file's section: the latest dialogues (each with its number of open and
    overdue action points) and investigations; two statements whatever their number."""
    statements = _file_section_statements()
    about = {"section_organisation_id": organisation_id, "section_today": today_local()}
    dialogues = db.session.execute(statements["dialogues"], about).all()
    investigations = db.session.scalars(statements["investigations"], about).all()
    return {"dialogues": dialogues[:FILE_LIMIT], "more_dialogues": len(dialogues) > FILE_LIMIT,
            "investigations": investigations[:FILE_LIMIT],
            "more_investigations": len(investigations) > FILE_LIMIT}


def overdue_count() -> int:
    """The number of overdue action points (both sides), for the administrators' start page."""
    return db.session.scalar(workflow.overdue_query(today_local())
                             .with_only_columns(func.count(ActionPoint.id)))


def register_globals(app) -> None:
    app.add_template_global(overdue_count, "oversight_overdue_count")
    app.add_template_global(partner_tasks, "oversight_partner_tasks")
    app.add_template_global(partner_file_section, "oversight_file_section")
