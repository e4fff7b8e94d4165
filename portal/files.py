"""Stored files: uploads checked by content and size, kept outside static folders.

Infrastructure below every part: it knows no domain. A ``Document`` is a file in an
organisation's library (or the region's, without an organisation), with its metadata;
the parts refer to it (answers, decision letters, agreements, procedure documents) and
refresh what depends on a file themselves.

The bytes live in a ``Storage`` chosen by ``STORAGE_BACKEND`` (``LocalStorage`` under
``UPLOAD_DIR``, or ``S3Storage``), by key (``Document.stored_name``). Files are written
once, never changed; ``read_bytes`` checks the sha256 in the row on every read. A file
written in a transaction that rolls back is removed again.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from flask import Request, current_app, render_template
from sqlalchemy import BigInteger, ForeignKey, Index, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.exceptions import BadRequest, ClientDisconnected

from . import audit
from .errors import DomainError
from .extensions import db
from .i18n import gettext as _
from .timeutil import utcnow

PDF = ("application/pdf", ".pdf")
SIGNATURES = {
    b"%PDF-": PDF,
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
CHUNK = 64 * 1024
# An upload is collected in memory up to this size, beyond it in a temporary file.
SPOOL_BYTES = 1024 * 1024

logger = logging.getLogger(__name__)


class Document(db.Model):
    """An uploaded file in an organisation's document library."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_org_uploaded", "organisation_id", "uploaded_at"),
        Index("ix_documents_org_sha256", "organisation_id", "sha256"),
        Index("ix_documents_org_valid_until", "organisation_id", "valid_until"),
        # A person's own data (Mijn gegevens downloaden): the files they uploaded.
        Index("ix_documents_uploaded_by", "uploaded_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for the region's own documents (procedure documents).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    doc_type: Mapped[str | None] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    valid_until: Mapped[date | None]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped["User"] = relationship("User")  # noqa: F821, UP037 - accounts.models


class UploadError(DomainError):
    pass


class StorageUnavailable(UploadError):
    """The storage failed (full disk, S3 down): nothing was stored; try again later."""

    WRITE = ("Het bestand kon door een storing niet worden opgeslagen; er is niets bewaard. "
             "Probeer het later opnieuw.")
    READ = "Het bestand kan door een storing nu niet worden opgehaald. Probeer het later opnieuw."

    def __init__(self, message: str = WRITE):
        super().__init__(message)


class FileCorrupt(DomainError):
    """A stored file is missing or its content no longer matches its checksum."""

    MESSAGE = "Het bestand is beschadigd of ontbreekt; neem contact op met de regio."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{max(1, n // 1024)} kB"


def safe_filename(name: str | None) -> str:
    """The name to show and offer on download: no path, no control characters."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "bestand"


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, kind in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    return None


# --- storage backends ---------------------------------------------------------------------------

class StorageFailure(Exception):
    """The storage could not do what was asked (full disk, S3 error, unreachable)."""


class MissingFile(StorageFailure):
    """No file under this key."""


Content = bytes | BinaryIO


class Storage:
    """Where the files' bytes live, by key (the Document's ``stored_name``).

    Files are written once and never changed; the Document row holds their sha256, which
    ``read_bytes`` checks on every read. Backends raise ``StorageFailure`` (``MissingFile``
    for an unknown key); the functions below turn that into Dutch messages."""

    name = "?"

    def put(self, key: str, content: Content) -> None:
        raise NotImplementedError

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the file; the caller closes it."""
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def keys(self) -> Iterator[str]:
        """Every stored key (backup, and the check that a storage is empty)."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise ``StorageFailure`` when the storage cannot be reached (readiness checks)."""
        raise NotImplementedError

    @staticmethod
    def _checked_key(key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
            raise StorageFailure(f"invalid storage key {key!r}")
        return key


class LocalStorage(Storage):
    """Files on a local (or shared network) disk under ``root``: the ``UPLOAD_DIR`` layout,
    ``ab/abcdef…``, that the portal has always used."""

    name = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / self._checked_key(key)

    def put(self, key: str, content: Content) -> None:
        target = self.path(key)
        tmp = target.with_name(target.name + ".part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as out:
                if isinstance(content, bytes | bytearray):
                    out.write(content)
                else:
                    shutil.copyfileobj(content, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise StorageFailure(f"cannot write {key}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise MissingFile(key) from exc
        except OSError as exc:
            raise StorageFailure(f"cannot read {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageFailure(f"cannot delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".part"):
                yield path.relative_to(self.root).as_posix()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise StorageFailure(f"{self.root} is not writable")
        except OSError as exc:
            raise StorageFailure(f"{self.root}: {exc}") from exc


class S3Storage(Storage):
    """Files as objects in an S3-compatible bucket (AWS, MinIO, Ceph, …), under ``prefix``,
    so that several machines share them."""

    name = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, client=None):
        import boto3
        from botocore.config import Config as BotoConfig

        if not bucket:
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(connect_timeout=5, read_timeout=30,
                              retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + self._checked_key(key)

    def _failure(self, what: str, key: str, exc: Exception) -> StorageFailure:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in (
                "NoSuchKey", "404", "NotFound"):
            return MissingFile(key)
        return StorageFailure(f"S3 {what} {self.bucket}/{self._key(key)}: {exc}")

    def put(self, key: str, content: Content) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # A stream (an upload's spool file) is sent as it is read, never held whole.
        body = bytes(content) if isinstance(content, bytes | bytearray) else content
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)
        except (BotoCoreError, ClientError) as exc:
            raise self._failure("put", key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._failure("get", key, exc) from exc

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._failure("delete", key, exc) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except (BotoCoreError, ClientError) as exc:
            failure = self._failure("head", key, exc)
            if isinstance(failure, MissingFile):
                return False
            raise failure from exc

    def keys(self) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix):]
        except (BotoCoreError, ClientError) as exc:
            raise StorageFailure(f"S3 list {self.bucket}/{self.prefix}: {exc}") from exc

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageFailure(f"S3 bucket {self.bucket}: {exc}") from exc


def storage_from_config(config) -> Storage:
    """The backend that ``STORAGE_BACKEND`` names ("local", the default, or "s3")."""
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(config["UPLOAD_DIR"])
    if backend == "s3":
        return S3Storage(
            config.get("S3_BUCKET") or "", prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"))
    raise RuntimeError(f"STORAGE_BACKEND={backend!r} is unknown; use local or s3")


_EXTENSION = "portal_storage"


def storage() -> Storage:
    """The storage of the current app (made in ``init_app`` from its configuration)."""
    app = current_app._get_current_object()
    if _EXTENSION not in app.extensions:
        app.extensions[_EXTENSION] = storage_from_config(app.config)
    return app.extensions[_EXTENSION]


# Files written in a transaction that is rolled back (a form refused after its upload was
# stored, a stale form, an error) are removed again, so no file without a Document stays.
_NEW_FILES = "portal_new_files"


def _written(store: Storage, key: str) -> None:
    db.session.info.setdefault(_NEW_FILES, []).append((store, key))


@event.listens_for(Session, "after_commit")
def _keep_new_files(session) -> None:
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session) -> None:
    for store, key in session.info.pop(_NEW_FILES, []):
        try:
            store.delete(key)
        except StorageFailure:  # the storage is down: an orphan file, never a wrong row
            logger.exception("could not remove %s after a rollback", key)


def path_for(document: Document) -> Path:
    """The file on disk (LocalStorage only; everything else uses ``read_bytes``)."""
    store = storage()
    if not isinstance(store, LocalStorage):
        raise RuntimeError("path_for needs STORAGE_BACKEND=local; use files.read_bytes")
    return store.path(document.stored_name)


def read_bytes(document: Document) -> bytes:
    """The document's content from the storage, checked against its sha256.

    Raises ``FileCorrupt`` (a DomainError with a Dutch message) when the file is missing
    or changed behind the portal's back: such a file is never served. Raises
    ``StorageUnavailable`` when the storage cannot be reached."""
    try:
        data = storage().get(document.stored_name)
    except MissingFile as exc:
        logger.error("document %s: file %s is missing", document.id, document.stored_name)
        raise FileCorrupt() from exc
    except StorageFailure as exc:
        logger.error("document %s: %s", document.id, exc)
        raise StorageUnavailable(StorageUnavailable.READ) from exc
    if len(data) != document.size_bytes or hashlib.sha256(data).hexdigest() != document.sha256:
        logger.error("document %s: checksum mismatch for %s", document.id, document.stored_name)
        raise FileCorrupt()
    return data


def new_key(extension: str = "") -> str:
    """A random name, two-level fanned out, with the extension of the detected type."""
    name = secrets.token_hex(16)
    return f"{name[:2]}/{name}{extension}"


EXTENSIONS = {content_type: extension for content_type, extension in SIGNATURES.values()}


def download_name(document: Document) -> str:
    """The name a download gets: the original name's stem (made safe) with the extension of
    the type the content was detected as, whatever the upload was called ("besluit.html"
    with PDF content is offered as "besluit.pdf"). The original name stays as text only."""
    name = safe_filename(document.original_name)
    extension = EXTENSIONS.get(document.content_type, "")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if extension and stem.lower().endswith(extension):  # "a.pdf.exe": "a.pdf", not "a.pdf.pdf"
        stem = stem[: -len(extension)]
    return f"{(stem.strip(' .') or 'bestand')[:200]}{extension}"


def _put(key: str, content: Content) -> None:
    store = storage()
    try:
        store.put(key, content)
    except StorageFailure as exc:
        logger.error("storing %s failed: %s", key, exc)
        raise StorageUnavailable(StorageUnavailable.WRITE) from exc
    _written(store, key)


def store_bytes(data: bytes, *, organisation, by, original_name: str, content_type: str,
                doc_type: str | None = None) -> Document:
    """Store a file the portal made itself (a decision letter, say)."""
    key = new_key(EXTENSIONS.get(content_type, ""))
    _put(key, data)
    document = Document(
        organisation_id=organisation.id, doc_type=doc_type, original_name=original_name,
        stored_name=key, content_type=content_type, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=by.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def store_upload(file_storage, *, organisation, by, allow_images: bool = False,
                 valid_until: date | None = None, doc_type: str | None = None,
                 max_bytes: int | None = None) -> Document:
    """Check and store one uploaded file; returns the new Document (flushed, not committed).

    ``organisation`` None: a document of the region itself (never shared with another
    upload of the same content). The same file uploaded again by an organisation is
    stored once and returned again."""
    max_bytes = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    original = safe_filename(file_storage.filename)
    stream = file_storage.stream
    head = stream.read(16)
    if not head:
        raise UploadError(_("Het bestand '%(name)s' is leeg. Kies het juiste bestand.",
                            name=original))
    kind = sniff(head)
    if kind is None or (kind != PDF and not allow_images):
        if allow_images:
            raise UploadError(_("Het bestand '%(name)s' is geen PDF, JPEG of PNG-bestand. "
                                "Upload een PDF, JPEG of PNG-bestand.", name=original))
        raise UploadError(_("Het bestand '%(name)s' is geen PDF-bestand. "
                            "Upload een PDF-bestand.", name=original))
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        digest, size = hashlib.sha256(head), len(head)
        spool.write(head)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise UploadError(_(
                    "Het bestand '%(name)s' is groter dan %(size)s. Verklein het bestand en "
                    "upload het opnieuw.", name=original, size=human_size(max_bytes)))
            digest.update(chunk)
            spool.write(chunk)
        sha256 = digest.hexdigest()
        if organisation is not None:
            existing = db.session.scalar(select(Document).where(
                Document.organisation_id == organisation.id, Document.sha256 == sha256,
                Document.content_type == kind[0]).limit(1))
            if existing is not None:  # the same file again: stored once, used twice
                if valid_until and (existing.valid_until is None or existing.valid_until < valid_until):
                    existing.valid_until = valid_until  # partners.compliance follows this change
                return existing
        key = new_key(kind[1])
        spool.seek(0)
        _put(key, spool)
    document = Document(
        organisation_id=organisation.id if organisation is not None else None,
        doc_type=doc_type,
        original_name=original,
        stored_name=key,
        content_type=kind[0],
        size_bytes=size,
        sha256=sha256,
        valid_until=valid_until,
        uploaded_by_id=by.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("uploaded", document, actor=by, detail=f"sha256={document.sha256}")
    return document


def send_document(document: Document, *, as_attachment: bool = True, mimetype: str | None = None):
    """A response with the document's checked content (``read_bytes``), never a path."""
    from flask import send_file

    return send_file(io.BytesIO(read_bytes(document)), mimetype=mimetype or document.content_type,
                     as_attachment=as_attachment, download_name=download_name(document),
                     max_age=0, etag=document.sha256, last_modified=document.uploaded_at)


# --- requests with uploads ----------------------------------------------------------------------

class MalformedBody(BadRequest):
    """A multipart body that cannot be parsed (wrong boundary, cut off)."""

    description = ("Het formulier is niet goed aangekomen, bijvoorbeeld doordat de verbinding "
                   "werd verbroken tijdens het uploaden. Er is niets opgeslagen. Ga terug en "
                   "probeer het opnieuw.")


class PortalRequest(Request):
    """Flask's request, but a form body that cannot be parsed is refused (400) instead of
    silently read as an empty form."""

    def make_form_data_parser(self):
        parser = super().make_form_data_parser()
        parser.silent = False
        return parser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except (ValueError, ClientDisconnected) as exc:
            raise MalformedBody() from exc


def init_app(app) -> None:
    """Choose the storage from the configuration and answer storage failures with Dutch pages."""
    app.extensions[_EXTENSION] = storage_from_config(app.config)
    app.request_class = PortalRequest

    def page(code, title, message):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(StorageUnavailable)
    def unavailable(exc):
        db.session.rollback()
        return page(503, _("Storing bij de bestandsopslag"), exc.message)

    @app.errorhandler(FileCorrupt)
    def corrupt(exc):
        return page(500, _("Bestand niet beschikbaar"), exc.message)

    @app.errorhandler(MalformedBody)
    def malformed(exc):
        db.session.rollback()
        return page(400, _("Formulier niet goed ontvangen"), exc.description)
