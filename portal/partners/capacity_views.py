"""Partners: capacity (to be filled)."""
from flask import Blueprint

bp = Blueprint("partners_capacity", __name__)
