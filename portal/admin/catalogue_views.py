"""Administration: the requirement catalogue and its versions.

The versions, a draft to edit (add, change, reorder, remove requirements), publishing,
and a comparison of two versions. The changes themselves live in ``catalogue_ops``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import eager
from ..actions import EXPIRED, Conflict, attempt, button, submit
from ..audit.models import AuditEvent
from ..auth import admin_required
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import gettext as _
from ..pagination import paginate
from ..procedure import versions as ops
from ..procedure.models import CatalogueVersion, Category, Procedure, Requirement
from ..procedure.seed import current_procedure
from ..reports import counts as report_counts
from .catalogue_forms import (
    ActionForm,
    CompareForm,
    MoveForm,
    PublishForm,
    RequirementForm,
    check_choices,
)

bp = Blueprint("admin_catalogue", __name__, url_prefix="/beheer")

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class VersionRow:
    version: CatalogueVersion
    requirements: int
    applications: int

    @property
    def id(self) -> int:
        return self.version.id


# --- loading ---------------------------------------------------------------------------------

def _procedure() -> Procedure:
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@cache
def _statements(lock: bool = False) -> dict:
    """The version pages' statements, built once (the ids and numbers as parameters)."""
    version = select(CatalogueVersion).where(
        CatalogueVersion.procedure_id == bindparam("catalogue_procedure_id"),
        CatalogueVersion.number == bindparam("catalogue_number"))
    return {
        "version": version.with_for_update() if lock else version,
        "history": select(AuditEvent)
        .where(AuditEvent.object_type == CatalogueVersion.__tablename__,
               AuditEvent.object_id == bindparam("catalogue_version_id"),
               AuditEvent.at >= bindparam("catalogue_created_at"))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT),
        "previous": select(func.max(CatalogueVersion.number))
        .where(CatalogueVersion.procedure_id == bindparam("catalogue_procedure_id"),
               CatalogueVersion.number < bindparam("catalogue_number")),
    }


def _version(number: int, *, lock: bool = False) -> CatalogueVersion:
    version = db.session.scalar(_statements(lock)["version"], {
        "catalogue_procedure_id": _procedure().id, "catalogue_number": number})
    if version is None:
        abort(404)
    return version


def _requirement(version: CatalogueVersion, requirement_id: int) -> Requirement:
    requirement = db.session.scalar(
        select(Requirement).where(Requirement.id == requirement_id,
                                  Requirement.version_id == version.id)
        .options(selectinload(Requirement.categories)))
    if requirement is None:
        abort(404)
    return requirement


@cache
def _requirement_categories() -> eager.Collection:
    return eager.collection(Requirement.categories)


def _requirements(version: CatalogueVersion) -> list[Requirement]:
    requirements = db.session.scalars(
        select(Requirement).where(Requirement.version_id == version.id)
        .order_by(Requirement.position, Requirement.id)).all()
    eager.fill(db.session, requirements, _requirement_categories())
    return list(requirements)


def _categories(procedure_id: int) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.procedure_id == procedure_id).order_by(Category.position)))


def _version_page(number: int):
    return redirect(url_for("admin_catalogue.version", number=number))


def _refused(version: CatalogueVersion):
    """A redirect with the Dutch refusal when ``version`` is published, else None."""
    try:
        ops.require_draft(version)
    except DomainError as exc:
        flash(exc.message, "error")
        return _version_page(version.number)
    return None


# --- overview ----------------------------------------------------------------------------------

@bp.route("/eisen")
@admin_required
def index():
    procedure = _procedure()
    ids = (select(CatalogueVersion.id).where(CatalogueVersion.procedure_id == procedure.id)
           .order_by(CatalogueVersion.number.desc()))

    def load(page_ids):
        requirements = dict(db.session.execute(
            select(Requirement.version_id, func.count(Requirement.id))
            .where(Requirement.version_id.in_(page_ids)).group_by(Requirement.version_id)).all())
        applications = report_counts.applications_per_version(page_ids)  # kept counts
        return [VersionRow(v, requirements.get(v.id, 0), applications.get(v.id, 0))
                for v in db.session.scalars(select(CatalogueVersion)
                                            .where(CatalogueVersion.id.in_(page_ids)))]

    page = paginate(ids, load)
    numbers = list(db.session.scalars(
        select(CatalogueVersion.number).where(CatalogueVersion.procedure_id == procedure.id)
        .order_by(CatalogueVersion.number.desc())))
    draft = ops.draft_of(procedure)
    current = ops.published_version(procedure)
    return render_template(
        "admin/catalogue/index.html", page=page, draft=draft, current=current,
        compare_form=_compare_form(numbers, *_default_pair(numbers, None, None)),
        action_form=ActionForm(), can_compare=len(numbers) > 1)


@bp.route("/eisen/concept", methods=["POST"])
@admin_required
def create_draft():
    procedure = db.session.get(Procedure, _procedure().id, with_for_update=True)
    try:
        return button(
            ActionForm(), lambda: ops.create_draft(procedure, by=current_user),
            success=lambda draft: _("Conceptversie %(number)s is gemaakt. Wijzig de eisen en "
                                    "publiceer de versie daarna; tot dan merkt niemand er iets "
                                    "van.", number=draft.number),
            back=url_for("admin_catalogue.index"),
            done=lambda draft: url_for("admin_catalogue.version", number=draft.number))
    except IntegrityError:  # another administrator made one at the same moment (rolled back)
        flash(_("Er is intussen al een conceptversie gemaakt; u ziet nu de actuele stand."), "error")
        return redirect(url_for("admin_catalogue.index"))


# --- one version -----------------------------------------------------------------------------------

def _render_version(version: CatalogueVersion, *, publish_form=None):
    requirements = _requirements(version)
    statements = _statements()
    history = db.session.scalars(statements["history"], {
        "catalogue_version_id": version.id, "catalogue_created_at": version.created_at}).all()
    previous = db.session.scalar(statements["previous"], {
        "catalogue_procedure_id": version.procedure_id, "catalogue_number": version.number})
    return render_template(
        "admin/catalogue/version.html", version=version, requirements=requirements,
        draft=ops.is_draft(version), history=history, history_limit=HISTORY_LIMIT,
        previous=previous, action_form=ActionForm(), move_form=MoveForm(),
        publish_form=publish_form or PublishForm(formdata=None))


@bp.route("/eisen/versie/<int:number>")
@admin_required
def version(number):
    return _render_version(_version(number))


def _attach(form: RequirementForm, errors) -> list[tuple[str, str]]:
    """Put each (field, message) on its field; the rest is returned for the summary."""
    extra = []
    for name, message in errors:
        f = form._fields.get(name)
        if f is None or name in ("csrf_token", "version"):
            extra.append((name, message))
        elif not f.errors:
            f.errors = [message]
    return extra


def _requirement_page(version, form, *, requirement=None, extra=(), status=200):
    return render_template("admin/catalogue/requirement_form.html", version=version, form=form,
                           requirement=requirement, extra=list(extra)), status


def _save(version, form, run, *, requirement=None):
    """Validate the posted requirement form and run ``run(spec)`` (``portal.actions.attempt``);
    every problem is shown on the form, with the input kept, except a refusal of the whole
    version (a flash message on its page). Returns (result, None) or (None, response)."""
    valid = form.validate()
    check_choices(form)
    if not valid:
        extra = []
        if not form.csrf_token.errors:
            # The rules of the catalogue too, so that every problem shows at once.
            extra = _attach(form, ops.validate(version, form.spec().normalised(),
                                               current=requirement))
        return None, _requirement_page(version, form, requirement=requirement, extra=extra,
                                       status=422)
    extra, status = [], 422
    try:
        return attempt(lambda: run(form.spec())), None
    except ValidationFailed as exc:
        extra = _attach(form, exc.errors)
    except ops.StaleRequirement as exc:
        requirement = _requirement(_version(version.number), requirement.id)
        form.form_errors.append(exc.message)
        current = str(ops.fingerprint(requirement))
        form.version.data, form.version.raw_data = int(current), [current]
    except IntegrityError:  # the same code saved at the same moment by someone else
        form.code.errors = [_("Deze code is in deze versie al in gebruik. Kies een andere code.")]
    except DomainError as exc:
        flash(exc.message, "error")
        return None, _version_page(version.number)
    except Conflict as exc:
        form.form_errors.append(exc.message)
        status = 409
    version = _version(version.number)
    if requirement is not None:
        requirement = _requirement(version, requirement.id)
    return None, _requirement_page(version, form, requirement=requirement, extra=extra,
                                   status=status)


@bp.route("/eisen/versie/<int:number>/eis/nieuw", methods=["GET", "POST"])
@admin_required
def add(number):
    version = _version(number, lock=request.method == "POST")
    refused = _refused(version)
    if refused:
        return refused
    form = RequirementForm(formdata=request.form if request.method == "POST" else None)
    form.set_categories(_categories(version.procedure_id))
    if request.method == "GET":
        return _requirement_page(version, form)
    result, response = _save(version, form,
                             lambda spec: ops.add_requirement(version, spec, by=current_user))
    if response is not None:
        return response
    flash(_("Eis %(code)s is toegevoegd aan conceptversie %(number)s.", code=result.code,
            number=number), "success")
    return redirect(url_for("admin_catalogue.version", number=number) + f"#eis-{result.id}")


@bp.route("/eisen/versie/<int:number>/eis/<int:requirement_id>", methods=["GET", "POST"])
@admin_required
def edit(number, requirement_id):
    version = _version(number, lock=request.method == "POST")
    refused = _refused(version)
    if refused:
        return refused
    requirement = _requirement(version, requirement_id)
    if request.method == "GET":
        form = RequirementForm(formdata=None,
                               data=RequirementForm.data_of(requirement,
                                                            ops.fingerprint(requirement)))
        form.set_categories(_categories(version.procedure_id))
        return _requirement_page(version, form, requirement=requirement)
    form = RequirementForm()
    form.set_categories(_categories(version.procedure_id))
    changed, response = _save(
        version, form,
        lambda spec: ops.change_requirement(requirement, spec, by=current_user,
                                            expected=form.version.data),
        requirement=requirement)
    if response is not None:
        return response
    if changed:
        flash(_("Eis %(code)s is gewijzigd.", code=requirement.code), "success")
    else:
        flash(_("Er is niets veranderd aan eis %(code)s.", code=requirement.code), "info")
    return redirect(url_for("admin_catalogue.version", number=number) + f"#eis-{requirement.id}")


@bp.route("/eisen/versie/<int:number>/eis/<int:requirement_id>/verplaatsen", methods=["POST"])
@admin_required
def move(number, requirement_id):
    version = _version(number, lock=True)
    form = MoveForm()
    if not form.validate():
        flash(_(EXPIRED), "error")
        return _version_page(number)
    refused = _refused(version)
    if refused:
        return refused
    requirement = _requirement(version, requirement_id)
    try:
        moved = attempt(lambda: ops.move_requirement(requirement, form.direction.data,
                                                     by=current_user))
    except (DomainError, Conflict) as exc:
        flash(exc.message, "error")
        return _version_page(number)
    up = form.direction.data == "up"
    if moved:
        flash(_("Eis %(code)s staat nu een plaats omhoog.", code=requirement.code) if up else
              _("Eis %(code)s staat nu een plaats omlaag.", code=requirement.code), "success")
    else:
        flash(_("Eis %(code)s staat al bovenaan.", code=requirement.code) if up else
              _("Eis %(code)s staat al onderaan.", code=requirement.code), "info")
    return redirect(url_for("admin_catalogue.version", number=number) + f"#eis-{requirement.id}")


@bp.route("/eisen/versie/<int:number>/eis/<int:requirement_id>/verwijderen",
          methods=["GET", "POST"])
@admin_required
def remove(number, requirement_id):
    version = _version(number, lock=request.method == "POST")
    refused = _refused(version)
    if refused:
        return refused
    requirement = _requirement(version, requirement_id)
    form = ActionForm()
    if request.method == "POST":
        return button(form, lambda: ops.remove_requirement(requirement, by=current_user),
                      success=_("Eis %(code)s is verwijderd uit conceptversie %(number)s.",
                                code=requirement.code, number=number),
                      back=url_for("admin_catalogue.version", number=number))
    return render_template("admin/catalogue/remove.html", version=version,
                           requirement=requirement, form=form)


@bp.route("/eisen/versie/<int:number>/publiceren", methods=["POST"])
@admin_required
def publish(number):
    version = _version(number, lock=True)
    refused = _refused(version)
    if refused:
        return refused
    form = PublishForm()  # the rules refuse only its note (at the field) or the whole version
    return submit(
        form, lambda: ops.publish(version, form.note.data, by=current_user),
        success=_("Versie %(number)s is gepubliceerd. Nieuwe aanmeldingen en concepten krijgen "
                  "vanaf nu deze versie; ingediende aanmeldingen houden de versie waarop ze zijn "
                  "ingediend. Toegelaten partners wordt gevraagd nieuwe of gewijzigde eisen te "
                  "herbevestigen.", number=number),
        done=url_for("admin_catalogue.version", number=number),
        page=lambda: _render_version(_version(number), publish_form=form))


@bp.route("/eisen/versie/<int:number>/weggooien", methods=["GET", "POST"])
@admin_required
def discard(number):
    version = _version(number, lock=request.method == "POST")
    refused = _refused(version)
    if refused:
        return refused
    form = ActionForm()
    if request.method == "POST":
        return button(form, lambda: ops.discard_draft(version, by=current_user),
                      success=_("Conceptversie %(number)s is weggegooid.", number=number),
                      back=url_for("admin_catalogue.version", number=number),
                      done=url_for("admin_catalogue.index"))
    count = db.session.scalar(select(func.count(Requirement.id))
                              .where(Requirement.version_id == version.id))
    return render_template("admin/catalogue/discard.html", version=version, form=form,
                           count=count)


# --- comparison -------------------------------------------------------------------------------------

def _default_pair(numbers: list[int], old: int | None, new: int | None) -> tuple[int, int]:
    """The versions to compare when not (fully) chosen: the newest with the one before."""
    ordered = sorted(numbers)
    if new is None:
        new = ordered[-1] if ordered else 0
    if old is None:
        earlier = [n for n in ordered if n < new]
        old = earlier[-1] if earlier else (ordered[0] if ordered else 0)
    return old, new


def _compare_form(numbers, old, new, formdata=None):
    form = CompareForm(formdata=formdata, data={"van": old, "naar": new})
    choices = [(n, _("Versie %(number)s", number=n)) for n in numbers]
    form.van.choices = choices
    form.naar.choices = choices
    return form


def _number_arg(name):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None, None
    try:
        return int(raw), None
    except ValueError:
        return None, _("Kies een versie uit de lijst.")


@bp.route("/eisen/vergelijken")
@admin_required
def compare():
    procedure = _procedure()
    numbers = list(db.session.scalars(
        select(CatalogueVersion.number).where(CatalogueVersion.procedure_id == procedure.id)
        .order_by(CatalogueVersion.number.desc())))
    (old, old_error), (new, new_error) = _number_arg("van"), _number_arg("naar")
    errors = []
    if old_error:
        errors.append(("van", old_error))
    if new_error:
        errors.append(("naar", new_error))
    if old is not None and old not in numbers:
        errors.append(("van", _("Versie %(number)s bestaat niet.", number=old)))
        old = None
    if new is not None and new not in numbers:
        errors.append(("naar", _("Versie %(number)s bestaat niet.", number=new)))
        new = None
    old, new = _default_pair(numbers, old, new)
    form = _compare_form(numbers, old, new)
    for name, message in errors:
        form[name].errors = [*form[name].errors, message]
    result = versions = None
    if old and new and old != new:
        versions = {v.number: v for v in db.session.scalars(
            select(CatalogueVersion).where(CatalogueVersion.procedure_id == procedure.id,
                                           CatalogueVersion.number.in_((old, new))))}
        reqs = db.session.scalars(
            select(Requirement).where(Requirement.version_id.in_([v.id for v in versions.values()]))
            .options(selectinload(Requirement.categories))
            .order_by(Requirement.position, Requirement.id)).all()
        result = ops.compare([r for r in reqs if r.version_id == versions[old].id],
                             [r for r in reqs if r.version_id == versions[new].id])
    elif old and old == new and len(numbers) > 1:
        form.naar.errors = [*form.naar.errors, _("Kies twee verschillende versies.")]
    status = 422 if errors or form.naar.errors else 200
    return render_template("admin/catalogue/compare.html", form=form, result=result,
                           old=versions[old] if result else None,
                           new=versions[new] if result else None,
                           enough=len(numbers) > 1), status
