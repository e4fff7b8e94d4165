"""Questions and answers (vragen en antwoorden, nota van inlichtingen): through the test
client with the real SMTP catcher, plus the rules of portal.procedure.qa."""
import pytest
from sqlalchemy import event, select

from portal.accounts.models import Organisation, OrgRole, Role, User
from portal.audit.models import AuditEvent
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.models import Procedure, Question
from portal.procedure import qa
from portal.timeutil import utcnow
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user

MAX_STATEMENTS = 15
ORG = "Stichting Gezinshuis De Linde (demo)"


def _org_user(email, *, org_name="Jeugdhuis Het Baken", kvk="87654321", confirmed=True,
              active=True, opted_in=False, organisation=None):
    """A provider user (and organisation) made directly in the database."""
    if organisation is None:
        organisation = db.session.scalar(select(Organisation).where(Organisation.kvk_number == kvk))
    if organisation is None:
        organisation = Organisation(name=org_name, kvk_number=kvk, street="Markt 1",
                                    postal_code="4811 AA", city="Breda",
                                    contact_email=f"info@{kvk}.example")
    person = User(email=email, full_name=email.split("@")[0].title(), password_hash="x",
                  role=Role.PROVIDER, organisation=organisation, org_role=OrgRole.MEDEWERKER,
                  email_confirmed_at=utcnow() if confirmed else None, is_active_account=active,
                  qa_notifications=opted_in)
    db.session.add(person)
    db.session.flush()
    return person


def _deliver():
    """Send what direct workflow calls queued (a request sends its own mail afterwards)."""
    from portal.notifications import delivery

    delivery.send_queued()


def _ask(app, email=PROVIDER, subject="Tarief 2027",
         body="Wij, Stichting Gezinshuis De Linde (demo), vragen: welk tarief geldt in 2027?"):
    with app.app_context():
        question = qa.ask(db.session.scalar(select(Procedure)), subject, body, by=user(email))
        db.session.commit()
        question_id = question.id
        _deliver()
        return question_id


def _parts(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def _admin(app):
    client = app.test_client()
    login(client, ADMIN)
    return client


# --- asking -----------------------------------------------------------------------------

def test_provider_asks_a_question_and_gets_a_receipt(app, provider_client, smtp):
    form = provider_client.get("/vragen/stellen").get_data(as_text=True)
    assert "Vraag stellen over de procedure" in form and 'name="csrf_token"' in form

    response = post(provider_client, "/vragen/stellen", {
        "subject": "Tarief gezinshuiszorg 2027",
        "body": "Welk tarief geldt in 2027?\n\nEn wordt het geïndexeerd?"})
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(Question))
        demo = user(PROVIDER)
        assert (question.asked_by_id, question.organisation_id) == (demo.id, demo.organisation_id)
        assert question.subject == "Tarief gezinshuiszorg 2027"
        assert question.answered_at is None and question.published_at is None
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_type == "questions", AuditEvent.object_id == question.id)) \
            == "question_asked"
    assert response.location.endswith(f"/vragen/mijn/{question.id}")

    page = provider_client.get(response.location).get_data(as_text=True)
    assert "Uw vraag is verstuurd" in page
    assert "<p>Welk tarief geldt in 2027?</p>" in page  # paragraphs kept
    assert "nog niet beantwoord" in page

    smtp.wait_for(1)
    [mail] = smtp.find(to=PROVIDER, subject_contains="Ontvangstbevestiging van uw vraag")
    assert "Tarief gezinshuiszorg 2027" in mail["Subject"]
    text, html = _parts(mail)
    assert "Wij hebben uw vraag over" in text and "En wordt het geïndexeerd?" in text
    assert f"http://localhost/vragen/mijn/{question.id}" in text
    assert "Wij hebben uw vraag over" in html and f"/vragen/mijn/{question.id}" in html

    mine = provider_client.get("/vragen/mijn").get_data(as_text=True)
    assert "Tarief gezinshuiszorg 2027" in mine and "Anna de Vries" in mine


def test_ask_form_shows_clear_dutch_messages(app, provider_client, smtp):
    empty = post(provider_client, "/vragen/stellen", {"subject": "  ", "body": ""})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert "Er zijn 2 problemen" in html
    assert 'href="#subject"' in html and "Onderwerp: Vul een onderwerp in." in html
    assert 'href="#body"' in html and "Uw vraag: Vul uw vraag in." in html
    assert 'aria-invalid="true"' in html

    too_long = post(provider_client, "/vragen/stellen", {"subject": "x" * 201, "body": "y" * 5001})
    assert too_long.status_code == 422
    html = too_long.get_data(as_text=True)
    assert "Het onderwerp mag maximaal 200 tekens lang zijn." in html
    assert "Uw vraag mag maximaal 5.000 tekens lang zijn." in html

    # Exactly at the limits is fine.
    assert post(provider_client, "/vragen/stellen",
                {"subject": "x" * 200, "body": "y" * 5000}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Question)) == 1

    # Without the CSRF token nothing is stored.
    response = provider_client.post("/vragen/stellen", data={"subject": "a", "body": "b"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Question)) == 1


def test_only_providers_ask_and_guests_are_sent_to_login(app, client):
    response = client.get("/vragen/stellen")
    assert response.status_code == 302 and "/inloggen" in response.location
    assert client.get("/vragen/mijn").status_code == 302
    assert client.get("/vragen/meldingen").status_code == 302
    admin = _admin(app)
    assert admin.get("/vragen/stellen").status_code == 403
    with app.app_context():
        with pytest.raises(NotPermitted):
            qa.ask(db.session.scalar(select(Procedure)), "Onderwerp", "Vraag", by=user(ADMIN))
        unconfirmed = _org_user("nieuw@baken.example", confirmed=False)
        with pytest.raises(NotPermitted):
            qa.ask(db.session.scalar(select(Procedure)), "Onderwerp", "Vraag", by=unconfirmed)


def test_another_organisations_question_is_not_found(app, provider_client):
    own = _ask(app)
    with app.app_context():
        _org_user("vrager@baken.example")
        db.session.commit()
    other = _ask(app, email="vrager@baken.example", subject="Vraag van Het Baken",
                 body="Wat moet Het Baken doen?")
    assert provider_client.get(f"/vragen/mijn/{own}").status_code == 200
    assert provider_client.get(f"/vragen/mijn/{other}").status_code == 404
    assert provider_client.get("/vragen/mijn/999999").status_code == 404
    mine = provider_client.get("/vragen/mijn").get_data(as_text=True)
    assert "Tarief 2027" in mine and "Vraag van Het Baken" not in mine

    # A colleague of the asker sees the question too.
    with app.app_context():
        _org_user("collega@demo.example", organisation=user(PROVIDER).organisation)
        db.session.commit()
        colleague = db.session.scalar(select(User).where(User.email == "collega@demo.example"))
        colleague.password_hash = user(PROVIDER).password_hash
        db.session.commit()
    other_client = app.test_client()
    login(other_client, "collega@demo.example")
    assert other_client.get(f"/vragen/mijn/{own}").status_code == 200
    assert other_client.get(f"/vragen/mijn/{other}").status_code == 404


# --- administrators ------------------------------------------------------------------------

def test_provider_and_assessor_get_403_on_admin_pages(app, provider_client):
    question_id = _ask(app)
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    for client in (provider_client, assessor):
        assert client.get("/beheer/vragen").status_code == 403
        assert client.get(f"/beheer/vragen/{question_id}").status_code == 403
        for action in ("antwoord", "publiceren", "publicatie-intrekken"):
            response = post(client, f"/beheer/vragen/{question_id}/{action}",
                            {"answer": "Nee.", "version": "0"}, token_from="/vragen")
            assert response.status_code == 403
    guest = app.test_client()
    assert guest.get("/beheer/vragen").status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.answer is None
        with pytest.raises(NotPermitted):
            qa.answer(question, "Nee.", by=user(PROVIDER))
        with pytest.raises(NotPermitted):
            qa.answer(question, "Nee.", by=user(ASSESSOR_1))


def test_admin_list_shows_unanswered_first_with_organisation(app):
    first = _ask(app, subject="Eerste vraag")
    second = _ask(app, subject="Tweede vraag")
    assert second > first
    third = _ask(app, subject="Derde vraag")
    with app.app_context():
        qa.answer(db.session.get(Question, first), "Antwoord.", by=user(ADMIN))
        db.session.commit()
    admin = _admin(app)
    html = admin.get("/beheer/vragen").get_data(as_text=True)
    assert "2 vragen zijn nog niet beantwoord." in html
    assert html.index("Tweede vraag") < html.index("Derde vraag") < html.index("Eerste vraag")
    assert ORG in html and "Anna de Vries" in html
    open_only = admin.get("/beheer/vragen?status=open").get_data(as_text=True)
    assert "Eerste vraag" not in open_only and "Tweede vraag" in open_only
    answered = admin.get("/beheer/vragen?status=beantwoord").get_data(as_text=True)
    assert "Eerste vraag" in answered and "Tweede vraag" not in answered
    assert f'href="/beheer/vragen/{third}"' in html
    assert admin.get("/beheer/vragen/999999").status_code == 404


def test_admin_answers_publishes_anonymised_and_opted_in_users_are_mailed(app, smtp):
    with app.app_context():
        _org_user("abonnee@baken.example", opted_in=True)
        _org_user("geen-abonnee@baken.example", opted_in=False)
        _org_user("inactief@baken.example", opted_in=True, active=False)
        _org_user("onbevestigd@baken.example", opted_in=True, confirmed=False)
        db.session.commit()
    question_id = _ask(app)
    detail = f"/beheer/vragen/{question_id}"
    admin = _admin(app)
    smtp.wait_for(1)
    smtp.clear()

    page = admin.get(detail).get_data(as_text=True)
    assert ORG in page and "Anna de Vries" in page and "aanbieder@demo.nl" in page
    assert "Beantwoord de vraag eerst" in page
    # An empty answer is refused with a message at the field.
    response = post(admin, detail + "/antwoord", {"answer": ""}, token_from=detail)
    assert response.status_code == 422
    assert "Schrijf een antwoord." in response.get_data(as_text=True)

    response = post(admin, detail + "/antwoord",
                    {"answer": "Het tarief staat in bijlage 3 bij de procedure."}, token_from=detail)
    assert response.status_code == 302
    smtp.wait_for(1)
    [mail] = smtp.find(to=PROVIDER, subject_contains="Antwoord op uw vraag: Tarief 2027")
    text, html = _parts(mail)
    assert "De regio heeft uw vraag over" in text
    assert "Het tarief staat in bijlage 3 bij de procedure." in text
    assert "Het tarief staat in bijlage 3 bij de procedure." in html
    assert len(smtp.messages) == 1  # nobody else hears of an answer

    # The publish form is pre-filled with the question and the answer, and says to anonymise.
    page = admin.get(detail).get_data(as_text=True)
    assert "Haal namen van organisaties en personen weg." in page
    assert "Wij, Stichting Gezinshuis De Linde (demo), vragen" in page.split('id="public_question"')[1]
    assert "Het tarief staat in bijlage 3" in page.split('id="public_answer"')[1]

    anonymised = {"public_question": "Een aanbieder vraagt: welk tarief geldt in 2027?",
                  "public_answer": "Het tarief staat in bijlage 3 bij de procedure."}
    # Without confirming the anonymisation nothing is published.
    response = post(admin, detail + "/publiceren", anonymised, token_from=detail)
    assert response.status_code == 422
    assert "Bevestig dat de vraag en het antwoord geen namen" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, question_id).published_at is None

    response = post(admin, detail + "/publiceren", {**anonymised, "anonymised": "y"},
                    token_from=detail)
    assert response.status_code == 302
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.published_at is not None
        assert question.public_question == anonymised["public_question"]
        assert question.body.startswith("Wij, Stichting")  # the original stays as it was

    smtp.wait_for(2)
    published = smtp.find(subject_contains="Nieuwe vraag en antwoord gepubliceerd")
    assert [m["To"] for m in published] == ["abonnee@baken.example"]
    text, html = _parts(published[0])
    assert f"Vraag {question_id}: Een aanbieder vraagt: welk tarief geldt in 2027?" in text
    assert f"http://localhost/vragen#vraag-{question_id}" in text
    assert "http://localhost/vragen/meldingen" in text  # how to stop these mails
    assert f'href="http://localhost/vragen#vraag-{question_id}"' in html
    assert "De Linde" not in text + html and "Tarief 2027" not in text + html

    # Editing the published text mails nobody again.
    smtp.clear()
    response = post(admin, detail + "/publiceren",
                    {**anonymised, "public_answer": "Zie bijlage 3.", "anonymised": "y"},
                    token_from=detail)
    assert response.status_code == 302
    assert "De gepubliceerde tekst is bijgewerkt." in admin.get(detail).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, question_id).public_answer == "Zie bijlage 3."
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "questions", AuditEvent.object_id == question_id)
            .order_by(AuditEvent.id)).all()
    assert actions == ["question_asked", "question_answered", "question_published",
                       "question_public_text_changed"]
    assert smtp.messages == []


def test_public_page_shows_only_published_anonymised_text(app, client):
    published = _ask(app, subject="Onderwerp met De Linde")
    hidden = _ask(app, subject="Nog geheim", body="Deze vraag is nooit gepubliceerd, over AGB.")
    with app.app_context():
        admin = user(ADMIN)
        question = db.session.get(Question, published)
        qa.answer(question, "Antwoord aan Anna de Vries van De Linde: bijlage 3.", by=admin)
        qa.publish(question, "Welk tarief geldt in 2027?", "Zie bijlage 3 (tarieven).", by=admin)
        qa.answer(db.session.get(Question, hidden), "Niet openbaar antwoord.", by=admin)
        db.session.commit()

    html = client.get("/vragen").get_data(as_text=True)
    assert "Vragen en antwoorden" in html
    assert f'id="vraag-{published}"' in html
    assert "Welk tarief geldt in 2027?" in html and "Zie bijlage 3 (tarieven)." in html
    for secret in ("De Linde", "Anna de Vries", "Onderwerp met De Linde", "Nog geheim",
                   "nooit gepubliceerd", "Niet openbaar antwoord", "aanbieder@demo.nl",
                   "12345678"):
        assert secret not in html, secret
    assert "Log in om een vraag te stellen" in html

    # Search: a word from the question or from the answer; only published text is searched.
    assert "Welk tarief" in client.get("/vragen?zoek=tarief").get_data(as_text=True)
    assert "Welk tarief" in client.get("/vragen?zoek=TARIEVEN").get_data(as_text=True)
    assert "Welk tarief" in client.get("/vragen?zoek=bijlage+2027").get_data(as_text=True)
    none = client.get("/vragen?zoek=AGB").get_data(as_text=True)
    assert "Welk tarief" not in none and "geen gepubliceerde vragen en antwoorden met dit woord" in none
    assert "Welk tarief" not in client.get("/vragen?zoek=%25").get_data(as_text=True)
    assert "Welk tarief" not in client.get("/vragen?zoek=De+Linde").get_data(as_text=True)


def test_public_list_is_newest_first_and_paginated(app, client):
    ids = [_ask(app, subject=f"Vraag {n}", body=f"Vraag nummer {n}") for n in range(27)]
    with app.app_context():
        admin = user(ADMIN)
        for n, question_id in enumerate(ids):
            question = db.session.get(Question, question_id)
            qa.answer(question, "Antwoord.", by=admin)
            qa.publish(question, f"Openbare vraag {n:02d}", "Antwoord.", by=admin)
        db.session.commit()
    first = client.get("/vragen").get_data(as_text=True)
    assert "Pagina 1 van 2 (27 in totaal)" in first
    assert first.index("Openbare vraag 26") < first.index("Openbare vraag 25")
    assert "Openbare vraag 01" not in first
    second = client.get("/vragen?pagina=2").get_data(as_text=True)
    assert "Openbare vraag 01" in second and "Openbare vraag 00" in second


def test_unpublish_takes_it_off_the_public_page(app, client, smtp):
    question_id = _ask(app)
    with app.app_context():
        admin = user(ADMIN)
        question = db.session.get(Question, question_id)
        qa.answer(question, "Het antwoord.", by=admin)
        qa.publish(question, "Openbare vraag over tarieven.", "Openbaar antwoord.", by=admin)
        db.session.commit()
    assert "Openbare vraag over tarieven." in client.get("/vragen").get_data(as_text=True)
    admin = _admin(app)
    detail = f"/beheer/vragen/{question_id}"
    assert "Publicatie intrekken" in admin.get(detail).get_data(as_text=True)
    response = post(admin, detail + "/publicatie-intrekken", {}, token_from=detail,
                    follow_redirects=True)
    assert "staat niet meer op de pagina Vragen en antwoorden" in response.get_data(as_text=True)
    assert "Openbare vraag over tarieven." not in client.get("/vragen").get_data(as_text=True)
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.published_at is None
        assert question.public_question == "Openbare vraag over tarieven."  # kept for later
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_type == "questions").order_by(AuditEvent.id.desc()).limit(1)) \
            == "question_unpublished"
        with pytest.raises(DomainError, match="niet gepubliceerd"):
            qa.unpublish(question, by=user(ADMIN))
    # The provider's own page no longer points at the public page.
    provider = app.test_client()
    login(provider, PROVIDER)
    assert "zonder namen van organisaties" not in provider.get(
        f"/vragen/mijn/{question_id}").get_data(as_text=True)


def test_publishing_needs_an_answer_and_stale_forms_are_refused(app, smtp):
    question_id = _ask(app)
    with app.app_context():
        question = db.session.get(Question, question_id)
        with pytest.raises(DomainError, match="Beantwoord de vraag eerst"):
            qa.publish(question, "Vraag", "Antwoord", by=user(ADMIN))
        db.session.rollback()
    detail = f"/beheer/vragen/{question_id}"
    first, second = _admin(app), _admin(app)
    stale_page = first.get(detail).get_data(as_text=True)
    assert post(second, detail + "/antwoord", {"answer": "Antwoord van de tweede."},
                token_from=detail).status_code == 302
    smtp.wait_for(2)
    smtp.clear()
    # The first administrator posts a form built before that answer.
    from tests.conftest import CSRF_RE, VERSION_RE
    token = CSRF_RE.search(stale_page)
    response = first.post(detail + "/antwoord", data={
        "csrf_token": token.group(1) or token.group(2),
        "version": VERSION_RE.search(stale_page).group(1),
        "answer": "Antwoord van de eerste."}, follow_redirects=True)
    assert "Iemand anders heeft deze vraag intussen gewijzigd" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, question_id).answer == "Antwoord van de tweede."
    assert smtp.messages == []
    # Sending the same answer again changes nothing and mails nobody.
    response = post(first, detail + "/antwoord", {"answer": "Antwoord van de tweede."},
                    token_from=detail, follow_redirects=True)
    assert "Het antwoord is niet veranderd" in response.get_data(as_text=True)
    # A changed answer is mailed as such.
    post(first, detail + "/antwoord", {"answer": "Een beter antwoord."}, token_from=detail)
    smtp.wait_for(1)
    [mail] = smtp.find(to=PROVIDER, subject_contains="Gewijzigd antwoord op uw vraag")
    assert "Een beter antwoord." in _parts(mail)[0]


# --- opt-in -----------------------------------------------------------------------------------

def test_provider_opts_in_and_out_of_the_qa_mail(app, provider_client, smtp):
    page = provider_client.get("/vragen/meldingen").get_data(as_text=True)
    assert 'name="qa_notifications"' in page and "checked" not in page.split("qa_notifications")[1][:80]
    response = post(provider_client, "/vragen/meldingen", {"qa_notifications": "y"},
                    follow_redirects=True)
    assert "U krijgt voortaan een e-mail" in response.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER).qa_notifications is True

    question_id = _ask(app, subject="Vraag A")
    with app.app_context():
        question = db.session.get(Question, question_id)
        qa.answer(question, "Antwoord.", by=user(ADMIN))
        qa.publish(question, "Openbare vraag A", "Openbaar antwoord A", by=user(ADMIN))
        db.session.commit()
        _deliver()
    smtp.wait_for(3)
    assert len(smtp.find(to=PROVIDER, subject_contains="gepubliceerd")) == 1

    response = post(provider_client, "/vragen/meldingen", {}, follow_redirects=True)
    assert "U krijgt geen e-mail meer" in response.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER).qa_notifications is False
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "users", AuditEvent.action.like("qa_notifications%"))
            .order_by(AuditEvent.id)).all() == ["qa_notifications_on", "qa_notifications_off"]
        with pytest.raises(NotPermitted):
            qa.set_notifications(user(PROVIDER), True, by=user(ADMIN))
    smtp.clear()
    second = _ask(app, subject="Vraag B")
    with app.app_context():
        question = db.session.get(Question, second)
        qa.answer(question, "Antwoord.", by=user(ADMIN))
        qa.publish(question, "Openbare vraag B", "Openbaar antwoord B", by=user(ADMIN))
        db.session.commit()
        _deliver()
    assert smtp.find(subject_contains="gepubliceerd") == []


# --- cost per page ---------------------------------------------------------------------------

class _StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _on_execute(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def _add_questions(app, n, start=0):
    with app.app_context():
        procedure = db.session.scalar(select(Procedure))
        provider, admin = user(PROVIDER), user(ADMIN)
        for i in range(start, start + n):  # distinct texts: the same question twice is refused
            question = qa.ask(procedure, f"Onderwerp {i}", f"Vraag {i} over het tarief", by=provider)
            if i % 3:
                qa.answer(question, f"Antwoord {i} over het tarief", by=admin)
            if i % 3 == 2:
                qa.publish(question, f"Openbare vraag {i} tarief", f"Openbaar antwoord {i}", by=admin)
        db.session.commit()
        return db.session.scalar(select(Question.id).where(Question.published_at.is_not(None))
                                 .order_by(Question.id))


def _count_pages(app, question_id):
    with app.app_context():
        engine = db.engine
    pages = {
        None: ["/vragen", "/vragen?zoek=tarief", "/vragen?pagina=2"],
        PROVIDER: ["/vragen/mijn", f"/vragen/mijn/{question_id}", "/vragen/stellen",
                   "/vragen/meldingen", "/vragen"],
        ADMIN: ["/beheer/vragen", "/beheer/vragen?status=open", "/beheer/vragen?pagina=2",
                f"/beheer/vragen/{question_id}"],
    }
    counts = {}
    for who, urls in pages.items():
        client = app.test_client()
        if who:
            login(client, who)
        for url in urls:
            client.get(url)  # warm up
            with _StatementCounter(engine) as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[(who, url)] = counter.count
    return counts


def test_qa_pages_run_few_statements_that_do_not_grow_with_data(app):
    question_id = _add_questions(app, 80)  # every list has a second page already
    small = _count_pages(app, question_id)
    _add_questions(app, 90, start=80)
    large = _count_pages(app, question_id)
    assert large == small
    assert {k: n for k, n in large.items() if n > MAX_STATEMENTS} == {}



# --- a double click ---------------------------------------------------------------------------

def test_double_submit_stores_one_question_and_sends_one_receipt(app, provider_client, smtp):
    from datetime import timedelta

    from tests.conftest import csrf_token
    from tests.helpers import outbox_subjects

    token = csrf_token(provider_client, "/vragen/stellen")  # one form, clicked twice
    data = {"csrf_token": token, "subject": "Tarief 2028",
            "body": "Geldt het tarief van 2027 ook in 2028?"}
    first = provider_client.post("/vragen/stellen", data=data)
    second = provider_client.post("/vragen/stellen", data=data)
    assert first.status_code == second.status_code == 302
    with app.app_context():
        [question] = db.session.scalars(select(Question)).all()
        assert db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "question_asked")) == 1
    # Both clicks end on the one question; the second says why nothing new was sent.
    assert first.headers["Location"] == second.headers["Location"] == f"/vragen/mijn/{question.id}"
    page = provider_client.get(second.headers["Location"]).get_data(as_text=True)
    assert "U heeft deze vraag net al gesteld" in page and "Tarief 2028" in page
    assert smtp.wait_find(subject_contains="Ontvangstbevestiging van uw vraag")
    # Every mail is queued with its change: the outbox shows no second one is coming.
    assert len(outbox_subjects(app, to=PROVIDER, subject_contains="Ontvangstbevestiging van uw vraag")) == 1
    assert len(smtp.find(subject_contains="Ontvangstbevestiging van uw vraag")) == 1

    # Another question is fine at once; the same one again once the moment has passed.
    other = post(provider_client, "/vragen/stellen", {"subject": "Tarief 2028",
                                                      "body": "En in 2029?"})
    assert other.status_code == 302
    with app.app_context():
        db.session.get(Question, question.id).asked_at = utcnow() - qa.DUPLICATE_WINDOW \
            - timedelta(seconds=1)
        db.session.commit()
    again = provider_client.post("/vragen/stellen", data=data)
    assert again.status_code == 302 and again.headers["Location"] != first.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Question)) == 3
        # The rule itself: a direct second call is refused and names the first question.
        with pytest.raises(qa.DuplicateQuestion) as refused:
            qa.ask(db.session.scalar(select(Procedure)), "Tarief 2028", "En in 2029?",
                   by=user(PROVIDER))
        assert refused.value.question.body == "En in 2029?"


@pytest.mark.parametrize("few", [0, 200])
def test_public_search_follows_publication_and_takes_any_text(app, client, monkeypatch, few):
    """The public search reads an index (full-text on SQLite, trigram on PostgreSQL) that
    follows every publication and change; a few or many matches give the same page; what is
    typed is searched as words, never run as a query (no 500)."""
    from portal import textsearch

    monkeypatch.setattr(textsearch, "FEW", few)
    first, second = _ask(app, subject="Eerste"), _ask(app, subject="Tweede")
    with app.app_context():
        admin = user(ADMIN)
        for qid, text_q, text_a in ((first, "Hoe werkt de indexering van het tarief?", "Jaarlijks."),
                                    (second, "Mag een gezinshuis uitbreiden?", "Ja, na overleg.")):
            question = db.session.get(Question, qid)
            qa.answer(question, "Antwoord.", by=admin)
            qa.publish(question, text_q, text_a, by=admin)
        db.session.commit()

    def found(term):
        response = client.get("/vragen", query_string={"zoek": term})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return {n for n, t in (("first", "Hoe werkt de indexering"), ("second", "Mag een gezinshuis"))
                if t in html}

    assert found("tarief") == {"first"} and found("GEZINSHUIS overleg") == {"second"}
    assert found("jaarlijks") == {"first"}  # a word of the answer
    assert found("tarief gezinshuis") == set()  # every word must match
    for hostile in ('"', "*", "NEAR(a b)", 'tarief" OR "ja', "x" * 500, "^-+"):
        assert "first" not in found(hostile) or hostile == 'tarief" OR "ja'
    with app.app_context():
        question = db.session.get(Question, second)
        question.public_question = "Mag een gezinshuis verhuizen?"
        question.public_answer = "Ja, na melding."
        db.session.commit()
    assert found("verhuizen") == {"second"} and found("overleg") == set()


def test_admin_list_pages_run_on_from_the_open_questions_into_the_answered_ones(app):
    """The list is two queries (open ones oldest first, then answered ones newest first);
    its pages together hold every question once, in that order, and a page beyond the
    last shows the last."""
    import re

    _add_questions(app, 80)  # 27 open, 53 answered: page 2 holds both kinds
    with app.app_context():
        rows = db.session.execute(select(Question.id, Question.asked_at, Question.answered_at)).all()
        open_ids = [r.id for r in sorted((r for r in rows if r.answered_at is None),
                                         key=lambda r: (r.asked_at, r.id))]
        answered = [r.id for r in sorted((r for r in rows if r.answered_at is not None),
                                         key=lambda r: (r.asked_at, r.id), reverse=True)]
    assert len(open_ids) == 27 and len(answered) == 53
    admin = _admin(app)

    def shown(url):
        html = admin.get(url).get_data(as_text=True)
        return [int(i) for i in re.findall(r'href="/beheer/vragen/(\d+)"', html)]

    pages = [shown(f"/beheer/vragen?pagina={n}") for n in range(1, 5)]
    assert [len(page) for page in pages] == [25, 25, 25, 5]
    assert sum(pages, []) == open_ids + answered
    assert shown("/beheer/vragen?pagina=40") == pages[-1]
    assert shown("/beheer/vragen?status=open&pagina=2") == open_ids[25:]
    assert shown("/beheer/vragen?status=beantwoord&pagina=3") == answered[50:]


def test_two_part_pages_beyond_a_capped_count(app):
    """paginate_two with counts stopped at a cap: the pages still run on from the first part
    into the second, each question once; a page beyond every row shows the last one the
    capped count vouches for."""
    from portal.pagination import paginate_two

    _add_questions(app, 30)  # 10 open, 20 answered; with a cap of 5 neither count is exact
    with app.app_context():
        base = select(Question.id)
        first = base.where(Question.answered_at.is_(None)).order_by(Question.id)
        second = base.where(Question.answered_at.is_not(None)).order_by(Question.id.desc())
        expected = list(db.session.scalars(first)) + list(db.session.scalars(second))

    def page(n):
        with app.test_request_context(f"/?pagina={n}"):
            result = paginate_two(first, second, lambda ids: db.session.scalars(
                select(Question).where(Question.id.in_(ids))).all(), per_page=4, cap=5)
            return result.page, [q.id for q in result.items], result.more

    seen = [page(n) for n in range(1, 9)]
    assert [ids for _n, ids, _more in seen] == [expected[i:i + 4] for i in range(0, 30, 4)]
    assert all(more for _n, _ids, more in seen)
    assert page(20) == (2, expected[4:8], True)  # as paginate: the count vouches for 2 pages
