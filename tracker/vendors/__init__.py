"""Vendors (prestataires): the directory, bricks assigned to a vendor and its members, the
specification (cahier des charges) and its DOCX export, quotes and the budget, the scorecard."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("vendors", __name__)
blueprints = (bp,)

# The modules whose routes attach to this blueprint (imported by create_app).
view_modules = ("views", "spec_views", "budget_views")
