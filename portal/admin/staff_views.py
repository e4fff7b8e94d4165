"""Administration: staff (to be filled)."""
from flask import Blueprint

bp = Blueprint("admin_staff", __name__, url_prefix="/beheer")
