"""Data-subject requests and retention (GDPR articles 15, 17 and 5(1)(e)); callers commit.

What surveyapp holds about a person, why and for how long is written in docs/privacy.md: keep
the two in step.

- ``export_user``: everything held about one account, as plain data (JSON).
- ``erase_user``: the account's personal fields pseudonymised ("Former user 12",
  ``erased-12@invalid.invalid``), its sign-in means, preferences, notifications and mail removed;
  what the person did for their region or the working group (answers, comments, reviews) stays,
  attributed to the pseudonym, and the audit trail keeps its events under the same id, with the
  name and email taken out of their values.
- ``purge``: the retention jobs (``flask privacy purge``, daily).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from surveyapp.api.models import ApiToken
from surveyapp.assessments.models import Answer, FormStash, SectionAssignment, SectionPresence
from surveyapp.assessments.stash import KEEP_FOR as STASH_KEPT_FOR
from surveyapp.audit.models import AuditEvent
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import RecoveryCode, Role, SignInFailure, User, new_session_token
from surveyapp.contacts.models import ContactRequest
from surveyapp.db import utcnow
from surveyapp.evidence import storage as evidence_storage
from surveyapp.evidence.models import EvidenceFile
from surveyapp.extensions import db
from surveyapp.mail.models import MailPreference, OutgoingMail
from surveyapp.notifications.models import Notification
from surveyapp.practices.models import GoodPractice
from surveyapp.reviews.models import ItemComment

#: The domain of erased accounts' addresses (RFC 2606: never delivered).
ERASED_DOMAIN = "invalid.invalid"


class ErasureRefused(ValueError):
    """An account that cannot be erased: ``reason`` is "self" or "last_admin"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_user(user: User, actor: User | None = None) -> dict[str, Any]:
    """Everything surveyapp holds about the account, by kind (article 15: access); the export
    is audited."""
    log_event("user.data_exported", "user", user.id, user=actor)
    answers = db.session.scalars(
        select(Answer).where(Answer.updated_by_id == user.id).order_by(Answer.updated_at)
    ).all()
    comments = db.session.scalars(
        select(ItemComment).where(ItemComment.author_id == user.id).order_by(ItemComment.id)
    ).all()
    return {
        "format": "surveyapp personal data export 1",
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": str(user.role),
            "active": user.active,
            "regions": [region.code for region in user.regions],
            "language": user.language,
            "created_at": _when(user.created_at),
            "two_factor_enabled_at": _when(user.totp_enabled_at),
            "signs_in_through": user.oidc_issuer,
            "identity_at_the_provider": user.oidc_subject,
        },
        "mail_preferences": {
            str(p.topic): str(p.delivery)
            for p in db.session.scalars(select(MailPreference).filter_by(user_id=user.id))
        },
        "api_tokens": [
            {
                "name": t.name,
                "created_at": _when(t.created_at),
                "expires_at": _when(t.expires_at),
                "last_used_at": _when(t.last_used_at),
            }
            for t in db.session.scalars(select(ApiToken).filter_by(user_id=user.id))
        ],
        "notifications": [
            {
                "kind": n.kind,
                "assessment_id": n.assessment_id,
                "actor_name": n.actor_name,
                "created_at": _when(n.created_at),
                "read_at": _when(n.read_at),
            }
            for n in db.session.scalars(
                select(Notification).filter_by(user_id=user.id).order_by(Notification.id)
            )
        ],
        "emails": [
            {
                "subject": m.subject,
                "to": m.to_address,
                "created_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
            }
            for m in db.session.scalars(
                select(OutgoingMail).filter_by(user_id=user.id).order_by(OutgoingMail.id)
            )
        ],
        "answers_last_changed": [
            {
                "assessment_id": a.assessment_id,
                "item_id": a.item_id,
                "updated_at": _when(a.updated_at),
            }
            for a in answers
        ],
        "review_comments": [
            {
                "assessment_id": c.assessment_id,
                "item_id": c.item_id,
                "body": c.body,
                "created_at": _when(c.created_at),
            }
            for c in comments
        ],
        "contact_requests": [
            {"id": c.id, "round_id": c.round_id, "state": str(c.state)}
            for c in db.session.scalars(
                select(ContactRequest).where(
                    or_(
                        ContactRequest.requested_by_id == user.id,
                        ContactRequest.decided_by_id == user.id,
                    )
                )
            )
        ],
        "sections_given": [
            {"assessment_id": a.assessment_id, "section_id": a.section_id}
            for a in db.session.scalars(
                select(SectionAssignment).where(SectionAssignment.user_id == user.id)
            )
        ],
        "sections_lately_saved_in": [
            {"assessment_id": p.assessment_id, "section_id": p.section_id, "at": _when(p.seen_at)}
            for p in db.session.scalars(
                select(SectionPresence).where(SectionPresence.user_id == user.id)
            )
        ],
        "evidence_files_attached": [
            {
                "assessment_id": f.assessment_id,
                "name": f.name,
                "size": f.size,
                "uploaded_at": _when(f.uploaded_at),
            }
            for f in db.session.scalars(
                select(EvidenceFile)
                .where(EvidenceFile.uploaded_by_id == user.id)
                .order_by(EvidenceFile.id)
            )
        ],
        "good_practices_created": [
            p.id
            for p in db.session.scalars(
                select(GoodPractice).where(GoodPractice.created_by_id == user.id)
            )
        ],
        "audit_events": [
            {
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "created_at": _when(e.created_at),
            }
            for e in db.session.scalars(
                select(AuditEvent)
                .where(or_(AuditEvent.user_id == user.id, _about(user)))
                .order_by(AuditEvent.id)
            )
        ],
    }


def _about(user: User):
    return (AuditEvent.object_type == "user") & (AuditEvent.object_id == user.id)


def _scrub(value: Any, words: dict[str, str]) -> Any:
    """``value`` with every string equal to one of ``words`` replaced, at any depth. Whole
    values only: a name of two letters must not change a region or round name that holds
    them."""
    if isinstance(value, str):
        return words.get(value, value)
    if isinstance(value, list):
        return [_scrub(v, words) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, words) for k, v in value.items()}
    return value


def erase_user(user: User, actor: User | None) -> None:
    """Pseudonymise the account (article 17: erasure), keeping the work it did and the audit
    trail consistent under the same id.

    :raises ErasureRefused: one's own account, or the last active administrator.
    """
    if actor is not None and actor.id == user.id:
        raise ErasureRefused("self", "an administrator cannot erase their own account")
    if user.role == Role.admin and user.active:
        others = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.admin, User.active.is_(True), User.id != user.id)
        )
        if not others:
            raise ErasureRefused("last_admin", "the last active administrator cannot be erased")
    name, email = user.name, user.email
    pseudonym = f"Former user {user.id}"
    words = {email: f"erased-{user.id}@{ERASED_DOMAIN}", name: pseudonym}
    for event in db.session.scalars(
        select(AuditEvent).where(or_(AuditEvent.user_id == user.id, _about(user)))
    ):
        event.old_value = _scrub(event.old_value, words)
        event.new_value = _scrub(event.new_value, words)
    # Events about a response that name the person as the one a section was given to.
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "section.assigned")
    ):
        for side in ("old_value", "new_value"):
            value = getattr(event, side)
            if isinstance(value, dict) and value.get("user_id") == user.id:
                setattr(event, side, {**value, "user": pseudonym})
    # Others' notifications of what the person did name the pseudonym (older rows, written
    # before notifications kept their actor's id, by the name where the name was theirs).
    db.session.execute(
        update(Notification)
        .where(
            or_(
                Notification.actor_id == user.id,
                (Notification.actor_id.is_(None)) & (Notification.actor_name == name),
            )
        )
        .values(actor_name=pseudonym)
    )
    for model in (
        Notification,
        OutgoingMail,
        MailPreference,
        ApiToken,
        RecoveryCode,
        FormStash,
        SectionAssignment,
        SectionPresence,
    ):
        db.session.execute(delete(model).where(model.user_id == user.id))
    user.name = pseudonym
    user.email = words[email]
    user.password_hash = "!erased:" + secrets.token_hex(16)  # matches no password
    user.session_token = new_session_token()
    user.active = False
    user.language = None
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.oidc_issuer = user.oidc_subject = None
    user.regions = []
    log_event("user.erased", "user", user.id, user=actor)


def purge(now: datetime | None = None) -> dict[str, int]:
    """Delete what is kept no longer than its retention period (docs/privacy.md); returns how
    many rows went, by kind."""
    now = now or utcnow()
    config = current_app.config
    rules = {
        "notifications": delete(Notification).where(
            Notification.created_at < now - timedelta(days=config["NOTIFICATION_RETENTION_DAYS"])
        ),
        "outgoing_mail": delete(OutgoingMail).where(
            OutgoingMail.created_at < now - timedelta(days=config["MAIL_RETENTION_DAYS"])
        ),
        "form_stashes": delete(FormStash).where(FormStash.created_at < now - STASH_KEPT_FOR),
        # Who saved in a section lately: useful for minutes (PRESENCE_WINDOW_SECONDS), kept a day.
        "section_presence": delete(SectionPresence).where(
            SectionPresence.seen_at < now - timedelta(days=1)
        ),
        "sign_in_failures": delete(SignInFailure).where(
            SignInFailure.last_failed_at
            < now - timedelta(seconds=config["LOGIN_FAILURES_FORGOTTEN_AFTER"])
        ),
        "expired_api_tokens": delete(ApiToken).where(
            ApiToken.expires_at < now - timedelta(days=config["API_TOKEN_RETENTION_DAYS"])
        ),
    }
    counts = {}
    for kind, statement in rules.items():
        counts[kind] = db.session.execute(statement).rowcount or 0
    # Files in EVIDENCE_FOLDER that no response refers to any longer (removed, or an upload
    # that was rolled back): only bytes, nothing recorded.
    counts["evidence_bytes"] = evidence_storage.purge_unreferenced()
    if any(counts.values()):
        log_event("privacy.purged", "retention", None, new_value=counts)
    return counts
