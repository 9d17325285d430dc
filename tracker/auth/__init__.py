"""Accounts, sessions, permissions."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "sso_views")
