"""Entry point: `flask --app app run`, `gunicorn app:app`."""

from tracker import create_app

app = create_app()
