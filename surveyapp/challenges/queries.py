"""Counts of tagged challenges across regions, and the answers behind them."""

from __future__ import annotations

from collections import defaultdict

from flask import g
from sqlalchemy import func, literal_column, select

from surveyapp.assessments.models import COUNTED_STATES, Answer, Assessment, AssessmentState
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.extensions import db
from surveyapp.i18n import current_lang
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round
from surveyapp.rounds.queries import validated_when_closed


def categories(active_only: bool = False) -> list[ChallengeCategory]:
    query = select(ChallengeCategory).order_by(ChallengeCategory.name)
    if active_only:
        query = query.where(ChallengeCategory.active.is_(True))
    return list(db.session.scalars(query))


def category_label(category: ChallengeCategory, definition, lang: str) -> str:
    """The category's name for a reader of ``lang``: a kind of challenge the questionnaire asks
    about, still called by the questionnaire's English words, reads in the questionnaire's
    words in ``lang`` (its translations); a category the working group added or renamed keeps
    the name it was given."""
    for item_id in definition.challenge_items:
        item = definition.item(item_id)
        for option in item.config.get("options", ()):
            if option["value"] == category.code and item.localize(option["label"], "en") == (
                category.name
            ):
                return item.localize(option["label"], lang)
    return category.name


def reader_names(lang: str) -> dict[int, str]:
    """Category id -> its name for a reader of ``lang`` (category_label), in the words of the
    questionnaire loaded last that asks about challenges; read once per request."""
    cache = g.setdefault("challenge_reader_names", {})
    if lang not in cache:
        newest = None
        questionnaires = select(Questionnaire).order_by(
            Questionnaire.loaded_at.desc(), Questionnaire.id.desc()
        )
        for questionnaire in db.session.scalars(questionnaires):
            if questionnaire.parsed.challenge_items:
                newest = questionnaire.parsed
                break
        cache[lang] = {
            category.id: category_label(category, newest, lang) if newest else category.name
            for category in categories()
        }
    return cache[lang]


def reader_name(category: ChallengeCategory | None) -> str:
    """The category's name for the signed-in reader (a template filter): see reader_names."""
    if category is None:
        return ""
    return reader_names(current_lang()).get(category.id, category.name)


def category_names() -> dict[int, str]:
    """Category id -> name, retired ones too (for the tags recorded in histories)."""
    return dict(db.session.execute(select(ChallengeCategory.id, ChallengeCategory.name)).all())


def tags_of(assessment: Assessment) -> dict[str, tuple[set[int], str | None]]:
    """Item id -> (tagged category ids, aspect)."""
    result: dict[str, tuple[set[int], str | None]] = {}
    for tag in db.session.scalars(select(ChallengeTag).filter_by(assessment_id=assessment.id)):
        ids, aspect = result.get(tag.item_id, (set(), None))
        ids.add(tag.category_id)
        result[tag.item_id] = (ids, tag.aspect or aspect)
    return result


def _counted():
    """Tags of assessments the regions submitted (never a draft), with region and round."""
    return (
        select(ChallengeTag, Assessment, Region)
        .join(Assessment, Assessment.id == ChallengeTag.assessment_id)
        .join(Region, Region.id == Assessment.region_id)
        .where(Assessment.state != AssessmentState.draft)
    )


def challenge_counts(round_id: int | None) -> dict:
    """Regions per category; per category and aspect, country and round.

    A region counts once per category however many of its answers carry the tag.
    """
    rows = db.session.execute(_counted()).all()
    by_round: dict[int, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    per_category: dict[int, set] = defaultdict(set)
    by_aspect: dict[tuple[int, str], set] = defaultdict(set)
    by_country: dict[tuple[int, str], set] = defaultdict(set)
    for tag, assessment, region in rows:
        by_round[assessment.round_id][tag.category_id].add(region.id)
        if round_id is not None and assessment.round_id != round_id:
            continue
        per_category[tag.category_id].add(region.id)
        by_aspect[(tag.category_id, tag.aspect or "")].add(region.id)
        by_country[(tag.category_id, region.country)].add(region.id)
    return {
        "per_category": {k: len(v) for k, v in per_category.items()},
        "by_aspect": {k: len(v) for k, v in by_aspect.items()},
        "by_country": {k: len(v) for k, v in by_country.items()},
        "by_round": {r: {c: len(v) for c, v in cats.items()} for r, cats in by_round.items()},
    }


def chosen_counts(round_id: int | None) -> dict[str, int]:
    """Kind of challenge -> regions that chose it in a challenge question of the questionnaire
    (the categories' ``code``), counted as the tags are: submitted assessments, a region once.

    :param round_id: one round, or None for all.
    """
    rounds = {r.id: r for r in db.session.scalars(select(Round))}
    items = {i for r in rounds.values() for i in r.questionnaire.parsed.challenge_items}
    query = (
        select(Answer.item_id, Answer.value, Assessment.region_id, Assessment.round_id)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(Assessment.state != AssessmentState.draft, Answer.item_id.in_(items))
    )
    if round_id is not None:
        query = query.where(Assessment.round_id == round_id)
    regions: dict[str, set[int]] = defaultdict(set)
    for item_id, value, region_id, answer_round in db.session.execute(query):
        if item_id in rounds[answer_round].questionnaire.parsed.challenge_items:
            for kind in value if isinstance(value, list) else []:
                regions[kind].add(region_id)
    return {kind: len(ids) for kind, ids in regions.items()}


def round_counts(
    round_id: int, validated_only: bool = False
) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
    """For one round: regions per category, and per category and aspect ("" without aspect).

    Counted in the database (distinct regions) over the submitted assessments, as the
    challenges page, or the validated ones only, as the working-group report's statistics.
    """
    counted = (ChallengeTag.assessment_id == Assessment.id, Assessment.round_id == round_id)
    submitted = validated_when_closed() if validated_only else Assessment.state.in_(COUNTED_STATES)
    regions = func.count(func.distinct(Assessment.region_id))
    per_category = db.session.execute(
        select(ChallengeTag.category_id, regions)
        .where(*counted, submitted)
        .group_by(ChallengeTag.category_id)
    ).all()
    aspect = func.coalesce(ChallengeTag.aspect, literal_column("''")).label("aspect")
    by_aspect = db.session.execute(
        select(ChallengeTag.category_id, aspect, regions)
        .where(*counted, submitted)
        .group_by(ChallengeTag.category_id, aspect)
    ).all()
    return (
        dict(per_category),
        {(category, aspect): count for category, aspect, count in by_aspect},
    )


def tagged_answers(category_id: int, round_id: int | None) -> list[dict]:
    """The answers behind a category's count: region, round, item and the text."""
    query = _counted().where(ChallengeTag.category_id == category_id)
    if round_id is not None:
        query = query.where(Assessment.round_id == round_id)
    rows = db.session.execute(query.order_by(Region.code)).all()
    answers = {
        (a.assessment_id, a.item_id): a
        for a in db.session.scalars(
            select(Answer).where(
                Answer.assessment_id.in_({assessment.id for _t, assessment, _r in rows})
            )
        )
    }
    rounds = {r.id: r for r in db.session.scalars(select(Round))}
    result = []
    for tag, assessment, region in rows:
        answer = answers.get((assessment.id, tag.item_id))
        round_ = rounds[assessment.round_id]
        result.append(
            {
                "assessment": assessment,
                "region": region,
                "round": round_,
                "item": round_.questionnaire.parsed.items_by_id.get(tag.item_id),
                "aspect": tag.aspect,
                "text": answer.value if answer else "",
            }
        )
    return result
