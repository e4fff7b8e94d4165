"""Administration: the audit log. Search the audit events by actor, object, action and
period, newest first, paginated in the database; export the result as CSV, streamed."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from functools import cache

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit
from ..accounts.models import User
from ..audit.labels import (
    ACTION_LABELS,
    OBJECT_LABELS,
    action_label,
    object_label,
    outcome_label,
    state_label,
)
from ..audit.models import AuditEvent
from ..auth import admin_required
from ..extensions import db
from ..pagination import paginate
from ..timeutil import AMSTERDAM, to_local, today_local
from .staff_forms import AuditFilterForm

bp = Blueprint("admin_audit", __name__, url_prefix="/beheer")

CSV_BATCH = 1000  # rows fetched at a time
CSV_CHUNK = 64 * 1024  # characters sent at a time
CSV_COLUMNS = ["nummer", "tijdstip (Nederlandse tijd)", "e-mailadres gebruiker", "naam gebruiker",
               "handeling", "soort object", "nummer object", "van", "naar", "toelichting",
               "uitkomst", "IP-adres"]


@cache
def object_type_choices() -> tuple[tuple[str, str], ...]:
    """The kinds of object that can carry events, by their Dutch names."""
    return (("", "Alle"),) + tuple(sorted(OBJECT_LABELS.items(), key=lambda item: item[1]))


@cache
def action_choices() -> tuple[tuple[str, str], ...]:
    return (("", "Alle"),) + tuple(sorted(ACTION_LABELS.items(), key=lambda item: item[1]))


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.object_type.choices = object_type_choices()
    form.action.choices = action_choices()
    return form


def _utc_midnight(day) -> datetime:
    """The start of a local (Amsterdam) day, as the naive UTC the database stores."""
    local = datetime.combine(day, time.min, tzinfo=AMSTERDAM)
    return local.astimezone(UTC).replace(tzinfo=None)


def _filters(form: AuditFilterForm) -> list:
    conditions = []
    if form.actor.data:
        conditions.append(AuditEvent.actor_id.in_(
            select(User.id).where(func.lower(User.email).contains(form.actor.data.lower(),
                                                                  autoescape=True))))
    if form.object_type.data:
        conditions.append(AuditEvent.object_type == form.object_type.data)
    if form.object_id.data is not None:
        conditions.append(AuditEvent.object_id == form.object_id.data)
    if form.action.data:
        conditions.append(AuditEvent.action == form.action.data)
    if form.date_from.data:
        conditions.append(AuditEvent.at >= _utc_midnight(form.date_from.data))
    if form.date_to.data:
        conditions.append(AuditEvent.at < _utc_midnight(form.date_to.data + timedelta(days=1)))
    return conditions


def _filter_args(form: AuditFilterForm) -> dict:
    """The valid filters as query arguments, for the pager and the export link."""
    values = {
        "actor": form.actor.data or None,
        "object_type": form.object_type.data or None,
        "object_id": form.object_id.data,
        "action": form.action.data or None,
        "date_from": form.date_from.data.isoformat() if form.date_from.data else None,
        "date_to": form.date_to.data.isoformat() if form.date_to.data else None,
    }
    return {k: v for k, v in values.items() if v is not None}


@bp.route("/audit")
@admin_required
def audit_log():
    form = _form()
    valid = form.validate() if request.args else True
    conditions = _filters(form) if valid else [AuditEvent.id.is_(None)]
    ids = select(AuditEvent.id).where(*conditions).order_by(AuditEvent.id.desc())
    # The columns shown, as plain values (ORM objects for 25 events and their actors were a
    # sixth of the page's time).
    page = paginate(ids, lambda page_ids: db.session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.object_type,
               AuditEvent.object_id, AuditEvent.from_state, AuditEvent.to_state,
               AuditEvent.detail, AuditEvent.outcome, AuditEvent.ip_address,
               User.full_name.label("actor_name"), User.email.label("actor_email"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.id.in_(page_ids))).all())
    return render_template("admin/audit/index.html", form=form, page=page, valid=valid,
                           filters=_filter_args(form) if valid else {},
                           action_label=action_label, object_label=object_label,
                           state_label=state_label,
                           outcome_label=outcome_label), (200 if valid else 422)


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/audit/export.csv")
@admin_required
def audit_export():
    form = _form()
    if request.args and not form.validate():
        return audit_log()
    query = (
        select(AuditEvent.id, AuditEvent.at, User.email, User.full_name, AuditEvent.action,
               AuditEvent.object_type, AuditEvent.object_id, AuditEvent.from_state,
               AuditEvent.to_state, AuditEvent.detail, AuditEvent.outcome, AuditEvent.ip_address)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*_filters(form))
        .order_by(AuditEvent.id.desc())
        .execution_options(yield_per=CSV_BATCH)
    )

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        yield "\ufeff" + buffer.getvalue()  # the BOM: Excel reads the file as UTF-8
        buffer.seek(0)
        buffer.truncate()
        for row in db.session.execute(query):
            writer.writerow([row.id, to_local(row.at).strftime("%Y-%m-%d %H:%M:%S"),
                             *(_cell(v) for v in (row.email, row.full_name, action_label(row.action),
                                                   object_label(row.object_type))),
                             row.object_id,
                             *(_cell(v) for v in (state_label(row.from_state), state_label(row.to_state),
                                                   row.detail, outcome_label(row.outcome),
                                                   row.ip_address))])
            if buffer.tell() > CSV_CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"auditlog-{today_local().isoformat()}.csv"
    audit.access("exported", actor=current_user, object_type="audit_events", object_id=0,
                 detail=f"{filename} {request.query_string.decode('utf-8', 'replace')[:500]}".strip())
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
