"""The review workspace on the assessment page (issue 14, point 1), in Debian's Chromium:
the requirements as a list beside one requirement's answer, its evidence inline and the
verdict; moving between requirements by the list and by keyboard without a page load; a
verdict chosen with the keyboard changes the list's state and the progress and is saved;
side by side at 1400 pixels, stacked at 600; axe clean."""
import pytest
from playwright.sync_api import expect

from tests.browser_support import login_page
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ASSESSOR_1, PROVIDER
from tests.helpers import submitted_application
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _in_review(live):
    """A Pleegzorg application taken into review by assessor 1 (declared): its id, the
    codes of its requirements in the page's order, and the code of one with a PDF."""
    from portal.assessment import workflow as assessment
    from portal.extensions import db
    from tests.conftest import user

    with live.app.app_context():
        application = submitted_application(user(PROVIDER), "pleegzorg")
        first = user(ASSESSOR_1)
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        db.session.commit()
        requirements = application.applicable_requirements()
        general = [r for r in requirements if r.is_general]
        ordered = general + [r for r in requirements if not r.is_general]
        answers = application.answers_by_requirement()
        with_pdf = next(r.code for r in ordered if answers.get(r.id) and answers[r.id].document)
        return application.id, [r.code for r in ordered], with_pdf


def _verdict_of(live, app_id, code):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Requirement, Verdict

    with live.app.app_context():
        outcome = db.session.scalar(
            select(Verdict.outcome).join(Requirement, Requirement.id == Verdict.requirement_id)
            .where(Verdict.application_id == app_id, Requirement.code == code))
        db.session.remove()
        return outcome.value if outcome else None


def _box(locator):
    box = locator.bounding_box()
    assert box is not None, f"{locator} has no box"
    return box


def test_review_workspace_by_list_and_keyboard_without_a_page_load(live, browser):
    base = live.url
    app_id, codes, with_pdf = _in_review(live)
    page = login_page(browser, base, ASSESSOR_1)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base}/beoordeling/{app_id}")
    page.evaluate("window.__loadedOnce = 'yes'")  # gone if the page loads again
    url = page.url
    progress = page.locator("[data-ws-progress]")
    expect(progress).to_have_text(f"0 van {len(codes)} beoordeeld")
    expect(page.get_by_text("Sneltoetsen")).to_be_visible()

    # One requirement shows at a time, the first not judged; every one is in the list.
    nav = page.locator("nav.ws-nav")
    expect(nav.locator("a")).to_have_count(len(codes))
    expect(page.locator("[data-ws-panel]:visible")).to_have_count(1)
    expect(page.locator(f"#eis-{codes[0]}")).to_be_visible()
    expect(nav.locator("a[aria-current]")).to_have_attribute("href", f"#eis-{codes[0]}")

    # Selecting in the list.
    nav.locator(f"a[href='#eis-{codes[3]}']").click()
    expect(page.locator(f"#eis-{codes[3]}")).to_be_visible()
    expect(page.locator(f"#eis-{codes[0]}")).to_be_hidden()

    # Next / previous by keyboard: the keys J and K, and the button "Volgende eis".
    page.keyboard.press("j")
    expect(page.locator(f"#eis-{codes[4]}")).to_be_visible()
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(page.locator(f"#eis-{codes[2]}")).to_be_visible()
    expect(page.locator(f"#eis-{codes[2]}-titel")).to_be_focused()
    panel = page.locator(f"#eis-{codes[2]}")
    panel.get_by_role("link", name="Volgende eis").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#eis-{codes[3]}")).to_be_visible()
    expect(page.locator(f"#eis-{codes[3]}-titel")).to_be_focused()

    # A verdict with the keyboard only: Tab to the first choice, Space chooses "Voldoet".
    trail = []
    for _ in range(15):
        page.keyboard.press("Tab")
        trail.append(page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
        if page.evaluate("document.activeElement.type") == "radio":
            break
    assert page.evaluate("document.activeElement.type") == "radio", trail
    assert page.evaluate("document.activeElement.closest('[data-ws-panel]').id") == f"eis-{codes[3]}"
    page.keyboard.press("Space")
    expect(progress).to_have_text(f"1 van {len(codes)} beoordeeld")
    expect(nav.locator(f"a[href='#eis-{codes[3]}'] .ws-state")).to_have_text("voldoet")
    expect(page.get_by_text("Opgeslagen om")).to_be_visible()
    assert _verdict_of(live, app_id, codes[3]) == "voldoet"
    # A knock-out requirement judged 'voldoet niet' appears above the decision.
    nav.locator(f"a[href='#eis-{codes[0]}']").click()
    page.locator(f"#eis-{codes[0]}").get_by_label("Voldoet niet").check()
    expect(nav.locator(f"a[href='#eis-{codes[0]}'] .ws-state")).to_have_text("voldoet niet")
    failed = page.locator("[data-ws-failed]")
    expect(failed.get_by_role("link", name=codes[0], exact=False)).to_be_visible()
    expect(progress).to_have_text(f"2 van {len(codes)} beoordeeld")

    assert page.url == url
    assert page.evaluate("window.__loadedOnce") == "yes"

    # The PDF inline, beside the verdict form; the progress stays in view when scrolled.
    nav.locator(f"a[href='#eis-{with_pdf}']").click()
    shown = page.locator(f"#eis-{with_pdf}")
    frame, choices = shown.locator("iframe.ws-pdf"), shown.locator("fieldset.choices")
    expect(frame).to_be_visible()
    pdf, form = _box(frame), _box(choices)
    assert pdf["x"] + pdf["width"] <= form["x"], (pdf, form)  # left of the form
    assert pdf["y"] < form["y"] + form["height"] and form["y"] < pdf["y"] + pdf["height"]
    assert _box(nav)["x"] + _box(nav)["width"] <= pdf["x"]  # the list left of both
    top = page.evaluate("window.scrollY") + _box(progress)["y"]
    page.evaluate(f"window.scrollTo(0, {top + 400})")
    assert page.evaluate("window.scrollY") > top
    assert 0 <= _box(progress)["y"] < 40  # stuck at the top of the window
    assert _serious_a11y_violations(page) == []

    # A narrow window (and 200 % zoom of a 1200 pixel window): the parts stack, nothing
    # sticks out to the side.
    page.set_viewport_size({"width": 600, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    pdf, form, listed = _box(frame), _box(choices), _box(nav)
    assert listed["y"] + listed["height"] <= form["y"] < pdf["y"], (listed, form, pdf)
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
    assert _serious_a11y_violations(page) == []
    assert page.evaluate("window.__loadedOnce") == "yes"


def test_without_javascript_every_requirement_is_on_the_page(live, browser):
    base = live.url
    app_id, codes, _pdf = _in_review(live)
    page = login_page(browser, base, ASSESSOR_1)
    page.route("**/static/workspace.js", lambda route: route.abort())
    page.goto(f"{base}/beoordeling/{app_id}")
    expect(page.locator("[data-ws-panel]:visible")).to_have_count(len(codes))
    expect(page.get_by_text("Sneltoetsen")).to_be_hidden()
    # The list's links jump to the requirement on the same page.
    page.locator(f"nav.ws-nav a[href='#eis-{codes[5]}']").click()
    assert page.url.endswith(f"#eis-{codes[5]}")
    assert _serious_a11y_violations(page) == []


def test_wizard_step_at_200_percent_zoom_and_by_keyboard_only(live, browser):
    """A wizard step of at most 7 requirements in a 640 pixel window (a 1280 pixel window
    at 200 %): nothing sticks out to the side; the keyboard reaches every field and the
    button to the next step."""
    base = live.url
    page = login_page(browser, base, PROVIDER)
    page.set_viewport_size({"width": 640, "height": 800})
    page.goto(base + "/aanmeldingen/nieuw")
    page.get_by_label("Pleegzorg").check()
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/1")
    expect(page.get_by_text("Stap 1 van 4: Algemene eisen (deel 1 van 2)")).to_be_visible()
    expect(page.get_by_text("Alle eisen op deze pagina zijn knock-out-eisen")).to_be_visible()
    assert 1 <= page.locator("fieldset.req").count() <= 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    assert _serious_a11y_violations(page) == []

    # Keyboard only: from the first declaration, Tab on to the button "Volgende".
    first = page.locator("input[type=checkbox][name$=_declared]").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.name || document.activeElement.tagName"))
        if page.evaluate("document.activeElement.name") == "volgende":
            break
    assert reached[-1] == "volgende", reached
    fields = set(page.evaluate(
        "[...document.querySelectorAll('form input:not([type=hidden]), form textarea, form select')]"
        ".map(el => el.name)"))
    assert fields - {"csrf_token", "version"} <= set(reached) | {first.get_attribute("name")}
    page.keyboard.press("Enter")
    page.wait_for_url("**/stap/2")
    expect(page.get_by_text("Stap 2 van 4: Algemene eisen (deel 2 van 2)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
