"""Two-factor secrets sealed at rest (auth.sealing): a copy of the database alone gives nobody a
second factor; keys are replaced without locking anyone out; secrets stored in clear before
sealing keep working and are sealed at their next use."""

from __future__ import annotations

import json
import re
import time

import pyotp
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from config import ProductionConfig
from surveyapp import create_app
from surveyapp.auth import sealing
from surveyapp.auth.models import Role, User
from surveyapp.auth.two_factor import reseal_secrets
from surveyapp.extensions import db
from tests.test_two_factor import _enrol, _sign_in, _signed_in


@pytest.fixture
def require(app):
    app.config["REQUIRE_2FA_FOR"] = frozenset({"admin", "expert"})


def stored_secret(user) -> str:
    """The column as a copy of the database holds it."""
    return db.session.execute(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()


def _login(app, user):
    client = app.test_client()
    _sign_in(client, user)
    return client


def sign_in_with_code(app, user, secret) -> bool:
    client = app.test_client()
    _sign_in(client, user)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: not used yet
    client.post("/login/code", data={"code": code})
    return _signed_in(client)


def test_an_enrolled_secret_is_stored_sealed_and_still_signs_in(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    stored = stored_secret(expert)
    assert stored.startswith(sealing.SEALED) and secret not in stored
    assert sealing.unseal(stored) == secret
    assert sign_in_with_code(app, expert, secret)


def test_a_secret_stored_in_clear_works_and_is_sealed_at_its_next_use(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    # As an installation upgraded from before sealing holds it.
    db.session.execute(
        text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": secret, "id": expert.id}
    )
    db.session.commit()
    assert sign_in_with_code(app, expert, secret)
    db.session.expire_all()
    stored = stored_secret(expert)
    assert stored.startswith(sealing.SEALED) and secret not in stored


def test_a_new_key_put_first_opens_old_secrets_and_reseals_them(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    old_key = app.config["TOTP_KEYS"][0]
    new_key = Fernet.generate_key().decode()
    app.config["TOTP_KEYS"] = (new_key, old_key)
    assert sign_in_with_code(app, expert, secret)  # opened with the old key, sealed with the new
    db.session.expire_all()
    app.config["TOTP_KEYS"] = (new_key,)  # the old key dropped: still opens
    assert sealing.unseal(stored_secret(expert)) == secret


def test_reseal_secrets_seals_every_secret_under_the_first_key(app, require, create_user):
    emil = create_user(email="emil@example.org", role=Role.expert)
    ada = create_user(email="ada@example.org", role=Role.admin)
    lost = create_user(email="lost@example.org", role=Role.admin)
    emil_secret, _ = _enrol(_login(app, emil))
    ada_secret, _ = _enrol(_login(app, ada))
    lost_secret, _ = _enrol(_login(app, lost))
    old_key = app.config["TOTP_KEYS"][0]
    # Ada's from before sealing (in clear); the lost one sealed under a key nobody has now.
    db.session.execute(
        text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": ada_secret, "id": ada.id}
    )
    app.config["TOTP_KEYS"] = (Fernet.generate_key().decode(),)
    lost_stored = sealing.seal(lost_secret)
    db.session.execute(
        text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": lost_stored, "id": lost.id}
    )
    db.session.commit()
    new_key = Fernet.generate_key().decode()
    app.config["TOTP_KEYS"] = (new_key, old_key)
    db.session.expire_all()
    assert reseal_secrets() == (2, 1)
    db.session.commit()
    db.session.expire_all()
    app.config["TOTP_KEYS"] = (new_key,)
    assert sealing.unseal(stored_secret(emil)) == emil_secret
    assert sealing.unseal(stored_secret(ada)) == ada_secret
    assert stored_secret(lost) == lost_stored  # left as it was
    assert reseal_secrets() == (0, 1)  # nothing more to do


def test_the_command_reports_secrets_no_key_opens(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    _enrol(_login(app, expert))
    app.config["TOTP_KEYS"] = (Fernet.generate_key().decode(),)
    result = app.test_cli_runner().invoke(args=["users", "reseal-secrets"])
    assert result.exit_code == 1
    assert "1 secret(s) no key of TOTP_KEYS opens" in result.output
    assert "sealed again: 0" in result.output


def test_without_its_key_the_code_fails_and_a_recovery_code_still_signs_in(
    app, require, create_user, caplog
):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, codes = _enrol(_login(app, expert))
    app.config["TOTP_KEYS"] = (Fernet.generate_key().decode(),)
    client = app.test_client()
    _sign_in(client, expert)
    refused = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert "Codes from your app cannot be checked at the moment" in refused.get_data(as_text=True)
    assert not _signed_in(client)
    assert "cannot be opened with TOTP_KEYS" in caplog.text
    db.session.expire_all()
    assert not db.session.get(User, expert.id).totp_failures  # not the owner's failure
    client = app.test_client()
    _sign_in(client, expert)
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 302
    assert _signed_in(client)


def test_a_new_key_from_the_command_is_a_fernet_key(app):
    result = app.test_cli_runner().invoke(args=["users", "new-totp-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip())  # raises ValueError if not


def test_production_refuses_to_start_without_its_own_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.delenv("TOTP_KEYS", raising=False)
    with pytest.raises(SystemExit) as excinfo:
        create_app(ProductionConfig)
    assert "TOTP_KEYS" in str(excinfo.value)


def test_a_key_that_is_not_a_fernet_key_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("TOTP_KEYS", f"{Fernet.generate_key().decode()} not-a-key")
    with pytest.raises(SystemExit) as excinfo:
        create_app("development")
    assert "TOTP_KEYS: key 2 is not a Fernet key" in str(excinfo.value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=64))
def test_any_secret_comes_back_fits_its_column_and_is_not_readable(app, secret):
    with app.app_context():
        stored = sealing.seal(secret)
        assert sealing.unseal(stored) == secret
        assert secret not in stored
        assert len(stored) <= User.__table__.c.totp_secret.type.length
        assert not sealing.needs_resealing(stored)


def test_the_column_holds_no_secret_in_clear_after_enrolment(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    everything = db.session.execute(select(User.totp_secret)).scalars().all()
    assert all(value is None or secret not in value for value in everything)


def test_the_secret_being_set_up_is_sealed_in_the_session_cookie(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    client = _login(app, expert)
    page = client.get("/login/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    session = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in json.dumps(session)
    # And the page shows the same secret again until it is confirmed.
    again = client.get("/login/setup").get_data(as_text=True)
    assert f'<code class="secret">{secret}</code>' in again


def test_resealing_never_writes_over_a_secret_set_up_meanwhile(
    app, require, create_user, monkeypatch
):
    from surveyapp.auth import two_factor

    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    db.session.execute(
        text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": secret, "id": expert.id}
    )
    db.session.commit()
    newer = sealing.seal(pyotp.random_base32())
    opened = two_factor.unseal

    def set_up_again_meanwhile(stored):
        db.session.execute(
            text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": newer, "id": expert.id}
        )
        return opened(stored)

    monkeypatch.setattr(two_factor, "unseal", set_up_again_meanwhile)
    assert reseal_secrets() == (0, 0)
    assert stored_secret(expert) == newer


def test_secrets_go_back_in_clear_before_a_downgrade(app, require, create_user):
    expert = create_user(email="emil@example.org", role=Role.expert)
    secret, _codes = _enrol(_login(app, expert))
    result = app.test_cli_runner().invoke(args=["users", "reseal-secrets", "--in-clear"])
    assert result.exit_code == 0 and "stored in clear: 1" in result.output
    db.session.expire_all()
    assert stored_secret(expert) == secret
    assert sign_in_with_code(app, expert, secret)  # and sealed again at its use
    assert stored_secret(expert).startswith(sealing.SEALED)


def test_the_command_refuses_to_seal_under_a_key_derived_from_secret_key(app):
    app.config["TOTP_KEYS_DERIVED"] = True
    result = app.test_cli_runner().invoke(args=["users", "reseal-secrets"])
    assert result.exit_code == 1 and "TOTP_KEYS is not set" in result.output
