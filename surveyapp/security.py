"""Response headers every page carries (CSP, HSTS, no-sniff, referrer, caching), and the CSRF
token the pages carry."""

from functools import lru_cache

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def register_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token  # in place of Flask-WTF's (same tokens)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages of a signed-in user hold assessment data: keep them out of shared caches.
        if request.endpoint != "static" and _signed_in():
            headers["Cache-Control"] = "no-store"
        return response


def _signed_in() -> bool:
    """Whether the request is a signed-in user's, without loading the user when the request
    did not (its response may be the error page of a database that cannot be reached)."""
    user = g.get("_login_user")
    if user is not None:
        return user.is_authenticated
    return "_user_id" in session


@lru_cache(maxsize=4096)
def _signed_token(secret_key: str | bytes, raw_token: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw_token)


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf``, each session's token signed once per process.

    Signing costs a few percent of a page. Tokens here have no time limit
    (WTF_CSRF_TIME_LIMIT is None), so a token signed earlier is as good as a new one; with a
    time limit, or before the session has a token, Flask-WTF signs as usual.
    """
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    raw = session.get(field)
    if config.get("WTF_CSRF_TIME_LIMIT") is not None or not isinstance(raw, str):
        return generate_csrf()
    token = _signed_token(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw)
    setattr(g, field, token)
    return token
