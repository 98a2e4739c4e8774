"""Email against a real SMTP server on 127.0.0.1 (aiosmtpd): notifications at once or in a
daily digest, one-click unsubscribe, deadline reminders once each, self-service password reset."""

import socket
from datetime import date, timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from surveyapp.assessments.models import AssessmentState
from surveyapp.auth.models import Role
from surveyapp.db import utcnow
from surveyapp.extensions import db
from surveyapp.mail.models import Delivery, MailPreference, OutgoingMail, Topic
from surveyapp.mail.operations import set_delivery
from surveyapp.notifications.operations import notify

PUBLIC = "http://surveyapp.test"


class Inbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_DEFAULT_SENDER="surveyapp <noreply@surveyapp.test>",
        PUBLIC_URL=PUBLIC,
    )
    yield handler
    controller.stop()


@pytest.fixture
def people(create_region, create_user, create_assessment):
    region = create_region()
    officer = create_user(email="olga@example.org", name="Olga", regions=[region], language="fr")
    expert = create_user(email="erik@example.org", name="Erik", role=Role.expert)
    assessment = create_assessment(region=region)
    return {"officer": officer, "expert": expert, "assessment": assessment, "region": region}


def _comment(people):
    notify(
        [people["officer"]], "comment", people["assessment"], people["expert"], item_id="maturity"
    )
    db.session.commit()


def _body(message) -> str:
    return message.get_content()


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(OutgoingMail))


def test_mail_is_off_by_default(app, cli, people):
    _comment(people)
    assert _outbox() == 0
    result = cli.invoke(args=["mail", "deliver"])
    assert result.exit_code != 0 and "MAIL_SERVER" in result.output


def test_a_notification_goes_at_once_in_the_readers_language(app, cli, client, inbox, people):
    _comment(people)
    result = cli.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    [(recipients, message)] = inbox.messages
    assert recipients == ["olga@example.org"] and message["To"] == "olga@example.org"
    assert message["From"] == "surveyapp <noreply@surveyapp.test>"
    assert message["Subject"].startswith("Erik a commenté une question de")
    assert message["Subject"].endswith("País Vasco, 2026 spring.")
    assert message["Content-Language"] == "fr" and message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@surveyapp.test>")
    body = _body(message)
    assert "Bonjour Olga," in body
    assessment_url = f"{PUBLIC}/assessments/{people['assessment'].id}#thread-maturity"
    assert assessment_url in body
    # delivered once: another run sends nothing
    assert "0 sent" in cli.invoke(args=["mail", "deliver"]).output
    # the one-click unsubscribe of RFC 8058, without a session or a CSRF token
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in body
    answer = client.post(_path(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    preference = db.session.get(MailPreference, (people["officer"].id, Topic.comments))
    assert preference.delivery == Delivery.off
    _comment(people)
    assert _outbox() == 1  # nothing new written
    # other topics still come
    notify([people["officer"]], "validated", people["assessment"], people["expert"])
    db.session.commit()
    cli.invoke(args=["mail", "deliver"])
    assert len(inbox.messages) == 2 and "validé" in inbox.messages[1][1]["Subject"]


def test_an_unsubscribe_link_page_and_a_forged_one(client, inbox, people):
    _comment(people)
    mail = db.session.scalars(select(OutgoingMail)).one()
    link = next(line for line in mail.body.splitlines() if "/mail/unsubscribe/" in line)
    path = _path(link.split(": ", 1)[1].strip())
    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_a_digest_gathers_the_day_once(app, cli, inbox, people):
    set_delivery(people["officer"], Topic.comments, Delivery.digest)
    db.session.commit()
    _comment(people)
    _comment(people)
    cli.invoke(args=["mail", "deliver"])
    assert inbox.messages == []
    result = cli.invoke(args=["mail", "digest"])
    assert "1 digests written" in result.output, result.output
    cli.invoke(args=["mail", "deliver"])
    [(_to, message)] = inbox.messages
    body = _body(message)
    assert body.count("Erik a commenté une question de") == 2
    assert message["List-Unsubscribe"]  # one topic: one click stops it
    assert "0 digests written" in cli.invoke(args=["mail", "digest"]).output


def test_reminders_go_once_to_regions_that_have_not_submitted(
    app, cli, inbox, create_region, create_user, create_round, create_assessment
):
    round_ = create_round()
    late, done = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    create_user(email="late@example.org", regions=[late])
    create_user(email="done@example.org", regions=[done])
    create_user(email="gone@example.org", regions=[late], active=False)
    create_assessment(region=late, round_=round_)
    create_assessment(region=done, round_=round_, state=AssessmentState.submitted)
    seven_before = (round_.closes_on - timedelta(days=7)).isoformat()
    for _ in range(2):
        result = cli.invoke(args=["notify", "reminders", "--today", seven_before])
        assert result.exit_code == 0, result.output
    assert _outbox() == 1
    eight_before = (round_.closes_on - timedelta(days=8)).isoformat()
    assert "0 reminders" in cli.invoke(args=["notify", "reminders", "--today", eight_before]).output
    day_before = (round_.closes_on - timedelta(days=1)).isoformat()
    assert "1 reminders" in cli.invoke(args=["notify", "reminders", "--today", day_before]).output
    cli.invoke(args=["mail", "deliver"])
    assert [to for to, _m in inbox.messages] == [["late@example.org"], ["late@example.org"]]
    subjects = [message["Subject"] for _to, message in inbox.messages]
    assert subjects == [
        "2026 spring closes in 7 days: your region has not submitted yet",
        "2026 spring closes tomorrow: your region has not submitted yet",
    ]
    assert "closes on May 31, 2026." in _body(inbox.messages[0][1])


def test_forgot_password_sends_a_working_link_and_reveals_nothing(
    app, cli, client, inbox, create_user
):
    create_user(email="olga@example.org")
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    known = client.post("/forgot-password", data={"email": "Olga@Example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    # the account is looked up, the message written and sent once the response has gone
    assert _outbox() == 0
    unknown.close()
    known.close()
    assert _outbox() == 1
    [(recipients, message)] = inbox.messages  # sent right after the response
    assert recipients == ["olga@example.org"] and "List-Unsubscribe" not in message
    # asked again within the quarter of an hour: no second email
    client.post("/forgot-password", data={"email": "olga@example.org"}).close()
    assert _outbox() == 1
    link = next(line for line in _body(message).splitlines() if "/reset/" in line).strip()
    page = client.get(_path(link))
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)


def test_forgot_password_without_mail_says_whom_to_ask(client, create_user):
    create_user(email="olga@example.org")
    page = client.post("/forgot-password", data={"email": "olga@example.org"})
    assert "Ask an administrator" in page.get_data(as_text=True)
    assert _outbox() == 0


def test_a_server_that_cannot_be_reached_keeps_the_message(app, cli, inbox, people):
    _comment(people)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _free_port()  # nobody listens there
    result = cli.invoke(args=["mail", "deliver"])
    assert result.exit_code == 1 and "1 failed" in result.output
    mail = db.session.scalars(select(OutgoingMail)).one()
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
    app.config["MAIL_PORT"] = port
    assert "1 sent" in cli.invoke(args=["mail", "deliver"]).output
    assert len(inbox.messages) == 1


def test_preferences_on_the_account_page(client, login, people):
    login(people["officer"])
    page = client.get("/account/email")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="reminders"' in html and 'value="digest"' in html
    data = {"reviews": "digest", "comments": "off", "contacts": "immediate", "reminders": "off"}
    assert client.post("/account/email", data=data).status_code == 302
    stored = {
        p.topic: p.delivery
        for p in db.session.scalars(select(MailPreference).filter_by(user_id=people["officer"].id))
    }
    assert stored == {Topic(k): Delivery(v) for k, v in data.items()}
    refused = client.post("/account/email", data=data | {"reminders": "digest"})
    assert refused.status_code == 200  # no digest for reminders: refused at its field


def test_reminder_dates_need_an_open_round(app, cli, inbox, create_round):
    create_round(state="planned")
    today = date(2026, 5, 24).isoformat()
    assert "0 reminders" in cli.invoke(args=["notify", "reminders", "--today", today]).output


def test_a_message_that_cannot_be_written_does_not_stop_the_others(app, cli, inbox, people):
    db.session.add(
        OutgoingMail(
            user_id=people["officer"].id,
            to_address="broken\r\nBcc: someone@example.org",
            subject="x",
            body="y",
            language="en",
        )
    )
    db.session.commit()
    _comment(people)
    result = cli.invoke(args=["mail", "deliver"])
    assert "1 sent, 1 failed" in result.output, result.output
    assert [to for to, _m in inbox.messages] == [["olga@example.org"]]
    broken = db.session.scalars(select(OutgoingMail).filter_by(subject="x")).one()
    assert broken.attempts == 1 and broken.sent_at is None and broken.last_error


def test_a_message_taken_by_another_run_is_not_sent_twice(app, cli, inbox, people):
    from surveyapp.mail.delivery import CLAIM_EXPIRES, deliver_pending

    _comment(people)
    mail = db.session.scalars(select(OutgoingMail)).one()
    mail.claimed_at = utcnow()  # another worker is sending it
    db.session.commit()
    assert deliver_pending() == (0, 0) and inbox.messages == []
    mail = db.session.scalars(select(OutgoingMail)).one()
    mail.claimed_at = utcnow() - CLAIM_EXPIRES - timedelta(seconds=1)  # that run died
    db.session.commit()
    assert deliver_pending() == (1, 0) and len(inbox.messages) == 1


def test_a_withdrawn_contact_request_is_not_told_later(
    app, cli, inbox, create_region, create_user, create_round
):
    """Withdrawn before the asked region read it: gone from its notifications and from its
    digest; one that was read stays on its page but is not mailed afterwards."""
    from surveyapp.contacts.models import ContactOrigin
    from surveyapp.contacts.operations import request_contact, withdraw_contact
    from surveyapp.notifications.models import Notification

    round_ = create_round()
    asking, asked = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    asker = create_user(email="asker@example.org", name="Asker", regions=[asking])
    unread = create_user(email="unread@example.org", name="Una", regions=[asked])
    reader = create_user(email="reader@example.org", name="Rea", regions=[asked])
    for user in (unread, reader):
        set_delivery(user, Topic.contacts, Delivery.digest)
    request = request_contact(asker, asking, asked.id, round_, ContactOrigin.practice)
    db.session.commit()
    seen = db.session.scalar(select(Notification).where(Notification.user_id == reader.id))
    seen.read_at = seen.created_at
    db.session.commit()

    withdraw_contact(asker, request)
    db.session.commit()

    kept = db.session.scalars(select(Notification).where(Notification.kind == "contact_requested"))
    assert [(n.user_id, n.mailed_at is not None) for n in kept] == [(reader.id, True)]
    assert "0 digests written" in cli.invoke(args=["mail", "digest"]).output
    cli.invoke(args=["mail", "deliver"])
    assert inbox.messages == []


def test_the_owner_is_told_at_once_when_the_accounts_credentials_change(
    app, cli, inbox, create_user
):
    """Password changed, a recovery code used, the second factor turned off or reset by an
    administrator: each tells the owner by email, with no unsubscribe."""
    from surveyapp.auth import two_factor
    from surveyapp.auth.operations import change_password

    owner = create_user(email="olga@example.org", name="Olga")
    admin = create_user(email="adam@example.org", name="Adam", role=Role.admin)
    secret = two_factor.new_secret()
    codes = two_factor.enable(owner, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    assert two_factor.verify(owner, codes[0], signing_in=True) == "recovery"
    change_password(owner, "a new and long passphrase for Olga 2026")
    two_factor.reset(owner, admin)
    db.session.commit()
    cli.invoke(args=["mail", "deliver"])
    received = [(to, message) for to, message in inbox.messages]
    assert {tuple(to) for to, _m in received} == {("olga@example.org",)}
    bodies = [_body(message) for _to, message in received]
    assert len(bodies) == 3, bodies
    assert any("recovery code was used" in body and "9 codes are left" in body for body in bodies)
    assert any("password of your surveyapp account was changed" in body for body in bodies)
    assert any("An administrator removed the second factor" in body for body in bodies)
    assert all("If it was not you, tell an administrator" in body for body in bodies)
    assert all(message["List-Unsubscribe"] is None for _to, message in received)
