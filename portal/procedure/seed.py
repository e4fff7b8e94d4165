"""Idempotent loading of the reference data and the demo accounts."""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.models import Organisation, OrgRole, Role, User
from ..accounts.passwords import hash_password
from ..extensions import db
from ..timeutil import utcnow
from . import catalogue
from .models import (
    CatalogueVersion,
    Category,
    Evidence,
    Identifier,
    Procedure,
    Product,
    Region,
    Requirement,
)

DEMO_PASSWORD = "demo-wachtwoord-2027"
DEMO_ACCOUNTS = [
    # email, name, role, org role
    ("aanbieder@demo.nl", "Anna de Vries", Role.PROVIDER, OrgRole.BEHEERDER),
    ("beoordelaar1@demo.nl", "Bas Jansen", Role.ASSESSOR, None),
    ("beoordelaar2@demo.nl", "Carla Bakker", Role.ASSESSOR, None),
    ("beheer@demo.nl", "Dirk Visser", Role.ADMIN, None),
]


def _get_or_create(model, lookup: dict, values: dict):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
    return obj


def seed_reference() -> Procedure:
    region = _get_or_create(
        Region, {"code": catalogue.REGION["code"]},
        {k: v for k, v in catalogue.REGION.items() if k != "code"},
    )
    from flask import current_app

    # The decision period of a newly seeded procedure; afterwards it is a procedure setting
    # that administrators change in the portal (Beheer → Procedure).
    weeks = current_app.config.get("DECISION_PERIOD_WEEKS") or catalogue.PROCEDURE[
        "decision_period_weeks"]
    procedure = _get_or_create(
        Procedure, {"slug": catalogue.PROCEDURE["slug"]},
        {**{k: v for k, v in catalogue.PROCEDURE.items() if k != "slug"}, "region": region,
         "decision_period_weeks": weeks},
    )
    categories = {}
    for position, (code, name, description) in enumerate(catalogue.CATEGORIES, start=1):
        categories[code] = _get_or_create(
            Category, {"procedure_id": procedure.id, "code": code},
            {"name": name, "description": description, "position": position},
        )
    for code, name, category_code in catalogue.PRODUCTS:
        category_id = categories[category_code].id
        product = _get_or_create(Product, {"procedure_id": procedure.id, "code": code},
                                 {"name": name, "category_id": category_id})
        if product.category_id is None:  # seeded before products had a category
            product.category_id = category_id

    version = db.session.scalar(
        select(CatalogueVersion).filter_by(procedure_id=procedure.id, number=1)
    )
    if version is None:
        version = CatalogueVersion(
            procedure=procedure, number=1, note="Standaardcatalogus minimumeisen",
            published_at=utcnow(),
        )
        db.session.add(version)
        for position, spec in enumerate(catalogue.REQUIREMENTS, start=1):
            cats = [categories[c] for c in spec.get("categories", [])]
            version.requirements.append(
                Requirement(
                    code=spec["code"],
                    title=spec["title"],
                    help_text=spec["help"],
                    position=position,
                    knockout=spec.get("knockout", True),
                    is_general=not cats,
                    categories=cats,
                    declaration_text=spec.get("declaration"),
                    identifier=Identifier(spec.get("identifier", "none")),
                    number_label=spec.get("number"),
                    number_min=spec.get("number_min"),
                    number_max=spec.get("number_max"),
                    text_label=spec.get("text"),
                    evidence=Evidence(spec.get("evidence", "none")),
                    evidence_label=spec.get("evidence_label"),
                    evidence_expires=spec.get("expires", False),
                    amount_label=spec.get("amount"),
                    amount_min=spec.get("amount_min"),
                )
            )
    db.session.flush()
    return procedure


def seed_demo() -> None:
    org = _get_or_create(
        Organisation, {"kvk_number": "12345678"},
        {
            "name": "Stichting Gezinshuis De Linde (demo)",
            "agb_code": "73730001",
            "street": "Lindelaan 1",
            "postal_code": "4811 AB",
            "city": "Breda",
            "contact_email": "info@delinde.demo.nl",
        },
    )
    for email, name, role, org_role in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).filter_by(email=email)) is None:
            db.session.add(
                User(
                    email=email,
                    full_name=name,
                    role=role,
                    organisation=org if role == Role.PROVIDER else None,
                    org_role=org_role,
                    password_hash=hash_password(DEMO_PASSWORD),
                    email_confirmed_at=utcnow(),
                )
            )
    db.session.flush()


def current_procedure() -> Procedure | None:
    return db.session.scalar(select(Procedure).order_by(Procedure.id).limit(1))


def published_version(procedure: Procedure) -> CatalogueVersion | None:
    return db.session.scalar(
        select(CatalogueVersion)
        .where(
            CatalogueVersion.procedure_id == procedure.id,
            CatalogueVersion.published_at.is_not(None),
        )
        .order_by(CatalogueVersion.number.desc())
        .limit(1)
    )
