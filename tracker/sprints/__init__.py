"""Sprints: planning, scope changes, closing, reports (the board is tracker.board)."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("sprints", __name__)  # sprints, planning, reports
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
