"""Users, their role and the regions an officer answers for."""

import enum
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Table
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.db import CleanString, StateEnum, UTCDateTime, utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region


class Role(enum.StrEnum):
    officer = "officer"
    expert = "expert"
    admin = "admin"


#: Which regions an officer answers for (usually one, sometimes a few).
region_memberships = Table(
    "region_memberships",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def parse_id_list(text: str) -> frozenset[int]:
    """The ids in a comma-separated list (db.comma_list), as a set."""
    return frozenset(int(part) for part in text.split(",") if part)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case.
    email: Mapped[str] = mapped_column(CleanString(254), unique=True)
    #: Name shown to other users (e.g. "last changed by").
    name: Mapped[str] = mapped_column(CleanString(200))
    #: Werkzeug scrypt hash; never the password itself.
    password_hash: Mapped[str] = mapped_column(CleanString(255))
    #: What the user may do: answer (officer), review (expert) or manage (admin).
    role: Mapped[Role] = mapped_column(StateEnum(Role))
    #: A deactivated user loses access at once, even with a live session.
    active: Mapped[bool] = mapped_column(default=True)
    #: Part of the login cookie; replacing it logs the user out everywhere.
    session_token: Mapped[str] = mapped_column(CleanString(64), default=new_session_token)
    #: When the account was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    regions: Mapped[list[Region]] = relationship(secondary=region_memberships, order_by=Region.code)
    #: Unread notifications, when loaded with the user for a page's header (else None).
    unread_notifications: Mapped[int | None] = query_expression()
    #: The regions' ids, comma-separated, when loaded with the user for a request (else None).
    region_id_list: Mapped[str | None] = query_expression()

    @property
    def region_ids(self) -> frozenset[int]:
        """The ids of the regions the user answers for (permission checks)."""
        if "regions" not in self.__dict__ and self.region_id_list is not None:
            return parse_id_list(self.region_id_list)
        return frozenset(region.id for region in self.regions)

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        # Only active users are ever loaded for a request (auth.operations.load_user); not
        # reading ``active`` here spares a query when the user was expired by a commit.
        return True

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PlainUser(UserMixin):
    """The signed-in user as read for a page that only shows things (auth.operations.read_with_user
    with ``plain=True``): what the permission checks, the header and the session checks read,
    in a plain object. Building a User from a row costs the ORM about a tenth of such a page;
    a PlainUser cannot be changed or linked to other objects, so it is never handed to an
    operation.
    """

    def __init__(self, id, email, name, role, active, session_token, region_id_list, unread):
        self.id, self.email, self.name, self.role = id, email, name, role
        self.active, self.session_token = active, session_token
        self.region_ids = parse_id_list(region_id_list or "")
        self.unread_notifications = unread

    is_active = User.is_active
    is_authenticated = User.is_authenticated
    get_id = User.get_id

    def __repr__(self) -> str:
        return f"<PlainUser {self.email} {self.role}>"


class SignInFailure(db.Model):
    """Wrong passwords for one account from one address, counted to slow guessing down
    (auth.throttle). Rows are forgotten after a quiet period."""

    __tablename__ = "sign_in_failures"

    #: SHA-256 (hex) of the email as typed and the address: neither is stored in clear.
    key: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    #: Wrong passwords in a row (a correct one deletes the row).
    failures: Mapped[int]
    #: The last wrong password; rows idle for LOGIN_FAILURES_FORGOTTEN_AFTER are deleted.
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: No attempt is checked before this moment (None: no wait).
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
