"""Text integrity: unpaired surrogates and control characters never reach the database, so no
page, export or PDF fails on them; JSON bodies nested too deeply are a 400, not a 500."""

import io
import json
import urllib.parse
import zipfile

import openpyxl
import pytest
from flask_migrate import upgrade
from sqlalchemy import JSON, Enum, String, select, text

from config import TestingConfig
from surveyapp import create_app
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.db import Base, CleanJSON, CleanString, CleanText, dispose_engines
from surveyapp.extensions import db
from surveyapp.reviews.models import ItemComment
from surveyapp.rounds.models import Round
from surveyapp.text import MAX_JSON_DEPTH, clean_text, clean_value

SURROGATE = "broken \ud800 text"
#: Every C0 and C1 control character, and a lone low surrogate.
CONTROLS = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "x\udc80y"


def test_clean_text_replaces_surrogates_and_drops_controls():
    assert clean_text(SURROGATE) == "broken \ufffd text"
    assert clean_text(CONTROLS) == "\t\n\rx\ufffdy"
    assert clean_text("a\x00b") == "ab"
    # A pair of surrogates is one character in UTF-16: it is joined, not replaced.
    assert clean_text("\ud83d\ude00") == "\U0001f600"
    plain = "Größe: 12 €\n\tnext line"
    assert clean_text(plain) is plain
    assert clean_value({"k\x00": ["v\ud800", 1, None, {"n": "\x07"}]}) == {
        "k": ["v\ufffd", 1, None, {"n": ""}]
    }


def every_text_column():
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, Enum):
                continue  # a fixed set of values
            yield table.name, column.name, kind


def test_every_text_and_json_column_cleans_what_it_stores():
    unsafe = [
        f"{table}.{column}: {kind!r}"
        for table, column, kind in every_text_column()
        if isinstance(kind, String | JSON)
    ]
    assert unsafe == [], "use CleanString, CleanText or JSONType from surveyapp.db"
    cleaned = [kind for _t, _c, kind in every_text_column()]
    assert any(isinstance(kind, CleanString | CleanText | CleanJSON) for kind in cleaned)


@pytest.fixture
def poisoned(app, create_region, create_user, create_round, create_assessment, login):
    """An assessment whose officer typed a surrogate and control characters everywhere."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    round_ = create_round()
    assessment = create_assessment(region=region, round_=round_)
    client = app.test_client()
    login(officer, client=client)
    return {"officer": client, "expert": expert, "assessment": assessment, "round": round_}


def stored_answer(assessment_id, item_id):
    db.session.expire_all()
    return db.session.scalar(select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id))


def is_clean(text: str) -> bool:
    return clean_text(text) == text


def raw_form(fields: dict) -> bytes:
    """A urlencoded body as a browser could send it, lone surrogates encoded as UTF-8 would."""
    return urllib.parse.urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()


def test_an_unpaired_surrogate_poisons_nothing(app, poisoned, login):
    client, aid = poisoned["officer"], poisoned["assessment"].id
    saved = client.post(
        f"/assessments/{aid}/answers/practice",
        json={"value": SURROGATE, "comment": "note\ud800\x00", "version": 0},
    )
    assert saved.status_code == 200, saved.text
    # The reply shows what was stored, which is what the officer sees from now on.
    assert saved.json["value"] == "broken \ufffd text"
    assert saved.json["comment"] == "note\ufffd"
    answer = stored_answer(aid, "practice")
    assert (answer.value, answer.comment) == ("broken \ufffd text", "note\ufffd")

    form_post = client.post(
        f"/assessments/{aid}/sections/networks",
        data=raw_form(
            {
                "platform_note": "form \ud800\x00\x1b text",
                "platform_note__version": "0",
                "platform_note__comment": "why\x0c\ud800",
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert form_post.status_code == 302, form_post.text
    answer = stored_answer(aid, "platform_note")
    # Werkzeug decodes bytes that are not UTF-8 in its own way; controls are gone either way.
    assert is_clean(answer.value) and answer.value.startswith("form ")
    assert "\x00" not in answer.value and "\x1b" not in answer.value
    assert is_clean(answer.comment) and "\x0c" not in answer.comment
    for event in db.session.scalars(select(AuditEvent)):
        assert "\ud800" not in json.dumps(event.new_value, ensure_ascii=False, default=str)

    maturity = {"value": "3", "version": 0}
    assert client.post(f"/assessments/{aid}/answers/maturity", json=maturity).status_code == 200
    assert client.post(f"/assessments/{aid}/submit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, aid).state == AssessmentState.submitted
    expert = app.test_client()
    login(poisoned["expert"], client=expert)
    assert expert.post(f"/reviews/{aid}/start").status_code == 302
    commented = expert.post(
        f"/assessments/{aid}/items/practice/comments",
        data=raw_form({"body": "Which \ud800 budget?\x00"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert commented.status_code == 302, commented.text
    body = db.session.scalar(select(ItemComment.body))
    assert is_clean(body) and body.startswith("Which ") and body.endswith("budget?")

    round_id = poisoned["round"].id
    pages = [
        f"/assessments/{aid}/sections/networks",
        f"/reviews/{aid}/sections/networks",
        f"/reviews/{aid}",
        f"/assessments/{aid}/print",
        f"/assessments/{aid}/history",
        f"/assessments/{aid}/history?item=practice",
        f"/assessments/{aid}/response.pdf",
        f"/rounds/{round_id}/export.csv",
        f"/rounds/{round_id}/export.xlsx",
    ]
    for url in pages:
        response = expert.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
    csv = zipfile.ZipFile(io.BytesIO(expert.get(f"/rounds/{round_id}/export.csv").data))
    assert "broken \ufffd text" in csv.read("answers.csv").decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(expert.get(f"/rounds/{round_id}/export.xlsx").data))
    assert answer.value in [cell for row in book["wide"].values for cell in row]


def test_the_export_command_succeeds_on_text_typed_with_controls(app, poisoned, cli, tmp_path):
    client, assessment = poisoned["officer"], poisoned["assessment"]
    response = client.post(
        f"/assessments/{assessment.id}/answers/practice",
        json={"value": "a\x00b\x1bc\ud800", "version": 0},
    )
    assert response.status_code == 200
    assessment.state = AssessmentState.submitted
    db.session.commit()
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"round.{fmt}"
        result = cli.invoke(
            args=[
                "export",
                "--round",
                str(poisoned["round"].id),
                "--format",
                fmt,
                "--out",
                str(out),
            ]
        )
        assert result.exit_code == 0, result.output


def test_the_column_types_clean_what_any_path_stores(app, create_round):
    round_ = create_round(name="Spring \ud800 round\x00")
    db.session.add(
        AuditEvent(action="x", object_type="y", object_id=1, new_value={"k\x01": ["\udfff"]})
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Round, round_.id).name == "Spring \ufffd round"
    event = db.session.scalar(select(AuditEvent).filter_by(action="x"))
    assert event.new_value == {"k": ["\ufffd"]}


def test_a_round_named_by_the_cli_with_undecodable_bytes_is_stored_cleaned(
    app, cli, small_questionnaire
):
    # Arguments that are not UTF-8 reach Python as lone surrogates (surrogateescape).
    name = b"Spring \xff round".decode("utf-8", "surrogateescape")
    dates = ["--opens", "2026-01-01", "--closes", "2026-12-31"]
    result = cli.invoke(
        args=["rounds", "create", "--name", name, "--questionnaire", "small:1", *dates]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert list(db.session.scalars(select(Round.name))) == ["Spring \ufffd round"]


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [100_000, MAX_JSON_DEPTH + 1])
def test_a_deeply_nested_autosave_body_is_a_400_with_a_message(poisoned, levels):
    client, aid = poisoned["officer"], poisoned["assessment"].id
    body = '{"value": ' + deep(levels) + ', "version": 0}'
    response = client.post(
        f"/assessments/{aid}/answers/practice", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json["error"]
    assert stored_answer(aid, "practice") is None


def test_json_nested_within_the_limit_is_parsed(poisoned):
    client, aid = poisoned["officer"], poisoned["assessment"].id
    body = '{"value": ["ok"], "version": 0, "extra": ' + deep(MAX_JSON_DEPTH - 1) + "}"
    response = client.post(
        f"/assessments/{aid}/answers/practice", data=body, content_type="application/json"
    )
    assert response.status_code == 200, response.text


def test_a_body_that_is_not_json_says_so(poisoned):
    client, aid = poisoned["officer"], poisoned["assessment"].id
    response = client.post(
        f"/assessments/{aid}/answers/practice", data="{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]


class _MigrationConfig(TestingConfig):
    DATABASE_URL_VARIABLE = "SURVEYAPP_HEAL_TEST_URL"


def test_the_migration_heals_text_stored_before(empty_database, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_HEAL_TEST_URL", empty_database)
    app = create_app(_MigrationConfig)
    with app.app_context():
        try:
            upgrade(revision="39472a907779")
            postgresql = db.engine.dialect.name == "postgresql"
            # PostgreSQL refuses NUL and lone surrogates itself; other controls it keeps.
            name = "Olga\x1b\x07 Ruiz" if postgresql else "Olga\x00\x1b\x07 Ruiz"
            value = '{"v\\u0007": ["bell\\u0007", "esc\\u001b"]}'
            if not postgresql:
                value = '{"v\\u0007": ["bell\\u0007", "esc\\u001b", "broken \\ud800 text"]}'
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO users (email, name, password_hash, role, active,"
                        " session_token, created_at) VALUES ('o@example.org', :name, 'x',"
                        " 'officer', true, 't', '2026-01-01')"
                    ),
                    {"name": name},
                )
                connection.execute(
                    text(
                        "INSERT INTO audit_events (created_at, action, object_type, new_value)"
                        " VALUES ('2026-01-01', 'answer.changed', 'answer', CAST(:value AS JSONB))"
                        if postgresql
                        else "INSERT INTO audit_events (created_at, action, object_type, new_value)"
                        " VALUES ('2026-01-01', 'answer.changed', 'answer', :value)"
                    ),
                    {"value": value},
                )
            upgrade(revision="a19e0001text")
            with db.engine.connect() as connection:
                assert connection.scalar(text("SELECT name FROM users")) == "Olga Ruiz"
                stored = connection.scalar(text("SELECT new_value FROM audit_events"))
            stored = json.loads(stored) if isinstance(stored, str) else stored
            expected = ["bell", "esc"] if postgresql else ["bell", "esc", "broken \ufffd text"]
            assert stored == {"v": expected}
            with db.engine.connect() as connection:  # untouched beside it: NULL stays NULL
                assert (
                    connection.scalar(
                        text("SELECT count(*) FROM audit_events WHERE old_value IS NULL")
                    )
                    == 1
                )
        finally:
            dispose_engines()


@pytest.mark.browser
def test_the_field_shows_the_cleaned_text_that_was_saved(app, live_server, page, poisoned):
    """Text with a lone surrogate and a control character (pasted from a broken source):
    saved, and the field shows what was stored once the officer leaves it."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/")
    aid = poisoned["assessment"].id
    page.goto(f"{live_server}/assessments/{aid}/sections/networks")
    field = page.locator('textarea[name="practice"]')
    field.click()
    with page.expect_response(lambda r: r.url.endswith("/answers/practice") and r.ok):
        # Built in the page: Playwright's own channel cannot carry a lone surrogate.
        field.evaluate(
            "el => { el.value = 'broken ' + String.fromCharCode(0xD800, 7) + ' text';"
            " el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
    field.press("Tab")
    expect(field).to_have_value("broken \ufffd text")
    assert stored_answer(aid, "practice").value == "broken \ufffd text"
    page.reload()
    expect(page.locator('textarea[name="practice"]')).to_have_value("broken \ufffd text")
