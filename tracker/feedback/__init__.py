"""Beta-test feedback rounds: panel, questionnaires, invitations, responses, results, gate."""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("feedback", __name__)  # /a/<slug>/...: the panel, rounds, results
# /r/<token>/...: a tester's personal link. The token is the credential for that one
# invitation: nobody is logged in, and nothing is put in the session but the CSRF token.
answer_bp = Blueprint("answer", __name__, url_prefix="/r/<token>")
blueprints = (bp, answer_bp)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views", "panel_views", "results_views")
