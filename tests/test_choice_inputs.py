"""portal.forms' choice rendering (``choice_inputs``, ``CheckboxList``): the same HTML as
WTForms' own subfields and list widget, for checkboxes and radio buttons, with the values
and labels escaped and the validators' flags kept; a field with render_kw goes to WTForms."""
import pytest
from markupsafe import Markup
from wtforms import Form, RadioField, widgets
from wtforms.validators import DataRequired, Optional

from portal.forms import MultiCheckboxField, choice_inputs, plain_choices

CHOICES = [(1, 'Eis <b>"één"</b> & meer'), (2, "Tweede"), (3, "")]
RADIO_CHOICES = [("voldoet", "Voldoet"), ('x"><script>', "<i>kwaad</i>"), ("n", "Niet")]


class StockCheckboxes(MultiCheckboxField):
    widget = widgets.ListWidget(prefix_label=False)


def _forms(validators, **render_kw):
    class Checked(Form):
        field = MultiCheckboxField("Eisen", coerce=int, choices=CHOICES, validators=validators,
                                   **render_kw)
        radio = RadioField("Oordeel", choices=RADIO_CHOICES, validators=validators)

    class Stock(Form):
        field = StockCheckboxes("Eisen", coerce=int, choices=CHOICES, validators=validators,
                                **render_kw)

    return Checked, Stock


VALIDATORS = [[DataRequired("Kies er een.")], [Optional()], []]
DATA = [[2], [1, 2], [], None]


@pytest.mark.parametrize("validators", VALIDATORS)
@pytest.mark.parametrize("data", DATA)
def test_checkbox_list_writes_what_wtforms_writes(validators, data):
    Checked, Stock = _forms(validators)
    ours, theirs = Checked(data={"field": data}).field, Stock(data={"field": data}).field
    assert str(ours(class_="lijst")) == str(theirs(class_="lijst"))
    if data:
        assert str(ours()).count(" checked ") == len(data)


@pytest.mark.parametrize("validators", VALIDATORS)
@pytest.mark.parametrize("selected", ["voldoet", 'x"><script>', None])
def test_radio_inputs_are_the_subfields_html(validators, selected):
    Checked, _ = _forms(validators)
    radio = Checked(data={"radio": selected}).radio
    pairs = choice_inputs(radio)
    assert [(str(i), str(label)) for i, label in pairs] == [
        (str(sub()), str(sub.label())) for sub in radio]
    assert all(isinstance(part, Markup) for pair in pairs for part in pair)
    assert "<script>" not in "".join(str(i) + str(label) for i, label in pairs)


def test_render_kw_is_left_to_wtforms():
    Checked, Stock = _forms([], render_kw={"class": "compact"})
    ours, theirs = Checked().field, Stock().field
    assert not plain_choices(ours)
    assert str(ours()) == str(theirs())
    assert str(ours()).count('class="compact"') == 1 + len(CHOICES)


def test_choice_inputs_of_a_field_with_render_kw_are_its_subfields():
    class WithKw(Form):
        radio = RadioField("Oordeel", choices=RADIO_CHOICES, render_kw={"class": "keuze"})

    radio = WithKw(data={"radio": "n"}).radio
    pairs = choice_inputs(radio)
    assert [(str(i), str(label)) for i, label in pairs] == [
        (str(sub()), str(sub.label())) for sub in radio]
    assert all('class="keuze"' in str(i) for i, _label in pairs)
