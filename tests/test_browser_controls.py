"""Radio buttons and checkboxes in the NL Design System style (issue 14, point 2), measured
in Debian's Chromium: every visible control shares a line with its label and is at least
24 x 24 CSS pixels, on the assessment page, the wizard, registration and the agreement."""
import pytest

from tests.browser_support import login_page
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER
from tests.helpers import submitted_application
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]

# For each visible radio or checkbox: its size and whether its label's first line is level
# with the control (the label's top above the control's bottom and the other way round).
MEASURE = """() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.getBoundingClientRect();
    const label = el.labels && el.labels[0];
    const lines = label ? label.getClientRects() : [];
    const first = lines.length ? lines[0] : null;
    return {
      name: el.name + '=' + el.value,
      width: box.width, height: box.height,
      label: label ? label.textContent.trim().slice(0, 40) : null,
      level: first ? (first.top < box.bottom && box.top < first.bottom) : false,
    };
  })"""


def _check(page, where):
    controls = page.evaluate(MEASURE)
    assert controls, f"{where}: no radio buttons or checkboxes found"
    wrong = [c for c in controls if not c["level"] or c["width"] < 24 or c["height"] < 24]
    assert wrong == [], f"{where}: {wrong[:5]}"
    return len(controls)


def _in_review(live):
    """An application taken into review by assessor 1, and one with a decision approved
    (so that the provider has an agreement on offer)."""
    from sqlalchemy import select

    from portal.assessment import workflow as assessment
    from portal.extensions import db
    from portal.models import Agreement, Outcome, VerdictOutcome
    from tests.conftest import user

    with live.app.app_context():
        provider, first = user(PROVIDER), user(ASSESSOR_1)
        review = submitted_application(provider, "pleegzorg")
        assessment.start_review(review, by=first)
        assessment.declare_no_conflict(review, by=first)
        decided = submitted_application(provider, "gezinshuiszorg")
        assessment.start_review(decided, by=first)
        assessment.declare_no_conflict(decided, by=first)
        assessment.record_verdicts(decided, {
            r.id: (VerdictOutcome.VOLDOET, "") for r in decided.applicable_requirements()}, by=first)
        [cat] = decided.categories
        assessment.propose_decision(decided, {cat.id: (Outcome.TOEGELATEN, "Voldoet.", [])}, by=first)
        assessment.approve_decision(decided, no_conflict=True, by=user(ASSESSOR_2))
        db.session.commit()
        agreement = db.session.scalar(select(Agreement.id).order_by(Agreement.id.desc()))
        return review.id, agreement


def test_controls_share_a_line_with_their_labels(live, browser):
    base = live.url
    review_id, agreement_id = _in_review(live)
    measured = 0

    anonymous = browser.new_page()
    anonymous.goto(base + "/registreren")
    measured += _check(anonymous, "registration")

    assessor = login_page(browser, base, ASSESSOR_1)
    assessor.goto(f"{base}/beoordeling/{review_id}")
    measured += _check(assessor, "assessment page")

    provider = login_page(browser, base, PROVIDER)
    provider.goto(base + "/aanmeldingen/nieuw")
    measured += _check(provider, "new application (categories)")
    provider.get_by_label("Leefgroepen").check()
    provider.get_by_role("button", name="Volgende").click()
    provider.wait_for_url("**/stap/1")
    measured += _check(provider, "wizard step 1")

    provider.goto(f"{base}/organisatie/overeenkomsten/{agreement_id}")
    measured += _check(provider, "agreement")
    assert measured > 20
