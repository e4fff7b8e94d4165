"""Translations and dates for the templates, with what they need looked up once per request.

Flask-Babel's own callables resolve the context, the domain, the locale and the time zone
again for every text and every date a template shows; a page with a few hundred texts spent
a fifth of its rendering time on the texts, and a list of 80 rows another fifth on its dates.
The portal has one locale and one time zone per request (the defaults, ``BABEL_DEFAULT_LOCALE``
and ``BABEL_DEFAULT_TIMEZONE``), so what Flask-Babel returns for them is kept for the rest
of the request (or of the application context, in a command). The results are the same
as Flask-Babel's ``format_date`` and ``format_datetime``; tests/test_i18n.py compares them.

Jinja's own newstyle callables (``_``, ``gettext`` and the rest) take the template's whole
context: called inside a loop, every call copies that context with the loop's variables (about
a seventh of the assessment page's rendering). ``install`` puts callables in their place that take
only the evaluation context (for autoescaping) and otherwise do what Jinja's do: the text is
always a format string, ``num`` and ``context`` are filled in, and in an autoescaped template
the text is Markup, so its variables are escaped.

Flask-WTF also loads WTForms' own catalogue (its Dutch field messages) from disk for every
request that builds a form; ``install`` keeps one copy per locale instead.
Knows no domain part.
"""
from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import lru_cache

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import Translations
from flask import Flask, appcontext_popped, appcontext_pushed, has_app_context, request
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

DATE = "d MMMM y"
DATETIME = "d MMMM y, HH:mm"
_PLAIN = (int, float)  # variables that need no escaping (and keep %d and %f working)


# What Flask-Babel returned, for the current application context: a context variable is read
# in a fraction of the time ``g`` takes (a proxy), and a page asks once per text. Emptied when
# an application context is pushed or popped (``install``), so each context asks again.
_TRANSLATIONS: ContextVar = ContextVar("portal_translations", default=None)
_LOCALE_ZONE: ContextVar = ContextVar("portal_locale_zone", default=None)


def _forget(_sender=None, **_extra) -> None:
    _TRANSLATIONS.set(None)
    _LOCALE_ZONE.set(None)


def _translations():
    translations = _TRANSLATIONS.get()
    if translations is None:
        translations = get_translations()
        if has_app_context():  # outside one: Flask-Babel's null translations, not kept
            _TRANSLATIONS.set(translations)
    return translations


def _locale_and_zone():
    found = _LOCALE_ZONE.get()
    if found is None:
        found = (get_locale(), get_timezone())
        if has_app_context():
            _LOCALE_ZONE.set(found)
    return found


@lru_cache(maxsize=4096)
def _date_text(value: date, locale: Locale, pattern: str) -> str:
    return babel_dates.format_date(value, pattern, locale=locale)


def format_date(value: date | datetime, pattern: str = DATE) -> str:
    """A date as Flask-Babel shows it; a datetime is first taken to the local time zone."""
    locale, zone = _locale_and_zone()
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        value = value.date()
    return _date_text(value, locale, pattern)


@lru_cache(maxsize=4096)
def _datetime_text(value: datetime, zone, locale: Locale, pattern: str) -> str:
    return babel_dates.format_datetime(value, pattern, tzinfo=zone, locale=locale)


def format_datetime(value: datetime, pattern: str = DATETIME) -> str:
    """A moment in the local time zone, as Flask-Babel shows it (naive values are UTC).
    Kept per moment, zone, locale and pattern: a page's history shows the same moments on
    every visit."""
    locale, zone = _locale_and_zone()
    return _datetime_text(value, zone, locale, pattern)


@lru_cache(maxsize=4096)
def _currency_text(value, currency: str, locale: Locale) -> str:
    return babel_numbers.format_currency(value, currency, locale=locale)


def format_currency(value, currency: str) -> str:
    """An amount as Flask-Babel's ``format_currency`` shows it, kept per amount (a page of
    tariffs shows the same amounts on every visit)."""
    return _currency_text(value, currency, _locale_and_zone()[0])


@lru_cache(maxsize=1024)
def _number_text(value, locale: Locale) -> str:
    return babel_numbers.format_decimal(value, locale=locale)


def format_number(value) -> str:
    """A number as the locale writes it in a sentence (Dutch: 5.000), for messages such as
    "maximaal 5.000 tekens"."""
    return _number_text(value, _locale_and_zone()[0])


@lru_cache(maxsize=8)
def _wtforms_translations(locale: Locale) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


def _keep_wtforms_translations() -> None:
    # Flask-WTF reads request.wtforms_translations before it loads the catalogue itself.
    request.wtforms_translations = _wtforms_translations(_locale_and_zone()[0])


def _formatted(eval_ctx, text: str, variables: dict):
    # As Jinja's newstyle gettext: Markup in an autoescaped template, always formatted (so
    # "%%" is "%"). Without variables nothing needs escaping: the text is formatted as a
    # plain string, which costs a fraction of Markup's formatting. The text is a template's
    # own (or its translation in the portal's catalogue), never a visitor's; the variables
    # are escaped (in an autoescaped template) before they are put in.
    if not variables:
        text = text % variables
        return Markup(text) if eval_ctx.autoescape else text  # nosec B704
    if not eval_ctx.autoescape:
        return text % variables
    # Markup's formatting wraps every variable in a helper that escapes it; escaping them
    # first (numbers need none, and keep %d working) gives the same Markup in half the time.
    # Anything else the format asks of a variable: Markup's own way.
    escaped = {name: value if type(value) in _PLAIN else escape(value)
               for name, value in variables.items()}
    try:
        return Markup(text % escaped)  # nosec B704
    except (TypeError, ValueError):
        return Markup(text) % variables  # nosec B704


@pass_eval_context
def _gettext(eval_ctx, string: str, **variables):
    return _formatted(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def _ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _pgettext(eval_ctx, context: str, string: str, **variables):
    variables.setdefault("context", context)
    return _formatted(eval_ctx, _translations().upgettext(context, string), variables)


@pass_eval_context
def _npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _translations().unpgettext(context, singular, plural, num),
                      variables)


def N_(string: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """Marks a message kept in a module-level constant for pybabel (which extracts ``N_``
    as it does ``_``) without translating it when the module is imported; ``_(CONSTANT)``
    translates it where it is shown."""
    return string


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext`` for Python code (flash messages, refusals, labels of forms
    built per request), with the translations looked up once per application context as
    for the templates: formatted with ``variables`` only when there are any."""
    text = _translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ``ngettext`` for Python code: always formatted, ``num`` included."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def install(app: Flask) -> None:
    """Replace the Jinja gettext callables that Flask-Babel installed (after babel.init_app)."""
    env = app.jinja_env
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # newstyle {% trans %}
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext,
                       npgettext=_npgettext)
    app.before_request(_keep_wtforms_translations)
    appcontext_pushed.connect(_forget, app)
    appcontext_popped.connect(_forget, app)
