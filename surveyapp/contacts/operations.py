"""Asking another region to be put in touch, answering, withdrawing; callers commit.

Each step is audited here and notified to the other side, so pages, the CLI and the API share
them. The asking region names itself by asking; the asked region is named to the asking one
only once it accepts (or when it agreed to be named anyway: contacts.queries).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.assessments.permissions import is_region_officer
from surveyapp.audit.operations import log_event
from surveyapp.auth.models import User
from surveyapp.contacts.models import ContactOrigin, ContactRequest, ContactState
from surveyapp.contacts.queries import named_in_round, open_requests_between, target_named
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.forms import FieldError
from surveyapp.notifications.operations import notify, officers_of_region, retract
from surveyapp.practices.models import GoodPractice
from surveyapp.questionnaires.types import too_long
from surveyapp.regions.models import Region
from surveyapp.rounds.models import Round

#: The longest message an officer may add to a request.
MESSAGE_MAX_LENGTH = 2000


class ContactError(FieldError):
    """A request cannot be made or answered as asked; the message says why."""


def request_contact(
    user: User,
    from_region: Region,
    to_region_id: int,
    round_: Round,
    origin: ContactOrigin,
    reasons: dict | None = None,
    message: str | None = None,
    practice: GoodPractice | None = None,
) -> ContactRequest:
    """``from_region`` (the user's) asks the region ``to_region_id`` to be put in touch."""
    if not is_region_officer(user, from_region.id):
        raise ContactError(_l("Only an officer of the region can ask on its behalf."))
    if to_region_id == from_region.id:
        raise ContactError(_l("A region cannot ask itself."))
    message = (message or "").strip() or None
    if message and len(message) > MESSAGE_MAX_LENGTH:
        raise ContactError(too_long(MESSAGE_MAX_LENGTH, len(message)), "message")
    earlier = open_requests_between(from_region.id, to_region_id)
    if any(_same_to_the_asker(e, round_, origin, to_region_id) for e in earlier):
        raise ContactError(
            _l("Your region has already asked this region; see your contact requests.")
        )
    request = ContactRequest(
        round_id=round_.id,
        from_region_id=from_region.id,
        to_region_id=to_region_id,
        origin=origin,
        practice_id=practice.id if practice else None,
        reasons=reasons or {},
        message=message,
        requested_by_id=user.id,
    )
    db.session.add(request)
    db.session.flush()
    log_event(
        "contact.requested",
        "contact_request",
        request.id,
        user=user,
        new_value={
            "from": from_region.code,
            "to_region_id": to_region_id,
            "round_id": round_.id,
            "origin": origin.value,
        },
    )
    notify(
        officers_of_region(to_region_id),
        "contact_requested",
        actor=user,
        message=message,
        extra={"region": from_region.name, "contact_request": request.id},
    )
    return request


def _same_to_the_asker(
    earlier: ContactRequest, round_: Round, origin: ContactOrigin, to_region_id: int
) -> bool:
    """Whether the asking region can tell that this request goes where an open one went: the
    same suggestion again, or a region named to it both then and now. Otherwise refusing would
    tell it that two unnamed routes lead to one region, and which: the request is made."""
    if earlier.origin == origin == ContactOrigin.suggestion and earlier.round_id == round_.id:
        return True
    named_now = origin == ContactOrigin.practice or named_in_round(to_region_id, round_.id)
    return named_now and target_named(earlier)


def answer_contact(user: User, request: ContactRequest, accept: bool) -> None:
    """An officer of the asked region accepts (both sides then see each other's contact
    person) or declines (the asking side learns nothing of who declined)."""
    if not is_region_officer(user, request.to_region_id):
        raise ContactError(_l("Only an officer of the asked region can answer."))
    if request.state != ContactState.pending:
        raise ContactError(_l("This request has already been answered or withdrawn."))
    request.state = ContactState.accepted if accept else ContactState.declined
    request.decided_by_id = user.id
    request.decided_at = utcnow()
    log_event(
        f"contact.{request.state.value}",
        "contact_request",
        request.id,
        user=user,
        old_value=ContactState.pending.value,
        new_value=request.state.value,
    )
    if accept:
        notify(
            officers_of_region(request.from_region_id),
            "contact_accepted",
            extra={"region": request.to_region.name, "contact_request": request.id},
        )
    else:
        notify(
            officers_of_region(request.from_region_id),
            "contact_declined",
            extra={"contact_request": request.id},
        )


def withdraw_contact(user: User, request: ContactRequest) -> None:
    """An officer of the asking region withdraws a request not answered yet."""
    if not is_region_officer(user, request.from_region_id):
        raise ContactError(_l("Only an officer of the asking region can withdraw it."))
    if request.state != ContactState.pending:
        raise ContactError(_l("This request has already been answered or withdrawn."))
    request.state = ContactState.withdrawn
    request.decided_by_id = user.id
    request.decided_at = utcnow()
    log_event(
        "contact.withdrawn",
        "contact_request",
        request.id,
        user=user,
        old_value=ContactState.pending.value,
        new_value=request.state.value,
    )
    # The asked region's officers were told of it: what they have not read goes, and nothing
    # about it waits for their daily digest.
    retract("contact_requested", "contact_request", request.id)
