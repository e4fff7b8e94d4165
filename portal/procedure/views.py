from flask import Blueprint, abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.privacy import RETENTIONS
from ..extensions import db
from ..procedure.models import Category, Requirement
from .seed import current_procedure
from .term import application_window
from .versions import published_version

bp = Blueprint("procedure", __name__)


def _procedure_or_404():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@bp.route("/")
def home():
    from . import settings as procedure_ops

    procedure = _procedure_or_404()
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()
    # Published tariffs of the current year, and of next year once they are published.
    year = procedure_ops.public_tariff_year(procedure)
    tariffs = procedure_ops.published_tariffs(procedure, [year, year + 1])
    return render_template(
        "procedure/home.html", procedure=procedure, categories=categories,
        documents=procedure_ops.procedure_documents(procedure), tariff_year=year,
        tariffs=tariffs, window=application_window(procedure))


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
                           requirements=reqs, window=application_window(procedure))


@bp.route("/privacyverklaring")
def privacy_statement():
    """What the portal does with personal data, and how long it keeps them (from the settings)."""
    return render_template("procedure/privacy.html", retentions=RETENTIONS)


@bp.route("/toegankelijkheidsverklaring")
def accessibility_statement():
    """The accessibility statement, in the form Dutch government bodies publish it."""
    return render_template("procedure/accessibility.html")
