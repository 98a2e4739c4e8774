"""CLI commands on a freshly created, empty database."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState

ROOT = Path(__file__).resolve().parents[1]


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def create_user_via_cli(cli, email, name, *options, password="a long enough password"):
    """`flask users create` with the password on standard input."""
    args = ["users", "create", "--email", email, "--name", name, *options, "--password-stdin"]
    return cli.invoke(args=args, input=password + "\n")


def test_questionnaires_validate_reports_counts(cli):
    result = cli.invoke(
        args=[
            "questionnaires",
            "validate",
            str(ROOT / "questionnaires/criterion7-interregional-v1.yaml"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "valid (criterion7-interregional v1" in result.output


def test_questionnaires_validate_fails_with_every_error(cli, tmp_path):
    path = tmp_path / "bad-v1.yaml"
    path.write_text("format: 1\nslug: bad\nversion: 1\ntitle: Bad\n")
    result = cli.invoke(args=["questionnaires", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}" in result.output and "'dimensions' must be a non-empty list" in result.output


def test_questionnaires_load_shipped_files_twice(cli):
    first = cli.invoke(args=["questionnaires", "load"])
    second = cli.invoke(args=["questionnaires", "load"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    for version in (1, 2):
        assert f"criterion7-interregional:{version}: created" in first.output
        assert f"criterion7-interregional:{version}: unchanged" in second.output
    assert count(Questionnaire) == 2


def test_questionnaires_load_bad_file_writes_nothing(cli, fixture_path, tmp_path):
    bad = tmp_path / "bad-v1.yaml"
    bad.write_text("format: 1\n")
    result = cli.invoke(args=["questionnaires", "load", fixture_path("small-v1.yaml"), str(bad)])
    assert result.exit_code == 1
    assert "bad-v1.yaml" in result.output
    assert count(Questionnaire) == 0


def test_regions_import_shipped_file(cli):
    result = cli.invoke(args=["regions", "import", str(ROOT / "data/nuts2024-eu27.csv")])
    assert result.exit_code == 0, result.output
    assert "363 created" in result.output
    assert db.session.scalar(select(func.count()).where(Region.level == 2)) == 244
    greece = db.session.scalar(select(Region).filter_by(code="EL"))
    assert greece is not None and greece.country == "EL"
    again = cli.invoke(args=["regions", "import", str(ROOT / "data/nuts2024-eu27.csv")])
    assert "0 created, 0 updated, 363 unchanged" in again.output


def test_regions_import_malformed_rows_imports_nothing(cli, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text(
        "Country code,NUTS Code,NUTS label,NUTS level\n"
        "ES,ES,España,0\nES,ES2,Noreste,1\nES,ES21,,2\nES,es22,Navarra,x\n"
    )
    result = cli.invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 1
    assert "line 4" in result.output and "line 5" in result.output
    assert count(Region) == 0


def test_regions_import_updates_names(cli, create_region, tmp_path):
    create_region("ES21", "Old name")
    path = tmp_path / "regions.csv"
    path.write_text("NUTS Code,NUTS label,NUTS level\nES21,País Vasco,2\n")
    result = cli.invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert db.session.scalar(select(Region.name).filter_by(code="ES21")) == "País Vasco"


def test_users_create_officer_with_password_stdin(cli, create_region):
    create_region("ES21")
    result = create_user_via_cli(
        cli, "Olga@Example.org", "Olga", "--role", "officer", "--region", "es21"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="olga@example.org"))
    assert user.role == Role.officer and [r.code for r in user.regions] == ["ES21"]
    assert user.check_password("a long enough password")
    assert "a long enough password" not in user.password_hash


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "officer"], "a long enough password", "an officer needs a region"),
        (["--role", "expert"], "short", "at least 12 characters"),
        (
            ["--role", "expert", "--region", "XX99"],
            "a long enough password",
            "no region with the code 'XX99'",
        ),
        (["--role", "king"], "a long enough password", "'king' is not one of"),
    ],
)
def test_users_create_refuses_bad_input(cli, args, stdin, message):
    result = create_user_via_cli(cli, "e@example.org", "E", *args, password=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0


def test_users_create_refuses_duplicate_email(cli, create_user):
    create_user(email="e@example.org", role=Role.expert)
    db.session.commit()
    result = create_user_via_cli(cli, "E@example.org", "E", "--role", "expert")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_rounds_create_and_list(cli, fixture_path):
    cli.invoke(args=["questionnaires", "load", fixture_path("small-v1.yaml")])
    result = cli.invoke(
        args=[
            "rounds",
            "create",
            "--name",
            "2026 spring",
            "--questionnaire",
            "small:1",
            "--opens",
            "2026-03-01",
            "--closes",
            "2026-05-31",
            "--open",
        ]
    )
    assert result.exit_code == 0, result.output
    listing = cli.invoke(args=["rounds", "list"])
    assert "2026 spring" in listing.output and "small:1" in listing.output
    assert "open" in listing.output and "2026-05-31" in listing.output
    round_ = db.session.scalar(select(Round))
    assert round_.state == RoundState.open
    closed = cli.invoke(args=["rounds", "close", str(round_.id)])
    assert closed.exit_code == 0, closed.output
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == RoundState.closed
    again = cli.invoke(args=["rounds", "close", str(round_.id)])
    assert again.exit_code == 0 and "already closed" in again.output  # as the page: no error


def test_rounds_open_and_close_write_the_audit_events_of_the_rounds_page(
    cli, app, fixture_path, login, create_user
):
    """The CLI and the Rounds page share one operation per step, and so its audit event."""
    from surveyapp.audit.models import AuditEvent

    cli.invoke(args=["questionnaires", "load", fixture_path("small-v1.yaml")])
    for name in ("by page", "by cli"):
        created = cli.invoke(
            args=[
                *("rounds", "create", "--name", name, "--questionnaire", "small:1"),
                *("--opens", "2026-03-01", "--closes", "2026-05-31"),
            ]
        )
        assert created.exit_code == 0, created.output
    by_page, by_cli = (
        db.session.scalar(select(Round).filter_by(name=n)) for n in ("by page", "by cli")
    )
    client = app.test_client()
    login(create_user(email="admin@example.org", role=Role.admin), client=client)
    for step in ("open", "close"):
        assert client.post(f"/admin/rounds/{by_page.id}/{step}").status_code == 302
        assert cli.invoke(args=["rounds", step, str(by_cli.id)]).exit_code == 0

    def actions(round_id):
        query = select(AuditEvent.action).filter_by(object_type="round", object_id=round_id)
        return [
            a for a in db.session.scalars(query.order_by(AuditEvent.id)) if a != "round.created"
        ]

    assert actions(by_cli.id) == actions(by_page.id) == ["round.opened", "round.closed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--questionnaire", "small:1", "--opens", "2026-13-01", "--closes", "2026-05-31"],
            "not a date in the form YYYY-MM-DD",
        ),
        (
            ["--questionnaire", "small", "--opens", "2026-03-01", "--closes", "2026-05-31"],
            "use SLUG:VERSION",
        ),
        (
            ["--questionnaire", "small:9", "--opens", "2026-03-01", "--closes", "2026-05-31"],
            "no questionnaire small:9 is loaded",
        ),
        (
            ["--questionnaire", "small:²", "--opens", "2026-03-01", "--closes", "2026-05-31"],
            "use SLUG:VERSION",
        ),
        (
            [
                "--questionnaire",
                "small:99999999999999999999",
                "--opens",
                "2026-03-01",
                "--closes",
                "2026-05-31",
            ],
            "use SLUG:VERSION",
        ),
        (
            ["--questionnaire", "small:1", "--opens", "2026-06-01", "--closes", "2026-05-31"],
            "closes (2026-05-31) before it opens (2026-06-01)",
        ),
    ],
)
def test_rounds_create_refuses_bad_input(cli, fixture_path, args, message):
    cli.invoke(args=["questionnaires", "load", fixture_path("small-v1.yaml")])
    result = cli.invoke(args=["rounds", "create", "--name", "R", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert count(Round) == 0


def test_rounds_list_when_empty(cli):
    result = cli.invoke(args=["rounds", "list"])
    assert result.exit_code == 0 and "no rounds yet" in result.output


def test_long_names_are_refused_with_a_message(cli, fixture_path):
    cli.invoke(args=["questionnaires", "load", fixture_path("small-v1.yaml")])
    result = cli.invoke(
        args=[
            "rounds",
            "create",
            "--name",
            "R" * 101,
            "--questionnaire",
            "small:1",
            "--opens",
            "2026-03-01",
            "--closes",
            "2026-05-31",
        ]
    )
    assert result.exit_code == 1 and "at most 100 characters" in result.output
    result = create_user_via_cli(cli, "e@example.org", "N" * 201, "--role", "expert")
    assert result.exit_code == 1 and "at most 200 characters" in result.output
