"""Region administration (contractbeheer): the procedure, its catalogue, tariffs, staff,
mail texts, reports and the audit log. Every route here is for administrators only."""


def register(app) -> None:
    from .audit_views import bp as audit_bp
    from .catalogue_views import bp as catalogue_bp
    from .procedure_views import bp as procedure_bp
    from .reports_views import bp as reports_bp
    from .staff_views import bp as staff_bp
    from .views import bp as index_bp

    for bp in (index_bp, procedure_bp, catalogue_bp, staff_bp, reports_bp, audit_bp):
        app.register_blueprint(bp)
