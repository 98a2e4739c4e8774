"""Scenario F5 of RELIABILITY.md: two officers save the same answer over and over at once.

Two officers of one region autosave the same item of the same draft, each from the version its
last reply gave (as the page does after a save or a conflict), under gunicorn (2 sync workers),
on SQLite in WAL mode and on PostgreSQL. Officer A sends the levels 1 and 2, officer B 3 and 4,
so every save that is not refused changes the answer. Afterwards it checks, from the replies
and the audit trail, that nothing was overwritten silently:

- every reply is 200 (saved) or 409 (refused: changed meanwhile);
- each 200 got its own version, the versions run on without a gap, and the stored answer is the
  one of the highest;
- the audit trail has one change per 200, and each change starts from the value the one before
  left (a save that overwrote a change it had not seen would break this chain).

Run: .venv/bin/python benchmarks/conflict_storm.py [--saves 500] [--skip-postgres]
Prints the counts and any broken rule; exits 1 when a rule is broken.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_forms  # the same server, sign-in and database helpers

ITEM_SECTION = ("strategy",)
OFFICERS = {"A": ("officer@demo.example", ("1", "2")), "B": ("officer2@demo.example", ("3", "4"))}
PASSWORD = "storm password 1"


def save_many(port: int, cookie: str, token: str, url: str, levels, saves: int, replies: list):
    """``saves`` autosaves, each on the version the previous reply gave."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": cookie,
        "X-CSRFToken": token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    version = 0
    for number in range(saves):
        level = levels[number % len(levels)]
        conn.request("POST", url, json.dumps({"value": [level], "version": version}), headers)
        response = conn.getresponse()
        body = response.read()
        data = json.loads(body) if body.startswith(b"{") else {}
        if response.status == 200:
            version = data["version"]
        elif response.status == 409:
            version = data["current"]["version"]
        replies.append((response.status, data.get("version"), level))


STORED = """
import json, sys
from sqlalchemy import select
from surveyapp import create_app
from surveyapp.assessments.models import Answer
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
app = create_app("development")
with app.app_context():
    assessment_id, item_id = int(sys.argv[1]), sys.argv[2]
    found = select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id)
    answer = db.session.scalar(found)
    events = db.session.execute(
        select(AuditEvent.old_value, AuditEvent.new_value)
        .filter_by(assessment_id=assessment_id, item_id=item_id, action="answer.changed")
        .order_by(AuditEvent.id)
    ).all()
    print(json.dumps({
        "value": answer.value if answer else None,
        "version": answer.version if answer else 0,
        "events": [[old, new] for old, new in events],
    }))
"""


def stored(db_url: str, assessment_id: int, item_id: str) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-c", STORED, str(assessment_id), item_id],
        env=env,
        cwd=bench_forms.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def broken_rules(replies: list, before: dict, after: dict) -> list[str]:
    problems = []
    statuses = {status for status, _version, _level in replies}
    if statuses - {200, 409}:
        problems.append(f"replies other than 200 and 409: {sorted(statuses - {200, 409})}")
    # A 200 gives the version its save made, or, for a value already stored (the same answer
    # sent again: not a conflict), the version that holds it: never one version, two values.
    levels_of: dict[int, set[int]] = {}
    for status, version, level in replies:
        if status == 200:
            levels_of.setdefault(version, set()).add(int(level))
    if any(len(levels) > 1 for levels in levels_of.values()):
        problems.append("two different values saved as one version (a lost update)")
    made = sorted(version for version in levels_of if version > before["version"])
    if made != list(range(before["version"] + 1, after["version"] + 1)):
        problems.append("the versions saved do not run on without a gap to the stored one")
    if made and after["value"] not in levels_of[made[-1]]:
        problems.append(f"stored {after['value']!r}, last save {levels_of[made[-1]]}")
    events = after["events"][len(before["events"]) :]
    if len(events) != len(made):
        problems.append(f"{len(events)} audit changes for {len(made)} versions saved")
    previous = before["value"]
    for old, new in events:
        if old != previous:
            problems.append(f"a change from {old!r} overwrote {previous!r} unseen")
            break
        previous = new
    return problems


def storm(label: str, db_url: str, saves: int) -> bool:
    bench_forms.prepare_database(db_url)
    for email, _levels in OFFICERS.values():
        bench_forms.reset_officer_password(db_url, PASSWORD, email)
    (port,) = bench_forms.free_ports(1)
    env = {
        "SURVEYAPP_CONFIG": "production",
        "SECRET_KEY": "storm",
        "TOTP_KEYS": "A" * 43 + "=",  # a valid Fernet key (a throwaway database)
        "DATABASE_URL": db_url,
        "SESSION_COOKIE_SECURE": "0",
    }
    server = bench_forms.gunicorn("surveyapp:create_app()", port, env, bench_forms.ROOT)
    try:
        bench_forms.wait_for(port, "/login")
        signed_in = {
            name: bench_forms.sign_in(port, PASSWORD, email)
            for name, (email, _levels) in OFFICERS.items()
        }
        assessment_ids = {assessment_id for _cookie, _token, assessment_id in signed_in.values()}
        if len(assessment_ids) != 1:
            raise SystemExit("the two demo officers do not share a draft")
        assessment_id = assessment_ids.pop()
        item_id = bench_forms.scale_items(ITEM_SECTION)[0]
        url = f"/assessments/{assessment_id}/answers/{item_id}"
        before = stored(db_url, assessment_id, item_id)
        replies = {name: [] for name in OFFICERS}
        threads = [
            threading.Thread(
                target=save_many,
                args=(port, cookie, token, url, OFFICERS[name][1], saves, replies[name]),
            )
            for name, (cookie, token, _id) in signed_in.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    after = stored(db_url, assessment_id, item_id)
    every = replies["A"] + replies["B"]
    problems = broken_rules(every, before, after)
    counts = {
        name: (sum(r[0] == 200 for r in rs), sum(r[0] == 409 for r in rs))
        for name, rs in replies.items()
    }
    print(f"\n== {label}: 2 officers x {saves} autosaves of one answer (gunicorn 2 sync workers)")
    for name, (ok, refused) in counts.items():
        print(f"officer {name}: {ok} saved (200), {refused} refused as changed meanwhile (409)")
    print(f"stored: version {after['version']} (was {before['version']}), value {after['value']}")
    print(f"audit changes added: {len(after['events']) - len(before['events'])}")
    print("silent overwrites: none" if not problems else "BROKEN: " + "; ".join(problems))
    return not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=500, help="autosaves per officer")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="conflict-storm-"))
    ok = storm("SQLite (WAL)", f"sqlite:///{workdir}/app.db", args.saves)
    if not args.skip_postgres:
        import psycopg

        name = "surveyapp_storm"
        with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            ok = storm("PostgreSQL", url, args.saves) and ok
        finally:
            with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
