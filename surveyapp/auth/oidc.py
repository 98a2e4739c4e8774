"""Sign-in with OpenID Connect (issue 24): the provider's client, and the account that a
provider's answer signs in to.

The provider proves who is signing in; what they may do stays surveyapp's (role and regions).
Authlib's Flask client runs the authorization code flow with PKCE (S256), keeps the state and
the nonce in the session and checks them, and checks the ID token (signature against the
provider's keys, issuer, audience, expiry, nonce). An account is linked, at its first sign-in
through the provider, to the identity the provider signs it in as (issuer and ``sub``) and found
by it afterwards; before that it is matched by the email address the provider says it verified
(``email_verified``), never by an unverified one. With
OIDC_ACCOUNTS=create an unknown verified address gets a new officer account without a region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import current_app, request, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError

from surveyapp.auth.models import User
from surveyapp.auth.operations import AccountError, create_user_from_provider, link_identity
from surveyapp.auth.queries import find_user_by_email, find_user_by_identity

#: The client's name in Authlib's registry (and the state's key in the session).
NAME = "oidc"
#: Where the app keeps its client, with the settings it was made from.
EXTENSION = "surveyapp.oidc"
#: What goes wrong talking to the provider: an error it answers, a state or ID token that does
#: not check, a provider that cannot be reached or answers nonsense.
PROVIDER_ERRORS = (OAuthError, JoseError, requests.RequestException, ValueError, KeyError)


class SignInRefused(Exception):
    """The provider's answer signs no one in. The message is for the person; ``reason`` and
    ``details`` are for the security log."""

    def __init__(self, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


def is_enabled() -> bool:
    """Whether sign-in through an OpenID Connect provider is offered (OIDC_ISSUER is set)."""
    return bool(current_app.config.get("OIDC_ISSUER"))


def local_passwords() -> bool:
    """Whether people may sign in with a password here (LOCAL_PASSWORDS, default on)."""
    return bool(current_app.config.get("LOCAL_PASSWORDS", True))


def button_label() -> str:
    """The sign-in page's button: the provider's name from OIDC_BUTTON_LABEL."""
    name = current_app.config.get("OIDC_BUTTON_LABEL")
    if name:
        return _("Sign in with %(provider)s", provider=name)
    return _("Sign in with single sign-on")


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def redirect_uri() -> str:
    """The callback address the provider knows: PUBLIC_URL's, not the request's (behind a
    proxy the request's scheme and host are the proxy's)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.oidc_callback")


def provider():
    """The provider's client (Authlib), made once per app and settings: the discovery
    document and the provider's keys are fetched at the first sign-in and kept."""
    app = current_app._get_current_object()
    config = app.config
    settings = tuple(
        config[key]
        for key in (
            "OIDC_ISSUER",
            "OIDC_CLIENT_ID",
            "OIDC_CLIENT_SECRET",
            "OIDC_SCOPES",
            "OIDC_TIMEOUT",
        )
    )
    kept = app.extensions.get(EXTENSION)
    if kept is not None and kept[0] == settings:
        return kept[1]
    client = OAuth(app).register(
        NAME,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=discovery_url(config["OIDC_ISSUER"]),
        client_kwargs={
            "scope": config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": config["OIDC_TIMEOUT"],
        },
    )
    app.extensions[EXTENSION] = (settings, client)
    return client


def _failed(error: Exception) -> SignInRefused:
    return SignInRefused(
        "provider_error",
        _("Signing in through the identity provider did not succeed. Start again from this page."),
        error=f"{type(error).__name__}: {error}"[:300],
    )


def start_sign_in():
    """The redirect to the provider's sign-in page (the state, nonce and PKCE verifier kept
    in the session by Authlib)."""
    try:
        return provider().authorize_redirect(redirect_uri())
    except PROVIDER_ERRORS as error:
        raise _failed(error) from error


def finish_sign_in() -> dict[str, Any]:
    """The claims about the person the provider sent back: the checked ID token's, with the
    userinfo endpoint's where the token lacks the email (as many providers send it).

    Refused (SignInRefused) when the provider reports an error, the state is not the one this
    browser was given (tampered, or already used), the code is refused by the provider (used
    twice) or the ID token does not check.
    """
    client = provider()
    try:
        issuer = request.args.get("iss")  # RFC 9207: the answer names its provider
        if issuer is not None and issuer != client.load_server_metadata().get("issuer"):
            raise OAuthError(error="issuer_mismatch", description=issuer[:200])
        token = client.authorize_access_token()
        claims = token.get("userinfo")
        if not claims:
            raise OAuthError(error="no_id_token")
        claims = dict(claims)
        email_claim = current_app.config["OIDC_EMAIL_CLAIM"]
        if email_claim not in claims or "email_verified" not in claims:
            info = client.userinfo(token=token)
            if info.get("sub") != claims.get("sub"):  # OpenID Connect Core 5.3.2
                raise OAuthError(error="userinfo_subject_mismatch")
            claims = {**info, **claims}
    except PROVIDER_ERRORS as error:
        raise _failed(error) from error
    return claims


def is_verified(claims: Mapping[str, Any]) -> bool:
    """Whether the provider says it verified the email (a JSON true; some providers send the
    string "true")."""
    return claims.get("email_verified") in (True, "true")


def _name(claims: Mapping[str, Any], email: str) -> str:
    """A new account's name: the name claim on one line, else the email's local part."""
    value = claims.get(current_app.config["OIDC_NAME_CLAIM"])
    name = " ".join(value.split())[:200] if isinstance(value, str) else ""
    return name or email.partition("@")[0]


def account_for(claims: Mapping[str, Any]) -> tuple[User, bool]:
    """The account these claims sign in to, and whether it was made now (OIDC_ACCOUNTS=create).

    An account linked to the provider's identity (issuer and ``sub``) is found by it; an
    account not linked yet is found by the email the provider verified and linked to the
    identity then. Refused (SignInRefused) for a deactivated account, without an email or with
    one the provider did not verify (unless linked), for an account linked to another identity
    (the provider gave the address to someone else), and for an unknown email unless accounts
    are created.
    """
    issuer = str(claims.get("iss") or current_app.config["OIDC_ISSUER"])[:300]
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused(
            "no_subject",
            _("The identity provider's answer could not be used. Ask an administrator."),
        )
    linked = find_user_by_identity(issuer, subject)
    if linked is not None:
        if not linked.active:
            raise SignInRefused(
                "deactivated",
                _(
                    "The account of %(email)s is deactivated. Ask an administrator.",
                    email=linked.email,
                ),
                email=linked.email,
            )
        return linked, False
    email = claims.get(current_app.config["OIDC_EMAIL_CLAIM"])
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused(
            "no_email",
            _(
                "The identity provider did not give your email address, so no account can be "
                "found for you. Ask an administrator."
            ),
            sub=str(claims.get("sub"))[:200],
        )
    email = email.strip()[:254]
    if not is_verified(claims):
        raise SignInRefused(
            "email_unverified",
            _(
                "The identity provider has not verified your email address %(email)s, so it "
                "cannot sign you in here. Verify the address with the provider, then sign in "
                "again.",
                email=email,
            ),
            email=email,
        )
    user = find_user_by_email(email)
    if user is not None and not user.active:
        raise SignInRefused(
            "deactivated",
            _("The account of %(email)s is deactivated. Ask an administrator.", email=email),
            email=email,
        )
    if user is not None:
        if user.oidc_subject is not None:
            raise SignInRefused(
                "linked_to_another_identity",
                _(
                    "The account of %(email)s signs in as another identity of the provider. "
                    "Ask an administrator.",
                    email=email,
                ),
                email=email,
                sub=subject[:200],
            )
        link_identity(user, issuer, subject)
        return user, False
    if current_app.config["OIDC_ACCOUNTS"] != "create":
        raise SignInRefused(
            "unknown_email",
            _(
                "No account here has the email address %(email)s. Ask an administrator to "
                "create one, then sign in again.",
                email=email,
            ),
            email=email,
        )
    try:
        user = create_user_from_provider(email, _name(claims, email))
        link_identity(user, issuer, subject)
        return user, True
    except AccountError as error:
        raise SignInRefused(
            "account_not_created",
            _(
                "No account could be made for %(email)s. Ask an administrator.",
                email=email,
            ),
            email=email,
            error=str(error),
        ) from error
