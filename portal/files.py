"""Stored files: uploads checked by content and size, kept outside static folders.

Infrastructure below every part: it knows no domain. A ``Document`` is a file in an
organisation's library (or the region's, without an organisation), with its metadata;
the parts refer to it (answers, decision letters, agreements, procedure documents) and
refresh what depends on a file themselves.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import BigInteger, ForeignKey, Index, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from . import audit
from .errors import DomainError
from .extensions import db
from .timeutil import utcnow

PDF = ("application/pdf", ".pdf")
SIGNATURES = {
    b"%PDF-": PDF,
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
CHUNK = 64 * 1024


class Document(db.Model):
    """An uploaded file in an organisation's document library."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_org_uploaded", "organisation_id", "uploaded_at"),
        Index("ix_documents_org_sha256", "organisation_id", "sha256"),
        Index("ix_documents_org_valid_until", "organisation_id", "valid_until"),
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


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


# Files written in a transaction that is rolled back (a form refused after its upload was
# stored, a stale form, an error) are removed again, so no file without a Document stays.
_NEW_FILES = "portal_new_files"


def _written(target: Path) -> None:
    db.session.info.setdefault(_NEW_FILES, []).append(target)


@event.listens_for(Session, "after_commit")
def _keep_new_files(session) -> None:
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session) -> None:
    for target in session.info.pop(_NEW_FILES, []):
        target.unlink(missing_ok=True)


def path_for(document: Document) -> Path:
    return upload_root() / document.stored_name


def new_location() -> tuple[str, Path]:
    """A random name, two-level fanned out, under the upload root."""
    name = secrets.token_hex(16)
    relative = f"{name[:2]}/{name}"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    return relative, target


def store_bytes(data: bytes, *, organisation, by, original_name: str, content_type: str,
                doc_type: str | None = None) -> Document:
    """Store a file the portal made itself (a decision letter, say)."""
    relative, target = new_location()
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    _written(target)
    document = Document(
        organisation_id=organisation.id, doc_type=doc_type, original_name=original_name,
        stored_name=relative, content_type=content_type, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=by.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def store_upload(file_storage, *, organisation, by, allow_images: bool = False,
                 valid_until: date | None = None, doc_type: str | None = None) -> Document:
    """Check and store one uploaded file; returns the new Document (flushed, not committed)."""
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    original = safe_filename(file_storage.filename)
    stream = file_storage.stream
    head = stream.read(16)
    if not head:
        raise UploadError(f"Het bestand '{original}' is leeg. Kies het juiste bestand.")
    kind = sniff(head)
    allowed = "PDF, JPEG of PNG" if allow_images else "PDF"
    if kind is None or (kind != PDF and not allow_images):
        raise UploadError(
            f"Het bestand '{original}' is geen {allowed}-bestand. "
            f"Upload een {allowed}-bestand."
        )
    relative, target = new_location()
    digest = hashlib.sha256(head)
    size = len(head)
    tmp = target.with_suffix(".part")
    try:
        with open(tmp, "wb") as out:
            out.write(head)
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(
                        f"Het bestand '{original}' is groter dan "
                        f"{human_size(max_bytes)}. Verklein het bestand en upload het opnieuw."
                    )
                digest.update(chunk)
                out.write(chunk)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    existing = db.session.scalar(select(Document).where(
        Document.organisation_id == organisation.id, Document.sha256 == digest.hexdigest(),
        Document.content_type == kind[0]).limit(1))
    if existing is not None:  # the same file again: stored once, used twice
        target.unlink()
        if valid_until and (existing.valid_until is None or existing.valid_until < valid_until):
            existing.valid_until = valid_until  # partners.compliance follows this change
        return existing
    _written(target)
    document = Document(
        organisation_id=organisation.id,
        doc_type=doc_type,
        original_name=original,
        stored_name=relative,
        content_type=kind[0],
        size_bytes=size,
        sha256=digest.hexdigest(),
        valid_until=valid_until,
        uploaded_by_id=by.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("uploaded", document, actor=by, detail=f"sha256={document.sha256}")
    return document
