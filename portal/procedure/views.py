import re
from functools import lru_cache

from flask import Blueprint, abort, has_request_context, render_template, request
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import contentversion
from ..accounts.privacy import RETENTIONS
from ..extensions import db
from ..pagecache import public_page
from ..procedure.models import PROCEDURE_CONTENT, Category, Requirement
from ..timeutil import today_local
from .seed import current_procedure
from .term import application_window
from .versions import published_version

bp = Blueprint("procedure", __name__)


def procedure_version() -> str:
    """What the procedure's public pages show changes with its content's version and with
    the day (the application window, the tariffs' year)."""
    return f"{contentversion.current(PROCEDURE_CONTENT)}-{today_local().isoformat()}"


def _procedure_or_404():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@bp.route("/")
@public_page(procedure_version)
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


@bp.route("/tarieven")
@public_page(procedure_version)
def tariffs():
    """The published tariffs of every year of the term, per category (what requirement A13
    asks the provider to agree to)."""
    from . import settings as procedure_ops

    procedure = _procedure_or_404()
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()
    published = procedure_ops.published_tariffs(procedure, procedure_ops.tariff_years(procedure))
    # {year: [(category, [(product, tariff), ...]), ...]} in the categories' order.
    years = {}
    for year, rows in published.items():
        per_category = {}
        for product, tariff in rows:
            per_category.setdefault(product.category_id, []).append((product, tariff))
        years[year] = [(c, per_category[c.id]) for c in categories if c.id in per_category]
    return render_template("procedure/tariffs.html", procedure=procedure, years=years,
                           current_year=procedure_ops.public_tariff_year(procedure),
                           categories=categories)


# A requirement's help text may link to a public page of the portal: "[text](/path)".
_HELP_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((/(?!/)[A-Za-z0-9/_-]*)\)")


@bp.app_template_filter("help_links")
def help_links(text: str | None) -> Markup:
    """``text`` escaped, with "[text](/path)" made a link to that page of the portal (only
    paths inside the portal: nothing else becomes markup)."""
    root = request.script_root if has_request_context() else ""
    # Markup over text escaped in _linked; the only markup added is a link whose target
    # the pattern limits to a path of letters, digits, / _ and - inside the portal.
    return Markup(_linked(text or "", root))  # nosec B704


@lru_cache(maxsize=1024)
def _linked(text: str, root: str) -> str:
    # Kept per text: the same requirements' help texts are shown on page after page.
    escaped, root = str(escape(text)), escape(root)
    return _HELP_LINK.sub(lambda m: f'<a href="{root}{m.group(2)}">{m.group(1)}</a>', escaped)


@bp.route("/eisen")
@public_page(procedure_version)
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
