"""Upload memory: the resident memory a 20 MB PDF upload costs a gunicorn worker.

    .venv/bin/python bench/upload.py               # a 20 MB PDF (target: at most 25 MB more)
    .venv/bin/python bench/upload.py --mb 5        # another size

The portal runs under gunicorn with one worker (PORTAL_ENV=production, UPLOAD_MAX_BYTES
raised above the file's size) on a fresh SQLite database with the demo data. The demo
provider logs in and uploads a small PDF to the document library (/organisatie/documenten:
the worker has then served an upload once), then the peak resident memory of the worker
is reset (``/proc/PID/clear_refs``; where that is not allowed, the memory is sampled every
few milliseconds instead) and the big PDF is uploaded through the same form. Printed: the
worker's peak resident memory during the upload above its resident memory before it, and
its resident memory after. The exit status is 1 when the upload was not stored.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MB = 25
MB = 1024 * 1024


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class _Sampler(threading.Thread):
    """The highest VmRSS seen while running (when VmHWM cannot be reset)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _status(self.pid)["VmRSS"])
            time.sleep(0.002)


def pdf(size: int) -> bytes:
    """A PDF of ``size`` bytes whose content cannot be compressed."""
    head, tail = b"%PDF-1.4\n%bench\n", b"\n%%EOF\n"
    return head + random.Random(size).randbytes(size - len(head) - len(tail)) + tail


def _upload(user, name: str, content: bytes):
    from bench.load import csrf

    page = user.get("/organisatie/documenten")
    return user.request("POST", "/organisatie/documenten", expect=(302,), data={
        "csrf_token": csrf(page.text), "doc_type": "KvK-uittreksel", "valid_until": ""},
        files={"file": (name, content, "application/pdf")})


def run(size_mb: float) -> dict:
    from bench import serve
    from bench.load import Stats, User

    size = int(size_mb * MB)
    content = pdf(size)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp_name:
        tmp = Path(tmp_name)
        url, _ids = serve.build(tmp)
        server = serve.start(url, tmp, workers=1, env={
            "UPLOAD_MAX_BYTES": str(size + MB), "MAX_CONTENT_LENGTH": str(size + 8 * MB)})
        try:
            [worker] = serve.workers(server)
            user = User(server.url, Stats(), float("inf"), 0, random.Random(0))
            user.login("aanbieder@demo.nl")
            _upload(user, "klein.pdf", pdf(200 * 1024))
            before = _status(worker)
            sampler = None
            if not _reset_peak(worker):
                sampler = _Sampler(worker)
                sampler.start()
            started = time.perf_counter()
            _upload(user, "groot.pdf", content)
            seconds = time.perf_counter() - started
            if sampler is not None:
                sampler.done.set()
                sampler.join()
                peak = sampler.peak
            else:
                peak = _status(worker)["VmHWM"]
            after = _status(worker)
            library = user.get("/organisatie/documenten").text
            stored = sum(f.stat().st_size for f in (tmp / "uploads").rglob("*") if f.is_file())
        finally:
            serve.stop(server)
    return dict(size=size, seconds=seconds, before=before["VmRSS"], peak=peak,
                after=after["VmRSS"], method="sampled" if sampler else "VmHWM",
                ok="groot.pdf" in library and stored >= size)


def report(figures: dict) -> None:
    rise = (figures["peak"] - figures["before"]) / MB
    print(f"upload: a {figures['size'] / MB:.0f} MB PDF through /organisatie/documenten "
          f"(gunicorn, 1 worker) in {figures['seconds']:.2f} s: the worker's resident memory "
          f"rose by {rise:.1f} MB at its peak ({figures['method']}; target: at most {TARGET_MB} MB)")
    print(f"        resident memory before {figures['before'] / MB:.1f} MB, peak "
          f"{figures['peak'] / MB:.1f} MB, after {figures['after'] / MB:.1f} MB; "
          f"stored: {'yes' if figures['ok'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=20, help="size of the PDF in MB (default 20)")
    args = parser.parse_args()
    if not Path(f"/proc/{os.getpid()}/status").exists():
        print("upload: skipped (needs Linux's /proc to read a worker's memory)")
        return 0
    figures = run(args.mb)
    report(figures)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
