"""Accountability and supervision over the term: verantwoordingsdialogen with their
minutes and action points, and toezicht (investigations at a partner, findings, measures
linked to the suspension and ending of an admission)."""


def daily(today) -> str:
    """The oversight step of ``flask partners daily``: overdue action points mailed to
    their owner side (once a day)."""
    from .workflow import remind_overdue

    return f"overdue action point mails: {remind_overdue(today)}"


def register(app) -> None:
    from .views import bp, register_globals

    app.register_blueprint(bp)
    register_globals(app)
    app.extensions.setdefault("daily_parts", []).append(("oversight", daily))
