"""The mail and upload benchmarks (bench/mail.py, bench/upload.py) at small sizes: they
keep working, and what they check holds. No timing is asserted (these are benchmark
figures, not timed tests); the upload's memory is, as it does not depend on speed."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import mail, upload


def test_mail_bench_delivers_every_queued_mail_once_with_two_workers():
    figures = mail.run(40, workers=2)
    assert figures["ok"], figures["output"][-2000:]
    assert figures["received"] == figures["mails"] >= 40
    assert figures["sent"] == figures["total"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_20_mb_upload_is_streamed_to_storage_not_held_in_the_worker():
    figures = upload.run(20)
    assert figures["ok"]  # stored, and listed in the library
    assert figures["peak"] - figures["before"] < upload.TARGET_MB * upload.MB, figures
