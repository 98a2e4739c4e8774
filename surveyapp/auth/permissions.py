"""Role checks for views."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from surveyapp.auth.models import Role


def role_required(*roles: Role) -> Callable:
    """Signed in with one of these roles, else 403 (anonymous users go to the sign-in page)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
