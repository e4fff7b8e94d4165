"""Form pieces every part uses: a button, a versioned form, a whole number.

A part's own forms live in ``portal/<part>/forms.py``; what is the same everywhere lives
here once. This module knows no domain part.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import StopValidation
from wtforms.widgets import HiddenInput

NUMBER = "Vul een heel getal in, zonder punten of letters."
VERSION_MISSING = "Het formulier mist de versie waarop het is gebouwd; laad de pagina opnieuw."


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token is all there is to check."""


class WholeNumberField(IntegerField):
    """A whole number or nothing, with a Dutch message; the typed text is kept."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(NUMBER) from None


def _version_present(form, field) -> None:
    if field.data is None and getattr(form, "version_required", True):
        raise StopValidation(VERSION_MISSING)


class VersionedForm(FlaskForm):
    """Carries the version (or fingerprint) of what the form was built on; the operation
    refuses a stale one, so that nobody overwrites a change they have not seen.

    ``version_required = False``: a form posted without a version skips that check (the
    administrators' procedure forms, which scripts may post)."""

    version_required = True
    # Empty (a form that creates something has no version yet) is None, not an error.
    version = WholeNumberField(widget=HiddenInput(), validators=[_version_present])


class VersionedActionForm(VersionedForm):
    """A button that changes a versioned object: CSRF token and version only."""
