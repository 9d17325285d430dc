"""Outgoing e-mail: a queue in the database and a sender command."""

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/admin/outbox")  # the site admin's outbox
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
