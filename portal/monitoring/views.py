"""The monitoring part's pages."""
from flask import Blueprint

bp = Blueprint("monitoring", __name__)
