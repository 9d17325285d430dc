"""The kanban board: its columns (read model), the rules of moving a card, its stages' settings."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("board", __name__)  # the kanban board
stages_bp = academy_blueprint("stages", __name__)  # the board's columns (managers)
blueprints = (bp, stages_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "quick_views", "stages_views")
