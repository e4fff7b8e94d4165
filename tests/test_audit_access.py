"""Who saw what (issue 12, point 6) and file names (point 8): downloads, inline views of
evidence and exports are audit events with actor and address; a stored and a downloaded
file name carries the extension of the detected type, whatever the upload was called."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.files import Document, download_name
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import PDF_BYTES


def _upload(client, name: str) -> int:
    response = post(client, "/organisatie/documenten", {
        "doc_type": "Overig", "file": (io.BytesIO(PDF_BYTES + name.encode("utf-8", "replace")), name),
        "valid_until": (today_local() + timedelta(days=300)).isoformat()},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(select(Document.id).order_by(Document.id.desc()))


def _events(action):
    db.session.remove()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


@pytest.mark.parametrize(("uploaded", "offered"), [
    ("besluit.html", "besluit.pdf"),
    ("plaatje.svg", "plaatje.pdf"),
    ("a.pdf.exe", "a.pdf"),
    ("../../x.pdf", "x.pdf"),
    ("geen-extensie", "geen-extensie.pdf"),
    ("met\x07bel\x1b.pdf", "metbel.pdf"),
    ("lang" * 75 + ".pdf", "lang" * 50 + ".pdf"),
])
def test_a_download_carries_the_extension_of_the_content(app, uploaded, offered):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    login(client, PROVIDER)
    with app.app_context():
        document_id = _upload(client, uploaded)
        document = db.session.get(Document, document_id)
        assert document.stored_name.endswith(".pdf")  # stored under the detected type too
        assert download_name(document) == offered
    response = client.get(f"/documenten/{document_id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert offered in disposition or f"filename*=UTF-8''{offered}" in disposition, disposition
    with app.app_context():
        [event] = [e for e in _events("downloaded") if e.object_id == document_id]
        assert (event.actor_id, event.ip_address, event.object_type) == (user(PROVIDER).id, "192.0.2.7",
                                                                        "documents")


def test_an_assessor_viewing_evidence_inline_is_recorded(app):
    provider = app.test_client()
    login(provider, PROVIDER)
    with app.app_context():
        document_id = _upload(provider, "vog.pdf")
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    response = assessor.get(f"/beoordeling/documenten/{document_id}/bekijken")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("inline")
    with app.app_context():
        [event] = _events("viewed")
        assert (event.actor_id, event.object_id) == (user(ASSESSOR_1).id, document_id)


def test_exports_are_recorded(app):
    admin = app.test_client()
    login(admin, ADMIN)
    assert admin.get("/beheer/audit/export.csv?actor=beheer").status_code == 200
    assert admin.get("/beheer/rapportage/statussen.csv").status_code == 200
    with app.app_context():
        events = _events("exported")
        assert [e.object_type for e in events] == ["audit_events", "reports"]
        assert all(e.actor_id == user(ADMIN).id for e in events)
        assert "actor=beheer" in events[0].detail and events[1].detail.endswith(".csv")


def test_an_administrator_reading_a_mail_is_recorded(app):
    from portal.notifications.models import OutboxMail

    admin = app.test_client()
    login(admin, ADMIN)
    with app.app_context():
        mail = OutboxMail(kind="receipt", to_address="aanbieder@demo.nl", subject="Ontvangst",
                          body_text="Tekst", body_html="<p>Tekst</p>")
        db.session.add(mail)
        db.session.commit()
        mail_id = mail.id
    assert admin.get(f"/beheer/mails/{mail_id}").status_code == 200
    with app.app_context():
        [event] = _events("mail_read")
        assert (event.object_type, event.object_id, event.actor_id) == ("outbox_mails", mail_id,
                                                                       user(ADMIN).id)


def test_the_console_mail_reader_is_for_development_only(app):
    from portal.notifications import console_mode

    with app.app_context():
        app.config["MAIL_SERVER"] = ""
        assert console_mode()
        app.config["ENV_NAME"] = "production"
        assert not console_mode()
