"""Academies, their stages, members and roles."""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = Blueprint("academies", __name__, url_prefix="/academies")  # the list and creation
academy_bp = academy_blueprint("academy", __name__)  # an academy's home, settings, members
stages_bp = academy_blueprint("stages", __name__)  # the board's columns
blueprints = (bp, academy_bp, stages_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "stages_views")
