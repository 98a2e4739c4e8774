"""Scenarios F1, F2 and F4 of RELIABILITY.md, scaled to this machine: nothing acknowledged is lost.

Officers of different regions (one per region's draft in the open demo round) autosave text
answers of their own draft, one every --interval seconds each, under gunicorn (--workers sync
workers), for --minutes. Each value carries the officer's sequence number and a random nonce.
Like the page, an officer whose save failed (no reply, or a 5xx) sends the same value again,
with backoff, until it is acknowledged. Meanwhile, faults are injected:

- --kill-every S: a random gunicorn worker is killed (SIGKILL) every S seconds (F4);
- on PostgreSQL, --restart-db: the server restarts with "-m fast" at a third of the run and
  crashes and restarts with "-m immediate" at two thirds (F2).

With --sqlite-baseline it runs SQLite a second time, as F3's baseline: the app served on SQLite's
own defaults (rollback journal, synchronous FULL, no busy timeout, or --baseline-busy-ms), to
show what the app's settings (write-ahead log, a 5 s busy timeout) prevent. A "database is
locked" is a 503 there, which the officers send again; the count is printed.

Afterwards the database is read and the common oracle is checked:

- for every answer written, the stored value is the last one acknowledged (nothing lost);
- every acknowledged value is in the audit trail exactly once, in the order it was sent (every
  acknowledged write is visible, none duplicated), and each stored answer is its trail's last
  value (an answer and its audit event commit together: no partial save);
- every reply is 200, or a failure that was retried; no 4xx;
- SQLite: PRAGMA integrity_check is "ok".

Run: .venv/bin/python benchmarks/nothing_lost.py [--officers 16] [--minutes 3] [--interval 0.2]
     [--workers 4] [--kill-every 20] [--restart-db] [--skip-sqlite] [--skip-postgres]
     [--sqlite-baseline [--baseline-busy-ms 0]]
Prints the counts, the save latency and the time to recover after each fault; exits 1 when a
rule is broken. It restarts the PostgreSQL server on 127.0.0.1: run it on a machine of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_forms  # the same server, sign-in and database helpers

PASSWORD = "nothing lost password 1"
CHANCE = secrets.SystemRandom()  # when each officer starts, which worker is killed
MAX_BACKOFF = 5.0
GIVE_UP_AFTER = 120.0  # seconds of failures in a row for one save: the server did not recover

SETUP = """
import json, sys
from sqlalchemy import func, select
from surveyapp import create_app
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.rounds.models import Round, RoundState
app = create_app("development")
count, password, items = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
with app.app_context():
    drafts = db.session.scalars(
        select(Assessment).join(Round)
        .where(Round.state == RoundState.open, Assessment.state == AssessmentState.draft)
        .order_by(Assessment.id)
    ).all()
    officers, taken = [], set()
    for assessment in drafts:
        user = db.session.scalar(
            select(User)
            .where(User.role == Role.officer, User.active)
            .where(User.regions.any(id=assessment.region_id))
            .order_by(User.email)
        )
        if user is None or user.id in taken:
            continue
        taken.add(user.id)
        user.set_password(password)
        versions = dict(db.session.execute(
            select(Answer.item_id, Answer.version)
            .where(Answer.assessment_id == assessment.id, Answer.item_id.in_(items))
        ).all())
        officers.append({"email": user.email, "assessment_id": assessment.id, "versions": versions})
        if len(officers) == count:
            break
    db.session.commit()
    last_event = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    print(json.dumps({"officers": officers, "last_event": last_event}))
"""

READ = """
import json, sys
from sqlalchemy import select, text
from surveyapp import create_app
from surveyapp.assessments.models import Answer
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db
app = create_app("development")
ids, items, last_event = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
with app.app_context():
    stored = db.session.execute(
        select(Answer.assessment_id, Answer.item_id, Answer.value)
        .where(Answer.assessment_id.in_(ids), Answer.item_id.in_(items))
    ).all()
    trail = db.session.execute(
        select(AuditEvent.assessment_id, AuditEvent.item_id, AuditEvent.new_value)
        .where(AuditEvent.id > last_event, AuditEvent.action == "answer.changed")
        .order_by(AuditEvent.id)
    ).all()
    integrity = None
    if db.engine.dialect.name == "sqlite":
        integrity = db.session.execute(text("PRAGMA integrity_check")).scalar()
    print(json.dumps({
        "stored": [[a, i, v] for a, i, v in stored],
        "trail": [[a, i, v] for a, i, v in trail],
        "integrity": integrity,
    }))
"""


def run_script(script: str, db_url: str, *args: str) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=bench_forms.ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"a set-up or read script failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def text_items() -> list[str]:
    """The questionnaire's free-text items that are always shown (any value is valid)."""
    sys.path.insert(0, str(bench_forms.ROOT))
    from surveyapp.questionnaires.loader import load_file

    definition = load_file(bench_forms.ROOT / "questionnaires" / "criterion7-interregional-v1.yaml")
    return [
        item.id
        for section in definition.sections
        for item in section.items
        if item.type in ("text", "long_text") and not item.show_if
    ]


@dataclass
class Officer:
    email: str
    assessment_id: int
    versions: dict[str, int]
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (item, value) in order
    latencies: list[float] = field(default_factory=list)  # of acknowledged saves, seconds
    ack_times: list[float] = field(default_factory=list)  # when each save that succeeded began
    retries: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # why a save was sent again
    unexpected: list[str] = field(default_factory=list)


def save_until_acknowledged(port, cookie, token, officer: Officer, item: str, value: str) -> bool:
    """One autosave, sent again with backoff (as the page does) until a reply says saved."""
    url = f"/assessments/{officer.assessment_id}/answers/{item}"
    headers = {
        "Cookie": cookie,
        "X-CSRFToken": token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    first_try, attempt = time.monotonic(), 0
    while True:
        began = time.monotonic()
        body = json.dumps({"value": value, "version": officer.versions.get(item, 0)})
        status, data, why = None, {}, None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", url, body, headers)
            response = conn.getresponse()
            status, raw = response.status, response.read()
            conn.close()
            data = json.loads(raw) if raw.startswith(b"{") else {}
        except (OSError, http.client.HTTPException) as error:
            why = type(error).__name__
        if status == 200:
            officer.versions[item] = data["version"]
            officer.acknowledged.append((item, value))
            officer.latencies.append(time.monotonic() - began)
            officer.ack_times.append(began)
            return True
        if status == 409:  # a save whose reply was lost cannot cause this: the value is the same
            officer.unexpected.append(f"409 on {item}: stored {data.get('current')}")
            officer.versions[item] = data["current"]["version"]
        elif status is not None and status < 500:
            officer.unexpected.append(f"{status} on {item}: {data}")
            return False
        else:
            why = why or f"HTTP {status}"
        officer.failures[why] = officer.failures.get(why, 0) + 1
        officer.retries += 1
        if time.monotonic() - first_try > GIVE_UP_AFTER:
            officer.unexpected.append(f"gave up on {item} after {GIVE_UP_AFTER:.0f} s of failures")
            return False
        time.sleep(min(MAX_BACKOFF, 0.25 * 2**attempt))
        attempt += 1


def sign_in_until_done(port, officer: Officer) -> tuple[str, str]:
    """Sign in, again with backoff (as a person reloads) while a page of it fails."""
    first_try, attempt = time.monotonic(), 0
    while True:
        try:
            cookie, token, _first_assessment = bench_forms.sign_in(port, PASSWORD, officer.email)
            return cookie, token
        # A page that failed (a 503 while the database is locked) has no form, token or link.
        except (OSError, http.client.HTTPException, AttributeError, KeyError, ValueError) as error:
            why = f"sign-in {type(error).__name__}"
            officer.failures[why] = officer.failures.get(why, 0) + 1
            if time.monotonic() - first_try > GIVE_UP_AFTER:
                raise
        time.sleep(min(MAX_BACKOFF, 0.25 * 2**attempt))
        attempt += 1


def officer_loop(port, officer: Officer, items, stop_at: float, interval: float, errors: list):
    try:
        cookie, token = sign_in_until_done(port, officer)
    except Exception as error:  # reported, and the run fails
        errors.append(f"{officer.email} could not sign in: {error!r}")
        return
    sequence = 0
    next_save = time.monotonic() + CHANCE.uniform(0, interval)
    while time.monotonic() < stop_at:
        time.sleep(max(0.0, next_save - time.monotonic()))
        sequence += 1
        item = items[sequence % len(items)]
        value = f"{officer.email} save {sequence} nonce {secrets.token_hex(4)}"
        if not save_until_acknowledged(port, cookie, token, officer, item, value):
            return
        next_save += interval


def worker_pids(master: int) -> list[int]:
    done = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in done.stdout.split()]


def inject_faults(
    server, start, seconds, kill_every, restarts, faults: list, stop: threading.Event
):
    """Kill a random worker every ``kill_every`` seconds; restart PostgreSQL at the times given."""
    pending = sorted(restarts)  # (offset in seconds, mode)
    next_kill = start + kill_every if kill_every else None
    while not stop.is_set() and time.monotonic() < start + seconds:
        now = time.monotonic()
        if pending and now >= start + pending[0][0]:
            _offset, mode = pending.pop(0)
            cluster = sorted(os.listdir("/etc/postgresql"))[-1]
            began = time.monotonic()
            command = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"]
            subprocess.run([*command, "-m", mode], check=True, capture_output=True)
            faults.append((began, f"PostgreSQL restart -m {mode}", time.monotonic() - began))
        if next_kill and now >= next_kill:
            pids = worker_pids(server.pid)
            if pids:
                victim = CHANCE.choice(pids)
                os.kill(victim, signal.SIGKILL)
                faults.append((now, f"SIGKILL worker {victim}", 0.0))
            next_kill += kill_every
        stop.wait(0.2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def broken_rules(officers: list[Officer], found: dict) -> list[str]:
    problems = []
    stored = {(a, i): v for a, i, v in found["stored"]}
    trails: dict[tuple[int, str], list] = {}
    for assessment_id, item, value in found["trail"]:
        trails.setdefault((assessment_id, item), []).append(value)
    for officer in officers:
        problems += [f"{officer.email}: {what}" for what in officer.unexpected]
        last: dict[str, str] = {}
        for item, value in officer.acknowledged:
            last[item] = value
        for item, value in last.items():
            key = (officer.assessment_id, item)
            if stored.get(key) != value:
                problems.append(f"LOST: {key} stored {stored.get(key)!r}, acknowledged {value!r}")
            trail = trails.get(key, [])
            acked = [v for i, v in officer.acknowledged if i == item]
            if [v for v in trail if v in set(acked)] != acked:
                problems.append(
                    f"{key}: the audit trail does not hold each acknowledged value once"
                )
            if trail and trail[-1] != stored.get(key):
                problems.append(f"{key}: the stored answer is not its audit trail's last value")
    if found["integrity"] not in (None, "ok"):
        problems.append(f"integrity_check: {found['integrity']}")
    return problems


def scenario(
    label: str, db_url: str, args, restart_db: bool, baseline_busy_ms: int | None = None
) -> bool:
    """One run; ``baseline_busy_ms``: SQLite on its own defaults, waiting that long for a lock."""
    bench_forms.prepare_database(db_url)
    items = text_items()
    setup = run_script(SETUP, db_url, str(args.officers), PASSWORD, json.dumps(items))
    officers = [Officer(o["email"], o["assessment_id"], o["versions"]) for o in setup["officers"]]
    (port,) = bench_forms.free_ports(1)
    env = {
        "SURVEYAPP_CONFIG": "production",
        "SECRET_KEY": "nothing lost",
        "TOTP_KEYS": "A" * 43 + "=",  # a valid Fernet key (a throwaway database)
        "DATABASE_URL": db_url,
        "SESSION_COOKIE_SECURE": "0",
    }
    app = "surveyapp:create_app()"
    sqlite_file = db_url.removeprefix("sqlite:///") if db_url.startswith("sqlite") else None
    if baseline_busy_ms is not None:
        with sqlite3.connect(sqlite_file) as conn:  # the set-up left it in WAL: back to DELETE
            conn.execute("PRAGMA journal_mode=DELETE")
        app = "sqlite_baseline:create_app()"
        env["SQLITE_BUSY_TIMEOUT_MS"] = str(baseline_busy_ms)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent)
    server = bench_forms.gunicorn(app, port, env, bench_forms.ROOT, workers=args.workers)
    journal = None
    seconds = args.minutes * 60
    restarts = [(seconds / 3, "fast"), (2 * seconds / 3, "immediate")] if restart_db else []
    faults: list = []
    errors: list[str] = []
    stop = threading.Event()
    try:
        bench_forms.wait_for(port, "/login")
        start = time.monotonic()
        threads = [
            threading.Thread(
                target=officer_loop,
                args=(port, officer, items, start + seconds, args.interval, errors),
            )
            for officer in officers
        ]
        chaos = threading.Thread(
            target=inject_faults,
            args=(server, start, seconds, args.kill_every, restarts, faults, stop),
        )
        for thread in [*threads, chaos]:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        chaos.join()
        if sqlite_file:  # as the run left it (reading it does not change it)
            with sqlite3.connect(sqlite_file) as conn:
                journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    found = run_script(
        READ,
        db_url,
        json.dumps([o.assessment_id for o in officers]),
        json.dumps(items),
        str(setup["last_event"]),
    )
    problems = errors + broken_rules(officers, found)
    acknowledged = sum(len(o.acknowledged) for o in officers)
    latencies = [latency for o in officers for latency in o.latencies]
    failures: dict[str, int] = {}
    for officer in officers:
        for why, count in officer.failures.items():
            failures[why] = failures.get(why, 0) + count
    print(
        f"\n== {label}: {len(officers)} officers, one autosave every {args.interval:g} s each, "
        f"{args.minutes:g} min, gunicorn {args.workers} sync workers"
    )
    print(
        f"acknowledged saves: {acknowledged}; sent again after a failure: "
        f"{sum(o.retries for o in officers)} ({failures or 'none'})"
    )
    print(
        f"save latency (acknowledged): p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(latencies, default=float('nan')) * 1000:.0f} ms"
    )
    if journal:
        print(f"journal mode during the run: {journal}")
    ack_times = sorted(t for o in officers for t in o.ack_times)
    kills = [f for f in faults if f[1].startswith("SIGKILL")]
    if kills:
        print(f"workers killed: {len(kills)}")
    for began, what, took in faults:
        if what.startswith("SIGKILL"):
            continue
        after = [t for t in ack_times if t > began + took]
        recovered = f"{after[0] - began:.1f} s" if after else "never"
        print(
            f"{what} at {began - start:.0f} s (took {took:.1f} s): "
            f"first acknowledged save begun after it, {recovered} after the fault began"
        )
    if found["integrity"] is not None:
        print(f"integrity_check: {found['integrity']}")
    print("nothing lost, nothing duplicated" if not problems else "BROKEN: " + "; ".join(problems))
    return not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between saves")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=20, help="0: no worker is killed")
    parser.add_argument("--restart-db", action="store_true", help="PostgreSQL: F2's restarts")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--sqlite-baseline", action="store_true", help="F3: SQLite again, on its own defaults"
    )
    parser.add_argument(
        "--baseline-busy-ms", type=int, default=0, help="the baseline's busy timeout"
    )
    args = parser.parse_args()
    ok = True
    if not args.skip_sqlite:
        workdir = Path(tempfile.mkdtemp(prefix="nothing-lost-"))
        ok &= scenario("SQLite (WAL)", f"sqlite:///{workdir}/app.db", args, restart_db=False)
    if args.sqlite_baseline:
        workdir = Path(tempfile.mkdtemp(prefix="nothing-lost-baseline-"))
        ok &= scenario(
            f"SQLite baseline (rollback journal, busy timeout {args.baseline_busy_ms} ms)",
            f"sqlite:///{workdir}/app.db",
            args,
            restart_db=False,
            baseline_busy_ms=args.baseline_busy_ms,
        )
    if not args.skip_postgres:
        import psycopg

        name = "surveyapp_nothing_lost"
        with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            ok &= scenario("PostgreSQL", url, args, restart_db=args.restart_db)
        finally:
            with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
