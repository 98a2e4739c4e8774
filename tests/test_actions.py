"""Action plans: agreed actions, progress reported per round, the working group's overview."""

from datetime import date

import pytest
from sqlalchemy import select

from surveyapp.actions.models import Action, ActionStatus
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    old = Round(
        name="2025 autumn",
        questionnaire=create_round().questionnaire,
        opens_on=date(2025, 9, 1),
        closes_on=date(2025, 11, 30),
        state=RoundState.closed,
    )
    db.session.add(old)
    region = create_region("ES21", "País Vasco")
    other = create_region("FR10", "Ile-de-France")
    officer = create_user(email="olga@example.org", regions=[region])
    outsider = create_user(email="fred@example.org", regions=[other])
    expert = create_user(email="emil@example.org", role=Role.expert)
    db.session.commit()
    return {"region": region, "officer": officer, "outsider": outsider, "expert": expert}


def client_for(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def test_officers_plan_and_report_progress(app, login, world):
    officer = client_for(app, login, world["officer"])
    refused = officer.post("/regions/ES21/action-plan", data={"title": " ", "solution": "Kept"})
    assert refused.status_code == 422 and "Say what the action is." in refused.text
    assert "Kept" in refused.text  # what was typed stays
    bad = officer.post("/regions/ES21/action-plan", data={"title": "Join", "partners": "XX99"})
    assert "Unknown NUTS codes: XX99" in bad.text
    officer.post(
        "/regions/ES21/action-plan",
        data={
            "title": "Join the hydrogen partnership",
            "solution": "Staff exchange",
            "partners": "fr10",
        },
    )
    action = db.session.scalar(select(Action))
    assert action.partners == ["FR10"] and action.status == ActionStatus.planned
    officer.post(
        f"/actions/{action.id}/progress", data={"status": "in_progress", "evidence": "MoU"}
    )
    officer.post(f"/actions/{action.id}/progress", data={"status": "done", "evidence": "Signed"})
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    # Two reports in the same (open) round: one history entry, the latest wins.
    assert [(u.round.name, u.status) for u in action.updates] == [("2026 spring", "done")]
    assert (action.status, action.evidence) == (ActionStatus.done, "Signed")
    bad_status = officer.post(f"/actions/{action.id}/progress", data={"status": "finished"})
    assert bad_status.status_code == 422 and "Choose a status." in bad_status.text


def test_other_regions_cannot_see_or_change_a_plan(app, login, world):
    officer = client_for(app, login, world["officer"])
    officer.post("/regions/ES21/action-plan", data={"title": "Secret plan"})
    action = db.session.scalar(select(Action))
    outsider = client_for(app, login, world["outsider"])
    assert outsider.get("/regions/ES21/action-plan").status_code == 404
    assert (
        outsider.post(f"/actions/{action.id}/progress", data={"status": "done"}).status_code == 404
    )
    assert outsider.get("/action-plans").status_code == 403


def test_overview_counts_moves_and_names_only_consenting_regions(
    app, login, world, create_assessment
):
    expert = client_for(app, login, world["expert"])
    expert.post(
        "/regions/ES21/action-plan", data={"title": "Matchmaking desk", "solution": "One owner"}
    )
    action = db.session.scalar(select(Action))
    expert.post(f"/actions/{action.id}/progress", data={"status": "done"})
    page = expert.get("/action-plans").text
    assert "Matchmaking desk" in page and "One owner" in page
    assert "A region in ES" in page and "País Vasco" not in page  # no consent recorded
    from surveyapp.actions.queries import plans_overview

    db.session.expire_all()
    counts = plans_overview()["by_category"][""]
    assert (counts["actions"], counts["moved"], counts["done"]) == (1, 1, 1)


def test_progress_is_kept_per_round(app, login, world, create_round):
    officer = client_for(app, login, world["officer"])
    officer.post("/regions/ES21/action-plan", data={"title": "Join a partnership"})
    action = db.session.scalar(select(Action))
    officer.post(f"/actions/{action.id}/progress", data={"status": "in_progress"})
    spring = db.session.scalar(select(Round).filter_by(name="2026 spring"))
    spring.state = RoundState.closed
    autumn = Round(
        name="2026 autumn",
        questionnaire=spring.questionnaire,
        opens_on=date(2026, 9, 1),
        closes_on=date(2026, 11, 30),
        state=RoundState.open,
    )
    db.session.add(autumn)
    db.session.commit()
    officer.post(f"/actions/{action.id}/progress", data={"status": "done", "evidence": "Signed"})
    db.session.expire_all()
    history = [(u.round.name, u.status) for u in db.session.get(Action, action.id).updates]
    assert history == [("2026 spring", "in_progress"), ("2026 autumn", "done")]
    from surveyapp.actions.queries import moved

    assert moved(db.session.get(Action, action.id))


def _selected(html: str, name: str) -> list[str]:
    """The values of the options selected in the <select name=...>."""
    import re

    select_html = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, name
    return re.findall(r'<option value="([^"]*)" selected', select_html.group(1))


def _text_value(html: str, name: str) -> str:
    import re
    from html import unescape

    field = re.search(rf'<(?:input|textarea)[^>]* name="{name}"[^>]*>', html)
    assert field, name
    if field.group(0).startswith("<textarea"):
        rest = html[field.end() :]
        return unescape(rest[: rest.index("</textarea>")])
    return unescape(re.search(r'value="([^"]*)"', field.group(0)).group(1))


def test_a_refused_action_keeps_everything_typed_and_chosen(app, login, world, create_round):
    from surveyapp.challenges.models import ChallengeCategory

    category = ChallengeCategory(name="Skills")
    db.session.add_all([ChallengeCategory(name="Access to finance"), category])
    db.session.commit()
    target = db.session.scalar(select(Round).filter_by(name="2026 spring"))
    data = {
        "title": "Join the hydrogen valley",
        "solution": "Staff exchange & a joint call",
        "category_id": str(category.id),
        "aspect": "sme_adoption",
        "dimension": "governance",
        "partners": "FR10 XX99",
        "owner": "Innovation agency",
        "target_round_id": str(target.id),
    }
    officer = client_for(app, login, world["officer"])
    refused = officer.post("/regions/ES21/action-plan", data=data)
    assert refused.status_code == 422 and "Unknown NUTS codes: XX99" in refused.text
    for name in ("title", "solution", "partners", "owner"):
        assert _text_value(refused.text, name) == data[name], name
    for name in ("category_id", "aspect", "dimension", "target_round_id"):
        assert _selected(refused.text, name) == [data[name]], name
    assert db.session.scalar(select(Action)) is None

    # Corrected and sent again: everything chosen is saved.
    officer.post("/regions/ES21/action-plan", data=data | {"partners": "FR10"})
    action = db.session.scalar(select(Action))
    assert (action.title, action.solution, action.owner) == (
        data["title"],
        data["solution"],
        data["owner"],
    )
    assert (action.category_id, action.aspect, action.dimension, action.target_round_id) == (
        category.id,
        "sme_adoption",
        "governance",
        target.id,
    )
    assert action.partners == ["FR10"]


def test_an_over_long_owner_is_an_error_not_a_cut(app, login, world):
    officer = client_for(app, login, world["officer"])
    owner = "o" * 250
    refused = officer.post("/regions/ES21/action-plan", data={"title": "Join", "owner": owner})
    assert refused.status_code == 422
    assert "Shorten this to 200 characters (it has 250)." in refused.text
    assert _text_value(refused.text, "owner") == owner
    assert db.session.scalar(select(Action)) is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("aspect", "Choose a critical aspect from the list."),
        ("dimension", "Choose a dimension from the list."),
    ],
)
def test_an_aspect_or_dimension_not_in_the_questionnaire_is_refused_at_its_field(
    app, login, world, field, message
):
    from surveyapp.actions.queries import plan_definition

    definition = plan_definition()
    offered = {g.id for g in getattr(definition, f"{field}s")}
    made_up = "not_" + "_".join(sorted(offered))
    officer = client_for(app, login, world["officer"])
    data = {"title": "Join the hydrogen valley", "owner": "Agency", field: made_up}
    refused = officer.post("/regions/ES21/action-plan", data=data)
    assert refused.status_code == 422
    assert f'<p class="error" id="new-{field}-error">{message}</p>' in refused.text
    assert _text_value(refused.text, "title") == data["title"]  # nothing typed is lost
    assert db.session.scalar(select(Action)) is None
    # Each one the questionnaire offers is taken.
    chosen = sorted(offered)[0]
    officer.post("/regions/ES21/action-plan", data=data | {field: chosen})
    assert getattr(db.session.scalar(select(Action)), field) == chosen
