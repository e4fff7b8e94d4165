"""Mail texts: every mail kind is documented with its placeholders and a sample; an
administrator's text is checked on save in a sandbox (a broken or unknown placeholder is
refused, the typed text kept), previewed with sample data, reset to the default, and
used for real mail (what the SMTP catcher receives)."""
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, MailTemplate
from portal.notifications import mail_texts
from portal.notifications.delivery import send_queued
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import submitted_application

URL = "/beheer/mailteksten/receipt"


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _texts(subject="{{ subject }}", text="Tekst {{ application.reference }}",
           html="<p>HTML {{ application.reference }}</p>", action="opslaan"):
    return {"subject": subject, "body_text": text, "body_html": html, "action": action}


def _errors(response):
    return [unescape(m) for m in re.findall(r'class="error-message"[^>]*>([^<]*)<',
                                            response.get_data(as_text=True))]


def _submit_application(app, org_name=None, category="pleegzorg"):
    with app.app_context():
        provider = user(PROVIDER)
        if org_name:
            provider.organisation.name = org_name
        application = submitted_application(provider, category)
        db.session.commit()
        reference = application.reference
        send_queued()
        return reference


def _receipt(smtp):
    """The receipt the SMTP catcher got for the provider (the organisation gets one too)."""
    smtp.wait_for(2)
    [mail] = smtp.find(to=PROVIDER)
    return mail


def _stored(app, kind="receipt"):
    with app.app_context():
        return db.session.scalar(select(MailTemplate).where(MailTemplate.kind == kind))


# --- who may ---------------------------------------------------------------------------------

def test_only_administrators_reach_the_mail_texts(app):
    with app.app_context():
        db.session.add(MailTemplate(kind="receipt", subject="{{ subject }}", body_text="x",
                                    body_html="<p>x</p>"))
        db.session.commit()
    pages = ["/beheer/mailteksten", URL, URL + "/standaard"]
    for who in (PROVIDER, ASSESSOR_1):
        client = _client(app, who)
        for url in pages:
            assert client.get(url).status_code == 403, (who, url)
        for url in (URL, URL + "/standaard"):
            response = post(client, url, _texts(text="Gekaapt"), token_from="/account")
            assert response.status_code == 403, (who, url)
    assert app.test_client().get(URL).status_code == 302
    assert _stored(app).body_text == "x"


def test_unknown_kind_is_not_found(app):
    admin = _client(app, ADMIN)
    assert admin.get("/beheer/mailteksten/bestaat_niet").status_code == 404
    assert admin.get("/beheer/mailteksten/_layout").status_code == 404


# --- the registry ----------------------------------------------------------------------------

def test_every_mail_kind_is_listed_and_documented(app):
    admin = _client(app, ADMIN)
    html = admin.get("/beheer/mailteksten").get_data(as_text=True)
    with app.app_context():
        kinds = mail_texts.mail_kinds()
        undocumented = [k for k in kinds if mail_texts.spec(k) is None]
    files = {p.stem for p in (Path(app.template_folder) / "mail").glob("*.txt")
             if not p.stem.startswith("_")}
    assert set(kinds) == files and "staff_invitation" in kinds and "receipt" in kinds
    assert undocumented == [], ("declare these mail kinds in the KINDS of the mails module of "
                                "the part that sends them (portal/<part>/mails.py)")
    for kind in kinds:
        assert f'href="/beheer/mailteksten/{kind}"' in html


def test_default_texts_render_like_the_default_files_with_the_sample(app):
    """The editor starts from the default text without translation markers; rendered with
    the sample context it gives the same mail as the default files."""
    def norm(text):
        return " ".join(text.split())

    with app.test_request_context():
        for kind in mail_texts.mail_kinds():
            texts = mail_texts.default_texts(kind)
            assert "{% trans" not in texts["body_text"] + texts["body_html"], kind
            assert "{{ _(" not in texts["body_text"] + texts["body_html"], kind
            assert "{% extends" not in texts["body_html"], kind
            mine = mail_texts.render_sample(kind, texts)
            default = mail_texts.render_default_sample(kind)
            assert mine.subject == default.subject, kind
            assert norm(mine.body_text) == norm(default.body_text), kind
            assert norm(mine.body_html) == norm(default.body_html), kind


def test_every_documented_placeholder_works_with_the_sample(app):
    with app.test_request_context():
        for kind in mail_texts.mail_kinds():
            spec = mail_texts.spec(kind)
            assert any(p.expression == "subject" for p in spec.placeholders)
            for placeholder in spec.placeholders:
                source = "{{ " + placeholder.expression + " }}"
                rendered = mail_texts.render_sample(kind, {
                    "subject": "x", "body_text": source, "body_html": "<p>" + source + "</p>"})
                assert rendered.body_text.strip(), (kind, placeholder.expression)


def test_the_default_mail_files_are_plain_jinja(app):
    """No translation markers: each file (and the layout) parses without the i18n extension
    and calls no gettext, so the editor shows it as it is."""
    from jinja2 import Environment, meta

    plain = Environment()  # the portal's filters and tests, but no i18n extension
    plain.filters.update(app.jinja_env.filters)
    plain.tests.update(app.jinja_env.tests)
    folder = Path(app.template_folder) / "mail"
    files = sorted(folder.glob("*.txt")) + sorted(folder.glob("*.html"))
    assert len(files) > 2
    for path in files:
        tree = plain.parse(path.read_text(encoding="utf-8"))  # {% trans %} fails here
        names = meta.find_undeclared_variables(tree)
        assert not names & {"_", "gettext", "ngettext"}, path.name


# --- checks on save --------------------------------------------------------------------------

@pytest.mark.parametrize("texts, field, message", [
    (_texts(text="Beste {{ application.reference }"), "Tekst, regel 1",
     "de opmaak van een plaatshouder klopt niet"),
    (_texts(html="<p>{% if weeks %}{{ weeks }}</p>"), "HTML-tekst", "de opmaak van een plaatshouder"),
    (_texts(subject="{{ kenmerk }}"), "Onderwerp", "onbekende plaatshouder ‘{{ kenmerk }}’"),
    (_texts(text="{{ application.kenmerk }}"), "Tekst",
     "onbekende plaatshouder ‘{{ application.kenmerk }}’"),
    (_texts(text="{% if weeks > 100 %}{{ application.organisation.iban }}{% endif %}"), "Tekst",
     "onbekende plaatshouder ‘{{ application.organisation.iban }}’"),
    (_texts(text="{% if weeks > 100 %}{{ attachment }}{% endif %}"), "Tekst",
     "onbekende plaatshouder ‘{{ attachment }}’"),
    (_texts(text="{{ application.submitted_at|datum_tijd }}"), "Tekst",
     "het filter ‘datum_tijd’ bestaat niet"),
    (_texts(html="<p>{{ application.reference|safe }}</p>"), "HTML-tekst",
     "het filter ‘safe’ bestaat niet"),
    (_texts(text="{{ application.categories.append(1) }}"), "Tekst", "niet toegestaan"),
    (_texts(text="{{ application.__class__ }}"), "Tekst", "onbekende plaatshouder"),
    (_texts(text="{{ portal_url('bestaat.niet') }}"), "Tekst", "portal_url kent de pagina"),
    (_texts(subject="{% if false %}x{% endif %}"), "Onderwerp", "het onderwerp is leeg"),
])
def test_broken_or_unknown_placeholders_are_refused_and_the_text_kept(app, texts, field, message):
    admin = _client(app, ADMIN)
    response = post(admin, URL, texts)
    assert response.status_code == 422
    errors = _errors(response)
    assert any(e.startswith(field) and message in e for e in errors), errors
    html = unescape(response.get_data(as_text=True))
    for name in ("subject", "body_text", "body_html"):
        assert texts[name] in html  # the typed text is still in the form
    assert _stored(app) is None
    # The preview refuses the same text in the same words.
    preview = post(admin, URL, dict(texts, action="voorbeeld"))
    assert preview.status_code == 422 and _errors(preview) == errors


def test_empty_fields_are_refused(app):
    admin = _client(app, ADMIN)
    response = post(admin, URL, _texts(subject=" ", text="", html=""))
    assert response.status_code == 422
    assert {"Vul het onderwerp in.", "Vul de tekst in.", "Vul de HTML-tekst in."} <= set(_errors(response))


# --- preview, save, reset --------------------------------------------------------------------

def test_editor_shows_the_default_and_the_placeholders(app):
    admin = _client(app, ADMIN)
    html = unescape(admin.get(URL).get_data(as_text=True))
    assert "Standaardtekst" in html
    assert "{{ application.reference }}" in html and "kenmerk van de aanmelding" in html
    assert "{{ weeks }}" in html and "beslistermijn in weken" in html
    assert 'value="{{ subject }}"' in html
    assert "Wij hebben de aanmelding van {{ application.organisation.name }}" in html
    assert "Standaardtekst terugzetten" not in html


def test_preview_renders_subject_text_and_html_with_sample_data(app):
    admin = _client(app, ADMIN)
    texts = _texts(subject="Ontvangen: {{ application.reference }}",
                   text="Beste {{ application.organisation.name }}, kenmerk {{ application.reference }}.",
                   html="<p>Kenmerk <strong>{{ application.reference }}</strong> van "
                        "{{ application.submitted_at|datum }}</p>", action="voorbeeld")
    response = post(admin, URL, texts)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<dd>Ontvangen: WMB-2027-0042</dd>" in page
    assert '<pre class="mail-text">Beste Stichting Voorbeeld Jeugdzorg, kenmerk WMB-2027-0042.</pre>' in page
    frame = re.search(r'<iframe class="mail-frame" title="[^"]+" sandbox srcdoc="([^"]*)"', page)
    assert frame, "the HTML preview is in a sandboxed iframe"
    document = unescape(frame.group(1))
    assert "<strong>WMB-2027-0042</strong> van 1 maart 2027" in document
    assert "Regio West-Brabant Oost Jeugd – Wonen met begeleiding" in document  # the layout
    assert "style-src 'self' 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert _stored(app) is None  # a preview stores nothing


def test_saved_text_is_what_the_smtp_catcher_receives_and_reset_restores_the_default(app, smtp):
    admin = _client(app, ADMIN)
    texts = _texts(
        subject="Ontvangen: {{ application.reference }} ({{ application.organisation.name }})",
        text="Beste {{ application.organisation.name }},\n\nUw aanmelding {{ application.reference }} "
             "is binnen. Wij besluiten uiterlijk {{ application.decision_due|datum }}.\n"
             "{{ portal_url('applications.edit', application_id=application.id) }}",
        html="<p>Beste {{ application.organisation.name }},</p><p>Aanmelding "
             "<strong>{{ application.reference }}</strong> is binnen.</p>")
    response = post(admin, URL, texts)
    assert response.status_code == 302
    page = admin.get(URL).get_data(as_text=True)
    assert "is opgeslagen" in page and "Eigen tekst, gewijzigd op" in page
    stored = _stored(app)
    assert stored.subject == texts["subject"] and stored.body_text == texts["body_text"]

    # Real mail: the provider's name has HTML in it, which the HTML part must escape.
    reference = _submit_application(app, org_name="De Linde <b>& Co</b>")
    mail = _receipt(smtp)
    assert mail["Subject"] == f"Ontvangen: {reference} (De Linde <b>& Co</b>)"
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(f"Beste De Linde <b>& Co</b>,\n\nUw aanmelding {reference} is binnen.")
    assert re.search(r"http://localhost/aanmeldingen/\d+", text)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f"<strong>{reference}</strong> is binnen." in html
    assert "De Linde &lt;b&gt;&amp; Co&lt;/b&gt;" in html and "<b>& Co</b>" not in html
    assert "Regio West-Brabant Oost Jeugd – Wonen met begeleiding" in html  # standard layout
    assert f"<title>Ontvangen: {reference} (De Linde &lt;b&gt;&amp; Co&lt;/b&gt;)</title>" in html

    # Reset: the row is deleted and the next mail uses the default files again.
    confirm = admin.get(URL + "/standaard").get_data(as_text=True)
    assert "Uw eigen tekst voor deze e-mail wordt verwijderd." in confirm
    response = post(admin, URL + "/standaard", {})
    assert response.status_code == 302
    assert "gebruikt weer de standaardtekst" in admin.get(URL).get_data(as_text=True)
    assert _stored(app) is None
    smtp.clear()
    second = _submit_application(app, category="leefgroepen")
    mail = _receipt(smtp)
    assert mail["Subject"] == f"Ontvangstbevestiging aanmelding {second}"
    assert "Wij hebben de aanmelding van" in mail.get_body(preferencelist=("plain",)).get_content()

    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "mail_templates").order_by(AuditEvent.id)).all()
        actor = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "mail_templates", AuditEvent.actor_id == user(ADMIN).id))
    assert actions == ["mail_template_created", "mail_template_reset"] and actor == 2


def test_a_second_save_changes_the_text_and_a_stale_form_is_refused(app):
    admin = _client(app, ADMIN)
    post(admin, URL, _texts(text="Eerste {{ application.reference }}"))
    stale_page = admin.get(URL).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', stale_page).group(1)
    assert int(version) > 0
    assert post(admin, URL, _texts(text="Tweede {{ application.reference }}")).status_code == 302
    response = post(admin, URL, dict(_texts(text="Derde {{ application.reference }}"),
                                     version=version))
    assert response.status_code == 409
    assert "Iemand anders heeft deze e-mailtekst intussen gewijzigd" in \
        unescape(response.get_data(as_text=True))
    assert "Derde {{ application.reference }}" in unescape(response.get_data(as_text=True))
    assert _stored(app).body_text == "Tweede {{ application.reference }}"
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "mail_templates").order_by(AuditEvent.id)).all()
    assert actions == ["mail_template_created", "mail_template_changed"]


def test_a_text_that_fails_on_real_data_falls_back_to_the_default(app, smtp, caplog, monkeypatch):
    """The sample has an assessor; a fresh application has none: the mail still goes out."""
    monkeypatch.setattr(mail_texts.log, "disabled", False)  # Alembic's fileConfig disables it
    admin = _client(app, ADMIN)
    assert post(admin, URL, _texts(text="Beoordelaar: {{ application.assessor.full_name }}")
                ).status_code == 302
    reference = _submit_application(app)
    mail = _receipt(smtp)
    assert mail["Subject"] == f"Ontvangstbevestiging aanmelding {reference}"
    assert "Beoordelaar:" not in mail.get_body(preferencelist=("plain",)).get_content()
    assert "mail text 'receipt' fails on real data, default used" in caplog.text


def test_the_sandbox_refuses_what_a_text_may_not_do(app):
    with app.test_request_context():
        context = mail_texts.sample_context("receipt")
        for source in ("{{ application.categories.pop() }}", "{{ ''.__class__.__mro__ }}",
                       "{{ lipsum.__globals__ }}", "{% for x in range(10**9) %}{% endfor %}"):
            with pytest.raises(mail_texts.MailTextError):
                mail_texts.render_texts({"subject": "x", "body_text": source,
                                         "body_html": "<p>x</p>"}, context, check_names=False)
        # String and date methods and the portal's helpers are fine.
        rendered = mail_texts.render_texts(
            {"subject": "{{ application.reference.lower() }}",
             "body_text": "{{ application.submitted_at.strftime('%Y') }} {{ 'x'|upper }}",
             "body_html": "<p>{{ portal_url('procedure.home') }}</p>"}, context)
        assert rendered.subject == "wmb-2027-0042" and rendered.body_text == "2027 X"
        assert len(context["application"].categories) == 2
