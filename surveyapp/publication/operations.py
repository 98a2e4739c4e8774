"""Publishing and withdrawing a round's working-group report; callers commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

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


def publish(round_: Round, admin: User) -> Publication:
    if round_.state != RoundState.closed:
        raise PublicationError(
            _l("Only a closed round can be published: its answers may still change.")
        )
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
