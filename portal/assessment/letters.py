"""Decision letters (besluitbrieven): Jinja HTML rendered by WeasyPrint as tagged PDF/UA."""
from __future__ import annotations

from flask import render_template

from ..applications.storage import store_bytes
from ..extensions import db
from ..timeutil import today_local
from .models import DecisionLetter


def render_letter_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def make_decision_letter(application, decisions, *, round: int, by) -> DecisionLetter:
    html = render_template(
        "letters/decision.html", application=application, decisions=decisions,
        corrected=round > 0, round=round, today=today_local(),
    )
    suffix = f"-herstel-{round}" if round else ""
    document = store_bytes(
        render_letter_pdf(html), organisation=application.organisation, by=by,
        original_name=f"besluitbrief-{application.reference}{suffix}.pdf",
        content_type="application/pdf", doc_type="besluitbrief",
    )
    letter = DecisionLetter(application_id=application.id, round=round, document_id=document.id)
    letter.document = document
    db.session.add(letter)
    return letter
