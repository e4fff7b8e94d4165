"""The monitoring pages' figures: one indicator and category across the partners of a
round, and one partner across rounds; their charts (server-rendered SVG, drawn by the
templates from the geometry made here) and their exports (CSV, Excel).

Each is read in a fixed number of statements, however many partners and rounds there
are (the pages are checked with a statement counter)."""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from ..accounts.models import Organisation
from ..extensions import db
from ..i18n import gettext as _
from ..procedure.models import Category
from ..spreadsheet import Spreadsheet
from .indicators import show_number
from .models import (
    Indicator,
    IndicatorReport,
    IndicatorValue,
    ReportingRound,
    RoundParticipant,
    Unit,
    round_participant_categories,
)

TREND_ROUNDS = 12  # the partner page shows the latest rounds


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def outlier_bounds(values: list[Decimal]) -> tuple[Decimal, Decimal] | None:
    """Tukey's fences: 1.5 times the interquartile range beyond the first and third
    quartile. None below four values (too few to call one an outlier)."""
    if len(values) < 4:
        return None
    q1, _median, q3 = statistics.quantiles([Decimal(v) for v in values], n=4, method="inclusive")
    spread = (q3 - q1) * Decimal("1.5")
    return q1 - spread, q3 + spread


@dataclass
class PartnerValue:
    organisation: Organisation
    value: Decimal | None  # None: not reported (yet)
    explanation: str | None = None
    report_number: int | None = None
    misses_target: bool = False
    outlier: bool = False


@dataclass
class IndicatorOverview:
    reporting_round: ReportingRound
    indicator: Indicator
    category: Category
    rows: list[PartnerValue]
    total: Decimal | None
    mean: Decimal | None
    reported: int
    mean_misses_target: bool
    bounds: tuple[Decimal, Decimal] | None

    @property
    def asked(self) -> int:
        return len(self.rows)


def indicator_overview(reporting_round: ReportingRound, indicator: Indicator,
                       category: Category) -> IndicatorOverview:
    """Every asked partner's current value of ``indicator`` for ``category`` in the round
    (two statements)."""
    asked = db.session.scalars(
        select(Organisation)
        .join(RoundParticipant, RoundParticipant.organisation_id == Organisation.id)
        .join(round_participant_categories,
              round_participant_categories.c.participant_id == RoundParticipant.id)
        .where(RoundParticipant.round_id == reporting_round.id,
               round_participant_categories.c.category_id == category.id)
        .order_by(Organisation.name, Organisation.id)).all()
    values = {organisation_id: (value, explanation, number) for
              organisation_id, value, explanation, number in db.session.execute(
                  select(IndicatorReport.organisation_id, IndicatorValue.value,
                         IndicatorValue.explanation, IndicatorReport.number)
                  .join(IndicatorValue, IndicatorValue.report_id == IndicatorReport.id)
                  .where(IndicatorReport.round_id == reporting_round.id,
                         IndicatorReport.category_id == category.id,
                         IndicatorReport.is_current,
                         IndicatorValue.indicator_id == indicator.id))}
    rows = []
    for organisation in asked:
        value, explanation, number = values.get(organisation.id, (None, None, None))
        rows.append(PartnerValue(organisation, value, explanation, number,
                                 indicator.misses_target(value)))
    reported = [r.value for r in rows if r.value is not None]
    bounds = outlier_bounds(reported)
    if bounds:
        for row in rows:
            row.outlier = row.value is not None and not bounds[0] <= row.value <= bounds[1]
    mean = _mean(reported)
    return IndicatorOverview(
        reporting_round, indicator, category, rows,
        total=sum(reported) if reported and indicator.unit is Unit.COUNT else None,
        mean=mean, reported=len(reported), mean_misses_target=indicator.misses_target(mean),
        bounds=bounds)


@dataclass
class TrendPoint:
    reporting_round: ReportingRound
    value: Decimal | None
    misses_target: bool = False
    explanation: str | None = None


@dataclass
class Trend:
    code: str
    name: str
    unit: Unit
    target: Decimal | None
    direction_label: str
    points: list[TrendPoint] = field(default_factory=list)


@dataclass
class CategoryTrends:
    category: Category
    trends: list[Trend]


def partner_trends(organisation: Organisation) -> tuple[list[ReportingRound],
                                                         list[CategoryTrends]]:
    """The partner's current figures in its latest TREND_ROUNDS rounds, per category and
    indicator, oldest round first (three statements). The name, target and unit shown are
    those of the latest round's version; each point is compared with its own version's
    target."""
    rounds = list(reversed(db.session.scalars(
        select(ReportingRound)
        .join(RoundParticipant, RoundParticipant.round_id == ReportingRound.id)
        .where(RoundParticipant.organisation_id == organisation.id)
        .order_by(ReportingRound.period_start.desc(), ReportingRound.id.desc())
        .limit(TREND_ROUNDS)).all()))
    if not rounds:
        return [], []
    figures = db.session.execute(
        select(IndicatorReport.round_id, IndicatorReport.category_id, IndicatorValue.value,
               IndicatorValue.explanation, Indicator)
        .join(IndicatorValue, IndicatorValue.report_id == IndicatorReport.id)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(IndicatorReport.organisation_id == organisation.id, IndicatorReport.is_current,
               IndicatorReport.round_id.in_([r.id for r in rounds]))
        .order_by(Indicator.position, Indicator.id)).all()
    categories = list(db.session.scalars(
        select(Category).where(Category.id.in_(
            select(round_participant_categories.c.category_id)
            .join(RoundParticipant,
                  RoundParticipant.id == round_participant_categories.c.participant_id)
            .where(RoundParticipant.organisation_id == organisation.id,
                   RoundParticipant.round_id.in_([r.id for r in rounds]))))
        .order_by(Category.position)))
    position = {r.id: i for i, r in enumerate(rounds)}
    per_category: dict[int, dict[str, Trend]] = {c.id: {} for c in categories}
    latest: dict[tuple[int, str], int] = {}
    for round_id, category_id, value, explanation, indicator in figures:
        trends = per_category.setdefault(category_id, {})
        trend = trends.get(indicator.code)
        if trend is None:
            trend = trends[indicator.code] = Trend(
                indicator.code, indicator.name, indicator.unit, indicator.target,
                indicator.direction.label, [TrendPoint(r, None) for r in rounds])
            latest[(category_id, indicator.code)] = -1
        if position[round_id] > latest[(category_id, indicator.code)]:
            # The latest round's version gives the wording and the target.
            latest[(category_id, indicator.code)] = position[round_id]
            trend.name, trend.unit, trend.target = indicator.name, indicator.unit, indicator.target
            trend.direction_label = indicator.direction.label
        trend.points[position[round_id]] = TrendPoint(
            rounds[position[round_id]], value, indicator.misses_target(value), explanation)
    return rounds, [CategoryTrends(c, list(per_category.get(c.id, {}).values()))
                    for c in categories]


# --- charts -------------------------------------------------------------------------------

@dataclass
class Chart:
    id: str
    width: int
    height: int
    bars: list[dict]
    labels: list[dict]
    values: list[dict]
    target_x: float | None
    left: int
    top: int
    bottom: int
    right: int


def bar_chart(chart_id: str, items: list[tuple[str, Decimal | None, bool]],
              target: Decimal | None, unit: Unit) -> Chart:
    """A horizontal bar per item (label, value, marked); a vertical line at the target.
    A missing value has no bar and reads "niet gerapporteerd"."""
    row, left, right_margin, top = 26, 230, 90, 10
    width = 720
    plot_width = width - left - right_margin
    present = [v for _label, v, _marked in items if v is not None]
    top_value = max([*present, target or 0, Decimal(0)])
    if unit is Unit.PERCENTAGE:
        top_value = max(top_value, Decimal(100))
    if unit is Unit.SCORE:
        top_value = Decimal(10)
    scale = (Decimal(plot_width) / top_value) if top_value > 0 else Decimal(0)
    bars, labels, values = [], [], []
    for index, (label, value, marked) in enumerate(items):
        y = top + index * row
        text = label if len(label) <= 32 else label[:31] + "…"
        labels.append({"x": left - 8, "y": y + 17, "text": text})
        if value is None:
            values.append({"x": left + 4, "y": y + 17, "text": _("niet gerapporteerd")})
            continue
        length = float(value * scale) if value > 0 else 0.0
        bars.append({"x": left, "y": y + 4, "width": round(max(length, 1.0), 1), "height": 18,
                     "series": 1 if marked else 0,
                     "label": f"{label}: {show_number(value)}"})
        values.append({"x": round(left + length + 6, 1), "y": y + 17,
                       "text": show_number(value) + (" !" if marked else "")})
    height = top + max(len(items), 1) * row + 10
    target_x = round(left + float(target * scale), 1) if target is not None else None
    return Chart(chart_id, width, height, bars, labels, values, target_x, left, top,
                 height - 10, width - right_margin)


# --- exports ------------------------------------------------------------------------------

def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return show_number(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text  # never a formula in a spreadsheet
    return text


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark (what Excel in Dutch opens)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: list[str], rows: list[list], notes: list[str]) -> bytes:
    book = Spreadsheet()
    book.table("Cijfers", headers,
               [[float(v) if isinstance(v, Decimal) else v for v in row] for row in rows])
    book.notes("Toelichting", [(title, True), *notes])
    return book.bytes()


def overview_table(overview: IndicatorOverview) -> tuple[list[str], list[list]]:
    indicator = overview.indicator
    headers = ["Partner", f"Waarde ({indicator.unit.label})", "Streefwaarde",
               "Haalt streefwaarde niet", "Uitschieter", "Versie rapportage", "Toelichting"]
    rows = [[r.organisation.name, r.value, indicator.target,
             "" if r.value is None else ("ja" if r.misses_target else "nee"),
             "" if r.value is None else ("ja" if r.outlier else "nee"),
             r.report_number, r.explanation or ("niet gerapporteerd" if r.value is None else "")]
            for r in overview.rows]
    if overview.total is not None:
        rows.append(["Totaal regio", overview.total, None, "", "", None, ""])
    rows.append(["Gemiddelde per partner", overview.mean, indicator.target,
                 "ja" if overview.mean_misses_target else "nee", "", None, ""])
    return headers, rows


def trend_table(rounds: list[ReportingRound], groups: list[CategoryTrends]):
    headers = ["Categorie", "Indicator", "Eenheid", "Streefwaarde",
               *(r.label for r in rounds)]
    rows = []
    for group in groups:
        for trend in group.trends:
            rows.append([group.category.name, trend.name, trend.unit.label, trend.target,
                         *(p.value for p in trend.points)])
    return headers, rows
