"""Bulk data for scale tests and benchmarks, inserted with Core statements.

Organisations, their users, applications in every state spread over the term,
their categories, admissions for decided ones, and outbox mail. Everything goes
through the real schema (made by the migrations); only the speed of insertion is
different from the workflows.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

from portal.accounts.passwords import hash_password
from portal.applications.models import application_categories
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Application,
    CatalogueVersion,
    Category,
    MailStatus,
    Organisation,
    OrgRole,
    OutboxMail,
    Procedure,
    Role,
    Status,
    User,
)

STATUS_MIX = [Status.BESLOTEN] * 6 + [Status.INGEDIEND, Status.IN_BEHANDELING,
                                      Status.BESLUIT_VOORGESTELD, Status.INGETROKKEN,
                                      Status.CONCEPT, Status.AANVULLING_GEVRAAGD]
BATCH = 5000


def _batches(rows):
    for i in range(0, len(rows), BATCH):
        yield rows[i:i + BATCH]


def populate(applications: int, *, seed: int = 7) -> dict:
    """Add ``applications`` applications (and about a third as many organisations)."""
    rnd = random.Random(seed)
    procedure = db.session.scalar(select(Procedure))
    version_id = db.session.scalar(select(CatalogueVersion.id))
    category_ids = list(db.session.scalars(select(Category.id).order_by(Category.position)))
    start_org = (db.session.scalar(select(func.max(Organisation.id))) or 0) + 1
    start_user = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    start_app = (db.session.scalar(select(func.max(Application.id))) or 0) + 1
    pw = hash_password("bulk-wachtwoord-123")
    now = datetime(2027, 6, 1)
    n_orgs = max(1, applications // 3)

    orgs, users = [], []
    for i in range(n_orgs):
        oid = start_org + i
        orgs.append(dict(id=oid, name=f"Aanbieder {oid:06d} {rnd.choice(['Zorg', 'Wonen', 'Jeugd'])}",
                         kvk_number=f"{50_000_000 + oid:08d}", street="Straat 1",
                         postal_code="4811 AB", city=rnd.choice(["Breda", "Oosterhout", "Altena"]),
                         contact_email=f"info{oid}@bulk.example", created_at=now))
        users.append(dict(id=start_user + i, email=f"user{oid}@bulk.example", full_name=f"Gebruiker {oid}",
                          password_hash=pw, role=Role.PROVIDER.name, organisation_id=oid,
                          org_role=OrgRole.BEHEERDER.name, email_confirmed_at=now,
                          is_active_account=True, created_at=now))
    for rows in _batches(orgs):
        db.session.execute(insert(Organisation), rows)
    for rows in _batches(users):
        db.session.execute(insert(User), rows)

    apps, links, admissions, mails = [], [], [], []
    admitted: set[tuple[int, int]] = set()
    for i in range(applications):
        aid = start_app + i
        org_index = i % n_orgs
        oid, uid = start_org + org_index, start_user + org_index
        status = rnd.choice(STATUS_MIX)
        submitted = None if status == Status.CONCEPT else now - timedelta(days=rnd.randint(0, 900))
        apps.append(dict(
            id=aid, reference=None if submitted is None else f"WMB-{submitted.year}-{aid:06d}",
            organisation_id=oid, procedure_id=procedure.id, catalogue_version_id=version_id,
            status=status.name, created_by_id=uid, created_at=(submitted or now) - timedelta(days=3),
            updated_at=now, submitted_at=submitted,
            decision_due=(submitted.date() + timedelta(weeks=8)) if submitted else None,
            decided_at=submitted + timedelta(days=30) if status == Status.BESLOTEN else None,
        ))
        cats = rnd.sample(category_ids, rnd.choice([1, 1, 2]))
        for cid in cats:
            links.append(dict(application_id=aid, category_id=cid))
            if status == Status.BESLOTEN and (oid, cid) not in admitted:
                admitted.add((oid, cid))
                admissions.append(dict(organisation_id=oid, category_id=cid, application_id=aid,
                                       status=AdmissionStatus.TOEGELATEN.name,
                                       admitted_at=submitted + timedelta(days=30)))
        mails.append(dict(kind="receipt", to_address=f"user{oid}@bulk.example",
                          subject=f"Ontvangstbevestiging aanmelding {aid}", body_text="t",
                          body_html="<p>t</p>", organisation_id=oid, user_id=uid,
                          status=MailStatus.SENT.name, attempts=1, created_at=now, sent_at=now))
    for table, rows in ((Application, apps), (application_categories, links),
                        (Admission, admissions), (OutboxMail, mails)):
        for batch in _batches(rows):
            db.session.execute(insert(table), batch)
    if db.session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: move the sequences past them.
        for name in ("organisations", "users", "applications"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    db.session.commit()
    # Fresh planner statistics, as autovacuum (PostgreSQL) or a maintenance job would give.
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return {"organisations": n_orgs, "applications": applications, "admissions": len(admissions)}


