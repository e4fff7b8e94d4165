"""The monitoring part's pages: the information set (administrators), reporting rounds
(administrators open and close them; the region's staff follow them), the partner's
reports, and the monitoring pages per indicator and per partner (staff), with exports."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit, eager
from ..accounts.models import Organisation
from ..actions import button, submit
from ..auth import admin_required, assessor_required, has_role, provider_required
from ..extensions import db
from ..i18n import gettext as _
from ..procedure.models import Category
from ..procedure.seed import current_procedure
from ..timeutil import today_local
from . import figures, indicators, workflow
from .forms import ButtonForm, PublishForm, indicator_form, report_form, round_form
from .indicators import IndicatorSpec
from .models import (
    Indicator,
    IndicatorReport,
    IndicatorSet,
    IndicatorValue,
    ReportingRound,
    RoundParticipant,
)

bp = Blueprint("monitoring", __name__)

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _procedure():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@cache
def _statements() -> dict:
    """Statements of many of these pages, built once (with the ids as parameters)."""
    return {
        "set": select(IndicatorSet).where(IndicatorSet.id == bindparam("monitoring_set_id")),
        "indicators": eager.collection(IndicatorSet.indicators, joinedload(Indicator.category)),
        "round": select(ReportingRound).where(ReportingRound.id == bindparam("monitoring_round_id"))
        .options(joinedload(ReportingRound.indicator_set)),
        "round_categories": eager.collection(ReportingRound.categories),
        "participant_categories": eager.collection(RoundParticipant.categories),
    }


def _set(set_id) -> IndicatorSet:
    statements = _statements()
    row = db.session.scalar(statements["set"], {"monitoring_set_id": set_id})
    if row is None:
        abort(404)
    eager.fill(db.session, [row], statements["indicators"])
    return row


def _round(round_id) -> ReportingRound:
    statements = _statements()
    row = db.session.scalar(statements["round"], {"monitoring_round_id": round_id})
    if row is None:
        abort(404)
    eager.fill(db.session, [row], statements["round_categories"])
    return row


# --- the information set (administrators) --------------------------------------------------

@bp.route("/beheer/informatieset")
@admin_required
def sets():
    procedure = _procedure()
    versions = db.session.execute(
        select(IndicatorSet, func.count(Indicator.id))
        .outerjoin(Indicator, Indicator.set_id == IndicatorSet.id)
        .where(IndicatorSet.procedure_id == procedure.id)
        .group_by(IndicatorSet.id).order_by(IndicatorSet.number.desc())).all()
    return render_template("monitoring/sets.html", versions=versions,
                           has_draft=any(s.is_draft for s, _count in versions), form=ButtonForm())


@bp.route("/beheer/informatieset/concept", methods=["POST"])
@admin_required
def start_draft():
    procedure = _procedure()
    return button(ButtonForm(), lambda: indicators.start_draft(procedure, by=current_user),
                  success=lambda d: _("Conceptversie %(number)s van de informatieset is gemaakt.",
                                      number=d.number),
                  back=url_for("monitoring.sets"),
                  done=lambda d: url_for("monitoring.set_detail", set_id=d.id))


@bp.route("/beheer/informatieset/<int:set_id>")
@admin_required
def set_detail(set_id):
    indicator_set = _set(set_id)
    return render_template("monitoring/set.html", indicator_set=indicator_set,
                           form=ButtonForm(), publish_form=PublishForm())


def _categories():
    return db.session.scalars(select(Category).where(Category.procedure_id == _procedure().id)
                              .order_by(Category.position)).all()


@bp.route("/beheer/informatieset/<int:set_id>/indicator/nieuw", methods=["GET", "POST"])
@bp.route("/beheer/informatieset/<int:set_id>/indicator/<int:indicator_id>",
          methods=["GET", "POST"])
@admin_required
def indicator_edit(set_id, indicator_id=None):
    indicator_set = _set(set_id)
    indicator = None
    if indicator_id is not None:
        indicator = next((i for i in indicator_set.indicators if i.id == indicator_id), None)
        if indicator is None:
            abort(404)
    categories = _categories()
    back = url_for("monitoring.set_detail", set_id=indicator_set.id)

    def page():
        return render_template("monitoring/indicator_form.html", form=form,
                               indicator_set=indicator_set, indicator=indicator)

    if request.method == "POST":
        form = indicator_form(categories)
        return submit(form, lambda: indicators.save_indicator(
            indicator_set, form.to_spec(), by=current_user, indicator=indicator),
            success=lambda i: _("Indicator %(name)s is opgeslagen.", name=i.name), done=back,
            page=page)
    spec = IndicatorSpec.of(indicator) if indicator else IndicatorSpec()
    form = indicator_form(categories, data={
        "code": spec.code, "name": spec.name, "definition": spec.definition, "unit": spec.unit,
        "target": spec.target, "direction": spec.direction, "frequency": spec.frequency,
        "plausible_min": spec.plausible_min, "plausible_max": spec.plausible_max,
        "category": spec.category_id})
    return page()


@bp.route("/beheer/informatieset/<int:set_id>/indicator/<int:indicator_id>/verwijderen",
          methods=["POST"])
@admin_required
def indicator_remove(set_id, indicator_id):
    indicator_set = _set(set_id)
    indicator = next((i for i in indicator_set.indicators if i.id == indicator_id), None)
    if indicator is None:
        abort(404)
    name = indicator.name
    return button(ButtonForm(), lambda: indicators.remove_indicator(
        indicator_set, indicator, by=current_user),
        success=_("Indicator %(name)s is verwijderd uit de conceptversie.", name=name),
        back=url_for("monitoring.set_detail", set_id=indicator_set.id))


@bp.route("/beheer/informatieset/<int:set_id>/publiceren", methods=["POST"])
@admin_required
def publish(set_id):
    indicator_set = _set(set_id)
    form = PublishForm()
    return button(form, lambda: indicators.publish(indicator_set, by=current_user,
                                                   note=form.note.data or ""),
                  success=lambda s: _("Versie %(number)s van de informatieset is gepubliceerd.",
                                      number=s.number),
                  back=url_for("monitoring.set_detail", set_id=indicator_set.id))


# --- reporting rounds (staff) ----------------------------------------------------------------

@bp.route("/beheer/verantwoording")
@assessor_required
def rounds():
    procedure = _procedure()
    rows = db.session.execute(
        select(ReportingRound, func.count(RoundParticipant.id))
        .outerjoin(RoundParticipant, RoundParticipant.round_id == ReportingRound.id)
        .where(ReportingRound.procedure_id == procedure.id)
        .group_by(ReportingRound.id)
        .order_by(ReportingRound.period_start.desc(), ReportingRound.id.desc()).limit(100)).all()
    partners = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(select(RoundParticipant.organisation_id)))
        .order_by(Organisation.name).limit(500)).all()
    return render_template("monitoring/rounds.html", rows=rows, partners=partners,
                           can_manage=has_role(current_user, "admin"))


@bp.route("/beheer/verantwoording/nieuw", methods=["GET", "POST"])
@admin_required
def open_round():
    procedure = _procedure()
    published = db.session.scalars(
        select(IndicatorSet).where(IndicatorSet.procedure_id == procedure.id,
                                   IndicatorSet.published_at.is_not(None))
        .order_by(IndicatorSet.number.desc())).all()
    categories = _categories()

    def page():
        return render_template("monitoring/round_form.html", form=form, published=published)

    if request.method == "POST":
        form = round_form(published, categories)
        return submit(form, lambda: workflow.open_round(procedure, form.to_input(),
                                                        by=current_user),
                      success=lambda r: _("De ronde %(round)s is geopend; de partners zijn "
                                          "per e-mail gevraagd te rapporteren.", round=r.label),
                      done=lambda r: url_for("monitoring.round_detail", round_id=r.id),
                      page=page)
    form = round_form(published, categories, data={
        "category_ids": [c.id for c in categories if c.is_active]})
    return page()


@bp.route("/beheer/verantwoording/<int:round_id>")
@assessor_required
def round_detail(round_id):
    reporting_round = _round(round_id)
    participants = db.session.execute(
        select(RoundParticipant, Organisation)
        .join(Organisation, Organisation.id == RoundParticipant.organisation_id)
        .where(RoundParticipant.round_id == reporting_round.id)
        .order_by(Organisation.name, Organisation.id).limit(1000)).all()
    eager.fill(db.session, [participant for participant, _org in participants],
               _statements()["participant_categories"])
    reports = {(r.organisation_id, r.category_id): r for r in db.session.scalars(
        select(IndicatorReport).where(IndicatorReport.round_id == reporting_round.id,
                                      IndicatorReport.is_current))}
    set_indicators = db.session.scalars(select(Indicator).where(
        Indicator.set_id == reporting_round.set_id)
        .order_by(Indicator.position, Indicator.id)).all()
    per_category = [(c, workflow.asked_indicators(list(set_indicators), c.id, reporting_round))
                    for c in reporting_round.categories]
    return render_template(
        "monitoring/round.html", reporting_round=reporting_round, participants=participants,
        reports=reports, per_category=per_category, form=ButtonForm(),
        can_manage=has_role(current_user, "admin"), today=today_local())


@bp.route("/beheer/verantwoording/<int:round_id>/sluiten", methods=["POST"])
@admin_required
def close_round(round_id):
    reporting_round = _round(round_id)
    return button(ButtonForm(), lambda: workflow.close_round(reporting_round, by=current_user),
                  success=lambda r: _("De ronde %(round)s is gesloten.", round=r.label),
                  back=url_for("monitoring.round_detail", round_id=reporting_round.id))


def _export(name: str, fmt: str, title: str, headers, rows, notes):
    body = (figures.to_csv(headers, rows) if fmt == "csv"
            else figures.to_xlsx(title, headers, rows, notes))
    audit.access("exported", actor=current_user, object_type="reporting_rounds", object_id=0,
                 detail=f"{name}.{fmt}")
    return Response(body, mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store"})


@bp.route("/beheer/verantwoording/<int:round_id>/categorie/<int:category_id>/<code>")
@assessor_required
def indicator_page(round_id, category_id, code):
    """One indicator and category across the partners of a round."""
    reporting_round = _round(round_id)
    category = next((c for c in reporting_round.categories if c.id == category_id), None)
    indicator = db.session.scalar(select(Indicator).where(
        Indicator.set_id == reporting_round.set_id, Indicator.code == code))
    if category is None or indicator is None or not indicator.applies_to(category.id):
        abort(404)
    fmt = request.args.get("formaat")
    if fmt is not None and fmt not in FORMATS:
        abort(404)
    overview = figures.indicator_overview(reporting_round, indicator, category)
    if fmt:
        headers, rows = figures.overview_table(overview)
        return _export(f"monitoring-{reporting_round.label}-{category.code}-{code}".replace(
            " ", "-"), fmt, f"{indicator.name}, {category.name}, {reporting_round.label}",
            headers, rows, _overview_notes(overview))
    chart = figures.bar_chart(
        "grafiek-indicator",
        [(r.organisation.name, r.value, r.misses_target or r.outlier) for r in overview.rows],
        indicator.target, indicator.unit)
    others = db.session.scalars(select(Indicator).where(
        Indicator.set_id == reporting_round.set_id).order_by(Indicator.position)).all()
    return render_template("monitoring/indicator_page.html", overview=overview, bar=chart,
                           reporting_round=reporting_round, category=category,
                           indicator=indicator, notes=_overview_notes(overview),
                           others=[i for i in others if i.applies_to(category.id)],
                           show=indicators.show_number)


def _overview_notes(overview) -> list[str]:
    indicator = overview.indicator
    reporting_round = overview.reporting_round
    start, end = f"{reporting_round.period_start:%d-%m-%Y}", f"{reporting_round.period_end:%d-%m-%Y}"
    notes = [_("Periode %(start)s tot en met %(end)s; informatieset versie %(version)s.",
               start=start, end=end, version=reporting_round.indicator_set.number),
             _("%(reported)s van %(asked)s gevraagde partners rapporteerden.",
               reported=overview.reported, asked=overview.asked)]
    if indicator.target is not None:
        notes.append(_("Streefwaarde %(target)s (%(direction)s).",
                       target=indicators.show_number(indicator.target),
                       direction=indicator.direction.label))
    notes.append(_("Een uitschieter ligt meer dan 1,5 keer de interkwartielafstand onder het "
                   "eerste of boven het derde kwartiel (vanaf vier gerapporteerde waarden)."))
    return notes


@bp.route("/beheer/verantwoording/partner/<int:organisation_id>")
@assessor_required
def partner_page(organisation_id):
    """One partner's figures across its latest rounds (the trend)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    fmt = request.args.get("formaat")
    if fmt is not None and fmt not in FORMATS:
        abort(404)
    rounds_, groups = figures.partner_trends(organisation)
    if fmt:
        headers, rows = figures.trend_table(rounds_, groups)
        return _export(f"monitoring-partner-{organisation.id}", fmt,
                       f"Verantwoording van {organisation.name}", headers, rows,
                       [f"De laatste {figures.TREND_ROUNDS} rondes; de actuele versie van elke "
                        "rapportage."])
    charts = {}
    for group in groups:
        for trend in group.trends:
            charts[(group.category.id, trend.code)] = figures.bar_chart(
                f"grafiek-{group.category.code}-{trend.code}",
                [(p.reporting_round.label, p.value, p.misses_target) for p in trend.points],
                trend.target, trend.unit)
    return render_template("monitoring/partner_page.html", organisation=organisation,
                           rounds=rounds_, groups=groups, charts=charts,
                           show=indicators.show_number)


@bp.route("/beheer/verantwoording/rapportage/<int:report_id>")
@assessor_required
def staff_report(report_id):
    report = db.session.get(IndicatorReport, report_id)
    if report is None:
        abort(404)
    return _report_page(report, staff=True)


def _report_page(report: IndicatorReport, *, staff: bool):
    history = workflow.report_history(report)
    reporting_round = _round(report.round_id)
    return render_template("monitoring/report.html", history=history, report=history[0],
                           reporting_round=reporting_round,
                           category=db.session.get(Category, report.category_id),
                           organisation=db.session.get(Organisation, report.organisation_id),
                           staff=staff, show=indicators.show_number)


# --- the partner's reports ------------------------------------------------------------------

@bp.route("/organisatie/verantwoording")
@provider_required
def mine():
    org = current_user.organisation
    asked = db.session.scalars(
        select(RoundParticipant)
        .join(ReportingRound, ReportingRound.id == RoundParticipant.round_id)
        .where(RoundParticipant.organisation_id == org.id)
        .options(contains_eager(RoundParticipant.reporting_round))
        .order_by(ReportingRound.period_start.desc(), ReportingRound.id.desc())
        .limit(50)).all()
    eager.fill(db.session, asked, _statements()["participant_categories"])
    reports = {(r.round_id, r.category_id): r for r in db.session.scalars(
        select(IndicatorReport).where(IndicatorReport.organisation_id == org.id,
                                      IndicatorReport.is_current,
                                      IndicatorReport.round_id.in_([a.round_id for a in asked])))
    } if asked else {}
    items = [(a.reporting_round, a.categories) for a in asked]
    return render_template("monitoring/mine.html", items=items, reports=reports,
                           today=today_local())


def _asked(round_id, category_id):
    """The round and category, if the user's organisation was asked for them (else 404)."""
    reporting_round = _round(round_id)
    asked = workflow.participant(reporting_round, current_user.organisation_id)
    if asked is None or category_id not in asked.category_id_list:
        abort(404)
    category = db.session.get(Category, category_id)
    return reporting_round, category


@bp.route("/organisatie/verantwoording/<int:round_id>/<int:category_id>", methods=["GET", "POST"])
@bp.route("/organisatie/verantwoording/<int:round_id>/<int:category_id>/correctie",
          methods=["GET", "POST"], endpoint="correct", defaults={"correcting": True})
@provider_required
def report(round_id, category_id, correcting=False):
    reporting_round, category = _asked(round_id, category_id)
    org = current_user.organisation
    current = workflow.current_reports(reporting_round.id, org.id).get(category.id)
    if current is not None and not correcting and request.method == "GET":
        return _report_page(current, staff=False)
    if correcting and current is None:
        return redirect(url_for("monitoring.report", round_id=round_id, category_id=category_id))
    asked = workflow.asked_indicators(list(reporting_round.indicator_set.indicators),
                                      category.id, reporting_round)

    def page():
        return render_template("monitoring/report_form.html", form=form, indicators=asked,
                               reporting_round=reporting_round, category=category,
                               current=current, correcting=correcting,
                               value_field=workflow.value_field,
                               explanation_field=workflow.explanation_field,
                               show=indicators.show_number)

    if request.method == "POST":
        form = report_form(asked, correcting=correcting)
        if not reporting_round.is_open:
            form.validate()
            form.form_errors.append(
                _("De ronde %(round)s is gesloten. U kunt niet meer rapporteren "
                  "of corrigeren.", round=reporting_round.label))
            return page(), 422
        return submit(form, lambda: workflow.submit_report(
            reporting_round, org, category.id, form.figures(asked), by=current_user,
            attachments=form.uploads(),
            correction_reason=form.reason.data if correcting else None,
            correcting=correcting),
            success=lambda r: (
                _("Uw correctie voor %(category)s (%(round)s) is ingediend.",
                  category=category.name, round=reporting_round.label) if correcting else
                _("Uw rapportage voor %(category)s (%(round)s) is ingediend.",
                  category=category.name, round=reporting_round.label)),
            done=url_for("monitoring.mine"), page=page)
    data = {}
    if current is not None:
        values = db.session.scalars(select(IndicatorValue).where(
            IndicatorValue.report_id == current.id)).all()
        by_indicator = {v.indicator_id: v for v in values}
        for indicator in asked:
            value = by_indicator.get(indicator.id)
            if value is not None:
                data[workflow.value_field(indicator)] = indicators.show_number(value.value)
                data[workflow.explanation_field(indicator)] = value.explanation or ""
    form = report_form(asked, correcting=correcting, data=data)
    if not reporting_round.is_open:
        flash(_("De ronde %(round)s is gesloten; u kunt niet meer rapporteren.",
                round=reporting_round.label), "info")
        return redirect(url_for("monitoring.mine"))
    return page()


@bp.route("/organisatie/verantwoording/rapportage/<int:report_id>")
@provider_required
def my_report(report_id):
    report_row = db.session.get(IndicatorReport, report_id)
    if report_row is None or report_row.organisation_id != current_user.organisation_id:
        abort(404)
    return _report_page(report_row, staff=False)


def register_globals(app) -> None:
    """``monitoring_tasks(org)`` for the provider's dashboard: what it still has to report."""
    app.jinja_env.globals["monitoring_tasks"] = lambda org: workflow.open_tasks(org.id)
    app.jinja_env.filters["indicatorgetal"] = indicators.show_number
