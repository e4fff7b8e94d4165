"""Public pages of the admitted partners: the register."""
from flask import Blueprint, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Organisation
from ..extensions import db
from ..pagination import COUNT_CAP, paginate
from ..procedure.models import Category
from ..procedure.views import _procedure_or_404
from .models import LIVE_ADMISSION, Admission

bp = Blueprint("partners", __name__)


@bp.route("/register")
def register():
    """Register van toegelaten aanbieders: organisations with their admitted categories,
    per category or all, searchable, alphabetical and paginated."""
    procedure = _procedure_or_404()
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()
    selected = next((c for c in categories if c.code == request.args.get("categorie")), None)
    term = (request.args.get("zoek") or "").strip()[:100]

    live = select(Admission.id).where(
        Admission.organisation_id == Organisation.id,
        Admission.status.in_(LIVE_ADMISSION),
        Admission.category_id.in_([c.id for c in categories]),
    )
    if selected is not None:
        live = live.where(Admission.category_id == selected.id)
    ids = select(Organisation.id).where(live.exists())
    if term:
        like = "%" + term.replace("\\", "").replace("%", "").replace("_", "") + "%"
        ids = ids.where(Organisation.name.ilike(like) | Organisation.city.ilike(like)
                        | (Organisation.kvk_number == term))
    page = paginate(
        ids.order_by(Organisation.name, Organisation.id),
        lambda page_ids: db.session.scalars(
            select(Organisation).where(Organisation.id.in_(page_ids))),
        per_page=50,
    )
    admissions = {}
    if page.items:
        for admission in db.session.scalars(
            select(Admission)
            .where(Admission.organisation_id.in_([o.id for o in page.items]),
                   Admission.status.in_(LIVE_ADMISSION))
            .options(joinedload(Admission.category))
            .order_by(Admission.admitted_at)
        ):
            admissions.setdefault(admission.organisation_id, []).append(admission)
    # Per-category counts, each capped, in one statement.
    counts = db.session.execute(select(*(
        select(func.count()).select_from(
            select(Admission.id).where(Admission.category_id == c.id,
                                       Admission.status.in_(LIVE_ADMISSION))
            .limit(COUNT_CAP + 1).subquery()).scalar_subquery().label(f"c{c.id}")
        for c in categories))).one()._asdict() if categories else {}
    return render_template("partners/register.html", procedure=procedure, categories=categories,
                           counts={c.id: counts[f"c{c.id}"] for c in categories}, cap=COUNT_CAP,
                           selected=selected, term=term, page=page, admissions=admissions)
