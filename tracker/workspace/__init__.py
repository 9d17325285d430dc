"""A person's own workspace in an academy: "my work" (what waits for them)."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("workspace", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
