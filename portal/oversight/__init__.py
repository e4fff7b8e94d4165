"""Accountability and supervision over the term: verantwoordingsdialogen with their
minutes and action points, and toezicht (investigations at a partner, findings, measures
linked to the suspension and ending of an admission)."""


def register(app) -> None:
    from .views import bp

    app.register_blueprint(bp)
