"""Security events as one structured log record each (R39): who, what, where, from which address.

Values that come from users are logged with repr(), so a line break in an email address cannot
forge a second record. Answers and passwords are never logged.
"""

import logging

from flask import request
from flask_login import current_user

logger = logging.getLogger("surveyapp.security")


def security_event(event: str, **details) -> None:
    user_id = current_user.get_id().partition(":")[0] if current_user.is_authenticated else None
    fields = {
        "event": event,
        "user_id": user_id,
        "ip": request.remote_addr,
        "path": request.path,
        **details,
    }
    logger.warning(" ".join(f"{key}={value!r}" for key, value in fields.items()), extra=fields)
