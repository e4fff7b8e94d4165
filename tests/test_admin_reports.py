"""Management report (/beheer/rapportage): figures on known data made by the real workflows,
the period filter, CSV and Excel exports that parse back to the same numbers, access for
administrators only, and a statement count that does not grow with the data."""
from __future__ import annotations

import csv
import io
import random
import statistics
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from bench.datagen import populate
from portal.accounts import workflow as accounts
from portal.applications import workflow
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    Application,
    CategoryDecision,
    Outcome,
    Procedure,
    Status,
    VerdictOutcome,
)
from portal.partners import workflow as partners
from portal.reports import figures as reports
from portal.reports.figures import Period
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, user
from tests.helpers import categories, fill_completely, requirement
from tests.test_scale import StatementCounter

MAX_STATEMENTS = 15
FIGURE_KEYS = ["statussen", "categorieen", "besluiten", "doorlooptijd", "te-laat", "partners"]
URLS = (["/beheer/rapportage", "/beheer/rapportage?van=2027-03&tot=2027-03",
         "/beheer/rapportage/alle-cijfers.xlsx"]
        + [f"/beheer/rapportage/{key}.{fmt}" for key in FIGURE_KEYS for fmt in ("csv", "xlsx")])
# The knock-out requirement a rejection in each category names.
FAILS = {"leefgroepen": "L1", "pleegzorg": "P1"}


# --- known data, through the real workflows ---------------------------------------------------

def _provider(name: str, kvk: str, email: str):
    person = accounts.register_provider(
        org_name=name, kvk_number=kvk, street="Markt 1", postal_code="4811 AA", city="Breda",
        contact_email=f"info@{kvk}.example", website="", full_name="Beheerder " + name,
        email=email, password="een-lang-wachtwoord-2027")
    accounts.confirm_email(accounts.confirmation_token(person))
    return person


def _create(provider, *codes):
    application = workflow.create_application(db.session.scalar(select(Procedure)),
                                              categories(*codes), by=provider)
    fill_completely(application, provider)
    return application


def _submit(provider, *codes):
    application = _create(provider, *codes)
    workflow.submit(application, by=provider)
    return application


def _in_review(provider, *codes):
    application = _submit(provider, *codes)
    assessment.start_review(application, by=user(ASSESSOR_1))
    assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
    return application


def _decided(provider, codes, *, rejected=(), submitted: datetime, decided: datetime):
    """Assessed, proposed by one assessor and approved by another; then moved to known dates
    (the workflows stamp 'now'; only the timestamps are changed afterwards)."""
    application = _in_review(provider, *codes)
    failing = {requirement(FAILS[code]).id for code in rejected}
    assessment.record_verdicts(application, {
        r.id: (VerdictOutcome.VOLDOET_NIET, "Niet aangetoond.") if r.id in failing
        else (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()},
        by=user(ASSESSOR_1))
    assessment.propose_decision(application, {
        c.id: (Outcome.AFGEWEZEN, "Voldoet niet.", [requirement(FAILS[c.code]).id])
        if c.code in rejected else (Outcome.TOEGELATEN, "Voldoet.", [])
        for c in application.categories}, by=user(ASSESSOR_1))
    assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
    application.submitted_at, application.decided_at = submitted, decided
    for d in assessment.current_decisions(application):
        d.proposed_at = d.approved_at = decided
    db.session.flush()
    return application


def _correct(application, *, approved: datetime | None):
    """A herstelbesluit with the same outcome; approved on ``approved`` or left pending."""
    assessment.propose_correction(
        application, {d.category_id: (d.outcome, "Hersteld: de motivering noemde de verkeerde "
                                                 "categorie.", [])
                      for d in assessment.current_decisions(application)},
        by=user(ASSESSOR_1), reason="Verkeerde categorie in de motivering.")
    if approved is not None:
        assessment.approve_correction(application, no_conflict=True, by=user(ASSESSOR_2))
        for d in assessment.current_decisions(application):
            d.approved_at = approved
    db.session.flush()


def _admission(application, code):
    [category] = categories(code)
    return db.session.scalar(select(Admission).where(
        Admission.application_id == application.id, Admission.category_id == category.id))


def build_known_data():
    """Three organisations, nine applications in every state, four decided ones.

    decided  | org | categories (outcome)                       | submitted  | decided    | days
    app1     |  A  | pleegzorg (+), leefgroepen (-)             | 2027-01-04 | 2027-02-01 | 28
    app2     |  B  | pleegzorg (+), herstelbesluit 2027-04-02   | 2027-01-10 | 2027-03-15 | 64
    app3     |  C  | gezinshuiszorg (+), herstelbesluit pending | 2027-02-01 | 2027-03-03 | 30
    app4     |  A  | zelfstandigheid (+), kleinschalig (+)      | 2027-03-20 | 2027-04-30 | 41
    """
    a = user(PROVIDER)
    b = _provider("Jeugdhuis Het Baken", "87654321", "baken@example.org")
    c = _provider("Woonzorg De Haven", "11223344", "haven@example.org")
    app1 = _decided(a, ["pleegzorg", "leefgroepen"], rejected=["leefgroepen"],
                    submitted=datetime(2027, 1, 4, 9), decided=datetime(2027, 2, 1, 14))
    app2 = _decided(b, ["pleegzorg"], submitted=datetime(2027, 1, 10, 10),
                    decided=datetime(2027, 3, 15, 10))
    app3 = _decided(c, ["gezinshuiszorg"], submitted=datetime(2027, 2, 1, 8),
                    decided=datetime(2027, 3, 3, 16))
    _decided(a, ["zelfstandigheidstraining", "kleinschalige-woonvormen"],
             submitted=datetime(2027, 3, 20, 11), decided=datetime(2027, 4, 30, 9))
    _correct(app2, approved=datetime(2027, 4, 2, 12))  # counts in April, not in March
    _correct(app3, approved=None)  # pending: the decision of March still counts
    today = today_local()
    app1.decision_due = today - timedelta(days=30)  # decided: never overdue

    # Open applications: one overdue, one asked to complete (its clock stands still), one not;
    # a draft; a withdrawn one.
    app5 = _submit(a, "gezinshuiszorg")
    app5.decision_due = today - timedelta(days=3)
    _in_review(b, "kleinschalige-woonvormen")  # due in 8 weeks
    app7 = _in_review(b, "zelfstandigheidstraining")
    assessment.request_completion(app7, {requirement("Z1").id: "Hoeveel uur begeleiding?"},
                                  by=user(ASSESSOR_1))
    app7.decision_due = today - timedelta(days=1)
    _create(c, "leefgroepen")
    withdrawn = _submit(c, "kleinschalige-woonvormen")
    workflow.withdraw(withdrawn, by=c, reason="Toch niet.")

    # Admissions: A's pleegzorg ended; B's pleegzorg active then suspended; C's active.
    partners.end(_admission(app1, "pleegzorg"), by=user(ADMIN), reason="Gestopt.", ends_on=today)
    for org_user, application in ((b, app2), (c, app3)):
        agreement = db.session.scalar(select(Agreement).where(
            Agreement.application_id == application.id))
        partners.accept_agreement(agreement, by=org_user, ip_address="192.0.2.1")
    partners.suspend(_admission(app2, "pleegzorg"), by=user(ADMIN), reason="Onderzoek.",
                     starts_on=today)
    db.session.commit()


EXPECTED_STATES = {"Concept": 1, "Ingediend": 1, "In behandeling": 1, "Aanvulling gevraagd": 1,
                   "Besluit voorgesteld": 0, "Besloten": 4, "Ingetrokken": 1}
# category -> counts in the order of Status (concept ... ingetrokken)
EXPECTED_PER_CATEGORY = {
    "Pleegzorg": [0, 0, 0, 0, 0, 2, 0],
    "Gezinshuiszorg": [0, 1, 0, 0, 0, 1, 0],
    "Zelfstandigheidstraining / kamertraining": [0, 0, 0, 1, 0, 1, 0],
    "Kleinschalige woonvormen": [0, 0, 1, 0, 0, 1, 1],
    "Leefgroepen": [1, 0, 0, 0, 0, 1, 0],
}
EXPECTED_DECISIONS = [("2027-02", 1, 1), ("2027-03", 1, 0), ("2027-04", 3, 0)]
# days: 28, 30, 41, 64 -> median (30 + 41) / 2. The 90th percentile (41 + 0.7 * (64 - 41) =
# 57.1 by rank) is not shown over 4 decisions: it needs at least 10 (test_percentile_*).
EXPECTED_LEAD = {"count": 4, "median": Decimal("35.5"), "p90": None,
                 "shortest": 28, "longest": 64}
# The application asked to complete (its clock stands still) is not overdue.
EXPECTED_OVERDUE = {"Ingediend": 1, "In behandeling": 0, "Besluit voorgesteld": 0}
# category -> toegelaten, actief, geschorst
EXPECTED_PARTNERS = {
    "Pleegzorg": [0, 0, 1],
    "Gezinshuiszorg": [0, 1, 0],
    "Zelfstandigheidstraining / kamertraining": [1, 0, 0],
    "Kleinschalige woonvormen": [1, 0, 0],
    "Leefgroepen": [0, 0, 0],
}


# --- the figures ---------------------------------------------------------------------------------

def test_figures_on_known_data(ctx):
    build_known_data()
    report = reports.build(today_local())

    assert {reports.STATUS_LABELS[s]: n for s, n in report.states.items()} == EXPECTED_STATES
    assert report.applications == 9
    assert {r.category.name: [r.counts[s] for s in Status] for r in report.per_category} \
        == EXPECTED_PER_CATEGORY
    assert [(m.key, m.admitted, m.rejected) for m in report.decisions] == EXPECTED_DECISIONS
    lead = report.lead
    assert {"count": lead.count, "median": lead.median, "p90": lead.p90,
            "shortest": lead.shortest, "longest": lead.longest} == EXPECTED_LEAD
    assert {reports.STATUS_LABELS[s]: n for s, n in report.overdue.per_state.items()} \
        == EXPECTED_OVERDUE
    assert report.overdue.total == 1
    assert {r.category.name: [r.counts[s] for s in reports.LIVE_STATES]
            for r in report.partners.rows} == EXPECTED_PARTNERS
    assert report.partners.total == 4
    assert report.partners.organisations == 3  # A is admitted in two categories
    # The ended admission is still in the database, but does not count.
    assert db.session.scalar(select(func.count()).select_from(Admission).where(
        Admission.status == AdmissionStatus.BEEINDIGD)) == 1


def test_only_the_latest_approved_round_counts(ctx):
    build_known_data()
    rounds = db.session.execute(select(CategoryDecision.round, CategoryDecision.approved_at)
                                .order_by(CategoryDecision.id)).all()
    # Six category decisions; app2's has an approved second round, app3's a pending one.
    assert len(rounds) == 8 and sum(1 for r, at in rounds if r == 1) == 2
    assert sum(m.total for m in reports.decisions_per_month()) == 6


def test_period_filter_applies_to_decisions_and_lead_time(ctx):
    build_known_data()
    march = Period(date(2027, 3, 1), date(2027, 3, 1))
    assert [(m.key, m.admitted, m.rejected) for m in reports.decisions_per_month(march)] \
        == [("2027-03", 1, 0)]
    lead = reports.lead_time(march)  # decided in March: app3 (30 days), app2 (64 days)
    assert (lead.count, lead.median, lead.p90) == (2, Decimal("47.0"), None)
    # Months without decisions inside the period are listed with zeros.
    wide = Period(date(2027, 1, 1), date(2027, 5, 1))
    assert [(m.key, m.admitted, m.rejected) for m in reports.decisions_per_month(wide)] == [
        ("2027-01", 0, 0), ("2027-02", 1, 1), ("2027-03", 1, 0), ("2027-04", 3, 0),
        ("2027-05", 0, 0)]
    assert [m.key for m in reports.decisions_per_month(Period(date(2027, 3, 1)))] \
        == ["2027-03", "2027-04"]
    assert reports.lead_time(Period(None, date(2027, 2, 1))).count == 1
    empty = Period(date(2028, 1, 1), date(2028, 2, 1))
    assert reports.lead_time(empty) == reports.LeadTime(0, None, None, None, None)
    assert [m.total for m in reports.decisions_per_month(empty)] == [0, 0]


def test_percentiles_match_the_standard_library():
    rnd = random.Random(5)
    for size in (1, 2, 3, 10, 57):
        values = [rnd.randint(0, 120) for _ in range(size)]
        histogram = sorted({v: values.count(v) for v in values}.items())
        assert reports.percentile(histogram, Fraction(1, 2)) == statistics.median(
            [Fraction(v) for v in values])
        if size > 1:
            p90 = statistics.quantiles([Fraction(v) for v in values], n=10, method="inclusive")[8]
            assert reports.percentile(histogram, Fraction(9, 10)) == p90
    assert reports.percentile([], Fraction(1, 2)) is None


def test_the_90th_percentile_is_shown_from_ten_decisions():
    """Over fewer than 10 decisions a 90th percentile is one of them, not a figure: from 10 on
    it is the figure the standard library computes."""
    from portal.reports import figures

    days_list = [10, 12, 15, 20, 21, 22, 30, 31, 40, 90]
    histogram = sorted({v: days_list.count(v) for v in days_list}.items())
    ten = figures.lead_from_histogram(histogram)
    expected = statistics.quantiles([Fraction(v) for v in days_list], n=10, method="inclusive")[8]
    assert ten.count == 10 and ten.p90 == figures._one_decimal(expected) == Decimal("45.0")
    nine = figures.lead_from_histogram([(d, 1) for d in days_list[:9]])
    assert nine.count == 9 and nine.p90 is None and nine.median == Decimal("21.0")


@pytest.mark.parametrize("van, tot, field, message", [
    ("maart", "", "van", "jjjj-mm"),
    ("2027-13", "", "van", "jjjj-mm"),
    ("", "1999-12", "tot", "jjjj-mm"),
    ("2027-05", "2027-03", "tot", "vóór de maand"),
    ("2020-01", "2031-01", "tot", "hoogstens 10 jaar"),
])
def test_bad_periods_are_refused_with_a_message(van, tot, field, message):
    with pytest.raises(reports.ValidationFailed) as err:
        Period.parse(van, tot)
    assert err.value.errors[0][0] == field and message in err.value.errors[0][1]


def test_periods_are_read_as_typed():
    assert Period.parse("2027-03", "03-2028") == Period(date(2027, 3, 1), date(2028, 3, 1))
    assert Period.parse("", None) == Period()
    assert Period.parse(" 4/2027 ", "").first == date(2027, 4, 1)


# --- the pages -------------------------------------------------------------------------------

def _admin(app):
    client = app.test_client()
    login(client, ADMIN)
    return client


def test_dashboard_shows_every_figure_and_accessible_charts(app):
    with app.app_context():
        build_known_data()
    client = _admin(app)
    response = client.get("/beheer/rapportage")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in ("Aanmeldingen per status", "Aanmeldingen per categorie", "Besluiten per maand",
                    "Doorlooptijd van indienen tot besluit", "Te late aanmeldingen",
                    "Toegelaten aanbieders per categorie"):
        assert f">{heading}</h2>" in html
    assert "35,5 dagen" in html and "57,1 dagen" not in html
    assert "nog niet: daarvoor zijn minstens 10 besluiten nodig" in html  # 4 decisions
    assert "<strong>1</strong> open aanmeldingen" in html  # the one asked to complete is not late
    assert "februari 2027" in html and "april 2027" in html and "januari 2027" not in html
    assert "In totaal zijn 3 verschillende organisaties toegelaten." in html
    # Two charts, each an image with a title and a description, and a bar per number.
    assert html.count('role="img"') == 2
    assert '<title id="grafiek-besluiten-titel">' in html and '<desc id="grafiek-besluiten-uitleg">' in html
    assert '<title id="grafiek-aanbieders-titel">' in html
    assert "<title>april 2027, toegelaten: 3</title>" in html
    assert "<title>Pleegzorg: 1</title>" in html and "<title>Leefgroepen: 0</title>" in html
    assert "<script" not in html.split('<main', 1)[1]

    filtered = client.get("/beheer/rapportage?van=2027-03&tot=2027-03").get_data(as_text=True)
    assert "47,0 dagen" in filtered and "60,6 dagen" not in filtered
    assert "maart 2027 tot en met maart 2027" in filtered and "april 2027" not in filtered
    # Export links keep the period.
    assert "/beheer/rapportage/besluiten.csv?van=2027-03&amp;tot=2027-03" in filtered


def test_bad_period_on_the_page_and_in_an_export(app):
    client = _admin(app)
    response = client.get("/beheer/rapportage?van=2027-05&tot=2027-03")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'href="#tot"' in html
    assert "Tot en met (maand): Deze maand ligt vóór de maand bij ‘Van (maand)’." in html
    assert '<p class="error-message" id="tot-fout">Deze maand ligt vóór' in html
    assert 'aria-invalid="true"' in html and 'value="2027-05"' in html  # nothing typed is lost
    assert client.get("/beheer/rapportage/besluiten.csv?van=mei").status_code == 400
    assert client.get("/beheer/rapportage/onbekend.csv").status_code == 404
    assert client.get("/beheer/rapportage/besluiten.pdf").status_code == 404
    assert client.get("/beheer/rapportage/alle-cijfers.csv").status_code == 404


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _sheets(response) -> dict[str, list[list]]:
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def _number(cell):
    if cell is None or cell == "":
        return None  # a figure that is not shown (the 90th percentile over few decisions)
    return Decimal(cell.replace(",", ".")) if isinstance(cell, str) else Decimal(str(cell))


def _expected_tables() -> dict[str, list[list]]:
    decisions = [[m, a, r, a + r] for m, a, r in EXPECTED_DECISIONS]
    partners = [[name, *counts, sum(counts)] for name, counts in EXPECTED_PARTNERS.items()]
    partners.append(["Totaal", *(sum(c[i] for c in EXPECTED_PARTNERS.values()) for i in range(3)),
                     4])
    return {
        "statussen": [[k, v] for k, v in EXPECTED_STATES.items()] + [["Totaal", 9]],
        "categorieen": [[name, *counts, sum(counts)] for name, counts in EXPECTED_PER_CATEGORY.items()],
        "besluiten": decisions,
        "doorlooptijd": [["Aantal besloten aanmeldingen", 4], ["Mediaan (dagen)", Decimal("35.5")],
                         ["90e percentiel (dagen)", None], ["Kortste (dagen)", 28],
                         ["Langste (dagen)", 64]],
        "te-laat": [[k, v] for k, v in EXPECTED_OVERDUE.items()] + [["Totaal", 1]],
        "partners": partners,
    }


def _normalise(rows):
    """Cells as text or Decimal, so CSV text and Excel numbers compare alike."""
    return [[None if cell in ("", None)
             else cell if isinstance(cell, str) and not cell.replace(",", "").replace(".", "").isdigit()
             else _number(cell) for cell in row] for row in rows]


def test_csv_and_excel_exports_parse_back_to_the_same_numbers(app):
    with app.app_context():
        build_known_data()
    client = _admin(app)
    expected = _expected_tables()
    for key in FIGURE_KEYS:
        rows = _csv(client.get(f"/beheer/rapportage/{key}.csv"))
        assert _normalise(rows[1:]) == _normalise(expected[key]), key
        [(title, sheet), notes] = _sheets(client.get(f"/beheer/rapportage/{key}.xlsx")).items()
        assert title == reports.FIGURES[key] and notes[0] == "Toelichting"
        assert sheet[0] == rows[0]  # the same headers
        assert _normalise(sheet[1:]) == _normalise(expected[key]), key
    # Numbers are numbers in Excel, not text.
    lead = _sheets(client.get("/beheer/rapportage/doorlooptijd.xlsx"))["Doorlooptijd"]
    assert lead[1][1] == 4 and lead[2][1] == 35.5
    assert _csv(client.get("/beheer/rapportage/doorlooptijd.csv"))[2] == ["Mediaan (dagen)", "35,5"]

    # One workbook with every figure; the period applies to decisions and lead time.
    every = _sheets(client.get("/beheer/rapportage/alle-cijfers.xlsx?van=2027-03&tot=2027-03"))
    assert list(every) == [*reports.FIGURES.values(), "Toelichting"]
    assert every["Besluiten per maand"][1:] == [["2027-03", 1, 0, 1]]
    assert every["Doorlooptijd"][1][1] == 2 and every["Doorlooptijd"][2][1] == 47
    assert _normalise(every["Aanmeldingen per status"][1:]) == _normalise(expected["statussen"])
    assert any("maart 2027 tot en met maart 2027" in (row[0] or "")
               for row in every["Toelichting"])
    response = client.get("/beheer/rapportage/besluiten.csv?van=2027-03&tot=2027-03")
    assert _csv(response)[1:] == [["2027-03", "1", "0", "1"]]
    assert "2027-03-tm-2027-03" in response.headers["Content-Disposition"]


def test_exports_never_contain_formulas(app):
    with app.app_context():
        [category] = categories("leefgroepen")
        category.name = "=HYPERLINK(\"http://example.org\")"
        db.session.commit()
    client = _admin(app)
    rows = _csv(client.get("/beheer/rapportage/categorieen.csv"))
    assert rows[-1][0].startswith("'=")
    book = load_workbook(io.BytesIO(client.get("/beheer/rapportage/categorieen.xlsx").get_data()))
    cell = book.worksheets[0].cell(row=6, column=1)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


@pytest.mark.parametrize("email", [PROVIDER, ASSESSOR_1])
def test_non_administrators_get_403_on_every_url(app, email):
    client = app.test_client()
    login(client, email)
    for url in URLS:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login(app):
    client = app.test_client()
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"], url


# --- scale ---------------------------------------------------------------------------------

def _bulk_decisions():
    """Decisions for the bulk applications that populate() decided (it makes none), a quarter
    of them with an approved herstelbesluit, so the decisions query has rows to scan."""
    assessor = user(ASSESSOR_1).id
    done = select(CategoryDecision.application_id)
    rows = db.session.execute(
        select(Application.id, Application.decided_at, Admission.category_id)
        .join(Admission, Admission.application_id == Application.id)
        .where(Application.status == Status.BESLOTEN, Application.id.not_in(done))).all()
    decisions = []
    for i, (application_id, decided_at, category_id) in enumerate(rows):
        base = dict(application_id=application_id, category_id=category_id, motivation="x",
                    proposed_by_id=assessor, approved_by_id=assessor,
                    outcome=(Outcome.TOEGELATEN if i % 3 else Outcome.AFGEWEZEN).name)
        decisions.append(dict(base, round=0, proposed_at=decided_at, approved_at=decided_at))
        if i % 4 == 0:
            later = decided_at + timedelta(days=40)
            decisions.append(dict(base, round=1, proposed_at=later, approved_at=later))
    if decisions:
        db.session.execute(insert(CategoryDecision), decisions)
    db.session.commit()
    return len(rows)


def _count(app) -> dict[str, int]:
    with app.app_context():
        engine = db.engine
    client = _admin(app)
    counts = {}
    for url in URLS:
        client.get(url)  # warm up
        with StatementCounter(engine) as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = counter.count
    return counts


def test_statement_count_is_small_and_does_not_grow_with_data(app):
    with app.app_context():
        build_known_data()
        populate(300)
        assert _bulk_decisions() > 50
    small = _count(app)
    with app.app_context():
        populate(900)
        assert _bulk_decisions() > 150
        report = reports.build(today_local())
        assert report.applications > 1200 and report.lead.count > 600
        assert sum(m.total for m in report.decisions) > 600
    large = _count(app)
    assert large == small
    assert {url: n for url, n in large.items() if n > MAX_STATEMENTS} == {}


# --- figures kept for a while (REPORT_CACHE_SECONDS) --------------------------------------------

def test_figures_are_kept_for_a_while_say_when_and_can_be_computed_again(app):
    from tests.conftest import post

    app.config["REPORT_CACHE_SECONDS"] = 300
    admin = _admin(app)

    def submitted_count(html):
        # The row "Ingediend" of the table of applications per state.
        row = html.split("<th scope=\"row\">Ingediend</th>", 1)[1].split("</tr>", 1)[0]
        return int(row.split("<td")[1].split(">", 1)[1].split("<", 1)[0].replace(".", ""))

    first = admin.get("/beheer/rapportage").get_data(as_text=True)
    assert "Berekend op" in first and "Nu bijwerken" in first
    before = submitted_count(first)
    with app.app_context():
        _submit(_provider("Kept BV", "44440001", "kept@example.nl"), "pleegzorg")
        db.session.commit()
    # Within the five minutes the kept figures are shown, and they say so.
    assert submitted_count(admin.get("/beheer/rapportage").get_data(as_text=True)) == before
    response = post(admin, "/beheer/rapportage/bijwerken", token_from="/beheer/rapportage")
    assert response.status_code == 302
    assert submitted_count(admin.get("/beheer/rapportage").get_data(as_text=True)) == before + 1
    # Without a cache every request computes the figures and no time is shown.
    app.config["REPORT_CACHE_SECONDS"] = 0
    assert "Berekend op" not in admin.get("/beheer/rapportage").get_data(as_text=True)


def test_computing_again_is_for_administrators_only(app):
    from tests.conftest import post

    client = app.test_client()
    login(client, ASSESSOR_1)
    assert post(client, "/beheer/rapportage/bijwerken", token_from="/beoordeling/").status_code == 403
