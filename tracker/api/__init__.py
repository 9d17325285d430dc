"""The JSON API, /api/v1: the same services as the pages, bearer tokens, OpenAPI 3.1.

The API's own blueprints are flask-smorest blueprints (routing.py), registered through its
`Api` so that the OpenAPI description is generated from their schemas (create_app calls
routing.init_api). Here: the pages where people manage their tokens and service accounts.
"""

from flask import Blueprint

from tracker.academies.routing import academy_blueprint

tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")
service_accounts_bp = academy_blueprint("service_accounts", __name__)
blueprints = (tokens_bp, service_accounts_bp)

view_modules = ("token_views",)
