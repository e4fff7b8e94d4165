"""Administration: audit (to be filled)."""
from flask import Blueprint

bp = Blueprint("admin_audit", __name__, url_prefix="/beheer")
