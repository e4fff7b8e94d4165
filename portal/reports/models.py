"""The management report's counts, kept by database triggers (migration 0023)."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The figures (``counts.py`` describes their keys). Named here, with the table, so that the
# parts below the report can read a kept count (the queue's tabs, the register's categories).
STATUS = "status"
VERSION = "version"
LEAD = "lead"
CATEGORY_STATUS = "category_status"
DECISIONS = "decisions"
LIVE_CATEGORY = "live_category"
LIVE_ORG = "live_org"
LIVE_ORGS = "live_orgs"


class ReportCount(db.Model):
    """One count of one figure: ``n`` rows have the keys (``''`` where a figure has fewer
    keys). Only the triggers of migration 0023 and ``counts.recount`` write here; the
    figures are listed in ``portal/reports/counts.py``."""

    __tablename__ = "report_counts"

    figure: Mapped[str] = mapped_column(String(30), primary_key=True)
    key1: Mapped[str] = mapped_column(String(40), primary_key=True)
    key2: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int]
