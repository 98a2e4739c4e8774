"""The officer's side of method 2.0 (format 2 questionnaires): "don't know", "not applicable"
with a reason, evidence at levels 3-5 and on a scored "yes", and the submit rules (D7)."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import (
    AnswerFieldError,
    EvidenceNotConfirmed,
    Incomplete,
    answer_of_event,
    save_answer,
    submit_assessment,
    submit_check,
)
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire


@pytest.fixture
def small_v2(fixture_path):
    return load_questionnaire(fixture_path("small-v2.yaml")).questionnaire


@pytest.fixture
def region(create_region):
    return create_region("ES21", "País Vasco")


@pytest.fixture
def officer(create_user, region):
    return create_user(email="olga@example.org", name="Olga", regions=[region])


@pytest.fixture
def assessment(create_assessment, create_round, region, small_v2):
    return create_assessment(region=region, round_=create_round(questionnaire=small_v2))


def section_url(assessment, section="networks"):
    return f"/assessments/{assessment.id}/sections/{section}"


def autosave(client, assessment, item_id, value, version=0, **extra):
    return client.post(
        f"/assessments/{assessment.id}/answers/{item_id}",
        json={"value": value, "version": version, **extra},
    )


def stored(assessment, item_id):
    db.session.expire_all()
    return db.session.scalar(select(Answer).filter_by(assessment_id=assessment.id, item_id=item_id))


def block(page, item_id):
    """The HTML of one item's block on a section page."""
    match = re.search(
        rf'<fieldset class="item[^"]*" id="item-{item_id}".*?</fieldset>', page, re.DOTALL
    )
    assert match, item_id
    return match.group(0)


def opening_tag(html, marker):
    """The opening tag of the element carrying ``marker`` (an attribute)."""
    match = re.search(rf"<[a-z]+ [^>]*{marker}[^>]*>", html)
    assert match, marker
    return match.group(0)


def answer_everything(assessment, user, **overrides):
    """Answer every visible scored item of small-v2 (levels below 3: no evidence asked)."""
    answers = {
        "maturity": 2,
        "has_plan": False,
        "budget_share": 10,
        "tp_role": "none",
        "projects_12m": 3,
        "sme_services": "dk",
        "mnc_linkage": 1,
        **overrides,
    }
    for item_id, value in answers.items():
        if isinstance(value, tuple):
            save_answer(assessment, item_id, value[0], user, **value[1])
        else:
            save_answer(assessment, item_id, value, user)
    db.session.commit()


# --- the section page ----------------------------------------------------------------------


def test_not_applicable_shows_the_items_reason_prompt_and_requires_a_reason(
    client, login, officer, assessment
):
    login(officer)
    page = client.get(section_url(assessment)).get_data(as_text=True)
    mnc = block(page, "mnc_linkage")
    assert "Explain why: e.g. no multinational company has an establishment" in mnc
    assert 'name="mnc_linkage__na_reason"' in mnc
    assert " hidden" in opening_tag(mnc, "data-na-reason-for")  # no N/A chosen: out of sight
    assert "__na_reason" not in block(page, "sme_services")  # no allow_na: no reason input

    # Without JavaScript: N/A without a reason is an error at the reason, and nothing is saved.
    response = client.post(
        section_url(assessment),
        data={"mnc_linkage": "na", "mnc_linkage__version": "0", "mnc_linkage__na_reason": " "},
    )
    assert response.status_code == 422
    mnc = block(response.get_data(as_text=True), "mnc_linkage")
    assert " hidden" not in opening_tag(mnc, "data-na-reason-for")
    error = re.search(r'data-error-for="mnc_linkage__na_reason"[^>]*>([^<]*)<', mnc).group(1)
    assert error == "Say why this does not apply to your region."
    assert 'value="na" checked' in mnc  # what was chosen stays in the form
    assert stored(assessment, "mnc_linkage") is None

    response = client.post(
        section_url(assessment),
        data={
            "mnc_linkage": "na",
            "mnc_linkage__version": "0",
            "mnc_linkage__na_reason": "No multinational\nhas an establishment here ",
        },
    )
    assert response.status_code == 302
    answer = stored(assessment, "mnc_linkage")
    assert (answer.value, answer.na_reason) == ("na", "No multinational has an establishment here")
    page = client.get(section_url(assessment)).get_data(as_text=True)
    mnc = block(page, "mnc_linkage")
    assert " hidden" not in opening_tag(mnc, "data-na-reason-for")
    assert 'value="No multinational has an establishment here"' in mnc


def test_a_reason_goes_with_its_not_applicable_answer(officer, assessment):
    save_answer(assessment, "mnc_linkage", "na", officer, na_reason="No multinational here")
    # Another answer drops the reason: experts judge reasons of N/A answers only.
    save_answer(assessment, "mnc_linkage", 2, officer)
    assert stored(assessment, "mnc_linkage").na_reason is None
    with pytest.raises(AnswerFieldError) as caught:
        save_answer(assessment, "mnc_linkage", "na", officer)
    assert caught.value.field == "na_reason"
    with pytest.raises(AnswerFieldError, match="Shorten this to 500 characters"):
        save_answer(assessment, "mnc_linkage", "na", officer, na_reason="x" * 501)


def test_evidence_input_shown_at_level_3_not_at_2(client, login, officer, assessment):
    login(officer)
    page = client.get(section_url(assessment, "basics")).get_data(as_text=True)
    maturity = block(page, "maturity")
    tag = opening_tag(maturity, "data-evidence-for")
    assert "&#34;3&#34;, &#34;4&#34;, &#34;5&#34;" in tag and " hidden" in tag
    assert " hidden" in opening_tag(block(page, "has_plan"), "data-evidence-for")
    assert "data-evidence-for" not in block(page, "budget_share")  # a percent asks for none
    networks = client.get(section_url(assessment)).get_data(as_text=True)
    assert "data-evidence-for" not in block(networks, "sme_analysis")  # context: not scored

    autosave(client, assessment, "maturity", ["2"])
    page = client.get(section_url(assessment, "basics")).get_data(as_text=True)
    assert " hidden" in opening_tag(block(page, "maturity"), "data-evidence-for")
    autosave(client, assessment, "maturity", ["3"], version=1)
    autosave(client, assessment, "has_plan", ["yes"])
    page = client.get(section_url(assessment, "basics")).get_data(as_text=True)
    assert " hidden" not in opening_tag(block(page, "maturity"), "data-evidence-for")
    assert " hidden" not in opening_tag(block(page, "has_plan"), "data-evidence-for")


def test_evidence_saved_with_the_answer_from_the_section_form(client, login, officer, assessment):
    login(officer)
    response = client.post(
        section_url(assessment, "basics"),
        data={
            "maturity": "4",
            "maturity__version": "0",
            "maturity__evidence": "https://example.org/s3-action-plan.pdf p. 12",
        },
    )
    assert response.status_code == 302
    answer = stored(assessment, "maturity")
    assert (answer.value, answer.evidence) == (4, "https://example.org/s3-action-plan.pdf p. 12")
    response = client.post(
        section_url(assessment, "basics"),
        data={"maturity": "4", "maturity__version": "1", "maturity__evidence": "x" * 1001},
    )
    assert response.status_code == 422
    error = re.search(
        r'data-error-for="maturity__evidence"[^>]*>([^<]*)<', response.get_data(as_text=True)
    )
    assert "Shorten this to 1000 characters" in error.group(1)
    assert stored(assessment, "maturity").evidence.endswith("p. 12")  # nothing lost


def test_dont_know_is_offered_and_saved(client, login, officer, assessment):
    login(officer)
    page = client.get(section_url(assessment)).get_data(as_text=True)
    for item_id in ("tp_role", "sme_services", "mnc_linkage"):
        assert f'name="{item_id}" value="dk"' in block(page, item_id), item_id
    assert 'type="checkbox" name="projects_12m" value="dk"' in block(page, "projects_12m")
    assert 'value="dk"' not in block(page, "sme_analysis")  # context items offer no DK
    assert 'value="dk"' not in block(page, "platforms")

    response = client.post(
        section_url(assessment),
        data={
            "sme_services": "dk",
            "sme_services__version": "0",
            "projects_12m": ["", "dk"],
            "projects_12m__version": "0",
        },
    )
    assert response.status_code == 302
    assert stored(assessment, "sme_services").value == "dk"
    assert stored(assessment, "projects_12m").value == "dk"
    assert autosave(client, assessment, "tp_role", ["dk"]).status_code == 200
    assert stored(assessment, "tp_role").value == "dk"
    page = client.get(section_url(assessment)).get_data(as_text=True)
    assert 'value="dk" checked' in block(page, "sme_services")
    projects = block(page, "projects_12m")
    assert 'value="dk" checked' in projects and 'value="dk"' not in projects.split("checkbox")[0]


def test_format_1_offers_no_dont_know(client, login, create_user, create_assessment, region):
    officer = create_user(email="olga@example.org", regions=[region])
    assessment = create_assessment(region=region)
    login(officer)
    page = client.get(section_url(assessment, "basics")).get_data(as_text=True)
    assert 'value="dk"' not in page
    assert "__na_reason" not in page and "data-evidence-for" not in page
    assert autosave(client, assessment, "maturity", ["dk"]).status_code == 422
    # N/A needs no reason in format 1.
    assert autosave(client, assessment, "maturity", ["na"]).status_code == 200


def test_autosave_takes_reason_and_evidence(client, login, officer, assessment):
    login(officer)
    response = autosave(client, assessment, "mnc_linkage", ["na"], na_reason="")
    assert response.status_code == 422
    assert response.json == {
        "error": "Say why this does not apply to your region.",
        "field": "mnc_linkage__na_reason",
    }
    assert stored(assessment, "mnc_linkage") is None
    response = autosave(client, assessment, "mnc_linkage", ["na"], na_reason="No MNC here")
    assert response.status_code == 200, response.json
    assert response.json["na_reason"] == "No MNC here" and response.json["version"] == 1
    # A save without the keys keeps them (a client that sends the value only).
    response = autosave(client, assessment, "mnc_linkage", ["na"], version=1, comment="c")
    assert response.status_code == 200 and stored(assessment, "mnc_linkage").na_reason

    response = autosave(client, assessment, "sme_services", ["5"], evidence="keep.eu project 1234")
    assert response.status_code == 200
    assert response.json["evidence"] == "keep.eu project 1234"
    answer = stored(assessment, "sme_services")
    assert (answer.value, answer.evidence) == (5, "keep.eu project 1234")
    response = autosave(client, assessment, "sme_services", ["5"], version=1, evidence="y" * 1001)
    assert response.status_code == 422 and response.json["field"] == "sme_services__evidence"
    assert autosave(client, assessment, "sme_services", ["5"], evidence=3).status_code == 400
    # A conflict tells the other writer's reason and evidence.
    response = autosave(client, assessment, "sme_services", ["4"], version=0)
    assert response.status_code == 409
    assert response.json["current"]["evidence"] == "keep.eu project 1234"


def test_reason_and_evidence_changes_are_audited_as_answer_changes(officer, assessment):
    save_answer(assessment, "mnc_linkage", "na", officer, na_reason="No MNC")
    save_answer(assessment, "mnc_linkage", "na", officer, na_reason="No MNC establishment")
    save_answer(assessment, "sme_services", 4, officer)
    save_answer(assessment, "sme_services", 4, officer, evidence="https://example.org/x")
    db.session.commit()
    events = db.session.execute(
        select(AuditEvent.item_id, AuditEvent.old_value, AuditEvent.new_value)
        .filter_by(action="answer.changed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(item, answer_of_event(old), answer_of_event(new)) for item, old, new in events] == [
        ("mnc_linkage", (None, None, None), ("na", "No MNC", None)),
        ("mnc_linkage", ("na", "No MNC", None), ("na", "No MNC establishment", None)),
        ("sme_services", (None, None, None), (4, None, None)),
        ("sme_services", (4, None, None), (4, None, "https://example.org/x")),
    ]
    assert events[2].new_value == 4  # without reason or evidence: the value as always


def test_response_view_and_print_show_reason_and_evidence(
    client, login, officer, assessment, create_user
):
    from surveyapp.auth.models import Role

    save_answer(assessment, "mnc_linkage", "na", officer, na_reason="No MNC establishment")
    save_answer(assessment, "sme_services", 4, officer, evidence="keep.eu 4242")
    save_answer(assessment, "maturity", 3, officer, evidence="javascript:alert(1)")
    save_answer(assessment, "has_plan", True, officer, evidence="https://example.org/plan")
    assessment.state = AssessmentState.submitted
    db.session.commit()
    login(create_user(email="expert@example.org", role=Role.expert))
    page = client.get(section_url(assessment)).get_data(as_text=True)
    assert "No MNC establishment" in block(page, "mnc_linkage")
    assert "keep.eu 4242" in block(page, "sme_services")
    basics = client.get(section_url(assessment, "basics")).get_data(as_text=True)
    assert '<a href="https://example.org/plan" rel="noopener noreferrer">' in basics
    assert 'href="javascript' not in basics and "javascript:alert(1)" in basics
    printed = client.get(f"/assessments/{assessment.id}/print").get_data(as_text=True)
    assert "No MNC establishment" in printed and "keep.eu 4242" in printed


# --- submitting (D7) -----------------------------------------------------------------------


def test_submit_blocks_on_missing_scored_answers_naming_them(client, login, officer, assessment):
    answer_everything(assessment, officer, maturity=None, mnc_linkage="dk")
    login(officer)
    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    # maturity has no "required: true": in format 2 every visible scored item must be answered.
    assert "1 required answer is missing" in review
    assert f"/assessments/{assessment.id}/sections/basics#item-maturity" in review
    assert "item-tp_activity" not in review  # hidden by its gate: nothing to answer
    assert "item-sme_analysis" not in review and "item-practice" not in review  # unscored
    response = client.post(f"/assessments/{assessment.id}/submit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.draft
    with pytest.raises(Incomplete) as caught:
        submit_assessment(db.session.get(Assessment, assessment.id), officer)
    assert [item.id for item in caught.value.items] == ["maturity"]


@pytest.mark.parametrize("reason", [None, "\u200b\u200b"])
def test_submit_blocks_on_not_applicable_without_reason(officer, assessment, reason):
    answer_everything(assessment, officer)
    # Stored without a reason (e.g. v1 data carried over), or with one of invisible characters
    # stored before those were refused: the check still asks for one.
    answer = stored(assessment, "mnc_linkage")
    answer.value, answer.na_reason = "na", reason
    db.session.commit()
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert [item.id for item in check.without_reason] == ["mnc_linkage"]
    assert check.is_blocked


def test_gated_items_count_once_their_gate_opens(officer, assessment):
    answer_everything(assessment, officer, tp_role="member")
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert [item.id for item in check.unanswered] == ["tp_activity"]


def test_evidence_warning_must_be_confirmed(client, login, officer, assessment):
    answer_everything(
        assessment,
        officer,
        maturity=4,
        has_plan=True,
        sme_services=(5, {"evidence": "keep.eu 4242"}),
        mnc_linkage=("na", {"na_reason": "No MNC establishment"}),
    )
    login(officer)
    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    warning = re.search(r'<div class="warning" id="without-evidence".*?</div>', review, re.DOTALL)
    assert warning, review
    assert "2 answers at levels 3 to 5, or Yes, have no evidence." in warning.group(0)
    assert "#item-maturity" in warning.group(0) and "#item-has_plan" in warning.group(0)
    assert "#item-sme_services" not in warning.group(0)  # it has evidence
    assert 'name="without_evidence"' in warning.group(0)

    response = client.post(f"/assessments/{assessment.id}/submit", data={"consent_named": "yes"})
    # The message at the box to tick, and the consent as it was chosen (it came back unticked).
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="without_evidence-error">([^<]+)</p>', page)
    assert error and "Some answers have no evidence" in error.group(1)
    assert re.search(r'<input type="checkbox" id="consent_named"[^>]* checked>', page)
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.draft
    with pytest.raises(EvidenceNotConfirmed) as caught:
        submit_assessment(db.session.get(Assessment, assessment.id), officer)
    assert [item.id for item in caught.value.items] == ["maturity", "has_plan"]
    db.session.rollback()

    client.post(f"/assessments/{assessment.id}/submit", data={"without_evidence": "yes"})
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.submitted


def test_submit_without_warnings_needs_no_confirmation(officer, assessment):
    answer_everything(assessment, officer)
    assert submit_assessment(db.session.get(Assessment, assessment.id), officer)


def test_format_1_submit_is_unchanged(client, login, create_user, create_assessment, region):
    """Format 1: only required items block; no evidence warning; an N/A needs no reason."""
    officer = create_user(email="olga@example.org", regions=[region])
    assessment = create_assessment(region=region)
    save_answer(assessment, "maturity", "na", officer)  # the only required item
    save_answer(assessment, "has_unit", True, officer)  # a scored "yes" without evidence
    db.session.commit()
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert (check.unanswered, check.without_reason, check.without_evidence) == ((), (), ())
    login(officer)
    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    assert "without-evidence" not in review
    client.post(f"/assessments/{assessment.id}/submit")
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).state == AssessmentState.submitted


# --- the shipped questionnaire v2 ----------------------------------------------------------


def test_questionnaire_v2_filled_and_submitted(
    client, login, tmp_path, officer, region, create_round, create_assessment
):
    """On the real v2 file: its structural N/A asks for its reason, counts offer "don't know",
    a round opens only once the region has a population, and submit names every scored item."""
    from datetime import date

    from surveyapp.regions.operations import import_population_file
    from surveyapp.rounds.models import RoundState
    from surveyapp.rounds.operations import PopulationsMissing, open_round

    v2 = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml").questionnaire
    definition = v2.parsed
    round_ = create_round(questionnaire=v2, state=RoundState.planned)
    with pytest.raises(PopulationsMissing):
        open_round(round_)  # its counts are scored against a size-relative target
    db.session.rollback()
    populations = tmp_path / "pop.csv"
    populations.write_text(f"code,year,population\nES21,{round_.reference_day.year},2227581\n")
    import_population_file(populations, source="INE")
    assert open_round(round_) and round_.reference_day == date(2026, 5, 31)
    db.session.commit()
    assessment = create_assessment(region=region, round_=round_)

    login(officer)
    page = client.get(section_url(assessment, "multinationals")).get_data(as_text=True)
    mnc = block(page, "mnc_linkage_interregional")
    prompt = definition.item("mnc_linkage_interregional").localized("na_reason")
    assert prompt and prompt.replace("'", "&#39;") in mnc
    assert 'name="mnc_linkage_interregional" value="dk"' in mnc
    page = client.get(section_url(assessment, "monitoring")).get_data(as_text=True)
    assert 'type="checkbox" name="mon_projects_active_12m" value="dk"' in page

    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    visible_scored = [item for item in definition.items if item.is_scored and item.is_visible({})]
    for item in visible_scored:
        assert f"#item-{item.id}" in review, item.id
    assert "#item-par_tp_activity" not in review  # gated on membership: hidden, nothing asked
    # Everything "don't know" but one structural N/A with its reason: submitted, no warning.
    for item in visible_scored:
        value = "na" if item.allow_na and item.id.startswith("mnc_") else "dk"
        reason = (
            {"na_reason": "No multinational has an establishment here"} if value == "na" else {}
        )
        save_answer(assessment, item.id, value, officer, **reason)
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert {item.id for item in check.unanswered} == {  # the required unscored ones
        item.id for item in definition.items if item.required and not item.is_scored
    }
    unscored = {
        "abt_respondent_org": "Basque Business Development Agency",
        "abt_s3_priority_areas": "Advanced manufacturing, energy, health",
        "abt_s3_domains": ["energy"],
        "cpr_criterion7_fulfilled": False,
        "cpr_justification": "Interregional actions are planned but not yet budgeted.",
    }
    for item_id, value in unscored.items():
        save_answer(assessment, item_id, value, officer)
    db.session.commit()
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert not check.is_blocked and check.without_evidence == ()
    assert submit_assessment(db.session.get(Assessment, assessment.id), officer)


def test_a_file_attached_to_a_question_is_its_answers_evidence(client, login, officer, assessment):
    """An officer attached a document to a question ("What it supports"): the submit still
    listed the answer as having no evidence, the expert saw "No evidence" and the reports
    counted it without. A file counts as a typed link or reference does, for that question."""
    from surveyapp.analysis.frame import load_answers
    from surveyapp.reviews.queries import item_moderations
    from tests.test_evidence import PDF, attach

    answer_everything(assessment, officer, maturity=4, has_plan=True)
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert [item.id for item in check.without_evidence] == ["maturity", "has_plan"]
    login(officer)
    assert attach(client, assessment, "plan.pdf", PDF, item_id="has_plan").status_code == 302
    db.session.expire_all()
    current = db.session.get(Assessment, assessment.id)
    assert [item.id for item in submit_check(current).without_evidence] == ["maturity"]
    moderations = item_moderations(current)
    assert moderations["maturity"].evidence_missing
    assert not moderations["has_plan"].evidence_missing and moderations["has_plan"].evidence_file
    client.post(f"/assessments/{assessment.id}/submit", data={"without_evidence": "yes"})
    db.session.expire_all()
    frame = load_answers(assessment.round_id).set_index("item_id")["evidence"]
    assert bool(frame["has_plan"]) and not bool(frame["maturity"])


def test_autosave_replies_give_every_time_with_its_offset(client, login, officer, assessment):
    """A reply's updated_at had "+00:00" when the answer was just written and none when it was
    read back from SQLite (a conflict's current answer): one format, always with the offset."""
    from datetime import datetime, timedelta

    login(officer)
    saved = autosave(client, assessment, "maturity", ["3"], version=0)
    assert saved.status_code == 200, saved.json
    db.session.expire_all()  # what follows reads the answer back from the database
    conflict = autosave(client, assessment, "maturity", ["4"], version=0)
    assert conflict.status_code == 409
    for when in (saved.json["updated_at"], conflict.json["current"]["updated_at"]):
        assert datetime.fromisoformat(when).utcoffset() == timedelta(0), when


def test_a_stored_answer_the_rules_refuse_blocks_the_submit_and_says_why(
    client, login, create_assessment, create_round, region, officer
):
    """An answer stored before a rule came (an option chosen beside "No analysis done", saved
    before such answers were refused) is checked again at submit: the region cannot submit it,
    and the review page says why at the question."""
    v2 = load_questionnaire(Path("questionnaires/criterion7-interregional-v2.yaml")).questionnaire
    assessment = create_assessment(region=region, round_=create_round(questionnaire=v2))
    definition = assessment.round.questionnaire.parsed
    item = definition.items_by_id["vch_sources"]
    other = next(o["value"] for o in item.config["options"] if o["value"] != "no_analysis")
    db.session.add(
        Answer(
            assessment_id=assessment.id,
            item_id=item.id,
            section_id=item.section_id,
            value=["no_analysis", other],
            updated_by_id=officer.id,
        )
    )
    db.session.commit()
    check = submit_check(db.session.get(Assessment, assessment.id))
    assert [refused.id for refused, _reason in check.refused] == ["vch_sources"]
    assert check.is_blocked
    login(officer)
    review = client.get(f"/assessments/{assessment.id}/submit").get_data(as_text=True)
    link = "#item-vch_sources"
    assert link in review
    assert "Choose “No analysis done” on its own, or untick it." in review.split(link, 1)[1]
    with pytest.raises(Incomplete) as caught:
        submit_assessment(db.session.get(Assessment, assessment.id), officer)
    assert "vch_sources" in [missing.id for missing in caught.value.items]
    db.session.rollback()
    # The officer unticks the other option: the same answer is accepted again.
    save_answer(db.session.get(Assessment, assessment.id), item.id, ["no_analysis"], officer)
    db.session.commit()
    assert not submit_check(db.session.get(Assessment, assessment.id)).refused


@pytest.mark.parametrize("reason", ["\u200b\u200b", "\u200e \u202e", "\ufeff", " \u3000 "])
def test_a_reason_of_invisible_characters_is_no_reason(officer, assessment, reason):
    """Two zero-width spaces passed as the reason a question does not apply: experts saw
    an empty reason."""
    with pytest.raises(AnswerFieldError, match="Say why this does not apply"):
        save_answer(assessment, "mnc_linkage", "na", officer, na_reason=reason)
    db.session.rollback()
    save_answer(assessment, "mnc_linkage", "na", officer, na_reason="\u200bNo multinationals")
    db.session.commit()
    assert stored(assessment, "mnc_linkage").na_reason == "\u200bNo multinationals"


def test_a_late_section_save_shows_every_part_that_was_sent(client, login, officer, assessment):
    """The list of what a save after the submit sent left out the reason and the evidence."""
    answer_everything(assessment, officer)
    submit_assessment(db.session.get(Assessment, assessment.id), officer)
    db.session.commit()
    login(officer)
    late = client.post(
        section_url(assessment),
        data={
            "mnc_linkage": "na",
            "mnc_linkage__version": "1",
            "mnc_linkage__na_reason": "No multinationals in the region",
            "sme_services": "4",
            "sme_services__version": "1",
            "sme_services__evidence": "https://example.org/vouchers-2026",
        },
    )
    assert late.status_code == 409
    sent = late.get_data(as_text=True).split('id="unsaved"', 1)[1].split("</div>", 1)[0]
    assert "Why it does not apply: No multinationals in the region" in sent
    assert "Evidence: https://example.org/vouchers-2026" in sent
