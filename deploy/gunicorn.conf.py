"""gunicorn settings for Brique (docs/operations.md): `gunicorn -c deploy/gunicorn.conf.py app:app`.

Metrics in multiprocess mode: PROMETHEUS_MULTIPROC_DIR must name an empty folder at start (the
systemd unit empties it); a worker that exits is marked dead so that its gauges stop counting.
"""

import os

bind = os.environ.get("BRIQUE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("BRIQUE_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("BRIQUE_THREADS", "4"))
timeout = 60
graceful_timeout = 20
# The app writes one structured line per request (tracker.requests); gunicorn's access log
# would repeat it.
accesslog = None
errorlog = "-"


def child_exit(_server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
