from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.notifications.operations import mark_all_read, message_of
from surveyapp.notifications.queries import recent_notifications

bp = Blueprint("notifications", __name__, template_folder="templates")


def notification_link(note) -> str | None:
    """Where a notification leads: the review page for experts, the assessment for officers."""
    if note.kind.startswith("contact_"):
        return url_for("contacts.list_requests")
    if note.assessment_id is None:
        return None
    anchor = f"#thread-{note.item_id}" if note.item_id else ""
    if current_user.role == Role.officer:
        return url_for("assessments.view_assessment", assessment_id=note.assessment_id) + anchor
    if note.item_id:
        section = note.assessment.round.questionnaire.parsed.item(note.item_id).section_id
        return (
            url_for("reviews.review_section", assessment_id=note.assessment_id, section_id=section)
            + f"#item-{note.item_id}"
        )
    return url_for("reviews.review", assessment_id=note.assessment_id)


@bp.get("/notifications")
@login_required
def list_notifications():
    notes = recent_notifications(current_user)
    rows = []
    for note in notes:
        rows.append(
            {
                "note": note,
                "text": message_of(note),
                "link": notification_link(note),
                "message": (note.extra or {}).get("message"),
            }
        )
    return render_template("notifications/list.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def mark_read():
    mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for(".list_notifications"))
