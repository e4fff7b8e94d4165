from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from ..auth import admin_required
from ..extensions import db
from ..pagination import paginate
from . import body_visible
from .models import MailStatus, OutboxMail

bp = Blueprint("notifications", __name__, url_prefix="/beheer/mails")


@bp.route("/")
@admin_required
def index():
    status = request.args.get("status")
    ids = select(OutboxMail.id)
    if status in {s.value for s in MailStatus}:
        ids = ids.where(OutboxMail.status == MailStatus(status))
    else:
        status = None
    page = paginate(ids.order_by(OutboxMail.id.desc()),
                    lambda page_ids: db.session.scalars(
                        select(OutboxMail).where(OutboxMail.id.in_(page_ids))))
    return render_template("notifications/index.html", page=page, status=status,
                           statuses=list(MailStatus))


@bp.route("/<int:mail_id>")
@admin_required
def show(mail_id):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    # A mail with a secret link is readable here only in development without MAIL_SERVER
    # (README: how to read a confirmation link); otherwise only subject and status.
    return render_template("notifications/show.html", mail=mail,
                           visible=body_visible(mail, dev_reader=True))


@bp.route("/<int:mail_id>/html")
@admin_required
def html(mail_id):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or not body_visible(mail, dev_reader=True):
        abort(404)
    # Shown inside a sandboxed iframe; the mail's HTML is our own rendering.
    return mail.body_html, 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
