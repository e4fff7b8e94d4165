"""Administration: reports (to be filled)."""
from flask import Blueprint

bp = Blueprint("admin_reports", __name__, url_prefix="/beheer")
