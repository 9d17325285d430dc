"""Operations: readiness (/readyz), Prometheus metrics (/metrics), one structured log line per
request with its request id, and the 503 a database outage answers."""

from flask import Blueprint

bp = Blueprint("ops", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
