"""The audit trail as a hash chain: changed, inserted or deleted events show.

Every event gets, when its transaction commits, its place in the chain (``seq``: 1, 2, 3,
... without gaps), the previous event's hash and its own hash over its fields and that
previous hash. The transaction first moves the chain's head (one row, ``audit_chain``),
which makes concurrent transactions seal one after the other, on SQLite and PostgreSQL
alike; it does so at the very end of the transaction, so the head is held only for the
commit and never waits for another lock while holding it (no deadlock through the head).

Triggers (migration 0015) refuse UPDATE and DELETE of a sealed event; ``verify`` finds
what was done around them (with the database's owner rights, for example).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .models import AuditChain, AuditEvent

GENESIS = "0" * 64  # the "previous hash" of the first event
PENDING_KEY = "audit_unsealed"


def event_hash(*, seq: int, prev_hash: str, at: datetime, actor_id, object_type: str, object_id,
               action: str, from_state, to_state, detail, ip_address, outcome) -> str:
    """sha256 over the event's fields in a fixed order (JSON, so no field runs into the next)."""
    fields = [seq, prev_hash, at.isoformat(timespec="microseconds"), actor_id, object_type,
              object_id, action, from_state, to_state, detail or "", ip_address, outcome]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def hash_of(row, *, seq: int, prev_hash: str) -> str:
    return event_hash(seq=seq, prev_hash=prev_hash, at=row.at, actor_id=row.actor_id,
                      object_type=row.object_type, object_id=row.object_id, action=row.action,
                      from_state=row.from_state, to_state=row.to_state, detail=row.detail,
                      ip_address=row.ip_address, outcome=row.outcome)


def remember(session: Session, audit_event: AuditEvent) -> None:
    """Called by ``record``: seal this event when its transaction commits."""
    session.info.setdefault(PENDING_KEY, []).append(audit_event)


@event.listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    session.flush()  # every other write of the transaction first: the head is taken last
    events = sorted((e for e in pending if e.id is not None and e.hash is None), key=lambda e: e.id)
    if not events:
        return
    head = session.execute(
        update(AuditChain).where(AuditChain.id == 1)
        .values(seq=AuditChain.seq + len(events))
        .returning(AuditChain.seq, AuditChain.last_hash)
        .execution_options(synchronize_session=False)
    ).one()
    seq, prev = head.seq - len(events), head.last_hash
    for audit_event in events:
        seq += 1
        audit_event.seq, audit_event.prev_hash = seq, prev
        prev = audit_event.hash = hash_of(audit_event, seq=seq, prev_hash=prev)
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(last_hash=prev)
                    .execution_options(synchronize_session=False))
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


# --- verification ----------------------------------------------------------------------------

@dataclass
class Finding:
    """The first place where the chain does not hold."""

    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"gebeurtenis {self.seq} (rij {self.event_id})" if self.seq else f"rij {self.event_id}"
        return f"{where}: {self.problem}"


@dataclass
class Report:
    checked: int
    finding: Finding | None

    @property
    def intact(self) -> bool:
        return self.finding is None


def _rows(session: Session, batch: int) -> Iterator:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEvent.id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash,
                   AuditEvent.at, AuditEvent.actor_id, AuditEvent.object_type,
                   AuditEvent.object_id, AuditEvent.action, AuditEvent.from_state,
                   AuditEvent.to_state, AuditEvent.detail, AuditEvent.ip_address,
                   AuditEvent.outcome)
            .where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _check(row, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return (f"na gebeurtenis {expected_seq - 1} volgt {row.seq}: "
                f"gebeurtenis {expected_seq} is verwijderd")
    if row.prev_hash != prev:
        return "de verwijzing naar de vorige gebeurtenis klopt niet (ingevoegd of vervangen)"
    if row.hash != hash_of(row, seq=row.seq, prev_hash=prev):
        return "de inhoud is gewijzigd na het vastleggen"
    return None


def verify(session: Session, batch: int = 2000) -> Report:
    """Walk the chain from the first event; report the first changed, inserted or deleted one."""
    expected, prev, checked = 1, GENESIS, 0
    for row in _rows(session, batch):
        problem = _check(row, expected, prev)
        if problem:
            return Report(checked, Finding(expected if row.seq != expected else row.seq, row.id, problem))
        checked += 1
        expected, prev = expected + 1, row.hash
    head = session.get(AuditChain, 1)
    if head is None or head.seq != checked or head.last_hash != prev:
        told = head.seq if head else 0
        return Report(checked, Finding(checked + 1, None,
                                       f"de keten eindigt bij {checked} maar de kop zegt {told}: "
                                       "de laatste gebeurtenissen zijn verwijderd"))
    unsealed = session.scalar(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(1))
    if unsealed is not None:
        return Report(checked, Finding(None, unsealed, "staat buiten de keten (ingevoegd)"))
    return Report(checked, None)
