from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from ..timeutil import utcnow
from . import workflow
from .forms import LoginForm, RegistrationForm, ResendConfirmationForm
from .passwords import hash_password, needs_rehash

bp = Blueprint("accounts", __name__)


def _home_for(user):
    if user.is_provider:
        return url_for("applications.dashboard")
    if user.is_staff:
        return url_for("assessment.queue")
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
    if form.validate_on_submit():
        try:
            user = workflow.register_provider(
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
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            return render_template("accounts/registered.html", email=user.email)
    return render_template("accounts/register.html", form=form)


@bp.route("/bevestigen/<token>")
def confirm(token):
    try:
        user = workflow.confirm_email(token)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("accounts.resend_confirmation"))
    db.session.commit()
    flash("Uw e-mailadres is bevestigd. U kunt nu inloggen.", "success")
    return redirect(url_for("accounts.login", email=user.email))


@bp.route("/bevestiging-opnieuw", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def resend_confirmation():
    form = ResendConfirmationForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    if form.validate_on_submit():
        user = workflow.find_user_by_email(form.email.data)
        if user is not None and not user.is_confirmed:
            workflow.queue_confirmation(user)
            db.session.commit()
        # Same answer whether or not the address has an account.
        flash(
            "Als er een onbevestigd account met dit e-mailadres bestaat, is er een nieuwe "
            "bevestigingslink naar toe gestuurd. Kijk ook in uw map met ongewenste e-mail.",
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend.html", form=form)


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    unconfirmed_email = None
    if form.validate_on_submit():
        user = workflow.authenticate(form.email.data, form.password.data)
        if user is None or not user.is_active:
            form.form_errors.append("Het e-mailadres of het wachtwoord klopt niet.")
        elif not user.is_confirmed:
            unconfirmed_email = user.email
            form.form_errors.append(
                "U heeft uw e-mailadres nog niet bevestigd. Klik op de link in de e-mail die "
                "wij u stuurden, of vraag een nieuwe link aan."
            )
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            flash(f"Welkom, {user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("accounts/login.html", form=form, unconfirmed_email=unconfirmed_email)


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("U bent uitgelogd.", "success")
    return redirect(url_for("procedure.home"))
