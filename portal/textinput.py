"""Text a database cannot store is refused before any view reads it.

PostgreSQL's text cannot hold a NUL character (U+0000): a form value or a search with one
made psycopg refuse the statement, a 500, wherever a view wrote or searched the text. No
browser sends one from what a person types; a script or a pasted binary can. A request
whose query string or form fields (not its files) hold one is answered with 400 and a Dutch
page that says what to change; nothing is stored, and the browser's back button still has
the rest of the input. Knows no domain part.
"""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import BadRequest

from .i18n import gettext as _

NUL = "\x00"


class UnstorableText(BadRequest):
    """A query argument or form field with a character the portal cannot store."""

    description = ("Uw invoer bevat een teken dat niet kan worden opgeslagen (een nul-teken, "
                   "bijvoorbeeld uit een geplakt bestand). Er is niets opgeslagen. Ga terug, "
                   "haal het teken weg en probeer het opnieuw.")


def _holds_nul(values) -> bool:
    """Whether a name or a value of ``values`` (a MultiDict) holds a NUL."""
    return any(NUL in key or NUL in value for key, value in values.items(multi=True))


def refuse_unstorable_text() -> None:
    if request.args and _holds_nul(request.args):
        raise UnstorableText()
    if request.method not in ("GET", "HEAD", "OPTIONS") and _holds_nul(request.form):
        raise UnstorableText()


def install(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)

    @app.errorhandler(UnstorableText)
    def unstorable(exc):
        return render_template("errors/error.html", code=400, title=_("Teken niet toegestaan"),
                               message=exc.description), 400
