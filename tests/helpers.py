"""Shared test data: valid files and complete answers, built through the real code."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Category, Requirement
from portal.timeutil import today_local

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def categories(*codes):
    return db.session.scalars(select(Category).where(Category.code.in_(codes))
                              .order_by(Category.position)).all()


def valid_until():
    return today_local() + timedelta(days=365)


def complete_form_data(application, *, kvk: str | None = None) -> dict:
    """Form data answering every applicable requirement correctly (files included)."""
    data = {}
    for req in application.applicable_requirements():
        prefix = f"r{req.id}_"
        if req.asks_declaration:
            data[prefix + "declared"] = "y"
        if req.identifier.value == "kvk":
            data[prefix + "identifier"] = kvk or application.organisation.kvk_number
        elif req.identifier.value == "agb":
            data[prefix + "identifier"] = "73730123"
        if req.asks_number:
            data[prefix + "number"] = str(req.number_max or max(req.number_min or 0, 4))
        if req.asks_amount:
            data[prefix + "amount"] = "2.500.000"
        if req.asks_text:
            data[prefix + "text"] = ("Jongeren denken mee in onze cliëntenraad; ervaringsdeskundigen "
                                     "werken in elk team.")
        if req.asks_evidence:
            data[prefix + "file"] = (io.BytesIO(PDF_BYTES), f"{req.code}.pdf")
            if req.evidence_expires:
                data[prefix + "valid_until"] = valid_until().isoformat()
    return data


def fill_completely(application, by):
    """Answer every requirement through the workflow and real file storage."""
    from werkzeug.datastructures import FileStorage

    from portal import files as storage
    from portal.applications import workflow

    values, documents = {}, {}
    for req in application.applicable_requirements():
        parts = {}
        if req.asks_declaration:
            parts["declared"] = True
        if req.identifier.value == "kvk":
            parts["identifier"] = application.organisation.kvk_number
        elif req.identifier.value == "agb":
            parts["identifier"] = "73730123"
        if req.asks_number:
            parts["number"] = req.number_max or max(req.number_min or 0, 4)
        if req.asks_amount:
            parts["amount"] = 2_500_000
        if req.asks_text:
            parts["text"] = "Jeugdparticipatie via de cliëntenraad."
        if req.asks_evidence and req.evidence.value == "required":
            documents[req.id] = storage.store_upload(
                FileStorage(io.BytesIO(PDF_BYTES), filename=f"{req.code}.pdf"),
                organisation=application.organisation, by=by,
            )
            if req.evidence_expires:
                parts["valid_until"] = valid_until()
        values[req.id] = parts
    workflow.save_answers(application, values, documents, by=by)


def requirement(code):
    return db.session.scalar(select(Requirement).where(Requirement.code == code))


def step_of(application, code: str) -> int:
    """The wizard step (1-based) that holds the requirement with this code."""
    general = [r for r in application.applicable_requirements() if r.is_general]
    if any(r.code == code for r in general):
        return 1
    n = 1
    for cat in application.categories:
        reqs = [r for r in application.applicable_requirements()
                if not r.is_general and cat in r.categories]
        if reqs:
            n += 1
            if any(r.code == code for r in reqs):
                return n
    raise KeyError(code)


def step_count(application) -> int:
    return 1 + sum(1 for cat in application.categories
                   if any(cat in r.categories for r in application.applicable_requirements()
                          if not r.is_general))


def submitted_application(provider, *codes):
    """A complete application of ``provider`` for the categories ``codes``, submitted
    through the workflow (flushed, not committed)."""
    from portal.applications import workflow
    from portal.models import Procedure

    application = workflow.create_application(db.session.scalar(select(Procedure)),
                                              categories(*codes), by=provider)
    fill_completely(application, provider)
    workflow.submit(application, by=provider)
    return application


def outbox_subjects(app, *, to: str, subject_contains: str = "") -> list[str]:
    """The subjects of the mails queued in the outbox for ``to`` (whether sent or not).

    A request's mail is queued in the same transaction as its change, so once the request
    returned this is everything it will ever send: a check that no (second) mail was sent
    needs no waiting."""
    from portal.models import OutboxMail

    with app.app_context():
        subjects = db.session.scalars(select(OutboxMail.subject).where(
            db.func.lower(OutboxMail.to_address) == to.lower())).all()
        db.session.remove()
    return [s for s in subjects if subject_contains.lower() in s.lower()]


def wizard_step(application, code: str) -> int:
    """The wizard step (from 1) that asks the requirement ``code`` of ``application``
    (the general requirements take more than one step)."""
    from portal.applications.views import _steps

    steps = _steps(application, application.applicable_requirements())
    return next(n for n, (_title, reqs) in enumerate(steps, start=1)
                if any(r.code == code for r in reqs))


def scenario_pages(app):
    """(client, who, url) for every page of the benchmark's scenario, built on ``app``
    first: one logged-in test client per user (anonymous: who is None)."""
    from bench import scenario
    from tests.conftest import login

    ids = scenario.build(app)
    clients = {}
    for who, _endpoint, url in scenario.pages(app, ids):
        if who not in clients:
            clients[who] = app.test_client()
            if who:
                login(clients[who], who)
        yield clients[who], who, url
