import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from surveyapp.assessments.stash import SESSION_KEY as STASH_KEY
from surveyapp.audit.security_log import security_event
from surveyapp.auth import oidc, two_factor
from surveyapp.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
    TwoFactorCodeForm,
)
from surveyapp.auth.models import User
from surveyapp.auth.operations import (
    AccountError,
    authenticate,
    end_all_sessions,
    set_language,
    user_for_reset_token,
)
from surveyapp.auth.operations import change_password as change_password_operation
from surveyapp.auth.operations import reset_password as reset_password_operation
from surveyapp.auth.sealing import seal
from surveyapp.auth.sessions import SECOND_FACTOR, start_session
from surveyapp.auth.throttle import sign_in_failed, sign_in_succeeded, wait_before_sign_in
from surveyapp.extensions import db, rate_limit
from surveyapp.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS
from surveyapp.mail.delivery import after_response
from surveyapp.mail.operations import email_reset_link, mail_enabled

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site; anything with a scheme or host is dropped."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(char.isspace() or not char.isprintable() for char in target):
        return None
    return target


def _wait_message(wait: int) -> str:
    return _(
        "Too many wrong passwords for this account from your address. Wait %(wait)s, then "
        "try again.",
        wait=format_timedelta(timedelta(seconds=wait), threshold=1, add_direction=False),
    )


def _login_page(form: LoginForm, kept: bool = False) -> str:
    """The sign-in page: the password form (unless LOCAL_PASSWORDS is off) and the OpenID
    Connect button (when OIDC_ISSUER is set), both keeping where to go next."""
    return render_template(
        "auth/login.html",
        form=form,
        kept=kept,
        passwords=oidc.local_passwords(),
        oidc_label=oidc.button_label() if oidc.is_enabled() else None,
        next_url=_safe_next(request.args.get("next")),
    )


def _too_many_failures(form: LoginForm, wait: int):
    """The sign-in form again, 429, saying how long to wait (auth.throttle)."""
    form.password.errors.append(_wait_message(wait))
    return _login_page(form), 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "POST" and not oidc.local_passwords():
        security_event("login_refused", reason="local_passwords_off")
        flash(_("This server does not sign in with passwords: use the button below."), "error")
        return _login_page(LoginForm(formdata=None)), 403
    if form.validate_on_submit():
        email, address = form.email.data, request.remote_addr
        wait = wait_before_sign_in(email, address)
        if wait:  # the password is not even checked
            security_event("login_throttled", email=email[:254], wait=wait)
            return _too_many_failures(form, wait)
        user = authenticate(email, form.password.data)
        if user is None:
            wait = sign_in_failed(email, address)
            db.session.commit()
            security_event("login_failed", email=email[:254])
            if wait:
                return _too_many_failures(form, wait)
            form.password.errors.append(_("The email or password is not correct."))
        else:
            if not (two_factor.is_enabled(user) or two_factor.required_for(user)):
                # with a second factor, only the right code clears the count (two_factor_code)
                sign_in_succeeded(email, address)
            db.session.commit()
            return _password_accepted(user, _safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return _login_page(form, kept=request.args.get("kept") == "1"), status


#: The session key of a sign-in whose password was right and whose second factor is awaited.
PENDING = "two_factor_pending"
#: The session key of the secret shown while an authenticator app is being set up.
SETUP_SECRET = "two_factor_secret"  # noqa: S105 - a session key, not a secret


def _fresh_session() -> None:
    """Nothing carried over from before the sign-in but the answers typed before it."""
    kept_answers = session.get(STASH_KEY)
    session.clear()
    if kept_answers:
        session[STASH_KEY] = kept_answers


def _password_accepted(user: User, next_url: str | None):
    """A fresh session; signed in at once, or after the second factor where the account has
    one or its role requires one."""
    _fresh_session()
    if not (two_factor.is_enabled(user) or two_factor.required_for(user)):
        return _signed_in(user, next_url)
    # Tied to the session token: a password change or sign-out everywhere voids it.
    session[PENDING] = {
        "user": user.id,
        "token": user.session_token,
        "at": int(time.time()),
        "next": next_url,
    }
    if two_factor.is_enabled(user):
        return redirect(url_for("auth.two_factor_code"))
    return redirect(url_for("auth.two_factor_setup"))


def _signed_in(user: User, next_url: str | None, method: str = "password"):
    session.pop(PENDING, None)
    login_user(user)
    start_session(second_factor=method != "password")
    security_event("login", method=method)
    return redirect(next_url or url_for("main.home"))


#: The session key of where to go once the OpenID Connect provider sends the browser back.
OIDC_NEXT = "oidc_next"


@bp.get("/login/oidc")
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
def oidc_login():
    """Sign in through the OpenID Connect provider: off to its sign-in page.

    A link, not a form: the pages' policy lets forms post to this site only (CSP form-action),
    which browsers also apply to a form's redirect to the provider. It changes nothing but the
    session (Authlib's state, nonce and PKCE verifier).
    """
    if not oidc.is_enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session[OIDC_NEXT] = _safe_next(request.args.get("next"))
    try:
        return oidc.start_sign_in()
    except oidc.SignInRefused as refusal:
        return _oidc_refused(refusal)


@bp.get("/login/oidc/callback")
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
def oidc_callback():
    """Where the provider sends the browser back: the account whose email it verified is
    signed in, without a second factor here (the provider's own factors stand for it)."""
    if not oidc.is_enabled():
        abort(404)
    try:
        user, created = oidc.account_for(oidc.finish_sign_in())
    except oidc.SignInRefused as refusal:
        db.session.rollback()
        return _oidc_refused(refusal)
    db.session.commit()
    next_url = session.get(OIDC_NEXT)
    _fresh_session()
    if created:
        security_event("account_created", method="oidc", email=user.email)
        flash(
            _(
                "Welcome. Your account is new: an administrator gives it the regions you "
                "answer for."
            ),
            "info",
        )
    return _signed_in(user, next_url if isinstance(next_url, str) else None, "oidc")


def _oidc_refused(refusal: oidc.SignInRefused):
    """Back to the sign-in page with the reason; the security log gets the details."""
    session.pop(OIDC_NEXT, None)
    security_event("oidc_refused", reason=refusal.reason, **refusal.details)
    flash(str(refusal), "error")
    return redirect(url_for("auth.login"))


def _pending_user() -> User | None:
    """The user whose password was accepted a moment ago, awaiting the second factor."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if time.time() - pending["at"] > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user


def _sign_in_again():
    flash(_("Sign in again: the step after your password took too long."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def two_factor_code():
    """The second step of signing in: a code from the authenticator app or a recovery code."""
    user = _pending_user()
    if user is None:
        return _sign_in_again()
    if not two_factor.is_enabled(user):
        return redirect(url_for("auth.two_factor_setup"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        address = request.remote_addr
        # Codes are guessed as passwords are: counted per account and address (auth.throttle),
        # and per account from any address, a count no right password clears (two_factor).
        wait = max(wait_before_sign_in(user.email, address), two_factor.code_wait(user))
        if wait:
            security_event("login_throttled", email=user.email, wait=wait)
            form.code.errors.append(_wait_message(wait))
            page = render_template("auth/two_factor_code.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        try:
            method = two_factor.verify(user, form.code.data, signing_in=True)
        except two_factor.TwoFactorError as error:
            if not isinstance(error, two_factor.CodesUnavailable):
                sign_in_failed(user.email, address)
            db.session.commit()
            security_event("two_factor_failed", email=user.email)
            form.code.errors.append(str(error))
        else:
            sign_in_succeeded(user.email, address)
            db.session.commit()
            if method == "recovery":
                left = two_factor.recovery_codes_left(user)
                flash(
                    ngettext(
                        "You signed in with a recovery code; %(num)d is left. Make new ones on "
                        "your account's two-factor page.",
                        "You signed in with a recovery code; %(num)d are left. Make new ones on "
                        "your account's two-factor page.",
                        left,
                    ),
                    "info",
                )
            return _signed_in(user, session[PENDING].get("next"), "two_factor_" + method)
    status = 422 if form.errors else 200
    return render_template("auth/two_factor_code.html", form=form), status


@bp.route("/login/setup", methods=["GET", "POST"])
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def two_factor_setup():
    """Set up an authenticator app: at the first sign-in where the role requires it, or from
    one's account page."""
    pending = _pending_user()
    user = pending or (
        db.session.get(User, current_user.id) if current_user.is_authenticated else None
    )
    if user is None:
        return _sign_in_again()
    if two_factor.is_enabled(user):
        return redirect(
            url_for("auth.two_factor_account")
            if pending is None
            else url_for("auth.two_factor_code")
        )
    # Kept sealed in the session until the app's first code proves it (the session cookie is
    # signed, not encrypted).
    secret = two_factor.opened_setup_secret(session.get(SETUP_SECRET))
    if secret is None:
        secret = two_factor.new_secret()
        session[SETUP_SECRET] = seal(secret)
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, secret, form.code.data)
        except two_factor.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            if pending is not None:
                sign_in_succeeded(user.email, request.remote_addr)
            db.session.commit()
            session.pop(SETUP_SECRET, None)
            next_url = url_for("auth.two_factor_account")
            if pending is not None:
                next_url = session[PENDING].get("next") or url_for("main.home")
                _signed_in(user, None, "two_factor_setup")
            page = render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
            return page, 200, NO_STORE
    uri = two_factor.provisioning_uri(user, secret)
    page = render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=two_factor.qr_code_svg(uri),
        secret=secret,
        required=two_factor.required_for(user),
    )
    return page, 422 if form.errors else 200, NO_STORE


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def two_factor_account():
    """Two-factor authentication on one's account: on or off, and the recovery codes."""
    user = db.session.get(User, current_user.id)
    form = TwoFactorCodeForm()
    action = request.form.get("action")
    if form.validate_on_submit() and action in ("disable", "renew"):
        wait = two_factor.code_wait(user)
        if wait:
            security_event("two_factor_throttled", wait=wait)
            form.code.errors.append(_wait_message(wait))
            page = render_template(
                "auth/two_factor_account.html",
                form=form,
                enabled=True,
                required=two_factor.required_for(user),
                left=two_factor.recovery_codes_left(user),
            )
            return page, 429, {"Retry-After": str(wait)}
        try:
            if action == "disable":
                two_factor.disable(user, form.code.data)
            else:
                codes = two_factor.regenerate_recovery_codes(user, form.code.data)
        except two_factor.TwoFactorError as error:
            db.session.commit()  # the wrong code is counted (two_factor.code_wait)
            security_event("two_factor_failed", email=user.email)
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            if action == "disable":
                flash(_("Two-factor authentication is off."), "success")
                return redirect(url_for("auth.two_factor_account"))
            next_url = url_for("auth.two_factor_account")
            page = render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
            return page, 200, NO_STORE
    page = render_template(
        "auth/two_factor_account.html",
        form=form,
        enabled=two_factor.is_enabled(user),
        required=two_factor.required_for(user),
        left=two_factor.recovery_codes_left(user) if two_factor.is_enabled(user) else 0,
    )
    return page, 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out here and end every other session of this user."""
    end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


#: The reset link is a secret in the address: no cache may keep its pages.
NO_STORE = {"Cache-Control": "no-store"}


def _no_passwords():
    """404 for the password pages where LOCAL_PASSWORDS is off."""
    message = _(
        "This server does not sign in with passwords: sign in with the button on the sign-in page."
    )
    return render_template("error.html", code=404, message=message), 404, NO_STORE


@bp.route("/forgot-password", methods=["GET", "POST"])
@rate_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    """Ask for a password-reset link by email; the reply is the same whether or not the
    address has an account."""
    if not oidc.local_passwords():
        return _no_passwords()
    enabled = mail_enabled()
    form = ForgotPasswordForm()
    if enabled and form.validate_on_submit():
        # Looked up, written and sent after the response: the reply takes the same time
        # whether or not the address has an account.
        email, address = form.email.data.strip().lower(), request.remote_addr
        after_response(lambda: email_reset_link(email, address))
        flash(
            _(
                "If %(email)s belongs to an account, a link to choose a new password is on its "
                "way. Check your inbox, and your spam folder.",
                email=form.email.data.strip(),
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, enabled=enabled)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the one-time link an administrator gave."""
    if not oidc.local_passwords():
        return _no_passwords()
    user = user_for_reset_token(token)
    if user is None:
        message = _(
            "This link is not valid any more. Ask for a new one on the sign-in page, or ask an "
            "administrator."
        )
        return render_template("error.html", code=404, message=message), 404, NO_STORE
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password_operation(user, form.password.data)
        except AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password is changed. Sign in with it now."), "success")
            return redirect(url_for("auth.login"))
    page = render_template("auth/reset.html", form=form, user=user)
    return page, 422 if form.errors else 200, NO_STORE


@bp.route("/language", methods=["GET", "POST"])
def choose_language():
    """Choose the interface language: kept in a cookie, and with a signed-in user's account."""
    form = LanguageForm()
    if request.method == "GET":
        form.language.data = str(get_locale())
        form.next.data = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        if current_user.is_authenticated:
            set_language(db.session.get(User, current_user.id), form.language.data)
            db.session.commit()
        response = redirect(_safe_next(form.next.data) or url_for("main.home"))
        response.set_cookie(
            LANGUAGE_COOKIE,
            form.language.data,
            max_age=LANGUAGE_COOKIE_SECONDS,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
    return render_template("auth/language.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; signs out every other session and revokes API tokens."""
    if not oidc.local_passwords():
        return _no_passwords()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user, address = db.session.get(User, current_user.id), request.remote_addr
        # The current password is guessed here as at sign-in: counted and slowed alike.
        wait = wait_before_sign_in(user.email, address)
        if wait:
            security_event("login_throttled", email=user.email, wait=wait)
            form.current.errors.append(_wait_message(wait))
            page = render_template("auth/change_password.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        if not user.check_password(form.current.data):
            sign_in_failed(user.email, address)
            db.session.commit()
            security_event("password_change_failed")
            form.current.errors.append(_("The current password is not correct."))
        else:
            try:
                change_password_operation(user, form.password.data)
            except AccountError as error:
                db.session.rollback()
                form.password.errors.append(str(error))
            else:
                sign_in_succeeded(user.email, address)
                db.session.commit()
                kept_answers = session.get(STASH_KEY)
                second_factor = session.get(SECOND_FACTOR, False)
                session.clear()
                if kept_answers:
                    session[STASH_KEY] = kept_answers
                login_user(user)  # this browser stays signed in, with the new session token
                start_session(second_factor=second_factor)
                security_event("password_changed")
                flash(_("Your password is changed; other sessions are signed out."), "success")
                return redirect(url_for("main.home"))
    page = render_template("auth/change_password.html", form=form)
    return page, 422 if form.errors else 200
