"""Monitoring the admitted partners over the term: the information set (indicators per
category, versioned), reporting rounds with the partners' reports, and the monitoring pages
(per indicator and category, per partner across rounds)."""


def daily(today) -> str:
    """The monitoring step of ``flask partners daily``: reminders before and after a
    round's deadline (each once)."""
    from .workflow import remind

    return f"reporting reminders: {remind(today)}"


def register(app) -> None:
    from .views import bp, register_globals

    app.register_blueprint(bp)
    register_globals(app)
    app.extensions.setdefault("daily_parts", []).append(("monitoring", daily))
