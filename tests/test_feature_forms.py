"""Every page of practices, challenges, actions and reviews takes its input through a WTForms
form; an operation's refusal shows at its field with what was typed (issue 21)."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from surveyapp.actions.models import Action
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.forms import IdListField, id_or_none

ROOT = Path(__file__).resolve().parents[1] / "surveyapp"
FEATURES = ("practices", "challenges", "actions", "reviews")


@pytest.mark.parametrize("feature", FEATURES)
def test_no_page_reads_the_posted_form_by_hand(feature):
    package = ROOT / feature
    sources = [*package.rglob("*.py"), *package.rglob("*.html")]
    assert [str(path) for path in sources if "request.form" in path.read_text()] == []


@pytest.mark.parametrize("feature", ("practices", "challenges", "actions"))
def test_a_feature_raises_its_own_error(feature):
    """No feature imports the review workflow's error (nor anything else of it) to raise or
    catch it."""
    imported = {
        node.module
        for path in (ROOT / feature).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
    }
    assert "surveyapp.reviews.operations" not in imported


@pytest.mark.parametrize(
    ("posted", "ids"),
    [(["3", "1"], [3, 1]), (["x", "-1", str(2**64), "\u00b2", ""], []), ([], [])],
)
def test_ids_that_name_no_row_are_left_out(app, posted, ids):
    from flask_wtf import FlaskForm

    class Form(FlaskForm):
        class Meta:
            csrf = False

        ids = IdListField()

    with app.test_request_context():
        form = Form(formdata=MultiDict([("ids", value) for value in posted]))
        assert form.validate() and form.ids.data == ids
    assert id_or_none(None) is None and id_or_none(7) == 7


@pytest.fixture
def admin(app, login, create_user):
    client = app.test_client()
    login(create_user(email="ada@example.org", role=Role.admin), client=client)
    return client


def test_a_refused_category_keeps_its_description(admin):
    admin.post("/admin/challenges", data={"name": "Seasonal"})
    refused = admin.post(
        "/admin/challenges", data={"name": "  Seasonal ", "description": "Tourism & farms."}
    )
    assert refused.status_code == 422
    assert 'id="name-error">A category with this name already exists.' in refused.text
    assert "Tourism &amp; farms.</textarea>" in refused.text
    too_long = admin.post("/admin/challenges", data={"name": "x" * 101})
    assert too_long.status_code == 422
    assert "Give the category a name of at most 100 characters." in too_long.text


def test_a_refused_progress_report_keeps_what_was_typed(app, login, create_region, create_user):
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    db.session.commit()
    client = app.test_client()
    login(officer, client=client)
    client.post("/regions/ES21/action-plan", data={"title": "Join a partnership"})
    action = db.session.scalar(select(Action))
    refused = client.post(
        f"/actions/{action.id}/progress", data={"status": "finished", "evidence": "MoU signed"}
    )
    assert refused.status_code == 422 and "Choose a status." in refused.text
    assert "MoU signed</textarea>" in refused.text
    # Only the refused action's form shows the error; the new-action form stays empty.
    assert refused.text.count('class="error"') == 1
    assert 'name="title" value=""' in refused.text


def test_the_forms_take_the_pages_csrf_token(app, admin):
    """With CSRF on (as in production), the token the pages write passes both the global check
    and the form's own."""
    app.config["WTF_CSRF_ENABLED"] = True
    token = admin.get("/csrf-token").json["token"]
    added = admin.post("/admin/challenges", data={"name": "Seasonal", "csrf_token": token})
    assert added.status_code == 302
    assert admin.post("/admin/challenges", data={"name": "Other"}).status_code == 400
