"""The expert's side of method 2.0: each scored answer with its status, reason and evidence
beside the self and moderated scores; "not applicable" accepted or rejected (D12); items
confirmed; validation refused while an N/A is undecided; the moderation summary (D13)."""

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.reviews.models import ModeratedScore
from surveyapp.reviews.operations import (
    NotReviewer,
    ReviewError,
    UndecidedNotApplicable,
    confirm_item,
    decide_not_applicable,
    post_comment,
    set_moderated_score,
    start_review,
    validate_assessment,
    withdraw_moderation,
)
from surveyapp.reviews.queries import (
    item_moderated_score,
    item_moderations,
    moderation_summary,
    same_score,
    web_address,
)

LEVELS = """
        levels:
          - {level: 0, label: Absent / no evidence, anchor: Nothing.}
          - {level: 1, label: Minimal, anchor: One contact.}
          - {level: 2, label: Some, anchor: A project with a partner outside the Member State.}
          - {level: 3, label: Fair, anchor: Several projects.}
          - {level: 4, label: Strong, anchor: A programme.}
          - {level: 5, label: Excellent, anchor: A programme with results.}
"""

#: A small format 2 questionnaire: two N/A-able aspect items, evidence-asking items, DK.
SMALL_V2 = f"""format: 2
slug: small-v2
version: 1
title: Small format 2 questionnaire
dimensions:
  - {{id: strategy, title: Strategy}}
  - {{id: governance, title: Governance}}
aspects:
  - {{id: multinationals, title: Knowledge transfer from multinationals,
      short_title: Knowledge transfer from multinationals}}
sections:
  - id: basics
    title: Basics
    items:
      - id: plan
        type: scale
        text: How far does the S3 plan cooperation outside the Member State?
        dimension: strategy
{LEVELS}
        actions: [Write the cooperation measures into the S3.]
      - id: has_unit
        type: yes_no
        text: Is there a unit for cooperation outside the Member State?
        scored: true
        dimension: governance
        actions: [Set up a unit.]
      - id: partners
        type: scale
        text: How regular is the work with partners outside the Member State?
        dimension: governance
{LEVELS}
        actions: [Meet the partners.]
      - id: untouched
        type: scale
        text: How far are the partners' results used?
        dimension: strategy
{LEVELS}
        actions: [Use the results.]
      - id: note
        type: long_text
        text: Anything else?
  - id: mnc
    title: Multinationals
    items:
      - id: mnc_links
        type: scale
        text: How do multinationals link local firms with partners outside the Member State?
        aspect: multinationals
        allow_na: true
        na_reason: "Explain why: e.g. no multinational company has an establishment in the region"
{LEVELS}
        actions: [Invite the multinationals.]
      - id: mnc_programme
        type: scale
        text: Is there a linkage programme with partners outside the Member State?
        aspect: multinationals
        allow_na: true
        na_reason: "Explain why: e.g. no multinational company has an establishment in the region"
{LEVELS}
        actions: [Start a linkage programme.]
"""

NO_MNC = "No multinational company has an establishment in the region."


@pytest.fixture
def v2(app, tmp_path):
    path = tmp_path / "small-v2.yaml"
    path.write_text(SMALL_V2, encoding="utf-8")
    return load_questionnaire(str(path)).questionnaire


def put_answers(assessment, officer, answers):
    """Store answers as a submitted response holds them (item id -> (value, reason, evidence))."""
    definition = assessment.round.questionnaire.parsed
    for item_id, (value, reason, evidence) in answers.items():
        db.session.add(
            Answer(
                assessment=assessment,
                item_id=item_id,
                section_id=definition.item(item_id).section_id,
                value=value,
                na_reason=reason,
                evidence=evidence,
                updated_by=officer,
            )
        )
    assessment.state = AssessmentState.submitted
    assessment.submitted_at = assessment.state_changed_at
    db.session.commit()


@pytest.fixture
def world(app, v2, create_region, create_user, create_round, create_assessment):
    """A format 2 response under review by Emil: plan 3 with a link, has_unit yes without
    evidence, partners "don't know", two "not applicable" answers with reasons."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    emil = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    erika = create_user(email="erika@example.org", name="Erika", role=Role.expert)
    admin = create_user(email="ada@example.org", name="Ada", role=Role.admin)
    round_ = create_round(questionnaire=v2)
    assessment = create_assessment(region=region, round_=round_)
    put_answers(
        assessment,
        officer,
        {
            "plan": (3, None, "https://example.org/s3.pdf#page=12"),
            "has_unit": (True, None, None),
            "partners": ("dk", None, None),
            "untouched": (2, None, "Minutes of the steering group, 3 May"),
            "mnc_links": ("na", NO_MNC, None),
            "mnc_programme": ("na", NO_MNC, None),
        },
    )
    start_review(assessment, emil)
    db.session.commit()
    return {
        "assessment": assessment,
        "round": round_,
        "officer": officer,
        "emil": emil,
        "erika": erika,
        "admin": admin,
    }


def client_for(app, login, user):
    client = app.test_client()
    login(user, client=client)
    return client


def fresh(assessment):
    db.session.expire_all()
    return db.session.get(Assessment, assessment.id)


def row(item_id):
    db.session.expire_all()
    return db.session.scalar(select(ModeratedScore).filter_by(item_id=item_id))


def item_block(page: str, item_id: str) -> str:
    match = re.search(rf'<article[^>]*id="item-{item_id}".*?</article>', page, re.S)
    assert match, item_id
    return match.group(0)


def text_of(page: str) -> str:
    page = html.unescape(page)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def decide(client, aid, item_id, **data):
    section = "mnc" if item_id.startswith("mnc") else "basics"
    return client.post(
        f"/reviews/{aid}/sections/{section}", data={"form": "decision", "item": item_id, **data}
    )


def test_the_review_page_shows_status_reason_evidence_and_both_scores(app, login, world):
    aid = world["assessment"].id
    emil = client_for(app, login, world["emil"])
    basics = emil.get(f"/reviews/{aid}/sections/basics").text
    plan = item_block(basics, "plan")
    assert '<a href="https://example.org/s3.pdf#page=12"' in plan  # a link
    assert "No evidence" not in plan
    assert "Self score" in plan and "60.0" in plan
    unit = text_of(item_block(basics, "has_unit"))
    assert "No evidence" in unit  # a scored "yes" asks for evidence
    partners = text_of(item_block(basics, "partners"))
    assert "Don't know" in partners and "0.0" in partners
    untouched = item_block(basics, "untouched")
    assert "Minutes of the steering group, 3 May" in untouched  # a reference, as text
    assert '<a href="Minutes' not in untouched and "No evidence" not in untouched
    assert "Confirm the region's answer unchanged" in plan
    mnc = emil.get(f"/reviews/{aid}/sections/mnc").text
    links = text_of(item_block(mnc, "mnc_links"))
    assert "Not applicable" in links and NO_MNC in links
    assert "Self score left out" in links
    assert "not decided yet" in links
    assert 'name="decision"' in item_block(mnc, "mnc_links")
    # The summary on every review page: nothing reviewed yet.
    assert "0 of 6 scored items" in text_of(mnc)
    assert "to be accepted or rejected before validating" in mnc


def test_accepting_needs_no_score_and_leaves_the_item_out(app, login, world):
    aid = world["assessment"].id
    emil = client_for(app, login, world["emil"])
    assert decide(emil, aid, "mnc_links", decision="accepted").status_code == 302
    stored = row("mnc_links")
    assert (stored.na_decision, stored.score, stored.confirmed) == ("accepted", None, False)
    moderation = item_moderations(fresh(world["assessment"]))["mnc_links"]
    assert moderation.status == "na_accepted"
    assert (moderation.self_score, moderation.moderated_score) == (None, None)
    assert not moderation.changed and moderation.reviewed
    # A score does not go with an acceptance.
    refused = decide(emil, aid, "mnc_programme", decision="accepted", score="40")
    assert refused.status_code == 422 and 'id="score-mnc_programme-error"' in refused.text
    assert row("mnc_programme") is None


def test_rejecting_needs_a_rationale_and_counts_as_dont_know_or_the_score_set(app, login, world):
    aid = world["assessment"].id
    emil = client_for(app, login, world["emil"])
    refused = decide(emil, aid, "mnc_links", decision="rejected", rationale="  ")
    assert refused.status_code == 422
    assert 'id="rationale-mnc_links-error"' in refused.text
    assert "Explain why the question applies to the region." in refused.text
    assert row("mnc_links") is None

    rationale = "Siemens has a plant in the region (company register)."
    assert (
        decide(emil, aid, "mnc_links", decision="rejected", rationale=rationale).status_code == 302
    )
    stored = row("mnc_links")
    assert (stored.na_decision, stored.score, stored.rationale) == ("rejected", None, rationale)
    moderation = item_moderations(fresh(world["assessment"]))["mnc_links"]
    assert (moderation.status, moderation.moderated_score, moderation.changed) == (
        "na_rejected",
        0.0,
        True,
    )

    # Rejected with a score: the moderated score is the expert's.
    decide(emil, aid, "mnc_links", decision="rejected", rationale=rationale, score="40")
    assert row("mnc_links").score == 40
    page = emil.get(f"/reviews/{aid}/sections/mnc").text
    assert "40.0" in text_of(item_block(page, "mnc_links"))
    # The score form on an N/A item is a rejection too (it needs the rationale).
    score_form = {"form": "score", "item": "mnc_programme", "score": "20"}
    assert emil.post(f"/reviews/{aid}/sections/mnc", data=score_form).status_code == 422
    emil.post(f"/reviews/{aid}/sections/mnc", data=score_form | {"rationale": "One exists."})
    assert (row("mnc_programme").na_decision, row("mnc_programme").score) == ("rejected", 20)
    # Withdrawing the decision makes it undecided again.
    assert decide(emil, aid, "mnc_programme", decision="").status_code == 302
    assert row("mnc_programme") is None


def test_only_na_answers_take_a_decision_and_na_answers_no_confirmation(world):
    assessment, emil = fresh(world["assessment"]), world["emil"]
    with pytest.raises(ReviewError, match="nothing to decide"):
        decide_not_applicable(assessment, "plan", "accepted", None, emil)
    with pytest.raises(ReviewError):
        decide_not_applicable(assessment, "mnc_links", "maybe", "x", emil)
    with pytest.raises(ReviewError, match="instead of confirming"):
        confirm_item(assessment, "mnc_links", emil)
    with pytest.raises(ReviewError):
        confirm_item(assessment, "note", emil)  # unscored
    assert db.session.scalar(select(func.count()).select_from(ModeratedScore)) == 0


def test_validation_is_refused_while_an_na_is_undecided_naming_the_items(app, login, world):
    aid = world["assessment"].id
    emil = client_for(app, login, world["emil"])
    with pytest.raises(UndecidedNotApplicable) as refused:
        validate_assessment(fresh(world["assessment"]), world["emil"])
    assert [item.id for item in refused.value.items] == ["mnc_links", "mnc_programme"]
    db.session.rollback()

    confirm = emil.get(f"/reviews/{aid}/validate").text
    assert "How do multinationals link local firms" in confirm
    assert "Is there a linkage programme" in confirm
    assert f'action="/reviews/{aid}/validate"' not in confirm  # no button while undecided
    page = emil.post(f"/reviews/{aid}/validate", follow_redirects=True).text
    assert "Accept or reject every “not applicable” before validating" in page
    assert "Is there a linkage programme" in page
    assert fresh(world["assessment"]).state == AssessmentState.under_review

    decide(emil, aid, "mnc_links", decision="accepted")
    still = emil.post(f"/reviews/{aid}/validate", follow_redirects=True).text
    assert "Is there a linkage programme" in still and "How do multinationals" not in text_of(
        re.search(r'class="flash[^"]*".*?</', still, re.S).group(0)
    )
    decide(emil, aid, "mnc_programme", decision="rejected", rationale="One exists.")
    assert f'action="/reviews/{aid}/validate"' in emil.get(f"/reviews/{aid}/validate").text
    assert emil.post(f"/reviews/{aid}/validate").status_code == 302
    assert fresh(world["assessment"]).state == AssessmentState.validated
    # Unchanged items confirm the self answer without a row of their own.
    assert set(db.session.scalars(select(ModeratedScore.item_id))) == {
        "mnc_links",
        "mnc_programme",
    }
    summary = moderation_summary(fresh(world["assessment"]))
    assert (summary["reviewed"], summary["scored"]) == (2, 6)


def test_format_1_validation_is_not_held_by_an_undecided_na(
    app, create_region, create_user, create_round, create_assessment
):
    region = create_region("ES22", "Navarra")
    officer = create_user(email="otto@example.org", regions=[region])
    emil = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    assessment = create_assessment(region=region, round_=create_round())
    put_answers(assessment, officer, {"maturity": ("na", None, None)})
    start_review(assessment, emil)
    validate_assessment(assessment, emil)
    db.session.commit()
    assert fresh(assessment).state == AssessmentState.validated
    moderation = item_moderations(fresh(assessment))["maturity"]
    assert (moderation.status, moderation.moderated_score) == ("na_pending", None)


def test_a_format_1_rejection_sets_the_score(
    app, create_region, create_user, create_round, create_assessment
):
    """Format 1 has no "Don't know": a rejection without a score would change nothing."""
    region = create_region("ES22", "Navarra")
    officer = create_user(email="otto@example.org", regions=[region])
    emil = create_user(email="emil@example.org", name="Emil", role=Role.expert)
    assessment = create_assessment(region=region, round_=create_round())
    put_answers(assessment, officer, {"maturity": ("na", None, None)})
    start_review(assessment, emil)
    with pytest.raises(ReviewError, match="no “Don't know”") as refused:
        decide_not_applicable(assessment, "maturity", "rejected", "It applies.", emil)
    assert refused.value.field == "score"
    decide_not_applicable(assessment, "maturity", "rejected", "It applies.", emil, 40)
    moderation = item_moderations(assessment)["maturity"]
    assert (moderation.status, moderation.moderated_score, moderation.changed) == (
        "na_rejected",
        40,
        True,
    )


def test_the_moderation_summary(app, login, world):
    assessment, emil, officer = fresh(world["assessment"]), world["emil"], world["officer"]
    assert moderation_summary(assessment) == {
        "reviewed": 0,
        "scored": 6,
        "changed": 0,
        "mean_abs_change": 0.0,
        "changes": [],
    }
    set_moderated_score(assessment, "plan", 80, "A budget line exists.", emil)  # 60 -> 80
    confirm_item(assessment, "has_unit", emil)  # 100 = 100
    decide_not_applicable(assessment, "mnc_links", "accepted", None, emil)  # left out
    decide_not_applicable(assessment, "mnc_programme", "rejected", "One exists.", emil)  # -> 0
    post_comment(assessment, "partners", emil, "Do you really not know?")  # reviewed
    post_comment(assessment, "note", emil, "Thanks.")  # unscored: not counted
    post_comment(assessment, "untouched", officer, "We added minutes.")  # an officer's
    db.session.commit()
    summary = moderation_summary(fresh(assessment))
    # Both scores on plan (60/80), has_unit (100/100), partners (0/0), untouched (40/40).
    changes = summary.pop("changes")
    assert summary == {"reviewed": 5, "scored": 6, "changed": 2, "mean_abs_change": 5.0}
    # The changed items themselves, with both scores and the rationale (the region report
    # lists them: a reader follows the moderated score from the self score).
    assert [(c["item"].id, c["moderated"], c["rationale"]) for c in changes] == [
        ("plan", 80, "A budget line exists."),
        ("mnc_programme", 0, "One exists."),
    ]
    assert changes[0]["self"] == 60

    emil_client = client_for(app, login, emil)
    page = text_of(emil_client.get(f"/reviews/{assessment.id}/sections/basics").text)
    assert "5 of 6 scored items" in page
    assert "Items changed 2" in page
    assert "Mean absolute difference between self and moderated item scores 5.0" in page

    # Confirming over a score withdraws the score; withdrawing a confirmation un-reviews.
    confirm_item(fresh(assessment), "plan", emil)
    assert (row("plan").score, row("plan").confirmed) == (None, True)
    withdraw_moderation(fresh(assessment), "has_unit", emil)
    db.session.commit()
    summary = moderation_summary(fresh(assessment))
    assert [c["item"].id for c in summary.pop("changes")] == ["mnc_programme"]
    assert summary == {"reviewed": 4, "scored": 6, "changed": 1, "mean_abs_change": 0.0}


@pytest.mark.parametrize("who", ["officer", "erika", "admin"])
def test_only_the_expert_who_holds_the_review_decides(app, login, world, who):
    aid = world["assessment"].id
    client = client_for(app, login, world[who])
    for data in (
        {"form": "decision", "item": "mnc_links", "decision": "accepted"},
        {"form": "decision", "item": "mnc_links", "decision": "rejected", "rationale": "x"},
        {"form": "confirm", "item": "mnc_programme", "confirmed": "1"},
    ):
        assert client.post(f"/reviews/{aid}/sections/mnc", data=data).status_code == 403
    assert (
        client.post(
            f"/reviews/{aid}/sections/basics", data={"form": "confirm", "item": "plan"}
        ).status_code
        == 403
    )
    assert db.session.scalar(select(func.count()).select_from(ModeratedScore)) == 0
    if who != "admin":
        with pytest.raises(NotReviewer):
            decide_not_applicable(
                fresh(world["assessment"]), "mnc_links", "accepted", None, world[who]
            )
        with pytest.raises(NotReviewer):
            confirm_item(fresh(world["assessment"]), "plan", world[who])


def history_text(client, assessment) -> str:
    response = client.get(f"/assessments/{assessment.id}/history")
    assert response.status_code == 200
    return text_of(response.text)


def test_decisions_are_audited_and_reach_officers_once_released(app, login, world):
    assessment, emil = fresh(world["assessment"]), world["emil"]
    decide_not_applicable(assessment, "mnc_links", "accepted", None, emil)
    decide_not_applicable(assessment, "mnc_programme", "rejected", "One exists.", emil, 40)
    confirm_item(assessment, "plan", emil)
    decide_not_applicable(assessment, "mnc_programme", "rejected", "One exists.", emil, 40)
    db.session.commit()
    events = [
        (e.action, e.item_id, e.user_id, e.new_value)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("review.%")).order_by(AuditEvent.id)
        )
        if e.action != "review.started"
    ]
    assert events == [  # the same decision twice is one event
        ("review.na_accepted", "mnc_links", emil.id, None),
        ("review.na_rejected", "mnc_programme", emil.id, 40),
        ("review.item_confirmed", "plan", emil.id, None),
    ]
    sentences = (
        "Accepted “not applicable”: the question is left out of the moderated score.",
        "Rejected “not applicable” and set the moderated score to 40.",
        "Confirmed the region's answer unchanged.",
    )
    expert_view = history_text(client_for(app, login, emil), assessment)
    assert all(s in expert_view for s in sentences), expert_view
    assert "review.na" not in expert_view and "this page does not describe" not in expert_view
    officer = client_for(app, login, world["officer"])
    hidden = history_text(officer, assessment)
    assert not any(s in hidden for s in sentences)
    world["round"].moderated_released = True
    db.session.commit()
    shown = history_text(officer, fresh(assessment))
    assert all(s in shown for s in sentences)


def test_a_rejection_without_a_score_and_withdrawals_read_as_sentences(app, login, world):
    assessment, emil = fresh(world["assessment"]), world["emil"]
    decide_not_applicable(assessment, "mnc_links", "rejected", "One exists.", emil)
    withdraw_moderation(assessment, "mnc_links", emil)
    set_moderated_score(assessment, "plan", 80, "Budgeted.", emil)
    confirm_item(assessment, "plan", emil)
    withdraw_moderation(assessment, "plan", emil)
    db.session.commit()
    view = history_text(client_for(app, login, emil), assessment)
    for sentence in (
        "Rejected “not applicable”: the question counts as “Don't know” (0).",
        "Withdrew the decision on “not applicable”.",
        "Confirmed the region's answer unchanged, withdrawing the moderated score of 80.",
        "Withdrew the confirmation of the region's answer.",
    ):
        assert sentence in view


def test_evidence_links_are_only_web_addresses():
    assert web_address(" https://example.org/a?b=1 ") == "https://example.org/a?b=1"
    assert web_address("HTTP://example.org") == "HTTP://example.org"
    for text in (
        None,
        "",
        "javascript:alert(1)",
        "ftp://example.org/x",
        "https://",
        "see https://example.org",
        "example.org/report.pdf",
        "http://[::1",
    ):
        assert web_address(text) is None


STATUSES = ["value", "dk", "blank", "hidden", "na_pending", "na_accepted", "na_rejected"]
scores = st.none() | st.floats(0, 100)


@settings(max_examples=300)
@given(status=st.sampled_from(STATUSES), own=scores, expert=scores, fmt=st.sampled_from([1, 2]))
def test_moderation_never_pays_for_not_knowing(status, own, expert, fmt):
    """For every status and expert score: an accepted N/A is left out, a rejected one is never
    left out, an undecided one never beats "Don't know" in format 2, and without an expert
    score an item that is not N/A keeps the self score."""
    if status.startswith("na"):
        own = None  # a claimed N/A has no self score
    moderated = item_moderated_score(status, own, expert, fmt)
    if status == "na_accepted":
        assert moderated is None
    elif status in ("na_rejected", "na_pending"):
        assert moderated == (expert if expert is not None else (0.0 if fmt == 2 else None))
    elif expert is None:
        assert same_score(moderated, own)
    else:
        assert moderated == expert


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["plan", "has_unit", "partners", "mnc_links", "mnc_programme"]),
            st.sampled_from(["accept", "reject", "confirm", "score", "withdraw"]),
            st.sampled_from([None, 0, 40, 60, 100]),
        ),
        max_size=8,
    )
)
def test_the_summary_holds_for_any_sequence_of_moderations(world, steps):
    """changed <= reviewed <= scored; mean |self - moderated| is within 0-100; an item counts
    as reviewed exactly when a row of an expert's doing stands for it (no comments here)."""
    emil = world["emil"]
    for item_id, step, score in steps:
        assessment = fresh(world["assessment"])
        try:
            if step == "accept":
                decide_not_applicable(assessment, item_id, "accepted", None, emil)
            elif step == "reject":
                decide_not_applicable(assessment, item_id, "rejected", "Why.", emil, score)
            elif step == "confirm":
                confirm_item(assessment, item_id, emil)
            elif step == "score":
                set_moderated_score(assessment, item_id, score, "Why.", emil)
            else:
                withdraw_moderation(assessment, item_id, emil)
        except ReviewError:
            pass
    summary = moderation_summary(fresh(world["assessment"]))
    assert 0 <= summary["changed"] <= summary["reviewed"] <= summary["scored"] == 6
    assert 0 <= summary["mean_abs_change"] <= 100
    rows = set(db.session.scalars(select(ModeratedScore.item_id)))
    assert summary["reviewed"] == len(rows)
    db.session.rollback()
    db.session.execute(ModeratedScore.__table__.delete())
    db.session.commit()


def test_evidence_or_a_reason_added_after_a_request_for_changes_is_listed(app, login, world):
    """The region answers a request for evidence by adding evidence only: the expert sees that
    change, with the evidence before and after."""
    from surveyapp.assessments.operations import save_answer
    from surveyapp.reviews.operations import post_comment, request_changes
    from surveyapp.reviews.queries import changes_since_request

    assessment, officer = fresh(world["assessment"]), world["officer"]
    post_comment(assessment, "has_unit", world["emil"], "Which document?")
    request_changes(assessment, world["emil"], "Which document shows the unit?")
    db.session.commit()
    save_answer(fresh(assessment), "has_unit", True, officer, evidence="Decree 12/2025, art. 3")
    save_answer(fresh(assessment), "mnc_links", "na", officer, na_reason="No MNC at all.")
    db.session.commit()
    changes = {c.item_id: c for c in changes_since_request(fresh(assessment))}
    assert set(changes) == {"has_unit", "mnc_links"}
    unit = changes["has_unit"]
    assert (unit.before, unit.after) == (True, True)
    assert (unit.before_evidence, unit.after_evidence) == (None, "Decree 12/2025, art. 3")
    assert (changes["mnc_links"].before_reason, changes["mnc_links"].after_reason) == (
        NO_MNC,
        "No MNC at all.",
    )
