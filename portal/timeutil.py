"""Times are stored in UTC and shown in Europe/Amsterdam."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    """Naive UTC now, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_local() -> date:
    return datetime.now(AMSTERDAM).date()


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(AMSTERDAM)


def local_midnight_utc(day: date) -> datetime:
    """The stored (naive UTC) form of 00:00 in Amsterdam on ``day``: compare a timestamp
    column with it to ask whether the timestamp lies before that local date."""
    local = datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)
    return local.astimezone(UTC).replace(tzinfo=None)
