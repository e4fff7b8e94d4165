from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.models import Organisation
from ..extensions import db
from ..pagination import paginate
from ..partners.models import LIVE_ADMISSION, Admission
from ..procedure.models import CatalogueVersion, Category, Requirement
from .seed import current_procedure, published_version

bp = Blueprint("procedure", __name__)


def _procedure_or_404():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@bp.route("/")
def home():
    procedure = _procedure_or_404()
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()
    return render_template("procedure/home.html", procedure=procedure, categories=categories)


@bp.route("/eisen")
def requirements():
    procedure = _procedure_or_404()
    version = published_version(procedure)
    reqs = []
    if version is not None:
        reqs = db.session.scalars(
            select(Requirement).where(Requirement.version_id == version.id)
            .options(selectinload(Requirement.categories)).order_by(Requirement.position)
        ).all()
    return render_template("procedure/requirements.html", procedure=procedure, version=version,
                           requirements=reqs)


@bp.route("/register")
def register():
    """Register van toegelaten aanbieders, per category, searchable and paginated."""
    procedure = _procedure_or_404()
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()
    counts = dict(db.session.execute(
        select(Admission.category_id, func.count())
        .where(Admission.status.in_(LIVE_ADMISSION)).group_by(Admission.category_id)).all())
    selected = next((c for c in categories if c.code == request.args.get("categorie")), None)
    term = (request.args.get("zoek") or "").strip()[:100]
    query = (
        select(Admission)
        .join(Admission.organisation).join(Admission.category)
        .where(Admission.status.in_(LIVE_ADMISSION), Category.procedure_id == procedure.id)
        .options(contains_eager(Admission.organisation), contains_eager(Admission.category))
    )
    if selected is not None:
        query = query.where(Admission.category_id == selected.id)
    if term:
        like = f"%{term.replace('%', '').replace('_', '')}%"
        query = query.where(Organisation.name.ilike(like) | Organisation.city.ilike(like)
                            | (Organisation.kvk_number == term))
    count_query = select(func.count()).select_from(query.order_by(None).subquery())
    page = paginate(query.order_by(Category.position, Organisation.name, Admission.id),
                    count_query=count_query, per_page=50)
    return render_template("procedure/register.html", procedure=procedure, categories=categories,
                           counts=counts, selected=selected, term=term, page=page)
