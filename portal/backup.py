"""Backup and restore of a whole instance: the database and every stored file.

``flask backup PATH`` writes into a new (or empty) directory::

    database.sqlite | database.pgdump    the database, at one moment
    files/<key>                          every document's file, as stored
    manifest.json                        what is there, with the sha256 of each part

The snapshot is consistent: the database is copied first at one moment (SQLite: the
online backup API; PostgreSQL: ``pg_dump`` in the custom format, run on a snapshot that
this module's own transaction exported), and then exactly the files that *that*
database's documents name are copied from the storage (local disk or S3) and checked
against their sha256. Files are written once and never changed, so a file of a document
in the snapshot is always there; files added later are not in the snapshot and not copied.
The manifest is written last: a directory without it is not a backup.

``flask restore PATH`` checks every checksum of the manifest first, refuses a database
with tables or a storage with files in it, puts the files back, then the database, and
counts the rows of every table against the manifest.

Infrastructure: it knows no domain part (the tables are counted by name).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text

from . import files
from .extensions import db
from .timeutil import utcnow

MANIFEST = "manifest.json"
FORMAT = "wmb-portal-backup"
VERSION = 1
SQLITE_DUMP = "database.sqlite"
PG_DUMP = "database.pgdump"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL tools ---------------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    configured = current_app.config.get("PG_BIN_DIR")
    if configured:
        candidate = Path(configured) / name
        if candidate.is_file():
            return str(candidate)
        raise BackupError(f"{name} not found in PG_BIN_DIR={configured}")
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in path.split("/") if p.isdigit())

    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if Path(directory, name).is_file():
            return str(Path(directory, name))
    raise BackupError(f"{name} not found: install the PostgreSQL client tools or set PG_BIN_DIR")


def _pg_args(url) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore; the password goes by environment."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(cmd: list[str], env: dict, what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


# --- snapshot of the database -------------------------------------------------------------------

def _snapshot_sqlite(target: Path) -> tuple[list[tuple], dict[str, int]]:
    """Copy the live SQLite database with the online backup API (one step: consistent)."""
    with db.engine.connect() as conn:
        source = conn.connection.driver_connection
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            documents = copy.execute(
                "SELECT stored_name, sha256, size_bytes FROM documents ORDER BY id").fetchall()
            tables = [r[0] for r in copy.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            # Table names from the database's own catalogue, quoted: not user input.
            counts = {t: copy.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # nosec B608
                      for t in tables}
        finally:
            copy.close()
    return documents, counts


def _snapshot_postgres(target: Path) -> tuple[list[tuple], dict[str, int]]:
    """pg_dump (custom format) of a snapshot exported by our own transaction, which then
    reads the documents and row counts of that same moment."""
    engine = db.engine
    args, env = _pg_args(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot}", "--file", str(target), *args], env, "pg_dump")
        documents = [tuple(r) for r in conn.execute(
            text("SELECT stored_name, sha256, size_bytes FROM documents ORDER BY id"))]
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars().all()
        # Table names from the database's own catalogue, quoted: not user input.
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()  # nosec B608
                  for t in tables}
    return documents, counts


def _alembic_revision(counts: dict[str, int]) -> str | None:
    if "alembic_version" not in counts:
        return None
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- backup -------------------------------------------------------------------------------------

def backup(path: str | Path) -> dict:
    """Write a backup of this instance into ``path`` (new or empty); returns the manifest."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} exists and is not an empty directory; choose a new one.")
    path.mkdir(parents=True, exist_ok=True)
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        dump = path / SQLITE_DUMP
        documents, counts = _snapshot_sqlite(dump)
    elif dialect == "postgresql":
        dump = path / PG_DUMP
        documents, counts = _snapshot_postgres(dump)
    else:
        raise BackupError(f"backup knows SQLite and PostgreSQL, not {dialect}")

    store = files.storage()
    entries, problems = [], []
    for key, sha256, size in documents:
        entry = {"key": key, "sha256": sha256, "size": size, "status": "ok"}
        try:
            data = store.get(key)
        except files.MissingFile:
            entry["status"] = "missing"
        except files.StorageFailure as exc:
            raise BackupError(f"the file storage failed: {exc}") from exc
        else:
            if hashlib.sha256(data).hexdigest() != sha256:
                entry["status"] = "corrupt"
            else:
                target = path / "files" / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        if entry["status"] != "ok":
            problems.append(f"{key}: {entry['status']}")
        entries.append(entry)

    manifest = {
        "format": FORMAT, "version": VERSION,
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "storage_backend": store.name,
        "database": {"dialect": dialect, "file": dump.name, "sha256": _sha256_file(dump),
                     "size": dump.stat().st_size, "alembic_revision": _alembic_revision(counts),
                     "row_counts": counts},
        "files": entries,
        "problems": problems,
    }
    tmp = path / (MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path / MANIFEST)
    return manifest


# --- restore ------------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} is not a backup: {MANIFEST} is missing (an unfinished backup?)") from None
    except ValueError as exc:
        raise BackupError(f"{path / MANIFEST} cannot be read: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path / MANIFEST} is not a backup of this portal (format {VERSION})")
    return manifest


def verify(path: str | Path) -> dict:
    """Check every checksum in the manifest against the backup's files; returns the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    errors = []
    dump = path / manifest["database"]["file"]
    if not dump.is_file():
        errors.append(f"{dump.name}: missing")
    elif _sha256_file(dump) != manifest["database"]["sha256"]:
        errors.append(f"{dump.name}: checksum differs from the manifest")
    for entry in manifest["files"]:
        if entry["status"] != "ok":
            continue
        stored = path / "files" / entry["key"]
        if not stored.is_file():
            errors.append(f"files/{entry['key']}: missing")
        elif _sha256_file(stored) != entry["sha256"]:
            errors.append(f"files/{entry['key']}: checksum differs from the manifest")
    if errors:
        raise BackupError("the backup is damaged, nothing was restored:\n  " + "\n  ".join(errors))
    return manifest


def _require_empty_instance(dialect: str) -> None:
    if db.engine.dialect.name != dialect:
        raise BackupError(f"the backup is of a {dialect} database; this instance uses "
                          f"{db.engine.dialect.name}")
    tables = inspect(db.engine).get_table_names()
    db.engine.dispose()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables, e.g. {tables[0]}); "
                          "restore only into a new, empty database")
    try:
        first = next(iter(files.storage().keys()), None)
    except files.StorageFailure as exc:
        raise BackupError(f"the file storage cannot be reached: {exc}") from exc
    if first is not None:
        raise BackupError(f"the file storage is not empty (e.g. {first}); restore only into an "
                          "empty upload directory or bucket")


def _restore_sqlite(dump: Path) -> None:
    target = db.engine.url.database
    if not target or target == ":memory:":
        raise BackupError("restore needs a SQLite file database")
    db.engine.dispose()
    source = sqlite3.connect(dump)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _restore_postgres(dump: Path) -> None:
    args, env = _pg_args(db.engine.url)
    db.engine.dispose()
    _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", *args, str(dump)], env, "pg_restore")


def restore(path: str | Path) -> dict:
    """Bring a backup back into this (empty) instance; returns the manifest."""
    path = Path(path)
    manifest = verify(path)
    database = manifest["database"]
    _require_empty_instance(database["dialect"])
    store = files.storage()
    for entry in manifest["files"]:  # the files first: the database appears only when complete
        if entry["status"] != "ok":
            continue
        try:
            store.put(entry["key"], (path / "files" / entry["key"]).read_bytes())
        except files.StorageFailure as exc:
            raise BackupError(f"the file storage failed while restoring: {exc}") from exc
    dump = path / database["file"]
    if database["dialect"] == "sqlite":
        _restore_sqlite(dump)
    else:
        _restore_postgres(dump)
    db.session.remove()
    differences = []
    present = set(inspect(db.engine).get_table_names())
    quote = db.engine.dialect.identifier_preparer.quote
    for table, expected in database["row_counts"].items():
        if table not in present:  # the manifest names only tables the restored database has
            differences.append(f"{table}: missing, the backup has {expected} rows")
            continue
        # A name checked against the restored database's catalogue, quoted by the dialect.
        found = db.session.execute(text(f"SELECT count(*) FROM {quote(table)}")).scalar_one()  # nosec B608
        if found != expected:
            differences.append(f"{table}: {found} rows, the backup has {expected}")
    for entry in manifest["files"]:
        if entry["status"] == "ok":
            data = store.get(entry["key"])
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                differences.append(f"file {entry['key']}: checksum differs after restore")
    db.session.remove()
    if differences:
        raise BackupError("the restored instance differs from the backup:\n  " + "\n  ".join(differences))
    return manifest


# --- commands -----------------------------------------------------------------------------------

@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a backup (database, files, manifest.json) into the new directory PATH."""
    try:
        manifest = backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    ok = sum(1 for e in manifest["files"] if e["status"] == "ok")
    click.echo(f"backup written to {path}: {manifest['database']['dialect']} database "
               f"({manifest['database']['size']} bytes), {ok} files")
    if manifest["problems"]:
        for problem in manifest["problems"]:
            click.echo(f"file not in the backup: {problem}", err=True)
        raise click.ClickException(f"{len(manifest['problems'])} document files are missing or "
                                   "damaged in the storage; the rest is backed up")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False, exists=True))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore the backup in PATH into this instance's empty database and file storage."""
    try:
        manifest = restore(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    ok = sum(1 for e in manifest["files"] if e["status"] == "ok")
    click.echo(f"restored {path}: database of {manifest['created_at']} "
               f"(revision {manifest['database']['alembic_revision']}), {ok} files; "
               "run `flask db upgrade` if this code is newer than the backup")
