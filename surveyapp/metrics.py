"""Prometheus metrics at /metrics, when METRICS_ENABLED is set (prometheus-flask-exporter).

Requests are counted and timed by endpoint (never by path: ids in paths would make a series per
assessment), with the exporter's process metrics. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR
to an empty folder the workers share: each worker writes its figures there and /metrics adds
them up (deploy/gunicorn.conf.py forgets a worker's figures when it exits). METRICS_TOKEN,
when set, is asked for as a bearer token; otherwise keep /metrics off the public proxy.
"""

from __future__ import annotations

import hmac
import os
from functools import wraps

from flask import Flask, abort, current_app, request


def _token_required(view):
    @wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config["METRICS_TOKEN"]
        given = request.headers.get("Authorization", "")
        if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            abort(401)
        return view(*args, **kwargs)

    return checked


def init_metrics(app: Flask) -> None:
    if not app.config["METRICS_ENABLED"]:
        return
    options = {
        "path": "/metrics",
        "group_by": "endpoint",
        "defaults_prefix": "surveyapp",
        "excluded_paths": ["/static/"],
        "metrics_decorator": _token_required,
    }
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        metrics = GunicornInternalPrometheusMetrics(app, **options)
    else:
        from prometheus_client import CollectorRegistry, ProcessCollector
        from prometheus_flask_exporter import PrometheusMetrics

        # A registry of the app's own (one app per process in production; the tests make
        # many), with the process's memory and CPU.
        registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        metrics = PrometheusMetrics(app, registry=registry, **options)
    metrics.info("surveyapp_info", "The running surveyapp", version=_version())
    app.extensions["surveyapp_metrics"] = metrics


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("surveyapp")
    except PackageNotFoundError:
        return "unknown"
