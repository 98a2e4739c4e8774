"""Who sees which good practice, and the library's search."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import Assessment, AssessmentState
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import Region


@dataclass
class LibraryFilters:
    text: str = ""
    aspect: str = ""
    dimension: str = ""
    country: str = ""
    round_id: int | None = None


def visible_practices(user: User):
    """A select of the practices ``user`` may read.

    Experts and administrators: all. Officers: their own regions' practices, and other regions'
    only from validated assessments whose region agreed to be named.
    """
    query = (
        select(GoodPractice)
        .join(Assessment, Assessment.id == GoodPractice.assessment_id)
        .join(Region, Region.id == Assessment.region_id)
        .options(
            joinedload(GoodPractice.assessment).joinedload(Assessment.region),
            joinedload(GoodPractice.assessment).joinedload(Assessment.round),
        )
        .where(Assessment.state != AssessmentState.draft)
    )
    if user.role == Role.officer:
        own = [region.id for region in user.regions]
        query = query.where(
            or_(
                Assessment.region_id.in_(own),
                and_(
                    Assessment.state == AssessmentState.validated,
                    Assessment.consent_named.is_(True),
                ),
            )
        )
    return query


def library(user: User, filters: LibraryFilters) -> list[GoodPractice]:
    query = visible_practices(user).order_by(GoodPractice.created_at.desc(), GoodPractice.id)
    if filters.country:
        query = query.where(Region.country == filters.country.upper())
    if filters.round_id:
        query = query.where(Assessment.round_id == filters.round_id)
    practices = list(db.session.scalars(query).unique())
    if filters.aspect:
        practices = [p for p in practices if filters.aspect in (p.aspects or [])]
    if filters.dimension:
        practices = [p for p in practices if filters.dimension in (p.dimensions or [])]
    words = filters.text.lower().split()
    if words:
        practices = [
            p
            for p in practices
            if all(
                word in " ".join([p.title, p.summary, *(p.tags or [])]).lower() for word in words
            )
        ]
    return practices


def practices_of(assessment: Assessment) -> dict[str, list[GoodPractice]]:
    """Item id -> the practices marked on that answer."""
    result: dict[str, list[GoodPractice]] = {}
    for practice in db.session.scalars(
        select(GoodPractice).filter_by(assessment_id=assessment.id).order_by(GoodPractice.id)
    ):
        result.setdefault(practice.item_id or "", []).append(practice)
    return result
