"""Fixtures: every test gets an app from the real factory on a database with the current schema.

SQLite (a throwaway file) by default; PostgreSQL when TEST_DATABASE_URL is set.
"""

import os
import shutil
import threading
import uuid
from datetime import date

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, delete, make_url, text
from werkzeug.serving import make_server

from config import TestingConfig
from surveyapp import create_app
from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role, User
from surveyapp.db import dispose_engines
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState

#: The apps tests make in the production configuration need a key of their own for two-factor
#: secrets, as an operator sets one (TOTP_KEYS; a throwaway key here).
os.environ.setdefault("TOTP_KEYS", "A" * 43 + "=")
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
PASSWORD = "correct horse battery staple"


def _compile_translations(root):
    """Compile any .po catalogue whose .mo is missing or older (make test does it too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in root.glob("surveyapp/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


#: The pytest-xdist worker running this process ("gw0", "gw1", ...); None without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _runs_tests(config) -> bool:
    """False in the process that only hands tests out to pytest-xdist's workers."""
    return WORKER is not None or not getattr(config.option, "numprocesses", None)


def pytest_configure(config):
    _compile_translations(config.rootpath)
    if not _runs_tests(config):
        return  # each worker takes a database of its own (below)
    # Set once, before any app exists, so every create_app() in the run agrees.
    if not os.environ.get("TEST_DATABASE_URL"):
        path = os.path.join(config.rootpath, "instance", f"test-{os.getpid()}.db")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.environ["TEST_DATABASE_URL"] = f"sqlite:///{path}"
        config._surveyapp_sqlite_file = path
    elif WORKER is not None and make_url(os.environ["TEST_DATABASE_URL"]).get_backend_name() != (
        "sqlite"
    ):
        # A server database: each worker a fresh one beside it, named after the run and the
        # worker, so that two runs at once (two checkouts) never drop each other's database.
        url = make_url(os.environ["TEST_DATABASE_URL"])
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
        name = f"{url.database}_{run}_{WORKER}"
        _server_database(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _server_database(url, f'CREATE DATABASE "{name}"')
        worker_url = url.set(database=name).render_as_string(hide_password=False)
        os.environ["TEST_DATABASE_URL"] = worker_url
        config._surveyapp_server_database = (url, name)


def _server_database(url, statement: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def pytest_unconfigure(config):
    path = getattr(config, "_surveyapp_sqlite_file", None)
    if path:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    if server_database := getattr(config, "_surveyapp_server_database", None):
        url, name = server_database
        _server_database(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    """A Redis database of this test process (one per pytest-xdist worker), empty before and
    after the test. Skipped without a Redis server on 127.0.0.1:6379, except in CI."""
    redis = pytest.importorskip("redis")
    index = int(WORKER[2:]) if WORKER else 0
    url = f"redis://127.0.0.1:6379/{15 - index}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def _schema():
    app = create_app(TestingConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        dispose_engines()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g`` (Flask-Login
    caches the user there) and its own database session, not the test's."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(_schema):
    app = create_app(TestingConfig)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(delete(table))
        dispose_engines()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def fixture_path():
    return lambda name: os.path.join(FIXTURES, name)


def resubmitted_with(assessment, item_id: str, value) -> None:
    """The assessment sent back, one answer changed, and counted again in its former state:
    the only way an answer of a counted assessment changes (the data version relies on it)."""
    from sqlalchemy import select

    from surveyapp.assessments.models import Answer

    state = assessment.state
    assessment.state = AssessmentState.changes_requested
    db.session.commit()
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment.id, item_id=item_id)
    )
    answer.value = value
    assessment.state = state
    db.session.commit()


def _saved(instance):
    db.session.add(instance)
    db.session.commit()
    return instance


@pytest.fixture
def create_region(app):
    def _create(code="ES21", name="País Vasco", **kwargs):
        kwargs.setdefault("thematic_partnerships", [])
        region = Region(code=code, name=name, country=code[:2], level=len(code) - 2, **kwargs)
        return _saved(region)

    return _create


@pytest.fixture
def create_user(app):
    def _create(email="user@example.org", role=Role.officer, regions=(), name="A User", **kw):
        user = User(email=email, name=name, role=role, regions=list(regions), **kw)
        user.set_password(PASSWORD)
        return _saved(user)

    return _create


@pytest.fixture
def small_questionnaire(app, fixture_path):
    """The small test questionnaire (tests/fixtures/small-v1.yaml), stored."""
    return load_questionnaire(fixture_path("small-v1.yaml")).questionnaire


@pytest.fixture
def create_round(app, small_questionnaire):
    def _create(name="2026 spring", questionnaire=None, state=RoundState.open):
        round_ = Round(
            name=name,
            questionnaire=questionnaire or small_questionnaire,
            opens_on=date(2026, 3, 1),
            closes_on=date(2026, 5, 31),
            state=state,
        )
        return _saved(round_)

    return _create


@pytest.fixture
def create_assessment(app, create_region, create_round):
    def _create(region=None, round_=None, state=None):
        assessment = Assessment(region=region or create_region(), round=round_ or create_round())
        if state is not None:
            assessment.state = state
        return _saved(assessment)

    return _create


@pytest.fixture
def login(client):
    def _login(user, password=PASSWORD, client=client):
        return client.post("/login", data={"email": user.email, "password": password})

    return _login


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def live_server(app):
    app.config["WTF_CSRF_ENABLED"] = True  # the browser goes through CSRF like a user's
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a module's tests (starting one takes about half a second); each test
    opens its own context (the page fixture), so no cookie or storage passes between tests."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _browser_contexts_closed(request):
    """After each test, the contexts it opened in the module's Chromium are closed: a page left
    open would go on running its scripts in the tests that follow."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot when SCREENSHOT_DIR is set (to look at the pages)."""
    return _shoot


def _shoot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


#: code -> (name, maturity level, consents to be named); strategy score = level * 20.
SCORED_REGIONS = {
    "ES21": ("País Vasco", 1, True),
    "ES22": ("Navarra", 2, True),
    "ES23": ("La Rioja", 3, False),
    "ES24": ("Aragón", 4, False),
    "ES25": ("Cantabria", 5, False),
    "ES26": ("Asturias", 0, False),
}


@pytest.fixture
def scored_world(create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    writer = create_user(email="writer@example.org")
    regions, assessments = {}, {}
    for code, (name, level, consent) in SCORED_REGIONS.items():
        region = create_region(code, name, thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "maturity", level, writer)
        # Governance differs in the opposite direction, so regions complement each other.
        save_answer(assessment, "role", "lead" if level < 3 else "none", writer)
        save_answer(assessment, "budget_share", level * 20, writer)
        # Peer statistics count validated assessments only (method v2).
        assessment.state = AssessmentState.validated
        assessment.consent_named = consent
        regions[code], assessments[code] = region, assessment
    draft_region = create_region("FR10", "Ile-de-France", thematic_partnerships=["photonics"])
    draft = create_assessment(region=draft_region, round_=round_)
    save_answer(draft, "maturity", 5, writer)
    db.session.commit()
    return {"round": round_, "regions": regions, "assessments": assessments, "draft": draft}


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new database of the engine under test (not the one the other tests share)."""
    url = make_url(os.environ["TEST_DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"surveyapp_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
