import io
from functools import cache

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_time
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, load_only

from .. import audit, eager
from .. import files as storage
from ..accounts.models import Role, User
from ..actions import EXPIRED, STALE, Conflict, attempt
from ..applications.models import OPEN_STATES, Document, Status
from ..applications.views import _group, load_application_for
from ..audit.models import AuditEvent
from ..auth import admin_required, assessor_required, has_role
from ..clock import days_left
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..notifications.models import OutboxMail
from ..pagination import FILTERED_COUNT_CAP, paginate
from ..procedure.models import Category
from ..textsearch import plan_for_values
from ..timeutil import today_local, utcnow
from . import history, workflow
from . import queue as queue_query
from .forms import (
    ActionForm,
    ApprovalForm,
    AssignForm,
    ReturnForm,
    build_completion_form,
    build_decision_form,
    build_verdict_form,
    foreign_requirement_ids,
)
from .models import CategoryDecision, CompletionRequest, DecisionLetter, VerdictOutcome

bp = Blueprint("assessment", __name__, url_prefix="/beoordeling")

# The queue's filters and query live in assessment.queue.
QUEUE_FILTERS = queue_query.QUEUE_FILTERS
SORTS = queue_query.SORTS


@bp.route("/")
@assessor_required
def queue():
    today = today_local()
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    query = queue_query.build(request.args, current_user, today, categories)
    if query.filtered:  # a search or filters: plans for their values (PostgreSQL)
        plan_for_values()
    counts = queue_query.tab_counts()
    page = paginate(
        query.ids, queue_query.rows,
        # A tab alone has its kept count; filters are counted, up to a lower cap.
        total=None if query.filtered else counts[query.key], cap=FILTERED_COUNT_CAP,
    )
    return render_template("assessment/queue.html", page=page, key=query.key,
                           tabs=[(k, counts[k]) for k in QUEUE_FILTERS], today=today,
                           categories=categories, filters=query.filters,
                           search_messages=query.messages, clock=clock_state)


def clock_state(application, today):
    """The decision clock as the queue and the detail page show it: (days left or None,
    stopped). While the provider is asked to complete, the clock stands still: no days
    count down and nothing is overdue."""
    if application.status == Status.AANVULLING_GEVRAAGD:
        return None, True
    if application.status not in workflow.CLOCK_RUNNING:
        return None, False
    return days_left(application.decision_due, today), False


def _load(application_id):
    application = load_application_for(current_user, application_id)
    if application.status == Status.CONCEPT:
        abort(404)  # drafts are the provider's own business
    return application


def _per_category(application):
    requirements = application.applicable_requirements()
    return {c.id: [r for r in requirements if r.applies_to({c.id})] for c in application.categories}


@cache
def _page_statements() -> dict:
    """The assessment page's statements about one application, built once with the
    application as a parameter (with their eager-loading options, building them took
    longer than running them)."""
    application_id = bindparam("page_application_id")
    return {
        "decisions": select(CategoryDecision)
        .where(CategoryDecision.application_id == application_id)
        .options(joinedload(CategoryDecision.proposed_by), joinedload(CategoryDecision.approved_by))
        .order_by(CategoryDecision.round, CategoryDecision.id),
        "failed": eager.collection(CategoryDecision.failed_requirements),
        "rounds": select(CompletionRequest).where(CompletionRequest.application_id == application_id)
        .options(joinedload(CompletionRequest.items), joinedload(CompletionRequest.requested_by))
        .order_by(CompletionRequest.round),
        # The history as rows of what it shows (no objects to keep track of).
        "timeline": select(AuditEvent.at, AuditEvent.action, AuditEvent.from_state,
                           AuditEvent.to_state, AuditEvent.detail, AuditEvent.actor_id,
                           User.full_name.label("actor_name"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "applications", AuditEvent.object_id == application_id)
        .order_by(AuditEvent.at, AuditEvent.id),
        "mails": select(OutboxMail).where(OutboxMail.application_id == application_id)
        .options(load_only(OutboxMail.created_at, OutboxMail.to_address, OutboxMail.subject,
                           OutboxMail.status))
        .order_by(OutboxMail.id),
        "letters": select(DecisionLetter).where(DecisionLetter.application_id == application_id)
        .options(joinedload(DecisionLetter.document)).order_by(DecisionLetter.round),
    }


def _page(application, *, forms=None, errors=(), status=200):
    """The assessment page; ``forms`` replaces the default (unposted) forms by name."""
    forms = forms or {}
    requirements = application.applicable_requirements()
    by_id = {r.id: r for r in requirements}
    verdicts = workflow.verdict_rows(application)
    statements, about = _page_statements(), {"page_application_id": application.id}
    decisions = db.session.scalars(statements["decisions"], about).all()
    eager.fill(db.session, decisions, statements["failed"])
    latest_round = max((d.round for d in decisions), default=0)
    current = {d.category_id: d for d in decisions if d.round == latest_round}
    rounds = db.session.scalars(statements["rounds"], about).unique().all()
    timeline = db.session.execute(statements["timeline"], about).all()
    mails = db.session.scalars(statements["mails"], about).all()
    letters = db.session.scalars(statements["letters"], about).all()
    per_category = _per_category(application)
    failed = {rid for rid, v in verdicts.items() if v.outcome == VerdictOutcome.VOLDOET_NIET}
    version = {"version": application.version}
    declared = any(e.action == "conflict_declared" and e.actor_id == current_user.id
                   for e in timeline)
    show = _shown_forms(application, current, declared)
    defaults = {
        "verdict_form": lambda: build_verdict_form(requirements, verdicts, formdata=None, data=version),
        "decision_form": lambda: build_decision_form(application.categories, per_category, current,
                                                     failed, formdata=None, data=version),
        "completion_form": lambda: build_completion_form(requirements, formdata=None, data=version),
        "return_form": lambda: ReturnForm(formdata=None, data=version),
        "action_form": lambda: ActionForm(formdata=None, data=version),
        "approval_form": lambda: ApprovalForm(formdata=None, data=version),
        "assign_form": lambda: _assign_form(application, formdata=None),
    }
    # Only the forms the page shows are built (a form costs its fields, the assign form a query).
    context = {name: forms.get(name) or (make() if show[name] else None)
               for name, make in defaults.items()}
    return render_template(
        "assessment/detail.html", application=application, requirements=requirements,
        by_id=by_id, groups=_group(application, requirements),
        answers=application.answers_by_requirement(), verdicts=verdicts, decisions=current,
        history_decisions=[d for d in decisions if d.round != latest_round],
        rounds=rounds, timeline=timeline, mails=mails, letters=letters, declared=declared,
        is_assigned=application.assessor_id == current_user.id, per_category=per_category,
        show=show, editable=show["verdict_form"], failed=failed,
        judged=sum(1 for r in requirements if r.id in verdicts),
        errors=errors, Status=Status, today=today_local(), clock=clock_state,
        action_label=history.action_label, state_label=history.state_label,
        mail_status_label=history.mail_status_label, is_pdf=_is_pdf,
        conflict_statement=_(workflow.CONFLICT_STATEMENT), **context,
    ), status


def _shown_forms(application, current, declared) -> dict[str, bool]:
    """Which of the page's forms its state shows (the template asks the same flags)."""
    status, me = application.status, current_user.id
    assessing = status == Status.IN_BEHANDELING and application.assessor_id == me
    proposed_by_me = any(d.proposed_by_id == me for d in current.values())
    pending = [d for d in current.values() if d.approved_at is None]
    correcting = status == Status.BESLOTEN and not pending
    approving = (status == Status.BESLUIT_VOORGESTELD and not proposed_by_me) or (
        status == Status.BESLOTEN and bool(pending)
        and not any(d.proposed_by_id == me for d in pending))
    return {
        "action_form": status == Status.INGEDIEND or (assessing and not declared)
        or (correcting and not declared),
        "assign_form": current_user.is_admin and status in OPEN_STATES,
        "verdict_form": assessing and declared,
        "completion_form": assessing and declared,
        "decision_form": assessing and declared,
        "approval_form": approving,
        "return_form": status == Status.BESLUIT_VOORGESTELD and not proposed_by_me,
        "correction_form": correcting and declared,
    }


def _is_pdf(document) -> bool:
    return document is not None and document.content_type == storage.PDF[0]


def _failed_ids(application):
    return {rid for rid, v in workflow.verdict_rows(application).items()
            if v.outcome == VerdictOutcome.VOLDOET_NIET}


def _assign_form(application, **kwargs):
    form = AssignForm(**kwargs, data={"version": application.version})
    if has_role(current_user, "admin"):
        form.assessor.choices = [(u.id, u.full_name) for u in db.session.scalars(
            select(User).where(User.role.in_((Role.ASSESSOR, Role.ADMIN)),
                               User.is_active_account.is_(True)).order_by(User.full_name))]
    return form


@bp.route("/<int:application_id>")
@assessor_required
def detail(application_id):
    return _page(_load(application_id))


def _back(application, anchor=""):
    return redirect(url_for("assessment.detail", application_id=application.id) + anchor)


def _conflict_message(exc: Conflict) -> str:
    """Another change got in the way: for a stale application, the assessment's own words."""
    return _(workflow.STALE_MESSAGE) if exc.message == _(STALE) else exc.message


def _act(application, form, form_name, operation, success, anchor="", page=None):
    """The assessment page's ``portal.actions``: validate ``form``, run ``operation()`` with
    ``attempt``, and answer: errors on the page (``page``, the assessment page unless
    given), an expired form, a stale state, another change or a refusal as a message."""
    page = page or _page
    if not form.validate():
        if form.csrf_token.errors or form.version.errors:
            flash(_(EXPIRED), "error")
            return _back(application)
        errors = [(name, msg) for name, msgs in form.errors.items() for msg in msgs]
        return page(application, forms={form_name: form}, errors=errors, status=422)
    try:
        attempt(operation)
    except ValidationFailed as exc:
        return page(_load(application.id), forms={form_name: form}, errors=exc.errors, status=422)
    except DomainError as exc:
        flash(exc.message, "error")
        return _back(application)
    except Conflict as exc:
        flash(_conflict_message(exc), "error")
        return _back(application)
    flash(success, "success")
    return _back(application, anchor)


@bp.route("/<int:application_id>/in-behandeling", methods=["POST"])
@assessor_required
def start(application_id):
    application = _load(application_id)
    form = ActionForm()
    return _act(application, form, "action_form",
                lambda: workflow.start_review(application, by=current_user,
                                              expected_version=form.version.data),
                _("U heeft de aanmelding in behandeling genomen."))


@bp.route("/<int:application_id>/toewijzen", methods=["POST"])
@admin_required  # administrators assess too; only they assign
def assign(application_id):
    application = _load(application_id)
    form = _assign_form(application)
    assessor = db.session.get(User, form.assessor.data) if form.assessor.data else None
    return _act(application, form, "assign_form",
                lambda: workflow.assign(application, assessor, by=current_user,
                                        expected_version=form.version.data),
                _("De aanmelding is toegewezen."))


@bp.route("/<int:application_id>/belangen", methods=["POST"])
@assessor_required
def declare(application_id):
    application = _load(application_id)
    if application.status == Status.BESLOTEN:  # the declaration a herstelbesluit needs
        success = _("Uw verklaring is vastgelegd. U kunt nu een herstelbesluit voorstellen.")
        anchor = "#herstel"
    else:
        success, anchor = _("Uw verklaring is vastgelegd. U kunt nu de eisen beoordelen."), "#oordelen"
    return _act(application, ActionForm(), "action_form",
                lambda: workflow.declare_no_conflict(application, by=current_user), success, anchor)


FOREIGN_REQUIREMENT = N_("Niet opgeslagen: een van de oordelen gaat over een eis die niet bij deze "
                         "aanmelding hoort. Laad de pagina opnieuw en beoordeel alleen de eisen "
                         "die hier staan.")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _autosave_verdicts(application, form):
    """Save what can be saved now (a 'voldoet niet' waits for its reason); answer in JSON."""
    if not form.validate():
        stale = bool(form.csrf_token.errors or form.version.errors)
        return jsonify(message=_("Niet opgeslagen: laad de pagina opnieuw.") if stale else
                       _("Niet opgeslagen: controleer uw invoer en gebruik de knop.")), 400
    values = form.values()
    waiting = [rid for rid, (outcome, reason) in values.items()
               if outcome == VerdictOutcome.VOLDOET_NIET and not reason.strip()]
    try:
        attempt(lambda: workflow.record_verdicts(
            application, {k: v for k, v in values.items() if k not in waiting},
            by=current_user, expected_version=form.version.data))
    except Conflict as exc:
        return jsonify(message=_conflict_message(exc)), 409
    except DomainError as exc:
        return jsonify(message=exc.message), 409
    saved_at = format_time(utcnow(), 'HH:mm')
    if waiting:
        message = _("Opgeslagen om %(time)s. Bij 'voldoet niet' wordt het oordeel opgeslagen "
                    "zodra u de reden invult.", time=saved_at)
    else:
        message = _("Opgeslagen om %(time)s.", time=saved_at)
    return jsonify(message=message, version=application.version)


@bp.route("/<int:application_id>/oordelen", methods=["POST"])
@assessor_required
def verdicts(application_id):
    application = _load(application_id)
    requirements = application.applicable_requirements()
    if foreign_requirement_ids(request.form, requirements):  # nothing is saved, not even part
        message = _(FOREIGN_REQUIREMENT)
        if _wants_json():
            return jsonify(message=message), 422
        return _page(application, errors=[(None, message)], status=422)
    form = build_verdict_form(requirements)
    if _wants_json():
        return _autosave_verdicts(application, form)
    return _act(application, form, "verdict_form",
                lambda: workflow.record_verdicts(application, form.values(), by=current_user,
                                                 expected_version=form.version.data),
                _("De oordelen zijn opgeslagen."), "#besluit")


@bp.route("/<int:application_id>/aanvulling", methods=["POST"])
@assessor_required
def completion(application_id):
    application = _load(application_id)
    form = build_completion_form(application.applicable_requirements())
    return _act(application, form, "completion_form",
                lambda: workflow.request_completion(application, form.questions(),
                                                    by=current_user, deadline=form.deadline.data,
                                                    expected_version=form.version.data),
                _("De vraag om aanvulling is naar de aanbieder gestuurd. De beslistermijn staat stil."))


@bp.route("/<int:application_id>/besluit", methods=["POST"])
@assessor_required
def propose(application_id):
    application = _load(application_id)
    form = build_decision_form(application.categories, _per_category(application),
                               failed=_failed_ids(application))
    return _act(application, form, "decision_form",
                lambda: workflow.propose_decision(application, form.values(), by=current_user,
                                                  expected_version=form.version.data),
                _("Het besluit is voorgesteld. Een tweede beoordelaar moet het goedkeuren."))


@bp.route("/<int:application_id>/goedkeuren", methods=["POST"])
@assessor_required
def approve(application_id):
    application = _load(application_id)
    form = ApprovalForm()
    return _act(application, form, "approval_form",
                lambda: workflow.approve_decision(application, by=current_user,
                                                  expected_version=form.version.data,
                                                  no_conflict=bool(form.no_conflict.data)),
                _("Het besluit is goedgekeurd en naar de aanbieder gestuurd."))


@bp.route("/<int:application_id>/terugsturen", methods=["POST"])
@assessor_required
def send_back(application_id):
    application = _load(application_id)
    form = ReturnForm()
    return _act(application, form, "return_form",
                lambda: workflow.send_back(application, by=current_user, note=form.remark.data,
                                           expected_version=form.version.data),
                _("Het voorstel is met uw opmerking teruggestuurd naar de beoordelaar."))


@bp.route("/<int:application_id>/herstel", methods=["GET", "POST"])
@assessor_required
def correction(application_id):
    """A herstelbesluit has a page of its own: the decision it replaces beside the form. It
    is rare, and the assessment page does not build its form for every visit."""
    application = _load(application_id)
    try:
        current = workflow.correction_allowed(application, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return _back(application, "#herstel")
    eager.fill(db.session, current, _page_statements()["failed"])
    failed = _failed_ids(application)
    if request.method == "GET":
        form = build_decision_form(application.categories, _per_category(application),
                                   {d.category_id: d for d in current}, failed, with_reason=True,
                                   formdata=None, data={"version": application.version})
        return _correction_page(application, form, current=current)
    form = build_decision_form(application.categories, _per_category(application),
                               failed=failed, with_reason=True)
    return _act(application, form, "correction_form",
                lambda: workflow.propose_correction(application, form.values(), by=current_user,
                                                    reason=form.reason.data or "",
                                                    expected_version=form.version.data),
                _("Het herstelbesluit is voorgesteld. Een tweede beoordelaar moet het goedkeuren."),
                page=lambda application, forms, errors, status: _correction_page(
                    application, forms["correction_form"], errors=errors, status=status))


def _correction_page(application, form, *, current=None, errors=(), status=200):
    """The herstelbesluit's page: the decisions it replaces (``current``, with their failed
    requirements; read when not given) and ``form``."""
    if current is None:
        current = workflow.current_decisions(application)
        eager.fill(db.session, current, _page_statements()["failed"])
    # The reason's field is named by the workflow's key, so that its message is linked.
    errors = [("correction_reason" if name == "reason" else name, message)
              for name, message in errors]
    return render_template("assessment/correction.html", application=application, form=form,
                           decisions=current, errors=errors), status


@bp.route("/<int:application_id>/herstel/goedkeuren", methods=["POST"])
@assessor_required
def approve_correction(application_id):
    application = _load(application_id)
    form = ApprovalForm()
    return _act(application, form, "approval_form",
                lambda: workflow.approve_correction(application, by=current_user,
                                                    expected_version=form.version.data,
                                                    no_conflict=bool(form.no_conflict.data)),
                _("Het herstelbesluit is goedgekeurd en naar de aanbieder gestuurd."))


@bp.route("/documenten/<int:document_id>/bekijken")
def view_document(document_id):
    """Evidence (or a letter) shown inline in the browser, for the region's staff only and
    only for PDFs; everyone else, and every other file, gets a 404 (providers download
    their own files through applications.download). The PDF is sandboxed: no scripts, no
    forms, no same-origin access, and never sniffed into anything else."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path))
    document = db.session.get(Document, document_id)
    if document is None or not current_user.is_staff or not _is_pdf(document):
        abort(404)
    data = storage.read_bytes(document)  # checked against its sha256
    if storage.sniff(data[:8]) != storage.PDF:  # the stored type came from sniffing; check the file too
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=storage.PDF[0], as_attachment=False,
                         download_name=storage.download_name(document), max_age=0)
    audit.access("viewed", document, actor=current_user)
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
