"""portal.forms.SelectOnce: the same HTML as WTForms' Select for every selected value, flag
and attribute, each list of choices written once; anything but plain (value, label) pairs
goes to WTForms' own widget."""
import pytest
from wtforms import Form, SelectField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from portal import forms
from portal.forms import SelectOnce


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1


LIBRARY = [(None, "– geen –"), (7, 'Verklaring <b>"VOG"</b> & meer'), (12, "Polis, geldig tot 01-01-2028"),
           (3, "")]


def _pair(choices, validators, coerce=_int_or_none):
    class Ours(Form):
        field = SelectField("Document", coerce=coerce, choices=choices, validators=validators,
                            validate_choice=False, widget=SelectOnce())

    class Theirs(Form):
        field = SelectField("Document", coerce=coerce, choices=choices, validators=validators,
                            validate_choice=False, widget=widgets.Select())

    return Ours, Theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # WTForms 3.3 on tuple choices
@pytest.mark.parametrize("validators", [[DataRequired("Kies er een.")], [Optional()], []])
@pytest.mark.parametrize("data", [None, 7, 12, 3, 99, -1])
@pytest.mark.parametrize("render_kw", [{}, {"aria-describedby": "x-hint", "class": 'a"b'}])
def test_select_once_writes_what_wtforms_writes(validators, data, render_kw):
    Ours, Theirs = _pair(LIBRARY, validators)
    ours, theirs = Ours(data={"field": data}).field, Theirs(data={"field": data}).field
    assert str(ours(**render_kw)) == str(theirs(**render_kw))
    assert "&lt;b&gt;&#34;VOG&#34;&lt;/b&gt; &amp; meer" in str(ours())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_selects_sharing_one_list_each_show_their_own_choice():
    shared = list(LIBRARY)

    class Two(Form):
        first = SelectField("Eerste", coerce=_int_or_none, choices=shared, widget=SelectOnce(),
                            validate_choice=False)
        second = SelectField("Tweede", coerce=_int_or_none, choices=shared, widget=SelectOnce(),
                             validate_choice=False)

    forms._written_options.cache_clear()
    form = Two(data={"first": 7, "second": 12})
    first, second = str(form.first()), str(form.second())
    assert '<option selected value="7">' in first and '<option value="12">' in first
    assert '<option selected value="12">' in second and '<option value="7">' in second
    assert forms._written_options.cache_info().currsize == 1  # the list written once
    assert first.count("selected") == second.count("selected") == 1


def test_other_choices_go_to_wtforms_own_widget():
    grouped = [SelectChoice("a", "A", optgroup="Groep"), SelectChoice("b", "B", optgroup="Groep")]
    with_kw = [SelectChoice("a", "A", render_kw={"disabled": True}), SelectChoice("b", "B")]
    for choices in (grouped, with_kw):
        Ours, Theirs = _pair(choices, [])
        assert str(Ours(data={"field": "a"}).field()) == str(Theirs(data={"field": "a"}).field())
    assert "<optgroup" in str(_pair(grouped, [])[0]().field())
    assert forms._plain_pairs(with_kw) is None and forms._plain_pairs([("a", ["x"])]) is None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_multiple_select_is_wtforms_own():
    class Many(Form):
        field = SelectField("Meer", choices=[("a", "A"), ("b", "B")],
                            widget=SelectOnce(multiple=True), validate_choice=False)

    assert "multiple" in str(Many(data={"field": "a"}).field())
