"""Exports and lists at scale (issue 15): no export or list gains a statement per row, the
public register's exports are built once per version of the register and answered with
304 Not Modified when the client holds them, and a change in the register (through its
workflow) gives a new ETag and a new body."""
import csv
import io
import json
from datetime import date, datetime

from sqlalchemy import insert, select

from bench.datagen import populate
from portal.extensions import db
from portal.models import Admission, Organisation, Role, User
from portal.timeutil import today_local
from tests.conftest import ADMIN, ASSESSOR_1, login, user
from tests.test_partners_register import _register_data
from tests.test_scale import StatementCounter

EXPORTS = ["/register/export.csv", "/register/export.json",
           "/register/export.csv?categorie=pleegzorg", "/register/export.json?gemeente=Breda"]
STAFF_PAGES = {
    ADMIN: ["/beheer/audit/export.csv", "/beheer/medewerkers", "/beheer/medewerkers?status=alle",
            "/beheer/partners", "/beheer/partners?zoek=Aanbieder"],
    ASSESSOR_1: ["/beoordeling/", "/beoordeling/?zoek=Aanbieder", "/beoordeling/?status=besloten"],
}


def _get(client, url, engine, **kwargs):
    with StatementCounter(engine) as counter:
        response = client.get(url, **kwargs)
        body = response.get_data()  # streamed responses run their queries while read
        response.close()
    assert response.status_code in (200, 304), (url, response.status_code, body[:300])
    return counter.count, response, body


def _add_staff(n, start):
    db.session.execute(insert(User), [
        {"email": f"medewerker{i}@regio.example", "full_name": f"Medewerker {i:05d}",
         "password_hash": "x", "role": Role.ASSESSOR if i % 3 else Role.REFERRER,
         "affiliation": None if i % 3 else "Sociaal wijkteam", "is_active_account": i % 5 != 0}
        for i in range(start, start + n)])
    db.session.commit()


def _count(app, clients):
    with app.app_context():
        engine = db.engine
    counts, sizes = {}, {}
    anonymous = app.test_client()
    for url in EXPORTS:
        # The first request after a change builds the snapshot; the next one only reads it.
        counts["build " + url], _, body = _get(anonymous, url, engine)
        counts[url], _, again = _get(anonymous, url, engine)
        assert again == body
        sizes[url] = len(body)
    for who, urls in STAFF_PAGES.items():
        for url in urls:
            clients[who].get(url).close()  # warm up
            counts[url], _, body = _get(clients[who], url, engine)
            sizes[url] = len(body)
    return counts, sizes


def test_no_export_or_list_gains_a_statement_per_row(app):
    clients = {}
    for who in STAFF_PAGES:
        clients[who] = app.test_client()
        login(clients[who], who)
    n = 150
    with app.app_context():
        populate(n, rich=True)
        _add_staff(40, 0)
    small, small_sizes = _count(app, clients)
    with app.app_context():
        populate(2 * n, rich=True)  # 3N in all
        _add_staff(80, 40)
        live = db.session.scalar(select(db.func.count()).select_from(Admission)
                                 .where(Admission.status.in_(("TOEGELATEN", "ACTIEF", "GESCHORST"))))
        assert live > 100
    large, large_sizes = _count(app, clients)
    assert large == small
    # ... and there were more rows to show: the exports and the audit log grew.
    grown = [url for url in (*EXPORTS[:2], "/beheer/audit/export.csv")
             if large_sizes[url] > 2 * small_sizes[url]]
    assert grown == [*EXPORTS[:2], "/beheer/audit/export.csv"]
    # A snapshot is read without touching the register: the procedure, its categories and
    # the register's version.
    assert all(small[url] <= 3 for url in EXPORTS), small


def _csv_rows(body: bytes):
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_conditional_get_and_a_change_in_the_register(app, client):
    from portal.partners import workflow

    ids = _register_data(app)
    with app.app_context():
        engine = db.engine
    first = client.get("/register/export.csv")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["Content-Disposition"] == \
        'attachment; filename="register-toegelaten-aanbieders.csv"'
    before = _csv_rows(first.get_data())
    first.close()

    # The client holds this version: 304, nothing of the register is read.
    count, response, body = _get(client, "/register/export.csv", engine,
                                 headers={"If-None-Match": etag})
    assert response.status_code == 304 and body == b"" and response.headers["ETag"] == etag
    assert count <= 3
    json_etag = client.get("/register/export.json").headers["ETag"]
    assert json_etag != etag  # each export (and each filter) has its own validator
    filtered = client.get("/register/export.csv?categorie=pleegzorg").headers["ETag"]
    assert filtered not in (etag, json_etag)
    # An unknown filter value is ignored: the same export as without it.
    assert client.get("/register/export.csv?categorie=bestaat-niet&gemeente=X").headers["ETag"] == etag

    # A suspension through the partners' workflow changes the register ...
    with app.app_context():
        admission = db.session.scalar(select(Admission).where(
            Admission.organisation_id == ids["formula"]))
        workflow.suspend(admission, by=user(ADMIN), reason="Onderzoek naar de kwaliteit",
                         starts_on=today_local())
        db.session.commit()
    changed = client.get("/register/export.csv", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    after = _csv_rows(changed.get_data())
    changed.close()
    assert {r["kvk_nummer"]: r["status"] for r in before}["56789012"] == "actief"
    assert {r["kvk_nummer"]: r["status"] for r in after}["56789012"] == "geschorst"
    package = json.loads(client.get("/register/export.json",
                                    headers={"If-None-Match": json_etag}).get_data())
    suspended = next(p for p in package["releases"][0]["parties"]
                     if p.get("identifier", {}).get("id") == "56789012")
    assert suspended["details"]["admissions"][0]["status"] == "geschorst"

    # So does the public data of a partner (its AGB code too), and a new admission; a field
    # the register does not show does not.
    etag = client.get("/register/export.csv").headers["ETag"]
    with app.app_context():
        org = db.session.get(Organisation, ids["nieuw"])
        org.evidence_valid_until = date(2030, 1, 1)
        db.session.commit()
    assert client.get("/register/export.csv").headers["ETag"] == etag
    with app.app_context():
        db.session.get(Organisation, ids["nieuw"]).agb_code = "12345678"
        db.session.commit()
    with_agb = client.get("/register/export.csv")
    assert with_agb.headers["ETag"] != etag
    assert {r["organisatie"]: r["agb_code"] for r in _csv_rows(with_agb.get_data())}[
        "Kamers op Maat"] == "12345678"
    party = next(p for p in json.loads(client.get("/register/export.json").get_data())[
        "releases"][0]["parties"] if p.get("identifier", {}).get("id") == "34567890")
    assert party["additionalIdentifiers"] == [{"scheme": "NL-AGB", "id": "12345678"}]
    etag = with_agb.headers["ETag"]
    with app.app_context():
        db.session.get(Organisation, ids["nieuw"]).name = "Kamers op Maat Breda"
        db.session.commit()
    renamed = client.get("/register/export.csv")
    assert renamed.headers["ETag"] != etag and "Kamers op Maat Breda" in renamed.get_data(as_text=True)
    etag = renamed.headers["ETag"]
    with app.app_context():
        from tests.test_partners_capacity import admit

        admit(db.session.get(Organisation, ids["gestopt"]), "leefgroepen",
              admitted_at=datetime(2027, 2, 1, 9))
        db.session.commit()
    readmitted = client.get("/register/export.csv")
    assert readmitted.headers["ETag"] != etag
    assert "Gestopt Gezinshuis" in readmitted.get_data(as_text=True)


def test_staff_exports_stream(app):
    admin = app.test_client()
    login(admin, ADMIN)
    response = admin.get("/beheer/audit/export.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert response.get_data(as_text=True).startswith("\ufeff")
    response.close()


def test_report_figures_per_category_agree_with_a_plain_join_at_scale(app):
    """The per-category figure reads indexes and derives the decided applications as the
    rest of each category's total: the same numbers as joining every application."""
    from portal.applications.models import Application, application_categories
    from portal.reports import figures

    with app.app_context():
        populate(300, rich=True)
    app.config["REPORT_CACHE_SECONDS"] = 0
    with app.test_request_context():
        link = application_categories.c
        joined = {(c, s): n for c, s, n in db.session.execute(
            select(link.category_id, Application.status, db.func.count())
            .join(Application, Application.id == link.application_id)
            .group_by(link.category_id, Application.status))}
        with StatementCounter(db.engine) as counter:
            rows = figures.applications_per_category(figures.categories())
        assert counter.count == 2  # the categories, then every count in one statement
        derived = {(r.category.id, s): n for r in rows for s, n in r.counts.items() if n}
        assert derived == joined and len(joined) > 10


def test_an_export_is_still_served_when_no_snapshot_can_be_written(app, client, tmp_path,
                                                                    monkeypatch):
    from portal.partners import snapshot

    _register_data(app)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the snapshots would go")
    monkeypatch.setattr(snapshot, "_root", lambda: blocked)
    response = client.get("/register/export.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed and response.headers["ETag"]
    rows = _csv_rows(response.get_data())
    response.close()
    assert {r["kvk_nummer"] for r in rows} == {"12345678", "23456789", "34567890", "56789012"}


def test_a_client_that_accepts_gzip_gets_the_compressed_snapshot(app, client):
    """Browsers and most HTTP clients send Accept-Encoding: gzip; they get the snapshot's
    gzipped twin (a fraction of the bytes), with its own validator; one that does not
    accept it gets the plain file. Both hold the same export."""
    import gzip

    _register_data(app)
    for url in ("/register/export.csv", "/register/export.json?gemeente=Breda"):
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert plain.status_code == packed.status_code == 200
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
        assert gzip.decompress(packed.get_data()) == plain.get_data() and plain.get_data()
        assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
        # Each validator answers 304 for its own representation only.
        again = client.get(url, headers={"Accept-Encoding": "gzip",
                                         "If-None-Match": packed.headers["ETag"]})
        assert again.status_code == 304
        other = client.get(url, headers={"If-None-Match": packed.headers["ETag"]})
        assert other.status_code == 200 and other.get_data() == plain.get_data()
        for response in (plain, packed, again, other):
            response.close()
    # "gzip;q=0" refuses it.
    refused = client.get("/register/export.csv", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    refused.close()
