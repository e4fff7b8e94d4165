#!/usr/bin/env python3
"""Screenshots of the main pages for the README, made from the demo region.

    .venv/bin/python scripts/screenshots.py                 start a portal with the demo data
    .venv/bin/python scripts/screenshots.py --url URL       use a running portal (python3 dev.py)

Without --url the script builds a throwaway SQLite database in a temporary directory
(`flask db upgrade`, `flask seed --demo`), starts `flask run` on a free port, and stops it
at the end. It drives Debian's `chromium` headless through Playwright (as the browser
tests do: tests/infra/browser.py), logs in with the README's demo logins (the staff's
second factor computed with pyotp from the demo TOTP secret) and saves PNGs into
docs/screenshots/:

    01-home.png            the public home page
    02-wizard.png          a provider's application wizard (the demo provider's draft)
    03-review.png          the assessors' review page of an application in review
    04-report.png          the management report (administrator)
    05-register.png        the public register of admitted partners

Needs the test extras (playwright, pyotp): `python3 dev.py test --help` installs them.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-wachtwoord-2027"
TOTP_SECRET = "WBOJEUGDDEMOTOTPWBOJEUGDDEMOTOTP"
PROVIDER, ASSESSOR, ADMIN = "aanbieder@demo.nl", "beoordelaar1@demo.nl", "beheer@demo.nl"
# As tests/infra/browser.py launches Debian's chromium (headless, in containers and CI).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000
START_SECONDS = 120


def say(message: str) -> None:
    print(f"[screenshots] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"the portal stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the portal at {url} did not answer within {START_SECONDS} s")


class DemoPortal:
    """A portal with a fresh demo database in a temporary directory, on a free port."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="portal-screens-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=f"sqlite:///{self.tmp / 'demo.sqlite'}",
                        UPLOAD_DIR=str(self.tmp / "uploads"), FLASK_DEBUG="0")
        self.env.pop("MAIL_SERVER", None)  # the demo's addresses are fictional: no mail out
        self.process: subprocess.Popen | None = None

    def _flask(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "app", *args]

    def __enter__(self) -> DemoPortal:
        say(f"building the demo database in {self.tmp}")
        for args in (("db", "upgrade"), ("seed", "--demo")):
            done = subprocess.run(self._flask(*args), cwd=ROOT, env=self.env,
                                  capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        say(f"starting the portal on {self.url}")
        self.process = subprocess.Popen(
            self._flask("run", "--host", "127.0.0.1", "--port", str(self.port)),
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(self.url, self.process)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def launch_chromium(playwright):
    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=executable, headless=True,
                                      args=list(CHROMIUM_ARGS))


def new_page(browser):
    context = browser.new_context(locale="nl-NL", viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def login(browser, base: str, email: str):
    """A new browser context logged in as ``email`` (staff: with the demo second factor)."""
    import pyotp

    page = new_page(browser)
    page.goto(base + "/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    totp = pyotp.TOTP(TOTP_SECRET)
    used = None
    for _ in range(2):  # a code is accepted once: if it was just used, take the next one
        if "/inloggen/code" not in page.url:
            break
        while totp.now() == used:
            time.sleep(0.5)
        used = totp.now()
        page.get_by_label("Code uit uw authenticator-app").fill(used)
        with page.expect_navigation():
            page.get_by_role("button", name="Inloggen").click()
    if "/inloggen" in page.url:
        sys.exit(f"could not log in as {email} (is this the demo database?)")
    return page


def shoot(page, path: str, name: str, *, base: str, max_height: int | None = None) -> None:
    """Save the page from its top: the window, or with ``max_height`` the whole page up to
    that many pixels."""
    if path:
        page.goto(base + path)
    page.wait_for_selector("h1")  # the page's heading: the page is there, whatever its layout
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # a page may scroll to what it selects
    target = OUT / name
    if max_height:
        height = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=str(target), full_page=True,
                        clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                              "height": min(height, max_height)})
    else:
        page.screenshot(path=str(target))
    say(f"saved {target.relative_to(ROOT)} ({page.url})")


def first_link(page, pattern: str) -> str | None:
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if re.fullmatch(pattern, href or ""):
            return href
    return None


def make_screenshots(base: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = new_page(browser)
            shoot(page, "/", "01-home.png", base=base)
            shoot(page, "/register", "05-register.png", base=base)

            page = login(browser, base, PROVIDER)
            page.goto(base + "/aanbieder")
            draft = first_link(page, r"/aanmeldingen/\d+(/stap/\d+)?")
            if draft is None:
                sys.exit("the demo provider has no application: run `flask seed --demo`")
            application = re.search(r"/aanmeldingen/(\d+)", draft).group(1)
            shoot(page, f"/aanmeldingen/{application}/stap/1", "02-wizard.png", base=base)

            page = login(browser, base, ASSESSOR)
            page.goto(base + "/beoordeling/?status=in_behandeling&beoordelaar=mij")
            review = first_link(page, r"/beoordeling/\d+")
            if review is None:
                sys.exit("no application in review for the demo assessor")
            shoot(page, review, "03-review.png", base=base, max_height=1600)

            page = login(browser, base, ADMIN)
            shoot(page, "/beheer/rapportage", "04-report.png", base=base, max_height=2400)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running portal with the demo data, e.g. "
                                      "http://127.0.0.1:5000 (default: start one)")
    args = parser.parse_args()
    if args.url:
        base = args.url.rstrip("/")
        wait_until_up(base)
        make_screenshots(base)
    else:
        with DemoPortal() as portal:
            make_screenshots(portal.url)


if __name__ == "__main__":
    main()
