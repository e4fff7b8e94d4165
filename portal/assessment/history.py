"""The application's history in Dutch: labels for the audit actions recorded on an
application and for the states of the mails sent about it."""
from __future__ import annotations

from ..audit import labels

# The actions recorded on an application read in the words of portal/audit/labels.py;
# on the application's own timeline "created" says what was created.
ON_AN_APPLICATION = {"created": "Aanmelding aangemaakt"}


def action_label(action: str | None) -> str:
    return ON_AN_APPLICATION.get(action or "") or labels.action_label(action)



def state_label(value: str | None) -> str:
    """An application state stored in an audit event ('in_behandeling'), as shown."""
    return labels.state_label(value) if value else "–"


def mail_status_label(status) -> str:
    return labels.state_label(status)
