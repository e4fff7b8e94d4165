"""Free places for placement coordination (beschikbare plaatsen) and the partner file:
the operation, its bad input, the partner's pages, the staff overview, stale reminders."""
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from portal.errors import NotPermitted, ValidationFailed
from portal.extensions import db
from portal.models import (
    Admission,
    AdmissionStatus,
    Application,
    AuditEvent,
    CapacityReport,
    CatalogueVersion,
    Category,
    Document,
    Organisation,
    OrgRole,
    OutboxMail,
    Procedure,
    Role,
    User,
)
from portal.partners import capacity
from portal.partners.capacity import CapacityInput
from portal.timeutil import today_local, utcnow
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import submitted_application
from tests.test_scale import StatementCounter, count_statements  # noqa: F401 - other tests import them from here

MAX_STATEMENTS = 15


# --- shared set-up (also used by tests/test_partners_register.py) ---------------------------

def category(code) -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def demo_org() -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.kvk_number == "12345678"))


def organisation(name, kvk, *, city="Breda", email=None, website=None, beheerder=None):
    """Another organisation, with a confirmed beheerder when an address is given."""
    org = Organisation(name=name, kvk_number=kvk, street="Kerkstraat 1", postal_code="4811 AA",
                       city=city, contact_email=email or f"info@{kvk}.example", website=website)
    db.session.add(org)
    db.session.flush()
    if beheerder:
        from portal.accounts.passwords import hash_password

        db.session.add(User(email=beheerder, full_name="Beheerder " + name, role=Role.PROVIDER,
                            organisation=org, org_role=OrgRole.BEHEERDER,
                            password_hash=hash_password("demo-wachtwoord-2027"),
                            email_confirmed_at=utcnow()))
        db.session.flush()
    return org


def admit(org, *codes, status=AdmissionStatus.ACTIEF, admitted_at=None) -> list[Admission]:
    """Admissions for ``org`` in the given categories (the decision itself is tested
    elsewhere; here it is only the starting point)."""
    procedure = db.session.scalar(select(Procedure))
    creator = db.session.scalar(select(User).where(User.organisation_id == org.id)) \
        or user(PROVIDER)
    application = Application(
        organisation_id=org.id, procedure_id=procedure.id,
        catalogue_version_id=db.session.scalar(select(CatalogueVersion.id)),
        created_by_id=creator.id, reference=f"WMB-T-{org.kvk_number}-{'-'.join(codes)}"[:20])
    db.session.add(application)
    db.session.flush()
    rows = []
    for code in codes:
        rows.append(Admission(organisation_id=org.id, category_id=category(code).id,
                              application_id=application.id, status=status,
                              admitted_at=admitted_at or utcnow()))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def report(org, code="pleegzorg", location="Breda", places=2, *, by=None, **extra):
    data = CapacityInput(category_id=category(code).id, location=location, places=places,
                         available_from=extra.pop("available_from", today_local()), **extra)
    return capacity.report_capacity(org, data, by=by or user(PROVIDER))


def age(report_row, days):
    """Move a report ``days`` days into the past."""
    report_row.reported_at = utcnow() - timedelta(days=days)
    db.session.flush()


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


# --- the operation --------------------------------------------------------------------------

def test_stale_after_thirty_days_in_local_dates(ctx):
    today = date(2027, 3, 31)  # the day Amsterdam moved to summer time was 28 March 2027
    cutoff = capacity.stale_before(today)
    # Local midnight of 1 March 2027 (winter time, UTC+1) is 23:00 UTC on 28 February.
    assert cutoff == datetime(2027, 2, 28, 23, 0)
    fresh = CapacityReport(reported_at=datetime(2027, 2, 28, 23, 30))  # 1 March, 00:30 local
    stale = CapacityReport(reported_at=datetime(2027, 2, 28, 22, 30))  # 28 February local
    assert not capacity.is_stale(fresh, today) and capacity.is_stale(stale, today)
    assert capacity.stale_before(date(2027, 3, 1)) == datetime(2027, 1, 29, 23, 0)


def test_new_report_replaces_the_current_one_and_keeps_history(ctx):
    org = demo_org()
    admit(org, "pleegzorg", "leefgroepen")
    first = report(org, location="Breda-Noord", places=2, age_min=4, age_max=12)
    other = report(org, location="Oosterhout", places=1)
    group = report(org, "leefgroepen", location="Breda-Noord", places=3)
    db.session.flush()
    newer = report(org, location="  breda-noord ", places=0, remarks="Vol tot de zomer.")
    db.session.commit()
    assert newer.location == "Breda-Noord"  # the spelling used before is kept
    current = db.session.scalars(capacity.current_reports_query()
                                 .order_by(CapacityReport.id)).all()
    assert [r.id for r in current] == [other.id, group.id, newer.id]
    assert db.session.scalar(select(func.count()).select_from(CapacityReport)) == 4
    # Kept on the rows: the replaced report is history.
    db.session.expire_all()
    assert [(r.id, r.is_current) for r in db.session.scalars(
        select(CapacityReport).order_by(CapacityReport.id))] == [
        (first.id, False), (other.id, True), (group.id, True), (newer.id, True)]
    assert first.id not in {r.id for r in current}
    event_row = db.session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "capacity_reports", AuditEvent.object_id == newer.id))
    assert event_row.action == "capacity_reported" and event_row.actor_id == user(PROVIDER).id
    assert "0 plaatsen" in event_row.detail
    # Age filter: open ends fit every age.
    fits = db.session.scalars(capacity.current_reports_query().where(capacity.fits_age(15))
                              .order_by(CapacityReport.id)).all()
    assert [r.id for r in fits] == [other.id, group.id, newer.id]
    first_fit = db.session.scalars(select(CapacityReport).where(capacity.fits_age(13))).all()
    assert first not in first_fit


def test_the_database_keeps_one_current_report_per_location(ctx):
    """Two reports for one location saved at the same moment cannot both be current: the
    partial unique index refuses the second (case aside, as the match)."""
    from sqlalchemy.exc import IntegrityError

    org = demo_org()
    admit(org, "pleegzorg")
    current = report(org, location="Breda-Noord", places=2)
    db.session.commit()
    db.session.add(CapacityReport(organisation_id=org.id, category_id=current.category_id,
                                  location="BREDA-NOORD", places=1,
                                  available_from=today_local(), reported_by_id=user(PROVIDER).id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # As history (not current) it is allowed, and a report through the operation replaces.
    db.session.add(CapacityReport(organisation_id=org.id, category_id=current.category_id,
                                  location="breda-noord", places=1, is_current=False,
                                  available_from=today_local(), reported_by_id=user(PROVIDER).id))
    newer = report(org, location="breda-noord", places=0)
    db.session.commit()
    assert [r.id for r in db.session.scalars(capacity.current_reports_query())] == [newer.id]


def _migration(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_marks_the_latest_report_per_location_current(ctx):
    """The fill of 0012 for existing rows: the latest report (highest id) per organisation,
    category and location, case aside, is current; the others are history."""
    rnd = random.Random(5)
    org, other = demo_org(), organisation("Tweede Huis", "55667788")
    admit(org, "pleegzorg", "leefgroepen")
    admit(other, "pleegzorg")
    by = user(PROVIDER).id
    rows = []
    for _ in range(60):
        row = CapacityReport(
            organisation_id=rnd.choice([org.id, other.id]),
            category_id=category(rnd.choice(["pleegzorg", "leefgroepen"])).id,
            location=rnd.choice(["Breda", "BREDA", "breda", "Made", "Dorst"]),
            places=rnd.randint(0, 3), available_from=today_local(), reported_by_id=by,
            is_current=False)  # as before the migration: not known yet
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    latest = {}
    for row in rows:
        key = (row.organisation_id, row.category_id, row.location.lower())
        latest[key] = max(latest.get(key, 0), row.id)
    _migration("0012_current_capacity_reports.py").fill_current(db.session.connection())
    db.session.expire_all()
    current = {r.id for r in db.session.scalars(select(CapacityReport).where(
        CapacityReport.is_current))}
    assert current == set(latest.values()) and 3 < len(current) < len(rows)


@pytest.mark.parametrize("fields, field, message", [
    ({"places": -1}, "places", "kan niet negatief zijn"),
    ({"age_min": 18, "age_max": 12}, "age_max",
     "De leeftijd tot en met (12) is lager dan de leeftijd vanaf (18)"),
    ({"age_min": 24}, "age_min", "Vul een leeftijd van 0 tot en met 23 jaar in."),
    ({"age_max": -1}, "age_max", "Vul een leeftijd van 0 tot en met 23 jaar in."),
    ({"places": None}, "places", "Vul het aantal beschikbare plaatsen in"),
    ({"places": 1000}, "places", "hoogstens 999"),
    ({"location": "   "}, "location", "Vul de locatie in"),
    ({"available_from": today_local() - timedelta(days=3)}, "available_from",
     "Deze datum ligt in het verleden"),
    ({"code": "leefgroepen"}, "category", "niet toegelaten voor deze categorie"),
])
def test_bad_input_is_refused_with_a_dutch_message(ctx, fields, field, message):
    org = demo_org()
    admit(org, "pleegzorg")
    db.session.commit()
    fields = dict(fields)
    code = fields.pop("code", "pleegzorg")
    values = {"location": "Breda", "places": 2, **fields}
    with pytest.raises(ValidationFailed) as caught:
        report(org, code, **values)
    assert any(name == field and message in text for name, text in caught.value.errors), \
        caught.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CapacityReport)) == 0


def test_ended_admission_and_other_organisations_are_refused(ctx):
    org = demo_org()
    admit(org, "pleegzorg", status=AdmissionStatus.BEEINDIGD)
    admit(org, "leefgroepen", status=AdmissionStatus.GESCHORST)
    other = organisation("Ander Huis", "87654321", beheerder="ander@huis.example")
    admit(other, "pleegzorg")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        report(org, "pleegzorg")
    assert caught.value.errors[0][0] == "category"
    # A suspended admission is still live: the partner keeps its capacity current.
    assert report(org, "leefgroepen").places == 2
    with pytest.raises(NotPermitted):
        report(other, "pleegzorg", by=user(PROVIDER))
    with pytest.raises(NotPermitted):
        report(org, "leefgroepen", by=user(ASSESSOR_1))


def test_remind_stale_once_per_stale_report(in_term, app, smtp):
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg", "leefgroepen")
        ended_org = organisation("Gestopt Huis", "11223344")
        admit(ended_org, "pleegzorg", status=AdmissionStatus.BEEINDIGD)
        stale = report(org, location="Breda", places=3)
        age(stale, 31)
        replaced = report(org, location="Teteringen")
        age(replaced, 40)
        report(org, location="Teteringen", places=1)  # its newer report is fresh
        almost = report(org, "leefgroepen", location="Breda")
        age(almost, 29)
        gone = CapacityReport(organisation_id=ended_org.id, category_id=category("pleegzorg").id,
                              location="Made", places=1, available_from=today_local(),
                              reported_by_id=user(PROVIDER).id,
                              reported_at=utcnow() - timedelta(days=50))
        db.session.add(gone)
        db.session.commit()
        stale_id = stale.id

        assert capacity.remind_stale(today_local()) == 1
        assert capacity.remind_stale(today_local()) == 0  # the second run sends nothing
        mails = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "capacity_stale")
                                   ).all()
        assert sorted(m.to_address for m in mails) == ["aanbieder@demo.nl",
                                                       "info@delinde.demo.nl"]
        assert all(m.organisation_id == org.id for m in mails)
        assert "Pleegzorg, Breda" in mails[0].subject
        assert f"/organisatie/capaciteit/{stale_id}/bijwerken" in mails[0].body_text
        assert "ouder dan 30 dagen" in mails[0].body_text
        assert db.session.get(CapacityReport, stale_id).reminder_sent_at is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "capacity_reminder_sent")) == 1

    # The daily command reports it; another run the same day mails nothing again.
    with app.app_context():
        report_row = db.session.get(CapacityReport, stale_id)
        report_row.reminder_sent_at = None  # as if the mail were never claimed
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["partners", "daily"])
    assert "stale capacity reminders: 1" in result.output, result.output
    result = app.test_cli_runner().invoke(args=["partners", "daily"])
    assert "stale capacity reminders: 0" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.kind == "capacity_stale")) == 4

    # The worker delivers the reminders.
    sent = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    smtp.wait_for(4)
    assert smtp.find(to="info@delinde.demo.nl", subject_contains="Werk uw beschikbare plaatsen bij")


# --- the partner's pages --------------------------------------------------------------------

def _admitted_demo(app, *codes):
    with app.app_context():
        admit(demo_org(), *codes)
        db.session.commit()


def _form(code_id, **values):
    data = {"category": str(code_id), "location": "Breda", "places": "2",
            "available_from": today_local().isoformat(), "age_min": "", "age_max": "",
            "remarks": ""}
    data.update(values)
    return data


def test_partner_reports_capacity_on_the_page(app):
    _admitted_demo(app, "pleegzorg")
    with app.app_context():
        pleeg = category("pleegzorg").id
    client = _client(app, PROVIDER)
    page = client.get("/organisatie/capaciteit").get_data(as_text=True)
    assert "U heeft nog geen beschikbare plaatsen opgegeven." in page
    assert "Pleegzorg" in page and "Leefgroepen" not in page  # only admitted categories
    response = post(client, "/organisatie/capaciteit",
                    _form(pleeg, location="Breda-Noord", places="3", age_min="4", age_max="12",
                          remarks="Ook voor broers en zussen."), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Uw opgave voor Pleegzorg, Breda-Noord is opgeslagen: 3 plaatsen." in html
    assert "4 tot en met 12 jaar" in html and "Ook voor broers en zussen." in html
    assert "badge-verouderd" not in html
    with app.app_context():
        first = db.session.scalar(select(CapacityReport))
        assert (first.places, first.age_min, first.age_max) == (3, 4, 12)
        first_id = first.id
    # Update it from its own page: a new report, the old one stays as history.
    url = f"/organisatie/capaciteit/{first_id}/bijwerken"
    form_page = client.get(url).get_data(as_text=True)
    assert 'value="Breda-Noord"' in form_page and 'value="3"' in form_page
    response = post(client, url, _form(pleeg, location="Breda-Noord", places="0"),
                    follow_redirects=True)
    assert "0 plaatsen" in response.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(CapacityReport).order_by(CapacityReport.id)).all()
        assert [r.places for r in rows] == [3, 0]
        current = db.session.scalars(capacity.current_reports_query()).all()
        assert [r.id for r in current] == [rows[1].id]
    history = client.get("/organisatie/capaciteit").get_data(as_text=True)
    assert "vervangen" in history and "huidig" in history


def test_stale_report_is_marked_on_the_partner_page(app):
    _admitted_demo(app, "pleegzorg")
    with app.app_context():
        old = report(demo_org(), location="Made")
        age(old, 45)
        db.session.commit()
    html = _client(app, PROVIDER).get("/organisatie/capaciteit").get_data(as_text=True)
    assert "badge-verouderd" in html and "Made" in html


@pytest.mark.parametrize("values, message", [
    ({"places": "-2"}, "Het aantal plaatsen kan niet negatief zijn."),
    ({"age_min": "18", "age_max": "12"}, "De leeftijd tot en met (12) is lager dan de leeftijd vanaf (18)."),
    ({"places": "twee"}, "Vul een heel getal in, zonder punten of letters."),
    ({"places": ""}, "Vul het aantal beschikbare plaatsen in."),
    ({"available_from": "31-02-2027"}, "Vul een geldige datum in."),
    ({"location": ""}, "Vul de locatie in"),
    ({"age_max": "30"}, "Vul een leeftijd van 0 tot en met 23 jaar in."),
])
def test_bad_input_on_the_page(app, values, message):
    _admitted_demo(app, "pleegzorg")
    with app.app_context():
        pleeg = category("pleegzorg").id
    client = _client(app, PROVIDER)
    response = post(client, "/organisatie/capaciteit", _form(pleeg, **values))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'class="error-summary"' in html
    assert "Not a valid" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CapacityReport)) == 0


def test_category_not_admitted_is_refused(app):
    _admitted_demo(app, "pleegzorg")
    with app.app_context():
        leef = category("leefgroepen").id
    client = _client(app, PROVIDER)
    for value in (str(leef), "999999", "geen-getal"):
        response = post(client, "/organisatie/capaciteit", _form(value))
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert ("Uw organisatie is niet toegelaten voor deze categorie" in html
                or "Kies de categorie" in html), value
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CapacityReport)) == 0


def test_without_admission_there_is_no_form(app):
    client = _client(app, PROVIDER)
    html = client.get("/organisatie/capaciteit").get_data(as_text=True)
    assert "Uw organisatie is nog niet toegelaten voor een categorie." in html
    assert 'name="places"' not in html


def test_another_organisations_report_is_not_found(app):
    with app.app_context():
        other = organisation("Ander Huis", "87654321", beheerder="ander@huis.example")
        admit(other, "pleegzorg")
        theirs = report(other, by=db.session.scalar(select(User).where(
            User.email == "ander@huis.example")))
        admit(demo_org(), "pleegzorg")
        db.session.commit()
        theirs_id, pleeg = theirs.id, category("pleegzorg").id
    client = _client(app, PROVIDER)
    url = f"/organisatie/capaciteit/{theirs_id}/bijwerken"
    assert client.get(url).status_code == 404
    response = post(client, url, _form(pleeg), token_from="/organisatie/capaciteit")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CapacityReport)) == 1
    # Staff have no partner pages of their own.
    assert _client(app, ASSESSOR_1).get("/organisatie/capaciteit").status_code == 403


# --- the staff overview ---------------------------------------------------------------------

def _overview_data(app):
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg")
        admit(org, "leefgroepen", status=AdmissionStatus.GESCHORST)
        young = report(org, location="Breda-Noord", places=2, age_min=0, age_max=11)
        age(young, 35)
        report(org, "leefgroepen", location="Breda-Zuid", places=4, age_min=12, age_max=17)
        other = organisation("Kamertraining Made", "55667788", city="Made",
                             beheerder="made@kamer.example")
        admit(other, "zelfstandigheidstraining")
        made = db.session.scalar(select(User).where(User.email == "made@kamer.example"))
        report(other, "zelfstandigheidstraining", location="Made", places=0, age_min=16,
               age_max=23, by=made)
        ended = organisation("Gestopt Huis", "11223344", beheerder="gestopt@huis.example")
        admission, = admit(ended, "pleegzorg")
        report(ended, location="Dorst", places=5,
               by=db.session.scalar(select(User).where(User.email == "gestopt@huis.example")))
        admission.status = AdmissionStatus.BEEINDIGD
        db.session.commit()


def test_staff_see_current_capacity_with_filters(app):
    _overview_data(app)
    client = _client(app, ASSESSOR_1)
    html = client.get("/capaciteit").get_data(as_text=True)
    assert "Breda-Noord" in html and "Breda-Zuid" in html and "Made" in html
    assert "Dorst" not in html  # its admission ended
    assert "badge-verouderd" in html and "badge-geschorst" in html
    by_category = client.get("/capaciteit?categorie=leefgroepen").get_data(as_text=True)
    assert "Breda-Zuid" in by_category and "Breda-Noord" not in by_category
    by_age = client.get("/capaciteit?leeftijd=16").get_data(as_text=True)
    assert "Breda-Zuid" in by_age and "Made" in by_age and "Breda-Noord" not in by_age
    free = client.get("/capaciteit?leeftijd=16&vrij=1").get_data(as_text=True)
    assert "Breda-Zuid" in free and "Kamertraining Made" not in free
    bad = client.get("/capaciteit?leeftijd=achttien").get_data(as_text=True)
    assert "Vul een leeftijd van 0 tot en met 23 jaar in." in bad and "Breda-Noord" in bad
    assert _client(app, ADMIN).get("/capaciteit").status_code == 200
    assert _client(app, PROVIDER).get("/capaciteit").status_code == 403
    assert app.test_client().get("/capaciteit").status_code == 302


def test_overview_lists_per_category_freshest_first(app):
    """Per category (in the region's order of categories) the latest report comes first;
    a stale one sinks to the end."""
    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg", "leefgroepen")
        for location, days in (("Oud-Huis", 20), ("Nieuw-Huis", 0), ("Middel-Huis", 5)):
            age(report(org, location=location), days)
        age(report(org, "leefgroepen", location="Groep-Huis"), 40)
        db.session.commit()
    client = _client(app, ASSESSOR_1)

    def order():
        html = client.get("/capaciteit").get_data(as_text=True)
        names = ("Nieuw-Huis", "Middel-Huis", "Oud-Huis", "Groep-Huis")
        return sorted(names, key=html.index)

    assert order() == ["Nieuw-Huis", "Middel-Huis", "Oud-Huis", "Groep-Huis"]
    with app.app_context():
        category("leefgroepen").position = 0  # the region puts Leefgroepen first
        db.session.commit()
    assert order() == ["Groep-Huis", "Nieuw-Huis", "Middel-Huis", "Oud-Huis"]


def test_the_overview_reads_the_current_reports_in_index_order(ctx):
    """No sort of all current reports per request (SQLite's plan, on bulk data with fresh
    statistics): the categories and each category's current reports are walked in their
    indexes, with and without filters."""
    from bench.datagen import populate

    populate(900, rich=True)
    if db.engine.dialect.name == "postgresql":
        # One category: its reports can be read backwards along the index, with no sort
        # (every category together: the next test). Sorting is discouraged rather than
        # costed: on 900 applications sorting the few reports is as cheap, and PostgreSQL
        # still sorts when no index gives the order.
        db.session.commit()
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_sort = off"))
        compiled = capacity.overview_ids(category("pleegzorg").id, 16).limit(25).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.execute(text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_capacity_reports_current" in plan and "Sort" not in plan, plan
        return
    for query in (capacity.overview_ids(), capacity.overview_ids(category("pleegzorg").id, 16),
                  capacity.overview_ids(None, 16, True)):
        compiled = query.limit(25).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[3] for row in db.session.execute(
            text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_capacity_reports_current" in plan and "TEMP B-TREE" not in plan, plan


def test_on_postgresql_the_overview_reads_each_category_up_to_the_page(ctx):
    """PostgreSQL reads each category's current reports in index order up to the end of the
    page asked for (a UNION ALL with a limit per category) instead of sorting them all: the
    same rows, in the same order, as the ordered join, page by page, with and without
    filters."""
    from bench.datagen import populate

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the union is PostgreSQL's; SQLite reads the join in index order")
    populate(900, rich=True)
    every = list(db.session.scalars(select(Category.id).order_by(Category.position)))
    for chosen in ((None, None, False), (None, 16, True)):
        # The overview's order written as one ordered join (what SQLite reads).
        joined = (capacity.current_reports_query().with_only_columns(CapacityReport.id)
                  .join(Category, Category.id == CapacityReport.category_id)
                  .order_by(Category.position, Category.id, CapacityReport.reported_at.desc(),
                            CapacityReport.id.desc()))
        if chosen[1] is not None:
            joined = joined.where(capacity.fits_age(chosen[1]), CapacityReport.places > 0)
        assert db.session.scalar(select(func.count()).select_from(capacity.overview_ids(
            *chosen).subquery())) == db.session.scalar(select(func.count()).select_from(
                joined.order_by(None).subquery()))
        assert db.session.scalar(select(func.count()).select_from(joined.subquery())) > 50
        for page in (1, 2, 3):
            upto = page * 25
            union = capacity.overview_ids(*chosen, category_ids=every, upto=upto)
            assert str(union.compile(db.engine)).count("LIMIT") == len(every)
            assert (db.session.scalars(union.limit(25).offset(upto - 25)).all()
                    == db.session.scalars(joined.limit(25).offset(upto - 25)).all()), (chosen, page)


def test_planned_once_writes_the_values_into_the_sql(ctx):
    """textsearch.planned_once: the values are in the SQL; only the LIMIT and OFFSET a list
    adds around it stay parameters (PostgreSQL's SQL)."""
    from sqlalchemy import Integer
    from sqlalchemy.dialects import postgresql

    from portal.textsearch import planned_once

    chosen = planned_once(select(CapacityReport.id).where(
        CapacityReport.category_id == 7, CapacityReport.places > 0, capacity.live_admission()),
        "chosen", {"id": Integer()})
    compiled = select(chosen.c.id).limit(25).offset(50).compile(dialect=postgresql.dialect())
    assert sorted(compiled.params.values()) == [25, 50]
    sql = " ".join(str(compiled).split())
    assert "capacity_reports.category_id = 7" in sql and "capacity_reports.places > 0" in sql
    assert "'TOEGELATEN'" in sql  # the live admission's states


def test_overview_is_paginated_with_a_flat_statement_count(app):
    _overview_data(app)
    client = _client(app, ASSESSOR_1)
    small = count_statements(app, client, "/capaciteit?leeftijd=16")
    with app.app_context():
        org = demo_org()
        for n in range(60):
            report(org, location=f"Locatie {n:02d}", places=n % 3)
        db.session.commit()
    large = count_statements(app, client, "/capaciteit?leeftijd=16")
    assert large == small and large <= MAX_STATEMENTS
    first = client.get("/capaciteit").get_data(as_text=True)
    assert "Pagina 1 van 3" in first and "pagina=2" in first
    third = client.get("/capaciteit?pagina=3").get_data(as_text=True)
    assert "Locatie 59" in third or "Made" in third


# --- the partner file -------------------------------------------------------------------------

def _full_file(app):
    """The demo organisation taken through a real assessment (admission, decision, offered
    agreement), with capacity reports, documents and mail."""
    from portal.assessment import workflow as assessment
    from portal.models import Outcome, VerdictOutcome
    from portal.partners import workflow as partners
    from tests.conftest import ASSESSOR_2
    from tests.helpers import categories, requirement

    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, "pleegzorg", "leefgroepen")
        first = user(ASSESSOR_1)
        assessment.start_review(application, by=first)
        assessment.declare_no_conflict(application, by=first)
        assessment.record_verdicts(application, {
            r.id: (VerdictOutcome.VOLDOET_NIET, "Geen groepsgrootte.") if r.code == "L1"
            else (VerdictOutcome.VOLDOET, "") for r in application.applicable_requirements()},
            by=first)
        pleeg, leef = categories("pleegzorg", "leefgroepen")
        assessment.propose_decision(application, {
            pleeg.id: (Outcome.TOEGELATEN, "Voldoet aan alle eisen.", []),
            leef.id: (Outcome.AFGEWEZEN, "Groepsgrootte ontbreekt.", [requirement("L1").id])},
            by=first)
        assessment.approve_decision(application, no_conflict=True, by=user(ASSESSOR_2))
        db.session.commit()
        admission = db.session.scalar(select(Admission))
        partners.accept_agreement(admission.agreement, by=provider, ip_address="192.0.2.7")
        partners.suspend(admission, by=user(ADMIN), reason="Onderzoek naar een melding.",
                         starts_on=today_local())
        org = demo_org()
        report(org, location="Breda-Noord", places=2)
        old = report(org, location="Teteringen", places=1)
        age(old, 40)
        expired = Document(organisation_id=org.id, doc_type="Verzekeringspolis",
                           original_name="polis-2026.pdf", stored_name="x" * 64,
                           content_type="application/pdf", size_bytes=10, sha256="0" * 64,
                           valid_until=today_local() - timedelta(days=2),
                           uploaded_by_id=provider.id)
        db.session.add(expired)
        db.session.commit()
        return org.id, application.id, application.reference


def test_partner_file_shows_everything_about_the_partner(app):
    org_id, application_id, reference = _full_file(app)
    client = _client(app, ASSESSOR_1)
    html = client.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "Partnerdossier Stichting Gezinshuis De Linde (demo)" in html
    # admissions with states and suspensions
    assert "geschorst" in html and "Onderzoek naar een melding." in html
    # applications, linked to the assessment page
    assert f'href="/beoordeling/{application_id}"' in html and reference in html
    # decisions per category
    assert "Voldoet aan alle eisen." in html and "Groepsgrootte ontbreekt." in html
    assert "afgewezen" in html
    # the agreement, accepted: who, when, from where
    assert "deelnemersovereenkomst-" in html and "door Anna de Vries" in html
    assert "192.0.2.7" in html
    # documents with validity, expired marked
    assert "polis-2026.pdf" in html and "verlopen" in html
    # capacity: current and history, stale marked
    assert "Breda-Noord" in html and "Teteringen" in html and "badge-verouderd" in html
    # every mail sent to it (the receipt, the decision, the agreement, the suspension)
    assert "Ontvangstbevestiging aanmelding" in html and "schorsing" in html.lower()
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.organisation_id == org_id)
                                 .order_by(OutboxMail.id))
        mail_id, subject = mail.id, mail.subject
    detail = client.get(f"/beheer/partners/{org_id}/mails/{mail_id}").get_data(as_text=True)
    assert subject in detail
    # Only staff; unknown organisations and other organisations' mail are not found.
    assert _client(app, PROVIDER).get(f"/beheer/partners/{org_id}").status_code == 403
    assert client.get("/beheer/partners/999999").status_code == 404
    with app.app_context():
        other = organisation("Ander Huis", "87654321")
        db.session.commit()
        other_id = other.id
    assert client.get(f"/beheer/partners/{other_id}/mails/{mail_id}").status_code == 404
    assert client.get(f"/beheer/partners/{other_id}").status_code == 200
    assert _client(app, ADMIN).get(f"/beheer/partners/{org_id}").status_code == 200


def test_partner_file_limits_long_lists_and_stays_within_fifteen_statements(app):
    org_id, _, _ = _full_file(app)
    client = _client(app, ASSESSOR_1)
    small = count_statements(app, client, f"/beheer/partners/{org_id}")
    html = client.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    assert "Alle documenten tonen" not in html
    with app.app_context():
        engine_name = db.engine.dialect.name
    _more_data(app, org_id)
    large = count_statements(app, client, f"/beheer/partners/{org_id}")
    assert large == small and large <= MAX_STATEMENTS, (engine_name, small, large)
    html = client.get(f"/beheer/partners/{org_id}").get_data(as_text=True)
    for link in ("Alle aanmeldingen tonen", "Alle documenten tonen", "Alle opgaven tonen"):
        assert link in html
    assert "Bericht 29" in html and "pagina=2" in html  # mail paginated, newest first
    second = client.get(f"/beheer/partners/{org_id}?pagina=2").get_data(as_text=True)
    assert "Bericht 29" not in second and "Bericht 00" in second
    for sub in ("aanmeldingen", "documenten", "capaciteit"):
        url = f"/beheer/partners/{org_id}/{sub}"
        assert count_statements(app, client, url) <= MAX_STATEMENTS
        assert "pagina=2" in client.get(url).get_data(as_text=True), sub


def _more_data(app, org_id):
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        provider = user(PROVIDER)
        application = db.session.scalar(select(Application))
        for n in range(30):
            report(org, location=f"Locatie {n}", places=1)
            db.session.add(Document(
                organisation_id=org.id, original_name=f"doc-{n}.pdf", stored_name=f"{n:064d}",
                content_type="application/pdf", size_bytes=1, sha256="1" * 64,
                valid_until=today_local() + timedelta(days=n), uploaded_by_id=provider.id))
            db.session.add(OutboxMail(kind="receipt", to_address="info@delinde.demo.nl",
                                      subject=f"Bericht {n:02d}", body_text="t",
                                      body_html="<p>t</p>", organisation_id=org.id))
            db.session.add(Application(
                organisation_id=org.id, procedure_id=application.procedure_id,
                catalogue_version_id=application.catalogue_version_id,
                created_by_id=provider.id))
        db.session.commit()
