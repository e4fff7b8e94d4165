"""Admitted partners over the term: agreement, compliance, capacity, suspension, end,
extension, and the public register."""


def register(app) -> None:
    from .capacity_views import bp as capacity_bp
    from .compliance_views import bp as compliance_bp
    from .file_views import bp as file_bp
    from .partner_views import bp as partner_bp
    from .reconfirmation_views import bp as reconfirmation_bp
    from .views import bp as public_bp

    for bp in (public_bp, partner_bp, capacity_bp, compliance_bp, file_bp,
               reconfirmation_bp):
        app.register_blueprint(bp)
