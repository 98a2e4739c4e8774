"""Flask extensions, created unbound and initialised in create_app."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from surveyapp.addresses import counted_address
from surveyapp.db import Base, Session

db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def limited_client() -> str:
    """Whom a request limit counts: the client's address, an IPv6 one by its /64 network."""
    return counted_address(get_remote_address())


#: Storage from RATELIMIT_STORAGE_URI: memory by default, Redis (redis://...) in production.
limiter = Limiter(key_func=limited_client)


def rate_limit(*args, **kwargs):
    """``limiter.limit`` for a view, which marks the view as limited.

    Use this, not ``limiter.limit``: requests to views without the mark skip the limiter (see
    _without_limits), whose check costs a tenth of a section page's time.
    """
    decorator = limiter.limit(*args, **kwargs)

    def mark(view):
        limited = decorator(view)
        limited.rate_limited = True
        return limited

    return mark


@limiter.request_filter
def _without_limits() -> bool:
    """Exempt requests to views without limits, unless limits apply to every view."""
    config = current_app.config
    if config.get("RATELIMIT_DEFAULT") or config.get("RATELIMIT_APPLICATION"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "rate_limited", False)
