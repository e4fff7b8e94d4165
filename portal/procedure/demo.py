"""Demo content for `flask seed --demo`: a second provider with a submitted application,
so that an assessor finds something in the queue on a fresh machine."""
from __future__ import annotations

import io

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organisation, OrgRole, Role, User
from ..accounts.passwords import hash_password
from ..extensions import db
from ..timeutil import today_local, utcnow

DEMO_PROVIDER_2 = "aanbieder2@demo.nl"
# A minimal, valid PDF for the demo evidence.
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
        b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def seed_demo_applications(password: str) -> bool:
    """Add the demo application once; returns whether anything was added."""
    from ..applications import storage, workflow
    from ..applications.models import Application
    from .models import Category, Procedure

    if db.session.scalar(select(func.count()).select_from(Application)):
        return False
    org = Organisation(name="Jeugdhulp Oosterhout (demo)", kvk_number="23456789",
                       agb_code="73730002", street="Markt 10", postal_code="4901 EP",
                       city="Oosterhout", contact_email="info@jeugdhulp-oosterhout.demo.nl")
    user = db.session.scalar(select(User).where(User.email == DEMO_PROVIDER_2))
    if user is None:
        user = User(email=DEMO_PROVIDER_2, full_name="Erik de Boer", role=Role.PROVIDER,
                    organisation=org, org_role=OrgRole.BEHEERDER,
                    password_hash=hash_password(password), email_confirmed_at=utcnow())
        db.session.add_all([org, user])
    db.session.flush()
    procedure = db.session.scalar(select(Procedure).order_by(Procedure.id))
    category = db.session.scalar(select(Category).where(Category.code == "gezinshuiszorg"))
    application = workflow.create_application(procedure, [category], by=user)
    values, documents = {}, {}
    for req in application.applicable_requirements():
        parts = {}
        if req.asks_declaration:
            parts["declared"] = True
        if req.identifier.value == "agb":
            parts["identifier"] = org.agb_code
        if req.asks_number:
            parts["number"] = req.number_max or max(req.number_min or 0, 4)
        if req.asks_amount:
            parts["amount"] = req.amount_min or 2_500_000
        if req.asks_text:
            parts["text"] = "Jongeren denken mee in onze jongerenraad; een ervaringsdeskundige werkt in elk team."
        if req.evidence.value == "required":
            documents[req.id] = storage.store_upload(
                FileStorage(io.BytesIO(_PDF), filename=f"{req.code}-demo.pdf"),
                organisation=org, by=user)
            if req.evidence_expires:
                parts["valid_until"] = today_local().replace(year=today_local().year + 1)
        values[req.id] = parts
    workflow.save_answers(application, values, documents, by=user)
    workflow.submit(application, by=user)
    db.session.flush()
    return True
