"""The public register's open-data exports, built once per version of the register.

Every change of what the register shows (an admission made, activated, suspended or
ended; the public data of an organisation; a category; the procedure) raises the one row of
``register_versions`` in the same transaction: the ORM's flushes and its bulk statements
are watched here, whatever part makes the change, and the version is raised just before
the commit. An export is then

- answered ``304 Not Modified`` when the client already holds it (its ETag names the
  version, the day and the filters), without reading the register;
- else served from a file built once for that version (and those filters) under the
  instance's snapshot folder, so that a request costs the same whatever the register's size.

A new version starts a new folder; older folders are removed when it is made.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from flask import current_app, request, send_file
from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..extensions import db
from ..procedure.models import Category, Procedure, Region
from ..timeutil import utcnow
from .models import Admission, RegisterVersion

# What the register and its exports show: any change of these raises the version.
WATCHED = (Admission, Category, Procedure, Region)
ORGANISATION_PUBLIC = ("name", "kvk_number", "agb_code", "street", "postal_code", "city", "contact_email",
                       "website")
WATCHED_TABLES = frozenset(m.__tablename__ for m in (*WATCHED, Organisation))
MAX_AGE = 60  # seconds a client or proxy may keep an export without asking again
MAX_FILES_PER_VERSION = 200  # filtered variants kept per version; beyond, built per request


# --- the version -----------------------------------------------------------------------------

def _changes_register(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, (*WATCHED, Organisation)):
            return True
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            return True
        if isinstance(obj, Organisation):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in ORGANISATION_PUBLIC):
                return True
    return False


def bump(connection) -> None:
    """Raise the register's version (in the caller's transaction)."""
    table = RegisterVersion.__table__
    result = connection.execute(update(table).where(table.c.id == 1).values(
        version=table.c.version + 1, changed_at=utcnow()))
    if result.rowcount == 0:
        connection.execute(insert(table).values(id=1, version=1, changed_at=utcnow()))


@event.listens_for(Session, "before_flush")
def _note_changes(session, flush_context, instances):
    if _changes_register(session):
        session.info["register_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    """Bulk INSERT/UPDATE/DELETE through the session (e.g. the benchmark's data)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info["register_changed"] = True


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session):
    """The version is raised last, just before the commit: the lock on its row is the last
    one a transaction takes and is held for the commit only (no deadlock, little waiting)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.pop("register_changed", False):
        bump(session.connection())


def current_version() -> str:
    """The register's version as a short string (one indexed read)."""
    row = db.session.execute(select(RegisterVersion.version, RegisterVersion.changed_at)
                             .where(RegisterVersion.id == 1)).first()
    if row is None:
        return "0"
    return f"{row.version}-{row.changed_at:%Y%m%d%H%M%S%f}"


# --- the snapshots ---------------------------------------------------------------------------

def _root() -> Path:
    """Next to the uploads folder (the instance folder by default), never inside it: the
    snapshots are no uploads and no backup needs them."""
    return Path(current_app.config["UPLOAD_DIR"]).resolve().parent / "register-snapshots"


def etag_for(kind: str, version: str, today: date, filters: dict) -> str:
    """The validator of one export: the register's version, the day (the export says
    whether the procedure is open) and the filters."""
    key = "|".join([kind, version, today.isoformat(),
                    *(f"{k}={v}" for k, v in sorted(filters.items()) if v)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _gzipped(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def _build(path: Path, body: Iterable[str]) -> None:
    """Write the export to ``path`` and, gzip-compressed, next to it (a client that accepts
    gzip gets that one: a tenth of the bytes). Both appear at once or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-")
    gz_fd, gz_tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-")
    try:
        with os.fdopen(fd, "wb") as out, os.fdopen(gz_fd, "wb") as gz_file, \
                gzip.GzipFile(fileobj=gz_file, mode="wb", compresslevel=6, mtime=0) as packed:
            for chunk in body:
                data = chunk.encode("utf-8")
                out.write(data)
                packed.write(data)
        os.replace(gz_tmp, _gzipped(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        Path(gz_tmp).unlink(missing_ok=True)
        raise


def _prune(root: Path, keep: str) -> None:
    for entry in root.iterdir():
        if entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)


def serve(*, kind: str, filters: dict, today: date, body: Callable[[], Iterable[str]],
          stream: Callable[[Iterable[str]], object], mimetype: str, filename: str):
    """The export ``kind`` with ``filters``: 304 when the client holds this version, else
    the snapshot file (built now when missing). ``body()`` yields the export's text;
    ``stream(chunks)`` makes a streamed response of it, used when no file can be kept."""
    version = current_version()
    etag = etag_for(kind, version, today, filters)
    gzip_ok = request.accept_encodings["gzip"] > 0
    # Each representation its own validator (RFC 9110 8.8.3): the gzipped one ends in -gz.
    own_etag = f"{etag}-gz" if gzip_ok else etag
    if own_etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        root = _root()
        folder = root / f"v{version}-{today.isoformat()}"
        path = folder / f"{etag}.{kind}"
        response = None
        try:
            if not path.exists():
                if not folder.exists():
                    folder.mkdir(parents=True, exist_ok=True)
                    _prune(root, folder.name)
                if sum(1 for _ in folder.glob(f"*.{kind}")) < MAX_FILES_PER_VERSION:
                    _build(path, body())
            if gzip_ok and path.exists() and _gzipped(path).exists():
                response = send_file(_gzipped(path), mimetype=mimetype, conditional=False,
                                     etag=False, max_age=MAX_AGE)
                response.headers["Content-Encoding"] = "gzip"
            elif path.exists():
                own_etag = etag
                response = send_file(path, mimetype=mimetype, as_attachment=True,
                                     download_name=filename, conditional=False, etag=False,
                                     max_age=MAX_AGE)
        except OSError:
            current_app.logger.exception("register snapshot %s not written", path)
            response = None
        if response is None:
            own_etag = etag
            response = stream(body())
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(own_etag)
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
