"""Read helpers for regions."""

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.regions.models import Region


def find_region(code: str) -> Region | None:
    return db.session.scalar(select(Region).filter_by(code=code.strip().upper()))
