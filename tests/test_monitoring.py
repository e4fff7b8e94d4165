"""Monitoring over the term (issue 13, points 8-10): the information set and its versions,
reporting rounds, the partners' reports with their bad input, the reminders, and the
monitoring pages with their exports and their statement counts."""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.errors import DomainError, NotPermitted, ValidationFailed
from portal.extensions import db
from portal.models import AdmissionStatus, AuditEvent, OutboxMail, Procedure
from portal.monitoring import figures, indicators, workflow
from portal.monitoring.indicators import IndicatorSpec
from portal.monitoring.models import (
    Indicator,
    IndicatorReport,
    IndicatorSet,
    IndicatorValue,
    ReportingRound,
    RoundParticipant,
)
from portal.monitoring.workflow import Figure, RoundInput
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user
from tests.test_partners_capacity import (
    StatementCounter,
    admit,
    category,
    demo_org,
    organisation,
)

MAX_STATEMENTS = 15

GOOD = {"in_zorg": "10", "gestart": "3", "beeindigd_gepland": "2", "beeindigd_ongepland": "1",
        "verblijfsduur": "400", "klachten": "0", "calamiteiten": "0",
        "personeelsverloop": "8,5"}


def procedure():
    return db.session.scalar(select(Procedure))


def published():
    return indicators.published_set(procedure())


def period():
    """A finished quarter that does not end on 31 December (no yearly indicators)."""
    year = today_local().year - 1
    return date(year, 7, 1), date(year, 9, 30)


def open_test_round(label="2027 K3", codes=("pleegzorg",), deadline=None, **extra):
    start, end = period()
    data = RoundInput(label=label, period_start=start, period_end=end,
                      deadline=deadline or today_local() + timedelta(days=14),
                      set_id=published().id, category_ids=[category(c).id for c in codes],
                      **extra)
    return workflow.open_round(procedure(), data, by=user(ADMIN))


def figures_of(values):
    return {code: Figure(value) for code, value in values.items()}


def submit(reporting_round, org=None, code="pleegzorg", values=None, *, by=None, **kwargs):
    return workflow.submit_report(reporting_round, org or demo_org(), category(code).id,
                                  figures_of(values or GOOD), by=by or user(PROVIDER), **kwargs)


def form_data(values=None, explanations=None):
    data = {f"waarde_{k}": v for k, v in (values or GOOD).items()}
    data.update({f"toelichting_{k}": v for k, v in (explanations or {}).items()})
    return data


# --- the information set -----------------------------------------------------------------------

def test_the_default_set_is_seeded_and_published(ctx):
    current = published()
    assert current is not None and current.number == 1 and not current.is_draft
    rows = indicators.indicators_of(current)
    assert [i.code for i in rows] == [c[0] for c in indicators.DEFAULT_INDICATORS]
    by_code = {i.code: i for i in rows}
    assert by_code["personeelsverloop"].unit.value == "percentage"
    assert by_code["clientervaring"].unit.value == "score"
    assert by_code["clientervaring"].frequency.value == "jaar"
    assert by_code["calamiteiten"].target == 0
    indicators.seed_reference()  # idempotent
    assert db.session.scalar(select(func.count()).select_from(IndicatorSet)) == 1


def test_a_draft_is_edited_and_published_and_reports_keep_their_version(ctx):
    admit(demo_org(), "pleegzorg")
    first_round = open_test_round()
    first_report = submit(first_round)
    db.session.commit()

    draft = indicators.start_draft(procedure(), by=user(ADMIN))
    with pytest.raises(DomainError, match="al een conceptversie"):
        indicators.start_draft(procedure(), by=user(ADMIN))
    complaints = next(i for i in draft.indicators if i.code == "klachten")
    spec = IndicatorSpec.of(complaints)
    spec.name, spec.target = "Formele klachten", "1"
    indicators.save_indicator(draft, spec, by=user(ADMIN), indicator=complaints)
    indicators.save_indicator(draft, IndicatorSpec(
        code="wachtlijst", name="Jeugdigen op de wachtlijst", unit="aantal", direction="lager",
        frequency="kwartaal"), by=user(ADMIN))
    indicators.publish(draft, by=user(ADMIN), note="Klachten scherper")
    db.session.commit()
    assert published().number == 2
    with pytest.raises(DomainError, match="gepubliceerd"):
        indicators.save_indicator(draft, spec, by=user(ADMIN), indicator=complaints)

    # Version 1 is unchanged, and the first report still points at its definitions.
    old = {i.code: i for i in indicators.indicators_of(db.session.get(IndicatorSet, 1))}
    assert old["klachten"].name == "Klachten" and old["klachten"].target == 2
    assert "wachtlijst" not in old
    report = db.session.get(IndicatorReport, first_report.id)
    assert report.set_id == 1
    assert {v.indicator.name for v in report.values} >= {"Klachten"}
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type.in_(
        ("indicator_sets", "indicators")))).all()
    assert {"indicator_set_drafted", "indicator_changed", "indicator_added",
            "indicator_set_published"} <= set(events)


@pytest.mark.parametrize("spec, field, message", [
    (dict(code="", name="X"), "code", "Vul een code in"),
    (dict(code="Klachten!", name="X"), "code", "kleine letters"),
    (dict(code="klachten", name="X"), "code", "bestaat al"),
    (dict(code="x", name=""), "name", "naam van de indicator"),
    (dict(code="x", name="X", unit="liter"), "unit", "Kies de eenheid"),
    (dict(code="x", name="X", target="veel"), "target", "geen getal"),
    (dict(code="x", name="X", unit="percentage", target="120"), "target", "tussen 0 en 100"),
    (dict(code="x", name="X", plausible_min="10", plausible_max="5"), "plausible_max", "lager"),
])
def test_bad_indicator_input_is_refused(ctx, spec, field, message):
    draft = indicators.start_draft(procedure(), by=user(ADMIN))
    values = dict(unit="aantal", direction="lager", frequency="kwartaal")
    values.update(spec)
    with pytest.raises(ValidationFailed) as refused:
        indicators.save_indicator(draft, IndicatorSpec(**values), by=user(ADMIN))
    assert any(f == field and message in m for f, m in refused.value.errors), refused.value.errors


def test_only_an_administrator_manages_the_set(ctx):
    with pytest.raises(NotPermitted):
        indicators.start_draft(procedure(), by=user(ASSESSOR_1))


# --- rounds and reports --------------------------------------------------------------------------

def test_opening_a_round_asks_the_active_partners(ctx):
    org = demo_org()
    admit(org, "pleegzorg", "gezinshuiszorg")
    other = organisation("Huize Anders", "55667788", beheerder="anders@example.org")
    admit(other, "pleegzorg")
    suspended = organisation("Geschorst Huis", "99887766")
    admit(suspended, "pleegzorg", status=AdmissionStatus.GESCHORST)
    elsewhere = organisation("Alleen Leefgroep", "11112222")
    admit(elsewhere, "leefgroepen")
    reporting_round = open_test_round(codes=("pleegzorg", "gezinshuiszorg"))
    db.session.commit()

    asked = {p.organisation_id: p.category_id_list for p in db.session.scalars(
        select(RoundParticipant).where(RoundParticipant.round_id == reporting_round.id))}
    assert asked == {org.id: sorted([category("pleegzorg").id, category("gezinshuiszorg").id]),
                     other.id: [category("pleegzorg").id]}
    mails = db.session.scalars(select(OutboxMail).where(
        OutboxMail.kind == "monitoring_round_opened")).all()
    assert sorted(m.to_address for m in mails) == sorted(
        ["info@delinde.demo.nl", PROVIDER, "info@55667788.example", "anders@example.org"])
    assert "2027 K3" in mails[0].subject and "/organisatie/verantwoording" in mails[0].body_text
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "reporting_round_opened")).endswith("2 partners gevraagd")
    tasks = workflow.open_tasks(org.id)
    assert [(r.label, c.code) for r, c in tasks] == [("2027 K3", "pleegzorg"),
                                                     ("2027 K3", "gezinshuiszorg")]


@pytest.mark.parametrize("change, field, message", [
    (dict(label=""), "label", "naam van de ronde"),
    (dict(period_start=None), "period_start", "eerste dag"),
    (dict(deadline=date(2000, 1, 1)), "deadline", "verleden"),
    (dict(category_ids=[]), "category_ids", "ten minste één"),
    (dict(set_id=999999), "set_id", "gepubliceerde versie"),
])
def test_bad_round_input_is_refused(ctx, change, field, message):
    start, end = period()
    values = dict(label="2027 K3", period_start=start, period_end=end,
                  deadline=today_local() + timedelta(days=10), set_id=published().id,
                  category_ids=[category("pleegzorg").id])
    values.update(change)
    with pytest.raises(ValidationFailed) as refused:
        workflow.open_round(procedure(), RoundInput(**values), by=user(ADMIN))
    assert any(f == field and message in m for f, m in refused.value.errors), refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(ReportingRound)) == 0


def test_the_same_label_twice_is_refused(ctx):
    open_test_round()
    with pytest.raises(ValidationFailed, match="fout"):
        open_test_round(label="2027 k3")


@pytest.mark.parametrize("values, explanations, field, message", [
    (dict(GOOD, in_zorg="tien"), {}, "waarde_in_zorg", "'tien' is geen getal"),
    (dict(GOOD, klachten="-1"), {}, "waarde_klachten", "niet negatief"),
    (dict(GOOD, gestart="2,5"), {}, "waarde_gestart", "heel getal"),
    (dict(GOOD, personeelsverloop="120"), {}, "waarde_personeelsverloop", "tussen 0 en 100"),
    (dict(GOOD, verblijfsduur="5000"), {}, "waarde_verblijfsduur", "aannemelijke bereik"),
    (dict(GOOD, in_zorg=""), {}, "waarde_in_zorg", "vul een waarde in"),
    (dict(GOOD, beeindigd_gepland="20"), {}, "waarde_beeindigd_gepland", "is meer dan"),
    (dict(GOOD, calamiteiten="1"), {}, "toelichting_calamiteiten", "streefwaarde"),
])
def test_bad_figures_are_refused_and_nothing_is_saved(ctx, values, explanations, field,
                                                      message):
    admit(demo_org(), "pleegzorg")
    reporting_round = open_test_round()
    figures_in = {k: Figure(v, explanations.get(k)) for k, v in values.items()}
    with pytest.raises(ValidationFailed) as refused:
        workflow.submit_report(reporting_round, demo_org(), category("pleegzorg").id,
                               figures_in, by=user(PROVIDER))
    assert any(f == field and message in m for f, m in refused.value.errors), refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_a_yearly_indicator_is_asked_only_at_the_end_of_the_year(ctx):
    admit(demo_org(), "pleegzorg")
    year = today_local().year - 1
    reporting_round = workflow.open_round(procedure(), RoundInput(
        label=f"{year}", period_start=date(year, 1, 1), period_end=date(year, 12, 31),
        deadline=today_local() + timedelta(days=3), set_id=published().id,
        category_ids=[category("pleegzorg").id]), by=user(ADMIN))
    with pytest.raises(ValidationFailed) as refused:
        submit(reporting_round)
    assert [f for f, _ in refused.value.errors] == ["waarde_clientervaring"]
    with pytest.raises(ValidationFailed, match="fout") as refused:
        submit(reporting_round, values=dict(GOOD, clientervaring="11"))
    assert "tussen 1 en 10" in refused.value.errors[0][1]
    report = submit(reporting_round, values=dict(GOOD, clientervaring="7,8"))
    assert len(report.values) == 9


def test_a_second_report_is_refused_and_a_correction_keeps_the_old_version(ctx):
    admit(demo_org(), "pleegzorg")
    reporting_round = open_test_round()
    first = submit(reporting_round)
    db.session.commit()
    with pytest.raises(DomainError, match="al gerapporteerd"):
        submit(reporting_round)
    with pytest.raises(ValidationFailed) as refused:
        submit(reporting_round, values=dict(GOOD, klachten="1"), correcting=True)
    assert refused.value.errors[0][0] == "reason"
    second = submit(reporting_round, values=dict(GOOD, klachten="1"), correcting=True,
                    correction_reason="Eén klacht was niet meegeteld.")
    db.session.commit()
    assert (second.number, second.replaces_id, second.is_current) == (2, first.id, True)
    assert db.session.get(IndicatorReport, first.id).is_current is False
    history = workflow.report_history(second)
    assert [r.number for r in history] == [2, 1]
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "indicator_report_corrected")).endswith("niet meegeteld.")


def test_a_closed_round_and_another_organisation_are_refused(ctx):
    admit(demo_org(), "pleegzorg")
    other = organisation("Huize Anders", "55667788", beheerder="anders@example.org")
    reporting_round = open_test_round()
    with pytest.raises(NotPermitted):
        submit(reporting_round, org=other, by=user("anders@example.org"))
    with pytest.raises(NotPermitted):
        submit(reporting_round, by=user("anders@example.org"))  # the demo org's report
    with pytest.raises(NotPermitted):
        submit(reporting_round, code="leefgroepen")  # a category it was not asked for
    workflow.close_round(reporting_round, by=user(ADMIN))
    with pytest.raises(DomainError, match="gesloten"):
        submit(reporting_round)
    with pytest.raises(DomainError, match="al gesloten"):
        workflow.close_round(reporting_round, by=user(ADMIN))


# --- reminders ---------------------------------------------------------------------------------

def test_reminders_before_and_after_the_deadline_each_once(app, smtp):
    import time_machine

    amsterdam = ZoneInfo("Europe/Amsterdam")
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg", "gezinshuiszorg")
        done = organisation("Klaar Huis", "44556677", beheerder="klaar@example.org")
        admit(done, "pleegzorg")
        deadline = today_local() + timedelta(days=20)
        reporting_round = open_test_round(codes=("pleegzorg", "gezinshuiszorg"),
                                          deadline=deadline)
        submit(reporting_round, org=done, by=user("klaar@example.org"))
        submit(reporting_round)  # pleegzorg only: gezinshuizen still open
        db.session.commit()

    def daily(day):
        moment = datetime.combine(day, datetime.min.time(), amsterdam).replace(hour=7)
        with time_machine.travel(moment, tick=False):
            result = app.test_cli_runner().invoke(args=["partners", "daily"])
        assert "reporting reminders:" in result.output, result.output
        return result.output

    def reminders():
        with app.app_context():
            return db.session.scalars(select(OutboxMail.subject).where(
                OutboxMail.kind == "monitoring_reminder").order_by(OutboxMail.id)).all()

    assert "reporting reminders: 0" in daily(deadline - timedelta(days=8))
    assert reminders() == []
    assert "reporting reminders: 1" in daily(deadline - timedelta(days=7))
    assert "reporting reminders: 0" in daily(deadline - timedelta(days=6))  # once
    assert "reporting reminders: 0" in daily(deadline + timedelta(days=2))
    assert "reporting reminders: 1" in daily(deadline + timedelta(days=3))
    assert "reporting reminders: 0" in daily(deadline + timedelta(days=4))
    subjects = reminders()
    assert len(subjects) == 4  # two addresses of the demo organisation, twice
    assert "uiterlijk" in subjects[0] and "te laat" in subjects[-1]
    with app.app_context():
        body = db.session.scalar(select(OutboxMail.body_text).where(
            OutboxMail.kind == "monitoring_reminder").limit(1))
        assert "Gezinshuizen" in body or "gezinshuiszorg" in body.lower()
        assert "Pleegzorg" not in body
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "reporting_reminder_sent")) == 2
    later = datetime.combine(deadline + timedelta(days=4), datetime.min.time(), amsterdam)
    with time_machine.travel(later.replace(hour=8), tick=False):
        sent = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    assert smtp.wait_find(to="info@delinde.demo.nl", subject_contains="te laat")


# --- figures -----------------------------------------------------------------------------------

def test_outliers_use_the_interquartile_range():
    values = [Decimal(v) for v in ("10", "11", "12", "13", "40")]
    low, high = figures.outlier_bounds(values)
    assert low <= 10 and 13 <= high < 40
    assert figures.outlier_bounds(values[:3]) is None


def test_numbers_in_dutch_notation():
    assert indicators.parse_number(" 7,5 ") == Decimal("7.5")
    assert indicators.parse_number("12") == 12
    assert indicators.parse_number("") is None
    for bad in ("1.000,5", "1e3", "tien", "7,5%"):
        with pytest.raises(ValueError):
            indicators.parse_number(bad)
    assert indicators.show_number(Decimal("7.50")) == "7,5"
    assert indicators.show_number(Decimal("12.00")) == "12"


# --- the pages -----------------------------------------------------------------------------------

def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def test_admin_manages_the_information_set_on_the_pages(app):
    admin = _client(app, ADMIN)
    page = admin.get("/beheer/informatieset").get_data(as_text=True)
    assert "<h1>Informatieset en versies</h1>" in page and "Versie 1" in page
    response = post(admin, "/beheer/informatieset/concept", {},
                    token_from="/beheer/informatieset")
    assert response.status_code == 302
    with app.app_context():
        draft = indicators.draft_of(db.session.scalar(select(Procedure)))
        draft_id = draft.id
    url = f"/beheer/informatieset/{draft_id}/indicator/nieuw"
    bad = post(admin, url, {"code": "wachtlijst", "name": "Wachtlijst", "unit": "percentage",
                            "direction": "lager", "frequency": "kwartaal", "target": "abc"})
    assert bad.status_code == 422
    assert "De streefwaarde is geen getal" in bad.get_data(as_text=True)
    good = post(admin, url, {"code": "wachtlijst", "name": "Wachtlijst", "unit": "percentage",
                             "direction": "lager", "frequency": "kwartaal", "target": "5"})
    assert good.status_code == 302
    published_now = post(admin, f"/beheer/informatieset/{draft_id}/publiceren", {"note": "x"},
                         token_from=f"/beheer/informatieset/{draft_id}")
    assert published_now.status_code == 302
    detail = admin.get(f"/beheer/informatieset/{draft_id}").get_data(as_text=True)
    assert "Wachtlijst" in detail and "Gepubliceerd op" in detail
    assert admin.get("/beheer/informatieset/999999").status_code == 404
    provider = _client(app, PROVIDER)
    assert provider.get("/beheer/informatieset").status_code == 403


def _open_round_on_page(app, admin, codes=("pleegzorg",)):
    start, end = period()
    with app.app_context():
        set_id = published().id
        ids = [category(c).id for c in codes]
    return post(admin, "/beheer/verantwoording/nieuw", {
        "label": "2027 K3", "period_start": start.isoformat(), "period_end": end.isoformat(),
        "deadline": (today_local() + timedelta(days=14)).isoformat(), "set_id": set_id,
        "category_ids": ids, "note": "Graag op tijd."})


def test_round_report_and_monitoring_through_the_pages(app):
    with app.app_context():
        admit(demo_org(), "pleegzorg")
        other = organisation("Huize Anders", "55667788", beheerder="anders@example.org")
        admit(other, "pleegzorg")
        db.session.commit()
    admin = _client(app, ADMIN)
    bad = post(admin, "/beheer/verantwoording/nieuw", {"label": "", "deadline": "morgen"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Vul de naam van de ronde in" in text and "Vul een geldige datum in" in text
    response = _open_round_on_page(app, admin)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        reporting_round = db.session.scalar(select(ReportingRound))
        round_id, category_id = reporting_round.id, category("pleegzorg").id

    provider = _client(app, PROVIDER)
    dashboard = provider.get("/aanbieder").get_data(as_text=True)
    assert "Rapporteer uw cijfers voor verantwoordingsronde 2027 K3" in dashboard
    url = f"/organisatie/verantwoording/{round_id}/{category_id}"
    refused = post(provider, url, form_data(dict(GOOD, personeelsverloop="120",
                                                 in_zorg="veel")))
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Personeelsverloop: een percentage ligt tussen 0 en 100." in text
    assert "Jeugdigen in zorg op de peildatum: &#39;veel&#39; is geen getal" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
    data = form_data(dict(GOOD, calamiteiten="1"),
                     {"calamiteiten": "Een incident in huis; gemeld en besproken."})
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "toelichting.pdf")]
    response = post(provider, url, data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Rapporteer uw cijfers" not in provider.get("/aanbieder").get_data(as_text=True)
    second = post(provider, url, form_data(), token_from="/organisatie/verantwoording")
    assert second.status_code == 422
    assert "al gerapporteerd" in second.get_data(as_text=True)
    shown = provider.get(url).get_data(as_text=True)
    assert "Versie 1 (actueel)" in shown and "toelichting.pdf" in shown

    correction = post(provider, url + "/correctie", form_data(dict(GOOD, klachten="3"), {
        "klachten": "Drie klachten over het eten."}) | {"reason": "Klachten vergeten."})
    assert correction.status_code == 302, correction.get_data(as_text=True)
    shown = provider.get(url).get_data(as_text=True)
    assert "Versie 2 (actueel)" in shown and "Versie 1 (vervangen)" in shown
    assert "Reden van de correctie: Klachten vergeten." in shown

    # Another organisation: the round is not its round, the report is not its report.
    anders = _client(app, "anders@example.org")
    with app.app_context():
        report_id = db.session.scalar(select(IndicatorReport.id).where(
            IndicatorReport.is_current))
    assert anders.get(f"/organisatie/verantwoording/rapportage/{report_id}").status_code == 404
    assert anders.get(f"/organisatie/verantwoording/{round_id}/999").status_code == 404
    assert anders.get(f"/organisatie/verantwoording/999999/{category_id}").status_code == 404
    assert provider.get("/beheer/verantwoording").status_code == 403

    # The staff's monitoring pages.
    staff = _client(app, ASSESSOR_1)
    page = staff.get(f"/beheer/verantwoording/{round_id}/categorie/{category_id}/klachten")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1 van 2 partners" in text and "niet gerapporteerd" in text
    assert "haalt streefwaarde niet" in text and "<svg" in text
    csv = staff.get(f"/beheer/verantwoording/{round_id}/categorie/{category_id}/klachten"
                    "?formaat=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert "Stichting Gezinshuis De Linde (demo);3;2;ja" in body
    xlsx = staff.get(f"/beheer/verantwoording/{round_id}/categorie/{category_id}/klachten"
                     "?formaat=xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    assert staff.get(f"/beheer/verantwoording/{round_id}/categorie/{category_id}/klachten"
                     "?formaat=pdf").status_code == 404
    assert staff.get(f"/beheer/verantwoording/{round_id}/categorie/{category_id}/onbekend"
                     ).status_code == 404
    with app.app_context():
        org_id = demo_org().id
    trend = staff.get(f"/beheer/verantwoording/partner/{org_id}").get_data(as_text=True)
    assert "2027 K3" in trend and "Klachten" in trend and "<svg" in trend
    trend_csv = staff.get(f"/beheer/verantwoording/partner/{org_id}?formaat=csv")
    assert "Klachten" in trend_csv.get_data().decode("utf-8-sig")
    assert staff.get("/beheer/verantwoording/partner/999999").status_code == 404
    round_page = staff.get(f"/beheer/verantwoording/{round_id}").get_data(as_text=True)
    assert "nog niet gerapporteerd" in round_page and "Huize Anders" in round_page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "exported")) == 3

    # Closing the round: nothing more is reported.
    assert post(admin, f"/beheer/verantwoording/{round_id}/sluiten", {},
                token_from=f"/beheer/verantwoording/{round_id}").status_code == 302
    late = post(anders, f"/organisatie/verantwoording/{round_id}/{category_id}", form_data(),
                token_from="/organisatie/verantwoording")
    assert late.status_code == 422 and "is gesloten" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorReport).where(
            IndicatorReport.organisation_id != org_id)) == 0


def _partners_with_reports(app, n, start):
    with app.app_context():
        reporting_round = db.session.scalar(select(ReportingRound))
        for k in range(start, start + n):
            org = organisation(f"Partner {k:03d}", f"7{k:07d}")
            admit(org, "pleegzorg")
            db.session.add(RoundParticipant(round_id=reporting_round.id,
                                            organisation_id=org.id,
                                            categories=[category("pleegzorg")]))
            report = IndicatorReport(round_id=reporting_round.id, organisation_id=org.id,
                                     category_id=category("pleegzorg").id,
                                     set_id=reporting_round.set_id,
                                     submitted_by_id=user(PROVIDER).id)
            db.session.add(report)
            db.session.flush()
            for indicator in db.session.scalars(select(Indicator).where(
                    Indicator.set_id == reporting_round.set_id)):
                db.session.add(IndicatorValue(report_id=report.id, indicator_id=indicator.id,
                                              value=Decimal(k % 7)))
        db.session.commit()


def _more_rounds(app, n, first):
    """``n`` more rounds in which the demo organisation reported."""
    with app.app_context():
        org = demo_org()
        for k in range(n):
            start = date(2020, 1, 1) + timedelta(days=92 * (k + first))
            reporting_round = ReportingRound(
                procedure_id=procedure().id, set_id=published().id, label=f"Oud {k + first}",
                period_start=start, period_end=start + timedelta(days=80),
                deadline=start + timedelta(days=100), opened_by_id=user(ADMIN).id)
            db.session.add(reporting_round)
            db.session.flush()
            db.session.add(RoundParticipant(round_id=reporting_round.id,
                                            organisation_id=org.id,
                                            categories=[category("pleegzorg")]))
            report = IndicatorReport(round_id=reporting_round.id, organisation_id=org.id,
                                     category_id=category("pleegzorg").id,
                                     set_id=reporting_round.set_id,
                                     submitted_by_id=user(PROVIDER).id)
            db.session.add(report)
            db.session.flush()
            for indicator in indicators.indicators_of(published()):
                db.session.add(IndicatorValue(report_id=report.id, indicator_id=indicator.id,
                                              value=Decimal(k)))
        db.session.commit()


def _count(app, client, url):
    with app.app_context():
        engine = db.engine
    assert client.get(url).status_code == 200, url
    with StatementCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


def test_statements_per_page_do_not_grow_with_partners_and_rounds(app):
    with app.app_context():
        admit(demo_org(), "pleegzorg")
        reporting_round = open_test_round()
        submit(reporting_round)
        db.session.commit()
        round_id, category_id, org_id = reporting_round.id, category("pleegzorg").id, demo_org().id
    staff = _client(app, ASSESSOR_1)
    provider = _client(app, PROVIDER)
    urls = [(staff, f"/beheer/verantwoording/{round_id}/categorie/{category_id}/klachten"),
            (staff, f"/beheer/verantwoording/{round_id}"),
            (staff, "/beheer/verantwoording"),
            (staff, f"/beheer/verantwoording/partner/{org_id}"),
            (provider, "/organisatie/verantwoording"),
            (provider, "/aanbieder")]
    _partners_with_reports(app, 4, 0)
    _more_rounds(app, 2, 0)
    small = [_count(app, c, u) for c, u in urls]
    _partners_with_reports(app, 8, 100)
    _more_rounds(app, 4, 10)
    large = [_count(app, c, u) for c, u in urls]
    assert large == small, list(zip([u for _, u in urls], small, large, strict=True))
    assert max(small[:5]) <= MAX_STATEMENTS, small


def test_a_bad_attachment_is_refused_and_nothing_is_saved(ctx):
    from werkzeug.datastructures import FileStorage

    admit(demo_org(), "pleegzorg")
    reporting_round = open_test_round()
    text_file = FileStorage(io.BytesIO(b"gewoon tekst"), filename="cijfers.txt")
    with pytest.raises(ValidationFailed) as refused:
        submit(reporting_round, attachments=[text_file])
    assert refused.value.errors[0][0] == "attachments"
    assert "Bijlagen: Het bestand 'cijfers.txt' is geen PDF, JPEG of PNG" in \
        refused.value.errors[0][1]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(IndicatorReport)) == 0


def test_staff_pages_and_who_may_manage(app):
    with app.app_context():
        admit(demo_org(), "pleegzorg")
        reporting_round = open_test_round()
        report = submit(reporting_round)
        db.session.commit()
        report_id, round_id = report.id, reporting_round.id
    assessor = _client(app, ASSESSOR_1)
    shown = assessor.get(f"/beheer/verantwoording/rapportage/{report_id}").get_data(as_text=True)
    assert "Versie 1 (actueel)" in shown and "Correctie indienen" not in shown
    assert assessor.get("/beheer/verantwoording/rapportage/999999").status_code == 404
    assert assessor.get("/beheer/verantwoording/nieuw").status_code == 403
    assert assessor.get("/beheer/informatieset").status_code == 403
    assert "Ronde sluiten" not in assessor.get(
        f"/beheer/verantwoording/{round_id}").get_data(as_text=True)
    assert assessor.get("/beheer/verantwoording/999999").status_code == 404

    admin = _client(app, ADMIN)
    assert post(admin, "/beheer/informatieset/concept", {},
                token_from="/beheer/informatieset").status_code == 302
    with app.app_context():
        draft = indicators.draft_of(procedure())
        draft_id = draft.id
        complaints_id = next(i.id for i in draft.indicators if i.code == "klachten")
        first_complaints = next(i.id for i in indicators.indicators_of(published())
                                if i.code == "klachten")
    removed = post(admin, f"/beheer/informatieset/{draft_id}/indicator/{complaints_id}/"
                          "verwijderen", {}, token_from=f"/beheer/informatieset/{draft_id}")
    assert removed.status_code == 302
    # A published version's indicator cannot be removed, nor one of another version.
    assert post(admin, f"/beheer/informatieset/1/indicator/{first_complaints}/verwijderen", {},
                token_from="/beheer/informatieset/1").status_code == 302
    assert post(admin, f"/beheer/informatieset/{draft_id}/indicator/{first_complaints}/"
                       "verwijderen", {}, token_from=f"/beheer/informatieset/{draft_id}"
                ).status_code == 404
    with app.app_context():
        assert db.session.get(Indicator, complaints_id) is None
        assert db.session.get(Indicator, first_complaints) is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "indicator_removed")) == 1
