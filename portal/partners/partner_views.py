"""Partners: partner (to be filled)."""
from flask import Blueprint

bp = Blueprint("partners_partner", __name__)
