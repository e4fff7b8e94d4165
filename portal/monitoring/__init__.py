"""Monitoring the admitted partners over the term: the information set (indicators per
category, versioned), reporting rounds with the partners' reports, and the monitoring pages
(per indicator and category, per partner across rounds)."""


def register(app) -> None:
    from .views import bp

    app.register_blueprint(bp)
