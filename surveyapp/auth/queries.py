"""Read helpers for accounts."""

from sqlalchemy import select

from surveyapp.auth.models import User
from surveyapp.extensions import db


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=normalize_email(email)))
