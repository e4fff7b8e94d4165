from datetime import timedelta
from functools import cache

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
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload

from .. import audit, eager, notifications
from .. import files as storage
from ..actions import EXPIRED, Conflict, attempt, show_errors
from ..actions import submit as submit_form
from ..auth import provider_required, require_beheerder
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import gettext as _
from ..pagination import paginate
from ..partners.models import LIVE_ADMISSION, Admission, AdmissionStatus
from ..procedure.models import CatalogueVersion, Category, with_category_ids
from ..procedure.seed import current_procedure
from ..timeutil import today_local
from . import workflow
from .forms import (
    LibraryUploadForm,
    NewApplicationForm,
    SubmitForm,
    WithdrawForm,
    build_answer_form,
    fill_from_answers,
)
from .models import Answer, Application, Document, Status
from .workflow import field_id

bp = Blueprint("applications", __name__)


@cache
def _application_statements(staff: bool, full: bool) -> dict:
    """The statements of load_application_for, built once per kind with the ids as
    parameters: the application (with, for staff, its organisation, and its catalogue
    version), its categories and, for its full pages, its answers with their documents and
    its version's requirements, each collection by a statement of its own (portal.eager:
    SQLAlchemy's selectin loading cost about twice as much for the same statements)."""
    query = select(Application).where(Application.id == bindparam("load_application_id"))
    if staff:
        query = query.options(joinedload(Application.organisation))
    else:
        # The provider's own organisation is in the session already (the signed-in user is
        # loaded with it), so reading it costs no statement. Its creator and the procedure
        # are read by few pages (each then by the primary key, or from the session).
        query = query.where(Application.organisation_id == bindparam("load_organisation_id"))
    if full:
        query = query.options(joinedload(Application.catalogue_version))
    return {
        "application": query,
        "categories": eager.collection(Application.categories),
        "answers": eager.collection(Application.answers, joinedload(Answer.document)),
        "requirements": eager.collection(CatalogueVersion.requirements),
    }


def load_application_for(user, application_id: int, *, full: bool = True) -> Application:
    """The application if the user may see it (own organisation, or staff); else 404."""
    params = {"load_application_id": application_id}
    if not user.is_staff:
        params["load_organisation_id"] = user.organisation_id
    statements = _application_statements(bool(user.is_staff), full)
    application = db.session.scalar(statements["application"], params)
    if application is None:
        abort(404)
    eager.fill(db.session, [application], statements["categories"])
    if full:
        eager.fill(db.session, [application], statements["answers"])
        version = application.catalogue_version
        eager.fill(db.session, [version], statements["requirements"])
        # which categories each requirement applies to, without Category objects
        with_category_ids(version.requirements, published=version)
    return application


@cache
def _dashboard_statements() -> dict:
    """The provider dashboard's statements, built once with the organisation (and the
    days) as parameters."""
    from ..assessment.models import CompletionRequest
    from ..notifications.models import OutboxMail
    from ..partners.models import Agreement

    org_id = bindparam("dashboard_organisation_id")
    return {
        "drafts": select(Application).where(Application.organisation_id == org_id,
                                            Application.status == Status.CONCEPT)
        .order_by(Application.updated_at.desc()).limit(10),
        # the categories of the drafts and of the page's applications, in one statement
        "categories": eager.collection(Application.categories),
        "completions": select(Application, CompletionRequest)
        .join(CompletionRequest, CompletionRequest.application_id == Application.id)
        .where(Application.organisation_id == org_id, CompletionRequest.closed_at.is_(None))
        .order_by(CompletionRequest.deadline).limit(10),
        "expiring": select(Document).where(
            Document.organisation_id == org_id,
            Document.valid_until.between(bindparam("dashboard_from"), bindparam("dashboard_until")))
        .order_by(Document.valid_until).limit(10),
        # the columns shown, not the mails' bodies
        "messages": select(OutboxMail.id, OutboxMail.subject, OutboxMail.created_at)
        .where(OutboxMail.organisation_id == org_id).order_by(OutboxMail.id.desc()).limit(5),
        "agreements": select(Agreement).where(Agreement.organisation_id == org_id,
                                              Agreement.accepted_at.is_(None))
        .order_by(Agreement.created_at).limit(10),
        # one statement: a partner's few suspensions joined (the page stays within 15)
        "admissions": select(Admission)
        .where(Admission.organisation_id == org_id, Admission.status.in_(LIVE_ADMISSION))
        .options(joinedload(Admission.category), joinedload(Admission.suspensions))
        .order_by(Admission.admitted_at),
    }


@cache
def _failed_requirements():
    from ..assessment.models import CategoryDecision

    return eager.collection(CategoryDecision.failed_requirements)


@bp.route("/aanbieder")
@provider_required
def dashboard():
    """The organisation's overview: what needs its action, applications, admissions, mail."""

    org = current_user.organisation
    today = today_local()
    statements, mine = _dashboard_statements(), {"dashboard_organisation_id": org.id}
    drafts = db.session.scalars(statements["drafts"], mine).all()
    completions = db.session.execute(statements["completions"], mine).all()
    expiring = db.session.scalars(statements["expiring"], {
        **mine, "dashboard_from": today, "dashboard_until": today + timedelta(days=60)}).all()
    messages = db.session.execute(statements["messages"], mine).all()
    open_agreements = db.session.scalars(statements["agreements"], mine).all()
    page = paginate(
        select(Application.id)
        .where(Application.organisation_id == org.id)
        .order_by(Application.created_at.desc(), Application.id.desc()),
        lambda ids: db.session.scalars(select(Application).where(Application.id.in_(ids))).all(),
    )
    eager.fill(db.session, [*drafts, *page.items], statements["categories"])
    admissions = db.session.scalars(statements["admissions"], mine).unique().all()
    suspensions = {a.id: s for a in admissions if (s := _open_suspension(a, today)) is not None}
    return render_template("applications/dashboard.html", org=org, page=page, admissions=admissions,
                           suspensions=suspensions,
                           drafts=drafts, completions=completions, expiring=expiring,
                           open_agreements=open_agreements,
                           messages=messages, today=today)


def _open_suspension(admission, today):
    """For a suspended admission the suspension that runs; for an active one a suspension
    planned to start later; else None."""
    open_ = [s for s in admission.suspensions if s.reinstated_at is None]
    if admission.status == AdmissionStatus.ACTIEF:
        open_ = [s for s in open_ if s.starts_on > today]
    elif admission.status != AdmissionStatus.GESCHORST:
        return None
    return max(open_, key=lambda s: s.starts_on, default=None)


@bp.route("/organisatie/berichten")
@provider_required
def messages():
    """A copy of every mail the portal sent to the organisation and its users."""
    from ..notifications.models import OutboxMail

    page = paginate(
        select(OutboxMail.id).where(OutboxMail.organisation_id == current_user.organisation_id)
        .order_by(OutboxMail.id.desc()),
        lambda ids: db.session.execute(  # the columns listed, not the mails' bodies
            select(OutboxMail.id, OutboxMail.subject, OutboxMail.created_at,
                   OutboxMail.to_address).where(OutboxMail.id.in_(ids))).all())
    return render_template("applications/messages.html", page=page)


@bp.route("/organisatie/berichten/<int:mail_id>")
@provider_required
def message(mail_id):
    from ..notifications.models import OutboxMail

    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.organisation_id != current_user.organisation_id:
        abort(404)
    # A mail with a secret link (password reset, invitation, ...) is for its recipient's
    # mailbox only: colleagues see that it was sent, not its text.
    return render_template("applications/message.html", mail=mail,
                           visible=notifications.body_visible(mail))


@bp.route("/organisatie/documenten", methods=["GET", "POST"])
@provider_required
def library():
    """The organisation's document library: evidence to attach to applications again."""
    org = current_user.organisation
    form = LibraryUploadForm()

    def page():
        documents = paginate(
            select(Document.id).where(Document.organisation_id == org.id)
            .order_by(Document.uploaded_at.desc(), Document.id.desc()),
            lambda ids: db.session.scalars(select(Document).where(Document.id.in_(ids))
                                           .options(joinedload(Document.uploaded_by))))
        return render_template(
            "applications/library.html", form=form, page=documents, today=today_local(),
            max_upload=storage.human_size(current_app.config["UPLOAD_MAX_BYTES"]))

    def store():
        try:
            return storage.store_upload(form.file.data, organisation=org, by=current_user,
                                        valid_until=form.valid_until.data,
                                        doc_type=form.doc_type.data)
        except storage.UploadError as exc:  # a refused file: its message at the file field
            raise ValidationFailed([("file", exc.message)]) from exc

    if request.method == "POST":
        return submit_form(
            form, store,
            success=lambda document: _("'%(name)s' staat in uw documentenbibliotheek.",
                                       name=document.original_name),
            done=url_for("applications.library"), page=page)
    return page()


@bp.route("/aanmeldingen/nieuw", methods=["GET", "POST"])
@provider_required
def new():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    categories = db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id,
                               Category.is_active.is_(True))  # deactivated: not offered
        .order_by(Category.position)
    ).all()
    blocked = workflow.blocked_categories(current_user.organisation)
    form = NewApplicationForm()
    form.categories.choices = [(c.id, c.name) for c in categories if c.id not in blocked]

    def page():
        return render_template("applications/new.html", form=form, categories=categories,
                               blocked=blocked, procedure=procedure)

    if request.method == "POST":
        return submit_form(
            form,
            lambda: workflow.create_application(
                procedure, [c for c in categories if c.id in set(form.categories.data)],
                by=current_user),
            success=_("Uw aanmelding is aangemaakt als concept. Vul de eisen in; u kunt "
                      "tussendoor opslaan."),
            done=lambda application: url_for("applications.edit", application_id=application.id),
            page=page, invalid_status=200)
    return page()


@bp.route("/aanmeldingen/<int:application_id>", methods=["GET", "POST"])
@provider_required
def edit(application_id):
    """A draft resumes at its wizard step; an open request to complete shows only the
    requirements asked about; anything else is read-only."""
    application = load_application_for(current_user, application_id)
    editable = workflow.editable_requirement_ids(application)
    if editable is None:
        n = min(max(application.wizard_step, 1),
                len(_steps(application, application.applicable_requirements())))
        return redirect(url_for("applications.step", application_id=application.id, n=n))
    if not editable:
        if request.method == "POST":
            flash(workflow.locked_message(application), "error")
            return redirect(url_for("applications.edit", application_id=application.id))
        return _show(application)
    form = _answer_form(application, editable)
    if request.method == "GET":
        return _render_edit(application, form)
    outcome = _save(application, form)
    if outcome is not None:
        return outcome
    if "aanvulling_versturen" in request.form:
        return _return_completion(application, editable)
    flash(_("Uw antwoorden zijn opgeslagen."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


@cache
def _library_statement():
    today = bindparam("library_today")
    return (select(Document.id, Document.original_name, Document.valid_until, Document.doc_type,
                   Document.content_type)
            .where(Document.organisation_id == bindparam("library_organisation_id"),
                   or_(Document.valid_until.is_(None), Document.valid_until >= today))
            .order_by(Document.uploaded_at.desc(), Document.id.desc()).limit(200))


def _library(application):
    """Documents of the organisation that may still be attached (not expired): rows of the
    columns the choices show (up to 200 ORM documents per wizard step cost more than the
    rest of the form), by a statement built once."""
    return db.session.execute(_library_statement(), {
        "library_organisation_id": application.organisation_id,
        "library_today": today_local()}).all()


def _answer_form(application, only, **kwargs):
    form = build_answer_form(application, only=only, library=_library(application), **kwargs)
    if request.method == "GET" or kwargs.get("formdata", True) is None:
        fill_from_answers(form, application.answers_by_requirement())
        form.version.data = application.version
    return form


def _save(application, form):
    """Save what validated (uploads and library choices included). Returns a response
    when the page must be shown again (errors, a stale form), else None."""
    if not form.validate() and form.csrf_token.errors:
        form.form_errors.append(_("Het formulier is verlopen. Uw invoer is niet opgeslagen; "
                                  "probeer het opnieuw."))
        return _render_form_again(application, form), 400
    if form.version.data is not None and form.version.data != application.version:
        form.form_errors.append(_(
            "Deze aanmelding is intussen gewijzigd, door een collega of in een ander tabblad. "
            "Uw invoer is niet opgeslagen en staat hieronder; controleer hem en sla opnieuw op. "
            "Gekozen bestanden moet u opnieuw kiezen."))
        form.version.raw_data = None
        form.version.data = application.version
        return _render_form_again(application, form), 409
    library = {d.id: d for d in _library(application)}
    documents, field_errors = {}, bool(form.errors)
    for req in form.requirements:
        parts = form.parts(req)
        file_field, existing = parts.get("file"), parts.get("existing")
        upload = file_field.data if file_field is not None else None
        valid_until = parts.get("valid_until")
        if upload and getattr(upload, "filename", ""):
            try:
                documents[req.id] = storage.store_upload(
                    upload, organisation=application.organisation, by=current_user,
                    allow_images=req.evidence_allows_images,
                    valid_until=(valid_until.data if valid_until is not None and not valid_until.errors
                                 else None),
                    doc_type=req.code,
                )
            except storage.UploadError as exc:
                file_field.errors = [*file_field.errors, exc.message]
                field_errors = True
        elif existing is not None and existing.data and not existing.errors:
            # one of the library's (the choices accepted no other): the document itself
            document = db.session.get(Document, library[existing.data].id)
            entered = (valid_until.data if valid_until is not None and not valid_until.errors
                       else None)
            problems = workflow.attachment_problems(req, document, entered)
            for name, message in problems:
                form[name].errors = [*form[name].errors, message]
            if problems:
                field_errors = True
            else:
                documents[req.id] = document
    try:
        attempt(lambda: workflow.save_answers(application, form.values_without_errors(), documents,
                                              by=current_user))
    except ValidationFailed as exc:  # the fields say what to change; nothing was saved
        show_errors(form, exc)
        return _render_form_again(application, form), 422
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    except Conflict as exc:  # nothing was saved; the input stays on the page
        form.form_errors.append(exc.message)
        return _render_form_again(application, form), 409
    if field_errors:
        form.version.raw_data = None
        form.version.data = application.version
        return _render_form_again(application, form, saved_with_errors=True), 422
    return None


def _render_form_again(application, form, **kwargs):
    if application.status == Status.CONCEPT:
        steps = _steps(application, application.applicable_requirements())
        n = next((i for i, (_t, reqs) in enumerate(steps, start=1)
                  if {r.id for r in reqs} == {r.id for r in form.requirements}), 1)
        return _render_step(application, form, steps, n, **kwargs)
    return _render_edit(application, form, **kwargs)


@bp.route("/aanmeldingen/<int:application_id>/stap/<int:n>", methods=["GET", "POST"])
@provider_required
def step(application_id, n):
    """One step of the wizard: the general requirements, then those of each category."""
    application = load_application_for(current_user, application_id)
    if application.status != Status.CONCEPT:
        if request.method == "POST":
            flash(_("Deze aanmelding heeft de status '%(status)s' en kan niet meer worden "
                    "gewijzigd.", status=application.status.label), "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    steps = _steps(application, application.applicable_requirements())
    if not 1 <= n <= len(steps):
        abort(404)
    form = _answer_form(application, {r.id for r in steps[n - 1][1]})
    if request.method == "GET":
        return _render_step(application, form, steps, n)
    outcome = _save(application, form)
    if outcome is not None:
        return outcome
    target = n - 1 if "vorige" in request.form else n + 1 if "volgende" in request.form else n

    def resume_at():
        application.wizard_step = max(1, min(target, len(steps)))

    try:
        attempt(resume_at)
    except Conflict as exc:  # the answers are saved; only the step to resume at is not
        flash(exc.message, "error")
        return redirect(url_for("applications.step", application_id=application.id, n=n))
    if target > len(steps):
        return redirect(url_for("applications.overview", application_id=application.id))
    if target == n:
        flash(_("Uw antwoorden zijn opgeslagen."), "success")
    return redirect(url_for("applications.step", application_id=application.id, n=max(target, 1)))


def _render_step(application, form, steps, n, saved_with_errors=False):
    missing = workflow.missing_items(application)
    return render_template(
        "applications/step.html", application=application, form=form, steps=steps, n=n,
        answers=application.answers_by_requirement(), open_count=len(missing),
        open_here=len([m for m in missing if m.requirement_id in {r.id for r in steps[n - 1][1]}]),
        saved_with_errors=saved_with_errors, field_id=field_id,
        max_upload=storage.human_size(current_app.config["UPLOAD_MAX_BYTES"]),
    )


@bp.route("/aanmeldingen/<int:application_id>/overzicht")
@provider_required
def overview(application_id):
    application = load_application_for(current_user, application_id)
    if application.status != Status.CONCEPT:
        return redirect(url_for("applications.edit", application_id=application.id))
    return _render_overview(application)


def _render_overview(application, missing=None, status=200):
    steps = _steps(application, application.applicable_requirements())
    step_of = {r.id: i for i, (_t, reqs) in enumerate(steps, start=1) for r in reqs}
    form = SubmitForm(data={"version": application.version})
    return render_template(
        "applications/overview.html", application=application, steps=steps, step_of=step_of,
        answers=application.answers_by_requirement(), missing=missing,
        open_count=len(workflow.missing_items(application)), form=form,
    ), status


@bp.route("/aanmeldingen/<int:application_id>/indienen", methods=["POST"])
@provider_required
def submit(application_id):
    application = load_application_for(current_user, application_id)
    try:
        require_beheerder(current_user, application.organisation_id, _("een aanmelding indienen"))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    form = SubmitForm()
    if not form.validate():
        flash(_(EXPIRED), "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    if application.status != Status.CONCEPT:
        flash(_("Deze aanmelding is al ingediend.") if application.status != Status.INGETROKKEN
              else _("Deze aanmelding is ingetrokken en kan niet meer worden ingediend."), "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    if form.version.data != application.version:
        flash(_("Deze aanmelding is intussen gewijzigd. Controleer het overzicht en dien opnieuw "
                "in."), "error")
        return redirect(url_for("applications.overview", application_id=application.id))
    missing = workflow.missing_items(application)
    if missing:
        return _render_overview(application, missing, 422)
    try:
        attempt(lambda: workflow.submit(application, by=current_user))
    except (DomainError, Conflict) as exc:
        flash(exc.message, "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    flash(_("Uw aanmelding %(reference)s is ingediend. U ontvangt een ontvangstbevestiging per "
            "e-mail.", reference=application.reference), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


def _return_completion(application, editable):
    """Aanvulling versturen: only when the answers asked about are complete."""
    from ..assessment import workflow as assessment

    missing = [m for m in workflow.missing_items(application) if m.requirement_id in editable]
    if missing:
        return _render_edit(application, _answer_form(application, editable, formdata=None),
                            missing=missing), 422

    def send():
        """The refusal's message, or None. A refusal is committed too: a deadline that
        passed has closed the request meanwhile."""
        try:
            assessment.return_completion(
                application, by=current_user,
                note=(request.form.get("aanvulling_toelichting") or "")[:2000])
        except DomainError as exc:
            return exc.message
        return None

    try:
        refused = attempt(send)
    except Conflict as exc:
        refused = exc.message
    if refused:
        flash(refused, "error")
    else:
        flash(_("Uw aanvulling is verstuurd. De regio beoordeelt uw aanmelding verder."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


def _render_edit(application, form, missing=(), saved_with_errors=False):
    """The page of a request to complete: only the requirements asked about."""
    completion = workflow.open_completion(application)
    questions = {i.requirement_id: i.question for i in completion.items} if completion else {}
    return render_template(
        "applications/edit.html", application=application, form=form,
        answers=application.answers_by_requirement(), completion=completion, questions=questions,
        groups=_group(application, form.requirements), missing=missing, field_id=field_id,
        saved_with_errors=saved_with_errors,
        max_upload=storage.human_size(current_app.config["UPLOAD_MAX_BYTES"]),
    )


def _group(application, requirements):
    """Requirements grouped (the wizard's steps): general first, then per chosen category.
    A group without requirements (a re-confirmation that changed no general requirement)
    is left out."""
    general = [r for r in requirements if r.is_general]
    groups = [(_("Algemene eisen"), general)] if general else []
    for cat in application.categories:
        reqs = [r for r in requirements if not r.is_general and cat.id in r.category_ids()]
        if reqs:
            groups.append((_("Eisen voor %(category)s", category=cat.name), reqs))
    return groups


STEP_SIZE = 7  # requirements on one wizard page at most


def _steps(application, requirements):
    """The wizard's steps: each group of ``_group`` split into parts of at most STEP_SIZE
    requirements, of about equal size ("Algemene eisen (deel 1 van 2)")."""
    steps = []
    for title, reqs in _group(application, requirements):
        parts = -(-len(reqs) // STEP_SIZE)
        size = -(-len(reqs) // parts)
        for i in range(parts):
            steps.append((_("%(title)s (deel %(part)s van %(parts)s)", title=title, part=i + 1,
                            parts=parts) if parts > 1 else title,
                          reqs[i * size:(i + 1) * size]))
    return steps


def _show(application):
    """The read-only application: answers, rounds of questions, the final decision and
    its letters (a herstelbesluit shows once it is approved)."""
    from ..assessment.models import CategoryDecision, CompletionRequest, DecisionLetter

    decisions, letters = [], []
    if application.status == Status.BESLOTEN:
        approved = db.session.scalars(
            select(CategoryDecision)
            .where(CategoryDecision.application_id == application.id,
                   CategoryDecision.approved_at.is_not(None))
            .options(joinedload(CategoryDecision.category))
            .order_by(CategoryDecision.round, CategoryDecision.id)
        ).all()
        latest = max((d.round for d in approved), default=0)
        decisions = [d for d in approved if d.round == latest]
        eager.fill(db.session, decisions, _failed_requirements())
        letters = db.session.scalars(
            select(DecisionLetter).where(DecisionLetter.application_id == application.id)
            .options(joinedload(DecisionLetter.document)).order_by(DecisionLetter.round)).all()
    rounds = db.session.scalars(
        select(CompletionRequest).where(CompletionRequest.application_id == application.id)
        .options(joinedload(CompletionRequest.items)).order_by(CompletionRequest.round)).unique().all()
    return render_template(
        "applications/show.html", application=application,
        answers=application.answers_by_requirement(),
        groups=_group(application, application.applicable_requirements()),
        decisions=decisions, letters=letters, rounds=rounds,
        requirements_by_id={r.id: r for r in application.applicable_requirements()},
        can_withdraw=Status.INGETROKKEN in workflow.ALLOWED_TRANSITIONS[application.status],
    )


@bp.route("/aanmeldingen/<int:application_id>/ingediend")
@provider_required
def submitted(application_id):
    """What the organisation sent: every answer and document of the submitted application
    (with the answers it changed when asked to complete), to read or print."""
    application = load_application_for(current_user, application_id)
    if application.submitted_at is None:  # a draft has sent nothing yet
        return redirect(url_for("applications.edit", application_id=application.id))
    return render_template(
        "applications/submitted.html", application=application,
        answers=application.answers_by_requirement(),
        groups=_group(application, application.applicable_requirements()))


@bp.route("/aanmeldingen/<int:application_id>/intrekken", methods=["GET", "POST"])
@provider_required
def withdraw(application_id):
    application = load_application_for(current_user, application_id, full=False)
    form = WithdrawForm()
    if form.validate_on_submit():  # every outcome is a message on the application's page
        try:
            attempt(lambda: workflow.withdraw(application, by=current_user,
                                              reason=form.reason.data or ""))
        except (DomainError, Conflict) as exc:
            flash(exc.message, "error")
        else:
            flash(_("Uw aanmelding is ingetrokken. U kunt op elk moment opnieuw een aanmelding "
                    "starten."), "success")
        return redirect(url_for("applications.edit", application_id=application.id))
    return render_template("applications/withdraw.html", application=application, form=form)


@bp.route("/documenten/<int:document_id>")
def download(document_id):
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path))
    document = db.session.get(Document, document_id)
    if document is None or not (
        current_user.is_staff
        or (current_user.is_provider and current_user.organisation_id == document.organisation_id)
    ):
        abort(404)
    response = storage.send_document(document)  # read and checked first: no event for a failure
    audit.access("downloaded", document, actor=current_user)
    return response
