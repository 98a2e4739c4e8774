"""Where users issue and revoke their own API tokens (pages, not part of /api)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token, revoke_token
from surveyapp.extensions import db

bp = Blueprint(
    "api_tokens", __name__, url_prefix="/account/api-tokens", template_folder="templates"
)

NAME_LIMIT = 100


def _tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.created_at)
        )
    )


@bp.get("")
@login_required
def list_tokens():
    return render_template("api/tokens.html", tokens=_tokens(), new_token=None, error=None)


@bp.post("")
@login_required
def create_token():
    """Issue a token and show it once; only its hash is kept."""
    name = request.form.get("name", "").strip()
    error = None
    if not name:
        error = _("Give the token a name, e.g. what it is for.")
    elif len(name) > NAME_LIMIT:
        error = _("Shorten the name to %(num)d characters.", num=NAME_LIMIT)
    if error:
        return render_template(
            "api/tokens.html", tokens=_tokens(), new_token=None, error=error, name=name
        ), 422
    token = issue_token(current_user, name)
    db.session.commit()
    return render_template("api/tokens.html", tokens=_tokens(), new_token=token, error=None)


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
