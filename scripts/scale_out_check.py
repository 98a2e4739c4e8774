#!/usr/bin/env python3
"""Two app servers share everything that matters (docs/deploy.md, 11 "More than one server").

Builds what a deployment of two servers has, on this machine, and checks it from outside:

- a fresh PostgreSQL database on 127.0.0.1:5432 (user postgres; ``surveyapp_scale_<pid>``):
  ``flask db upgrade``, ``questionnaires load``, ``regions import``, ``demo seed`` (whose
  printed passwords the checks sign in with) and an API token (``flask users token``);
- two Redis databases (``REDIS_URL`` and ``RATELIMIT_STORAGE_URI``; --redis-db N and N+1),
  flushed before and after;
- two gunicorn instances, A and B (deploy/gunicorn.conf.py, ``GUNICORN_BIND`` on two free
  ports, ``WEB_CONCURRENCY`` --workers each, production settings with one ``SECRET_KEY``,
  ``SESSION_COOKIE_SECURE=0``), and one report worker (``flask reports worker``).

The checks talk to A and B directly (a proxy's upstream would choose the server itself; here
each request names it). One sync worker per server by default, so that the second request to B
meets the process (and the caches) the first one warmed. Redis databases 10 and 11 by default:
the test suite uses 12 to 15 (one per pytest-xdist worker), docs/deploy.md 1 and 2.

1. sessions: sign in on A; with the same cookie an authenticated page and a section page load
   on B, an autosave (with the CSRF token A gave) and a section save (the form B rendered)
   succeed on B; signing out on B ends that session on A, and a second session of the same
   user opened on A;
2. reports: a region report asked for on A (202 "being prepared", rendered as an RQ job) is
   "being prepared" on B meanwhile (the same job), then downloaded from B: the same bytes as
   A's and the stored copy, one job run by the worker, one copy stored, and no render pool
   started on either server;
3. sign-in throttle: wrong passwords for one account, alternated between A and B, reach the
   throttle (429 with Retry-After) after LOGIN_FREE_FAILURES failures in all, not per server;
   the per-address request limit counts down across both (X-RateLimit-Remaining);
4. data version and caches: an answer saved on A is on B's next section page (B had rendered
   it before); an assessment validated on A is counted by B's API at its next request (B had
   computed the round's scores before).

Each check prints what it sent and saw; a table of the checks ends the run. Everything is
stopped, the database dropped and the Redis databases flushed, on failure too (and on Ctrl-C).

    .venv/bin/python scripts/scale_out_check.py [--workers 1] [--redis-db 10] [--keep-logs]
    make scale-check

Exits 0 when every check passed, 1 when one failed, 2 when the set-up failed or it was
interrupted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from config import Config  # noqa: E402 - the project's settings, read for the throttle's figures

BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
OFFICER, OFFICER2 = "officer@demo.example", "officer2@demo.example"
EXPERT, ADMIN = "expert@demo.example", "admin@demo.example"
#: The region whose report check 2 renders: validated in the demo's open round.
REPORT_STATE = "validated"
#: Seconds to wait for a report to render, a server to answer.
RENDER_WAIT, START_WAIT = 120, 60
CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class CheckFailed(Exception):
    """A claim did not hold (the message says what was seen)."""


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("Location") or ""


class Browser:
    """A cookie jar for 127.0.0.1 (cookies are not per port: one jar for A and B, as a browser
    behind one proxy has), sending requests to the server named by its port."""

    def __init__(self, label: str):
        self.label = label
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form=None, data=None, headers=None):
        sent = dict(headers or {})
        body = None
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data)
            sent["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body, sent)
            response = conn.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            conn.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, port, path, **kwargs):
        return self.request(port, "GET", path, **kwargs)

    def post(self, port, path, **kwargs):
        return self.request(port, "POST", path, **kwargs)


def csrf_of(page: Reply) -> str:
    found = CSRF_FIELD.search(page.text)
    if not found:
        raise CheckFailed(f"no CSRF token in the page (status {page.status})")
    return found.group(1)


def sign_in(browser: Browser, port: int, email: str, password: str) -> Reply:
    token = csrf_of(browser.get(port, "/login"))
    reply = browser.post(
        port, "/login", form={"email": email, "password": password, "csrf_token": token}
    )
    if reply.status != 302 or "/login" in reply.location:
        raise CheckFailed(f"{email} could not sign in on port {port}: {reply.status}")
    return reply


# --- the checks' bookkeeping ----------------------------------------------------------------


@dataclass
class Check:
    number: int
    title: str
    rows: list[tuple[bool, str, str]] = field(default_factory=list)
    error: str | None = None
    #: The key figures, for the table at the end.
    summary: str = ""

    def claim(self, ok: bool, what: str, figures: str) -> bool:
        self.rows.append((ok, what, figures))
        print(f"  {'PASS' if ok else 'FAIL'}  {what}: {figures}", flush=True)
        return ok

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.rows) and all(ok for ok, _w, _f in self.rows)


# --- the stack: database, Redis, servers, worker ---------------------------------------------


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Stack:
    def __init__(self, workers: int, redis_db: int, logs: Path):
        self.workers = workers
        self.logs = logs
        self.db_name = f"surveyapp_scale_{os.getpid()}"
        self.db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.db_name}"
        self.redis_urls = [f"redis://127.0.0.1:6379/{n}" for n in (redis_db, redis_db + 1)]
        self.env = {
            **os.environ,
            "FLASK_APP": "surveyapp",
            "SURVEYAPP_CONFIG": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),  # one key, both servers
            "TOTP_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.redis_urls[0],
            "RATELIMIT_STORAGE_URI": self.redis_urls[1],
            "SESSION_COOKIE_SECURE": "0",
            "WEB_CONCURRENCY": str(workers),
        }
        for name in ("MAIL_SERVER", "OIDC_ISSUER", "REQUIRE_2FA_FOR", "LOCAL_PASSWORDS"):
            self.env.pop(name, None)  # no mail, no second factor: the checks sign in by password
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.db_created = False
        self.passwords: dict[str, str] = {}
        self.api_token = ""

    # Redis
    def redis(self, index: int):
        import redis

        return redis.Redis.from_url(self.redis_urls[index])

    def flush_redis(self) -> list[int]:
        flushed = []
        for index in range(2):
            client = self.redis(index)
            flushed.append(client.dbsize())
            client.flushdb()
            client.close()
        return flushed

    # PostgreSQL
    def sql(self, statement: str, *args, database: str | None = None) -> list[tuple]:
        import psycopg

        url = PG_ADMIN if database is None else PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(statement, args)
            return cursor.fetchall() if cursor.description else []

    def query(self, statement: str, *args) -> list[tuple]:
        return self.sql(statement, *args, database=self.db_name)

    def flask(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - the venv's flask, arguments of this script
            [str(BIN / "flask"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def set_up(self) -> None:
        started = time.monotonic()
        flushed = self.flush_redis()
        print(
            f"Redis {self.redis_urls[0]} (app) and {self.redis_urls[1]} (limits): "
            f"flushed ({flushed[0]} and {flushed[1]} keys were there)"
        )
        self.sql(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.flask("db", "upgrade")
        self.flask("questionnaires", "load")
        self.flask("regions", "import", "data/nuts2024-eu27.csv")
        seeded = self.flask("demo", "seed", "--if-empty")
        self.passwords = dict(re.findall(r"^\s+(\S+@demo\.example)\s+(\S+)\s*$", seeded, re.M))
        missing = {OFFICER, OFFICER2, EXPERT, ADMIN} - set(self.passwords)
        if missing:
            raise RuntimeError(f"demo seed printed no password for {sorted(missing)}")
        self.api_token = self.flask("users", "token", EXPERT, "--name", "scale-check").strip()
        print(
            f"database {self.db_name}: migrated, questionnaires, regions, demo data "
            f"({seeded.split(chr(10))[1].strip()}) in {time.monotonic() - started:.1f} s"
        )
        for name, port in zip("AB", free_ports(2), strict=True):
            self.ports[name] = port
            self.start(
                name,
                [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                GUNICORN_BIND=f"127.0.0.1:{port}",
            )
        self.start("worker", [str(BIN / "flask"), "reports", "worker"])
        for name, port in self.ports.items():
            self.wait_ready(name, port)
        self.wait_worker()
        print(
            f"servers A :{self.ports['A']} and B :{self.ports['B']} (gunicorn, "
            f"{self.workers} sync worker(s) each) and the report worker ready, "
            f"{time.monotonic() - started:.1f} s after the start"
        )

    def start(self, name: str, command: list[str], **env: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - kept open while it runs
        self.processes[name] = subprocess.Popen(  # noqa: S603 - the venv's programs
            command,
            env={**self.env, **env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )

    def wait_ready(self, name: str, port: int) -> None:
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"server {name} exited: see {self.logs / (name + '.log')}")
            try:
                reply = Browser("probe").get(port, "/readyz")
                if reply.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server {name} not ready on port {port} in {START_WAIT} s")

    def wait_worker(self) -> None:
        from rq import Worker

        deadline = time.monotonic() + START_WAIT
        connection = self.redis(0)
        while time.monotonic() < deadline:
            if self.processes["worker"].poll() is not None:
                raise RuntimeError(f"the report worker exited: see {self.logs / 'worker.log'}")
            if Worker.count(connection=connection):
                return
            time.sleep(0.3)
        raise RuntimeError("the report worker did not register in Redis")

    def group_size(self, name: str) -> int:
        """Processes in the process group of ``name`` (a server: its master and workers, and
        a render pool's processes if it rendered a report itself)."""
        pgid = self.processes[name].pid
        count = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            count += int(fields[2]) == pgid  # the fifth field of stat: the process group
        return count

    def jobs_run(self) -> int:
        """Report jobs the worker finished, from its log (RQ's own line per job)."""
        log = (self.logs / "worker.log").read_text(errors="replace")
        return len(re.findall(r"Job OK \(report-", log))

    def tear_down(self) -> list[str]:
        """Stop every process started here, drop the database, flush Redis; what went wrong."""
        problems = []
        for name, process in self.processes.items():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    problems.append(f"{name} did not stop on SIGTERM within 30 s: killed")
                except ProcessLookupError:
                    pass
        if self.db_created:
            try:
                self.sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as error:
                problems.append(f"dropping {self.db_name}: {error}")
        try:
            self.flush_redis()
        except Exception as error:
            problems.append(f"flushing Redis: {error}")
        return problems


# --- 1. sessions ------------------------------------------------------------------------------


def open_draft(stack: Stack) -> tuple[int, str]:
    """The demo officer's draft in the open round, and its first section with scale items."""
    ((assessment_id,),) = stack.query(
        "SELECT a.id FROM assessments a JOIN rounds r ON r.id = a.round_id "
        "JOIN regions g ON g.id = a.region_id "
        "WHERE r.state = 'open' AND a.state = 'draft' AND g.code = 'ES21'"
    )
    return assessment_id, "strategy"


def scale_inputs(page: str) -> dict[str, tuple[str | None, int]]:
    """The section page's scale items: checked value (None: none) and version field."""
    found = {}
    for item in re.findall(r'name="(\w+)__version" value="(\d+)"', page):
        name, version = item
        radios = re.findall(rf'<input type="radio" name="{name}" value="(\d)"([^>]*)>', page)
        if len(radios) == 6:  # a 0-5 scale
            checked = next((value for value, rest in radios if " checked" in rest), None)
            found[name] = (checked, int(version))
    return found


def other_level(level: str | None) -> str:
    return "1" if level != "1" else "2"


def check_sessions(stack: Stack, check: Check) -> None:
    a, b = stack.ports["A"], stack.ports["B"]
    assessment_id, section = open_draft(stack)
    section_url = f"/assessments/{assessment_id}/sections/{section}"
    user = Browser("officer")
    signed = sign_in(user, a, OFFICER, stack.passwords[OFFICER])
    check.claim(True, "sign in on A", f"POST /login on A -> {signed.status} {signed.location}")
    other = Browser("officer, second session")
    sign_in(other, a, OFFICER, stack.passwords[OFFICER])

    home = user.get(b, "/")
    ok = home.status == 200 and 'action="/logout"' in home.text and "Olga Officer" in home.text
    check.claim(ok, "A's cookie on B: home page signed in", f"GET / on B -> {home.status}")
    page = user.get(b, section_url)
    items = scale_inputs(page.text)
    check.claim(
        page.status == 200 and len(items) >= 2,
        "section page on B",
        f"GET {section_url} on B -> {page.status}, {len(items)} scale items in the form",
    )
    if len(items) < 2:
        raise CheckFailed("no scale items to save")
    (auto_item, (auto_level, auto_version)), (form_item, (form_level, form_version)) = list(
        items.items()
    )[:2]

    token = user.get(a, "/csrf-token", headers={"Accept": "application/json"}).json()["token"]
    new_level = other_level(auto_level)
    saved = user.post(
        b,
        f"/assessments/{assessment_id}/answers/{auto_item}",
        data={"value": [new_level], "version": auto_version},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    body = saved.json() if saved.body.startswith(b"{") else {}
    check.claim(
        saved.status == 200 and body.get("version") == auto_version + 1,
        "autosave on B with A's CSRF token",
        f"{auto_item} {auto_level}->{new_level}: {saved.status}, version "
        f"{auto_version}->{body.get('version')}",
    )

    new_form_level = other_level(form_level)
    form = {
        "csrf_token": csrf_of(page),  # the form B rendered
        form_item: new_form_level,
        f"{form_item}__version": str(form_version),
    }
    posted = user.post(b, section_url, form=form)
    stored = stack.query(
        "SELECT item_id, value::text, version FROM answers "
        "WHERE assessment_id = %s AND item_id IN (%s, %s) ORDER BY item_id",
        assessment_id,
        auto_item,
        form_item,
    )
    stored_of = {item: (value, version) for item, value, version in stored}
    check.claim(
        posted.status == 302
        and posted.location.endswith(section_url)
        and stored_of.get(form_item) == (json.dumps(int(new_form_level)), form_version + 1)
        and stored_of.get(auto_item) == (json.dumps(int(new_level)), auto_version + 1),
        "section save on B (form without JavaScript)",
        f"{form_item} {form_level}->{new_form_level}: {posted.status}; stored "
        + ", ".join(f"{item}={value} v{version}" for item, (value, version) in stored_of.items()),
    )

    stale = dict(user.cookies)  # the cookie as it was before signing out
    out = user.post(b, "/logout", form={"csrf_token": csrf_of(user.get(b, "/"))})
    check.claim(
        out.status == 302, "sign out on B", f"POST /logout on B -> {out.status} {out.location}"
    )
    replay = Browser("the signed-out cookie")
    replay.cookies = stale
    after = replay.get(a, "/")
    saves = replay.post(
        a,
        f"/assessments/{assessment_id}/answers/{auto_item}",
        data={"value": ["3"], "version": auto_version + 1},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    second = other.get(a, "/")
    check.claim(
        after.status == 302 and "/login" in after.location and saves.status in (401, 403),
        "the signed-out session on A",
        f"GET / -> {after.status} {after.location.split('?')[0]}, autosave -> {saves.status}",
    )
    check.claim(
        second.status == 302 and "/login" in second.location,
        "the user's other session on A",
        f"GET / -> {second.status} {second.location.split('?')[0]}",
    )
    check.summary = (
        f"B with A's cookie: page {home.status}, autosave {saved.status} (v{auto_version}->"
        f"v{body.get('version')}), section save {posted.status}; signed out on B: A gives "
        f"{after.status} to /login (both sessions), autosave {saves.status}"
    )


# --- 2. reports -------------------------------------------------------------------------------


def check_reports(stack: Stack, check: Check, expert: Browser) -> None:
    a, b = stack.ports["A"], stack.ports["B"]
    round_id, code, region_id = stack.query(
        "SELECT r.id, g.code, g.id FROM assessments a JOIN rounds r ON r.id = a.round_id "
        "JOIN regions g ON g.id = a.region_id WHERE r.state = 'open' AND a.state = %s "
        "ORDER BY g.code LIMIT 1",
        REPORT_STATE,
    )[0]
    url = f"/benchmarks/rounds/{round_id}/regions/{code}/report.pdf"
    jobs_before = stack.jobs_run()
    started = time.monotonic()
    first = expert.get(a, url)
    being_made = "A new one is being made"
    check.claim(
        first.status == 202 and being_made in first.text,
        "report asked for on A: rendering",
        f"GET {url} on A -> {first.status} 'being prepared'",
    )
    meanwhile = expert.get(b, url)
    check.claim(
        meanwhile.status in (200, 202)
        and (meanwhile.status == 200 or being_made in meanwhile.text),
        "the same report on B meanwhile: the same job",
        f"GET on B -> {meanwhile.status}"
        + (" 'being prepared', the job is pending" if meanwhile.status == 202 else ""),
    )
    polls = 0
    while True:  # as the page does (it reloads every 5 s), on A
        ready = expert.get(a, url)
        if ready.status != 202 or time.monotonic() - started > RENDER_WAIT:
            break
        polls += 1
        time.sleep(1)
    rendered_in = time.monotonic() - started
    if ready.status != 200:
        raise CheckFailed(f"no PDF on A after {rendered_in:.0f} s (last {ready.status})")
    from_b = expert.get(b, url)
    ((copies, size, stored_hash),) = stack.query(
        "SELECT count(*), max(size), min(encode(sha256(pdf), 'hex')) FROM rendered_reports "
        "WHERE report = 'region' AND round_id = %s AND region_id = %s",
        round_id,
        region_id,
    )
    hash_a = hashlib.sha256(ready.body).hexdigest()
    hash_b = hashlib.sha256(from_b.body).hexdigest()
    check.claim(
        ready.body.startswith(b"%PDF") and ready.headers.get("Content-Type") == "application/pdf",
        "the PDF on A once rendered",
        f"{len(ready.body):,} bytes after {rendered_in:.1f} s ({polls} polls)",
    )
    check.claim(
        from_b.status == 200 and hash_b == hash_a == stored_hash,
        "downloaded from B: the same bytes",
        f"B -> {from_b.status}, {len(from_b.body):,} bytes, sha256 {hash_b[:12]} "
        f"(A {hash_a[:12]}, stored {stored_hash[:12]})",
    )
    time.sleep(1)  # a second job (there should be none) would have been picked up by now
    jobs = stack.jobs_run() - jobs_before
    # A server that rendered by itself (no REDIS_URL) would have started a render pool.
    sizes = {name: stack.group_size(name) for name in ("A", "B")}
    check.claim(
        jobs == 1 and copies == 1 and set(sizes.values()) == {1 + stack.workers},
        "rendered once, by the worker",
        f"{jobs} job(s) run by the worker, {copies} stored copy ({size:,} bytes); processes "
        f"A {sizes['A']}, B {sizes['B']} (master and {stack.workers} worker(s): no render pool)",
    )
    check.summary = (
        f"A {first.status}, B {meanwhile.status} while rendering; {jobs} RQ job, {copies} "
        f"stored copy, ready in {rendered_in:.1f} s; B {from_b.status}, {len(from_b.body):,} "
        f"bytes = A's = stored (sha256 {hash_b[:12]})"
    )


# --- 3. sign-in throttle ----------------------------------------------------------------------


def check_throttle(stack: Stack, check: Check) -> None:
    free = Config.LOGIN_FREE_FAILURES
    order = ["A", "B"]
    visitor = Browser("an attacker")
    token = csrf_of(visitor.get(stack.ports["A"], "/login"))
    statuses, remaining, served = [], [], []
    for attempt in range(free + 2):
        name = order[attempt % 2]
        reply = visitor.post(
            stack.ports[name],
            "/login",
            form={"email": ADMIN, "password": f"wrong {attempt}", "csrf_token": token},
        )
        statuses.append(reply.status)
        served.append(name)
        remaining.append(reply.headers.get("X-RateLimit-Remaining"))
        if reply.status == 429:
            retry = reply.headers.get("Retry-After")
            print(f"    attempt {attempt + 1} on {name}: 429, Retry-After {retry}")
    sequence = " ".join(f"{name}:{status}" for name, status in zip(served, statuses, strict=True))
    throttled = [i for i, status in enumerate(statuses) if status == 429]
    first = throttled[0] + 1 if throttled else None
    check.claim(
        statuses[:free] == [422] * free,
        f"{free} free failures (LOGIN_FREE_FAILURES), alternating A and B",
        sequence,
    )
    last = visitor.post(
        stack.ports[served[free]],  # the attempt after the free ones, again, for its headers
        "/login",
        form={"email": ADMIN, "password": "wrong again", "csrf_token": token},
    )
    check.claim(
        first == free + 1 and statuses[free + 1] == 429,
        "throttled from failure number free + 1 in total",
        f"first 429 at attempt {first} of {len(statuses)} (on {served[free]}); per server "
        f"it would come at attempt {2 * free + 1}",
    )
    retry_after = last.headers.get("Retry-After")
    said = re.search(r"Wait ([^,]+), then try again", last.text)
    waits = re.match(r"(\d+) seconds?$", said.group(1)) if said else None
    check.claim(
        last.status == 429
        and retry_after is not None
        and waits is not None
        and int(retry_after) >= int(waits.group(1)) > 0,
        "429 with Retry-After, at least the wait the page says",
        f"{last.status}, Retry-After {retry_after} s, page: 'Wait "
        f"{said.group(1) if said else '?'}' (LOGIN_DELAY_FIRST {Config.LOGIN_DELAY_FIRST} s; "
        "Flask-Limiter raises the header to its per-address window's end)",
    )
    counts = [int(value) for value in remaining if value is not None]
    check.claim(
        len(counts) == len(remaining) and all(x - y == 1 for x, y in itertools.pairwise(counts)),
        f"per-address request limit ({Config.LOGIN_LIMIT_PER_ADDRESS}) counted across both",
        "X-RateLimit-Remaining " + " ".join(map(str, remaining)),
    )
    check.summary = (
        f"{sequence}: first 429 at attempt {first} (per server: {2 * free + 1}), "
        f"Retry-After {retry_after} s; limit remaining {remaining[0]}..{remaining[-1]}"
    )


# --- 4. data version and caches ---------------------------------------------------------------


def check_freshness(stack: Stack, check: Check, expert: Browser) -> None:
    a, b = stack.ports["A"], stack.ports["B"]
    assessment_id, section = open_draft(stack)
    section_url = f"/assessments/{assessment_id}/sections/{section}"
    reader, writer = Browser("officer2 on B"), Browser("officer on A")
    sign_in(reader, b, OFFICER2, stack.passwords[OFFICER2])
    sign_in(writer, a, OFFICER, stack.passwords[OFFICER])
    before = scale_inputs(reader.get(b, section_url).text)  # B renders (and keeps) the page
    item, (level, version) = list(before.items())[2]
    new_level = other_level(level)
    token = writer.get(a, "/csrf-token", headers={"Accept": "application/json"}).json()["token"]
    saved = writer.post(
        a,
        f"/assessments/{assessment_id}/answers/{item}",
        data={"value": [new_level], "version": version},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    seen = scale_inputs(reader.get(b, section_url).text).get(item)
    check.claim(
        saved.status == 200 and seen == (new_level, version + 1),
        "an answer saved on A, on B's next section page",
        f"{item} {level}->{new_level} saved on A ({saved.status}); B shows "
        f"{seen[0] if seen else None}, version {seen[1] if seen else None}",
    )

    ((round_id,),) = stack.query("SELECT id FROM rounds WHERE state = 'open'")
    ((expert_id,),) = stack.query("SELECT id FROM users WHERE email = %s", EXPERT)
    api = f"/api/v1/rounds/{round_id}/groups/all"
    bearer = {"Authorization": f"Bearer {stack.api_token}", "Accept": "application/json"}
    api_b = Browser("API client")
    first = api_b.get(b, api, headers=bearer)
    if first.status != 200:
        raise CheckFailed(f"GET {api} on B -> {first.status}")
    peers_before = first.json()["peers"]
    candidates = [
        row[0]
        for row in stack.query(
            "SELECT id FROM assessments WHERE round_id = %s AND state = 'under_review' "
            "AND reviewer_id = %s ORDER BY id",
            round_id,
            expert_id,
        )
    ]
    validated = None
    for candidate in candidates:  # the expert's flow: the confirmation page offers Validate
        confirm = expert.get(a, f"/reviews/{candidate}/validate")
        if f'action="/reviews/{candidate}/validate"' in confirm.text:
            done = expert.post(
                a, f"/reviews/{candidate}/validate", form={"csrf_token": csrf_of(confirm)}
            )
            validated = (candidate, done.status)
            break
    if validated is None:
        raise CheckFailed(f"none of the expert's {len(candidates)} reviews could be validated")
    ((state,),) = stack.query("SELECT state FROM assessments WHERE id = %s", validated[0])
    after = api_b.get(b, api, headers=bearer)
    peers_after = after.json()["peers"] if after.status == 200 else {}
    check.claim(
        state == "validated"
        and peers_after.get("validated") == peers_before["validated"] + 1
        and peers_after.get("left_out") == peers_before["left_out"] - 1,
        "an assessment validated on A, in B's API at its next request",
        f"assessment {validated[0]} validated on A ({validated[1]}, now {state}); B's "
        f"{api} peers {peers_before} -> {peers_after}",
    )
    check.summary = (
        f"answer v{version}->v{version + 1} on A, B's next page shows v"
        f"{seen[1] if seen else None}; validated on A, B's API: validated "
        f"{peers_before['validated']}->{peers_after.get('validated')}"
    )


# --- the run ----------------------------------------------------------------------------------


def print_table(checks: list[Check]) -> None:
    width = max(len(check.title) for check in checks) + 3
    print("\n" + "=" * 110)
    print(f"{'check':<{width}} {'result':<7} key figures")
    print("-" * 110)
    for check in checks:
        figures = check.summary
        if not check.passed:
            failed = [f"{what}: {figures}" for ok, what, figures in check.rows if not ok]
            figures = "; ".join(failed + ([check.error] if check.error else []))
        title = f"{check.number}. {check.title}"
        print(f"{title:<{width}} {'PASS' if check.passed else 'FAIL':<7} {figures}")
    print("=" * 110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="sync workers per server (1)")
    parser.add_argument(
        "--redis-db", type=int, default=10, help="Redis database of REDIS_URL; limits: N+1 (10)"
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    args = parser.parse_args()

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    logs = Path(tempfile.mkdtemp(prefix="scale-check-"))
    stack = Stack(args.workers, args.redis_db, logs)
    checks = [
        Check(1, "sessions shared (sign in A, work on B)"),
        Check(2, "report rendered once, served by both"),
        Check(3, "sign-in throttle counted across both"),
        Check(4, "a change on A seen by B at once"),
    ]
    status = 0
    started = time.monotonic()
    try:
        stack.set_up()
        expert = Browser("expert")
        sign_in(expert, stack.ports["A"], EXPERT, stack.passwords[EXPERT])
        runs = {
            1: lambda check: check_sessions(stack, check),
            2: lambda check: check_reports(stack, check, expert),
            3: lambda check: check_throttle(stack, check),
            4: lambda check: check_freshness(stack, check, expert),
        }
        for check in checks:
            print(f"\n{check.number}. {check.title}", flush=True)
            try:
                runs[check.number](check)
            except Exception as error:  # a check that could not go on: FAIL, with why
                check.error = f"{type(error).__name__}: {error}"
                print(f"  FAIL  stopped: {check.error}", flush=True)
        status = 0 if all(check.passed for check in checks) else 1
    except KeyboardInterrupt as interrupt:
        print(f"\ninterrupted ({interrupt or 'Ctrl-C'}): cleaning up", file=sys.stderr)
        status = 2
    except Exception as error:
        print(f"\nset-up failed: {type(error).__name__}: {error}", file=sys.stderr)
        status = 2
    finally:
        problems = stack.tear_down()
        for problem in problems:
            print(f"clean-up: {problem}", file=sys.stderr)
        print(
            f"\nclean-up: {len(stack.processes)} processes stopped, database "
            f"{stack.db_name} dropped, Redis databases flushed"
            + (f" ({len(problems)} problem(s))" if problems else "")
        )
    print_table(checks)
    print(f"{'ALL PASSED' if status == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    if status or args.keep_logs:
        print(f"server and worker logs: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
