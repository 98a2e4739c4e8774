"""Read helpers for accounts."""

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload, undefer

from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.regions.models import Region


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=normalize_email(email)))


@dataclass(frozen=True)
class UserFilters:
    """What the administrators' list of accounts shows (None: any)."""

    #: Part of the name or email, or of a region's code or name, in any case.
    text: str | None = None
    role: Role | None = None
    active: bool | None = None


def find_users(filters: UserFilters = UserFilters()) -> list[User]:
    """The accounts that match, by role then email, with their regions (and whether each has a
    second factor)."""
    statement = (
        select(User)
        .options(selectinload(User.regions), undefer(User.totp_enabled_at))
        .order_by(User.role, User.email)
    )
    if filters.text:
        text = filters.text.strip()
        statement = statement.where(
            or_(
                User.name.icontains(text, autoescape=True),
                User.email.icontains(text, autoescape=True),
                User.regions.any(
                    or_(
                        Region.code.icontains(text, autoescape=True),
                        Region.name.icontains(text, autoescape=True),
                    )
                ),
            )
        )
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.active is not None:
        statement = statement.where(User.active.is_(filters.active))
    return list(db.session.scalars(statement))


def find_user_by_identity(issuer: str, subject: str) -> User | None:
    """The account linked to an OpenID Connect provider's identity (issuer and ``sub``)."""
    return db.session.scalar(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    )
