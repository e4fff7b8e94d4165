"""The whole benchmark in one command: pages, concurrency, mail and upload.

    python3 dev.py bench                        # everything, full sizes (takes long)
    python3 dev.py bench --quick                # a small smoke run of everything (minutes)
    python3 dev.py bench --sizes 3000 30000     # the page benchmark at these sizes (and the rest)
    python3 dev.py bench --parts mail upload    # only these parts
    python3 dev.py bench pages ARGS             # one part alone, with its own arguments
                                                # (pages, concurrency, mail, upload, load)

The parts (each a script in bench/, run one after the other as their own processes):

- pages: every GET page and export at each size: statements, median and p95, and the
  median as a multiple of the floor page measured in the same run (bench/pages.py);
- concurrency: gunicorn with 2 workers, 1 and 8 concurrent clients, requests per second
  and p50/p95 of six pages; bench/results/concurrency.csv and .png (bench/concurrency.py);
- mail: 10,000 queued mails delivered by `flask outbox send` to aiosmtpd (bench/mail.py);
- upload: the resident memory a 20 MB PDF upload costs a worker (bench/upload.py).

Each part prints as it goes; at the end the main figures are printed again together.
The exit status is 1 when a part failed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("pages", "concurrency", "mail", "upload")

QUICK = {
    "pages": ["--sizes", "300", "3000", "--repeat", "5"],
    "concurrency": ["--size", "300", "--seconds", "1"],
    "mail": ["--mails", "1000"],
    "upload": [],
}


def _summary_lines(part: str, lines: list[str]) -> list[str]:
    """The lines of a part's output that hold its main figures."""
    if part == "pages":
        return [line for line in lines if " apps: floor " in line or " the floor: " in line
                or " apps: PASS flat" in line or " apps: FAIL flat" in line
                or line.startswith("database:")]
    if part == "concurrency":
        start = next((i for i, line in enumerate(lines) if line.startswith("concurrency:")), None)
        return lines[start:] if start is not None else []
    prefix = {"mail": ("mail:", "      "), "upload": ("upload:", "        ")}[part]
    return [line for line in lines if line.startswith(prefix)]


def run_part(part: str, args: list[str]) -> tuple[int, list[str], float]:
    """Run bench/<part>.py ARGS, echoing its output; returns (exit status, lines, seconds)."""
    cmd = [sys.executable, str(ROOT / "bench" / f"{part}.py"), *args]
    print(f"\n=== {part}: {' '.join(['bench/' + part + '.py', *args])}", flush=True)
    started = time.perf_counter()
    lines = []
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            line = line.rstrip("\n")
            # The migrations' and the request log's lines are noise here.
            if not line.startswith(("INFO  [alembic", "INFO  [portal.request]")) and \
                    " INFO portal.request " not in line:
                print(line, flush=True)
            lines.append(line)
    return process.returncode, lines, time.perf_counter() - started


def main(argv: list[str]) -> int:
    if argv and argv[0] in (*PARTS, "load"):
        return subprocess.call([sys.executable, str(ROOT / "bench" / f"{argv[0]}.py"), *argv[1:]],
                               cwd=ROOT)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--sizes", type=int, nargs="+", help="sizes of the page benchmark")
    parser.add_argument("--db", choices=["sqlite", "postgres"], help="database of the page benchmark")
    parser.add_argument("--repeat", type=int, help="requests per page of the page benchmark")
    args = parser.parse_args(argv)

    results = {}
    for part in args.parts:
        part_args = list(QUICK[part]) if args.quick else []
        if part == "pages":
            for flag, value in (("--sizes", args.sizes), ("--db", args.db), ("--repeat", args.repeat)):
                if value is not None:
                    if flag in part_args:  # an explicit value wins over --quick's
                        i = part_args.index(flag)
                        end = next((j for j in range(i + 1, len(part_args))
                                    if part_args[j].startswith("--")), len(part_args))
                        del part_args[i:end]
                    part_args += [flag, *map(str, value if isinstance(value, list) else [value])]
        results[part] = run_part(part, part_args)

    print("\n=== summary" + (" (--quick: small sizes)" if args.quick else ""))
    for part, (code, lines, seconds) in results.items():
        status = "ok" if code == 0 else f"FAILED (exit status {code})"
        print(f"--- {part}: {status}, {seconds:.0f} s")
        for line in _summary_lines(part, lines):
            print(line)
    return 0 if all(code == 0 for code, _, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
