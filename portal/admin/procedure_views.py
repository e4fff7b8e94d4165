"""Administration: the procedure's settings and public documents, its categories, and its
products and tariffs (P×Q). The changes themselves live in ``procedure_ops``.

Every route here is for administrators, except the public download of a procedure
document (``/procedure/documenten/<kind>``), which is added to the application outside
the /beheer prefix of this blueprint.
"""
from __future__ import annotations

from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from .. import files as storage
from ..actions import EXPIRED, Conflict, attempt, button, show_errors, submit
from ..audit.models import AuditEvent
from ..auth import admin_required
from ..errors import DomainError
from ..extensions import db
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..pagination import paginate
from ..procedure import settings as ops
from ..procedure.models import Category, Procedure, ProcedureDocument, Product, Tariff
from ..procedure.seed import current_procedure
from ..reports import counts as report_counts
from .procedure_forms import (
    ActionForm,
    CategoryForm,
    DocumentForm,
    MoveForm,
    OpenForm,
    ProductForm,
    PublishForm,
    SettingsForm,
    index_form,
    tariffs_form,
)

bp = Blueprint("admin_procedure", __name__, url_prefix="/beheer")

HISTORY_LIMIT = 20
CODE_TAKEN = N_("Deze productcode is intussen al in gebruik.")


# --- helpers ---------------------------------------------------------------------------------------

def _procedure() -> Procedure:
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


def _submit(form, operation, *, page, fingerprint, **kwargs):
    """``portal.actions.submit`` for a form built on a fingerprint. After a stale form
    (``StaleForm``: its message is above the form, the typed input stays) the form carries
    the current fingerprint, ``fingerprint()``, so that saving again overwrites, knowingly."""

    def again():
        if _(ops.STALE_MESSAGE) in form.form_errors:
            form.version.data = fingerprint()
            form.version.raw_data = [str(form.version.data)]
        return page()

    return submit(form, operation, page=again, **kwargs)


def _history(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == object_type,
                                 AuditEvent.object_id == object_id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(HISTORY_LIMIT)))


def _term_url() -> str | None:
    """The page where extension options are exercised (the partners part), if present."""
    try:
        return url_for("partners_partner.term")
    except BuildError:
        return None


# --- procedure settings ---------------------------------------------------------------------------

def _render_settings(procedure, form, fixed):
    return render_template(
        "admin/procedure/settings.html", procedure=procedure, form=form, fixed=fixed,
        locked="term_end" in fixed, submitted=ops.has_submissions(procedure),
        term_url=_term_url(), history=_history(Procedure.__tablename__, procedure.id),
        history_limit=HISTORY_LIMIT)


@bp.route("/procedure", methods=["GET", "POST"])
@admin_required
def settings():
    procedure = _procedure()
    fixed = ops.fixed_fields(procedure)
    if request.method == "GET":
        form = SettingsForm(formdata=None, obj=procedure,
                            data={"version": ops.settings_fingerprint(procedure)})
    else:
        form = SettingsForm()
    for name in fixed:  # shown read-only; posted by a form built before, it is refused
        if request.method == "GET" or name not in request.form:
            delattr(form, name)
    if request.method == "GET":
        return _render_settings(procedure, form, fixed)
    valid = form.validate()
    new = ops.Settings.of(procedure)
    for name in ops.SETTING_FIELDS:
        if name in form:
            setattr(new, name, form[name].data)
    if not valid:  # the rules of the fields that could be read, all in one go
        unread = {name for name in ops.SETTING_FIELDS if name in form and form[name].errors}
        show_errors(form, ops.check_settings(procedure, new, skip=unread))

    def page():
        current = _procedure()
        return _render_settings(current, form, ops.fixed_fields(current))

    return _submit(
        form, lambda: ops.update_settings(procedure, new, by=current_user,
                                          fingerprint=form.version.data),
        validated=valid, page=page, done=url_for("admin_procedure.settings"),
        success=lambda changed: (_("De instellingen zijn opgeslagen.") if changed else
                                 _("Er was niets gewijzigd.")),
        fingerprint=lambda: ops.settings_fingerprint(_procedure()))


@bp.route("/procedure/aanmelden", methods=["GET", "POST"])
@admin_required
def opening():
    procedure = _procedure()
    if request.method == "GET":
        form = OpenForm(formdata=None, data={
            "state": "open" if procedure.is_open else "gesloten",
            "closed_notice": procedure.closed_notice, "reopens_on": procedure.reopens_on,
            "version": ops.settings_fingerprint(procedure)})
        return render_template("admin/procedure/opening.html", procedure=procedure, form=form)
    form = OpenForm()

    def opened(changed: bool) -> str:
        if not changed:
            return _("Er was niets gewijzigd.")
        if procedure.is_open:
            return _("Aanmelden is open: aanbieders kunnen zich weer aanmelden.")
        return _("Aanmelden is gesloten. De mededeling staat op de openbare pagina.")

    return _submit(
        form, lambda: ops.set_applications_open(
            procedure, form.state.data == "open", by=current_user,
            notice=form.closed_notice.data, reopens_on=form.reopens_on.data,
            fingerprint=form.version.data),
        success=opened, done=url_for("admin_procedure.settings"),
        page=lambda: render_template("admin/procedure/opening.html", procedure=_procedure(),
                                     form=form),
        fingerprint=lambda: ops.settings_fingerprint(_procedure()))


# --- public documents --------------------------------------------------------------------------

def _document_forms(documents, failed: tuple[str, DocumentForm] | None = None):
    forms = {}
    for kind, default_title in ops.DOCUMENT_KINDS.items():
        if failed and failed[0] == kind:
            forms[kind] = failed[1]
        else:
            current = documents.get(kind)
            forms[kind] = DocumentForm(formdata=None, prefix=kind, data={
                "title": current.title if current else default_title})
    return forms


def _render_documents(procedure, failed=None):
    documents = ops.procedure_documents(procedure)
    return render_template(
        "admin/procedure/documents.html", procedure=procedure, documents=documents,
        kinds=ops.DOCUMENT_KINDS, forms=_document_forms(documents, failed),
        action_form=ActionForm(), max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
    )


@bp.route("/procedure/documenten")
@admin_required
def documents():
    return _render_documents(_procedure())


@bp.route("/procedure/documenten/<kind>", methods=["POST"])
@admin_required
def upload_document(kind):
    if kind not in ops.DOCUMENT_KINDS:
        abort(404)
    procedure = _procedure()
    form = DocumentForm(prefix=kind)
    return submit(
        form, lambda: ops.publish_document(procedure, kind, title=form.title.data,
                                           file_storage=form.file.data, by=current_user,
                                           max_bytes=current_app.config["UPLOAD_MAX_BYTES"]),
        success=_("%(kind)s is gepubliceerd op de openbare pagina.",
                  kind=ops.DOCUMENT_KINDS[kind]),
        done=url_for("admin_procedure.documents"),
        page=lambda: _render_documents(_procedure(), (kind, form)))


@bp.route("/procedure/documenten/<kind>/intrekken", methods=["POST"])
@admin_required
def withdraw_document(kind):
    if kind not in ops.DOCUMENT_KINDS:
        abort(404)
    return button(
        ActionForm(), lambda: ops.withdraw_document(_procedure(), kind, by=current_user),
        success=_("%(kind)s staat niet meer op de openbare pagina.",
                  kind=ops.DOCUMENT_KINDS[kind]),
        back=url_for("admin_procedure.documents"))


def public_document(kind):
    """The published PDF of the procedure, for anyone (no login)."""
    procedure = current_procedure()
    if procedure is None or kind not in ops.DOCUMENT_KINDS:
        abort(404)
    row = db.session.scalar(
        select(ProcedureDocument).where(ProcedureDocument.procedure_id == procedure.id,
                                        ProcedureDocument.kind == kind)
        .options(joinedload(ProcedureDocument.document)))
    if row is None:
        abort(404)
    return storage.send_document(row.document, mimetype="application/pdf")


@bp.record_once
def _public_routes(state):
    # The blueprint's /beheer prefix must not apply to the public download.
    state.app.add_url_rule("/procedure/documenten/<kind>", "procedure_document",
                           public_document)


# --- categories ------------------------------------------------------------------------------

def _category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.procedure_id != _procedure().id:
        abort(404)
    return category


@bp.route("/categorieen")
@admin_required
def categories():
    procedure = _procedure()
    rows = list(db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id)
        .order_by(Category.position, Category.id)))
    admissions = report_counts.live_admissions_per_category()  # kept counts, not a scan
    products = dict(db.session.execute(
        select(Product.category_id, func.count(Product.id))
        .where(Product.procedure_id == procedure.id).group_by(Product.category_id)).all())
    return render_template("admin/procedure/categories.html", categories=rows,
                           admissions=admissions, products=products, move_form=MoveForm(),
                           action_form=ActionForm())


@bp.route("/categorieen/nieuw", methods=["GET", "POST"])
@admin_required
def add_category():
    procedure = _procedure()
    form = CategoryForm()

    def page():
        return render_template("admin/procedure/category_form.html", form=form, category=None)

    if request.method == "GET":
        return page()
    try:
        return submit(
            form, lambda: ops.add_category(procedure, name=form.name.data,
                                           description=form.description.data, by=current_user),
            success=lambda category: _("De categorie %(name)s is toegevoegd, onderaan "
                                       "de lijst.", name=category.name),
            done=url_for("admin_procedure.categories"), page=page)
    except IntegrityError:  # two administrators added the same name at once (rolled back)
        form.name.errors = [_("Deze categorie is intussen al toegevoegd.")]
        return page(), 422


@bp.route("/categorieen/<int:category_id>", methods=["GET", "POST"])
@admin_required
def edit_category(category_id):
    category = _category(category_id)
    if request.method == "GET":
        form = CategoryForm(formdata=None, obj=category,
                            data={"version": ops.category_fingerprint(category)})
        return render_template("admin/procedure/category_form.html", form=form,
                               category=category)
    form = CategoryForm()
    return _submit(
        form, lambda: ops.update_category(category, name=form.name.data,
                                          description=form.description.data, by=current_user,
                                          fingerprint=form.version.data),
        success=lambda changed: (_("De categorie is gewijzigd.") if changed else
                                 _("Er was niets gewijzigd.")),
        done=url_for("admin_procedure.categories"),
        page=lambda: render_template("admin/procedure/category_form.html", form=form,
                                     category=_category(category_id)),
        fingerprint=lambda: ops.category_fingerprint(_category(category_id)))


@bp.route("/categorieen/<int:category_id>/verplaatsen", methods=["POST"])
@admin_required
def move_category(category_id):
    category = _category(category_id)
    form = MoveForm()
    if not form.validate():
        flash(_(EXPIRED), "error")
    else:  # the list shows the new order: no message when it worked
        try:
            attempt(lambda: ops.move_category(category, form.direction.data, by=current_user))
        except (DomainError, Conflict) as exc:
            flash(exc.message, "error")
    return redirect(url_for("admin_procedure.categories") + f"#categorie-{category_id}")


@bp.route("/categorieen/<int:category_id>/deactiveren", methods=["POST"])
@admin_required
def deactivate_category(category_id):
    return _set_active(category_id, False)


@bp.route("/categorieen/<int:category_id>/activeren", methods=["POST"])
@admin_required
def reactivate_category(category_id):
    return _set_active(category_id, True)


def _set_active(category_id: int, active: bool):
    category = _category(category_id)
    name = category.name
    return button(
        ActionForm(), lambda: ops.set_category_active(category, active, by=current_user),
        success=(_("De categorie %(name)s is weer actief: aanbieders kunnen zich ervoor "
                   "aanmelden.", name=name)
                 if active else
                 _("De categorie %(name)s is gedeactiveerd: nieuwe aanmeldingen ervoor zijn niet "
                   "meer mogelijk. Bestaande toelatingen blijven.", name=name)),
        back=url_for("admin_procedure.categories") + f"#categorie-{category_id}")


# --- products ---------------------------------------------------------------------------------

def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.procedure_id != _procedure().id:
        abort(404)
    return product


def _category_choices(form: ProductForm, procedure: Procedure) -> None:
    rows = db.session.scalars(select(Category).where(Category.procedure_id == procedure.id)
                              .order_by(Category.position, Category.id))
    form.category_id.choices = [("", _("Kies een categorie"))] + [
        (c.id, c.name if c.is_active else _("%(name)s (gedeactiveerd)", name=c.name))
        for c in rows]


def _spec(form: ProductForm) -> ops.ProductSpec:
    return ops.ProductSpec(code=form.code.data, name=form.name.data, unit=form.unit.data,
                           category_id=form.category_id.data)


@bp.route("/producten")
@admin_required
def products():
    procedure = _procedure()
    year = ops.public_tariff_year(procedure)
    ids = (select(Product.id).outerjoin(Category, Category.id == Product.category_id)
           .where(Product.procedure_id == procedure.id)
           .order_by(func.coalesce(Category.position, 1_000_000), Product.code, Product.id))
    page = paginate(ids, lambda page_ids: db.session.scalars(
        select(Product).where(Product.id.in_(page_ids)).options(joinedload(Product.category))))
    tariffs = ops.tariffs_by_product(procedure, [year])
    return render_template("admin/procedure/products.html", page=page, year=year,
                           tariffs=tariffs, unpriced=ops.unpriced_categories(procedure, year))


@bp.route("/producten/nieuw", methods=["GET", "POST"])
@admin_required
def add_product():
    procedure = _procedure()
    form = ProductForm()
    _category_choices(form, procedure)
    if request.method == "GET":
        return render_template("admin/procedure/product_form.html", form=form, product=None)

    def page():
        _category_choices(form, _procedure())
        return render_template("admin/procedure/product_form.html", form=form, product=None)

    try:
        return submit(
            form, lambda: ops.add_product(procedure, _spec(form), by=current_user),
            success=lambda product: _("Product %(code)s is toegevoegd. Vul daarna de "
                                      "tarieven in.", code=product.code),
            done=url_for("admin_procedure.products"), page=page)
    except IntegrityError:  # the same code added at the same moment (rolled back)
        form.code.errors = [_(CODE_TAKEN)]
        return page(), 422


@bp.route("/producten/<int:product_id>", methods=["GET", "POST"])
@admin_required
def edit_product(product_id):
    procedure = _procedure()
    product = _product(product_id)
    if request.method == "GET":
        form = ProductForm(formdata=None, obj=product,
                           data={"version": ops.product_fingerprint(product)})
        _category_choices(form, procedure)
        return render_template("admin/procedure/product_form.html", form=form, product=product)
    form = ProductForm()
    _category_choices(form, procedure)

    def page():
        _category_choices(form, _procedure())
        return render_template("admin/procedure/product_form.html", form=form,
                               product=_product(product_id))

    try:
        return _submit(
            form, lambda: ops.update_product(product, _spec(form), by=current_user,
                                             fingerprint=form.version.data),
            success=lambda changed: (_("Het product is gewijzigd.") if changed else
                                     _("Er was niets gewijzigd.")),
            done=url_for("admin_procedure.products"), page=page,
            fingerprint=lambda: ops.product_fingerprint(_product(product_id)))
    except IntegrityError:  # the same code saved at the same moment (rolled back)
        form.code.errors = [_(CODE_TAKEN)]
        return page(), 422


# --- tariffs ----------------------------------------------------------------------------------

def _year(procedure: Procedure, year: int) -> int:
    if year not in ops.tariff_years(procedure):
        abort(404)
    return year


@bp.route("/tarieven")
@admin_required
def tariffs():
    procedure = _procedure()
    years = ops.tariff_years(procedure)
    products = ops.products_of(procedure)
    rows = db.session.execute(
        select(Tariff.year, Tariff.published_at.is_not(None), func.count())
        .join(Product, Product.id == Tariff.product_id)
        .where(Product.procedure_id == procedure.id, Product.is_active.is_(True))
        .group_by(Tariff.year, Tariff.published_at.is_not(None))).all()
    counts = {}
    for year, published, n in rows:
        counts.setdefault(year, {"published": 0, "draft": 0})[
            "published" if published else "draft"] += n
    return render_template("admin/procedure/tariffs.html", years=years, counts=counts,
                           product_count=len(products),
                           current_year=ops.public_tariff_year(procedure))


def _render_year(procedure, year, *, form=None, idx_form=None):
    products = ops.products_of(procedure)
    tariffs = ops.tariffs_by_product(procedure, [year - 1, year])
    fingerprint = ops.tariffs_fingerprint(procedure, year)
    if form is None:
        form = tariffs_form(products, {
            p.id: _price_text(tariffs[(p.id, year)].price)
            for p in products if (p.id, year) in tariffs})
        form.version.data = fingerprint
    if idx_form is None:
        idx_form = index_form(products)
        idx_form.version.data = fingerprint
    rows = []
    for p in products:
        base, new = tariffs.get((p.id, year - 1)), tariffs.get((p.id, year))
        change = None
        if base is not None and new is not None and base.price:
            change = ((Decimal(new.price) - Decimal(base.price)) * 100 / Decimal(base.price)
                      ).quantize(Decimal("0.01"))
        rows.append({"product": p, "base": base, "new": new, "change": change})
    drafts = sum(1 for r in rows if r["new"] is not None and r["new"].published_at is None)
    missing = [r["product"].code for r in rows if r["new"] is None]
    return render_template(
        "admin/procedure/tariff_year.html", procedure=procedure, year=year, rows=rows,
        form=form, idx_form=idx_form, publish_form=PublishForm(formdata=None, data={
            "version": fingerprint}), drafts=drafts, missing=missing,
        has_base=(year - 1) in ops.tariff_years(procedure),
        years=ops.tariff_years(procedure))


def _price_text(price) -> str:
    """A stored price as a Dutch amount for the input: 1234.5 -> '1.234,50'."""
    return f"{Decimal(price).quantize(ops.CENT):,}".replace(",", " ").replace(".", ",") \
        .replace(" ", ".")


@bp.route("/tarieven/<int:year>", methods=["GET", "POST"])
@admin_required
def tariff_year(year):
    procedure = _procedure()
    _year(procedure, year)
    if request.method == "GET":
        return _render_year(procedure, year)
    products = ops.products_of(procedure)
    form = tariffs_form(products, {}, formdata=request.form)
    return _submit(
        form, lambda: ops.set_prices(procedure, year, {p.id: form[f"p{p.id}"].data
                                                       for p in products},
                                     by=current_user, fingerprint=form.version.data),
        success=lambda changed: (_("De tarieven %(year)s zijn opgeslagen als concept. Ze zijn "
                                   "pas openbaar als u ze publiceert.", year=year) if changed else
                                 _("Er was niets gewijzigd.")),
        done=url_for("admin_procedure.tariff_year", year=year),
        page=lambda: _render_year(_procedure(), year, form=form),
        fingerprint=lambda: ops.tariffs_fingerprint(_procedure(), year))


@bp.route("/tarieven/<int:year>/indexeren", methods=["POST"])
@admin_required
def index_year(year):
    procedure = _procedure()
    _year(procedure, year)
    products = ops.products_of(procedure)
    form = index_form(products, formdata=request.form)
    return _submit(
        form, lambda: ops.index_prices(
            procedure, year, by=current_user, percentage=form.percentage.data,
            per_product={p.id: form[f"i{p.id}"].data for p in products},
            fingerprint=form.version.data),
        success=lambda n: ngettext(
            "%(num)d tarief voor %(year)s berekend en opgeslagen als concept. Controleer ze "
            "naast de tarieven van %(previous)s en publiceer ze daarna.",
            "%(num)d tarieven voor %(year)s berekend en opgeslagen als concept. Controleer ze "
            "naast de tarieven van %(previous)s en publiceer ze daarna.",
            n, year=year, previous=year - 1),
        done=url_for("admin_procedure.tariff_year", year=year),
        page=lambda: _render_year(_procedure(), year, idx_form=form),
        fingerprint=lambda: ops.tariffs_fingerprint(_procedure(), year))


@bp.route("/tarieven/<int:year>/publiceren", methods=["POST"])
@admin_required
def publish_year(year):
    procedure = _procedure()
    _year(procedure, year)
    form = PublishForm()
    return button(
        form, lambda: ops.publish_tariffs(procedure, year, by=current_user,
                                          fingerprint=form.version.data),
        success=lambda n: ngettext(
            "%(num)d tarief voor %(year)s gepubliceerd; ze staan nu op de openbare pagina.",
            "%(num)d tarieven voor %(year)s gepubliceerd; ze staan nu op de openbare pagina.",
            n, year=year),
        back=url_for("admin_procedure.tariff_year", year=year))
