"""Site-wide pages: the front door, language choice, health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
