"""Files on a brick (storyboards, scripts, mock-ups): upload, download, thumbnails."""

from tracker.academies.routing import academy_blueprint

bp = academy_blueprint("attachments", __name__)
blueprints = (bp,)

# The modules whose routes attach to these blueprints (imported by create_app).
view_modules = ("views",)
