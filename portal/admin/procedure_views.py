"""Administration: procedure (to be filled)."""
from flask import Blueprint

bp = Blueprint("admin_procedure", __name__, url_prefix="/beheer")
