"""The administration start page: links to every part of contractbeheer."""
from flask import Blueprint, render_template

from ..auth import admin_required

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.route("/")
@admin_required
def index():
    return render_template("admin/index.html")
