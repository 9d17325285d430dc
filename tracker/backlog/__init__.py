"""The backlog: bricks, learning paths, objectives, definition of done, training needs."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("backlog", __name__)  # bricks, the backlog list, checklists, import
needs_bp = academy_blueprint("needs", __name__)  # training needs and coverage
paths_bp = academy_blueprint("paths", __name__)  # learning paths
blueprints = (bp, needs_bp, paths_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "list_views", "import_views", "needs_views", "paths_views")
