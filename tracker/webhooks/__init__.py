"""Webhooks: managers subscribe HTTPS endpoints to the academy's events; the worker sends them."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("webhooks", __name__)  # /a/<slug>/settings/webhooks
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
