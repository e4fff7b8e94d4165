"""Mail texts an administrator can change: the mail kinds the app declared (per kind the
placeholders it offers and a sample context, see ``kinds``), the sandbox that renders an
administrator's text, its checks on save, and the operations that save and reset a text.

An administrator's text is plain Jinja, like the default files in ``templates/mail/``, but
it is rendered in an immutable sandbox with ``StrictUndefined``: an unknown placeholder, a
call of anything but the portal's own helpers, or an attribute that starts with ``_`` is an
error, never silent output. Without a ``MailTemplate`` row a kind uses its default files.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app, render_template
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError

from .. import audit
from ..auth import require_role
from ..errors import DomainError
from ..extensions import db
from ..i18n import gettext as _
from ..timeutil import utcnow
from ..urls import portal_url
from .kinds import MailKind, declared
from .models import MailTemplate

log = logging.getLogger(__name__)

SUBJECT_MAX = 300  # OutboxMail.subject and MailTemplate.subject
BODY_MAX = 50_000
APP_FILTERS = ("datum", "datumtijd", "euro")
# (form field, Dutch name, is HTML)
PARTS = (("subject", "Onderwerp", False), ("body_text", "Tekst", False),
         ("body_html", "HTML-tekst", True))


# --- the sandbox ---------------------------------------------------------------------------

class MailSandbox(ImmutableSandboxedEnvironment):
    """Calls only what the portal offers (its globals, macros, loop helpers) and the
    methods of strings and dates; never a method of a model or a list."""

    def is_safe_callable(self, obj) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if any(obj is value for value in self.globals.values()):
            return True
        if isinstance(obj, Macro):
            return True
        owner = getattr(obj, "__self__", None)
        return isinstance(owner, (str, date, LoopContext))


def _build_sandbox(autoescape: bool) -> MailSandbox:
    env = MailSandbox(autoescape=autoescape, undefined=StrictUndefined)
    app_env = current_app.jinja_env
    env.filters.pop("safe", None)  # provider data must never become raw HTML in a mail
    env.filters.update({name: app_env.filters[name] for name in APP_FILTERS})
    env.globals["portal_url"] = portal_url
    return env


def sandbox(html: bool) -> MailSandbox:
    """The sandbox of this app: autoescaping for HTML, plain for subject and text."""
    envs = current_app.extensions.setdefault("portal_mail_sandbox", {})
    if html not in envs:
        envs[html] = _build_sandbox(html)
    return envs[html]


@lru_cache(maxsize=512)
def _compile(env: MailSandbox, source: str):
    return env.from_string(source)


# --- the kinds -----------------------------------------------------------------------------

def mail_kinds() -> list[str]:
    """Every kind the portal can send: the kinds the app declared (each has its templates
    ``mail/<kind>.txt`` and ``mail/<kind>.html``; the tests check that)."""
    return sorted(declared())


def spec(kind: str) -> MailKind | None:
    return declared().get(kind)


def sample_context(kind: str) -> dict:
    return declared()[kind].sample()


# --- the default text, as an administrator edits it ----------------------------------------

_BODY_BLOCK_RE = re.compile(r"{%-?\s*block\s+body\s*-?%}(?P<body>.*){%-?\s*endblock\b[^%]*%}", re.S)


def _default_source(name: str) -> str:
    env = current_app.jinja_env
    return env.loader.get_source(env, name)[0]


def default_texts(kind: str) -> dict[str, str]:
    """The default subject, text and HTML body of a kind, in the editor's form: the plain
    Jinja of its files (the HTML body without the layout it extends). The subject is
    ``{{ subject }}``: the subject the portal makes for each mail."""
    text = _default_source(f"mail/{kind}.txt").strip("\n")
    html_source = _default_source(f"mail/{kind}.html")
    block = _BODY_BLOCK_RE.search(html_source)
    html = (block.group("body") if block else html_source).strip("\n")
    return {"subject": "{{ subject }}", "body_text": text, "body_html": html}


# --- checking and rendering ----------------------------------------------------------------

class MailTextError(Exception):
    """An administrator's text cannot be rendered; ``errors`` lists (field, Dutch message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors


@dataclass
class Rendered:
    subject: str
    body_text: str
    body_html: str  # the whole mail: the body in the standard layout


def _placeholder(expression: str) -> str:
    return "{{ " + expression + " }}"


def _unknown_names(env: MailSandbox, tree, context: dict) -> list[str]:
    """Placeholders the kind does not offer, also in branches the sample does not take."""
    allowed = set(context) | set(env.globals)
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Getattr):
        chain, current = [], node
        while isinstance(current, nodes.Getattr):
            chain.append(current.attr)
            current = current.node
        if not (isinstance(current, nodes.Name) and current.name in context
                and current.name not in assigned):
            continue
        value, path = context[current.name], current.name
        for attr in reversed(chain):
            path += "." + attr
            if value is None:
                break
            if attr.startswith("_") or not hasattr(value, attr):
                unknown.append(path)
                break
            value = getattr(value, attr)
    return list(dict.fromkeys(unknown))


def _explain(exc: Exception, part: str) -> str:
    """A Dutch message for what went wrong while compiling or rendering ``part``."""
    if isinstance(exc, TemplateSyntaxError):
        message = exc.message or ""
        unknown_filter = re.search(r"No filter named '([^']+)'", message)
        if unknown_filter:
            return _("%(part)s: het filter ‘%(name)s’ bestaat niet. Gebruik bijvoorbeeld "
                     "|datum, |datumtijd of |euro.", part=part, name=unknown_filter.group(1))
        unknown_test = re.search(r"No test named '([^']+)'", message)
        if unknown_test:
            return _("%(part)s: de test ‘%(name)s’ bestaat niet.", part=part,
                     name=unknown_test.group(1))
        return _("%(part)s, regel %(line)s: de opmaak van een plaatshouder klopt niet. "
                 "Controleer of elke {{ wordt afgesloten met }} en elke {%% met %%}, en of elke "
                 "{%% if %%} en {%% for %%} een {%% endif %%} of {%% endfor %%} heeft. "
                 "(Technische melding: %(message)s)", part=part, line=exc.lineno,
                 message=message)
    if isinstance(exc, UndefinedError):
        message = str(exc)
        attribute = re.search(r"has no attribute '([^']+)'", message)
        name = re.search(r"'([^']+)' is undefined", message)
        what = attribute.group(1) if attribute else name.group(1) if name else message
        return _("%(part)s: onbekende plaatshouder ‘%(what)s’. Gebruik alleen de "
                 "plaatshouders die bij deze e-mail staan.", part=part, what=what)
    if isinstance(exc, SecurityError):
        return _("%(part)s: dit is niet toegestaan in een e-mailtekst. Gebruik alleen de "
                 "plaatshouders die bij deze e-mail staan.", part=part)
    if isinstance(exc, BuildError):
        return _("%(part)s: portal_url kent de pagina ‘%(endpoint)s’ niet (of mist een "
                 "gegeven). Neem de link over uit de lijst met plaatshouders.", part=part,
                 endpoint=exc.endpoint)
    return _("%(part)s: de tekst kan niet worden opgemaakt (%(error_type)s: %(error)s).",
             part=part, error_type=type(exc).__name__, error=exc)


def render_texts(texts: dict[str, str], context: dict, *, check_names: bool = True) -> Rendered:
    """Render subject, text and HTML body (wrapped in the standard layout) in the sandbox.
    Raises MailTextError with a Dutch message per field that fails."""
    errors: list[tuple[str, str]] = []
    out: dict[str, str] = {}
    for field, part, html in PARTS:
        env = sandbox(html)
        source = texts.get(field) or ""
        try:
            if check_names:
                unknown = _unknown_names(env, env.parse(source), context)
                if unknown:
                    listed = ", ".join(f"‘{_placeholder(u)}’" for u in unknown)
                    errors.append((field, _("%(part)s: onbekende plaatshouder %(listed)s. "
                                            "Gebruik alleen de plaatshouders die bij deze "
                                            "e-mail staan.", part=part, listed=listed)))
                    continue
            out[field] = _compile(env, source).render(**context)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            errors.append((field, _explain(exc, part)))
    if "subject" in out:
        out["subject"] = " ".join(out["subject"].split())[:SUBJECT_MAX]
        if not out["subject"]:
            errors.append(("subject", _("Onderwerp: het onderwerp is leeg na het invullen van de "
                                        "plaatshouders.")))
    if errors:
        raise MailTextError(errors)
    # out["body_html"] was rendered by the autoescaping sandbox above (every value escaped);
    # it is HTML already and must not be escaped twice.
    body_html = render_template("admin/mail/_wrapped.html",
                                body=Markup(out["body_html"]),  # nosec B704 - escaped by the sandbox
                                subject=out["subject"])
    return Rendered(subject=out["subject"], body_text=out["body_text"], body_html=body_html)


def render_sample(kind: str, texts: dict[str, str]) -> Rendered:
    """The preview: ``texts`` rendered with the kind's sample context, checked."""
    return render_texts(texts, sample_context(kind))


def render_default_sample(kind: str) -> Rendered:
    """The default files rendered with the sample context (for comparison and preview)."""
    context = sample_context(kind)
    return Rendered(subject=context["subject"],
                    body_text=render_template(f"mail/{kind}.txt", **context),
                    body_html=render_template(f"mail/{kind}.html", **context))


def custom_template(kind: str) -> MailTemplate | None:
    return db.session.scalar(select(MailTemplate).where(MailTemplate.kind == kind))


def render_for_outbox(kind: str, context: dict) -> Rendered | None:
    """The administrator's text for a mail being queued, or None: no text for this kind, or
    it fails on the real data (then the default files apply and the failure is logged)."""
    row = custom_template(kind)
    if row is None:
        return None
    texts = {"subject": row.subject, "body_text": row.body_text, "body_html": row.body_html}
    try:
        return render_texts(texts, context, check_names=False)
    except MailTextError as exc:
        log.warning("mail text %r fails on real data, default used: %s", kind, exc)
        return None


# --- operations ----------------------------------------------------------------------------

def version_of(row: MailTemplate | None) -> int:
    """What an edit form was built on: the text's last change in microseconds; 0: default."""
    if row is None:
        return 0
    return (row.updated_at - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _lines(text: str) -> str:
    """Browsers send a textarea with CRLF line ends; store plain newlines."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def _require_admin(by) -> None:
    require_role(by, "admin", _("Alleen een contractbeheerder kan e-mailteksten wijzigen."))


def _check_version(row: MailTemplate | None, expected_version: int | None) -> None:
    if expected_version is not None and version_of(row) != expected_version:
        raise DomainError(_("Iemand anders heeft deze e-mailtekst intussen gewijzigd. Uw tekst "
                            "staat nog in het formulier; vergelijk die met de huidige tekst en "
                            "sla opnieuw op."))


def save_text(kind: str, *, subject: str, body_text: str, body_html: str, by,
              expected_version: int | None = None) -> MailTemplate:
    """Check the text against the sample context and store it. Raises MailTextError with
    a message per field, or DomainError when someone else changed the text meanwhile."""
    _require_admin(by)
    if spec(kind) is None:
        raise DomainError(_("Deze e-mail bestaat niet."))
    texts = {"subject": subject.strip(), "body_text": _lines(body_text),
             "body_html": _lines(body_html)}
    render_sample(kind, texts)
    row = custom_template(kind)
    _check_version(row, expected_version)
    if row is None:
        row = MailTemplate(kind=kind)
        db.session.add(row)
        action = "mail_template_created"
    else:
        action = "mail_template_changed"
    row.subject, row.body_text, row.body_html = texts["subject"], texts["body_text"], texts["body_html"]
    row.updated_by_id = by.id
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(action, row, actor=by, detail=f"kind={kind}")
    return row


def reset_text(kind: str, *, by, expected_version: int | None = None) -> bool:
    """Back to the default files: the administrator's text is deleted. False if none."""
    _require_admin(by)
    row = custom_template(kind)
    if row is None:
        return False
    _check_version(row, expected_version)
    audit.record("mail_template_reset", row, actor=by, detail=f"kind={kind}")
    db.session.delete(row)
    db.session.flush()
    return True
