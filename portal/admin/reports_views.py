"""Administration: the management report (rapportage) and its exports.

One dashboard with every figure, a CSV and an Excel file per figure, and one Excel file
with all of them. The figures are computed in ``reports`` (aggregates in the database);
the period (``van``/``tot``, months) applies to the decisions per month and the lead time.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import audit
from ..auth import admin_required
from ..errors import ValidationFailed
from ..i18n import gettext as _
from ..reports import figures as reports
from ..timeutil import today_local

bp = Blueprint("admin_reports", __name__, url_prefix="/beheer")

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALL = "alle-cijfers"


def _period_or_errors() -> tuple[reports.Period, list[tuple[str, str]]]:
    try:
        return reports.Period.parse(request.args.get("van"), request.args.get("tot")), []
    except ValidationFailed as err:
        return reports.Period(), err.errors


@bp.route("/rapportage")
@admin_required
def dashboard():
    period, errors = _period_or_errors()
    today = today_local()
    report = reports.build(today, period)
    decisions_chart = reports.column_chart("grafiek-besluiten", report.decisions)
    partners_chart = reports.bar_chart(
        "grafiek-aanbieders", [(r.category.name, r.total) for r in report.partners.rows],
        legend=_("Toegelaten aanbieders"))
    return render_template(
        "admin/reports/index.html", report=report, errors=errors,
        values={"van": request.args.get("van", ""), "tot": request.args.get("tot", "")},
        decisions_chart=decisions_chart, partners_chart=partners_chart,
        figures=reports.FIGURES, export_params=period.params(), all_key=ALL,
        status_labels=reports.STATUS_LABELS, admission_labels=reports.ADMISSION_LABELS,
        live_states=reports.LIVE_STATES, open_states=reports.OPEN_STATES,
        computed_at=reports.computed_at(),
        cache_seconds=current_app.config.get("REPORT_CACHE_SECONDS", 0),
    ), (422 if errors else 200)


@bp.route("/rapportage/bijwerken", methods=["POST"])
@admin_required
def refresh():
    """Compute the figures again now instead of waiting for the kept ones to expire."""
    reports.refresh()
    params = {k: v for k, v in request.args.items() if k in ("van", "tot") and v}
    return redirect(url_for("admin_reports.dashboard", **params))


@bp.route("/rapportage/<figure>.<fmt>")
@admin_required
def export(figure: str, fmt: str):
    if fmt not in FORMATS or (figure not in reports.FIGURES and not (figure == ALL and fmt == "xlsx")):
        abort(404)
    period, errors = _period_or_errors()
    if errors:
        abort(400, description=" ".join(message for _field, message in errors))
    today = today_local()
    if figure == ALL:
        report = reports.build(today, period)
        tables = [reports.table(key, today, period, report) for key in reports.FIGURES]
    else:
        tables = [reports.table(figure, today, period)]
    body = (reports.to_csv(tables[0]) if fmt == "csv"
            else reports.to_xlsx(tables, period=period, today=today))
    name = "-".join(filter(None, ("rapportage", figure, period.slug() if figure in (
        "besluiten", "doorlooptijd", ALL) else "", today.isoformat())))
    audit.access("exported", actor=current_user, object_type="reports", object_id=0,
                 detail=f"{name}.{fmt}")
    return Response(body, mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store",
    })
