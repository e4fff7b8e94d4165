"""Idempotent loading of the reference data: the region, the procedure and its catalogue."""
from __future__ import annotations

from functools import cache

from sqlalchemy import select

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


def get_or_create(model, lookup: dict, values: dict):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
    return obj


def seed_reference() -> Procedure:
    region = get_or_create(
        Region, {"code": catalogue.REGION["code"]},
        {k: v for k, v in catalogue.REGION.items() if k != "code"},
    )
    from flask import current_app

    # The decision period of a newly seeded procedure; afterwards it is a procedure setting
    # that administrators change in the portal (Beheer → Procedure).
    weeks = current_app.config.get("DECISION_PERIOD_WEEKS") or catalogue.PROCEDURE[
        "decision_period_weeks"]
    procedure = get_or_create(
        Procedure, {"slug": catalogue.PROCEDURE["slug"]},
        {**{k: v for k, v in catalogue.PROCEDURE.items() if k != "slug"}, "region": region,
         "decision_period_weeks": weeks},
    )
    categories = {}
    for position, (code, name, description) in enumerate(catalogue.CATEGORIES, start=1):
        categories[code] = get_or_create(
            Category, {"procedure_id": procedure.id, "code": code},
            {"name": name, "description": description, "position": position},
        )
    for code, name, category_code in catalogue.PRODUCTS:
        category_id = categories[category_code].id
        product = get_or_create(Product, {"procedure_id": procedure.id, "code": code},
                                 {"name": name, "category_id": category_id})
        if product.category_id is None:  # seeded before products had a category
            product.category_id = category_id

    version = db.session.scalar(
        select(CatalogueVersion).filter_by(procedure_id=procedure.id, number=1)
    )
    if version is None:
        version = CatalogueVersion(
            procedure=procedure, number=1, note="Standaardcatalogus minimumeisen",
            published_at=min(utcnow(), catalogue.PUBLISHED_AT),
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


@cache
def _current_statement():
    return select(Procedure).order_by(Procedure.id).limit(1)


def current_procedure() -> Procedure | None:
    # The statement built once: many pages ask for the procedure.
    return db.session.scalar(_current_statement())


