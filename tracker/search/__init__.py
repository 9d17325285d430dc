"""Search across an academy: bricks, needs, releases, rounds and paths, accents and case aside."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("search", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
