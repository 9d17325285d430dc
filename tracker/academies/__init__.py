"""Academies, their members and roles (the board's stages are tracker.board)."""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = Blueprint("academies", __name__, url_prefix="/academies")  # the list and creation
academy_bp = academy_blueprint("academy", __name__)  # an academy's home, settings, members
blueprints = (bp, academy_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
