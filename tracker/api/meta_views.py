"""The API's description: OpenAPI 3.1 generated from the routes' schemas, and its page."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template
from werkzeug.wrappers import Response

from tracker.api.routing import PROBLEM, api_blueprint, public_api, spec

blp = api_blueprint("meta", "The API's description.")


def described() -> dict[str, Any]:
    """The OpenAPI document, each operation answering problems (RFC 9457) for its errors."""
    document: dict[str, Any] = spec.spec.to_dict()
    default = {
        "description": "A problem (RFC 9457)",
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("default", default)
    return document


@blp.route("/openapi.json", methods=["GET"])
@public_api
@blp.doc(
    security=[],
    responses={
        "200": {
            "description": "OpenAPI 3.1",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi() -> Response:
    """This description (OpenAPI 3.1)."""
    response = jsonify(described())
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/docs", methods=["GET"])
@public_api
@blp.doc(
    security=[],
    responses={
        "200": {
            "description": "An HTML page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
def docs() -> Any:
    """The API's documentation page (Swagger UI, served from this site)."""
    return render_template("api/docs.html", debug=current_app.debug)
