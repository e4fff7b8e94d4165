"""Audit trail: workflows call record(); nothing here calls back."""
from ..extensions import db
from .models import AuditEvent


def record(action, obj, actor=None, from_state=None, to_state=None, detail=""):
    """Add one audit event to the current transaction (the caller commits)."""

    def _name(state):
        return getattr(state, "value", state)

    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        object_type=type(obj).__tablename__,
        object_id=obj.id,
        action=action,
        from_state=_name(from_state),
        to_state=_name(to_state),
        detail=detail,
    )
    db.session.add(event)
    return event
