"""surveyapp: S3 criterion-7 self-assessments, expert review and peer benchmarks."""

import os
from pathlib import Path

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config
from surveyapp.auth.sealing import derived_key
from surveyapp.bounds import BoundedIntConverter
from surveyapp.db import configure_engines, engine_options
from surveyapp.extensions import babel, csrf, db, limiter, login_manager, migrate
from surveyapp.i18n import install_template_gettext, select_locale
from surveyapp.metrics import init_metrics
from surveyapp.text import CleanJSONProvider, CleanRequest

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_app(config: type[Config] | str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application.

    :param config: a config class, a name (development, testing, production) or None for the
        ``SURVEYAPP_CONFIG`` environment variable (default development).
    :param overrides: settings applied last (worker processes get their parent's database).
    """
    config_class = _config_class(config)
    config_class.check()
    app = Flask(__name__, instance_relative_config=True)
    # Form fields and JSON bodies hold only clean text (surveyapp.text).
    app.request_class = CleanRequest
    app.json = CleanJSONProvider(app)
    # Ids in addresses beyond what the database holds are 404, before any query.
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment())
    app.config.update(overrides or {})
    if not app.config["TOTP_KEYS"]:  # development and tests (production refuses to start)
        app.config["TOTP_KEYS"] = (derived_key(app.config["SECRET_KEY"]),)
        app.config["TOTP_KEYS_DERIVED"] = True
    app.extensions["surveyapp.config_class"] = config_class
    if app.config["PROXIES"]:
        # The client's address as the proxies report it (request limits, sign-in throttles,
        # security logs) and the scheme it asked for; not the host (nginx passes on whatever
        # X-Forwarded-Host a client sends; links in emails use PUBLIC_URL).
        proxies = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if app.config["LOG_FORMAT"] == "json":
        from surveyapp.logs import configure_json_logging

        configure_json_logging()
    _configure_database(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _config_class(config: type[Config] | str | None) -> type[Config]:
    if config is None:
        config = os.environ.get("SURVEYAPP_CONFIG", "development")
    if isinstance(config, str):
        try:
            return CONFIGS[config]
        except KeyError:
            raise SystemExit(
                f"surveyapp: unknown configuration {config!r}; use one of {', '.join(CONFIGS)}"
            ) from None
    return config


def _configure_database(app: Flask) -> None:
    """SQLite file under instance/ by default; pool options by engine."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'surveyapp.db'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        timeout_seconds = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": timeout_seconds}}
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    configure_engines(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    limiter.init_app(app)
    # Templates get current_user as Flask-Login's lazy proxy: a page that never shows the user
    # (the 503 page of a database that cannot be reached) never loads it.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "auth.login"
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    install_template_gettext(app.jinja_env)
    init_metrics(app)

    # Import models so that metadata is complete for Alembic and the tests.
    from surveyapp import models  # noqa: F401
    from surveyapp.api.operations import user_from_request
    from surveyapp.auth.operations import load_user
    from surveyapp.errors import unauthorized

    # Features that react to others' signals connect their receivers here.
    from surveyapp.mail import reactions as mail_reactions  # noqa: F401
    from surveyapp.reporting import reactions  # noqa: F401

    login_manager.user_loader(load_user)
    login_manager.request_loader(lambda _request: user_from_request())
    login_manager.unauthorized_handler(unauthorized)

    from surveyapp.assessments.models import state_label
    from surveyapp.i18n import label, language_name
    from surveyapp.main.navigation import site_footer, site_header
    from surveyapp.numbers import format_file_size, format_number
    from surveyapp.regions.models import RegionCategory

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["site_header"] = site_header
    app.jinja_env.globals["site_footer"] = site_footer
    app.jinja_env.globals["min_group_size"] = lambda: app.config["MIN_GROUP_SIZE"]
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["category_label"] = lambda value: label(RegionCategory(value))
    app.jinja_env.filters["state_label"] = state_label
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["file_size"] = format_file_size
    app.jinja_env.filters["language_name"] = language_name


def _register_blueprints(app: Flask) -> None:
    from surveyapp.actions.views import bp as actions_bp
    from surveyapp.admin.views import bp as admin_bp
    from surveyapp.analysis.views import bp as analysis_bp
    from surveyapp.api.pages import bp as api_tokens_bp
    from surveyapp.api.views import bp as api_bp
    from surveyapp.assessments.views import bp as assessments_bp
    from surveyapp.auth.views import bp as auth_bp
    from surveyapp.challenges.views import bp as challenges_bp
    from surveyapp.contacts.views import bp as contacts_bp
    from surveyapp.evidence.views import bp as evidence_bp
    from surveyapp.health.views import bp as health_bp
    from surveyapp.mail.views import bp as mail_bp
    from surveyapp.main.views import bp as main_bp
    from surveyapp.notifications.views import bp as notifications_bp
    from surveyapp.practices.views import bp as practices_bp
    from surveyapp.publication.views import bp as publication_bp
    from surveyapp.regions.views import bp as regions_bp
    from surveyapp.reporting.views import bp as reporting_bp
    from surveyapp.reviews.views import bp as reviews_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(practices_bp)
    app.register_blueprint(challenges_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(reporting_bp)
    app.register_blueprint(publication_bp)
    app.register_blueprint(regions_bp)
    app.register_blueprint(contacts_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(mail_bp)
    from surveyapp.auth.sessions import register_session_lifetime
    from surveyapp.db import register_autocommit_views
    from surveyapp.errors import register_error_handlers
    from surveyapp.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)
    register_autocommit_views(app)  # before the session check, which loads the user
    register_session_lifetime(app)


def _register_cli(app: Flask) -> None:
    """Each feature's command group (``flask <group> --help``), defined beside the feature."""
    from surveyapp.auth.cli import users_cli
    from surveyapp.backup.cli import backup_command, restore_command
    from surveyapp.demo.cli import demo_cli
    from surveyapp.mail.cli import mail_cli, notify_cli
    from surveyapp.privacy.cli import privacy_cli
    from surveyapp.questionnaires.cli import questionnaires_cli
    from surveyapp.regions.cli import indicators_cli, regions_cli
    from surveyapp.reporting.cli import export_command, reports_cli
    from surveyapp.rounds.cli import rounds_cli

    for command in (
        questionnaires_cli,
        regions_cli,
        indicators_cli,
        users_cli,
        rounds_cli,
        demo_cli,
        export_command,
        reports_cli,
        mail_cli,
        notify_cli,
        privacy_cli,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
