"""The oversight part's pages."""
from flask import Blueprint

bp = Blueprint("oversight", __name__)
