"""File storage: local disk and S3 (a real moto server on loopback), checksums verified on
every read, and what happens when the storage fails or an upload arrives broken."""
from __future__ import annotations

import errno
import hashlib
import io
import socket
import threading
from http.client import HTTPConnection
from importlib.metadata import version

import pytest
from sqlalchemy import func, select

from portal import files
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.files import Document, LocalStorage
from tests.conftest import PROVIDER, csrf_token, login, make_app, post
from tests.helpers import PDF_BYTES, requirement, valid_until
from tests.infra.s3 import S3Server, s3_server  # noqa: F401 - the fixture

CORRUPT = "Het bestand is beschadigd of ontbreekt; neem contact op met de regio."
WRITE_FAILED = "kon door een storing niet worden opgeslagen"
EVIDENCE = PDF_BYTES + b"% bewijsstuk " + bytes(range(256)) * 40  # binary, > 10 kB


class Backend:
    """The storage a test runs on, and an independent view of what it holds."""

    def __init__(self, name, upload_dir, s3=None, bucket=None):
        self.name, self.upload_dir, self.s3, self.bucket = name, upload_dir, s3, bucket

    def settings(self) -> dict:
        return self.s3.settings(self.bucket) if self.name == "s3" else {}

    def stored(self) -> dict[str, bytes]:
        """Every stored file by its key (the Document's stored_name), read directly."""
        if self.name == "s3":
            return {key.removeprefix("bestanden/"): data
                    for key, data in self.s3.objects(self.bucket).items()}
        if not self.upload_dir.exists():
            return {}
        return {p.relative_to(self.upload_dir).as_posix(): p.read_bytes()
                for p in self.upload_dir.rglob("*") if p.is_file()}

    def overwrite(self, key: str, data: bytes) -> None:
        """Change a stored file behind the portal's back."""
        if self.name == "s3":
            self.s3.client().put_object(Bucket=self.bucket, Key=f"bestanden/{key}", Body=data)
        else:
            (self.upload_dir / key).write_bytes(data)

    def remove(self, key: str) -> None:
        if self.name == "s3":
            self.s3.client().delete_object(Bucket=self.bucket, Key=f"bestanden/{key}")
        else:
            (self.upload_dir / key).unlink()


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        return Backend("s3", tmp_path / "uploads", server, server.new_bucket())
    return Backend("local", tmp_path / "uploads")


@pytest.fixture
def app(database_url, tmp_path, smtp, backend):
    application = make_app(database_url, tmp_path / "uploads", smtp, **backend.settings())
    yield application
    with application.app_context():
        db.engine.dispose()


def _documents(app) -> list[Document]:
    with app.app_context():
        rows = db.session.scalars(select(Document).order_by(Document.id)).all()
        db.session.expunge_all()
        return rows


def _library_upload(client, data: bytes = EVIDENCE, name: str = "hkz-certificaat.pdf"):
    return post(client, "/organisatie/documenten", {
        "doc_type": "Kwaliteitscertificaat", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def test_the_storage_is_chosen_by_configuration(app, backend):
    store = app.extensions["portal_storage"]
    assert store.name == backend.name
    if backend.name == "s3":
        assert store.bucket == backend.bucket and store.prefix == "bestanden/"
    with pytest.raises(RuntimeError, match="unknown"):
        files.storage_from_config({"STORAGE_BACKEND": "ftp", "UPLOAD_DIR": "x"})


def test_uploads_through_the_pages_are_stored_and_downloaded_identically(app, backend, client):
    login(client, PROVIDER)
    before = {d.id for d in _documents(app)}
    assert _library_upload(client).status_code == 302
    with app.app_context():
        a5 = requirement("A5").id
        from portal.applications import workflow
        from portal.models import Procedure
        from tests.conftest import user
        from tests.helpers import categories

        draft = workflow.create_application(db.session.scalar(select(Procedure)),
                                            categories("pleegzorg"), by=user(PROVIDER)).id
        db.session.commit()
    second = PDF_BYTES + b"% tweede bestand"
    response = post(client, f"/aanmeldingen/{draft}/stap/1", {
        f"r{a5}_file": (io.BytesIO(second), "polis.pdf"), f"r{a5}_valid_until": valid_until().isoformat(),
        "opslaan": "1"}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    new = [d for d in _documents(app) if d.id not in before]
    assert [d.original_name for d in new] == ["hkz-certificaat.pdf", "polis.pdf"]
    stored = backend.stored()
    for document, content in zip(new, (EVIDENCE, second), strict=True):
        # In the configured storage, under its key, with its checksum in the row.
        assert stored[document.stored_name] == content
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.size_bytes == len(content)
        download = client.get(f"/documenten/{document.id}")
        assert download.status_code == 200 and download.data == content
        assert download.headers["Content-Disposition"].startswith("attachment")
    if backend.name == "s3":  # nothing on the local disk
        assert not [p for p in backend.upload_dir.rglob("*") if p.is_file()]
    with app.app_context():
        assert files.read_bytes(db.session.get(Document, new[0].id)) == EVIDENCE


def test_a_file_changed_or_removed_behind_the_portals_back_is_refused(app, backend, client):
    login(client, PROVIDER)
    assert _library_upload(client).status_code == 302
    document = _documents(app)[-1]
    tampered = EVIDENCE[:-1] + b"X"  # same size, other content
    backend.overwrite(document.stored_name, tampered)

    response = client.get(f"/documenten/{document.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and CORRUPT in html
    assert b"bewijsstuk" not in response.data and "Traceback" not in html
    with app.app_context(), pytest.raises(files.FileCorrupt) as refused:
        files.read_bytes(db.session.get(Document, document.id))
    assert refused.value.message == CORRUPT

    backend.remove(document.stored_name)
    response = client.get(f"/documenten/{document.id}")
    assert response.status_code == 500 and CORRUPT in response.get_data(as_text=True)
    assert client.get("/organisatie/documenten").status_code == 200  # the portal goes on


class FullDisk(LocalStorage):
    """A local disk that fills up halfway through writing a file."""

    def put(self, key, content):
        class Filling(io.RawIOBase):
            def __init__(self, source):
                self.source, self.sent = source, 0

            def read(self, n=-1):
                if self.sent:
                    raise OSError(errno.ENOSPC, "No space left on device")
                self.sent += 1
                return self.source.read(100) if hasattr(self.source, "read") else self.source[:100]

        super().put(key, Filling(content))


def _break_storage(app, backend, how, request):
    if how == "full-disk":
        app.extensions["portal_storage"] = FullDisk(backend.upload_dir)
        return lambda: app.extensions.__setitem__("portal_storage", LocalStorage(backend.upload_dir))
    if how == "no-bucket":
        good = app.extensions["portal_storage"]
        app.extensions["portal_storage"] = files.storage_from_config(
            {**app.config, "S3_BUCKET": "bestaat-niet"})
        return lambda: app.extensions.__setitem__("portal_storage", good)
    # "stopped": a server of its own for this app, stopped before the upload.
    own = S3Server().start()
    request.addfinalizer(own.stop)
    good = app.extensions["portal_storage"]
    app.extensions["portal_storage"] = files.storage_from_config(
        {**app.config, **own.settings(own.new_bucket())})
    own.stop()
    return lambda: app.extensions.__setitem__("portal_storage", good)


@pytest.mark.parametrize("how", ["full-disk", "no-bucket", "stopped"])
def test_a_failing_storage_stores_nothing_and_says_so(app, backend, client, how, request):
    if (how == "full-disk") != (backend.name == "local"):
        pytest.skip("a full disk is local; a missing bucket or a stopped server is S3")
    login(client, PROVIDER)
    assert _library_upload(client, PDF_BYTES + b"% eerder", "eerder.pdf").status_code == 302
    earlier = _documents(app)[-1].id
    with app.app_context():
        documents_before = db.session.scalar(select(func.count(Document.id)))
        events_before = db.session.scalar(select(func.count(AuditEvent.id)))
    stored_before = backend.stored()
    repair = _break_storage(app, backend, how, request)

    response = _library_upload(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 422  # the form again, the message at the file field
    assert WRITE_FAILED in html and "Traceback" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == documents_before
        assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before
    assert backend.stored() == stored_before  # no file without its row (no half-written part)
    assert client.get("/organisatie/documenten").status_code == 200
    download = client.get(f"/documenten/{earlier}")
    if how == "full-disk":  # a full disk still reads
        assert download.status_code == 200 and download.data == PDF_BYTES + b"% eerder"
    else:  # S3 unreachable: a Dutch 503 page, not a traceback
        assert download.status_code == 503
        assert "kan door een storing nu niet worden opgehaald" in download.get_data(as_text=True)

    repair()  # the storage is back: the same upload now works
    assert _library_upload(client).status_code == 302
    document = _documents(app)[-1]
    assert backend.stored()[document.stored_name] == EVIDENCE


def test_a_rolled_back_upload_leaves_no_file_in_the_storage(app, backend):
    from tests.conftest import user

    with app.app_context():
        provider = user(PROVIDER)
        from werkzeug.datastructures import FileStorage

        upload = FileStorage(io.BytesIO(EVIDENCE + b"rollback"), filename="x.pdf")
        document = files.store_upload(upload, organisation=provider.organisation, by=provider)
        key = document.stored_name
        assert key in backend.stored()
        db.session.rollback()
        assert key not in backend.stored()
        letter = files.store_bytes(PDF_BYTES + b"brief", organisation=provider.organisation,
                                   by=provider, original_name="brief.pdf",
                                   content_type="application/pdf")
        key = letter.stored_name
        db.session.commit()
        assert backend.stored()[key] == PDF_BYTES + b"brief"


# --- broken request bodies --------------------------------------------------------------------

def _multipart(token: str, boundary: str = "grens123") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nOverig\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n",
    ]
    return "".join(parts).encode() + EVIDENCE + f"\r\n--{boundary}--\r\n".encode()


def _nothing_new(app, backend, documents_before, stored_before):
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == documents_before
    assert backend.stored() == stored_before


@pytest.mark.parametrize("broken", ["wrong-boundary", "no-boundary", "truncated", "garbage"])
def test_a_malformed_multipart_body_is_a_dutch_400_and_stores_nothing(app, backend, client, broken):
    login(client, PROVIDER)
    token = csrf_token(client, "/organisatie/documenten")
    with app.app_context():
        documents_before = db.session.scalar(select(func.count(Document.id)))
    stored_before = backend.stored()
    body = _multipart(token)
    content_type = "multipart/form-data; boundary=grens123"
    length = len(body)
    if broken == "wrong-boundary":
        content_type = "multipart/form-data; boundary=anders456"
    elif broken == "no-boundary":
        content_type = "multipart/form-data"
    elif broken == "truncated":  # the client promised more than it sent
        body = body[: len(body) // 2]
    else:
        body = b"--grens123\r\n\x00\x01 dit is geen formulier" * 50
        length = len(body)
    response = client.post("/organisatie/documenten", input_stream=io.BytesIO(body),
                           content_type=content_type, headers={"Content-Length": str(length)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:2000]
    assert "niet goed aangekomen" in html and "Traceback" not in html
    _nothing_new(app, backend, documents_before, stored_before)
    # The same form, whole, still works.
    whole = client.post("/organisatie/documenten", data=_multipart(token),
                        content_type="multipart/form-data; boundary=grens123")
    assert whole.status_code == 302


def test_an_upload_cut_off_halfway_on_a_real_server_stores_nothing(app, backend, client):
    """A real HTTP server (werkzeug, one request at a time) and a raw socket that sends
    the headers and half the body, then hangs up."""
    from werkzeug.serving import make_server

    login(client, PROVIDER)
    token = csrf_token(client, "/organisatie/documenten")
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    # The session is bound to the browser (session_protection "strong"): look like the test client.
    agent = f"Werkzeug/{version('werkzeug')}"
    with app.app_context():
        documents_before = db.session.scalar(select(func.count(Document.id)))
    stored_before = backend.stored()

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_port
        body = _multipart(token)
        head = (f"POST /organisatie/documenten HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
                f"User-Agent: {agent}\r\n"
                f"Content-Type: multipart/form-data; boundary=grens123\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head + body[: len(body) // 2])
            sock.shutdown(socket.SHUT_WR)  # the client goes away mid-upload
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes the connection
                answer += chunk
        # Only the sending half was closed, so the server's answer still arrives: a Dutch 400.
        assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", answer[:200]
        assert b"niet goed aangekomen" in answer

        # The server handles one request at a time: this one is served after the broken one.
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/organisatie/documenten", headers={"Cookie": cookie, "User-Agent": agent})
        response = connection.getresponse()
        assert response.status == 200 and b"documentenbibliotheek" in response.read().lower()
        connection.close()
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()
    _nothing_new(app, backend, documents_before, stored_before)


@pytest.mark.parametrize("how", ["full-disk", "stopped"])
def test_a_decision_whose_letter_cannot_be_stored_is_not_taken(app, backend, how, request):
    """The decision, its letter and its mail are one: when the letter cannot be stored, the
    approval is refused with the message and nothing of it is saved or queued."""
    from portal.assessment import workflow as assessment
    from portal.models import Application, CategoryDecision, DecisionLetter, OutboxMail, Outcome, Status
    from tests.conftest import ASSESSOR_1, ASSESSOR_2, user
    from tests.helpers import submitted_application

    if (how == "full-disk") != (backend.name == "local"):
        pytest.skip("a full disk is local; a stopped server is S3")
    with app.app_context():
        first = user(ASSESSOR_1)
        application = submitted_application(user(PROVIDER), "pleegzorg")
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        from portal.models import VerdictOutcome

        assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                                 for r in application.applicable_requirements()}, by=first)
        [category] = application.categories
        assessment.propose_decision(application, {category.id: (Outcome.TOEGELATEN, "Voldoet.", [])},
                                    by=first)
        db.session.commit()
        app_id = application.id
        mails_before = db.session.scalar(select(func.count(OutboxMail.id)))
        documents_before = db.session.scalar(select(func.count(Document.id)))
    stored_before = backend.stored()
    repair = _break_storage(app, backend, how, request)

    second = app.test_client()
    login(second, ASSESSOR_2)
    url = f"/beoordeling/{app_id}"
    response = post(second, url + "/goedkeuren", {"no_conflict": "y"}, token_from=url, follow_redirects=True)
    assert response.status_code == 200 and WRITE_FAILED in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.BESLUIT_VOORGESTELD
        assert db.session.scalar(select(CategoryDecision.approved_by_id)) is None
        assert db.session.scalar(select(func.count(DecisionLetter.id))) == 0
        assert db.session.scalar(select(func.count(Document.id))) == documents_before
        assert db.session.scalar(select(func.count(OutboxMail.id))) == mails_before
    assert backend.stored() == stored_before

    repair()
    response = post(second, url + "/goedkeuren", {"no_conflict": "y"}, token_from=url, follow_redirects=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == Status.BESLOTEN
        letter = db.session.scalar(select(DecisionLetter))
        assert files.read_bytes(letter.document).startswith(b"%PDF-")
