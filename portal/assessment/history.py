"""The application's history in Dutch: labels for the audit actions recorded on an
application and for the states of the mails sent about it."""
from __future__ import annotations

from ..applications.models import Status
from ..audit import labels
from ..notifications.models import MailStatus

# The actions recorded on an application read in the words of portal/audit/labels.py;
# on the application's own timeline "created" says what was created.
ON_AN_APPLICATION = {"created": "Aanmelding aangemaakt"}


def action_label(action: str | None) -> str:
    return ON_AN_APPLICATION.get(action or "") or labels.action_label(action)

MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: "in de wachtrij",
    MailStatus.SENDING: "wordt verzonden",
    MailStatus.SENT: "verzonden",
    MailStatus.FAILED: "mislukt",
}


def state_label(value: str | None) -> str:
    """An application state stored in an audit event ('in_behandeling'), as shown."""
    if not value:
        return "–"
    try:
        return Status(value).label
    except ValueError:
        return value.replace("_", " ")


def mail_status_label(status) -> str:
    try:
        return MAIL_STATUS_LABELS[MailStatus(getattr(status, "value", status))]
    except ValueError:
        return str(getattr(status, "value", status)).replace("_", " ")
