from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..actions import button
from ..audit.labels import state_label
from ..auth import admin_required
from ..extensions import db
from ..forms import ActionForm
from ..i18n import gettext as _
from ..pagination import paginate
from . import body_visible, resend
from .models import MailStatus, OutboxMail

bp = Blueprint("notifications", __name__, url_prefix="/beheer/mails")

# The tabs of the list: a status, or "vertraagd" (queued again after a failed attempt).
DELAYED = "vertraagd"
TABS = [
    ("queued", "In de wachtrij"),
    (DELAYED, "Vertraagd"),
    ("sending", "Wordt verzonden"),
    ("failed", "Mislukt"),
    ("sent", "Verzonden"),
]
STATUS_LABELS = {status: state_label(status) for status in MailStatus}


def _listing(tab: str | None):
    """The ids of a tab, in the order shown; each filter has an index that serves it."""
    ids = select(OutboxMail.id)
    if tab == DELAYED:
        # Waiting for a retry after a failed attempt: ordered by the next attempt.
        return (ids.where(OutboxMail.status == MailStatus.QUEUED,
                          OutboxMail.attempts > 0)
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id))
    if tab is not None:
        ids = ids.where(OutboxMail.status == MailStatus(tab))
    return ids.order_by(OutboxMail.id.desc())


@bp.route("/")
@admin_required
def index():
    tab = request.args.get("status")
    if tab not in {key for key, _label in TABS}:
        tab = None
    page = paginate(_listing(tab),
                    lambda page_ids: db.session.scalars(
                        select(OutboxMail).where(OutboxMail.id.in_(page_ids))))
    return render_template("notifications/index.html", page=page, status=tab, tabs=TABS,
                           labels=STATUS_LABELS, form=ActionForm(), failed=MailStatus.FAILED)


@bp.route("/<int:mail_id>")
@admin_required
def show(mail_id):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    # A mail with a secret link is readable here only in development without MAIL_SERVER
    # (README: how to read a confirmation link); otherwise only subject and status.
    visible = body_visible(mail, dev_reader=True)
    page = render_template("notifications/show.html", mail=mail, labels=STATUS_LABELS,
                           visible=visible, form=ActionForm(), failed=MailStatus.FAILED)
    audit.access("mail_read", mail, actor=current_user,
                 detail="met inhoud" if visible else "alleen onderwerp en status")
    return page


@bp.route("/<int:mail_id>/opnieuw", methods=["POST"])
@admin_required
def send_again(mail_id):
    mail = db.session.get(OutboxMail, mail_id, with_for_update=True)
    if mail is None:
        abort(404)
    back = request.form.get("next") == "list"
    return button(ActionForm(), lambda: resend(mail, by=current_user),
                  success=_("E-mail %(id)s staat weer in de wachtrij en wordt verstuurd.", id=mail_id),
                  back=url_for("notifications.index", status="failed") if back
                  else url_for("notifications.show", mail_id=mail_id))


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
