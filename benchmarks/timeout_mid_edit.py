"""Scenario F7 of RELIABILITY.md: a session and its CSRF tokens time out mid-edit, nothing is lost.

The app runs under gunicorn with a short idle timeout (--idle-timeout, 2 minutes) and CSRF tokens
that expire (--csrf-limit, 60 s), served by benchmarks/short_sessions.py. In headless Chromium an
officer types into the four text answers of the good-practices section without stopping for
--type-minutes (moving to the next answer every --chunk-seconds, as a person does), so every
token the page holds expires several times while the autosaves go on. Then the officer leaves
the page alone for --idle-minutes, longer than the idle timeout, and goes on to submit: the
session has ended, the sign-in page comes, and after signing in again the officer submits.

Checked afterwards, and the script exits 1 when one fails:

- every character typed is stored (each answer is its earlier text and all that was typed);
- the section page after signing in again shows every typed answer;
- the idle session had ended (the submit went to the sign-in page), and the submit succeeded.

The rest of the draft's required answers are filled beforehand from another region's submitted
assessment (the officer did that earlier), so that the submit can succeed.

Run: .venv/bin/python benchmarks/timeout_mid_edit.py [--type-minutes 5] [--idle-minutes 3]
     [--idle-timeout 120] [--csrf-limit 60] [--chunk-seconds 8] [--postgres]
Needs Chromium (/usr/bin/chromium). Prints what happened; the defaults take about 9 minutes.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_forms  # the same server and database helpers
from nothing_lost import run_script

from surveyapp.auth.sessions import SEEN_RESOLUTION

PASSWORD = "timeout mid edit password 1"
SECTION = "good_practices"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WORDS = [
    *("cooperation", "partners", "région", "Baden-Württemberg", "pilot", "line", "SMEs"),
    *("vouchers", "cluster", "mission", "knowledge", "transfer", "łańcuch", "wartości"),
    *("innovation", "agency", "RTO", "joint", "call", "interregional"),
]

SETUP = """
import json, sys
from sqlalchemy import select
from surveyapp import create_app
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import answer_values, missing_required, save_answer
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState
app = create_app("development")
password, section = sys.argv[1], sys.argv[2]
with app.app_context():
    in_open_round = select(Assessment).join(Round).where(Round.state == RoundState.open)
    draft = db.session.scalars(
        in_open_round.where(Assessment.state == AssessmentState.draft).order_by(Assessment.id)
    ).first()
    officer = db.session.scalar(
        select(User).where(User.role == Role.officer, User.active)
        .where(User.regions.any(id=draft.region_id)).order_by(User.email)
    )
    officer.set_password(password)
    donors = db.session.scalars(
        in_open_round.where(Assessment.state == AssessmentState.submitted).order_by(Assessment.id)
    ).all()
    for _pass in range(5):  # an answer copied can show further required items
        missing = missing_required(draft)
        for item in missing:
            for donor in donors:
                value = answer_values(donor).get(item.id)
                if value is not None:
                    save_answer(draft, item.id, value, officer)
                    break
        db.session.commit()
        if not missing:
            break
    definition = draft.round.questionnaire.parsed
    items = [i.id for i in definition.section(section).items
             if i.type in ("text", "long_text") and not i.show_if]
    print(json.dumps({
        "email": officer.email, "assessment_id": draft.id, "items": items,
        "missing": [item.id for item in missing_required(draft)],
    }))
"""

READ = """
import json, sys
from surveyapp import create_app
from surveyapp.assessments.models import Assessment
from surveyapp.assessments.operations import answer_values
from surveyapp.extensions import db
app = create_app("development")
with app.app_context():
    assessment = db.session.get(Assessment, int(sys.argv[1]))
    values = answer_values(assessment)
    print(json.dumps({"state": assessment.state.value,
                      "values": {item: values.get(item) for item in json.loads(sys.argv[2])}}))
"""


def phrase(rng) -> str:
    """A few words, now and then a new line: what an officer writes."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 7))]
    return " " + " ".join(words) + ("." if rng.random() < 0.7 else ".\n")


def sign_in(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def play(base: str, setup: dict, args) -> dict:
    """The officer's part in Chromium; returns what was typed and what the pages showed."""
    from playwright.sync_api import expect, sync_playwright

    rng = secrets.SystemRandom()
    assessment_id, items = setup["assessment_id"], setup["items"]
    section_url = f"{base}/assessments/{assessment_id}/sections/{SECTION}"
    replies: dict[int, int] = {}
    renewals: dict[int, int] = {}  # the page's requests for a new CSRF token
    facts: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()

        def count(response):
            if response.url.endswith("/csrf-token"):
                renewals[response.status] = renewals.get(response.status, 0) + 1
            elif "/answers/" in response.url and response.request.method == "POST":
                replies[response.status] = replies.get(response.status, 0) + 1

        page.on("response", count)
        page.goto(f"{base}/login")
        sign_in(page, setup["email"])
        page.goto(section_url)
        typed = {item: page.locator(f'textarea[name="{item}"]').input_value() for item in items}
        characters, turn = 0, 0
        stop_at = time.monotonic() + args.type_minutes * 60
        while time.monotonic() < stop_at:
            item = items[turn % len(items)]
            field = page.locator(f'textarea[name="{item}"]')
            field.click()
            field.press("Control+End")
            chunk_ends = time.monotonic() + args.chunk_seconds
            while time.monotonic() < min(chunk_ends, stop_at):
                text = phrase(rng)
                field.press_sequentially(text, delay=60)
                typed[item] += text
                characters += len(text)
            turn += 1
        page.locator("body").click(position={"x": 5, "y": 5})  # leaves the last field
        expect(page.locator("#save-status")).to_contain_text("Saved", timeout=60_000)
        page.wait_for_timeout(2000)
        facts["status_after_typing"] = page.locator("#save-status").inner_text()
        page.wait_for_timeout(args.idle_minutes * 60 * 1000)  # nobody at the keyboard

        # Back at the desk: on to submit. The idle session has ended.
        page.goto(f"{base}/assessments/{assessment_id}/submit")
        facts["asked_to_sign_in"] = "/login" in page.url
        sign_in(page, setup["email"])
        facts["back_on"] = page.url
        page.get_by_role("button", name="Submit the assessment").click()
        page.wait_for_load_state()
        facts["submitted_message"] = page.get_by_text("Submitted.").count() > 0
        page.goto(section_url)
        facts["shown"] = {
            item: page.locator(f'[data-item="{item}"] .answer').inner_text() for item in items
        }
        browser.close()
    facts.update(typed=typed, characters=characters, replies=replies, renewals=renewals)
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type-minutes", type=float, default=5)
    parser.add_argument("--idle-minutes", type=float, default=3)
    parser.add_argument("--idle-timeout", type=int, default=120, help="seconds")
    parser.add_argument("--csrf-limit", type=int, default=60, help="seconds")
    parser.add_argument("--chunk-seconds", type=float, default=8)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.idle_timeout < 2 * SEEN_RESOLUTION:
        parser.error(
            f"--idle-timeout under {2 * SEEN_RESOLUTION} s: the app notes activity once every "
            f"{SEEN_RESOLUTION} s, so the session could end while the officer types"
        )
    if args.idle_minutes * 60 <= args.idle_timeout:
        parser.error("--idle-minutes must be longer than --idle-timeout for the session to end")

    if args.postgres:
        import psycopg

        name = "surveyapp_timeout_mid_edit"
        with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        db_url = f"sqlite:///{tempfile.mkdtemp(prefix='timeout-mid-edit-')}/app.db"
    bench_forms.prepare_database(db_url)
    setup = run_script(SETUP, db_url, PASSWORD, SECTION)
    if setup["missing"]:
        sys.exit(f"the draft still misses required answers: {setup['missing']}")
    (port,) = bench_forms.free_ports(1)
    env = {
        "SURVEYAPP_CONFIG": "production",
        "SECRET_KEY": "timeout mid edit",
        "TOTP_KEYS": "A" * 43 + "=",  # a valid Fernet key (a throwaway database)
        "DATABASE_URL": db_url,
        "SESSION_COOKIE_SECURE": "0",
        "SESSION_IDLE_TIMEOUT": str(args.idle_timeout),
        "WTF_CSRF_TIME_LIMIT": str(args.csrf_limit),
        "PYTHONPATH": str(Path(__file__).resolve().parent),
    }
    server = bench_forms.gunicorn("short_sessions:create_app()", port, env, bench_forms.ROOT)
    try:
        bench_forms.wait_for(port, "/login")
        facts = play(f"http://127.0.0.1:{port}", setup, args)
    finally:
        server.terminate()
        server.wait()
    found = run_script(READ, db_url, str(setup["assessment_id"]), json.dumps(setup["items"]))

    problems = []
    lost = 0
    for item, text in facts["typed"].items():
        expected, stored = text.strip(), found["values"][item] or ""
        if stored != expected:
            lost += max(1, len(expected) - len(stored))
            problems.append(f"{item}: stored {len(stored)} characters, typed {len(expected)}")
        shown = re.sub(r"\s+", " ", facts["shown"][item]).strip()
        if shown != re.sub(r"\s+", " ", expected):
            problems.append(f"{item}: the page after signing in again does not show it all")
    if not facts["asked_to_sign_in"]:
        problems.append("the idle session had not ended: the submit did not ask to sign in")
    if found["state"] != "submitted" or not facts["submitted_message"]:
        problems.append(f"not submitted (state {found['state']}, page {facts['back_on']})")

    print(
        f"\n== F7 on {'PostgreSQL' if args.postgres else 'SQLite'}: typed {args.type_minutes:g} "
        f"min, idle {args.idle_minutes:g} min; idle timeout {args.idle_timeout} s, CSRF tokens "
        f"{args.csrf_limit} s"
    )
    print(f"characters typed: {facts['characters']} into {len(facts['typed'])} answers")
    print(f"autosave replies: {dict(sorted(facts['replies'].items()))} (400: a token expired)")
    print(f"new tokens fetched by the page: {dict(sorted(facts['renewals'].items()))}")
    print(f"after typing: {facts['status_after_typing']!r}")
    print(f"submit after the idle time asked to sign in: {facts['asked_to_sign_in']}")
    print(f"after signing in again: {facts['back_on']}; assessment {found['state']}")
    print(f"characters lost: {lost}")
    print("nothing lost" if not problems else "BROKEN: " + "; ".join(problems))
    sys.exit(0 if not problems else 1)


if __name__ == "__main__":
    main()
