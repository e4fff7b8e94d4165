"""Page benchmark: SQL statements and latency of the main pages at growing data sizes.

    python3 dev.py bench                      # 3,000 and 150,000 applications
    python3 dev.py bench --sizes 3000 30000   # other sizes
    python3 dev.py bench --db postgres        # on a throwaway PostgreSQL server

Prints, per page and size, the number of SQL statements of one request and the
median and 95th-percentile latency over --repeat requests (Flask test client, so the
figures are the portal's own time without a network).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from bench.datagen import populate  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.conftest import ADMIN, ASSESSOR_1, PROVIDER, build_database, login, make_app  # noqa: E402


def _prepare(url: str, tmp: Path, size: int):
    build_database(url, tmp)
    app = make_app(url, tmp / "uploads", None, RATELIMIT_ENABLED=False)
    with app.app_context():
        from portal.applications import workflow
        from portal.models import Procedure, User
        from tests.helpers import categories, fill_completely

        t0 = time.perf_counter()
        populate(size)
        provider = db.session.scalar(select(User).where(User.email == PROVIDER))
        application = workflow.create_application(
            db.session.scalar(select(Procedure)), categories("pleegzorg", "leefgroepen"),
            by=provider)
        fill_completely(application, provider)
        workflow.submit(application, by=provider)
        db.session.commit()
        print(f"  populated {size:,} applications in {time.perf_counter() - t0:.1f}s", flush=True)
        return app, application.id


def _pages(app_id: int, size: int):
    deep = max(1, size // 25 // 20)
    return [
        (None, "/register"),
        (None, "/register?categorie=pleegzorg"),
        (None, "/register?zoek=Breda"),
        (PROVIDER, "/aanbieder"),
        (PROVIDER, f"/aanmeldingen/{app_id}"),
        (ASSESSOR_1, "/beoordeling/"),
        (ASSESSOR_1, "/beoordeling/?status=besloten"),
        (ASSESSOR_1, f"/beoordeling/?status=besloten&pagina={deep}"),
        (ASSESSOR_1, f"/beoordeling/{app_id}"),
        (ADMIN, "/beheer/mails/"),
    ]


def measure(app, app_id: int, size: int, repeat: int) -> dict:
    with app.app_context():
        engine = db.engine
    clients = {}
    results = {}
    count = [0]

    def on_execute(*_):
        count[0] += 1

    for who, url in _pages(app_id, size):
        if who not in clients:
            clients[who] = app.test_client()
            if who:
                login(clients[who], who)
        client = clients[who]
        client.get(url)
        count[0] = 0
        event.listen(engine, "before_cursor_execute", on_execute)
        response = client.get(url)
        event.remove(engine, "before_cursor_execute", on_execute)
        assert response.status_code == 200, (url, response.status_code)
        statements = count[0]
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        key = url.replace(str(app_id), "<id>").split("pagina=")[0] + ("pagina=deep" if "pagina=" in url else "")
        results[key] = (statements, statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 150000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    server = None
    if args.db == "postgres":
        from tests.infra.postgres import TempPostgres

        server = TempPostgres().start()
    all_results = {}
    try:
        for size in args.sizes:
            print(f"size {size:,}:", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                if server:
                    url = server.create_database(f"bench_{size}")
                else:
                    url = f"sqlite:///{tmp}/bench.sqlite"
                app, app_id = _prepare(url, tmp, size)
                all_results[size] = measure(app, app_id, size, args.repeat)
                with app.app_context():
                    db.engine.dispose()
    finally:
        if server:
            server.stop()

    pages = list(next(iter(all_results.values())))
    head = f"{'page':45}" + "".join(f" | {f'{s:,} apps':>24}" for s in args.sizes)
    print()
    print(f"database: {args.db}; cells: statements / median ms / p95 ms")
    print(head)
    print("-" * len(head))
    for page in pages:
        row = f"{page:45}"
        for size in args.sizes:
            n, med, p95 = all_results[size][page]
            row += f" | {n:>4} / {med:7.1f} / {p95:7.1f}"
        print(row)


if __name__ == "__main__":
    main()
