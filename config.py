"""Configuration classes; every setting an operator may change comes from the environment."""

import os


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def sign_in_problem() -> str | None:
    """What is wrong with the sign-in settings in the environment, or None."""
    issuer = os.environ.get("OIDC_ISSUER")
    if not _env_flag("LOCAL_PASSWORDS", True) and not issuer:
        return "LOCAL_PASSWORDS=0 needs OIDC_ISSUER, or nobody could sign in"
    if issuer and not os.environ.get("OIDC_CLIENT_ID"):
        return "OIDC_ISSUER needs OIDC_CLIENT_ID (and OIDC_CLIENT_SECRET)"
    if (os.environ.get("OIDC_ACCOUNTS") or "link") not in ("link", "create"):
        return "OIDC_ACCOUNTS is link or create"
    return None


def totp_keys() -> tuple[str, ...]:
    """TOTP_KEYS from the environment: keys separated by spaces or commas."""
    return tuple(key for key in os.environ.get("TOTP_KEYS", "").replace(",", " ").split() if key)


def totp_keys_problem(keys: tuple[str, ...]) -> str | None:
    """What is wrong with the given TOTP_KEYS, or None."""
    from cryptography.fernet import Fernet

    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            return (
                f"TOTP_KEYS: key {number} is not a Fernet key (32 bytes in URL-safe base64, "
                "as `flask users new-totp-key` prints)"
            )
    return None


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - development only; production needs the env
    #: Environment variable holding the database URL (any SQLAlchemy URL); unset means
    #: the SQLite file instance/surveyapp.db.
    DATABASE_URL_VARIABLE = "DATABASE_URL"
    SQLALCHEMY_RECORD_QUERIES = False
    #: SQLite waits this long for a lock held by another connection before failing.
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    #: "json": the app's logs as JSON lines on standard error (surveyapp.logs); "text": as
    #: Python and Flask write them.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
    #: Interface languages offered: the 24 official languages of the EU, in the EU's protocol
    #: order (by each language's name in itself). Catalogues other than English are machine
    #: translations not yet reviewed by a person (each catalogue's header says so).
    LANGUAGES = [
        "bg", "es", "cs", "da", "de", "et", "el", "en", "fr", "ga", "hr", "it",
        "lv", "lt", "hu", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "fi", "sv",
    ]  # fmt: skip

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: A session ends after this long without a request (autosave counts: it is typing)...
    SESSION_IDLE_TIMEOUT = 2 * 3600
    #: ...and this long after signing in, whatever happens; officers work in sittings.
    SESSION_ABSOLUTE_LIFETIME = 12 * 3600
    #: Request limits, chosen on purpose: the largest real section (about 15 items, a few long
    #: texts of up to 10,000 characters and comments of 4,000) posts well under 1 MB.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    MAX_FORM_PARTS = 1000
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: long forms stay valid

    #: Sign-in throttling: every attempt from one address (Flask-Limiter), and wrong passwords
    #: per account and address (auth.throttle, in the database or Redis): after the free
    #: failures each one doubles the wait, from the first delay up to the longest, so that an
    #: attacker is slowed while the owner, from another address, is never kept out.
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute"
    LOGIN_FREE_FAILURES = 5
    LOGIN_DELAY_FIRST = 2  # seconds
    LOGIN_DELAY_MAX = 15 * 60
    LOGIN_FAILURES_FORGOTTEN_AFTER = 24 * 3600
    #: Published reports need no sign-in; each request hashes the report's data, so a limit.
    PUBLIC_REPORT_LIMIT = "60 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: How long an administrator's password-reset link stays valid.
    PASSWORD_RESET_MAX_AGE = 3 * 24 * 3600

    #: Email (surveyapp.mail): off unless MAIL_SERVER is set. Messages go through SMTP on
    #: MAIL_PORT, with STARTTLS (MAIL_USE_TLS) or TLS from the start (MAIL_USE_SSL), and a
    #: login when MAIL_USERNAME is set. Links in messages start with PUBLIC_URL.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_flag("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "surveyapp <noreply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    #: A message that fails this many times is given up (and stays in the outbox, with its error).
    MAIL_MAX_ATTEMPTS = 5
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")

    #: Evidence files (surveyapp.evidence): the largest file and the most one response may hold,
    #: in bytes; EVIDENCE_FOLDER set: the files are kept in that folder (by content hash) instead
    #: of the database.
    EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("EVIDENCE_MAX_FILE_MB", "20")) * 10**6
    EVIDENCE_MAX_RESPONSE_BYTES = int(os.environ.get("EVIDENCE_MAX_RESPONSE_MB", "200")) * 10**6
    EVIDENCE_FOLDER = os.environ.get("EVIDENCE_FOLDER") or None
    #: Round exports running at once on one machine (unset: half the cores, at least one); the
    #: others are told to try again in a few seconds (reporting.views.export_slot).
    EXPORTS_AT_ONCE = int(os.environ.get("EXPORTS_AT_ONCE") or 0) or None
    #: Reverse proxies in front of the app that add the client's address to X-Forwarded-For (0:
    #: none, the connection's address is the client's). docs/deploy.md sets 1 behind nginx.
    PROXIES = int(os.environ.get("PROXIES", "0"))
    #: An officer counts as at work in a section this long after their last save there
    #: (the section page names the others; assessments.seam.note_presence).
    PRESENCE_WINDOW_SECONDS = 300

    #: Prometheus metrics at /metrics (surveyapp.metrics), off by default; with METRICS_TOKEN
    #: the scraper sends it as a bearer token (production refuses to start without one).
    METRICS_ENABLED = _env_flag("METRICS_ENABLED")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    #: Retention (surveyapp.privacy, flask privacy purge; docs/privacy.md): notifications and
    #: sent or abandoned email are deleted after these many days.
    NOTIFICATION_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_RETENTION_DAYS", "365"))
    MAIL_RETENTION_DAYS = int(os.environ.get("MAIL_RETENTION_DAYS", "90"))
    #: Expired API tokens are deleted this many days after their expiry.
    API_TOKEN_RETENTION_DAYS = int(os.environ.get("API_TOKEN_RETENTION_DAYS", "90"))
    #: Roles that must sign in with a second factor (an authenticator app, auth.two_factor),
    #: e.g. "admin,expert"; the others may turn it on. Set up at the first sign-in.
    REQUIRE_2FA_FOR = frozenset(
        role.strip() for role in os.environ.get("REQUIRE_2FA_FOR", "").split(",") if role.strip()
    )
    #: Keys that seal two-factor secrets in the database (auth.sealing: Fernet keys, URL-safe
    #: base64, `flask users new-totp-key` makes one), separated by spaces or commas: the first
    #: seals, every one opens (replacing a key without locking anyone out takes four steps on
    #: every server: docs/deploy.md). The same on every server, kept apart from the database and
    #: SECRET_KEY; production needs it. Unset elsewhere: a key derived from SECRET_KEY.
    TOTP_KEYS: tuple[str, ...] = ()
    #: The name authenticator apps show beside the account.
    TWO_FACTOR_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "surveyapp")
    #: How long a signed-in password waits for its second factor (seconds).
    TWO_FACTOR_PENDING_SECONDS = 300

    #: Sign-in with OpenID Connect (auth.oidc, docs/deploy.md): on when OIDC_ISSUER is set (the
    #: provider's issuer; its discovery document is OIDC_ISSUER/.well-known/openid-configuration).
    #: Accounts are matched by the email the provider says it verified; roles and regions stay
    #: surveyapp's. The provider sends people back to PUBLIC_URL/login/oidc/callback.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER") or None
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID") or None
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET") or None
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES") or "openid email profile"
    #: The claims that hold the email address and the name (a new account's name).
    OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM") or "email"
    OIDC_NAME_CLAIM = os.environ.get("OIDC_NAME_CLAIM") or "name"
    #: The provider's name on the sign-in page's button ("Sign in with EU Login").
    OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL") or None
    #: "link": only existing accounts sign in; "create": an unknown verified email gets a new
    #: officer account without a region (an administrator gives it regions).
    OIDC_ACCOUNTS = os.environ.get("OIDC_ACCOUNTS") or "link"
    #: Seconds to wait for the provider's answer (discovery, keys, tokens, userinfo).
    OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
    #: Off (0): no sign-in with a password (the sign-in page shows the OpenID Connect button
    #: only; no forgotten-password or reset links).
    LOCAL_PASSWORDS = _env_flag("LOCAL_PASSWORDS", True)

    #: Werkzeug's scrypt with its default (strong) cost.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password

    #: No benchmark statistic is shown for fewer regions than this, and groups shown for the
    #: same round must differ by at least this many regions, so that no region's scores can be
    #: inferred.
    MIN_GROUP_SIZE = int(os.environ.get("MIN_GROUP_SIZE", "5"))
    #: Reports render in a pool of processes (or RQ work horses) with these bounds: seconds,
    #: address space in MB (virtual memory: well above the ~150-500 MB a render really uses),
    #: and renders before a process is replaced (a process keeps memory it once took); the
    #: pages of each app process render in REPORTS_RENDER_WORKERS processes.
    REPORTS_RENDER_TIMEOUT = float(os.environ.get("REPORTS_RENDER_TIMEOUT", "300"))
    REPORTS_RENDER_MEMORY_MB = int(os.environ.get("REPORTS_RENDER_MEMORY_MB", "2048"))
    REPORTS_RENDER_RECYCLE = int(os.environ.get("REPORTS_RENDER_RECYCLE", "20"))
    REPORTS_RENDER_WORKERS = int(os.environ.get("REPORTS_RENDER_WORKERS", "1"))

    @classmethod
    def from_environment(cls) -> dict:
        """Settings read when the app is created, so that tests and scripts can set them late."""
        settings = {"SQLALCHEMY_DATABASE_URI": os.environ.get(cls.DATABASE_URL_VARIABLE) or None}
        if os.environ.get("SECRET_KEY") and not getattr(cls, "TESTING", False):
            settings["SECRET_KEY"] = os.environ["SECRET_KEY"]
        keys = totp_keys()
        if keys:
            settings["TOTP_KEYS"] = keys
        if os.environ.get("REDIS_URL"):  # reports render in RQ jobs (flask reports worker)
            settings["REDIS_URL"] = os.environ["REDIS_URL"]
        # Request limits count in one place for every worker: Redis when there is one.
        storage = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
        if storage:
            settings["RATELIMIT_STORAGE_URI"] = storage
        return settings

    @classmethod
    def check(cls) -> None:
        """Refuse to start when a required setting is missing."""
        problem = sign_in_problem()
        if problem:
            raise SystemExit(f"surveyapp: {problem}; refusing to start.")
        problem = totp_keys_problem(totp_keys())
        if problem:
            raise SystemExit(f"surveyapp: {problem}; refusing to start.")
        unknown = sorted(cls.REQUIRE_2FA_FOR - {"officer", "expert", "admin"})
        if unknown:
            raise SystemExit(
                f"surveyapp: REQUIRE_2FA_FOR names no role {', '.join(unknown)} (roles: officer, "
                "expert, admin); refusing to start."
            )


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-key"  # noqa: S105 - tests only
    #: Tests never touch DATABASE_URL: TEST_DATABASE_URL (PostgreSQL in CI) or a throwaway file.
    DATABASE_URL_VARIABLE = "TEST_DATABASE_URL"
    WTF_CSRF_ENABLED = False
    #: High enough for the access-matrix tests; test_login_throttling sets its own.
    LOGIN_LIMIT_PER_ADDRESS = "10000 per minute"
    PUBLIC_REPORT_LIMIT = "10000 per minute"
    #: Still scrypt, at a cost that keeps hundreds of test logins fast.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - a method name
    #: Reports render at once instead of in a rendering process, so tests can read them.
    REPORTS_RENDER_INLINE = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env_flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    #: __Host-: the browser keeps the cookie only if it came over HTTPS with Secure, Path=/ and
    #: no Domain, so no other host (a sibling subdomain) can set or overwrite it. Browsers drop
    #: such a cookie without Secure: plain names when an operator turns Secure off.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    REMEMBER_COOKIE_NAME = "__Host-remember" if SESSION_COOKIE_SECURE else "remember_token"
    SESSION_COOKIE_PATH = REMEMBER_COOKIE_PATH = "/"
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    @classmethod
    def check(cls) -> None:
        super().check()
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if os.environ.get("MAIL_SERVER") and not os.environ.get("PUBLIC_URL"):
            missing.append("PUBLIC_URL (the address in emailed links, as MAIL_SERVER is set)")
        if not totp_keys():
            # Two-factor secrets sealed under a key of SECRET_KEY's would be lost with it.
            missing.append(
                "TOTP_KEYS (the key that seals two-factor secrets; make one with python3 -c "
                "'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
            )
        if _env_flag("METRICS_ENABLED") and not os.environ.get("METRICS_TOKEN"):
            # Behind a proxy on the same host every request comes from 127.0.0.1: the address
            # cannot tell Prometheus from anyone, so a token it is.
            missing.append("METRICS_TOKEN (as METRICS_ENABLED is set: /metrics asks for it)")
        if missing:
            raise SystemExit(
                "surveyapp: production configuration needs "
                + " and ".join(missing)
                + " in the environment; refusing to start."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
