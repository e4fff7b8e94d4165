"""PORTAL_TEST_NOW: the whole suite run with the clock set to an instant (tests/conftest.py).

These tests check the mechanism itself: how an instant is read, and that a pytest run with
the variable set sees that instant everywhere (the application's time helpers, and other
threads such as the live server's)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import TEST_NOW_VARIABLE, parse_test_now
from tests.infra.browser import chromium_available

ROOT = Path(__file__).resolve().parent.parent

# The five instants the suite must pass at (Amsterdam time), as the README lists them, with
# the UTC instant each one means.
DOCUMENTED_INSTANTS = {
    "2026-12-06T06:00": datetime(2026, 12, 6, 5, 0, tzinfo=UTC),
    "2026-12-31T23:30": datetime(2026, 12, 31, 22, 30, tzinfo=UTC),
    "2027-03-28T02:30": datetime(2027, 3, 28, 1, 30, tzinfo=UTC),  # skipped hour: +01:00
    "2031-12-31T23:59": datetime(2031, 12, 31, 22, 59, tzinfo=UTC),
    "2033-12-31T12:00": datetime(2033, 12, 31, 11, 0, tzinfo=UTC),
}


@pytest.mark.parametrize(("value", "expected"), DOCUMENTED_INSTANTS.items())
def test_the_documented_instants_are_amsterdam_time(value, expected):
    assert parse_test_now(value) == expected


def test_an_offset_is_taken_as_written_and_a_date_alone_is_local_midnight():
    assert parse_test_now("2027-03-28T02:30+01:00") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert parse_test_now("2027-06-01T12:00Z") == datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_test_now("2027-06-01") == datetime(2027, 5, 31, 22, 0, tzinfo=UTC)  # CEST


def test_a_local_time_that_occurs_twice_is_the_first_of_the_two():
    # 31 October 2027: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    assert parse_test_now("2027-10-31T02:30") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_a_value_that_is_no_instant_is_refused_with_the_variable_named():
    with pytest.raises(ValueError, match=TEST_NOW_VARIABLE):
        parse_test_now("morgen")


PROBE = r'''
import threading
from datetime import UTC

from portal.timeutil import AMSTERDAM, today_local, utcnow


def test_probe():
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(day=today_local(), now=utcnow()))
    thread.start()
    thread.join()
    local = utcnow().replace(tzinfo=UTC).astimezone(AMSTERDAM)
    print(f"\nMAIN {today_local().isoformat()} {utcnow().isoformat()} {local:%H:%M}")
    print(f"THREAD {seen['day'].isoformat()} {seen['now'].isoformat()}")
'''


def _run_probe(tmp_path, value: str | None) -> str:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != TEST_NOW_VARIABLE}
    if value is not None:
        env[TEST_NOW_VARIABLE] = value
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-s",
         "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _probe_line(output: str, name: str) -> list[str]:
    match = re.search(rf"^{name} (.+)$", output, re.M)
    assert match, output[-3000:]
    return match.group(1).split()


def test_a_run_with_the_variable_set_sees_that_instant_in_every_thread(tmp_path):
    started = datetime(2027, 3, 28, 1, 30)  # 02:30 on the day daylight saving starts
    output = _run_probe(tmp_path, "2027-03-28T02:30")

    day, now, local_time = _probe_line(output, "MAIN")
    thread_day, thread_now = _probe_line(output, "THREAD")
    assert day == thread_day == "2027-03-28"
    assert local_time.startswith("03:")  # the clock is past the skipped hour, in summer time
    for value in (now, thread_now):  # the clock ticks on from the instant (a run takes seconds)
        assert started <= datetime.fromisoformat(value) < started + timedelta(minutes=5)
    assert f"clock: {TEST_NOW_VARIABLE}=2027-03-28T02:30 -> 2027-03-28 01:30" in output


def test_a_run_without_the_variable_keeps_the_real_clock(tmp_path):
    output = _run_probe(tmp_path, None)
    _day, now, _local_time = _probe_line(output, "MAIN")
    assert "clock:" not in output
    # This process's own clock may be moved (when the suite runs with the variable), so the
    # real time comes from outside it.
    os_seconds = float(subprocess.run(["date", "+%s"], capture_output=True, text=True,
                                      check=True).stdout)
    os_now = datetime.fromtimestamp(os_seconds, UTC).replace(tzinfo=None)
    assert abs(datetime.fromisoformat(now) - os_now) < timedelta(minutes=5)


def test_the_demo_data_can_be_seeded_on_a_leap_day(tmp_path):
    """``flask seed --demo`` on 29 February: the demo evidence is valid for a year, which
    from that day is until 28 February."""
    import time_machine
    from sqlalchemy import select

    from portal.demo import DEMO_PASSWORD, seed_demo_applications
    from portal.extensions import db
    from portal.models import Answer
    from tests.conftest import build_database, make_app

    url = f"sqlite:///{tmp_path / 'leap.sqlite'}"
    build_database(url, tmp_path)
    app = make_app(url, tmp_path / "uploads")
    with app.app_context(), time_machine.travel(datetime(2028, 2, 29, 9, 0, tzinfo=UTC), tick=True):
        assert seed_demo_applications(DEMO_PASSWORD)
        db.session.commit()
        valid = set(db.session.scalars(select(Answer.evidence_valid_until)
                                       .where(Answer.evidence_valid_until.is_not(None))))
        db.session.remove()
        db.engine.dispose()
    assert valid == {datetime(2029, 2, 28).date()}


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")
def test_chromium_holds_only_session_cookies_so_its_own_clock_does_not_matter(live, browser):
    """Chromium keeps the real time while the portal may run at PORTAL_TEST_NOW: a cookie
    with an expiry date could be expired (or not) by Chromium's clock. The portal sets none."""
    from playwright.sync_api import expect

    from tests.browser_support import login_page
    from tests.conftest import PROVIDER

    page = login_page(browser, live.url, PROVIDER)
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    cookies = page.context.cookies()
    assert cookies, "logging in set no cookie"
    assert [(c["name"], c["expires"]) for c in cookies if c["expires"] != -1] == []
