"""The requirement catalogue with versions (administrators): drafts, editing, publishing,
comparison, bad input, access; applications keep the version they were started on."""
import io
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.errors import DomainError, NotPermitted, ValidationFailed
from portal.extensions import db
from portal.models import (
    Application,
    AuditEvent,
    CatalogueVersion,
    Outcome,
    Procedure,
    Requirement,
    Status,
)
from portal.procedure import versions as ops
from portal.procedure.models import Evidence, Identifier
from portal.procedure.versions import published_version
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import PDF_BYTES, categories, fill_completely, wizard_step
from tests.test_scale import MAX_STATEMENTS, StatementCounter

BASE = "/beheer/eisen"


# --- helpers -----------------------------------------------------------------------------------

def _client(app, who=ADMIN):
    client = app.test_client()
    login(client, who)
    return client


def _procedure():
    return db.session.scalar(select(Procedure))


def _version(number):
    return db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.number == number))


def _req(number, code):
    return db.session.scalar(
        select(Requirement).join(CatalogueVersion)
        .where(CatalogueVersion.number == number, Requirement.code == code))


def _codes(number):
    return list(db.session.scalars(
        select(Requirement.code).join(CatalogueVersion)
        .where(CatalogueVersion.number == number).order_by(Requirement.position)))


def _draft(app):
    """Version 2 as a draft, made through the operation."""
    with app.app_context():
        draft = ops.create_draft(_procedure(), by=user(ADMIN))
        db.session.commit()
        return draft.number


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def _form(**overrides):
    data = {
        "code": "A15",
        "title": "Werken met een veiligheidsplan",
        "help_text": "Voor elke jeugdige is er een veiligheidsplan.",
        "assessment_guidance": "Kijk of het plan jaarlijks wordt herzien.",
        "knockout": "y",
        "is_general": "ja",
        "declaration_text": "Ik verklaar dat elke jeugdige een veiligheidsplan heeft.",
        "identifier": "none",
        "number_label": "",
        "number_min": "",
        "number_max": "",
        "text_label": "",
        "evidence": "none",
        "evidence_label": "",
        "amount_label": "",
        "amount_min": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _text(response):
    return response.get_data(as_text=True)


# --- access -----------------------------------------------------------------------------------

def _all_urls(app, number, requirement_id):
    """Every URL of the catalogue blueprint with each of its methods."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin_catalogue."):
            continue
        values = {"number": number, "requirement_id": requirement_id}
        url = rule.build({k: values[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


@pytest.mark.parametrize("who", [PROVIDER, ASSESSOR_1])
def test_non_administrators_get_403_on_every_catalogue_url(app, who):
    number = _draft(app)
    with app.app_context():
        requirement_id = _req(number, "A1").id
    urls = _all_urls(app, number, requirement_id)
    assert len(urls) >= 12  # index, draft, version, add, edit, move, remove, publish, discard, compare
    client = _client(app, who)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      _text(client.get("/vragen/stellen" if who == PROVIDER else "/beoordeling/"))
                      ) or re.search(r'name="csrf_token" value="([^"]+)"',
                                     _text(client.get("/")))
    data = {"csrf_token": token.group(1) if token else ""}
    for method, url in urls:
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url, response.status_code)
    # Nothing changed: the draft is still there with all its requirements.
    with app.app_context():
        assert _version(number) is not None and _version(number).published_at is None
        assert len(_codes(number)) == len(_codes(1))
        assert _events("catalogue_published") == []


def test_anonymous_visitors_are_sent_to_the_login_page(app):
    client = app.test_client()
    response = client.get(BASE)
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_operations_refuse_non_administrators(app):
    with app.app_context():
        for who in (PROVIDER, ASSESSOR_1):
            with pytest.raises(NotPermitted):
                ops.create_draft(_procedure(), by=user(who))
        draft = ops.create_draft(_procedure(), by=user(ADMIN))
        with pytest.raises(NotPermitted):
            ops.publish(draft, by=user(ASSESSOR_1))
        with pytest.raises(NotPermitted):
            ops.remove_requirement(draft.requirements[0], by=user(PROVIDER))


# --- drafts -----------------------------------------------------------------------------------

def test_a_draft_is_a_copy_of_the_latest_published_version_and_only_one_at_a_time(app):
    client = _client(app)
    page = _text(client.get(BASE))
    assert "Nieuwe conceptversie maken" in page and "versie 1" in page
    response = post(client, BASE + "/concept", token_from=BASE)
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE + "/versie/2")
    page = _text(client.get(BASE + "/versie/2"))
    assert "Conceptversie 2 is gemaakt" in page and "Eis toevoegen" in page
    with app.app_context():
        v1, v2 = _version(1), _version(2)
        assert v2.published_at is None and v1.published_at is not None
        assert _codes(2) == _codes(1) and len(_codes(2)) == 24
        for code in ("A1", "A8", "P1", "H2", "K2"):
            old, new = _req(1, code), _req(2, code)
            assert new.id != old.id
            assert [c.code for c in new.categories] == [c.code for c in old.categories]
            assert ops.RequirementSpec.of(new) == ops.RequirementSpec.of(old)
        assert [c.code for c in _req(2, "P1").categories] == ["pleegzorg"]
        assert _req(2, "A8").amount_min == 2_500_000 and _req(2, "H2").number_max == 6
        # New applications still get version 1 while version 2 is a draft.
        assert published_version(_procedure()).number == 1
        (event,) = _events("catalogue_draft_created")
        assert event.object_id == v2.id and event.detail == "kopie van versie 1"
        assert event.actor_id == user(ADMIN).id

    # A second draft is refused with a Dutch message.
    assert "Nieuwe conceptversie maken" not in _text(client.get(BASE))
    response = post(client, BASE + "/concept", token_from=BASE + "/versie/2",
                    follow_redirects=True)
    assert "Er is al een conceptversie (versie 2)" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(CatalogueVersion.id))) == 2


def test_discarding_a_draft(app):
    number = _draft(app)
    client = _client(app)
    url = f"{BASE}/versie/{number}/weggooien"
    assert "24 eisen weggooien" in _text(client.get(url))
    response = post(client, url, follow_redirects=True)
    assert "Conceptversie 2 is weggegooid" in _text(response)
    with app.app_context():
        assert _version(2) is None and _codes(1) and len(_codes(1)) == 24
        (event,) = _events("catalogue_draft_discarded")
        assert event.object_type == "procedures" and event.detail == "versie 2"
    # A new draft can be made again, and does not show the old draft's history.
    post(client, BASE + "/concept", token_from=BASE)
    page = _text(client.get(BASE + "/versie/2"))
    assert page.count("conceptversie gemaakt") == 1


# --- editing the draft ------------------------------------------------------------------------

def test_add_a_requirement_with_every_way_of_answering(app):
    number = _draft(app)
    client = _client(app)
    url = f"{BASE}/versie/{number}/eis/nieuw"
    page = _text(client.get(url))
    assert "Beoordelingsrichtlijn" in page and "Voor alle categorieën (algemene eis)" in page
    with app.app_context():
        cats = categories("pleegzorg", "leefgroepen")
        cat_ids = [str(c.id) for c in cats]
    response = post(client, url, _form(
        code="P3", is_general="nee", categories=cat_ids, knockout=None,
        identifier="agb", number_label="Aantal pleeggezinnen", number_min="1", number_max="40",
        text_label="Hoe werft u pleegouders?", evidence="required",
        evidence_label="Wervingsplan (PDF)", evidence_expires="y", evidence_allows_images="y",
        amount_label="Budget voor werving (in euro)", amount_min="€ 10.000"))
    assert response.status_code == 302, _text(response)[:3000]
    assert "#eis-" in response.headers["Location"]
    page = _text(client.get(response.headers["Location"]))
    assert "Eis P3 is toegevoegd aan conceptversie 2" in page
    with app.app_context():
        r = _req(number, "P3")
        assert r.title == "Werken met een veiligheidsplan"
        assert r.help_text == "Voor elke jeugdige is er een veiligheidsplan."
        assert r.assessment_guidance == "Kijk of het plan jaarlijks wordt herzien."
        assert r.knockout is False and r.is_general is False
        assert [c.code for c in r.categories] == ["pleegzorg", "leefgroepen"]
        assert r.identifier == Identifier.AGB
        assert (r.number_label, r.number_min, r.number_max) == ("Aantal pleeggezinnen", 1, 40)
        assert r.text_label == "Hoe werft u pleegouders?"
        assert r.evidence == Evidence.REQUIRED and r.evidence_label == "Wervingsplan (PDF)"
        assert r.evidence_expires and r.evidence_allows_images
        assert r.amount_label == "Budget voor werving (in euro)" and r.amount_min == 10_000
        assert r.position == 25 and _codes(number)[-1] == "P3"
        assert _req(1, "P3") is None  # the published version is untouched
        (event,) = _events("catalogue_requirement_added")
        assert event.object_id == _version(number).id and event.detail == "P3"


def test_a_general_requirement_ignores_ticked_categories(app):
    number = _draft(app)
    client = _client(app)
    with app.app_context():
        cat = str(categories("pleegzorg")[0].id)
    url = f"{BASE}/versie/{number}/eis/nieuw"
    assert post(client, url, _form(is_general="ja", categories=[cat])).status_code == 302
    with app.app_context():
        r = _req(number, "A15")
        assert r.is_general and r.categories == []


def _assert_kept(page, *values):
    for value in values:
        assert value in page, value


def test_bad_input_is_refused_in_dutch_and_nothing_is_lost(app):
    number = _draft(app)
    client = _client(app)
    url = f"{BASE}/versie/{number}/eis/nieuw"

    # A requirement that is not general, without a category.
    response = post(client, url, _form(is_general="nee"))
    page = _text(response)
    assert response.status_code == 422
    assert "Kies minstens één categorie waarvoor de eis geldt" in page
    assert 'href="#categories"' in page  # the error summary links to the field
    _assert_kept(page, 'value="A15"', 'value="Werken met een veiligheidsplan"',
                 "Kijk of het plan jaarlijks wordt herzien.",
                 "Ik verklaar dat elke jeugdige een veiligheidsplan heeft.")
    assert re.search(r'<input checked[^>]*name="is_general" type="radio" value="nee"', page)

    # A code already in use in this version (case does not matter).
    page = _text(post(client, url, _form(code="a8")))
    assert "De code A8 is in deze versie al in gebruik" in page
    _assert_kept(page, 'value="a8"')

    # Smallest number above the largest.
    response = post(client, url, _form(number_label="Aantal plaatsen", number_min="8",
                                       number_max="6"))
    assert response.status_code == 422
    page = _text(response)
    assert "Het kleinste getal (8) mag niet groter zijn dan het grootste getal (6)." in page
    _assert_kept(page, 'value="8"', 'value="6"', 'value="Aantal plaatsen"')

    # Bounds without the question, and a number that is not a number (the text is kept).
    page = _text(post(client, url, _form(number_min="3", number_max="twaalf")))
    assert "Vul de vraag bij het getal in" in page
    assert "Vul een heel getal in, zonder punten of letters." in page
    _assert_kept(page, 'value="twaalf"')

    # Evidence details with 'no evidence', and evidence without a description.
    page = _text(post(client, url, _form(evidence_label="Polis (PDF)")))
    assert "U koos &#39;Geen bewijsstuk&#39;" in page or "U koos 'Geen bewijsstuk'" in page
    page = _text(post(client, url, _form(evidence="optional")))
    assert "Vul de omschrijving van het bewijsstuk in" in page

    # Nothing to answer at all; an empty code and title.
    page = _text(post(client, url, _form(code="", title="", declaration_text="")))
    assert "Kies minstens één manier waarop de aanbieder de eis beantwoordt" in page
    assert "Vul een code in" in page and "Vul de titel van de eis in." in page

    # An amount that is not an amount; a minimum amount without the question.
    page = _text(post(client, url, _form(amount_label="Bedrag", amount_min="veel")))
    assert "Vul een bedrag in hele euro&#39;s in" in page or "Vul een bedrag in hele euro's in" in page
    page = _text(post(client, url, _form(amount_min="1000")))
    assert "Vul de vraag bij het bedrag in" in page

    # A code with spaces; an unknown category.
    page = _text(post(client, url, _form(code="A 15")))
    assert "Een code bestaat uit letters, cijfers" in page
    page = _text(post(client, url, _form(is_general="nee", categories=["99999"])))
    assert "Een gekozen categorie hoort niet bij deze procedure." in page
    page = _text(post(client, url, _form(is_general="nee", categories=["pleegzorg"])))
    assert "Kies de categorieën uit de lijst." in page
    page = _text(post(client, url, _form(identifier="bsn", evidence="misschien")))
    assert "Kies geen nummer, het KvK-nummer of de AGB-code." in page
    assert "Kies of er een bewijsstuk nodig is." in page
    assert "Not a valid" not in page and "Invalid" not in page

    # A form without a CSRF token is refused.
    assert client.post(url, data=_form(code="Z9")).status_code == 400

    with app.app_context():
        assert len(_codes(number)) == 24
        assert _events("catalogue_requirement_added") == []


def test_operation_validates_too(app):
    number = _draft(app)
    with app.app_context():
        draft = _version(number)
        spec = ops.RequirementSpec(code="H2", title="x", is_general=False,
                                   number_label="n", number_min=5, number_max=2)
        with pytest.raises(ValidationFailed) as caught:
            ops.add_requirement(draft, spec, by=user(ADMIN))
        fields = {name for name, _m in caught.value.errors}
        assert fields == {"code", "categories", "number_min"}


def test_change_a_requirement_records_the_changed_fields(app):
    number = _draft(app)
    client = _client(app)
    with app.app_context():
        h2 = _req(number, "H2")
        h2_id, old_id = h2.id, _req(1, "H2").id
        cats = [str(c.id) for c in categories("gezinshuiszorg", "kleinschalige-woonvormen")]
    url = f"{BASE}/versie/{number}/eis/{h2_id}"
    page = _text(client.get(url))
    assert 'value="Maximaal aantal geplaatste kinderen per gezinshuis"' in page
    response = post(client, url, _form(
        code="H2", title="Maximaal aantal kinderen per huis", is_general="nee", categories=cats,
        declaration_text="", number_label="Maximaal aantal geplaatste kinderen per gezinshuis",
        number_min="1", number_max="4", help_text="Maximaal 4.",
        assessment_guidance="Tel ook pleegkinderen."),
        follow_redirects=True)
    assert "Eis H2 is gewijzigd." in _text(response)
    with app.app_context():
        h2 = db.session.get(Requirement, h2_id)
        assert h2.title == "Maximaal aantal kinderen per huis" and h2.number_max == 4
        assert [c.code for c in h2.categories] == ["gezinshuiszorg", "kleinschalige-woonvormen"]
        old = db.session.get(Requirement, old_id)
        assert old.title == "Maximaal aantal geplaatste kinderen per gezinshuis"
        assert old.number_max == 6 and [c.code for c in old.categories] == ["gezinshuiszorg"]
        (event,) = _events("catalogue_requirement_changed")
        assert event.detail == ("H2: title, help_text, assessment_guidance, category_ids, "
                                "number_max")

    # Saving without a change says so and records nothing.
    response = post(client, url, _form(
        code="H2", title="Maximaal aantal kinderen per huis", is_general="nee", categories=cats,
        declaration_text="", number_label="Maximaal aantal geplaatste kinderen per gezinshuis",
        number_min="1", number_max="4", help_text="Maximaal 4.",
        assessment_guidance="Tel ook pleegkinderen."),
        follow_redirects=True)
    assert "Er is niets veranderd aan eis H2." in _text(response)
    with app.app_context():
        assert len(_events("catalogue_requirement_changed")) == 1


def test_a_stale_edit_is_refused_with_the_input_kept(app):
    number = _draft(app)
    client = _client(app)
    with app.app_context():
        a11 = _req(number, "A11")
        a11_id, stale = a11.id, ops.fingerprint(a11)
        ops.change_requirement(a11, replace(ops.RequirementSpec.of(a11), title="Cliëntenraad"),
                               by=user(ADMIN))
        db.session.commit()
    url = f"{BASE}/versie/{number}/eis/{a11_id}"
    response = post(client, url, _form(code="A11", title="Medezeggenschap geregeld",
                                       version=str(stale)))
    page = _text(response)
    assert response.status_code == 422
    assert "Iemand anders heeft deze eis intussen gewijzigd" in page
    assert 'value="Medezeggenschap geregeld"' in page
    with app.app_context():
        assert db.session.get(Requirement, a11_id).title == "Cliëntenraad"
    # Saving again (the form now carries the current state) overwrites.
    current = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = post(client, url, _form(code="A11", title="Medezeggenschap geregeld",
                                       version=current))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Requirement, a11_id).title == "Medezeggenschap geregeld"


def test_reorder_and_remove(app):
    number = _draft(app)
    client = _client(app)
    with app.app_context():
        a2 = _req(number, "A2").id
        a1 = _req(number, "A1").id
        last = _req(number, "L1").id
    move = f"{BASE}/versie/{number}/eis/{{}}/verplaatsen"
    token_from = f"{BASE}/versie/{number}"
    response = post(client, move.format(a2), {"direction": "up"}, token_from=token_from,
                    follow_redirects=True)
    assert "Eis A2 staat nu een plaats omhoog." in _text(response)
    with app.app_context():
        assert _codes(number)[:3] == ["A2", "A1", "A3"]
        assert _codes(1)[:3] == ["A1", "A2", "A3"]
    post(client, move.format(a1), {"direction": "down"}, token_from=token_from)
    with app.app_context():
        assert _codes(number)[:3] == ["A2", "A3", "A1"]
    response = post(client, move.format(last), {"direction": "down"}, token_from=token_from,
                    follow_redirects=True)
    assert "Eis L1 staat al onderaan." in _text(response)
    with app.app_context():
        assert len(_events("catalogue_requirement_moved")) == 2

    remove = f"{BASE}/versie/{number}/eis/{a1}/verwijderen"
    assert "Wilt u eis A1 (Geen uitsluitingsgronden van toepassing) verwijderen" in _text(
        client.get(remove))
    response = post(client, remove, follow_redirects=True)
    assert "Eis A1 is verwijderd uit conceptversie 2." in _text(response)
    with app.app_context():
        assert "A1" not in _codes(number) and len(_codes(number)) == 23
        positions = list(db.session.scalars(
            select(Requirement.position).where(Requirement.version_id == _version(number).id)
            .order_by(Requirement.position)))
        assert positions == list(range(1, 24))
        assert _req(1, "A1") is not None and len(_codes(1)) == 24
        (event,) = _events("catalogue_requirement_removed")
        assert event.detail == "A1"


# --- publishing -----------------------------------------------------------------------------------

def test_publishing_an_empty_draft_is_refused_and_the_note_kept(app):
    number = _draft(app)
    with app.app_context():
        draft = _version(number)
        for r in list(draft.requirements):
            ops.remove_requirement(r, by=user(ADMIN))
        db.session.commit()
    client = _client(app)
    url = f"{BASE}/versie/{number}"
    response = post(client, url + "/publiceren", {"note": "Alles anders"}, token_from=url)
    page = _text(response)
    assert response.status_code == 422
    assert "Een lege lijst met eisen kan niet worden gepubliceerd" in page
    assert "Alles anders" in page
    with app.app_context():
        assert _version(number).published_at is None
        assert published_version(_procedure()).number == 1
        assert _events("catalogue_published") == []


def test_publish_makes_the_version_the_one_for_new_applications_and_public(app):
    number = _draft(app)
    client = _client(app)
    post(client, f"{BASE}/versie/{number}/eis/nieuw",
         _form(assessment_guidance="GEHEIME-RICHTLIJN voor beoordelaars"))
    url = f"{BASE}/versie/{number}"
    response = post(client, url + "/publiceren", {"note": "Eis A15 (veiligheidsplan) is nieuw."},
                    token_from=url, follow_redirects=True)
    assert "Versie 2 is gepubliceerd." in _text(response)
    with app.app_context():
        v2 = _version(number)
        assert v2.published_at is not None and v2.note == "Eis A15 (veiligheidsplan) is nieuw."
        assert published_version(_procedure()).id == v2.id
        (event,) = _events("catalogue_published")
        assert (event.from_state, event.to_state) == ("concept", "gepubliceerd")
        assert event.detail == "versie 2, 25 eisen"

    public = _text(app.test_client().get("/eisen"))
    assert re.search(r"Versie 2, gepubliceerd op \d{1,2} \w+ 20\d\d\.", public)
    assert "Werken met een veiligheidsplan" in public and "A15" in public
    assert "Eis A15 (veiligheidsplan) is nieuw." in public
    # The assessment guidance is for assessors only.
    assert "GEHEIME-RICHTLIJN" not in public
    assert "Beoordelingsrichtlijn" not in public
    # The overview marks it as the version for new applications; a new draft copies it.
    page = _text(client.get(BASE))
    assert "voor nieuwe aanmeldingen" in page and "Nieuwe conceptversie maken" in page
    post(client, BASE + "/concept", token_from=BASE)
    with app.app_context():
        assert _codes(3) == _codes(2) and "A15" in _codes(3)


def test_a_published_version_is_never_edited(app):
    client = _client(app)
    with app.app_context():
        a1 = _req(1, "A1").id
        before = [ops.RequirementSpec.of(r) for r in _version(1).requirements]
    v1 = f"{BASE}/versie/1"
    message = "Versie 1 is gepubliceerd en wordt niet meer gewijzigd."
    page = _text(client.get(v1))
    assert "Eis toevoegen" not in page and "Wijzigen" not in page and "publiceren" not in page
    for url in (v1 + "/eis/nieuw", f"{v1}/eis/{a1}", f"{v1}/eis/{a1}/verwijderen",
                v1 + "/weggooien"):
        response = client.get(url, follow_redirects=True)
        assert message in _text(response), url
    posts = [
        (v1 + "/eis/nieuw", _form(code="A99")),
        (f"{v1}/eis/{a1}", _form(code="A1", title="Gewijzigd")),
        (f"{v1}/eis/{a1}/verplaatsen", {"direction": "down"}),
        (f"{v1}/eis/{a1}/verwijderen", {}),
        (v1 + "/publiceren", {"note": "opnieuw"}),
        (v1 + "/weggooien", {}),
    ]
    for url, data in posts:
        response = post(client, url, data, token_from=BASE, follow_redirects=True)
        assert message in _text(response), url
    with app.app_context():
        assert [ops.RequirementSpec.of(r) for r in _version(1).requirements] == before
        assert _codes(1)[0] == "A1" and _version(1).note == "Standaardcatalogus minimumeisen"
        assert db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action.like("catalogue_%"))) == 0
        with pytest.raises(DomainError, match="is gepubliceerd"):
            ops.add_requirement(_version(1), ops.RequirementSpec(code="X1", title="x",
                                                                 declaration_text="x"),
                                by=user(ADMIN))


# --- comparison -------------------------------------------------------------------------------------

def test_comparison_shows_added_removed_and_changed_requirements(app):
    number = _draft(app)
    client = _client(app)
    post(client, f"{BASE}/versie/{number}/eis/nieuw", _form())
    with app.app_context():
        draft = _version(number)
        a8 = _req(number, "A8")
        spec = ops.RequirementSpec.of(a8)
        spec.amount_min, spec.knockout = 5_000_000, False
        ops.change_requirement(a8, spec, by=user(ADMIN))
        ops.remove_requirement(_req(number, "Z2"), by=user(ADMIN))
        p2 = _req(number, "P2")
        spec = ops.RequirementSpec.of(p2)
        spec.is_general, spec.category_ids = False, [c.id for c in categories("pleegzorg", "gezinshuiszorg")]
        ops.change_requirement(p2, spec, by=user(ADMIN))
        ops.move_requirement(_req(number, "A3"), "up", by=user(ADMIN))  # order is not compared
        assert draft.id
        db.session.commit()
    page = _text(client.get(f"{BASE}/vergelijken?van=1&naar={number}"))
    assert "Van versie 1 naar versie 2" in page
    assert "1 toegevoegd, 1 verwijderd, 2 gewijzigd, 21 ongewijzigd." in page
    added = page.split("<h3>Toegevoegd</h3>")[1].split("</table>")[0]
    assert "A15" in added and "Werken met een veiligheidsplan" in added
    removed = page.split("<h3>Verwijderd</h3>")[1].split("</table>")[0]
    assert "Z2" in removed and "Brandveiligheid" in removed
    changed = page.split("<h3>Gewijzigd</h3>")[1]
    assert "A8 Beroeps- en bedrijfsaansprakelijkheidsverzekering" in changed
    assert re.search(r"Minimumbedrag</th><td>€ 2\.500\.000</td><td>€ 5\.000\.000</td>", changed)
    assert re.search(r"Knock-out-eis</th><td>ja</td><td>nee</td>", changed)
    assert re.search(r"Geldt voor</th><td>Pleegzorg</td><td>Pleegzorg, Gezinshuiszorg</td>", changed)
    assert "A3" not in changed

    # The default compares the newest version with the one before it; bad choices are refused.
    assert "Van versie 1 naar versie 2" in _text(client.get(f"{BASE}/vergelijken"))
    response = client.get(f"{BASE}/vergelijken?van=7&naar=2")
    assert response.status_code == 422 and "Versie 7 bestaat niet." in _text(response)
    response = client.get(f"{BASE}/vergelijken?van=2&naar=2")
    assert response.status_code == 422 and "Kies twee verschillende versies." in _text(response)
    response = client.get(f"{BASE}/vergelijken?van=x")
    assert response.status_code == 422 and "Kies een versie uit de lijst." in _text(response)


def test_compare_function_matches_by_code():
    class Cat:
        def __init__(self, name):
            self.name = name

    def req(code, **kw):
        r = Requirement(code=code, title=kw.pop("title", "T"), help_text="", knockout=True,
                        is_general=True, identifier=Identifier.NONE, evidence=Evidence.NONE,
                        evidence_expires=False, evidence_allows_images=False,
                        assessment_guidance="")
        for k, v in kw.items():
            setattr(r, k, v)
        return r

    result = ops.compare([req("A1"), req("A2", title="Oud")],
                         [req("A2", title="Nieuw"), req("A3")])
    assert [r.code for r in result.added] == ["A3"]
    assert [r.code for r in result.removed] == ["A1"]
    assert [(c.new.code, [(f.label, f.old, f.new) for f in c.fields]) for c in result.changed] \
        == [("A2", [("Titel", "Oud", "Nieuw")])]
    assert result.unchanged == 0 and result.any


# --- applications keep their version ----------------------------------------------------------------

def test_an_application_submitted_on_version_1_is_assessed_against_version_1(app):
    # Submitted before version 2 is published: it is decided on its own version. (A draft
    # moves to the new version: tests/test_catalogue_versions.py.)
    with app.app_context():
        provider = user(PROVIDER)
        application = workflow.create_application(_procedure(), categories("gezinshuiszorg"),
                                                  by=provider)
        fill_completely(application, provider)
        workflow.submit(application, by=provider)
        db.session.commit()
        app_id = application.id
        v1_requirements = {r.id for r in application.applicable_requirements()}
        assert application.catalogue_version.number == 1

    # The administrator publishes version 2: a new knock-out requirement A15 for everyone,
    # a new H4 for family homes, and a new title for A5.
    admin = _client(app)
    post(admin, BASE + "/concept", token_from=BASE)
    post(admin, f"{BASE}/versie/2/eis/nieuw", _form())
    with app.app_context():
        gezinshuis = str(categories("gezinshuiszorg")[0].id)
        a5 = _req(2, "A5").id
    post(admin, f"{BASE}/versie/2/eis/nieuw", _form(
        code="H4", title="Scholing van gezinshuisouders", is_general="nee",
        categories=[gezinshuis], declaration_text="Ik verklaar dat gezinshuisouders scholing volgen."))
    with app.app_context():
        spec = ops.RequirementSpec.of(db.session.get(Requirement, a5))
    post(admin, f"{BASE}/versie/2/eis/{a5}", _form(
        code="A5", title="Kwaliteitscertificaat (nieuwe titel)", declaration_text="",
        evidence="required", evidence_label=spec.evidence_label, evidence_expires="y",
        help_text=spec.help_text, assessment_guidance=""))
    response = post(admin, f"{BASE}/versie/2/publiceren", token_from=f"{BASE}/versie/2",
                    follow_redirects=True)
    assert "Versie 2 is gepubliceerd." in _text(response)
    with app.app_context():
        assert published_version(_procedure()).number == 2
        assert {"A15", "H4"} <= set(_codes(2))

    # The submitted version-1 application stays on version 1: nothing of version 2 is asked.
    provider = _client(app, PROVIDER)
    overview = _text(provider.get(f"/aanmeldingen/{app_id}/overzicht"))
    assert "Werken met een veiligheidsplan" not in overview and "H4" not in overview
    with app.app_context():
        application = db.session.get(Application, app_id)
        assert application.catalogue_version.number == 1 and application.moved_at is None
        assert workflow.missing_items(application) == []
        application = db.session.get(Application, app_id)
        assert application.status == Status.INGEDIEND
        assessor = user(ASSESSOR_1)
        assessment.start_review(application, by=assessor)
        assessment.declare_no_conflict(application, by=assessor)
        db.session.commit()

    # The assessor sees version 1: not A15 or H4, and A5 with its old title.
    assessor = _client(app, ASSESSOR_1)
    page = _text(assessor.get(f"/beoordeling/{app_id}"))
    assert "Kwaliteitssysteem: HKZ, ISO 9001 of gelijkwaardig" in page
    assert "Kwaliteitscertificaat (nieuwe titel)" not in page
    assert "Werken met een veiligheidsplan" not in page and 'id="eis-A15"' not in page
    assert "Scholing van gezinshuisouders" not in page
    fields = set(int(n) for n in re.findall(r'name="v(\d+)_outcome"', page))
    assert fields == v1_requirements
    # Verdicts on the version-1 requirements are enough to decide.
    response = post(assessor, f"/beoordeling/{app_id}/oordelen",
                    {f"v{r}_outcome": "voldoet" for r in v1_requirements},
                    token_from=f"/beoordeling/{app_id}")
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, app_id)
        cat = categories("gezinshuiszorg")[0]
        assessment.propose_decision(application, {cat.id: (Outcome.TOEGELATEN, "Voldoet.", [])},
                                    by=user(ASSESSOR_1))
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
        db.session.commit()
        assert application.status == Status.BESLOTEN
        assert application.catalogue_version.number == 1

        # A new application gets version 2 and is asked for A15.
        fresh = workflow.create_application(_procedure(), categories("pleegzorg"),
                                            by=user(PROVIDER))
        assert fresh.catalogue_version.number == 2
        assert "A15" in {r.code for r in fresh.applicable_requirements()}
        missing = {m.requirement_id for m in workflow.missing_items(fresh)}
        assert _req(2, "A15").id in missing


def test_assessors_see_the_assessment_guidance_providers_do_not(app):
    number = _draft(app)
    with app.app_context():
        a13 = _req(number, "A13")
        spec = ops.RequirementSpec.of(a13)
        spec.assessment_guidance = "Controleer de handtekening.\nVergelijk met het KvK-uittreksel."
        ops.change_requirement(a13, spec, by=user(ADMIN))
        ops.publish(_version(number), by=user(ADMIN))
        provider = user(PROVIDER)
        application = workflow.create_application(_procedure(), categories("pleegzorg"),
                                                  by=provider)
        fill_completely(application, provider)
        workflow.submit(application, by=provider)
        db.session.commit()
        app_id = application.id
    page = _text(_client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}"))
    assert "<p>Controleer de handtekening.</p>" in page
    assert "<p>Vergelijk met het KvK-uittreksel.</p>" in page
    provider_page = _text(_client(app, PROVIDER).get(f"/aanmeldingen/{app_id}"))
    assert "Akkoord met de vaste tarieven" in provider_page
    assert "Controleer de handtekening" not in provider_page


# --- statements per page ------------------------------------------------------------------------------

def test_catalogue_pages_run_a_small_fixed_number_of_statements(app):
    number = _draft(app)
    client = _client(app)
    with app.app_context():
        a1 = _req(number, "A1").id
    urls = [BASE, f"{BASE}/versie/1", f"{BASE}/versie/{number}",
            f"{BASE}/versie/{number}/eis/nieuw", f"{BASE}/versie/{number}/eis/{a1}",
            f"{BASE}/versie/{number}/eis/{a1}/verwijderen", f"{BASE}/versie/{number}/weggooien",
            f"{BASE}/vergelijken?van=1&naar={number}", "/eisen"]
    with app.app_context():
        engine = db.engine
    for url in urls:
        client.get(url)  # warm up (login, caches)
        with StatementCounter(engine) as counter:
            assert client.get(url).status_code == 200, url
        assert counter.count <= MAX_STATEMENTS, (url, counter.count)


def test_a_document_requirement_without_validity_date_asks_no_date(app):
    """A document requirement added through the form without 'geldig tot': the provider's
    step has a file field for it and no date field, and the file alone completes it."""
    number = _draft(app)
    admin = _client(app)
    response = post(admin, f"{BASE}/versie/{number}/eis/nieuw", _form(
        code="A16", title="Huisregels", declaration_text="", evidence="required",
        evidence_label="Huisregels (PDF)", evidence_expires=None))
    assert response.status_code == 302, _text(response)[:3000]
    with app.app_context():
        a16 = _req(number, "A16")
        assert a16.evidence == Evidence.REQUIRED and a16.evidence_expires is False
        assert not a16.asks_declaration
        a16_id, a5_id = a16.id, _req(number, "A5").id
        assert _req(number, "A5").evidence_expires  # the contrast: A5 asks for a date
    post(admin, f"{BASE}/versie/{number}/publiceren", token_from=f"{BASE}/versie/{number}")

    provider = _client(app, PROVIDER)
    with app.app_context():
        pleegzorg = str(categories("pleegzorg")[0].id)
    response = post(provider, "/aanmeldingen/nieuw", {"categories": pleegzorg})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).order_by(Application.id.desc()))
        assert application.catalogue_version.number == number
        app_id = application.id
        step = f"/aanmeldingen/{app_id}/stap/{wizard_step(application, 'A16')}"
        a5_step = f"/aanmeldingen/{app_id}/stap/{wizard_step(application, 'A5')}"
    page = _text(provider.get(step))
    assert "Huisregels (PDF)" in page and f'name="r{a16_id}_file"' in page
    assert f'name="r{a16_id}_valid_until"' not in page
    page = _text(provider.get(a5_step))
    assert f'name="r{a5_id}_file"' in page and f'name="r{a5_id}_valid_until"' in page

    response = post(provider, step, {f"r{a16_id}_file": (io.BytesIO(PDF_BYTES), "huisregels.pdf"),
                                     "opslaan": "1"}, content_type="multipart/form-data")
    assert response.status_code == 302, _text(response)[:3000]
    with app.app_context():
        application = db.session.get(Application, app_id)
        answer = application.answers_by_requirement()[a16_id]
        assert answer.document.original_name == "huisregels.pdf"
        assert answer.evidence_valid_until is None
        missing = {m.requirement_id for m in workflow.missing_items(application)}
        assert a16_id not in missing and a5_id in missing
