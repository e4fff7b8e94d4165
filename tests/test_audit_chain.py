"""The audit trail as a hash chain (issue 12, point 6): every event sealed with its place,
the previous hash and its own; changed, inserted and deleted events are found by
`flask audit verify`; the database refuses UPDATE and DELETE of sealed events; each event
carries the client's address and its outcome."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from portal import audit
from portal.audit.chain import GENESIS, verify
from portal.audit.models import AuditChain, AuditEvent
from portal.extensions import db
from portal.procedure.models import Category
from tests.conftest import ADMIN, login, post, user


def _record(n: int, actor_email: str = ADMIN) -> list[int]:
    actor = user(actor_email)
    category = db.session.scalars(select(Category).order_by(Category.id)).first()
    events = [audit.record("category_moved", category, actor=actor, detail=f"test {i}") for i in range(n)]
    db.session.commit()
    return [e.id for e in events]


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def _bypass_triggers(statement: str, params: dict) -> None:
    """What someone with the database owner's rights could do: drop the guard, change, restore it."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))
    else:
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    db.session.execute(text(statement), params)
    db.session.commit()


def test_every_event_is_sealed_into_one_chain(ctx):
    ids = _record(3)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert all(r.seq and r.hash and r.prev_hash for r in rows)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))  # no gaps, from 1
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    head = db.session.get(AuditChain, 1)
    assert (head.seq, head.last_hash) == (rows[-1].seq, rows[-1].hash)
    assert rows[-1].id == ids[-1]
    report = verify(db.session)
    assert report.intact and report.checked == len(rows)


def test_a_rolled_back_event_leaves_no_trace_in_the_chain(ctx):
    _record(1)
    before = db.session.get(AuditChain, 1).seq
    category = db.session.scalars(select(Category)).first()
    audit.record("category_moved", category, actor=user(ADMIN))
    db.session.flush()
    db.session.rollback()
    _record(1)
    assert db.session.get(AuditChain, 1).seq == before + 1
    assert verify(db.session).intact


def test_the_database_refuses_to_change_or_delete_a_sealed_event(ctx):
    event_id = _record(1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(detail="anders"))
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == event_id))
    db.session.rollback()
    assert db.session.get(AuditEvent, event_id).detail == "test 0"


@pytest.mark.parametrize("tamper", ["change", "delete", "delete_last"])
def test_verify_names_the_first_tampered_event(app, tamper):
    with app.app_context():
        ids = _record(5)
        target = db.session.get(AuditEvent, ids[2])
        seq = target.seq
        assert _cli(app, "verify").exit_code == 0
        if tamper == "change":
            _bypass_triggers("UPDATE audit_events SET detail = 'vervalst' WHERE id = :id", {"id": ids[2]})
            expected = f"gebeurtenis {seq} (rij {ids[2]}): de inhoud is gewijzigd"
        elif tamper == "delete":
            _bypass_triggers("DELETE FROM audit_events WHERE id = :id", {"id": ids[2]})
            expected = f"gebeurtenis {seq} is verwijderd"
        else:
            last = db.session.get(AuditEvent, ids[-1]).seq
            _bypass_triggers("DELETE FROM audit_events WHERE id = :id", {"id": ids[-1]})
            expected = f"de keten eindigt bij {last - 1} maar de kop zegt {last}"
        result = _cli(app, "verify")
        assert result.exit_code == 1
        assert expected in result.output, result.output


def test_an_event_added_outside_the_portal_is_found(app):
    with app.app_context():
        _record(2)
        _bypass_triggers(
            "INSERT INTO audit_events (at, object_type, object_id, action, detail, outcome) "
            "VALUES ('2027-01-05 10:00:00.000000', 'categories', 1, 'category_moved', '', 'success')", {})
        forged = db.session.scalar(select(func.max(AuditEvent.id)))
        result = _cli(app, "verify")
        assert result.exit_code == 1
        assert f"rij {forged}: staat buiten de keten" in result.output


def test_concurrent_transactions_keep_one_chain(app):
    """Writers in several threads at once: the head serialises them; no fork, no gap."""
    errors = []

    def writer():
        with app.app_context():
            try:
                for _ in range(5):
                    _record(2)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    retried = [e for e in errors if "locked" in str(e)]
    assert errors == retried  # SQLite may say "locked" to a writer; nothing else goes wrong
    with app.app_context():
        report = verify(db.session)
        assert report.intact, report.finding
        count = db.session.scalar(select(func.count(AuditEvent.id)))
        assert report.checked == count


def test_events_carry_the_address_and_the_outcome(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    login(client, ADMIN)
    response = post(client, "/beheer/categorieen/nieuw", {"name": "Crisisopvang", "description": ""})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "category_added")).one()
        assert (event.ip_address, event.outcome) == ("192.0.2.44", "success")
        assert event.actor_id == user(ADMIN).id and event.seq is not None
