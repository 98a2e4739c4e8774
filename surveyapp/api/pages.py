"""Where users issue and revoke their own API tokens (pages, not part of /api)."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from surveyapp.api.forms import EXPIRY_DAYS, TokenForm
from surveyapp.api.models import ApiToken
from surveyapp.api.operations import issue_token, revoke_token
from surveyapp.auth.sealing import seal, unseal_recent
from surveyapp.db import utcnow
from surveyapp.extensions import db

bp = Blueprint(
    "api_tokens", __name__, url_prefix="/account/api-tokens", template_folder="templates"
)

#: The session key that carries a token just issued to the page that shows it, once: sealed
#: (the session cookie is signed, not encrypted) and readable for NEW_TOKEN_SECONDS only.
NEW_TOKEN = "new_api_token"  # noqa: S105 (a session key, not a secret)
NEW_TOKEN_SECONDS = 120


def _page(form: TokenForm | None = None, status: int = 200):
    """The tokens page; a token just issued is shown once, then forgotten."""
    page = render_template(
        "api/tokens.html",
        tokens=_tokens(),
        expiry_days=EXPIRY_DAYS,
        now=utcnow(),
        form=form or TokenForm(),
        new_token=_new_token(),
    )
    return page, status


def _new_token() -> str | None:
    """The token just issued, once (None when there is none, or it is too old to show)."""
    sealed = session.pop(NEW_TOKEN, None)
    return unseal_recent(sealed, NEW_TOKEN_SECONDS) if isinstance(sealed, str) else None


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
    """Issue a token and show it once, on the page the browser is sent back to (a reload
    issues no second token); only its hash is kept."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    days = form.expires_in.data
    expires_at = utcnow() + timedelta(days=int(days)) if days else None
    session[NEW_TOKEN] = seal(issue_token(current_user, form.name.data, expires_at))
    db.session.commit()
    return redirect(url_for(".list_tokens"))


def _own_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    return token


@bp.get("/<int:token_id>/revoke")
@login_required
def confirm_revoke(token_id: int):
    """Ask before revoking: a revoked token never works again."""
    return render_template("api/revoke_token.html", token=_own_token(token_id))


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = _own_token(token_id)
    revoke_token(token, current_user)
    db.session.commit()
    flash(_("The token %(name)s no longer works.", name=token.name), "success")
    return redirect(url_for(".list_tokens"))
