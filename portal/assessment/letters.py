"""Decision letters (besluitbrieven): Jinja HTML rendered by WeasyPrint as tagged PDF/UA."""
from __future__ import annotations

from ..extensions import db
from ..files import store_bytes
from ..pdf import render_pdf
from ..timeutil import today_local
from .models import DecisionLetter


def make_decision_letter(application, decisions, *, round: int, by) -> DecisionLetter:
    pdf = render_pdf(
        "letters/decision.html", application=application, decisions=decisions,
        corrected=round > 0, round=round, today=today_local(),
    )
    suffix = f"-herstel-{round}" if round else ""
    document = store_bytes(
        pdf, organisation=application.organisation, by=by,
        original_name=f"besluitbrief-{application.reference}{suffix}.pdf",
        content_type="application/pdf", doc_type="besluitbrief",
    )
    letter = DecisionLetter(application_id=application.id, round=round, document_id=document.id)
    letter.document = document
    db.session.add(letter)
    return letter
