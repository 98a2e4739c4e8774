"""Read helpers for rounds."""

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.rounds.models import Round


def list_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.opens_on, Round.id)))
