"""Form pieces every part uses: a button, a versioned form, a whole number.

A part's own forms live in ``portal/<part>/forms.py``; what is the same everywhere lives
here once. This module knows no domain part.
"""
from __future__ import annotations

from functools import lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectMultipleField
from wtforms.fields.choices import Choice
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget, Select, html_params

from .i18n import N_
from .i18n import gettext as _

NUMBER = N_("Vul een heel getal in, zonder punten of letters.")
DATE = N_("Vul een geldige datum in (dag-maand-jaar).")
VERSION_MISSING = N_("Het formulier mist de versie waarop het is gebouwd; laad de pagina opnieuw.")


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
            raise ValueError(_(NUMBER)) from None


def choice_inputs(field):
    """(input, label) of every option of a choice field (radio buttons, checkboxes), the
    same HTML as rendering its subfields (``{% for sub in field %}{{ sub() }} {{ sub.label()
    }}``) but written directly: the subfields are field objects, built and bound per option,
    and on a page with a few hundred options (the assessment page: every requirement's
    verdict, the decision form's requirements per category) they were a fifth of its time.
    A field with ``render_kw`` on itself or a choice is rendered through its subfields."""
    if not plain_choices(field):
        return [(sub(), sub.label()) for sub in field]
    input_type = field.option_widget.input_type
    flags = {k: getattr(field.flags, k) for k in field.option_widget.validation_attrs
             if k in dir(field.flags)}
    # html_params' order (sorted by name), written out: it took most of the time.
    disabled, required = _flag("disabled", flags), _flag("required", flags)
    name, prefix = escape(field.name), escape(field.id)
    out = []
    # Every value written into the HTML below is escaped (name, id, value, label) or one of
    # the fixed words above; Markup(f"...") is kept for speed (Markup.format was slower).
    for i, choice in enumerate(field.iter_choices()):
        checked = "checked " if choice.selected else ""
        value = escape(str(choice.value))
        option = (f'<input {checked}{disabled}id="{prefix}-{i}" name="{name}" '
                  f'{required}type="{input_type}" value="{value}">')
        label = f'<label for="{prefix}-{i}">{escape(choice.label or choice.value)}</label>'
        out.append((Markup(option), Markup(label)))  # nosec B704 - escaped above
    return out


def _flag(name: str, flags: dict) -> str:
    value = flags.get(name)
    if value is True:
        return f"{name} "
    if value is None or value is False:
        return ""
    return f'{name}="{escape(value)}" '


def plain_choices(field) -> bool:
    """Whether ``choice_inputs`` may write the field's options itself (no ``render_kw``)."""
    return not field.render_kw and not any(c.render_kw for c in field.iter_choices())


class CheckboxList(ListWidget):
    """WTForms' list of checkboxes (``ListWidget(prefix_label=False)`` of ``CheckboxInput``),
    the same HTML written by ``choice_inputs``. A field with ``render_kw`` on itself or on a
    choice is left to the stock widget."""

    def __init__(self):
        super().__init__(prefix_label=False)

    def __call__(self, field, **kwargs):
        if not plain_choices(field):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        items = "".join(f"<li>{option} {label}</li>" for option, label in choice_inputs(field))
        return Markup(f"<ul {html_params(**kwargs)}>{items}</ul>")  # nosec B704 - parts escaped


class SelectOnce(Select):
    """WTForms' Select with each list of choices written once: a page that offers the same
    long list in many selects (the document library beside every file requirement: up to
    200 documents, each rendered per select with a signature check per option) renders its
    options once and only the chosen one per select. The same HTML, each option written by
    WTForms itself; choices that are not plain (value, label) pairs, groups and multiple
    selects go to the stock widget."""

    def __call__(self, field, **kwargs):
        options = None if self.multiple else _plain_pairs(field.choices)
        if options is None:
            return super().__call__(field, **kwargs)
        coerced, written = _written_options(options, field.coerce)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in self.validation_attrs:
            if key not in kwargs and key in dir(flags):
                kwargs[key] = getattr(flags, key)
        parts = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for i, html in enumerate(written):
            if coerced[i] == field.data:
                value, label = options[i]
                html = self.render_option(Choice(value, label, True, None))
            parts.append(html)
        parts.append("</select>")
        return Markup("".join(parts))  # nosec B704 - html_params and render_option escape


def _plain_pairs(choices) -> tuple | None:
    if not isinstance(choices, (list, tuple)):
        return None
    if not all(isinstance(c, tuple) and len(c) == 2 for c in choices):
        return None
    try:
        hash(choices := tuple(choices))
    except TypeError:
        return None
    return choices


@lru_cache(maxsize=64)
def _written_options(options: tuple, coerce) -> tuple[tuple, tuple[str, ...]]:
    """The coerced values and the unselected HTML of a list of choices (kept by content)."""
    return (tuple(coerce(value) for value, _label in options),
            tuple(Select.render_option(Choice(value, label, False, None))
                  for value, label in options))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = CheckboxList()
    option_widget = CheckboxInput()


def _version_present(form, field) -> None:
    if field.data is None and getattr(form, "version_required", True):
        raise StopValidation(_(VERSION_MISSING))


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
