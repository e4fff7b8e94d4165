"""Page benchmark: SQL statements and latency of every page at growing data sizes.

Every GET page of the portal (bench/scenario.py: the demo organisation's whole file,
built through the workflows, plus bulk partners, documents, capacity, questions and
audit events from bench/datagen.py) is measured at each size. The ids of the scenario
are the same at every size, so the rows line up.

    python3 dev.py bench                      # 3,000 and 150,000 applications
    python3 dev.py bench --sizes 3000 30000   # other sizes
    python3 dev.py bench --db postgres        # on a throwaway PostgreSQL server
    python3 dev.py bench --only /register     # only pages whose URL or endpoint has this

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

from sqlalchemy import event  # noqa: E402

from bench import scenario  # noqa: E402
from bench.datagen import populate  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.conftest import build_database, login, make_app  # noqa: E402


def _prepare(url: str, tmp: Path, size: int):
    build_database(url, tmp)
    # As in production: the management report keeps its figures (REPORT_CACHE_SECONDS).
    app = make_app(url, tmp / "uploads", None, RATELIMIT_ENABLED=False, REPORT_CACHE_SECONDS=300)
    t0 = time.perf_counter()
    ids = scenario.build(app)
    with app.app_context():
        populate(size, rich=True)
    print(f"  populated {size:,} applications in {time.perf_counter() - t0:.1f}s", flush=True)
    return app, ids


def _pages(app, ids: dict, only: str | None):
    rows = scenario.pages(app, ids)
    if only:
        rows = [row for row in rows if only in row[2] or only in row[1]]
    return rows


def measure(app, ids: dict, repeat: int, only: str | None) -> dict:
    with app.app_context():
        engine = db.engine
    clients = {}
    results = {}
    count = [0]

    def on_execute(*_):
        count[0] += 1

    for who, _endpoint, url in _pages(app, ids, only):
        if who not in clients:
            clients[who] = app.test_client()
            if who:
                login(clients[who], who)
        client = clients[who]
        client.get(url).get_data()
        count[0] = 0
        event.listen(engine, "before_cursor_execute", on_execute)
        response = client.get(url)
        response.get_data()
        event.remove(engine, "before_cursor_execute", on_execute)
        assert response.status_code == 200, (url, response.status_code)
        statements = count[0]
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url).get_data()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        key = f"{'anon' if who is None else who.split('@')[0]:12} {url}"
        results[key] = (statements, statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 150000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--only", help="measure only pages whose URL or endpoint contains this")
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
                url = server.create_database(f"bench_{size}") if server else f"sqlite:///{tmp}/bench.sqlite"
                app, ids = _prepare(url, tmp, size)
                all_results[size] = measure(app, ids, args.repeat, args.only)
                with app.app_context():
                    db.engine.dispose()
    finally:
        if server:
            server.stop()

    pages = list(next(iter(all_results.values())))
    width = max(len(page) for page in pages) + 1
    head = f"{'page':{width}}" + "".join(f" | {f'{s:,} apps':>24}" for s in args.sizes)
    print()
    print(f"database: {args.db}; cells: statements / median ms / p95 ms")
    print(head)
    print("-" * len(head))
    for page in pages:
        row = f"{page:{width}}"
        for size in args.sizes:
            n, med, p95 = all_results[size][page]
            row += f" | {n:>4} / {med:7.1f} / {p95:7.1f}"
        print(row)


if __name__ == "__main__":
    main()
