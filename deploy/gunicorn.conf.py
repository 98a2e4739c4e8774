"""gunicorn's settings for surveyapp in production.

    SECRET_KEY=... TOTP_KEYS=... DATABASE_URL=... gunicorn -c deploy/gunicorn.conf.py

(Named with -c: gunicorn reads ./gunicorn.conf.py by itself, and the benchmark and fault
scripts run gunicorn from the project folder with settings of their own.)

Workers from the CPU count (2 x cores + 1, sync workers: the app's requests are short and
report rendering runs in its own pool or RQ), recycled after a few thousand requests, logs as
JSON lines (surveyapp.logs): one per request on standard output, the rest on standard error.
Each setting that differs by machine comes from the environment.
"""

import multiprocessing
import os

wsgi_app = "surveyapp:create_app()"
raw_env = ["SURVEYAPP_CONFIG=production"]
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
#: A request that takes longer is a stuck worker (reports render elsewhere): restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
logger_class = "surveyapp.logs.JsonGunicornLogger"
#: Behind a reverse proxy on the same machine: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """With Prometheus metrics across workers (PROMETHEUS_MULTIPROC_DIR, surveyapp.metrics),
    a worker that exits leaves its live figures out of the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
