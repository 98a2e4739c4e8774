"""``/healthz`` (the process answers) and ``/readyz`` (it can serve): for load balancers and
orchestrators, never cached, no session, no sign-in."""

from flask import Blueprint, current_app, jsonify

from surveyapp.health.checks import database_problem, redis_problem

bp = Blueprint("health", __name__)

NO_STORE = {"Cache-Control": "no-store"}


def sessionless(view):
    """Mark a view that reads no session and no user (auth.sessions skips it)."""
    view.sessionless = True
    return view


@bp.get("/healthz")
@sessionless
def healthz():
    """Alive: the process answers; nothing else is checked (no database)."""
    return jsonify(status="ok"), 200, NO_STORE


@bp.get("/readyz")
@sessionless
def readyz():
    """Ready: the database is reachable and at the code's migration revision, and Redis is
    reachable when one is configured. 503 with what is wrong otherwise."""
    checks = {"database": database_problem(), "redis": redis_problem()}
    problems = {name: problem for name, problem in checks.items() if problem}
    body = {name: problem or "ok" for name, problem in checks.items()}
    if not current_app.config.get("REDIS_URL"):
        body["redis"] = "not configured"
    status = 503 if problems else 200
    return jsonify(status="ready" if not problems else "not ready", checks=body), status, NO_STORE
