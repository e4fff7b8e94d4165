"""Administration: staff accounts of the region and the texts of the portal's mails.

Staff: list, create (with an invitation mail), resend the invitation, deactivate (with the
open assignments to reassign) and reactivate; the invited user sets a password through a
signed single-use link (the only page here that is not for administrators). Mail texts:
every kind of mail, its placeholders, an editor with a preview, and a reset to default.
The changes themselves live in ``staff_ops`` and ``mail_texts``.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts import mfa, privacy
from ..accounts import staff as ops
from ..accounts.models import User
from ..actions import Conflict, attempt, button, show_errors, submit
from ..auth import admin_required
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import gettext as _
from ..i18n import ngettext
from ..notifications import mail_texts
from ..notifications.models import MailTemplate
from ..pagination import paginate
from .staff_forms import ActionForm, MailTextForm, SetPasswordForm, StaffForm, VersionOnlyForm

bp = Blueprint("admin_staff", __name__, url_prefix="/beheer")

STAFF_FILTERS = {"actief": True, "gedeactiveerd": False, "alle": None}


def _staff(user_id: int) -> User:
    user = db.session.scalar(select(User).where(User.id == user_id,
                                                User.role.in_(ops.MANAGED_ROLES)))
    if user is None:
        abort(404)
    return user


# --- staff accounts ----------------------------------------------------------------------

@bp.route("/medewerkers")
@admin_required
def staff():
    key = request.args.get("status", "actief")
    if key not in STAFF_FILTERS:
        key = "actief"
    # Filter and order on the index (role, is_active_account, full_name, id): the count and
    # the page read the staff's rows of the index only, never the providers' accounts.
    ids = select(User.id).where(User.role.in_(ops.MANAGED_ROLES))
    if STAFF_FILTERS[key] is not None:
        ids = ids.where(User.is_active_account.is_(STAFF_FILTERS[key]))
        order = (User.full_name, User.id)
    else:  # active accounts first
        order = (User.is_active_account.desc(), User.full_name, User.id)
    page = paginate(ids.order_by(*order),
                    lambda page_ids: db.session.scalars(select(User).where(User.id.in_(page_ids))))
    counts = ops.open_assignment_counts([u.id for u in page.items])
    return render_template("admin/staff/index.html", page=page, key=key, counts=counts,
                           pending=ops.invitation_pending)


@bp.route("/medewerkers/nieuw", methods=["GET", "POST"])
@admin_required
def create_staff():
    form = StaffForm()

    def page():
        return render_template("admin/staff/new.html", form=form)

    if request.method == "GET":
        form.role.data = "assessor"
        return page()
    return submit(
        form, lambda: ops.create_staff(full_name=form.full_name.data, email=form.email.data,
                                       role=form.role.data, affiliation=form.affiliation.data,
                                       by=current_user),
        success=lambda user: _("Het account van %(name)s (%(role)s) is aangemaakt. De "
                               "uitnodiging om een wachtwoord te kiezen is gestuurd naar "
                               "%(email)s; de link is %(days)s dagen geldig.",
                               name=user.full_name, role=user.role.label, email=user.email,
                               days=ops.INVITE_MAX_AGE // 86400),
        done=lambda user: url_for("admin_staff.staff_member", user_id=user.id), page=page)


@bp.route("/medewerkers/<int:user_id>")
@admin_required
def staff_member(user_id):
    member = _staff(user_id)
    return render_template("admin/staff/show.html", member=member,
                           assignments=ops.open_assignments(member),
                           pending=ops.invitation_pending(member),
                           action_form=ActionForm(), max_days=ops.INVITE_MAX_AGE // 86400)


@bp.route("/medewerkers/<int:user_id>/deactiveren", methods=["GET", "POST"])
@admin_required
def deactivate_staff(user_id):
    member = _staff(user_id)
    if not member.is_active_account:
        flash(_("Het account van %(name)s is al gedeactiveerd.", name=member.full_name), "info")
        return redirect(url_for("admin_staff.staff_member", user_id=member.id))
    form = ActionForm()

    def page():
        return render_template("admin/staff/deactivate.html", member=member, form=form,
                               assignments=ops.open_assignments(member),
                               is_self=member.id == current_user.id)

    def deactivated(assignments) -> str:
        if not assignments:
            return _("Het account van %(name)s is gedeactiveerd en kan niet meer inloggen.",
                     name=member.full_name)
        return ngettext(
            "Het account van %(name)s is gedeactiveerd en kan niet meer inloggen. Er staat nog "
            "%(num)d open aanmelding op naam van dit account: wijs die hieronder opnieuw toe.",
            "Het account van %(name)s is gedeactiveerd en kan niet meer inloggen. Er staan nog "
            "%(num)d open aanmeldingen op naam van dit account: wijs die hieronder opnieuw toe.",
            len(assignments), name=member.full_name)

    if request.method == "GET":
        return page()
    return submit(form, lambda: ops.deactivate_staff(member, by=current_user),
                  success=deactivated, page=page,
                  done=url_for("admin_staff.staff_member", user_id=member.id))


@bp.route("/medewerkers/<int:user_id>/heractiveren", methods=["POST"])
@admin_required
def reactivate_staff(user_id):
    member = _staff(user_id)
    return button(ActionForm(), lambda: ops.reactivate_staff(member, by=current_user),
                  success=_("Het account van %(name)s is weer actief; %(name)s kan weer "
                            "inloggen.", name=member.full_name),
                  back=url_for("admin_staff.staff_member", user_id=member.id))


@bp.route("/medewerkers/<int:user_id>/anonimiseren", methods=["POST"])
@admin_required
def anonymise_staff(user_id):
    """A deactivated member's personal data are removed; what they did stays on record."""
    member = _staff(user_id)
    return button(ActionForm(), lambda: privacy.anonymise(member, by=current_user),
                  success=_("De persoonsgegevens van dit account zijn verwijderd. Besluiten en "
                            "het auditlog blijven geldig; ze tonen nu een geanonimiseerde "
                            "gebruiker."),
                  back=url_for("admin_staff.staff_member", user_id=member.id))


@bp.route("/medewerkers/<int:user_id>/tweestapsverificatie-resetten", methods=["POST"])
@admin_required
def reset_second_factor(user_id):
    """A staff member lost the device: the second factor is removed (audited, mailed), every
    session of the member ends, and the next login asks to set it up again."""
    member = _staff(user_id)
    return button(ActionForm(), lambda: mfa.reset(member, by=current_user),
                  success=_("De tweestapsverificatie van %(name)s is gereset. %(name)s is "
                            "overal uitgelogd en stelt bij de volgende keer inloggen "
                            "tweestapsverificatie opnieuw in.", name=member.full_name),
                  back=url_for("admin_staff.staff_member", user_id=member.id))


@bp.route("/medewerkers/<int:user_id>/uitnodiging", methods=["POST"])
@admin_required
@limiter.limit("30 per hour")
def resend_invitation(user_id):
    member = _staff(user_id)
    return button(ActionForm(), lambda: ops.resend_invitation(member, by=current_user),
                  success=_("Er is een nieuwe uitnodiging gestuurd naar %(email)s. Eerder "
                            "gestuurde links werken niet meer.", email=member.email),
                  back=url_for("admin_staff.staff_member", user_id=member.id))


@bp.route("/wachtwoord-instellen/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def set_password(token):
    """The invited staff user chooses a password (no login needed: the link proves it)."""
    title = _("Wachtwoord kiezen")

    def problem(message, next_url=None, next_text=None):
        return render_template("accounts/link_problem.html", title=title, message=message,
                               next_url=next_url, next_text=next_text), 400

    try:
        member = ops.check_set_password_token(token)
    except DomainError as exc:
        return problem(exc.message, url_for("accounts.login"), _("Naar de inlogpagina"))
    if current_user.is_authenticated and current_user.id != member.id:
        return problem(_("U bent ingelogd als %(email)s. Log eerst uit en open daarna de link "
                         "uit de e-mail opnieuw.", email=current_user.email))
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            member = attempt(lambda: ops.set_password(token, password=form.password.data))
        except DomainError as exc:  # only a refused password stays on the form
            if not getattr(exc, "field", None):
                return problem(exc.message, url_for("accounts.login"),
                               _("Naar de inlogpagina"))
            show_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            flash(_("Uw wachtwoord is opgeslagen. Log nu in met uw e-mailadres en dit "
                    "wachtwoord."), "success")
            return redirect(url_for("accounts.login", email=member.email))
    if status == 200 and (form.errors or form.form_errors):
        status = 422
    return render_template("admin/staff/set_password.html", form=form, member=member), status


# --- mail texts ----------------------------------------------------------------------------

def _kind(kind: str) -> mail_texts.MailKind:
    spec = mail_texts.spec(kind)
    if spec is None or kind not in mail_texts.mail_kinds():
        abort(404)
    return spec


@bp.route("/mailteksten")
@admin_required
def mail_texts_index():
    rows = {row.kind: (row, name) for row, name in db.session.execute(
        select(MailTemplate, User.full_name).outerjoin(User, User.id == MailTemplate.updated_by_id))}
    kinds = [(kind, mail_texts.spec(kind), rows.get(kind)) for kind in mail_texts.mail_kinds()]
    return render_template("admin/mail/index.html", kinds=kinds)


def _edit_page(spec, form, row, *, preview=None, status=200):
    response = render_template(
        "admin/mail/edit.html", spec=spec, form=form, row=row, preview=preview,
        updated_by=db.session.get(User, row.updated_by_id) if row and row.updated_by_id else None)
    headers = {}
    if preview is not None:
        # The preview's HTML sits in a sandboxed srcdoc frame (no scripts, no same origin);
        # the mail layout styles with style attributes, which this page then allows.
        headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'")
    return response, status, headers


@bp.route("/mailteksten/<kind>", methods=["GET", "POST"])
@admin_required
def mail_text(kind):
    spec = _kind(kind)
    row = mail_texts.custom_template(kind)
    form = MailTextForm()
    if request.method == "GET":
        texts = ({"subject": row.subject, "body_text": row.body_text, "body_html": row.body_html}
                 if row else mail_texts.default_texts(kind))
        form.subject.data = texts["subject"]
        form.body_text.data = texts["body_text"]
        form.body_html.data = texts["body_html"]
        form.version.data = mail_texts.version_of(row)
        return _edit_page(spec, form, row)
    if not form.validate_on_submit():
        return _edit_page(spec, form, row, status=422)
    texts = {"subject": form.subject.data, "body_text": form.body_text.data,
             "body_html": form.body_html.data}
    try:
        if request.form.get("action") == "voorbeeld":
            preview = mail_texts.render_sample(kind, texts)
            return _edit_page(spec, form, row, preview=preview)
        attempt(lambda: mail_texts.save_text(kind, **texts, by=current_user,
                                             expected_version=form.version.data))
    except mail_texts.MailTextError as exc:  # raised before anything is changed
        show_errors(form, exc.errors)
        return _edit_page(spec, form, row, status=422)
    except (DomainError, Conflict) as exc:  # someone else changed the text meanwhile
        form.form_errors.append(exc.message)
        return _edit_page(spec, form, mail_texts.custom_template(kind), status=409)
    flash(_("De tekst van de e-mail ‘%(title)s’ is opgeslagen. Nieuwe e-mails van deze soort "
            "krijgen deze tekst.", title=spec.title), "success")
    return redirect(url_for("admin_staff.mail_text", kind=kind))


@bp.route("/mailteksten/<kind>/standaard", methods=["GET", "POST"])
@admin_required
def reset_mail_text(kind):
    spec = _kind(kind)
    row = mail_texts.custom_template(kind)
    if row is None:
        flash(_("De e-mail ‘%(title)s’ gebruikt al de standaardtekst.", title=spec.title), "info")
        return redirect(url_for("admin_staff.mail_text", kind=kind))
    form = VersionOnlyForm()
    if request.method == "GET":
        form.version.data = mail_texts.version_of(row)
    elif form.validate_on_submit():
        try:
            attempt(lambda: mail_texts.reset_text(kind, by=current_user,
                                                  expected_version=form.version.data))
        except DomainError as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("De e-mail ‘%(title)s’ gebruikt weer de standaardtekst.", title=spec.title),
                  "success")
            return redirect(url_for("admin_staff.mail_text", kind=kind))
    return render_template("admin/mail/reset.html", spec=spec, form=form, row=row), (
        409 if form.form_errors else 200)
