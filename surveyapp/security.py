"""Response headers every page carries (CSP, HSTS, no-sniff, referrer, caching)."""

from flask import Flask, Response, g, request, session

from surveyapp.auth.sessions import LOGIN_AT

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
    """Whether the request is a signed-in user's (or was, in this browser session), without
    loading the user (the response may be the error page of a database that cannot be
    reached): an API token, or a session started by a sign-in and not ended."""
    return bool(g.get("authenticated_by_token") or session.get(LOGIN_AT))
