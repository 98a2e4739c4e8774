"""Carry forward (issue 25, part 1): the mapping, the copy, its marks, confirmation, access."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from surveyapp.assessments.carry import (
    AnswersExist,
    NothingToCarry,
    OldAnswer,
    carry_forward,
    confirm_carried,
    plan_carry,
    previous_response,
)
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import NotEditable, save_answer, submit_check
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import DefinitionError
from surveyapp.questionnaires.loader import read_file
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round, RoundState

ROOT = Path(__file__).resolve().parents[1]
V1 = ROOT / "questionnaires" / "criterion7-interregional-v1.yaml"
V2 = ROOT / "questionnaires" / "criterion7-interregional-v2.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def v1():
    return read_file(V1)[1]


@pytest.fixture(scope="module")
def v2():
    return read_file(V2)[1]


def _answers(**values):
    return {item_id: OldAnswer(value) for item_id, value in values.items()}


# --- the questionnaire format: carry, carried_from --------------------------------------------


def test_v2_declares_its_mapping_and_what_is_never_carried(v2):
    mapped = {item.id: item.carried_from for item in v2.items if item.carried_from}
    assert mapped == {
        "uni_interregional_incentives": {
            "version": 1,
            "item": "uni_collaboration_incentives",
            "values": ((False, False),),
        },
        "mnc_linkage_interregional": {
            "version": 1,
            "item": "mnc_linkage_programmes",
            "values": ((0, 0), (1, 0), ("na", "na")),
        },
    }
    never = {item.id for item in v2.items if not item.is_carried}
    assert never == {
        "mon_projects_active_12m",
        "sme_active_12m",
        "mon_projects_active_12m_ids",
        "sme_active_12m_projects",
        "str_priority_areas_covered",
    }
    # Every count asked per period is among them.
    assert {item.id for item in v2.items if item.period} <= never


def _pair(tmp_path, change):
    """small-v1 beside a copy of small-v2 changed by ``change`` (its item dicts by id)."""
    (tmp_path / "small-v1.yaml").write_text((FIXTURES / "small-v1.yaml").read_text())
    data = yaml.safe_load((FIXTURES / "small-v2.yaml").read_text())
    items = {item["id"]: item for section in data["sections"] for item in section["items"]}
    change(items)
    path = tmp_path / "small-v2.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _line_of(path, text):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_loader_accepts_a_mapping_to_an_earlier_item(tmp_path):
    def change(items):
        items["mnc_linkage"]["carried_from"] = {
            "version": 1,
            "item": "maturity",
            "values": [{"from": 0, "to": 0}, {"from": "na", "to": "na"}],
        }

    definition = read_file(_pair(tmp_path, change))[1]
    assert definition.item("mnc_linkage").carried_from["item"] == "maturity"


def test_the_loader_refuses_an_unknown_earlier_item_with_file_line_and_reason(tmp_path):
    def change(items):
        items["mnc_linkage"]["carried_from"] = {"version": 1, "item": "no_such_item"}

    path = _pair(tmp_path, change)
    with pytest.raises(DefinitionError) as caught:
        read_file(path)
    (error,) = caught.value.errors
    line = _line_of(path, "carried_from:")
    reason = "item 'mnc_linkage': 'carried_from' names 'no_such_item', which is not an item of"
    assert error in (f"{path}:{n}: {reason} version 1" for n in (line, line + 1))


@pytest.mark.parametrize(
    ("carried_from", "reason"),
    [
        ({"version": 1, "item": "maturity", "values": [{"from": 9, "to": 0}]}, "maps 9"),
        ({"version": 1, "item": "maturity", "values": [{"from": 1, "to": 7}]}, "maps 1 to 7"),
        ({"version": 2, "item": "maturity"}, "earlier version"),
        ({"version": 3, "item": "maturity"}, "earlier version"),
        ({"item": "maturity"}, "must be {version: N, item: ID}"),
        ({"version": 1, "item": "maturity", "map": []}, "unknown key(s) in 'carried_from': map"),
    ],
)
def test_the_loader_refuses_a_wrong_mapping(tmp_path, carried_from, reason):
    def change(items):
        items["mnc_linkage"]["carried_from"] = carried_from

    path = _pair(tmp_path, change)
    with pytest.raises(DefinitionError) as caught:
        read_file(path)
    assert any(reason in error and str(path) in error for error in caught.value.errors), (
        caught.value.errors
    )


def test_the_loader_refuses_a_mapping_it_cannot_check(tmp_path):
    def change(items):
        items["mnc_linkage"]["carried_from"] = {"version": 1, "item": "maturity"}

    path = _pair(tmp_path, change)
    (tmp_path / "small-v1.yaml").unlink()
    with pytest.raises(DefinitionError, match="version 1 of 'small', which is not beside"):
        read_file(path)


def test_a_count_per_period_is_never_carried(tmp_path):
    def change(items):
        items["projects_12m"]["carry"] = True

    with pytest.raises(DefinitionError, match=r"count asked per period .* is never carried"):
        read_file(_pair(tmp_path, change))

    def mapped(items):
        items["projects_12m"]["carried_from"] = {"version": 1, "item": "unit_staff"}

    with pytest.raises(DefinitionError, match="'carried_from' on an item that is never carried"):
        read_file(_pair(tmp_path, mapped))

    def not_bool(items):
        items["practice"]["carry"] = "no"

    with pytest.raises(DefinitionError, match="'carry' must be true or false"):
        read_file(_pair(tmp_path, not_bool))


# --- the mapping, v1 -> v2 (a pure function) ---------------------------------------------------


def test_v1_to_v2_same_ids_are_copied_as_they_are(v1, v2):
    plan = plan_carry(
        v1, v2, _answers(str_cooperation_in_s3=3, gov_staff_fte=2.5, par_tp_role="lead")
    )
    copies = {copy.item.id: (copy.source, copy.value) for copy in plan.copies}
    assert copies == {
        "str_cooperation_in_s3": ("str_cooperation_in_s3", 3),
        "gov_staff_fte": ("gov_staff_fte", 2.5),
        "par_tp_role": ("par_tp_role", "lead"),
    }
    assert not any(copy.is_mapped for copy in plan.copies)


def test_v1_to_v2_through_the_declared_mapping(v1, v2):
    plan = plan_carry(
        v1, v2, _answers(uni_collaboration_incentives=False, mnc_linkage_programmes=1)
    )
    copies = {copy.item.id: (copy.source, copy.value, copy.is_mapped) for copy in plan.copies}
    assert copies == {
        "uni_interregional_incentives": ("uni_collaboration_incentives", False, True),
        "mnc_linkage_interregional": ("mnc_linkage_programmes", 0, True),
    }
    assert plan.not_in_version == []


def test_v1_to_v2_values_the_mapping_does_not_list_are_not_carried(v1, v2):
    plan = plan_carry(v1, v2, _answers(uni_collaboration_incentives=True, mnc_linkage_programmes=3))
    assert plan.copies == []
    assert plan.not_valid == ["uni_interregional_incentives", "mnc_linkage_interregional"]


def test_v1_to_v2_counts_and_dropped_items_are_not_carried(v1, v2):
    plan = plan_carry(
        v1,
        v2,
        _answers(mon_projects_count=12, sme_count=30, str_priority_areas_covered=50),
    )
    assert plan.copies == []
    # The share in the last 12 months is asked per period (carry: false in v2).
    assert plan.per_period == ["str_priority_areas_covered"]
    # The counts since 2021 became counts per 12 months under new ids, with no mapping.
    assert plan.not_in_version == ["mon_projects_count", "sme_count"]


def test_v1_to_v2_an_answer_the_new_item_refuses_is_not_carried(v1, v2):
    # v1 offered "not applicable" on par_edih_cooperation, v2 does not.
    plan = plan_carry(v1, v2, _answers(par_edih_cooperation="na", par_tp_platforms=["none"]))
    assert plan.copies == []
    assert plan.not_valid == ["par_tp_platforms", "par_edih_cooperation"]


def test_a_hidden_answer_of_the_earlier_response_is_not_carried(v1, v2):
    plan = plan_carry(v1, v2, _answers(par_tp_role="none", par_tp_names="Stale partnership"))
    assert [copy.item.id for copy in plan.copies] == ["par_tp_role"]


def test_a_reason_for_not_applicable_goes_with_it(v1, v2):
    answers = {"mnc_linkage_programmes": OldAnswer("na", "No multinational here", "https://a.eu")}
    (copy,) = plan_carry(v1, v2, answers).copies
    assert (copy.value, copy.na_reason, copy.evidence) == (
        "na",
        "No multinational here",
        "https://a.eu",
    )


# --- the copy -----------------------------------------------------------------------------------


@pytest.fixture
def make_round(app, small_questionnaire):
    def _make(name, opens, state=RoundState.closed, questionnaire=None):
        round_ = Round(
            name=name,
            questionnaire=questionnaire or small_questionnaire,
            opens_on=opens,
            closes_on=opens + timedelta(days=60),
            state=state,
        )
        db.session.add(round_)
        db.session.commit()
        return round_

    return _make


@pytest.fixture
def world(create_region, create_user, make_round):
    """Region ES21: a validated 2025 autumn response on small v1, a draft in the open 2026
    spring round; its officer; an officer of another region."""
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", name="Olga", regions=[region])
    autumn = make_round("2025 autumn", date(2025, 9, 1))
    spring = make_round("2026 spring", date(2026, 3, 1), RoundState.open)
    earlier = Assessment(region=region, round=autumn)
    db.session.add(earlier)
    db.session.flush()
    for item_id, value in {
        "maturity": 3,
        "has_unit": True,
        "unit_staff": 4,
        "budget_share": 25,
        "role": "member",
        "practice": "Our joint calls",
        "platform_note": "hidden: platforms not answered",
    }.items():
        db.session.add(
            Answer(
                assessment=earlier,
                item_id=item_id,
                section_id=earlier.round.questionnaire.parsed.item(item_id).section_id,
                value=value,
                evidence="https://example.org/plan" if item_id == "maturity" else None,
            )
        )
    earlier.state = AssessmentState.validated
    draft = Assessment(region=region, round=spring)
    db.session.add(draft)
    db.session.commit()
    return {"region": region, "officer": officer, "earlier": earlier, "draft": draft}


def _stored(assessment_id):
    db.session.expire_all()
    return {
        answer.item_id: answer
        for answer in db.session.scalars(select(Answer).filter_by(assessment_id=assessment_id))
    }


def test_the_previous_response_is_the_latest_submitted_earlier_one(
    world, make_round, create_region
):
    assert previous_response(world["draft"]).id == world["earlier"].id
    # A later draft sent back for changes, a draft, another region's: none of them.
    for name, opens, state in (
        ("2025 winter", date(2025, 12, 1), AssessmentState.changes_requested),
        ("2025 december", date(2025, 11, 1), AssessmentState.draft),
    ):
        other = Assessment(region=world["region"], round=make_round(name, opens), state=state)
        db.session.add(other)
    db.session.add(
        Assessment(
            region=create_region("ES22", "Navarra"),
            round=make_round("2026 january", date(2026, 1, 5)),
            state=AssessmentState.submitted,
        )
    )
    db.session.commit()
    assert previous_response(world["draft"]).id == world["earlier"].id
    # Never a later round's.
    later = Assessment(
        region=world["region"],
        round=make_round("2026 autumn", date(2026, 9, 1)),
        state=AssessmentState.submitted,
    )
    db.session.add(later)
    db.session.commit()
    assert previous_response(world["draft"]).id == world["earlier"].id


def test_carry_copies_marks_and_audits(world):
    result = carry_forward(world["draft"], world["officer"], fill_blanks=False)
    db.session.commit()
    assert (result.copied, result.mapped, result.kept) == (6, 0, 0)
    stored = _stored(world["draft"].id)
    assert {item_id: answer.value for item_id, answer in stored.items()} == {
        "maturity": 3,
        "has_unit": True,
        "unit_staff": 4,
        "budget_share": 25,
        "role": "member",
        "practice": "Our joint calls",
    }
    maturity = stored["maturity"]
    assert maturity.carried_from_id == world["earlier"].id
    assert maturity.carried_at is not None and maturity.carry_confirmed_at is None
    assert maturity.evidence == "https://example.org/plan"
    assert maturity.section_id == "basics"
    (event,) = db.session.scalars(
        select(AuditEvent).filter_by(action="assessment.carried_forward")
    ).all()
    assert event.assessment_id == world["draft"].id
    assert event.user_id == world["officer"].id
    assert event.new_value == {
        "from_assessment": world["earlier"].id,
        "from_round": "2025 autumn",
        "from_version": 1,
        "copied": 6,
        "mapped": 0,
        "kept": 0,
        "not_carried_per_period": [],
        "not_in_version": 0,
        "not_valid": [],
    }
    # One event for the copy, none per answer.
    assert db.session.scalars(select(AuditEvent).filter_by(action="answer.changed")).all() == []


def test_a_second_carry_duplicates_nothing(world):
    carry_forward(world["draft"], world["officer"], fill_blanks=False)
    db.session.commit()
    before = {k: (a.id, a.version) for k, a in _stored(world["draft"].id).items()}
    with pytest.raises(AnswersExist):
        carry_forward(world["draft"], world["officer"], fill_blanks=False)
    db.session.rollback()
    result = carry_forward(world["draft"], world["officer"], fill_blanks=True)
    db.session.commit()
    assert (result.copied, result.kept) == (0, 6)
    assert {k: (a.id, a.version) for k, a in _stored(world["draft"].id).items()} == before


def test_answers_given_are_kept_and_only_blanks_filled(world):
    officer = world["officer"]
    save_answer(world["draft"], "maturity", 5, officer)
    save_answer(world["draft"], "role", "lead", officer)
    save_answer(world["draft"], "role", None, officer)  # cleared: blank again
    db.session.commit()
    with pytest.raises(AnswersExist):
        carry_forward(world["draft"], officer, fill_blanks=False)
    db.session.rollback()
    result = carry_forward(world["draft"], officer, fill_blanks=True)
    db.session.commit()
    assert (result.copied, result.kept) == (5, 1)
    stored = _stored(world["draft"].id)
    assert stored["maturity"].value == 5 and stored["maturity"].carried_from_id is None
    assert stored["role"].value == "member" and stored["role"].carried_from_id is not None


def test_nothing_to_carry_without_a_submitted_response(world):
    world["earlier"].state = AssessmentState.changes_requested
    db.session.commit()
    with pytest.raises(NothingToCarry):
        carry_forward(world["draft"], world["officer"], fill_blanks=False)


@pytest.mark.parametrize("why", ["submitted", "closed"])
def test_carry_needs_an_editable_assessment_in_an_open_round(world, why):
    if why == "submitted":
        world["draft"].state = AssessmentState.submitted
    else:
        world["draft"].round.state = RoundState.closed
    db.session.commit()
    with pytest.raises(NotEditable):
        carry_forward(world["draft"], world["officer"], fill_blanks=False)


def _earlier_and_draft(make_round, region, earlier, questionnaire):
    """The region's response of 2025 autumn, ``earlier`` = (its questionnaire, its state, its
    answers: item id -> value), and its draft of the open 2026 spring round on
    ``questionnaire``: the draft."""
    earlier_questionnaire, state, answers = earlier
    response = Assessment(
        region=region,
        round=make_round("2025 autumn", date(2025, 9, 1), questionnaire=earlier_questionnaire),
        state=state,
    )
    db.session.add(response)
    db.session.flush()
    for item_id, value in answers.items():
        section = earlier_questionnaire.parsed.item(item_id).section_id
        db.session.add(
            Answer(assessment=response, item_id=item_id, section_id=section, value=value)
        )
    draft = Assessment(
        region=region,
        round=make_round(
            "2026 spring", date(2026, 3, 1), RoundState.open, questionnaire=questionnaire
        ),
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def test_counts_per_period_are_never_copied(create_region, create_user, make_round, fixture_path):
    v2 = load_questionnaire(fixture_path("small-v2.yaml")).questionnaire
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    draft = _earlier_and_draft(
        make_round,
        region,
        (v2, AssessmentState.submitted, {"maturity": 2, "projects_12m": 7, "plain_count": 3}),
        v2,
    )
    result = carry_forward(draft, officer, fill_blanks=False)
    db.session.commit()
    assert result.copied == 1
    assert sorted(result.plan.per_period) == ["plain_count", "projects_12m"]
    assert set(_stored(draft.id)) == {"maturity"}


def test_v1_round_into_v2_round_through_the_mapping(create_region, create_user, make_round):
    q1 = load_questionnaire(V1).questionnaire
    q2 = load_questionnaire(V2).questionnaire
    region = create_region("ES21", "País Vasco")
    officer = create_user(email="olga@example.org", regions=[region])
    answers = {
        "str_cooperation_in_s3": 4,
        "uni_collaboration_incentives": False,
        "mnc_linkage_programmes": "na",
        "mon_projects_count": 9,
        "sme_count": 14,
        "str_priority_areas_covered": 60,
        "par_edih_cooperation": "na",
    }
    draft = _earlier_and_draft(make_round, region, (q1, AssessmentState.validated, answers), q2)
    result = carry_forward(draft, officer, fill_blanks=False)
    db.session.commit()
    stored = _stored(draft.id)
    assert {item_id: answer.value for item_id, answer in stored.items()} == {
        "str_cooperation_in_s3": 4,
        "uni_interregional_incentives": False,
        "mnc_linkage_interregional": "na",
    }
    assert stored["mnc_linkage_interregional"].section_id == "multinationals"
    assert (result.copied, result.mapped) == (3, 2)
    event = db.session.scalar(select(AuditEvent).filter_by(action="assessment.carried_forward"))
    assert event.new_value["not_carried_per_period"] == ["str_priority_areas_covered"]
    assert event.new_value["not_in_version"] == 2  # mon_projects_count, sme_count
    assert event.new_value["not_valid"] == ["par_edih_cooperation"]
    # "Not applicable" needs its reason in v2: the submit check says so, as for any answer.
    check = submit_check(db.session.get(Assessment, draft.id))
    assert "mnc_linkage_interregional" in {item.id for item in check.without_reason}


# --- the mark: confirmed, changed ------------------------------------------------------------


@pytest.fixture
def carried(world):
    carry_forward(world["draft"], world["officer"], fill_blanks=False)
    db.session.commit()
    return world


def test_changing_a_carried_answer_clears_its_mark(carried):
    draft, officer = carried["draft"], carried["officer"]
    save_answer(draft, "maturity", 4, officer)
    db.session.commit()
    maturity = _stored(draft.id)["maturity"]
    assert (maturity.carried_from_id, maturity.carried_at, maturity.carry_confirmed_at) == (
        None,
        None,
        None,
    )


def test_the_same_answer_saved_again_or_a_comment_keeps_the_mark_unconfirmed(carried):
    draft, officer = carried["draft"], carried["officer"]
    save_answer(draft, "maturity", 3, officer)
    save_answer(draft, "role", "member", officer, comment="Still a member", keep_comment=False)
    db.session.commit()
    stored = _stored(draft.id)
    assert stored["maturity"].is_unconfirmed_carry
    assert stored["role"].is_unconfirmed_carry and stored["role"].comment == "Still a member"


def test_a_changed_evidence_is_a_change(carried):
    save_answer(carried["draft"], "maturity", 3, carried["officer"], evidence="https://b.eu")
    db.session.commit()
    assert _stored(carried["draft"].id)["maturity"].carried_from_id is None


def test_confirm_one_then_a_section(carried):
    draft, officer = carried["draft"], carried["officer"]
    assert confirm_carried(draft, officer, item_id="maturity") == 1
    assert confirm_carried(draft, officer, item_id="maturity") == 0
    db.session.commit()
    stored = _stored(draft.id)
    assert stored["maturity"].carry_confirmed_at is not None
    assert stored["maturity"].carried_from_id == carried["earlier"].id  # still carried unchanged
    assert stored["has_unit"].is_unconfirmed_carry
    version = stored["maturity"].version
    assert confirm_carried(draft, officer, section_id="basics") == 3  # has_unit, unit_staff, budget
    db.session.commit()
    stored = _stored(draft.id)
    waiting = sorted(a.item_id for a in stored.values() if a.is_unconfirmed_carry)
    assert waiting == ["practice", "role"]
    assert stored["maturity"].version == version  # a confirmation is no change of the answer
    events = db.session.scalars(
        select(AuditEvent.item_id).filter_by(action="answer.carry_confirmed")
    ).all()
    assert sorted(events) == ["budget_share", "has_unit", "maturity", "unit_staff"]


def test_submit_lists_unconfirmed_answers_as_a_warning(carried):
    draft, officer = carried["draft"], carried["officer"]
    confirm_carried(draft, officer, section_id="basics")
    save_answer(draft, "practice", "Our new joint calls", officer)
    db.session.commit()
    check = submit_check(db.session.get(Assessment, draft.id))
    assert [item.id for item in check.unconfirmed] == ["role"]
    assert not check.is_blocked


# --- pages -----------------------------------------------------------------------------------


def test_the_overview_offers_the_copy_and_asks_to_keep_answers(client, login, world):
    login(world["officer"])
    page = client.get(f"/assessments/{world['draft'].id}").get_data(as_text=True)
    assert "Start from your previous response" in page and "2025 autumn" in page
    assert 'name="fill_blanks"' not in page
    save_answer(world["draft"], "maturity", 5, world["officer"])
    db.session.commit()
    page = client.get(f"/assessments/{world['draft'].id}").get_data(as_text=True)
    assert 'name="fill_blanks"' in page
    response = client.post(f"/assessments/{world['draft'].id}/carry-forward")
    assert response.status_code == 302
    assert set(_stored(world["draft"].id)) == {"maturity"}
    response = client.post(
        f"/assessments/{world['draft'].id}/carry-forward", data={"fill_blanks": "y"}
    )
    assert response.status_code == 302
    assert _stored(world["draft"].id)["maturity"].value == 5
    assert _stored(world["draft"].id)["role"].value == "member"


def test_section_page_marks_and_confirms(client, login, carried):
    login(carried["officer"])
    base = f"/assessments/{carried['draft'].id}"
    page = client.get(f"{base}/sections/basics").get_data(as_text=True)
    assert page.count("From 2025 autumn, not yet confirmed") == 4
    assert "Confirm all on this page" in page
    response = client.post(f"{base}/answers/maturity/confirm")
    assert response.status_code == 302 and response.location.endswith("#item-maturity")
    page = client.get(f"{base}/sections/basics").get_data(as_text=True)
    assert page.count("From 2025 autumn, not yet confirmed") == 3
    assert "From 2025 autumn, confirmed" in page
    client.post(f"{base}/sections/basics/confirm")
    page = client.get(f"{base}/sections/basics").get_data(as_text=True)
    assert "not yet confirmed" not in page and "Confirm all on this page" not in page
    page = client.get(f"{base}/submit").get_data(as_text=True)
    assert "2 answers carried from an earlier round are not yet confirmed" in page


def test_autosave_tells_the_page_the_mark_is_gone(client, login, carried):
    login(carried["officer"])
    url = f"/assessments/{carried['draft'].id}/answers/maturity"
    version = _stored(carried["draft"].id)["maturity"].version
    reply = client.post(url, json={"value": ["3"], "version": version, "comment": "same"}).json
    assert reply["carried"] is True
    reply = client.post(url, json={"value": ["4"], "version": reply["version"]}).json
    assert reply["carried"] is False


def test_the_expert_sees_which_answers_were_carried_unchanged(client, login, create_user, carried):
    draft, officer = carried["draft"], carried["officer"]
    confirm_carried(draft, officer, item_id="maturity")
    save_answer(draft, "has_unit", False, officer)
    save_answer(draft, "unit_staff", None, officer)
    draft.state = AssessmentState.submitted
    db.session.commit()
    login(create_user(email="expert@example.org", role=Role.expert))
    page = client.get(f"/reviews/{draft.id}/sections/basics").get_data(as_text=True)
    assert page.count("Carried from 2025 autumn unchanged") == 2  # maturity, budget_share
    assert "The region confirmed it for this round." in page
    assert "The region has not confirmed it for this round." in page


def test_the_history_tells_the_copy(client, login, carried):
    login(carried["officer"])
    page = client.get(f"/assessments/{carried['draft'].id}/history").get_data(as_text=True)
    assert "Copied 6 answers from 2025 autumn (carry forward)" in page


# --- access ------------------------------------------------------------------------------------


def _posts(draft_id):
    return [
        f"/assessments/{draft_id}/carry-forward",
        f"/assessments/{draft_id}/answers/maturity/confirm",
        f"/assessments/{draft_id}/sections/basics/confirm",
    ]


def test_only_the_regions_officers_carry_and_confirm(
    app, login, create_user, create_region, carried
):
    other = create_user(email="otto@example.org", regions=[create_region("ES22", "Navarra")])
    expert = create_user(email="expert@example.org", role=Role.expert)
    admin = create_user(email="admin@example.org", role=Role.admin)
    for user in (other, expert, admin):
        client = app.test_client()
        login(user, client=client)
        for url in _posts(carried["draft"].id):
            assert client.post(url).status_code == 404, (user.email, url)
    assert all(a.is_unconfirmed_carry for a in _stored(carried["draft"].id).values())


@pytest.mark.parametrize("why", ["submitted", "closed"])
def test_nothing_is_carried_or_confirmed_once_not_editable(client, login, carried, why):
    if why == "submitted":
        carried["draft"].state = AssessmentState.submitted
    else:
        carried["draft"].round.state = RoundState.closed
    db.session.commit()
    login(carried["officer"])
    for url in _posts(carried["draft"].id):
        assert client.post(url).status_code == 403, url
    assert all(a.is_unconfirmed_carry for a in _stored(carried["draft"].id).values())


def test_carry_only_updates_of_a_used_version_are_loaded(tmp_path, create_region, make_round):
    """Adding carry-forward declarations to a version with answers changes no answer or score:
    the loader accepts it (any other change needs a new version number)."""
    (tmp_path / "small-v1.yaml").write_text((FIXTURES / "small-v1.yaml").read_text())
    v2_path = tmp_path / "small-v2.yaml"
    v2_path.write_text((FIXTURES / "small-v2.yaml").read_text())
    questionnaire = load_questionnaire(v2_path).questionnaire
    round_ = make_round("2026 spring", date(2026, 3, 1), RoundState.open, questionnaire)
    assessment = Assessment(region=create_region(), round=round_)
    db.session.add(assessment)
    db.session.flush()
    save_answer(assessment, "maturity", 2, None)
    db.session.commit()
    text = v2_path.read_text().replace(
        "      - id: mnc_linkage\n",
        "      - id: mnc_linkage\n        carried_from: {version: 1, item: maturity}\n",
    )
    v2_path.write_text(text)
    result = load_questionnaire(v2_path)
    assert result.outcome == "carry forward updated"
    assert result.questionnaire.parsed.item("mnc_linkage").carried_from["item"] == "maturity"


# --- in the browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_an_officer_carries_forward_confirms_changes_and_is_warned(live_server, page, world):
    """Headless Chromium: copy the previous response, see the mark, confirm one answer,
    change another (the mark goes as it saves), and see the rest listed on the submit page."""
    import re

    from playwright.sync_api import expect

    base, draft_id = live_server, world["draft"].id
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))

    page.goto(f"{base}/assessments/{draft_id}")
    page.get_by_role("button", name="Copy the answers of 2025 autumn").click()
    expect(page.locator(".flash").first).to_contain_text("6 answers copied from 2025 autumn")

    page.goto(f"{base}/assessments/{draft_id}/sections/basics")
    maturity, has_unit = page.locator("#item-maturity"), page.locator("#item-has_unit")
    expect(maturity.locator(".carry-mark")).to_have_text(
        re.compile(r"From 2025 autumn, not yet confirmed")
    )
    expect(maturity.locator('[name="maturity"][value="3"]')).to_be_checked()
    maturity.get_by_role("button", name="Confirm").click()
    expect(page.locator("#item-maturity .carry-mark")).to_have_text(
        re.compile(r"^\s*From 2025 autumn, confirmed\s*$")
    )
    assert page.locator("#item-maturity").get_by_role("button", name="Confirm").count() == 0

    expect(has_unit.locator(".carry-mark")).to_contain_text("not yet confirmed")
    has_unit.locator('[name="has_unit"][value="no"]').check()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    expect(has_unit.locator(".carry-mark")).to_have_count(0)

    page.goto(f"{base}/assessments/{draft_id}/submit")
    warning = page.locator("#unconfirmed")
    # Maturity confirmed, has_unit changed, unit_staff hidden by the change: three are left.
    expect(warning).to_contain_text("3 answers carried from an earlier round are not yet confirmed")
    expect(warning.get_by_role("link")).to_have_text(
        [
            "Share of the S3 budget for interregional actions",
            "Role in Thematic Partnerships",
            "Describe a good practice",
        ]
    )
    # A warning, not a block: the submit button is there.
    expect(page.get_by_role("button", name="Submit the assessment")).to_be_visible()


def test_the_demo_officers_draft_can_start_from_the_previous_round(cli, client):
    """flask demo seed: the officer's half-filled v2 draft offers the copy of the region's
    v1 response (existing answers kept, blanks filled, through v2's mapping)."""
    result = cli.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    logins = dict(line.split() for line in result.output.splitlines() if "@demo.example" in line)
    officer = db.session.scalar(select(User).filter_by(email="officer@demo.example"))
    region = db.session.scalar(select(Region).filter_by(code="ES21"))
    open_round = db.session.scalar(select(Round).filter_by(state=RoundState.open))
    draft = db.session.scalar(select(Assessment).filter_by(region=region, round=open_round))
    previous = previous_response(draft)
    assert previous.round.questionnaire.version == 1
    client.post("/login", data={"email": officer.email, "password": logins[officer.email]})
    page = client.get(f"/assessments/{draft.id}").get_data(as_text=True)
    assert f"Copy the answers of {previous.round.name}" in page
    assert 'name="fill_blanks"' in page  # the draft has answers: they are kept
    before = {a.item_id: a.value for a in _stored(draft.id).values() if a.value is not None}
    client.post(f"/assessments/{draft.id}/carry-forward", data={"fill_blanks": "y"})
    after = _stored(draft.id)
    assert all(after[item_id].value == value for item_id, value in before.items())
    copied = [a for a in after.values() if a.carried_from_id == previous.id]
    assert copied and all(a.item_id not in before for a in copied)
    event = db.session.scalar(select(AuditEvent).filter_by(action="assessment.carried_forward"))
    assert event.new_value["copied"] == len(copied)
