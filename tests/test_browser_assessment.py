"""The assessment pages not covered by the full round in test_browser.py, in Debian's
Chromium under Playwright, each checked by axe: the administrator's assign form, the
assessor's page with its error summary (422), a stopped decision clock in the queue, the
herstelbesluit form and its view, and the provider's page with the corrected decision."""
import pytest
from playwright.sync_api import expect

from tests.browser_support import login_page as _login
from tests.browser_support import quiet_pdfs as _quiet_pdfs
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER
from tests.helpers import submitted_application
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _submitted(live, cats):

    from portal.extensions import db
    from tests.conftest import user

    with live.app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, *cats)
        db.session.commit()
        return application.id, application.reference


def _decided(live, app_id):
    """Taken, judged, proposed by assessor 1 and approved by assessor 2."""
    from portal.assessment import workflow as assessment
    from portal.extensions import db
    from portal.models import Application, Outcome, VerdictOutcome
    from tests.conftest import user

    with live.app.app_context():
        application = db.session.get(Application, app_id)
        first = user(ASSESSOR_1)
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        assessment.record_verdicts(application, {
            r.id: (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()},
            by=first)
        [cat] = application.categories
        assessment.propose_decision(application, {cat.id: (
            Outcome.TOEGELATEN, "Voldoet aan alle minimumeisen.", [])}, by=first)
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
        db.session.commit()


def test_assign_error_summary_and_stopped_clock_pass_axe(live, browser, smtp):
    base = live.url
    app_id, reference = _submitted(live, ("pleegzorg",))

    # The administrator assigns the application to assessor 1 with the assign form.
    admin = _login(browser, base, ADMIN)
    _quiet_pdfs(admin)
    admin.goto(f"{base}/beoordeling/{app_id}")
    expect(admin.get_by_label("Toewijzen aan")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Toewijzen aan").select_option(label="Bas Jansen")
    admin.get_by_role("button", name="Toewijzen").click()
    expect(admin.get_by_text("De aanmelding is toegewezen.")).to_be_visible()
    assert _serious_a11y_violations(admin) == []

    # Assessor 1 declares, then proposes without a choice or motivation: the error summary.
    first = _login(browser, base, ASSESSOR_1)
    _quiet_pdfs(first)
    first.goto(f"{base}/beoordeling/{app_id}")
    first.get_by_role("button", name="Ik verklaar dat ik geen belangenconflict heb").click()
    first.get_by_role("button", name="Besluit voorstellen").click()
    summary = first.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Pleegzorg: kies toegelaten of afgewezen.")).to_be_visible()
    expect(summary.get_by_text("er is nog geen oordeel vastgelegd").first).to_be_visible()
    assert _serious_a11y_violations(first) == []

    # Ask to complete: the queue and the page show the clock standing still.
    a5 = first.locator("#completion_requirements details").filter(has_text="A5 ")
    a5.locator("summary").click()  # opens <details>
    a5.get_by_label("Vraag stellen over deze eis").check()
    first.get_by_label("Vraag over A5").fill("Het certificaat is onleesbaar.")
    first.get_by_role("button", name="Aanvulling vragen").click()
    expect(first.get_by_text("De beslistermijn staat stil.")).to_be_visible()
    expect(first.get_by_text("klok staat stil")).to_be_visible()
    first.goto(f"{base}/beoordeling/?status=aanvulling_gevraagd")
    row = first.get_by_role("row").filter(has_text=reference)
    expect(row.get_by_text("klok staat stil")).to_be_visible()
    assert _serious_a11y_violations(first) == []


def test_herstelbesluit_form_and_view_pass_axe(live, browser, smtp):
    base = live.url
    app_id, reference = _submitted(live, ("leefgroepen",))
    _decided(live, app_id)

    # Assessor 1 (who declared) proposes a herstelbesluit; first with a missing reason.
    first = _login(browser, base, ASSESSOR_1)
    _quiet_pdfs(first)
    first.goto(f"{base}/beoordeling/{app_id}")
    first.get_by_role("link", name="Herstelbesluit voorstellen").click()  # its own page
    expect(first.get_by_role("heading", name=f"Herstelbesluit voor {reference}")).to_be_visible()
    expect(first.get_by_role("heading", name="Het besluit dat u herstelt")).to_be_visible()
    assert _serious_a11y_violations(first) == []
    first.get_by_label("Toegelaten").check()
    first.get_by_label("Motivering Leefgroepen").fill(
        "Toegelaten voor leefgroepen; de eerdere motivering noemde een andere categorie.")
    first.get_by_role("button", name="Herstelbesluit voorstellen").click()
    expect(first.locator(".error-summary").get_by_text(
        "Leg uit welke fout dit herstelbesluit herstelt.")).to_be_visible()
    assert _serious_a11y_violations(first) == []
    first.get_by_label("Welke fout herstelt dit herstelbesluit?").fill("Verkeerde categorie genoemd.")
    first.get_by_label("Motivering Leefgroepen").fill(
        "Toegelaten voor leefgroepen; de eerdere motivering noemde een andere categorie.")
    first.get_by_role("button", name="Herstelbesluit voorstellen").click()
    expect(first.get_by_text("Het herstelbesluit is voorgesteld.")).to_be_visible()
    expect(first.get_by_text("U heeft dit herstelbesluit voorgesteld.")).to_be_visible()
    assert _serious_a11y_violations(first) == []

    # Assessor 2 sees the proposed herstelbesluit and approves it; the view then shows the
    # new decision, the earlier one, both letters and the history.
    second = _login(browser, base, ASSESSOR_2)
    _quiet_pdfs(second)
    second.goto(f"{base}/beoordeling/{app_id}")
    expect(second.get_by_text("herstelbesluit 1").first).to_be_visible()
    assert _serious_a11y_violations(second) == []
    # The second assessor declared with the first approval: not asked again.
    assert second.get_by_label("Ik verklaar dat ik geen belangen heb", exact=False).count() == 0
    second.get_by_role("button", name="Herstelbesluit goedkeuren").click()
    expect(second.get_by_text("Het herstelbesluit is goedgekeurd")).to_be_visible(timeout=60_000)
    expect(second.get_by_role("heading", name="Eerdere besluiten")).to_be_visible()
    expect(second.get_by_role(
        "link", name=f"besluitbrief-{reference}-herstel-1.pdf", exact=True)).to_be_visible()
    expect(second.locator("ol.timeline").get_by_text("Herstelbesluit goedgekeurd")).to_be_visible()
    assert _serious_a11y_violations(second) == []

    # The provider's page with the corrected decision and the letters.
    page = _login(browser, base, PROVIDER)
    page.goto(f"{base}/aanmeldingen/{app_id}")
    expect(page.get_by_text("de eerdere motivering noemde een andere categorie").first).to_be_visible()
    assert _serious_a11y_violations(page) == []
