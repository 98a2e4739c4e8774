"""Publishing and withdrawing a round's working-group report; callers commit."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from surveyapp.assessments.models import COUNTED_STATES, Assessment
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.publication.models import Publication
from surveyapp.rounds.models import Round, RoundState


class PublicationError(ValueError):
    """A publication that cannot happen (the message says why, for the administrator)."""


def publication_of(round_: Round) -> Publication | None:
    return db.session.scalar(select(Publication).filter_by(round_id=round_.id))


def live_publication(round_id: int) -> Publication | None:
    return db.session.scalar(
        select(Publication).filter_by(round_id=round_id).where(Publication.withdrawn_at.is_(None))
    )


def published_rounds() -> list[Publication]:
    """Live publications, newest round first."""
    return list(
        db.session.scalars(
            select(Publication)
            .join(Round)
            .options(joinedload(Publication.round).joinedload(Round.questionnaire))
            .where(Publication.withdrawn_at.is_(None))
            .order_by(Round.opens_on.desc(), Round.id.desc())
        )
    )


def public_score(round_: Round) -> str:
    """The public sees moderated scores once the round released them to the regions."""
    return "moderated" if round_.moderated_released else "self"


def counted_assessments(round_ids: list[int]) -> dict[int, int]:
    """Round id -> how many of its assessments count in the aggregates (submitted ones)."""
    return dict(
        db.session.execute(
            select(Assessment.round_id, func.count())
            .where(Assessment.round_id.in_(round_ids), Assessment.state.in_(COUNTED_STATES))
            .group_by(Assessment.round_id)
        ).all()
    )


def publish_blocker(round_: Round, counted: int | None = None) -> str | None:
    """Why the round's report cannot be published now, or None when it can.

    :param counted: the round's counted assessments, when the caller has counted them already.
    """
    if round_.state != RoundState.closed:
        return _("Only a closed round can be published: its answers may still change.")
    if counted is None:
        counted = counted_assessments([round_.id]).get(round_.id, 0)
    minimum = current_app.config["MIN_GROUP_SIZE"]
    if counted < minimum:
        # Below the minimum group the report shows no figure at all, only empty sections.
        return ngettext(
            "Only %(num)d submitted assessment counts in this round; publishing needs at least"
            " %(min)d, so that no region can be recognised.",
            "Only %(num)d submitted assessments count in this round; publishing needs at least"
            " %(min)d, so that no region can be recognised.",
            counted,
            min=minimum,
        )
    return None


def publish(round_: Round, admin: User) -> Publication:
    blocker = publish_blocker(round_)
    if blocker is not None:
        raise PublicationError(blocker)
    publication = publication_of(round_) or Publication(round_id=round_.id)
    if publication.id is not None and publication.live:
        raise PublicationError(_l("This round's report is published already."))
    publication.published_at, publication.withdrawn_at = utcnow(), None
    publication.published_by_id = admin.id
    db.session.add(publication)
    log_event("round.report_published", "round", round_.id, user=admin)
    return publication


def withdraw(round_: Round, admin: User) -> None:
    publication = publication_of(round_)
    if publication is None or not publication.live:
        raise PublicationError(_l("This round's report is not published."))
    publication.withdrawn_at = utcnow()
    log_event("round.report_withdrawn", "round", round_.id, user=admin)
