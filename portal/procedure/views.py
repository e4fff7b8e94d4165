from flask import Blueprint, abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..procedure.models import Category, Requirement
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
