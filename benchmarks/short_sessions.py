"""The app with short sessions and CSRF tokens, for timeout_mid_edit.py (scenario F7).

SESSION_IDLE_TIMEOUT and WTF_CSRF_TIME_LIMIT (seconds) come from the environment here; the
application itself keeps them in config.py (2 hours idle; a token as long as its session).
Never used by the application itself.

gunicorn --pythonpath benchmarks 'short_sessions:create_app()'
"""

import os

from surveyapp import create_app as _create_app


def create_app():
    return _create_app(
        overrides={
            "SESSION_IDLE_TIMEOUT": int(os.environ["SESSION_IDLE_TIMEOUT"]),
            "WTF_CSRF_TIME_LIMIT": int(os.environ["WTF_CSRF_TIME_LIMIT"]),
        }
    )
