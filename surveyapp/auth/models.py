"""Users, their role and the regions an officer answers for."""

import enum
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Table, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.db import CleanString, StateEnum, UTCDateTime, comma_list, utcnow
from surveyapp.extensions import db
from surveyapp.regions.models import Region


class Role(enum.StrEnum):
    officer = "officer"
    expert = "expert"
    admin = "admin"

    @property
    def label(self) -> LazyString:
        """The role's name for people, in the reader's language (translated when shown)."""
        return _ROLE_NAMES[self]


#: Which regions an officer answers for (usually one, sometimes a few).
region_memberships = Table(
    "region_memberships",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


#: The roles' names for people (translated when shown).
_ROLE_NAMES = {
    Role.officer: _l("Regional officer"),
    Role.expert: _l("Working-group expert"),
    Role.admin: _l("Administrator"),
}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def parse_id_list(text: str) -> frozenset[int]:
    """The ids in a comma-separated list (db.comma_list), as a set."""
    return frozenset(int(part) for part in text.split(",") if part)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

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
    #: The interface language the user chose (None: follow the browser).
    language: Mapped[str | None] = mapped_column(CleanString(10))
    #: The shared secret of the user's authenticator app (base32, RFC 6238), None without
    #: two-factor authentication (auth.two_factor): sealed (auth.sealing), or in clear when
    #: stored before sealing existed.
    totp_secret: Mapped[str | None] = mapped_column(CleanString(255), deferred=True)
    #: When two-factor authentication was turned on (None: off).
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, deferred=True)
    #: The last time step a code was accepted for: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(deferred=True)
    #: Wrong codes since the last right one, from any address (auth.two_factor), and until when
    #: no code is taken.
    totp_failures: Mapped[int] = mapped_column(default=0, deferred=True)
    totp_blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, deferred=True)
    #: When the account was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The OpenID Connect identity this account signs in as (the provider's issuer and its
    #: ``sub``), linked at the first sign-in through the provider: later sign-ins find the
    #: account by it, so an email address the provider hands to someone else never signs
    #: them in here (auth.oidc.account_for).
    oidc_issuer: Mapped[str | None] = mapped_column(CleanString(300))
    oidc_subject: Mapped[str | None] = mapped_column(CleanString(255))

    regions: Mapped[list[Region]] = relationship(secondary=region_memberships, order_by=Region.code)
    #: The ids of the user's regions, comma-separated ('' without any): what the permission
    #: checks read on every request, loaded with the user (auth.operations.load_user) without
    #: loading the regions themselves.
    region_id_list: Mapped[str] = column_property(
        select(func.coalesce(comma_list(region_memberships.c.region_id), ""))
        .where(region_memberships.c.user_id == id)
        .correlate_except(region_memberships)
        .scalar_subquery(),
        deferred=True,
    )

    @property
    def region_ids(self) -> frozenset[int]:
        """The ids of the regions the user answers for (permission checks)."""
        if "regions" in self.__dict__:  # loaded, perhaps changed since region_id_list was read
            return frozenset(region.id for region in self.regions)
        return parse_id_list(self.region_id_list)

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


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app (its hash only)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: HMAC-SHA256 of the code under a key from SECRET_KEY (auth.two_factor): the codes are
    #: random (50 bits), so no slow hash is needed.
    code_hash: Mapped[str] = mapped_column(CleanString(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
