"""The assessment page as a review workspace (issue 14, point 1) through the test client:
every requirement in the list with its state, the progress, the PDF inline, the failed
knock-out requirements before the decision; a verdict for a requirement that is not this
application's is refused with a Dutch message and saves nothing (issue 14, bad input); and
the page builds only the forms its state shows (issue 15)."""
import re

import pytest
from sqlalchemy import func, select

from portal.assessment import views as assessment_views
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import Application, Verdict, VerdictOutcome
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import submitted_application


def _in_review(app, cats=("pleegzorg",)):
    with app.app_context():
        application = submitted_application(user(PROVIDER), *cats)
        first = user(ASSESSOR_1)
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        db.session.commit()
        return application.id


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _requirements(app, app_id):
    with app.app_context():
        return [(r.id, r.code, r.knockout)
                for r in db.session.get(Application, app_id).applicable_requirements()]


def _verdict_count(app, app_id=None):
    with app.app_context():
        query = select(func.count()).select_from(Verdict)
        if app_id is not None:
            query = query.where(Verdict.application_id == app_id)
        return db.session.scalar(query)


def test_every_requirement_is_listed_with_its_state_and_the_progress(app):
    app_id = _in_review(app)
    reqs = _requirements(app, app_id)
    (a_id, a_code, _), (b_id, b_code, _), (c_id, c_code, c_ko) = reqs[0], reqs[1], reqs[2]
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.record_verdicts(application, {
            a_id: (VerdictOutcome.VOLDOET, ""),
            b_id: (VerdictOutcome.NIET_VAN_TOEPASSING, ""),
            c_id: (VerdictOutcome.VOLDOET_NIET, "Geen geldig certificaat."),
        }, by=user(ASSESSOR_1))
        db.session.commit()
    html = _client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}").get_data(as_text=True)

    nav = re.search(r'<nav class="ws-nav".*?</nav>', html, re.S).group(0)
    states = dict(re.findall(
        r'<a href="#eis-([A-Z]+\d+)" data-ws-link>.*?'
        r'<span class="ws-state" data-state="[^"]*">([^<]+)</span>', nav, re.S))
    assert list(states) == [code for _id, code, _ko in reqs]  # every requirement, in order
    assert states[a_code] == "voldoet"
    assert states[b_code] == "n.v.t."
    assert states[c_code] == "voldoet niet"
    assert {states[code] for _id, code, _ko in reqs[3:]} == {"niet beoordeeld"}
    assert f"3 van {len(reqs)} beoordeeld" in html
    # Each requirement has its panel with the verdict choices and the way to the next one.
    assert html.count("data-ws-panel") == len(reqs)
    assert html.count(">Volgende eis<") == len(reqs) - 1
    assert "Sneltoetsen" in html  # the keys, explained (shown by the script)
    # The evidence inline (the sandboxed view) beside the verdict.
    assert re.search(r'<iframe class="ws-pdf" src="/beoordeling/documenten/\d+/bekijken"', html)
    # The decision comes after the requirements, with the failed knock-out requirement listed.
    assert html.index('id="besluit"') > html.index(f'id="eis-{reqs[-1][1]}"')
    failed = re.search(r"<div class=\"alert\" data-ws-failed>.*?</div>", html, re.S).group(0)
    assert c_ko
    visible = re.findall(r'<li data-ws-failed-item="([A-Z]+\d+)">', failed)
    assert visible == [c_code]
    assert '<script src="/static/workspace.js" defer></script>' in html


def test_a_read_only_page_lists_the_states_without_a_verdict_form(app):
    app_id = _in_review(app)
    html = _client(app, ASSESSOR_2).get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert "data-ws-panel" in html and "nog geen oordeel" in html
    assert not re.search(r'name="v\d+_outcome"', html) and "Oordelen opslaan" not in html
    assert f"0 van {len(_requirements(app, app_id))} beoordeeld" in html


@pytest.mark.parametrize("as_json", [False, True])
def test_a_verdict_for_another_applications_requirement_is_refused(app, as_json):
    mine = _in_review(app, ("pleegzorg",))
    other = _in_review(app, ("leefgroepen",))
    own = _requirements(app, mine)
    foreign = [rid for rid, _c, _k in _requirements(app, other)
               if rid not in {r for r, _c, _k in own}][0]
    client = _client(app, ASSESSOR_1)
    url = f"/beoordeling/{mine}"
    headers = {"Accept": "application/json"} if as_json else {}
    for posted in (foreign, 999_999):
        data = {f"v{own[0][0]}_outcome": "voldoet", f"v{posted}_outcome": "voldoet",
                f"v{posted}_reason": "x"}
        response = post(client, url + "/oordelen", data, token_from=url, headers=headers)
        assert response.status_code == 422
        text = (response.get_json()["message"] if as_json else response.get_data(as_text=True))
        assert "een eis die niet bij deze aanmelding hoort" in text
    assert _verdict_count(app) == 0  # nothing saved, not even the valid verdict


def test_the_page_builds_only_the_forms_it_shows(app, monkeypatch):
    """A submitted application: the assessor's page has only the 'In behandeling nemen'
    button; the verdict, decision and completion forms are not built."""
    built = []
    for name in ("build_verdict_form", "build_decision_form", "build_completion_form",
                 "ReturnForm", "ApprovalForm", "_assign_form"):
        original = getattr(assessment_views, name)
        monkeypatch.setattr(assessment_views, name,
                            lambda *a, _o=original, _n=name, **k: built.append(_n) or _o(*a, **k))
    with app.app_context():
        app_id = submitted_application(user(PROVIDER), "pleegzorg").id
        db.session.commit()
    html = _client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert "In behandeling nemen" in html
    assert built == []

    # Taken and declared: the verdicts, the decision and the request to complete.
    with app.app_context():
        application = db.session.get(Application, app_id)
        assessment.start_review(application, by=user(ASSESSOR_1))
        assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
        db.session.commit()
    html = _client(app, ASSESSOR_1).get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert "Besluit voorstellen" in html and "Aanvulling vragen" in html
    assert sorted(built) == ["build_completion_form", "build_decision_form", "build_verdict_form"]

    # Another assessor only reads: nothing is built.
    built.clear()
    html = _client(app, ASSESSOR_2).get(f"/beoordeling/{app_id}").get_data(as_text=True)
    assert "Besluit voorstellen" not in html and built == []


def test_the_knockout_badge_only_where_requirements_mix(app):
    from tests.helpers import requirement

    app_id = _in_review(app)
    client = _client(app, ASSESSOR_1)
    html = client.get(f"/beoordeling/{app_id}").get_data(as_text=True)
    # Every requirement of the catalogue is a knock-out requirement: a badge tells nothing.
    assert '<span class="badge">knock-out-eis</span>' not in html

    with app.app_context():
        requirement("A3").knockout = False
        db.session.commit()
    html = client.get(f"/beoordeling/{app_id}").get_data(as_text=True)
    titles = dict(re.findall(
        r'<h3 id="eis-([A-Z]+\d+)-titel"[^>]*>[^<]*(<span class="badge">knock-out-eis</span>)?',
        html))
    assert titles["A3"] == "" and titles["A1"] and titles["A4"]
