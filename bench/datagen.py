"""Bulk data for scale tests and benchmarks, inserted with Core statements.

Organisations, their users, applications in every state spread over the term,
their categories, admissions for decided ones, and outbox mail. Everything goes
through the real schema (made by the migrations); only the speed of insertion is
different from the workflows.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, text, update

from portal.accounts.passwords import hash_password
from portal.applications.models import application_categories
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    Answer,
    Application,
    AuditEvent,
    CapacityReport,
    CatalogueVersion,
    Category,
    Document,
    EvidenceReview,
    MailStatus,
    Organisation,
    OrgRole,
    OutboxMail,
    Procedure,
    Question,
    Requirement,
    Role,
    Status,
    Suspension,
    User,
)

STATUS_MIX = [Status.BESLOTEN] * 6 + [Status.INGEDIEND, Status.IN_BEHANDELING,
                                      Status.BESLUIT_VOORGESTELD, Status.INGETROKKEN,
                                      Status.CONCEPT, Status.AANVULLING_GEVRAAGD]
BATCH = 5000


def _batches(rows):
    for i in range(0, len(rows), BATCH):
        yield rows[i:i + BATCH]


def populate(applications: int, *, seed: int = 7, rich: bool = False) -> dict:
    """Add ``applications`` applications (and about a third as many organisations).

    With ``rich``, the partners' side grows with them too: admissions in every state
    with agreements and suspensions, library documents and dated evidence, capacity
    reports (some stale), evidence waiting for review, questions (half of them
    published) and audit events for every application."""
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
    sequences = ["organisations", "users", "applications"]
    if rich:
        _rich(rnd, procedure, version_id, apps, start_org, start_user, n_orgs, now)
        sequences += ["documents", "agreements", "admissions", "audit_events"]
    if db.session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: move the sequences past them.
        for name in sequences:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    db.session.commit()
    # Fresh planner statistics, as autovacuum (PostgreSQL) or a maintenance job would give.
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return {"organisations": n_orgs, "applications": applications, "admissions": len(admissions)}




def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _questions(procedure, n_apps, start_org, start_user, n_orgs, now) -> list[dict]:
    """One question for every 20 applications, every other one answered and published."""
    questions = []
    for i in range(max(1, n_apps // 20)):
        oid = start_org + (i % n_orgs)
        uid = start_user + (i % n_orgs)
        published = i % 2 == 0
        questions.append(dict(
            procedure_id=procedure.id, organisation_id=oid, asked_by_id=uid,
            subject=f"Vraag {i} over de eisen", body="Hoe lees ik eis A5?", asked_at=now,
            answer="Zo." if published else None, answered_at=now if published else None,
            public_question="Hoe lees ik eis A5?" if published else None,
            public_answer="Zo." if published else None, published_at=now if published else None))
    return questions


def _submission_events(apps) -> list[dict]:
    """The audit events of submitting each submitted application and starting its review."""
    events = []
    for row in apps:
        if row["submitted_at"] is None:
            continue
        for action, old, new in (("submitted", "CONCEPT", "INGEDIEND"),
                                 ("review_started", "INGEDIEND", "IN_BEHANDELING")):
            events.append(dict(at=row["submitted_at"], actor_id=row["created_by_id"],
                               object_type="applications", object_id=row["id"], action=action,
                               from_state=old, to_state=new, detail=""))
    return events


def _rich(rnd, procedure, version_id, apps, start_org, start_user, n_orgs, now):
    """The partners' side of the bulk data (see populate)."""
    evidence_req = db.session.scalar(select(Requirement.id).where(
        Requirement.version_id == version_id, Requirement.code == "A5"))
    doc_id, agreement_id = _next_id(Document), _next_id(Agreement)
    documents, agreements, answers, reports, reviews, suspensions = [], [], [], [], [], []
    library = {}
    for i in range(n_orgs):
        oid, uid = start_org + i, start_user + i
        library[oid] = doc_id
        documents.append(dict(
            id=doc_id, organisation_id=oid, doc_type="Kwaliteitscertificaat",
            original_name=f"certificaat-{oid}.pdf", stored_name=f"bulk{doc_id:060d}",
            content_type="application/pdf", size_bytes=1000, sha256=f"{doc_id:064d}",
            valid_until=(now + timedelta(days=rnd.randint(-60, 700))).date(),
            uploaded_by_id=uid, uploaded_at=now))
        doc_id += 1
    for row in apps:
        if row["status"] == Status.BESLOTEN.name and evidence_req:
            oid = row["organisation_id"]
            answers.append(dict(application_id=row["id"], requirement_id=evidence_req,
                                document_id=library[oid], updated_at=now,
                                evidence_valid_until=documents[oid - start_org]["valid_until"]))
    states = ([AdmissionStatus.ACTIEF] * 12 + [AdmissionStatus.TOEGELATEN] * 3
              + [AdmissionStatus.GESCHORST] * 2 + [AdmissionStatus.BEEINDIGD] * 3)
    admission_rows = list(db.session.execute(
        select(Admission.id, Admission.organisation_id, Admission.category_id,
               Admission.application_id)
        .where(Admission.application_id >= apps[0]["id"]) if apps else select(Admission.id)
        .where(False)))
    updates = []
    for admission_id, oid, cid, aid in admission_rows:
        uid = start_user + (oid - start_org)
        state = rnd.choice(states)
        change = dict(a_id=admission_id, status=state.name, activated_at=None, agreement_id=None,
                      ended_on=None, end_reason=None)
        if state is not AdmissionStatus.BEEINDIGD:
            documents.append(dict(
                id=doc_id, organisation_id=oid, doc_type="Deelnemersovereenkomst",
                original_name=f"overeenkomst-{aid}-{cid}.pdf", stored_name=f"bulk{doc_id:060d}",
                content_type="application/pdf", size_bytes=2000, sha256=f"{doc_id:064d}",
                uploaded_by_id=uid, uploaded_at=now))
            accepted = state in (AdmissionStatus.ACTIEF, AdmissionStatus.GESCHORST)
            agreements.append(dict(
                id=agreement_id, organisation_id=oid, application_id=aid, document_id=doc_id,
                sha256=f"{doc_id:064d}", created_at=now,
                accepted_at=now if accepted else None, accepted_by_id=uid if accepted else None,
                accepted_ip="192.0.2.1" if accepted else None,
                accepted_sha256=f"{doc_id:064d}" if accepted else None))
            change["agreement_id"] = agreement_id
            doc_id += 1
            agreement_id += 1
            if accepted:
                change["activated_at"] = now
                reports.append(dict(
                    organisation_id=oid, category_id=cid, location=rnd.choice(["Breda", "Made"]),
                    places=rnd.randint(0, 4), available_from=now.date(), age_min=12, age_max=18,
                    reported_at=now - timedelta(days=rnd.randint(0, 60)), reported_by_id=uid))
            if state is AdmissionStatus.GESCHORST:
                suspensions.append(dict(admission_id=admission_id, reason="Onderzoek.",
                                        starts_on=now.date(), created_by_id=uid, created_at=now))
        else:
            change.update(ended_on=now.date(), end_reason="Opgezegd door de aanbieder.")
        updates.append(change)
    for oid in list(library)[::100]:
        uid = start_user + (oid - start_org)
        documents.append(dict(
            id=doc_id, organisation_id=oid, doc_type="Kwaliteitscertificaat",
            original_name=f"certificaat-nieuw-{oid}.pdf", stored_name=f"bulk{doc_id:060d}",
            content_type="application/pdf", size_bytes=1000, sha256=f"{doc_id:064d}",
            valid_until=(now + timedelta(days=900)).date(), uploaded_by_id=uid, uploaded_at=now))
        reviews.append(dict(organisation_id=oid, document_id=doc_id,
                            replaces_document_id=library[oid], status="pending",
                            submitted_at=now, submitted_by_id=uid))
        doc_id += 1
    questions = _questions(procedure, len(apps), start_org, start_user, n_orgs, now)
    events = _submission_events(apps)
    for table, rows in ((Document, documents), (Agreement, agreements), (Answer, answers),
                        (CapacityReport, reports), (EvidenceReview, reviews),
                        (Suspension, suspensions), (Question, questions), (AuditEvent, events)):
        for batch in _batches(rows):
            db.session.execute(insert(table), batch)
    # The kept earliest validity date of each partner's tracked evidence (as
    # compliance.refresh_evidence_date would set it): its library certificate, tracked
    # once one of its applications is decided; the pending new versions do not count.
    evidence = {row["application_id"] for row in answers}
    dated = {r["organisation_id"]: documents[r["organisation_id"] - start_org]["valid_until"]
             for r in apps if r["id"] in evidence}
    orgs = Organisation.__table__
    set_until = (update(orgs).where(orgs.c.id == bindparam("o_id"))
                 .values(evidence_valid_until=bindparam("until")))
    for batch in _batches([dict(o_id=k, until=v) for k, v in dated.items()]):
        db.session.connection().execute(set_until, batch)
    table = Admission.__table__
    statement = (update(table).where(table.c.id == bindparam("a_id"))
                 .values(status=bindparam("status"), activated_at=bindparam("activated_at"),
                         agreement_id=bindparam("agreement_id"), ended_on=bindparam("ended_on"),
                         end_reason=bindparam("end_reason")))
    for batch in _batches(updates):
        db.session.connection().execute(statement, batch)
