"""PDF rendering: Jinja HTML rendered by WeasyPrint as tagged PDF/UA (WCAG for documents).

Infrastructure below every part: it renders a template and knows no domain.
"""
from __future__ import annotations

from flask import render_template


def html_to_pdf(html: str) -> bytes:
    """Tagged PDF/UA-1 from an HTML string."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template (under templates/) to a tagged PDF."""
    return html_to_pdf(render_template(template, **context))
