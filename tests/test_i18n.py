"""The templates' gettext (portal.i18n): the translations Flask-Babel finds for the
request's locale, looked up once per request. No catalogue ships yet (the portal is Dutch);
an English one made here shows that one would be used, singular and plural."""
from datetime import UTC, date, datetime, timedelta, timezone

import flask_babel
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import render_template_string, request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import IntegerField

from portal import i18n
from tests.conftest import make_app


def _english(directory) -> None:
    """The English catalogue of every test that uses one: Flask-Babel keeps the translations
    it loaded per locale for the process (on its one Babel object), not per application, so
    two catalogues for "en" in one test run would meet."""
    catalog = Catalog(locale="en")
    catalog.add("Inloggen", "Log in")
    catalog.add("Het e-mailadres of het wachtwoord klopt niet.", "Wrong e-mail address or password.")
    catalog.add(("%(num)s aanmelding", "%(num)s aanmeldingen"),
                ("%(num)s application", "%(num)s applications"))
    catalog.add("Welkom, %(name)s.", "Welcome, <b>%(name)s</b>.")
    catalog.add("Open", "Open (state)", context="status")
    catalog.add(("%(num)s eis", "%(num)s eisen"), ("%(num)s requirement", "%(num)s requirements"),
                context="catalogus")
    (directory / "en" / "LC_MESSAGES").mkdir(parents=True)
    with open(directory / "en" / "LC_MESSAGES" / "messages.mo", "wb") as out:
        write_mo(out, catalog)


TEMPLATE = ("{{ _('Inloggen') }} | {% trans num=n %}{{ num }} aanmelding{% pluralize %}"
            "{{ num }} aanmeldingen{% endtrans %} | {{ _('Niet vertaald') }}")


def test_templates_use_the_locales_translations(database_url, tmp_path):
    _english(tmp_path / "translations")
    english = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE="en",
                       BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    dutch = make_app(database_url, tmp_path / "uploads")
    with english.test_request_context():
        assert render_template_string(TEMPLATE, n=1) == "Log in | 1 application | Niet vertaald"
        assert render_template_string(TEMPLATE, n=3) == "Log in | 3 applications | Niet vertaald"
        assert i18n._TRANSLATIONS.get() is not None  # looked up once, kept for the request
        # Another application's context inside this one has its own; after it, this one's.
        with dutch.test_request_context():
            assert render_template_string(TEMPLATE, n=3) == "Inloggen | 3 aanmeldingen | Niet vertaald"
        assert render_template_string(TEMPLATE, n=3) == "Log in | 3 applications | Niet vertaald"
    assert i18n._TRANSLATIONS.get() is None  # forgotten with the context
    with dutch.test_request_context():
        assert render_template_string(TEMPLATE, n=3) == "Inloggen | 3 aanmeldingen | Niet vertaald"


# Every callable, in a loop (where Jinja's own copy the context), with variables to escape.
CALLABLES = ("{% for name in names %}{% set n = loop.index %}{{ _('Inloggen') }} / "
             "{{ _('Welkom, %(name)s.', name=name) }} / {{ gettext('100%% klaar') }} / "
             "{{ ngettext('%(num)s aanmelding', '%(num)s aanmeldingen', n) }} / "
             "{{ pgettext('status', 'Open') }} / "
             "{{ npgettext('catalogus', '%(num)s eis', '%(num)s eisen', n, extra=name) }} / "
             "{% trans %}Welkom, {{ name }}.{% endtrans %} / "
             "{% trans count=n %}{{ count }} aanmelding{% pluralize %}{{ count }} aanmeldingen"
             "{% endtrans %} / "
             "{{ _('Stap %(n)d van %(total).1f: %(who)s, %(what)s, %(name)s', n=n, total=2.5, "
             "who=marked, what=none, name=name) }}\n{% endfor %}")


def test_template_callables_do_what_jinjas_own_do(database_url, tmp_path):
    """The portal's gettext callables (no copy of the template's context per call) give
    what Jinja's newstyle ones give, escaped in HTML templates and not in plain text."""
    from jinja2 import Environment
    _english(tmp_path / "translations")
    app = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE="en",
                   BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    names = ["Ann & <Bo>", "Cor"]
    with app.test_request_context():
        translations = flask_babel.get_translations()
        for autoescape in (True, False):
            jinjas = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
            jinjas.install_gettext_translations(translations, newstyle=True)
            portals = app.jinja_env.overlay(autoescape=autoescape)
            values = {"names": names, "marked": Markup("<i>al veilig</i>")}
            expected = jinjas.from_string(CALLABLES).render(**values)
            assert portals.from_string(CALLABLES).render(**values) == expected
            assert "Stap 2 van 2.5: <i>al veilig</i>, None, Cor" in expected
            assert ("Welcome, <b>Ann &amp; &lt;Bo&gt;</b>." in expected) is autoescape
            assert "Open (state) / 2 requirements / Welcome, <b>Cor</b>. / 2 aanmeldingen" in expected
        assert app.jinja_env.globals["_"] is i18n._gettext  # no context-taking alias


# --- dates: the same text as Flask-Babel's, with the locale and zone looked up once ------------

MOMENTS = [
    datetime(2026, 3, 29, 0, 59),  # naive means UTC: 01:59 in Amsterdam, before summer time
    datetime(2026, 3, 29, 1, 0),  # 03:00 summer time
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 summer time
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 winter time
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # already 1 January in Amsterdam
    datetime(2027, 1, 1, 9, 15, tzinfo=timezone(timedelta(hours=-5))),
]
DAYS = [date(2027, 1, 1), date(2033, 12, 31), date(2028, 2, 29)]


def test_dates_read_as_flask_babel_writes_them(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "uploads")
    with app.test_request_context():
        for moment in MOMENTS:
            assert i18n.format_datetime(moment) == flask_babel.format_datetime(
                moment, i18n.DATETIME)
            assert i18n.format_date(moment) == flask_babel.format_date(moment, i18n.DATE)
        for day in DAYS:
            assert i18n.format_date(day) == flask_babel.format_date(day, i18n.DATE)
        page = render_template_string("{{ m|datumtijd }} / {{ m|datum }} / {{ d|datum }} / "
                                      "{{ none|datum }}", m=MOMENTS[4], d=DAYS[0], none=None)
    assert page == "1 januari 2027, 00:30 / 1 januari 2027 / 1 januari 2027 / "


def test_dates_follow_the_configured_locale_and_zone(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE="en",
                   BABEL_DEFAULT_TIMEZONE="America/New_York")
    with app.test_request_context():
        assert i18n.format_datetime(MOMENTS[4]) == "31 December 2026, 18:30"
        assert i18n.format_date(MOMENTS[4]) == "31 December 2026"


# --- WTForms' own messages: Dutch, from a catalogue loaded once per locale ---------------------

class _NumberForm(FlaskForm):
    number = IntegerField("Aantal")


def test_wtforms_messages_are_dutch_and_their_catalogue_is_kept(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "uploads", WTF_CSRF_ENABLED=False)
    english = "Not a valid integer value."
    errors, catalogues = [], []
    for _ in range(2):
        with app.test_request_context(method="POST", data={"number": "veel"}):
            app.preprocess_request()
            form = _NumberForm()
            assert not form.validate()
            errors.append(form.number.errors)
            catalogues.append(request.wtforms_translations)
    assert catalogues[0] is catalogues[1]  # one catalogue for every request
    dutch = catalogues[0].gettext(english)
    assert dutch != english  # WTForms ships a Dutch catalogue; it is the one in use
    assert errors == [[dutch], [dutch]]


def test_amounts_read_as_flask_babel_writes_them(database_url, tmp_path):
    from decimal import Decimal

    amounts = [Decimal("1234.56"), Decimal("0.05"), Decimal("-12.5"), Decimal("2500000.00"), 3.1]
    for locale in ("nl", "en"):
        app = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE=locale)
        with app.test_request_context():
            for amount in amounts:
                for _ in range(2):  # the second time from the kept texts
                    assert i18n.format_currency(amount, "EUR") == flask_babel.format_currency(
                        amount, "EUR")
            page = render_template_string("{{ a|euro }} / {{ w|euro }}", a=amounts[0], w=2500)
            assert page == f"{flask_babel.format_currency(amounts[0], 'EUR')} / € 2.500"


def test_numbers_in_messages_follow_the_locale(database_url, tmp_path):
    """``format_number`` (the limits in messages such as "maximaal 5.000 tekens"): Dutch
    thousands with a dot, English with a comma, as Flask-Babel's ``format_decimal``."""
    expected = {"nl": ("5.000", "2.500.000", "12"), "en": ("5,000", "2,500,000", "12")}
    for locale, texts in expected.items():
        app = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE=locale)
        with app.test_request_context():
            assert tuple(i18n.format_number(n) for n in (5000, 2500000, 12)) == texts
            assert i18n.format_number(5000) == flask_babel.format_decimal(5000)
