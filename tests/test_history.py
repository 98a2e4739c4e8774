"""The history of an assessment shows each reader only what that reader may see, as sentences."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.audit.catalogue import EVENT_KINDS
from surveyapp.audit.models import AuditEvent
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.reviews.operations import set_moderated_score, start_review

ROLES = ("officer", "expert", "admin")

#: Each audit event kind an assessment's history holds, and who sees it there:
#: (kind, officer, expert, admin). Moderated scores: officers once released (tested below).
VISIBILITY = [
    ("assessment.started", True, True, True),
    ("assessment.submitted", True, True, True),
    ("assessment.carried_forward", True, True, True),
    ("answer.carry_confirmed", True, True, True),
    ("evidence.attached", True, True, True),
    ("evidence.removed", True, True, True),
    ("section.assigned", True, True, True),
    ("answer.changed", True, True, True),
    ("answer.comment_changed", True, True, True),
    ("review.started", True, True, True),
    ("review.changes_requested", True, True, True),
    ("review.validated", True, True, True),
    ("review.taken_over", False, True, True),
    ("review.resumed", True, True, True),
    ("comment.posted", True, True, True),
    ("comment.resolved", True, True, True),
    ("comment.reopened", True, True, True),
    ("score.moderated", False, True, True),
    ("score.withdrawn", False, True, True),
    ("remark.saved", False, True, True),
    ("remark.removed", False, True, True),
    ("practice.created", True, True, True),
    ("practice.changed", True, True, True),
    ("practice.deleted", True, True, True),
    ("challenge.tagged", False, True, True),
    ("review.na_accepted", False, True, True),
    ("review.na_rejected", False, True, True),
    ("review.na_decision_withdrawn", False, True, True),
    ("review.item_confirmed", False, True, True),
    ("review.confirmation_withdrawn", False, True, True),
    # A kind the catalogue does not know yet (added by a feature later): never to officers.
    ("something.new", False, True, True),
]

#: Plausible stored values per kind (what the operations write).
VALUES = {
    "assessment.submitted": ("draft", "submitted"),
    "evidence.attached": (None, {"name": "plan.pdf", "size": 1200}),
    "evidence.removed": ({"name": "plan.pdf", "size": 1200}, None),
    "section.assigned": (
        {"section": "basics", "user": None},
        {"section": "basics", "user": "Olga"},
    ),
    "answer.changed": (2, 3),
    "answer.comment_changed": (None, "Checked with the agency"),
    "review.started": (None, "under_review"),
    "review.changes_requested": (None, "changes_requested"),
    "review.validated": (None, "validated"),
    "review.taken_over": ("Emma Expert", "Emil Expert"),
    "review.resumed": ("submitted", "under_review"),
    "comment.posted": (None, "Please add the budget line"),
    "score.moderated": (60.0, 40.0),
    "score.withdrawn": (40.0, None),
    "remark.saved": (None, "Internal: the region overstates its maturity"),
    "remark.removed": ("Internal: the region overstates its maturity", None),
    "practice.created": (None, "Shared platform for SMEs"),
    "practice.changed": (None, "Shared platform for SMEs"),
    "practice.deleted": ("Shared platform for SMEs", None),
    "challenge.tagged": (None, {"categories": [1, 2], "aspect": "sme_adoption"}),
    "something.new": ({"internal": 1}, [1, 2]),
    "review.na_rejected": (None, 40.0),
    "review.item_confirmed": (60.0, None),
    "review.na_decision_withdrawn": ("rejected", None),
}
ITEM_KINDS = {
    "answer.changed",
    "answer.comment_changed",
    "comment.posted",
    "comment.resolved",
    "comment.reopened",
    "score.moderated",
    "score.withdrawn",
    "practice.created",
    "practice.changed",
    "challenge.tagged",
    "review.na_accepted",
    "review.na_rejected",
    "review.na_decision_withdrawn",
    "review.item_confirmed",
    "review.confirmation_withdrawn",
}


@pytest.fixture
def world(app, create_region, create_user, create_round, create_assessment):
    region = create_region("ES21", "País Vasco")
    round_ = create_round()
    officer = create_user(email="olga@example.org", name="Olga Officer", regions=[region])
    expert = create_user(email="emil@example.org", name="Emil Expert", role=Role.expert)
    admin = create_user(email="ada@example.org", name="Ada Admin", role=Role.admin)
    assessment = create_assessment(region=region, round_=round_)
    save_answer(assessment, "maturity", 3, officer)
    assessment.state = AssessmentState.submitted
    assessment.submitted_at = assessment.state_changed_at
    db.session.commit()
    return {
        "assessment": assessment,
        "round": round_,
        "officer": officer,
        "expert": expert,
        "admin": admin,
    }


def client_as(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def only_event(world, kind, old=None, new=None):
    """The assessment's history holds exactly one event, of this kind."""
    assessment = world["assessment"]
    db.session.execute(delete(AuditEvent).where(AuditEvent.assessment_id == assessment.id))
    if (old, new) == (None, None):
        old, new = VALUES.get(kind, (None, None))
    log_event(
        kind,
        "assessment",
        assessment.id,
        user=world["expert"],
        assessment_id=assessment.id,
        item_id="maturity" if kind in ITEM_KINDS else None,
        old_value=old,
        new_value=new,
    )
    db.session.commit()


def history_rows(client, assessment, item=None) -> list[str]:
    url = f"/assessments/{assessment.id}/history" + (f"?item={item}" if item else "")
    response = client.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    return re.findall(r"<tr.*?</tr>", tbody.group(1), re.S) if tbody else []


def shows_forty(text: str) -> bool:
    """The moderated score 40 in the text; not the minutes of a time shown beside it (9:40)."""
    return re.search(r"(?<![:\d])40(?!\d)", text) is not None


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(("kind", "officer", "expert", "admin"), VISIBILITY)
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_each_kind_of_event(app, login, world, kind, officer, expert, admin, role):
    only_event(world, kind)
    visible = {"officer": officer, "expert": expert, "admin": admin}[role]
    client = client_as(app, login, world[role])
    assert len(history_rows(client, world["assessment"])) == visible
    if kind in ITEM_KINDS:
        assert len(history_rows(client, world["assessment"], "maturity")) == visible


def test_the_visibility_table_covers_the_catalogue():
    assert {kind for kind, *_ in VISIBILITY} - {"something.new"} >= set(EVENT_KINDS)


def test_moderated_scores_reach_officers_only_once_released(app, login, world):
    assessment, expert, round_ = world["assessment"], world["expert"], world["round"]
    start_review(assessment, expert)
    set_moderated_score(assessment, "maturity", 40, "Too optimistic for the evidence.", expert)
    db.session.commit()
    officer = client_as(app, login, world["officer"])
    before = text_of("".join(history_rows(officer, assessment, "maturity")))
    assert not shows_forty(before) and "Too optimistic" not in before
    everything = text_of("".join(history_rows(officer, assessment)))
    assert not shows_forty(everything) and "moderated" not in everything.lower()
    # The experts see it all along.
    expert_view = text_of("".join(history_rows(client_as(app, login, expert), assessment)))
    assert shows_forty(expert_view)

    round_.moderated_released = True
    db.session.commit()
    after = text_of("".join(history_rows(officer, assessment, "maturity")))
    assert shows_forty(after)


def test_a_moderated_score_is_not_shown_as_an_answer_change(app, login, world):
    assessment, expert = world["assessment"], world["expert"]
    world["round"].moderated_released = True
    start_review(assessment, expert)
    set_moderated_score(assessment, "maturity", 40, "Too optimistic for the evidence.", expert)
    db.session.commit()
    for role in ROLES:
        rows = history_rows(client_as(app, login, world[role]), assessment, "maturity")
        score_rows = [row for row in rows if "Emil Expert" in row]
        assert score_rows
        for row in score_rows:
            assert 'class="value"' not in row  # no Before/After cells


@pytest.mark.parametrize("kind", ["comment.posted", "practice.created", "practice.changed"])
def test_comments_and_practice_titles_are_not_answer_changes(app, login, world, kind):
    only_event(world, kind)
    rows = history_rows(client_as(app, login, world["expert"]), world["assessment"], "maturity")
    assert len(rows) == 1 and 'class="value"' not in rows[0]
    assert VALUES[kind][1] in text_of(rows[0])


def test_answer_changes_show_readable_values_before_and_after(app, login, world):
    only_event(world, "answer.changed", 2, 3)
    rows = history_rows(client_as(app, login, world["officer"]), world["assessment"], "maturity")
    cells = re.findall(r'<td class="value">(.*?)</td>', rows[0], re.S)
    assert [text_of(cell) for cell in cells] == ["Before: 2: To be improved", "After: 3: Fair"]


def test_challenge_tags_name_their_categories(app, login, world):
    from surveyapp.challenges.models import ChallengeCategory

    funding = ChallengeCategory(name="Funding and co-financing")
    db.session.add(funding)
    db.session.flush()
    only_event(world, "challenge.tagged", None, {"categories": [funding.id], "aspect": None})
    rows = history_rows(client_as(app, login, world["expert"]), world["assessment"])
    assert "Funding and co-financing" in text_of(rows[0])


CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
#: Any value an event may hold (JSON), with text that has no braces or dots of its own.
plain_text = st.text(st.characters(categories=["L", "Zs"], exclude_characters="{}."), max_size=20)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | plain_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=6,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from([kind for kind, *_ in VISIBILITY]),
    old=json_values,
    new=json_values,
    role=st.sampled_from(ROLES),
)
def test_no_event_shows_a_code_or_a_raw_value(app, login, world, kind, old, new, role):
    only_event(world, kind, old, new if (old, new) != (None, None) else 0)
    client = client_as(app, login, world[role])
    for item in (None, "maturity"):
        shown = text_of("".join(history_rows(client, world["assessment"], item)))
        assert not CODE.search(shown), shown
        assert "{" not in shown and "[" not in shown, shown
