"""The application's history in Dutch: labels for the audit actions recorded on an
application and for the states of the mails sent about it."""
from __future__ import annotations

from ..applications.models import Status
from ..notifications.models import MailStatus

# Every action recorded on an application (audit.record / change_status with the
# application as object), in the words of the screen (DOMAIN.md, "Words on the screen").
ACTION_LABELS = {
    "created": "Aanmelding aangemaakt",
    "submitted": "Aanmelding ingediend",
    "withdrawn": "Aanmelding ingetrokken",
    "review_started": "In behandeling genomen",
    "assigned": "Toegewezen aan een beoordelaar",
    "conflict_declared": "Verklaard geen belangenconflict te hebben",
    "verdicts_recorded": "Oordelen vastgelegd",
    "completion_requested": "Aanvulling gevraagd",
    "completion_returned": "Aanvulling ontvangen",
    "completion_expired": "Termijn voor de aanvulling verstreken",
    "decision_proposed": "Besluit voorgesteld",
    "decision_sent_back": "Besluitvoorstel teruggestuurd",
    "decision_approved": "Besluit goedgekeurd",
    "correction_proposed": "Herstelbesluit voorgesteld",
    "correction_approved": "Herstelbesluit goedgekeurd",
}

MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: "in de wachtrij",
    MailStatus.SENDING: "wordt verzonden",
    MailStatus.SENT: "verzonden",
    MailStatus.FAILED: "mislukt",
}


def action_label(action: str) -> str:
    """The Dutch label of an audit action; an unknown one reads as words, not as a code."""
    return ACTION_LABELS.get(action) or (action or "").replace("_", " ").strip().capitalize()


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
