"""Concurrency: requests per second and latency of six pages under gunicorn (2 workers),
with 1 and with 8 concurrent clients, over real HTTP on loopback.

    .venv/bin/python bench/concurrency.py                      # 3,000 applications, 5 s per cell
    .venv/bin/python bench/concurrency.py --size 1000 --seconds 1   # a quick smoke run

The database is a fresh SQLite file with the demo data, bench/scenario.py's file of the
demo organisation and ``--size`` generated applications (bench/datagen.py), as the page
benchmark builds it. gunicorn runs `app:app` with PORTAL_ENV=production, ``--workers``
sync workers and the rate limiter off (every client is 127.0.0.1). The demo provider and
the first demo assessor (with the demo second factor) log in once; every client works in
a copy of that session (a TOTP code counts once). Each client is a thread with its own
HTTP connection that asks for the same page again and again for ``--seconds``.

The pages: the floor (/inloggen: the full layout, no SQL), the provider's dashboard, a
wizard step of a concept application, the assessors' queue, one application's assessment
page, and a search of the public register. Written: bench/results/concurrency.csv and
bench/results/concurrency.png (a chart; needs matplotlib, the `bench` extra), and a table.
"""
from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
PROVIDER = "aanbieder@demo.nl"
ASSESSOR = "beoordelaar1@demo.nl"


def pages(ids: dict) -> list[tuple[str, str | None, str]]:
    """(name, who, url) of the measured pages."""
    return [
        ("floor /inloggen", None, "/inloggen"),
        ("provider dashboard", PROVIDER, "/aanbieder"),
        ("wizard step", PROVIDER, f"/aanmeldingen/{ids['concept']}/stap/1"),
        ("assessors' queue", ASSESSOR, "/beoordeling/"),
        ("one application", ASSESSOR, f"/beoordeling/{ids['application']}"),
        ("register search", None, "/register?zoek=Breda"),
    ]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def measure(base: str, cookies, url: str, clients: int, seconds: float) -> dict:
    """``clients`` threads asking for ``url`` for ``seconds``; returns the figures."""
    import requests

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        http = requests.Session()
        if cookies is not None:
            http.cookies.update(cookies)
        http.get(base + url, allow_redirects=False).close()  # connection and caches warm
        start.wait()
        end = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            response = http.get(base + url, allow_redirects=False)
            response.content  # noqa: B018 - the whole body, as a browser reads it
            latencies[n].append(time.perf_counter() - t0)
            if response.status_code != 200:
                errors[n] += 1
            if time.perf_counter() >= end:
                break
        http.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [value * 1000 for values in latencies for value in values]
    return dict(requests=len(every), rps=len(every) / elapsed, p50=statistics.median(every),
                p95=_percentile(every, 0.95), errors=sum(errors))


def chart(rows: list[dict], path: Path, title: str) -> bool:
    """Grouped bars: requests per second, and p50/p95, per page for each client count."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(dict.fromkeys(row["page"] for row in rows))
    levels = sorted({row["clients"] for row in rows})
    cell = {(row["page"], row["clients"]): row for row in rows}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), constrained_layout=True)
    width = 0.8 / len(levels)
    xs = range(len(names))
    for i, level in enumerate(levels):
        offset = [x - 0.4 + width * (i + 0.5) for x in xs]
        top.bar(offset, [cell[(n, level)]["rps"] for n in names], width,
                label=f"{level} client{'s' if level > 1 else ''}")
        bottom.bar(offset, [cell[(n, level)]["p95"] for n in names], width, alpha=0.35,
                   color=f"C{i}", label=f"p95, {level} client{'s' if level > 1 else ''}")
        bottom.bar(offset, [cell[(n, level)]["p50"] for n in names], width, color=f"C{i}",
                   label=f"p50, {level} client{'s' if level > 1 else ''}")
    for axis, label in ((top, "requests per second"), (bottom, "latency (ms)")):
        axis.set_xticks(list(xs), names, rotation=15)
        axis.set_ylabel(label)
        axis.legend()
        axis.grid(axis="y", alpha=0.3)
    top.set_title(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def run(size: int, seconds: float, workers: int, levels: list[int]) -> list[dict]:
    from bench import serve
    from bench.load import Stats, User

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp_name:
        tmp = Path(tmp_name)
        url, ids = serve.build(tmp, size)
        server = serve.start(url, tmp, workers=workers)
        try:
            sessions = {None: None}
            for who in (PROVIDER, ASSESSOR):
                user = User(server.url, Stats(), float("inf"), 0, random.Random(0))
                user.login(who)
                sessions[who] = user.http.cookies
            for name, who, path in pages(ids):
                for clients in levels:
                    figures = measure(server.url, sessions[who], path, clients, seconds)
                    rows.append(dict(page=name, url=path, clients=clients, **figures))
                    print(f"  {name:20} {clients} client(s): {figures['rps']:6.1f} req/s", flush=True)
        finally:
            serve.stop(server)
    return rows


def write(rows: list[dict], size: int, workers: int) -> tuple[Path, Path | None]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    csv_path = RESULTS / "concurrency.csv"
    with csv_path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["page", "url", "clients", "requests", "requests_per_second",
                         "p50_ms", "p95_ms", "non_200"])
        for row in rows:
            writer.writerow([row["page"], row["url"], row["clients"], row["requests"],
                             f"{row['rps']:.1f}", f"{row['p50']:.1f}", f"{row['p95']:.1f}",
                             row["errors"]])
    png_path = RESULTS / "concurrency.png"
    title = (f"gunicorn, {workers} workers, SQLite, {size:,} applications "
             "(loopback; clients on the same machine)")
    return csv_path, png_path if chart(rows, png_path, title) else None


def report(rows: list[dict], size: int, workers: int) -> None:
    levels = sorted({row["clients"] for row in rows})
    names = list(dict.fromkeys(row["page"] for row in rows))
    cell = {(row["page"], row["clients"]): row for row in rows}
    print()
    print(f"concurrency: gunicorn -w {workers}, SQLite, {size:,} applications; "
          "cells: requests/s, p50 ms, p95 ms")
    head = f"{'page':20}" + "".join(f" | {f'{level} client(s)':>24}" for level in levels)
    print(head)
    print("-" * len(head))
    for name in names:
        line = f"{name:20}"
        for level in levels:
            row = cell[(name, level)]
            line += f" | {row['rps']:6.1f} {row['p50']:7.1f} {row['p95']:7.1f}"
            if row["errors"]:
                line += f" ({row['errors']} not 200)"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=3000, help="generated applications (default 3,000)")
    parser.add_argument("--seconds", type=float, default=5, help="per page and client count (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    rows = run(args.size, args.seconds, args.workers, args.clients)
    report(rows, args.size, args.workers)
    csv_path, png_path = write(rows, args.size, args.workers)
    print(f"written: {csv_path.relative_to(ROOT)}"
          + (f", {png_path.relative_to(ROOT)}" if png_path else
             " (no chart: matplotlib is missing; install the `bench` extra)"))
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
