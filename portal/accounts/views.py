import json
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..actions import Conflict, attempt, button, show_errors, submit
from ..auth import forbid_unless, provider_required
from ..errors import DomainError
from ..extensions import db, limiter
from ..i18n import gettext as _
from ..i18n import ngettext
from ..timeutil import utcnow
from . import mfa, privacy, security, sessions, workflow
from .forms import (
    AcceptInvitationForm,
    ActionForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    DisableSecondFactorForm,
    EnrolForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    OrganisationForm,
    RecoveryCodeForm,
    RegistrationForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    RoleForm,
)
from .models import Invitation, OrgRole, Role, User
from .passwords import verify_password

bp = Blueprint("accounts", __name__)
# Every request: end sessions that ended; staff without a second factor set it up first.
bp.before_app_request(sessions.guard)


def _home_for(user):
    if user.is_provider:
        return url_for("applications.dashboard")
    if user.is_staff:
        return url_for("assessment.queue")
    if user.is_referrer:
        return url_for("partners_capacity.overview")
    return url_for("procedure.home")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/registreren", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = RegistrationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = attempt(lambda: workflow.register_provider(
                org_name=form.org_name.data,
                kvk_number=form.kvk_number.data,
                street=form.street.data,
                postal_code=form.postal_code.data,
                city=form.city.data,
                contact_email=form.contact_email.data,
                website=form.website.data,
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
            ))
        except DomainError as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:  # no redirect: the page says where the mail went (the same for a known address)
            email = user.email if user is not None else workflow.normalise_email(form.email.data)
            return render_template("accounts/registered.html", email=email)
    return render_template("accounts/register.html", form=form), status


@bp.route("/bevestigen/<token>")
def confirm(token):
    try:
        user = attempt(lambda: workflow.confirm_email(token))
    except (DomainError, Conflict) as exc:
        flash(exc.message, "error")
        return redirect(url_for("accounts.resend_confirmation"))
    flash(_("Uw e-mailadres is bevestigd. U kunt nu inloggen."), "success")
    return redirect(url_for("accounts.login", email=user.email))


@bp.route("/bevestiging-opnieuw", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def resend_confirmation():
    form = ResendConfirmationForm()

    def page():
        return render_template("accounts/resend.html", form=form)

    def resend():
        user = workflow.find_user_by_email(form.email.data)
        if user is not None and not user.is_confirmed:
            workflow.queue_confirmation(user)

    if request.method == "POST":
        # Same answer whether or not the address has an account.
        return submit(
            form, resend,
            success=_("Als er een onbevestigd account met dit e-mailadres bestaat, is er een nieuwe "
                      "bevestigingslink naar toe gestuurd. Kijk ook in uw map met ongewenste e-mail."),
            done=url_for("accounts.login"), page=page, invalid_status=200)
    if request.args.get("email"):
        form.email.data = request.args["email"]
    return page()


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    unconfirmed_email = None
    status = 200
    if form.validate_on_submit():
        try:
            user = workflow.password_login(form.email.data, form.password.data)
        except DomainError as exc:  # throttled: nothing was tried
            form.form_errors.append(exc.message)
            return render_template("accounts/login.html", form=form), 429
        db.session.commit()  # a failure counts; a rehash is kept
        if user is None or not user.is_active:
            form.form_errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
        elif not user.is_confirmed:
            unconfirmed_email = user.email
            form.form_errors.append(
                _("U heeft uw e-mailadres nog niet bevestigd. Klik op de link in de e-mail die "
                  "wij u stuurden, of vraag een nieuwe link aan.")
            )
        elif user.has_second_factor:
            sessions.begin_second_step(user, _safe_next(request.args.get("next")))
            return redirect(url_for("accounts.login_code"))
        else:
            return _logged_in(user, "none", _safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form,
                           unconfirmed_email=unconfirmed_email), status


def _logged_in(user: User, method: str, next_url: str | None, note: str | None = None):
    """The login is complete: a new session, the audit event, and on to the page."""
    workflow.logged_in(user, method=method)
    db.session.commit()
    sessions.start(user)
    flash(_("Welkom, %(name)s.", name=user.full_name), "success")
    if note:
        flash(note, "info")
    if mfa.must_enrol(user):
        return redirect(url_for("accounts.mfa_setup"))
    return redirect(next_url or _home_for(user))


def _second_step(form, template: str, check, method: str):
    """The second step of the login, with a code from the app or a recovery code."""
    user = sessions.pending_user()
    if user is None:
        sessions.end()
        flash(_("Uw inlogpoging is verlopen of niet begonnen. Log opnieuw in met uw e-mailadres "
                "en wachtwoord."), "info")
        return redirect(url_for("accounts.login"))
    status = 200
    if form.validate_on_submit():
        try:
            result = check(user, form.code.data)
        except DomainError as exc:
            db.session.commit()  # a refused code counts
            show_errors(form, exc)
            status = 429 if isinstance(exc, security.Throttled) else 422
        else:
            note = None
            if method == "recovery":
                note = ngettext(
                    "U bent ingelogd met een herstelcode. U heeft nog %(num)d herstelcode. Bent "
                    "u uw telefoon kwijt? Stel dan tweestapsverificatie opnieuw in onder Mijn "
                    "account.",
                    "U bent ingelogd met een herstelcode. U heeft nog %(num)d herstelcodes. Bent "
                    "u uw telefoon kwijt? Stel dan tweestapsverificatie opnieuw in onder Mijn "
                    "account.", result)
            return _logged_in(user, method, sessions.pending_next(), note)
    elif request.method == "POST":
        status = 422
    return render_template(template, form=form), status


@bp.route("/inloggen/code", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return _second_step(CodeForm(), "accounts/login_code.html", mfa.verify, "app")


@bp.route("/inloggen/herstelcode", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def login_recovery():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return _second_step(RecoveryCodeForm(), "accounts/login_recovery.html",
                        mfa.use_recovery_code, "recovery")


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    attempt(lambda: workflow.logout(user))
    sessions.end()
    flash(_("U bent uitgelogd."), "success")
    return redirect(url_for("procedure.home"))


# --------------------------------------------------------------------------- second factor

@bp.route("/account/tweestapsverificatie")
@login_required
def second_factor():
    user = current_user._get_current_object()
    return render_template(
        "accounts/second_factor.html", required=mfa.required_for(user),
        remaining=mfa.remaining_recovery_codes(user) if user.has_second_factor else 0,
        disable_form=DisableSecondFactorForm())


@bp.route("/account/tweestapsverificatie/instellen", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per 15 minutes", methods=["POST"])
def mfa_setup():
    user = current_user._get_current_object()
    secret = mfa.pending_secret(user)
    db.session.commit()
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = attempt(lambda: mfa.enrol(user, form.code.data, by=user))
        except DomainError as exc:
            show_errors(form, exc)
            status = 422
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:  # shown once, on this answer only (never stored in the session)
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=_home_for(user))
    elif request.method == "POST":
        status = 422
    uri = mfa.provisioning_uri(user, secret)
    return render_template("accounts/mfa_setup.html", form=form, secret=mfa.group(secret),
                           qr=mfa.qr_data_uri(uri), required=mfa.must_enrol(user)), status


@bp.route("/account/tweestapsverificatie/uitschakelen", methods=["POST"])
@login_required
@limiter.limit("10 per 15 minutes")
def mfa_disable():
    user = current_user._get_current_object()
    form = DisableSecondFactorForm()

    def disable():
        if not verify_password(user.password_hash, form.current_password.data or ""):
            raise workflow.FieldError("current_password", _("Uw huidige wachtwoord klopt niet."))
        mfa.disable(user, by=user)

    def page():
        return render_template("accounts/second_factor.html", required=mfa.required_for(user),
                               remaining=mfa.remaining_recovery_codes(user), disable_form=form)

    def done(_result):
        sessions.keep_after_change(user)
        return url_for("accounts.account")

    return submit(form, disable, success=_("Tweestapsverificatie staat uit. U logt voortaan in met "
                                           "alleen uw wachtwoord."), done=done, page=page)


# --------------------------------------------------------------------------- helpers

def _link_problem(title: str, message: str, next_url: str | None = None,
                  next_text: str | None = None):
    db.session.rollback()
    return render_template("accounts/link_problem.html", title=title, message=message,
                           next_url=next_url, next_text=next_text), 400


def _load_member(user_id: int) -> User:
    """A user of the current user's own organisation; 404 for anyone else."""
    member = db.session.scalar(select(User).where(
        User.id == user_id,
        User.role == Role.PROVIDER,
        User.organisation_id == current_user.organisation_id,
    ))
    if member is None:
        abort(404)
    return member


def _load_invitation(invitation_id: int) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.id == invitation_id,
        Invitation.organisation_id == current_user.organisation_id,
    ))
    if invitation is None:
        abort(404)
    return invitation


# --------------------------------------------------------------------------- organisation

@bp.route("/organisatie")
@provider_required
def organisation():
    org = current_user.organisation
    return render_template("accounts/organisation.html", org=org)


@bp.route("/organisatie/gegevens", methods=["GET", "POST"])
@provider_required
def edit_organisation():
    forbid_unless(current_user.is_org_beheerder)
    org = current_user.organisation
    form = OrganisationForm()

    def page():
        return render_template("accounts/organisation_edit.html", form=form, org=org)

    if request.method == "POST":
        return submit(
            form,
            lambda: workflow.update_organisation(
                org, by=current_user,
                name=form.org_name.data, kvk_number=form.kvk_number.data,
                agb_code=form.agb_code.data, street=form.street.data,
                postal_code=form.postal_code.data, city=form.city.data,
                contact_email=form.contact_email.data, website=form.website.data,
                expected_version=form.version.data,
            ),
            success=lambda changed: (_("De gegevens van uw organisatie zijn opgeslagen.") if changed
                                     else _("Er is niets gewijzigd.")),
            done=url_for("accounts.organisation"), page=page, invalid_status=200)
    form.org_name.data = org.name
    form.kvk_number.data = org.kvk_number
    form.agb_code.data = org.agb_code
    form.street.data = org.street
    form.postal_code.data = org.postal_code
    form.city.data = org.city
    form.contact_email.data = org.contact_email
    form.website.data = org.website
    form.version.data = org.row_version
    return page()


@bp.route("/organisatie/gebruikers")
@provider_required
def users():
    org = current_user.organisation
    return render_template(
        "accounts/users.html", org=org, members=workflow.members(org),
        invitations=workflow.open_invitations(org),
        expires_at=workflow.invitation_expires_at, action_form=ActionForm(),
    )


@bp.route("/organisatie/uitnodigen", methods=["GET", "POST"])
@provider_required
@limiter.limit("30 per hour", methods=["POST"])
def invite():
    forbid_unless(current_user.is_org_beheerder)
    form = InviteForm()

    def page():
        return render_template("accounts/invite.html", form=form)

    if request.method == "POST":
        return submit(
            form,
            lambda: workflow.invite_colleague(
                current_user.organisation, email=form.email.data,
                org_role=OrgRole(form.org_role.data), by=current_user),
            success=lambda invitation: _(
                "De uitnodiging is gestuurd naar %(email)s. De link is %(days)s dagen geldig.",
                email=invitation.email, days=workflow.INVITE_MAX_AGE // 86400),
            done=url_for("accounts.users"), page=page, invalid_status=200)
    return page()


@bp.route("/organisatie/uitnodigingen/<int:invitation_id>/intrekken", methods=["POST"])
@provider_required
def revoke_invitation(invitation_id):
    invitation = _load_invitation(invitation_id)
    forbid_unless(current_user.is_org_beheerder)
    return button(ActionForm(), lambda: workflow.revoke_invitation(invitation, by=current_user),
                  success=_("De uitnodiging voor %(email)s is ingetrokken.", email=invitation.email),
                  back=url_for("accounts.users"))


@bp.route("/organisatie/gebruikers/<int:user_id>", methods=["GET", "POST"])
@provider_required
def edit_member(user_id):
    member = _load_member(user_id)
    forbid_unless(current_user.is_org_beheerder)
    form = RoleForm()

    def page():
        return render_template("accounts/member.html", member=member, form=form)

    if request.method == "GET":
        form.org_role.data = member.org_role.value
    elif member.is_active_account:  # a removed member's role stays as it was
        return submit(
            form,
            lambda: workflow.change_org_role(member, OrgRole(form.org_role.data), by=current_user),
            success=lambda _result: _("De rol van %(name)s is nu %(role)s.",
                                      name=member.full_name, role=member.org_role.value),
            done=url_for("accounts.users"), page=page, invalid_status=200)
    return page()


@bp.route("/organisatie/gebruikers/<int:user_id>/verwijderen", methods=["GET", "POST"])
@provider_required
def remove_member(user_id):
    member = _load_member(user_id)
    forbid_unless(current_user.is_org_beheerder)
    if not member.is_active_account:
        flash(_("%(name)s is al verwijderd.", name=member.full_name), "info")
        return redirect(url_for("accounts.users"))
    form = ActionForm()

    def page():
        return render_template("accounts/remove_member.html", member=member, form=form)

    if request.method == "POST":
        myself = member.id == current_user.id

        def done(_result):
            if myself:  # after the commit: who removed themselves is logged out
                sessions.end()
                return url_for("procedure.home")
            return url_for("accounts.users")

        return submit(
            form, lambda: workflow.deactivate_member(member, by=current_user),
            success=(_("U heeft uzelf verwijderd uit de organisatie en bent uitgelogd.") if myself
                     else _("%(name)s is verwijderd en kan niet meer inloggen.",
                            name=member.full_name)),
            done=done, page=page, invalid_status=200)
    return page()


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def accept_invitation(token):
    title = _("Uitnodiging accepteren")
    if current_user.is_authenticated:
        return _link_problem(
            title,
            _("U bent ingelogd als %(email)s. Log eerst uit en open daarna de link uit de "
              "uitnodiging opnieuw.", email=current_user.email),
        )
    try:
        invitation = workflow.load_invitation(token)
    except DomainError as exc:
        return _link_problem(title, exc.message, url_for("accounts.login"), _("Naar de inlogpagina"))
    form = AcceptInvitationForm()
    status = 200

    def accept():
        user = workflow.accept_invitation(token, full_name=form.full_name.data,
                                          password=form.password.data)
        user.last_login_at = utcnow()
        return user

    if form.validate_on_submit():
        try:
            user = attempt(accept)
        except workflow.FieldError as exc:  # a refused password stays on the form
            show_errors(form, exc)
            status = 422
        except DomainError as exc:
            return _link_problem(title, exc.message, url_for("accounts.login"),
                                 _("Naar de inlogpagina"))
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            sessions.start(user)
            flash(_("Welkom, %(name)s. Uw account bij %(organisation)s is aangemaakt.",
                    name=user.full_name, organisation=user.organisation.name), "success")
            return redirect(_home_for(user))
    return render_template("accounts/accept_invitation.html", form=form,
                           invitation=invitation), status


# --------------------------------------------------------------------------- own account

@bp.route("/account")
@login_required
def account():
    return render_template("accounts/account.html")


@bp.route("/account/mijn-gegevens.json")
@login_required
def personal_data():
    """The user's own personal data as JSON (AVG: inzage and overdraagbaarheid)."""
    body = json.dumps(privacy.personal_data(current_user), ensure_ascii=False, indent=2)
    audit.access("personal_data_exported", current_user, actor=current_user)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="mijn-gegevens.json"',
        "Cache-Control": "no-store"})


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def change_password():
    form = ChangePasswordForm()

    def page():
        return render_template("accounts/change_password.html", form=form)

    def done(_result):
        sessions.keep_after_change(current_user)  # other sessions end, this one goes on
        return url_for("accounts.account")

    if request.method == "POST":
        return submit(
            form,
            lambda: workflow.change_password(current_user._get_current_object(),
                                             current_password=form.current_password.data,
                                             new_password=form.password.data),
            success=_("Uw wachtwoord is gewijzigd. Op andere apparaten bent u uitgelogd."),
            done=done, page=page, invalid_status=200)
    return page()


@bp.route("/account/e-mail", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def change_email():
    form = ChangeEmailForm()

    def page():
        return render_template("accounts/change_email.html", form=form)

    if request.method == "POST":
        return submit(
            form,
            lambda: workflow.request_email_change(
                current_user._get_current_object(), current_password=form.current_password.data,
                new_email=form.email.data),
            success=lambda new_email: _(
                "We hebben een link gestuurd naar %(email)s. Klik op die link om uw nieuwe "
                "e-mailadres te bevestigen. Tot dan blijft uw huidige e-mailadres in gebruik.",
                email=new_email),
            done=url_for("accounts.account"), page=page, invalid_status=200)
    return page()


@bp.route("/account/e-mail/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    title = _("Nieuw e-mailadres bevestigen")
    try:
        user, new_email = workflow.check_email_change(token)
    except DomainError as exc:
        return _link_problem(title, exc.message)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            user = attempt(lambda: workflow.confirm_email_change(token))
        except (DomainError, Conflict) as exc:
            return _link_problem(title, exc.message)
        flash(_("Uw e-mailadres is gewijzigd in %(email)s. Hiermee logt u voortaan in.",
                email=user.email), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("accounts.account"))
        return redirect(url_for("accounts.login", email=user.email))
    return render_template("accounts/confirm_email_change.html", form=form, user=user,
                           new_email=new_email)


# --------------------------------------------------------------------------- password reset

@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()

    def page():
        return render_template("accounts/forgot_password.html", form=form)

    if request.method == "POST":
        # Same answer whether or not the address has an account (also when throttled: the
        # count is per address typed, whether it has an account or not).
        return submit(
            form, lambda: workflow.request_password_reset(form.email.data),
            success=_("Als er een account met dit e-mailadres bestaat, hebben we er een link "
                      "naartoe gestuurd om een nieuw wachtwoord te kiezen. De link is 1 uur geldig. "
                      "Kijk ook in uw map met ongewenste e-mail."),
            done=url_for("accounts.login"), page=page, invalid_status=200)
    if request.args.get("email"):
        form.email.data = request.args["email"]
    return page()


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_password(token):
    try:
        workflow.check_reset_token(token)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = attempt(lambda: workflow.reset_password(token, new_password=form.password.data))
        except workflow.FieldError as exc:  # a refused password stays on the form
            show_errors(form, exc)
            status = 422
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("accounts.forgot_password"))
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            if current_user.is_authenticated:
                sessions.end()  # every session of the account ended; a stranger's too
            flash(_("Uw nieuwe wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
            return redirect(url_for("accounts.login", email=user.email))
    return render_template("accounts/reset_password.html", form=form), status
