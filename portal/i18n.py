"""The templates' gettext, with the translations looked up once per request.

Flask-Babel's own callables resolve the context, the domain and the locale again for every
text a template translates; a page with a few hundred texts spent a fifth of its rendering
time there. The portal has one locale per request (the default, ``BABEL_DEFAULT_LOCALE``),
so the translations Flask-Babel returns are kept on ``g`` for the rest of the request.
Knows no domain part.
"""
from __future__ import annotations

from flask import Flask, g
from flask_babel import get_translations


def _translations():
    try:
        return g._portal_translations
    except AttributeError:
        g._portal_translations = translations = get_translations()
        return translations
    except RuntimeError:  # outside an application context: Flask-Babel's null translations
        return get_translations()


def install(app: Flask) -> None:
    """Replace the Jinja gettext callables that Flask-Babel installed (after babel.init_app)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
