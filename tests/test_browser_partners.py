"""Browser: a partner accepts the agreement; the region's admission and term pages."""
import shutil

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, PROVIDER, make_app
from tests.infra.browser import LiveServer, chromium_available, launch_chromium
from tests.test_browser import _login, _serious_a11y_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def live(template_db, tmp_path, smtp):
    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp)
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def test_partner_accepts_the_agreement_and_the_region_manages_the_admission(live, browser, smtp):
    from portal.extensions import db
    from portal.models import Admission, AdmissionStatus, Agreement
    from tests.test_partners import _admitted

    with live.app.app_context():
        _admitted()
        agreement_id = db.session.scalar(select(Agreement.id))
        admission_id = db.session.scalar(select(Admission.id))
    base = live.url

    page = _login(browser, base, PROVIDER)
    page.goto(base + "/aanbieder")
    page.get_by_role("link", name="Overeenkomst accepteren").click()
    assert page.get_by_role("heading", name="Deelnemersovereenkomst").is_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Overeenkomst accepteren").click()
    assert page.get_by_text("Bevestig dat u de overeenkomst accepteert").first.is_visible()
    page.get_by_label("Ik heb de deelnemersovereenkomst gelezen").check()
    page.get_by_role("button", name="Overeenkomst accepteren").click()
    assert page.get_by_text("Uw toelating is nu actief").is_visible()
    assert smtp.find(subject_contains="deelnemersovereenkomst geaccepteerd")
    page.goto(base + "/organisatie/overeenkomsten")
    assert _serious_a11y_violations(page) == []
    with live.app.app_context():
        assert db.session.get(Agreement, agreement_id).accepted_ip == "127.0.0.1"
        assert db.session.get(Admission, admission_id).status == AdmissionStatus.ACTIEF

    admin = _login(browser, base, ADMIN)
    admin.goto(f"{base}/beheer/toelatingen/{admission_id}")
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Reden van de schorsing").fill("Onderzoek naar een melding")
    admin.get_by_label("Ingangsdatum").fill(__import__("datetime").date.today().isoformat())
    admin.get_by_role("button", name="Schorsen").click()
    assert admin.get_by_text("De schorsing is vastgelegd").is_visible()
    assert admin.get_by_text("geschorst").first.is_visible()
    admin.goto(base + "/beheer/looptijd")
    assert _serious_a11y_violations(admin) == []
    page.goto(base + "/aanbieder")
    assert page.get_by_text("geschorst sinds").is_visible()
