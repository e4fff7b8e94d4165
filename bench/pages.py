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
figures are the portal's own time without a network), and every median as a multiple of
the floor's: the login page (/inloggen), which renders the full layout without SQL. The
floor is measured first, as a page of its own, and again beside every other page (as many
requests, right after the page's), and the page's multiple is its median over the median
of those floor requests, so that the machine's changing speed during a run (other jobs on
the host, which moved whole runs by a third) shows in neither. All sizes are built
first; then every page is measured at all sizes interleaved, request by request, so that
such changes do not show as growth either. The management report is measured twice: as served
(its figures cached for REPORT_CACHE_SECONDS) and "(recomputed)", its cache emptied
before every request.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench import scenario  # noqa: E402
from bench.datagen import populate  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.conftest import build_database, login, make_app  # noqa: E402


def _app(url: str, tmp: Path):
    # As in production: the management report keeps its figures (REPORT_CACHE_SECONDS).
    return make_app(url, tmp / "uploads", None, RATELIMIT_ENABLED=False, REPORT_CACHE_SECONDS=300)


def _build(url: str, tmp: Path, size: int) -> dict:
    """Migrate, build the scenario and add the bulk data; returns the scenario's ids."""
    build_database(url, tmp)
    app = _app(url, tmp)
    t0 = time.perf_counter()
    ids = scenario.build(app)
    with app.app_context():
        with _bulk_load():
            populate(size, rich=True)
        db.engine.dispose()
    print(f"  populated {size:,} applications in {time.perf_counter() - t0:.1f}s", flush=True)
    return ids


# The tables whose rows the report's kept counts follow (triggers of migration 0023).
COUNTED_TABLES = ("applications", "application_categories", "category_decisions", "admissions")


@contextmanager
def _bulk_load():
    """On PostgreSQL the bulk data is loaded as a bulk import would be: the counting
    triggers switched off, the counts computed once afterwards (`flask report recount`) and
    the tables analysed. With the triggers on, every one of 150,000 inserts in one
    transaction updates the same few counter rows, and each update walks the versions of
    the row made earlier in that transaction (quadratic). Ordinary transactions touch a
    counter a few times."""
    from sqlalchemy import text

    from portal.reports import counts

    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        for table in COUNTED_TABLES:
            db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        db.session.commit()
    try:
        yield
    finally:
        if postgres:
            db.session.rollback()
            for table in COUNTED_TABLES:
                db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            counts.recount()
            db.session.commit()
            # What autovacuum does soon after a load of this size: the planner's statistics
            # (without them PostgreSQL plans as if the tables were small) and the visibility
            # map (index-only scans). Done here, before the measuring starts: left to
            # autovacuum it ran during the first pages' requests, on one of the two cores.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))


def _prepare(url: str, tmp: Path, size: int):
    """The database is built in a child process, so that the measuring process starts as
    a worker does: without the millions of objects that building it leaves to the garbage
    collector (they made even the floor page slower at larger sizes)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        ids = pool.apply(_build, (url, tmp, size))
    return _app(url, tmp), ids


FLOOR = (None, "accounts.login", "/inloggen")  # the full layout, no SQL
FLOOR_TARGET = 5  # issue 15: every page at most 5x the floor ...
RECOMPUTED_TARGET = 10  # ... the management report recomputed at most 10x
GROWTH_TARGET = 1.5  # ... and from the smallest to the largest size at most 1.5x in median
# The management report with its figures computed again on every request (the cache
# emptied before each one), as the first request after the cache runs out sees it.
RECOMPUTED = (scenario.ADMIN, "admin_reports.dashboard", "/beheer/rapportage")


def _recompute(app) -> None:
    from portal.reports import figures

    with app.app_context():
        figures.refresh()


def _forget_pages(app) -> None:
    from portal.pagecache import cache_of

    cache_of(app).clear()


def _pages(app, ids: dict, only: str | None):
    """(who, endpoint, url, before-each-request hook, label suffix) of every measured page;
    the floor always, first. Public pages kept rendered (portal.pagecache) are measured as
    served and "(rendered)", the cache emptied before every request, as the first visitor
    after a change of the register sees them."""
    rows = []
    for row in scenario.pages(app, ids):
        rows.append((*row, None, ""))
        # Kept rendered for anonymous visitors (portal.pagecache.public_page): the rendering
        # is held to the recomputed report's target, as the first request after a change
        # pays for it.
        if row[0] is None and getattr(app.view_functions.get(row[1]), "kept_public_page", False):
            rows.append((*row, _forget_pages, " (rendered)"))
    rows.append((*RECOMPUTED, _recompute, " (recomputed)"))
    if only:
        rows = [row for row in rows if only in row[2] or only in row[1]]
    return [(*FLOOR, None, "")] + [row for row in rows if row[:3] != FLOOR]


def floor_key() -> str:
    return _key(FLOOR[0], FLOOR[2], "")


def _key(who, url, suffix) -> str:
    return f"{'anon' if who is None else who.split('@')[0]:12} {url}{suffix}"


class _Clients:
    """A logged-in test client per size and user, and one request timed."""

    def __init__(self, apps: dict):
        self.apps, self._clients = apps, {}

    def __call__(self, size, who):
        if (size, who) not in self._clients:
            self._clients[size, who] = self.apps[size][0].test_client()
            if who:
                login(self._clients[size, who], who)
        return self._clients[size, who]

    def timed(self, size, who, url, before=None) -> float:
        """Milliseconds of one request (``before`` runs first, untimed)."""
        if before:
            before(self.apps[size][0])
        t0 = time.perf_counter()
        self(size, who).get(url, headers=HEADERS).get_data()
        return (time.perf_counter() - t0) * 1000


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def measure(apps: dict, repeat: int, only: str | None) -> dict:
    """{size: {page: (statements, median ms, p95 ms, the floor's median ms beside it) or
    None}} for ``apps`` {size: (app, ids)}. The sizes are measured interleaved, request by
    request (small, large, small, ...), so that a change in the machine's speed during the
    run (other jobs, frequency) weighs on every size alike instead of showing as growth.

    The floor is measured again right after each page (as many requests, in a block of their
    own): the page's multiple is taken against the floor of the same few seconds, so that
    the speed drifting during the run shows in neither. In a block, not request by request:
    a floor request right after each of the page's would pay for the page's garbage
    collection and flatter the page."""
    sizes = list(apps)
    engines = {}
    for size, (app, _ids) in apps.items():
        with app.app_context():
            engines[size] = db.engine
    count = [0]

    def on_execute(*_):
        count[0] += 1

    client = _Clients(apps)
    results = {size: {} for size in sizes}
    first_app, first_ids = apps[sizes[0]]
    for who, _endpoint, url, before, suffix in _pages(first_app, first_ids, only):
        key = _key(who, url, suffix)
        statements = {}
        try:
            for size in sizes:
                statements[size] = _statements(apps[size][0], engines[size], client(size, who),
                                               url, before, count, on_execute)
        except Exception as exc:  # noqa: BLE001 - a broken page is reported, the rest measured
            print(f"  ERROR {url}: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
            for size in sizes:
                results[size][key] = None
            continue
        times = {size: [] for size in sizes}
        beside = {size: [] for size in sizes}
        for _ in range(repeat):
            for size in sizes:
                times[size].append(client.timed(size, who, url, before))
        for _ in range(repeat):
            for size in sizes:
                beside[size].append(client.timed(size, FLOOR[0], FLOOR[2]))
        for size in sizes:
            results[size][key] = (statements[size], statistics.median(times[size]),
                                  _p95(times[size]), statistics.median(beside[size]))
    return results


# What a browser sends: the register's exports are then served gzipped (as a browser or
# `curl --compressed` gets them); the pages themselves are not compressed by the portal.
HEADERS = {"Accept-Encoding": "gzip, deflate, br"}


def _statements(app, engine, client, url, before, count, on_execute) -> int:
    """The number of SQL statements of one request (after a first, warming one)."""
    client.get(url, headers=HEADERS).get_data()
    if before:
        before(app)
    count[0] = 0
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(url, headers=HEADERS)
        response.get_data()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    if response.status_code != 200:
        raise RuntimeError(f"status {response.status_code}")
    return count[0]


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
    try:
        with ExitStack() as stack:
            apps = {}
            for size in args.sizes:
                print(f"size {size:,}:", flush=True)
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                url = server.create_database(f"bench_{size}") if server else f"sqlite:///{tmp}/bench.sqlite"
                apps[size] = _prepare(url, tmp, size)
            print(f"measuring {', '.join(f'{s:,}' for s in args.sizes)} interleaved ...", flush=True)
            all_results = measure(apps, args.repeat, args.only)
            for app, _ids in apps.values():
                with app.app_context():
                    db.engine.dispose()
    finally:
        if server:
            server.stop()

    print_table(all_results, args.sizes, args.db)
    broken = sorted({page for results in all_results.values()
                     for page, cell in results.items() if cell is None})
    if broken:
        print(f"{len(broken)} page(s) could not be measured: {', '.join(p.strip() for p in broken)}")
        sys.exit(1)


def print_table(all_results: dict, sizes: list[int], database: str) -> None:
    """Per page and size: statements, median and p95 ms, and the median as a multiple of
    the floor's median in the same run."""
    pages = list(next(iter(all_results.values())))
    width = max(len(page) for page in pages) + 1
    head = f"{'page':{width}}" + "".join(f" | {f'{s:,} apps':>32}" for s in sizes)
    print()
    print(f"database: {database}; cells: statements / median ms / p95 ms / median as a "
          f"multiple of the floor ({' '.join(floor_key().split())}: the full layout, no SQL)")
    print(head)
    print("-" * len(head))
    for page in pages:
        row = f"{page:{width}}"
        for size in sizes:
            cell, floor = all_results[size].get(page), all_results[size][floor_key()]
            if cell is None or floor is None:
                row += f" | {'ERROR' if cell is None else f'{cell[0]:>4} / {cell[1]:7.1f}':>32}"
                continue
            n, med, p95, beside = cell
            row += f" | {n:>4} / {med:7.1f} / {p95:7.1f} / {med / beside:5.1f}x"
        print(row)
    for size in sizes:
        results = {page: cell for page, cell in all_results[size].items() if cell is not None}
        if floor_key() not in results:
            continue
        floor = results[floor_key()][1]
        multiples = {page: cell[1] / cell[3] for page, cell in results.items()}
        multiple = multiples.__getitem__

        worst = max((page for page in results if page != floor_key()), key=multiple,
                    default=None)
        if worst:
            print(f"{size:,} apps: floor {floor:.1f} ms (beside the pages: "
                  f"{min(r[3] for r in results.values()):.1f} to "
                  f"{max(r[3] for r in results.values()):.1f} ms); slowest page "
                  f"{' '.join(worst.split())} {results[worst][1]:.1f} ms = "
                  f"{multiple(worst):.1f}x the floor; "
                  f"most statements {max(r[0] for r in results.values())}")
        above = sorted((page for page in results if multiple(page) > _floor_target(page)),
                       key=lambda page: -multiple(page))
        verdict = "FAIL" if above else "PASS"
        print(f"{size:,} apps: {verdict} close to the floor: {len(results) - len(above)} of "
              f"{len(results)} pages at most {FLOOR_TARGET}x the floor (the report recomputed "
              f"{RECOMPUTED_TARGET}x, kept pages rendered {RECOMPUTED_TARGET}x)" + ("; above: " + ", ".join(
                  f"{' '.join(page.split())} {multiple(page):.1f}x" for page in above)
                  if above else ""))
    if len(sizes) > 1:
        print_growth(all_results, sizes[0], sizes[-1])


def _floor_target(page: str) -> float:
    return RECOMPUTED_TARGET if page.endswith(("(recomputed)", "(rendered)")) else FLOOR_TARGET


def print_growth(all_results: dict, small: int, large: int) -> None:
    """Issue 15's flatness: from the smallest to the largest size every page keeps its
    number of statements and its median grows at most GROWTH_TARGET times."""
    pages = [page for page in all_results[small]
             if all_results[small][page] and all_results[large].get(page)]
    failed = []
    for page in pages:
        (n_small, med_small, *_), (n_large, med_large, *_) = (all_results[small][page],
                                                            all_results[large][page])
        growth = med_large / med_small
        if n_large != n_small or growth > GROWTH_TARGET:
            failed.append(f"{' '.join(page.split())} {n_small}->{n_large} statements, "
                          f"{med_small:.1f}->{med_large:.1f} ms ({growth:.2f}x)")
    verdict = "FAIL" if failed else "PASS"
    print(f"{small:,} -> {large:,} apps: {verdict} flat: {len(pages) - len(failed)} of "
          f"{len(pages)} pages keep their statements and grow at most {GROWTH_TARGET}x in "
          f"median" + ("; not: " + "; ".join(failed) if failed else ""))


if __name__ == "__main__":
    main()
