"""`flask backup` and `flask restore`: a whole instance (database and files, local or S3)
written out with a manifest of checksums and brought back into an empty instance."""
from __future__ import annotations

import hashlib
import io
import itertools
import json

import pytest
from sqlalchemy import func, select

from portal import files
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import (
    Application,
    AuditEvent,
    CategoryDecision,
    DecisionLetter,
    Document,
    MailStatus,
    OutboxMail,
    Outcome,
    Status,
    VerdictOutcome,
)
from portal.notifications.delivery import send_queued
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER, make_app, user
from tests.helpers import PDF_BYTES, categories, submitted_application
from tests.infra.s3 import s3_server  # noqa: F401 - the fixture

_names = itertools.count(1)


@pytest.fixture(params=["local", "s3"])
def backend(request):
    """Settings for a new, empty storage of the chosen kind (a function: one per instance)."""
    if request.param == "local":
        return lambda directory: {"UPLOAD_DIR": str(directory)}
    server = request.getfixturevalue("s3_server")
    return lambda directory: {"UPLOAD_DIR": str(directory), **server.settings(server.new_bucket())}


@pytest.fixture
def source(database_url, tmp_path, smtp, backend):
    application = make_app(database_url, tmp_path / "uploads", smtp, **backend(tmp_path / "uploads"))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def empty_database(request, tmp_path):
    """A new, empty database of the same kind as the test's (no tables at all)."""
    server = request.getfixturevalue("postgres")
    if server is None:
        return lambda: f"sqlite:///{tmp_path / f'leeg-{next(_names)}.sqlite'}"

    def make():
        name = f"restore_{next(_names)}_{id(request) % 100000}"
        request.addfinalizer(lambda: server.drop_database(name))
        return server.create_database(name)

    return make


def _decided(provider):
    """An application through the workflow to a final decision with its letter."""
    application = submitted_application(provider, "pleegzorg")
    first, second = user(ASSESSOR_1), user(ASSESSOR_2)
    assessment.start_review(application, by=first)
    assessment.declare_no_conflict(application, by=first)
    assessment.record_verdicts(application, {r.id: (VerdictOutcome.VOLDOET, "")
                                             for r in application.applicable_requirements()}, by=first)
    [pleeg] = categories("pleegzorg")
    assessment.propose_decision(application, {pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alles.", [])},
                                by=first)
    db.session.commit()
    assessment.approve_decision(application, no_conflict=True, by=second)
    db.session.commit()
    return application


def _fill(app) -> None:
    """Applications (one decided, with its letter), documents, mails (sent and queued) and
    audit events."""
    from werkzeug.datastructures import FileStorage

    with app.app_context():
        provider = user(PROVIDER)
        _decided(provider)
        for n in range(3):
            upload = FileStorage(io.BytesIO(PDF_BYTES + bytes([n]) * 5000), filename=f"bewijs-{n}.pdf")
            files.store_upload(upload, organisation=provider.organisation, by=provider)
        db.session.commit()
        send_queued()  # some mail sent, ...
        provider = user(PROVIDER)
        submitted_application(provider, "gezinshuiszorg")  # ... and a receipt still queued
        files.store_bytes(PDF_BYTES + b"laatste", organisation=provider.organisation, by=provider,
                          original_name="laatste.pdf", content_type="application/pdf")
        db.session.commit()
        db.session.remove()


def _everything(app) -> dict[str, list[tuple]]:
    """Every row of every table of the schema, in primary-key order."""
    rows = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
        db.session.remove()
    return rows


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[*args], catch_exceptions=False)


def test_backup_and_restore_bring_back_every_row_and_file(source, smtp, tmp_path, backend, empty_database):
    _fill(source)
    before = _everything(source)
    with source.app_context():
        assert db.session.scalar(select(func.count(Application.id))) >= 2
        assert db.session.scalar(select(func.count(DecisionLetter.id))) == 1
        assert db.session.scalar(select(func.count(CategoryDecision.id))) >= 1
        assert db.session.scalar(select(func.count(Document.id))) >= 5
        statuses = set(db.session.scalars(select(OutboxMail.status)))
        assert {MailStatus.SENT, MailStatus.QUEUED} <= statuses, statuses
        assert db.session.scalar(select(func.count(AuditEvent.id))) > 10
        assert db.session.scalar(select(Application.status).join(DecisionLetter)) == Status.BESLOTEN
        originals = {d.id: files.read_bytes(d) for d in db.session.scalars(select(Document))}
        db.session.remove()

    result = _run(source, "backup", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    with source.app_context():  # SQLite: the online backup API; PostgreSQL: pg_dump
        assert manifest["database"]["dialect"] == db.engine.dialect.name
        assert manifest["database"]["file"] == {"sqlite": "database.sqlite",
                                                "postgresql": "database.pgdump"}[db.engine.dialect.name]
    dump = tmp_path / "backup" / manifest["database"]["file"]
    assert manifest["database"]["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert sorted(e["sha256"] for e in manifest["files"]) == sorted(
        hashlib.sha256(b).hexdigest() for b in originals.values())
    assert all(e["status"] == "ok" for e in manifest["files"]) and not manifest["problems"]
    for entry in manifest["files"]:
        stored = (tmp_path / "backup" / "files" / entry["key"]).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == entry["sha256"]

    # A new instance: an empty database and an empty storage.
    target = make_app(empty_database(), tmp_path / "restored", smtp, **backend(tmp_path / "restored"))
    result = _run(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert _everything(target) == before  # every application, decision, document, mail, audit event
    with target.app_context():
        for document in db.session.scalars(select(Document)):
            assert files.read_bytes(document) == originals[document.id]  # checksum verified on read
        # The report's kept counts came back as they were, not counted twice by the triggers.
        from portal.reports import counts

        assert counts.kept() == counts.computed() and counts.kept()
        db.session.remove()
        db.engine.dispose()

    # And it is a working instance again: a provider logs in and downloads a file.
    from tests.conftest import login

    client = target.test_client()
    login(client, PROVIDER)
    document_id = max(originals)
    assert client.get(f"/documenten/{document_id}").data == originals[document_id]
    with target.app_context():
        db.engine.dispose()


def test_restore_refuses_a_non_empty_instance_and_a_damaged_backup(source, smtp, tmp_path, backend,
                                                                    empty_database):
    _fill(source)
    assert _run(source, "backup", str(tmp_path / "backup")).exit_code == 0
    # Not over a non-empty directory.
    again = _run(source, "backup", str(tmp_path / "backup"))
    assert again.exit_code != 0 and "not an empty directory" in again.output

    # Not into the instance itself (a database with tables).
    refused = _run(source, "restore", str(tmp_path / "backup"))
    assert refused.exit_code != 0 and "database is not empty" in refused.output

    # Not into an empty database with files in its storage.
    with_files = backend(tmp_path / "other")
    target = make_app(empty_database(), tmp_path / "other", smtp, **with_files)
    with target.app_context():
        files.storage().put("aa/al-iets", b"een bestand")
    refused = _run(target, "restore", str(tmp_path / "backup"))
    assert refused.exit_code != 0 and "file storage is not empty" in refused.output
    with target.app_context():
        db.engine.dispose()

    # Not from a backup whose file changed after it was written; nothing is restored.
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    damaged = tmp_path / "backup" / "files" / manifest["files"][0]["key"]
    damaged.write_bytes(damaged.read_bytes() + b"x")
    empty = make_app(empty_database(), tmp_path / "empty", smtp, **backend(tmp_path / "empty"))
    refused = _run(empty, "restore", str(tmp_path / "backup"))
    assert refused.exit_code != 0 and "damaged" in refused.output
    assert manifest["files"][0]["key"] in refused.output
    with empty.app_context():
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []
        assert list(files.storage().keys()) == []
        db.engine.dispose()

    # Not from a directory without a manifest (an unfinished backup).
    (tmp_path / "half").mkdir()
    refused = _run(empty, "restore", str(tmp_path / "half"))
    assert refused.exit_code != 0 and "manifest.json is missing" in refused.output


def test_a_backup_names_the_files_missing_from_the_storage(source, tmp_path):
    _fill(source)
    with source.app_context():
        lost = db.session.scalar(select(Document).order_by(Document.id.desc()))
        files.storage().delete(lost.stored_name)
        key = lost.stored_name
        db.session.remove()
    result = _run(source, "backup", str(tmp_path / "backup"))
    assert result.exit_code != 0 and f"{key}: missing" in result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert [e["key"] for e in manifest["files"] if e["status"] == "missing"] == [key]


def test_a_backup_of_local_files_restores_into_s3(database_url, tmp_path, smtp, s3_server, empty_database):  # noqa: F811
    source = make_app(database_url, tmp_path / "uploads", smtp)
    _fill(source)
    before = _everything(source)
    assert _run(source, "backup", str(tmp_path / "backup")).exit_code == 0
    bucket = s3_server.new_bucket()
    target = make_app(empty_database(), tmp_path / "restored", smtp, **s3_server.settings(bucket))
    result = _run(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert _everything(target) == before
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {k.removeprefix("bestanden/") for k in s3_server.objects(bucket)} == {
        e["key"] for e in manifest["files"]}
    with target.app_context():
        for document in db.session.scalars(select(Document)):
            files.read_bytes(document)
        db.session.remove()
        db.engine.dispose()
    with source.app_context():
        db.engine.dispose()
