"""Beta-test feedback rounds: panel, questionnaires, invitations, responses, results, gate.

Services: rounds.py, questionnaire.py, invitations.py, answers.py, items.py (with keys.py and
phases.py beneath them), panel.py, results.py, gate.py, triage.py, exports.py. Pages: round_views.py
(the manager's), tester_views.py (the tester's), results_views.py, panel_views.py.
"""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("feedback", __name__)  # /a/<slug>/...: the panel, rounds, results
# /r/<token>/...: a tester's personal link. The token is the credential for that one
# invitation: nobody is logged in, and nothing is put in the session but the CSRF token.
answer_bp = Blueprint("answer", __name__, url_prefix="/r/<token>")
blueprints = (bp, answer_bp)

# The modules whose routes attach to these blueprints (imported by create_app); pages holds what
# they share (template labels, filters).
view_modules = ("pages", "round_views", "tester_views", "results_views", "panel_views")
