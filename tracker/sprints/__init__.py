"""Sprints and the kanban board."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("sprints", __name__)  # sprints, planning, reports
board_bp = academy_blueprint("board", __name__)  # the kanban board
blueprints = (bp, board_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "board_views")
