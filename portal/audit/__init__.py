"""Audit trail: workflows call record(); nothing here calls back.

Each event carries the actor, the client's address, the object, the action, its outcome
and the UTC time, and is sealed into a hash chain when its transaction commits
(``chain.py``); ``flask audit verify`` checks the chain."""
from flask import has_request_context, request

from ..extensions import db
from . import chain
from .models import FAILURE, SUCCESS, AuditEvent

__all__ = ["record", "access", "AuditEvent", "SUCCESS", "FAILURE"]


def _client_address() -> str | None:
    """The client's address (ProxyFix has applied TRUSTED_PROXIES); None outside a request."""
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:45] or None


def record(action, obj, actor=None, from_state=None, to_state=None, detail="", *, outcome=SUCCESS,
           object_type=None, object_id=None):
    """Add one audit event to the current transaction (the caller commits).

    ``obj`` is the row the event is about; ``object_type``/``object_id`` name it instead
    when there is no row (a failed login for an unknown address: object_id 0)."""

    def _name(state):
        return getattr(state, "value", state)

    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        object_type=object_type or obj.__tablename__,
        object_id=obj.id if object_id is None else object_id,
        action=action,
        from_state=_name(from_state),
        to_state=_name(to_state),
        detail=detail,
        ip_address=_client_address(),
        outcome=outcome,
    )
    db.session.add(event)
    chain.remember(db.session(), event)
    return event


def access(action, obj=None, actor=None, detail="", *, object_type=None, object_id=None):
    """Record that someone saw or took data (a download, an inline view, a mail read, an
    export) and commit it at once: such a request changes nothing else, and the event must
    stand even when the response fails on its way to the browser."""
    event = record(action, obj, actor=actor, detail=detail, object_type=object_type,
                   object_id=object_id)
    db.session.commit()
    return event
