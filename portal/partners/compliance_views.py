"""Partners: compliance (to be filled)."""
from flask import Blueprint

bp = Blueprint("partners_compliance", __name__)
