"""Releases: go/no-go, release notes and their feed, the roadmap, the stakeholder's home."""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("releases", __name__)
# The personal feed links: /feeds/<token>.atom, no session (the token is the credential).
feed_bp = Blueprint("feeds", __name__)
blueprints = (bp, feed_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
