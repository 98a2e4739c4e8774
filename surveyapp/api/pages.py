"""Where users issue and revoke their own API tokens (pages, not part of /api)."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token, revoke_token
from surveyapp.db import utcnow
from surveyapp.extensions import db

bp = Blueprint(
    "api_tokens", __name__, url_prefix="/account/api-tokens", template_folder="templates"
)

NAME_LIMIT = 100
#: Lifetimes offered when a token is made, in days ("" for none); the first is preselected.
EXPIRY_DAYS = ("90", "30", "365", "")


def _page(status: int = 200, **context):
    context = {"new_token": None, "error": None, "expiry_error": None, **context}
    context.setdefault("expires_in", EXPIRY_DAYS[0])
    page = render_template(
        "api/tokens.html", tokens=_tokens(), expiry_days=EXPIRY_DAYS, now=utcnow(), **context
    )
    return page, status


def _tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.created_at)
        )
    )


@bp.get("")
@login_required
def list_tokens():
    return _page()


@bp.post("")
@login_required
def create_token():
    """Issue a token and show it once; only its hash is kept."""
    name = request.form.get("name", "").strip()
    expires_in = request.form.get("expires_in", "")
    error = expiry_error = None
    if not name:
        error = _("Give the token a name, e.g. what it is for.")
    elif len(name) > NAME_LIMIT:
        error = _("Shorten the name to %(num)d characters.", num=NAME_LIMIT)
    if expires_in not in EXPIRY_DAYS:
        expiry_error = _("Choose one of the lifetimes offered.")
    if error or expiry_error:
        return _page(422, error=error, expiry_error=expiry_error, name=name, expires_in=expires_in)
    expires_at = utcnow() + timedelta(days=int(expires_in)) if expires_in else None
    token = issue_token(current_user, name, expires_at)
    db.session.commit()
    return _page(new_token=token)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke_token(token, current_user)
    db.session.commit()
    flash(_("The token %(name)s no longer works.", name=token.name), "success")
    return redirect(url_for(".list_tokens"))
