"""After the release: where a brick lives for learners (LMS course, xAPI activities), the
academy's learning data (an LRS read through the xAPI Statements API, LMS exports), the
pseudonymous learner facts they give, and the outcomes read from them."""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("learning", __name__)
# The evaluations' public links: /e/<token>, no session needed (the token is the credential).
evaluate_bp = Blueprint("evaluate", __name__)
blueprints = (bp, evaluate_bp)

# The modules whose routes attach to this blueprint (imported by create_app).
view_modules = ("views",)
