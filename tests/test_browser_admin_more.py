"""axe-core on the administration pages no other browser test visits (Debian's Chromium
under Playwright): the administration's start page, the edit form of a product (as it
opens and with an error), the set-password page opened with a link that was already used
and with one that expired, and the staff list filtered to deactivated accounts. Also the
upload form's size check in the browser (the counterpart of the 413 page)."""
import shutil
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts import staff as staff_ops
from portal.extensions import db
from portal.models import Product
from tests.browser_support import BROWSER_MARKS, login_page, serious_a11y_violations
from tests.conftest import ADMIN, ASSESSOR_2, PROVIDER, make_app, user
from tests.helpers import PDF_BYTES
from tests.infra.browser import LiveServer

pytestmark = BROWSER_MARKS


class _EightDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 8 * 24 * 3600


def _prepare(app):
    """An invited assessor who already used the link, one whose link is 8 days old (the
    link is valid for 7), and a deactivated assessor; returns the links and a product id."""
    with app.app_context():
        admin = user(ADMIN)
        used = staff_ops.create_staff(full_name="Ulla Gebruikt", email="ulla@regio.example",
                                      role="assessor", by=admin)
        late = staff_ops.create_staff(full_name="Lars Laat", email="lars@regio.example",
                                      role="assessor", by=admin)
        used_token = staff_ops.set_password_token(used)
        staff_ops.set_password(used_token, password="een-goed-wachtwoord-2027")
        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"portal.{staff_ops.PURPOSE}",
                                     signer=_EightDaysAgo)
        expired_token = old.dumps({"uid": late.id, "email": late.email,
                                   "fp": staff_ops._fingerprint(late)})
        staff_ops.deactivate_staff(user(ASSESSOR_2), by=admin)
        product = db.session.scalar(select(Product).where(Product.code == "44A06"))
        db.session.commit()
        return used_token, expired_token, product.id


def test_more_administration_pages_pass_axe(live, browser):
    used_token, expired_token, product_id = _prepare(live.app)
    base = live.url
    admin = login_page(browser, base, ADMIN)

    admin.goto(base + "/beheer/")
    expect(admin.get_by_role("heading", name="Contractbeheer", level=1)).to_be_visible()
    expect(admin.get_by_role("link", name="Medewerkers")).to_be_visible()
    assert serious_a11y_violations(admin) == []

    admin.goto(f"{base}/beheer/producten/{product_id}")
    expect(admin.get_by_role("heading", name="Product 44A06 wijzigen")).to_be_visible()
    assert admin.get_by_label("Productcode").input_value() == "44A06"
    assert serious_a11y_violations(admin) == []
    admin.get_by_label("Productcode").fill("")
    admin.get_by_role("button", name="Opslaan").click()
    expect(admin.locator(".error-summary")).to_be_visible()
    assert serious_a11y_violations(admin) == []

    admin.goto(base + "/beheer/medewerkers?status=gedeactiveerd")
    assert admin.get_by_role("link", name="Gedeactiveerd").get_attribute("aria-current") == "page"
    expect(admin.get_by_role("cell", name=ASSESSOR_2)).to_be_visible()
    assert admin.get_by_role("cell", name="beoordelaar1@demo.nl").count() == 0
    assert serious_a11y_violations(admin) == []

    visitor = browser.new_context(locale="nl-NL").new_page()
    for token, text in ((used_token, "Deze link is al gebruikt"),
                        (expired_token, "Deze link is verlopen")):
        response = visitor.goto(f"{base}/beheer/wachtwoord-instellen/{token}")
        assert response.status == 400
        expect(visitor.get_by_role("heading", name="Wachtwoord kiezen")).to_be_visible()
        expect(visitor.get_by_role("alert").filter(has_text=text)).to_be_visible()
        expect(visitor.get_by_role("link", name="Naar de inlogpagina")).to_be_visible()
        assert visitor.get_by_label("Kies een wachtwoord").count() == 0
        assert serious_a11y_violations(visitor) == []



def test_a_file_over_the_limit_is_caught_before_the_form_is_sent(template_db, tmp_path, smtp,
                                                                  browser):
    """The upload form's small script: a chosen file over the per-file limit shows the
    limit in the error style at once (announced politely), the form is not sent, and what
    was typed stays; a file that fits clears the message and saves."""
    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp, UPLOAD_MAX_BYTES=50 * 1024,
                   MAX_CONTENT_LENGTH=150 * 1024)
    server = LiveServer(app).start()
    try:
        page = login_page(browser, server.url, PROVIDER)
        page.goto(server.url + "/aanmeldingen/nieuw")
        page.get_by_label("Pleegzorg").check()
        page.get_by_role("button", name="Volgende").click()
        page.wait_for_url("**/stap/1")
        step_url = page.url
        page.get_by_label("Aantal SKJ- of BIG-geregistreerde professionals").fill("12")
        upload = page.get_by_label("Certificaat kwaliteitssysteem (PDF)")
        assert upload.get_attribute("data-max-bytes") == str(50 * 1024)
        upload.set_input_files(files=[{"name": "groot.pdf", "mimeType": "application/pdf",
                                       "buffer": PDF_BYTES + b"0" * (80 * 1024)}])
        message = page.locator(".error-message", has_text="groot.pdf")
        expect(message).to_be_visible()
        assert "groter dan 50 kB" in message.inner_text()
        assert message.locator("xpath=..").get_attribute("aria-live") == "polite"
        assert upload.get_attribute("aria-invalid") == "true"
        assert serious_a11y_violations(page) == []

        posts = []
        page.on("request", lambda request: posts.append(request.url)
                if request.method == "POST" else None)
        # Note what became of the submit event once every listener has had its turn, and
        # wait for that instead of for a while.
        page.evaluate("""() => document.addEventListener("submit", (event) => {
            setTimeout(() => { window.submitPrevented = event.defaultPrevented; }); })""")
        page.get_by_role("button", name="Opslaan").click()
        page.wait_for_function("window.submitPrevented !== undefined", timeout=30_000)
        assert page.evaluate("window.submitPrevented") is True
        assert posts == [] and page.url == step_url  # the form was not sent
        assert page.get_by_role("heading", name="Bestand te groot").count() == 0
        assert page.get_by_label("Aantal SKJ- of BIG-geregistreerde professionals").input_value() == "12"
        assert page.evaluate("document.activeElement.id") == upload.get_attribute("id")

        upload.set_input_files(files=[{"name": "klein.pdf", "mimeType": "application/pdf",
                                       "buffer": PDF_BYTES}])
        assert message.count() == 0 and upload.get_attribute("aria-invalid") is None
        page.get_by_role("button", name="Opslaan").click()
        expect(page.get_by_text("Uw antwoorden zijn opgeslagen.")).to_be_visible()
        assert posts == [step_url]

        # Where the script cannot help (here: the mark taken off the input, as in a browser
        # without JavaScript), the server refuses the request as a whole: the 413 page,
        # with the limits and a link back to the step, passes axe too.
        upload.evaluate("input => input.removeAttribute('data-max-bytes')")
        upload.set_input_files(files=[{"name": "heel-groot.pdf", "mimeType": "application/pdf",
                                       "buffer": PDF_BYTES + b"0" * (200 * 1024)}])
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Opslaan").click()
        assert answer.value.status == 413
        expect(page.get_by_role("heading", name="Bestand te groot", level=1)).to_be_visible()
        expect(page.get_by_text("Eén bestand mag maximaal 50 kB zijn.")).to_be_visible()
        back = page.get_by_role("link", name="Terug naar de pagina waar u was")
        assert back.get_attribute("href") == step_url.removeprefix(server.url)
        assert serious_a11y_violations(page) == []
        back.click()
        expect(page.get_by_text("Huidig bestand:").first).to_be_visible()
        expect(page.get_by_role("link", name="klein.pdf")).to_be_visible()  # the 413 changed nothing
    finally:
        server.stop()
