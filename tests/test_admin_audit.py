"""The audit log view: administrators search the audit events by actor, object, action and
period (newest first, paginated in the database) and export the result as a streamed CSV
that Excel opens (UTF-8 with BOM)."""
import csv
import io
import re
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, user
from tests.test_scale import StatementCounter

URL = "/beheer/audit"


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _event(at, action, actor=None, object_type="applications", object_id=1, detail="", **kw):
    return AuditEvent(at=at, action=action, actor_id=getattr(actor, "id", None),
                      object_type=object_type, object_id=object_id, detail=detail, **kw)


def _seed_events(app):
    """A few known events (in UTC) on top of whatever the demo data recorded."""
    with app.app_context():
        assessor, admin = user(ASSESSOR_1), user(ADMIN)
        db.session.add_all([
            # 31 Dec 2026 23:30 UTC is 1 Jan 2027 00:30 in Amsterdam.
            _event(datetime(2026, 12, 31, 23, 30), "review_started", assessor, object_id=7,
                   from_state="ingediend", to_state="in_behandeling", detail="nieuwjaar"),
            _event(datetime(2027, 1, 15, 10, 0), "assigned", admin, object_id=7,
                   detail="toegewezen"),
            _event(datetime(2027, 1, 31, 22, 59), "staff_created", admin, object_type="users",
                   object_id=99, detail="=HYPERLINK(\"http://evil.example\")"),
            # 31 Jan 2027 23:30 UTC is already 1 Feb 2027 in Amsterdam.
            _event(datetime(2027, 1, 31, 23, 30), "submitted", None, object_id=8,
                   detail="laatste; met puntkomma\nen een tweede regel"),
        ])
        db.session.commit()


def _rows(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'data-action="([^"]+)"', body)


def test_only_administrators_reach_the_audit_log(app):
    for who in (PROVIDER, ASSESSOR_1, ASSESSOR_2):
        client = _client(app, who)
        for url in (URL, URL + "?action=assigned", URL + "/export.csv",
                    URL + "/export.csv?actor=beheer"):
            assert client.get(url).status_code == 403, (who, url)
    anonymous = app.test_client().get(URL + "/export.csv")
    assert anonymous.status_code == 302 and "/inloggen" in anonymous.headers["Location"]


def test_filters_by_actor_object_action_and_local_period(app):
    _seed_events(app)
    admin = _client(app, ADMIN)
    everything = _rows(admin.get(URL).get_data(as_text=True))
    # Newest first (the administrator's own login events of this test aside).
    seeded = [a for a in everything if not a.startswith(("login", "logout", "second_factor", "session"))]
    assert seeded[:4] == ["submitted", "staff_created", "assigned", "review_started"]

    def actions(query):
        response = admin.get(URL + "?" + query)
        assert response.status_code == 200, query
        return _rows(response.get_data(as_text=True))

    assert actions("actor=BEOORDELAAR1") == ["review_started"]  # e-mail contains, any case
    assert set(actions("actor=beheer%40demo")) >= {"staff_created", "assigned"}
    assert "review_started" not in actions("actor=beheer%40demo")
    assert actions("actor=_") == []  # _ is not a wildcard (no address has one)
    assert actions("actor=%25") == []  # neither is %
    assert actions("object_type=users&object_id=99") == ["staff_created"]
    assert actions("object_type=applications&object_id=7") == ["assigned", "review_started"]
    assert actions("action=assigned&object_id=7") == ["assigned"]
    # The period is in Dutch time: 1 January includes 31 Dec 23:30 UTC; 31 January does
    # not include 31 Jan 23:30 UTC (that is 1 February in Amsterdam).
    assert actions("date_from=2027-01-01&date_to=2027-01-01") == ["review_started"]
    assert actions("date_from=2027-01-02&date_to=2027-01-31") == ["staff_created", "assigned"]
    assert actions("date_from=01-02-2027&date_to=01-02-2027") == ["submitted"]  # Dutch format too
    assert "review_started" not in actions("date_to=2026-12-31")
    assert actions("action=withdrawn&object_id=7") == []
    html = admin.get(URL + "?action=withdrawn&object_id=7").get_data(as_text=True)
    assert "Geen gebeurtenissen gevonden met deze filters." in html
    # The action is chosen from a list of Dutch names; a code that is not on it is refused.
    unknown = admin.get(URL + "?action=bestaat_niet")
    assert unknown.status_code == 422 and "Kies een handeling uit de lijst." in unknown.get_data(as_text=True)
    assert '<option value="assigned">Toegewezen aan een beoordelaar</option>' in html
    # What the table shows.
    page = admin.get(URL + "?object_type=applications&object_id=7").get_data(as_text=True)
    # Dutch words, no codes: the action, the object, the states.
    assert "In behandeling genomen" in page and "aanmelding 7" in page
    assert "ingediend → in behandeling" in page and "in_behandeling" not in page
    assert "nieuwjaar" in page and "1 januari 2027, 00:30" in page
    assert 'href="/beoordeling/7"' in page
    with app.app_context():
        assessor_name = db.session.scalar(select(User.full_name).where(User.email == ASSESSOR_1))
    assert "beoordelaar1@demo.nl" in page and assessor_name in page  # who: name and address
    assert "het portaal" in admin.get(URL + "?action=submitted&object_id=8").get_data(as_text=True)


def test_bad_filters_get_dutch_messages_and_keep_the_input(app):
    admin = _client(app, ADMIN)
    response = admin.get(URL + "?date_from=gisteren&object_id=tien&object_type=geheim")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vul een geldige datum in, bijvoorbeeld 31-01-2027." in html
    assert "Vul een nummer in (alleen cijfers)." in html
    assert "Kies een soort object uit de lijst." in html
    assert 'value="gisteren"' in html and 'value="tien"' in html
    assert "<tbody>" not in html and "downloaden als CSV" not in html
    reversed_period = admin.get(URL + "?date_from=2027-02-01&date_to=2027-01-01")
    assert reversed_period.status_code == 422
    assert "De einddatum ligt vóór de begindatum." in reversed_period.get_data(as_text=True)
    export = admin.get(URL + "/export.csv?object_id=-3")
    assert export.status_code == 422 and "Vul een nummer groter dan 0 in." in export.get_data(as_text=True)


def test_export_is_a_streamed_csv_with_bom_of_the_filtered_events(app):
    _seed_events(app)
    admin = _client(app, ADMIN)
    page = admin.get(URL + "?actor=beheer&date_from=2027-01-01&date_to=2027-01-31").get_data(as_text=True)
    link = re.search(r'href="(/beheer/audit/export\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "actor=beheer" in link and "date_from=2027-01-01" in link
    response = admin.get(link, buffered=False)  # as a WSGI server gets it: not read yet
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="auditlog-')
    raw = response.get_data()
    response.close()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["nummer", "tijdstip (Nederlandse tijd)", "e-mailadres gebruiker",
                           "naam gebruiker", "handeling"]
    assert [r[4] for r in rows[1:]] == ["Medewerker aangemaakt", "Toegewezen aan een beoordelaar"]
    created = rows[1]
    assert created[1] == "2027-01-31 23:59:00" and created[2] == ADMIN
    assert created[5:7] == ["gebruiker", "99"]
    assert created[10] == "gelukt"
    assert created[9] == "'=HYPERLINK(\"http://evil.example\")"  # never a formula

    everything = admin.get(URL + "/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(everything), delimiter=";"))
    with app.app_context():
        total = len(db.session.scalars(select(AuditEvent.id)).all())
    assert len(rows) == total + 1
    submitted = next(r for r in rows if r[4] == "Aanmelding ingediend")
    assert submitted[2:4] == ["", ""] and submitted[9] == "laatste; met puntkomma\nen een tweede regel"


def test_list_is_paginated_in_the_database_and_runs_few_statements(app):
    with app.app_context():
        admin_user = user(ADMIN)
        base = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
        db.session.add_all([_event(datetime(2027, 3, 1, 9, 0), f"bulk_{i:03}", admin_user,
                                   object_id=i) for i in range(60)])
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) > base
    admin = _client(app, ADMIN)

    def count(url):
        admin.get(url)
        with StatementCounter(db.engine) as counter:
            response = admin.get(url)
        assert response.status_code == 200
        return counter.count, response.get_data(as_text=True)

    with app.app_context():
        small, first = count(URL + "?actor=beheer&date_from=2027-03-01&date_to=2027-03-01")
        for i in range(60, 400):
            db.session.add(_event(datetime(2027, 3, 1, 9, 0), f"bulk_{i:03}", user(ADMIN),
                                  object_id=i))
        db.session.commit()
        large, _ = count(URL + "?actor=beheer&date_from=2027-03-01&date_to=2027-03-01")
        _, second = count(URL + "?actor=beheer&date_from=2027-03-01&date_to=2027-03-01&pagina=2")
    assert large == small <= 15
    assert _rows(first)[:2] == ["bulk_059", "bulk_058"]
    assert _rows(second)[0] == "bulk_374"  # 400 events, 25 a page: page 2 starts at the 26th
    assert "Pagina 2 van 16" in second and "actor=beheer" in second


def test_every_recorded_action_has_a_dutch_label():
    """The audit page shows words, never codes: each action the code records has a label."""
    from pathlib import Path

    from portal.audit.labels import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent / "portal"
    pattern = re.compile(r'(?:audit\.record\(\s*|action=)"([a-z_]+)"')
    recorded = {name for path in root.rglob("*.py") for name in pattern.findall(path.read_text())}
    assert len(recorded) > 60, recorded  # the pattern finds the calls
    assert sorted(recorded - set(ACTION_LABELS)) == []
