"""Administration: catalogue (to be filled)."""
from flask import Blueprint

bp = Blueprint("admin_catalogue", __name__, url_prefix="/beheer")
