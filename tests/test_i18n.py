"""The templates' gettext (portal.i18n): the translations Flask-Babel finds for the
request's locale, looked up once per request. No catalogue ships yet (the portal is Dutch);
an English one made here shows that one would be used, singular and plural."""
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import g, render_template_string

from tests.conftest import make_app


def _english(directory) -> None:
    catalog = Catalog(locale="en")
    catalog.add("Inloggen", "Log in")
    catalog.add(("%(num)s aanmelding", "%(num)s aanmeldingen"),
                ("%(num)s application", "%(num)s applications"))
    (directory / "en" / "LC_MESSAGES").mkdir(parents=True)
    with open(directory / "en" / "LC_MESSAGES" / "messages.mo", "wb") as out:
        write_mo(out, catalog)


TEMPLATE = ("{{ _('Inloggen') }} | {% trans num=n %}{{ num }} aanmelding{% pluralize %}"
            "{{ num }} aanmeldingen{% endtrans %} | {{ _('Niet vertaald') }}")


def test_templates_use_the_locales_translations(database_url, tmp_path):
    _english(tmp_path / "translations")
    english = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE="en",
                       BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    with english.test_request_context():
        assert render_template_string(TEMPLATE, n=1) == "Log in | 1 application | Niet vertaald"
        assert render_template_string(TEMPLATE, n=3) == "Log in | 3 applications | Niet vertaald"
        assert g._portal_translations is not None  # looked up once, kept for the request
    dutch = make_app(database_url, tmp_path / "uploads")
    with dutch.test_request_context():
        assert render_template_string(TEMPLATE, n=3) == "Inloggen | 3 aanmeldingen | Niet vertaald"
