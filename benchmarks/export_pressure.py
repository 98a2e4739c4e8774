"""Scenario F6 of RELIABILITY.md: autosaves keep their pace while PDFs render and XLSX exports run.

F1's autosave load (benchmarks/nothing_lost.py: officers of different regions autosave text
answers of their own drafts, one every --interval seconds each, resending a failed save with
backoff) runs alone for --baseline-minutes, then for --minutes more under pressure:

- --renders clients (experts, each in a language of their own) ask for PDF reports through the
  app's pages as an expert does: the working-group report of a round, a region's benchmark
  report, a region's response; a 202 "being prepared" page is asked again every second, as the
  page reloads, until the PDF comes or the report's budget (the app's REPORTS_RENDER_TIMEOUT,
  plus a few seconds) is over;
- --exports clients (experts and administrators) download a round's XLSX export, one round after
  the other, back to back.

Before the app starts, the data the reports and exports show is planted with URLs of a canary
HTTP server on 127.0.0.1 (an <img src>, a stylesheet link, CSS url() and @import, a plain URL
and a file: URL): in the text answers, comments and evidence of every counted assessment, the
experts' remarks, the good practices and the regions' action plans. A renderer that fetched any
of them would be counted.

Targets (RELIABILITY.md F6): save p95 under pressure < 2x the baseline's; every render delivered
within its budget, or a controlled answer (202 queued, 503): no 500, no hang, no failed render;
every export a 200 XLSX; 0 requests to the canary; 0 lost saves (nothing_lost.py's oracle).

Run: .venv/bin/python benchmarks/export_pressure.py [--minutes 10] [--baseline-minutes 3]
     [--officers 16] [--interval 0.2] [--workers 4] [--renders 10] [--exports 10]
     [--render-timeout 300] [--skip-sqlite] [--skip-postgres]
Prints a table of figures; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_forms  # server, ports and database helpers
import nothing_lost  # F1: the officers, their set-up and the "nothing lost" oracle

PASSWORD = nothing_lost.PASSWORD
#: Languages of the render clients' experts: each renders its own reports (keys differ).
LANGUAGES = ["en", "fr", "de", "el", "pl", "bg", "es", "it", "fi", "mt", "hu", "sv"]
#: Seconds a render client waits beyond the budget before calling a report hung.
GRACE = 15.0
#: A 202 page is asked again after this many seconds, as the page reloads itself.
POLL = 5.0
#: After a refusal (503) or an error, a client waits this long unless Retry-After says.
PAUSE = 1.0

PLANT = """
import json, sys
from sqlalchemy import select
from surveyapp import create_app
from surveyapp.actions.models import Action
from surveyapp.assessments.models import COUNTED_STATES, Answer, Assessment
from surveyapp.auth.models import Role, User
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.regions.models import Region
from surveyapp.reviews.models import SectionRemark
from surveyapp.rounds.models import Round
app = create_app("development")
canary, password = sys.argv[1], sys.argv[2]
renders, exports, languages = int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])

def payload(where):
    return (
        f'<img src="{canary}/img/{where}.png"> <link rel="stylesheet" href="{canary}/link/{where}">'
        f" <style>@import url({canary}/import/{where}.css); body {{background: url({canary}/bg/"
        f'{where}.png)}}</style> <span style="background:url({canary}/inline/{where})">x</span>'
        f" see {canary}/plain/{where} or file:///etc/passwd"
    )

with app.app_context():
    planted = {}
    counted = db.session.scalars(
        select(Assessment).where(Assessment.state.in_(COUNTED_STATES)).order_by(Assessment.id)
    ).all()
    for assessment in counted:
        definition = assessment.round.questionnaire.parsed
        types = {i.id: i.type for s in definition.sections for i in s.items}
        answers = db.session.scalars(select(Answer).filter_by(assessment_id=assessment.id)).all()
        for number, answer in enumerate(answers):
            kind = types.get(answer.item_id)
            if kind in ("text", "long_text"):
                answer.value = payload(f"answer-{answer.id}")
                planted["text answers"] = planted.get("text answers", 0) + 1
            elif kind == "url_list":
                answer.value = [f"{canary}/url-list/{answer.id}", f"file:///etc/passwd#{answer.id}"]
                planted["URL answers"] = planted.get("URL answers", 0) + 1
            if number % 4 == 0 or answer.comment:
                answer.comment = payload(f"comment-{answer.id}")
                planted["comments"] = planted.get("comments", 0) + 1
            if number % 4 == 1 or answer.evidence:
                answer.evidence = f"{canary}/evidence/{answer.id}.pdf " + payload("evidence")
                planted["evidence"] = planted.get("evidence", 0) + 1
        for section in definition.sections[:2]:
            remark = db.session.scalar(
                select(SectionRemark).filter_by(assessment_id=assessment.id, section_id=section.id)
            )
            if remark is None:
                remark = SectionRemark(assessment_id=assessment.id, section_id=section.id, body="")
                db.session.add(remark)
            remark.body = payload(f"remark-{assessment.id}-{section.id}")
            planted["remarks"] = planted.get("remarks", 0) + 1
    for practice in db.session.scalars(select(GoodPractice)):
        practice.summary = payload(f"practice-{practice.id}")
        planted["good practices"] = planted.get("good practices", 0) + 1
    for action in db.session.scalars(select(Action)):
        action.title = f'<img src="{canary}/action/{action.id}.png"> {canary}/plain/{action.id}'
        action.solution = payload(f"action-{action.id}")
        planted["actions"] = planted.get("actions", 0) + 1

    def user(email, role, language):
        found = db.session.scalar(select(User).filter_by(email=email))
        if found is None:
            found = User(email=email, name=email.split("@")[0], role=role)
            db.session.add(found)
        found.role, found.active, found.language = role, True, language
        found.set_password(password)
        return email

    readers = [user(f"f6-render-{n}@bench.example", Role.expert, languages[n % len(languages)])
               for n in range(renders)]
    exporters = [user(f"f6-export-{n}@bench.example", Role.admin if n % 2 else Role.expert, "en")
                 for n in range(exports)]
    jobs = []
    for round_ in db.session.scalars(select(Round).order_by(Round.id)):
        jobs.append({"kind": "working-group", "round": round_.id,
                     "path": f"/benchmarks/rounds/{round_.id}/working-group.pdf"})
        for n, (assessment_id, code) in enumerate(db.session.execute(
            select(Assessment.id, Region.code).join(Region)
            .where(Assessment.round_id == round_.id, Assessment.state.in_(COUNTED_STATES))
            .order_by(Region.code)
        )):
            jobs.append({"kind": "region", "round": round_.id,
                         "path": f"/benchmarks/rounds/{round_.id}/regions/{code}/report.pdf"})
            jobs.append({"kind": "response", "round": round_.id,
                         "path": f"/assessments/{assessment_id}/response.pdf"})
            if n % 6 == 5:  # the round's working-group report, asked for now and then
                jobs.append({"kind": "working-group", "round": round_.id,
                             "path": f"/benchmarks/rounds/{round_.id}/working-group.pdf"})
    rounds = [r for (r,) in db.session.execute(select(Round.id).order_by(Round.id))]
    db.session.commit()
    print(json.dumps({"planted": planted, "readers": readers, "exporters": exporters,
                      "jobs": jobs, "rounds": rounds}))
"""


class Canary(ThreadingHTTPServer):
    """Counts every request it gets (except the script's own check); answers 200 with nothing."""

    daemon_threads = True

    def __init__(self):
        self.hits: list[str] = []
        self.self_checks = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), CanaryHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class CanaryHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        with self.server.lock:
            if self.path == "/self-check":
                self.server.self_checks += 1
            else:
                self.server.hits.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):  # counted, not printed
        pass


def sign_in(port: int, email: str) -> str:
    """The session cookie of ``email``, signed in through the login form (retried a few times)."""
    for attempt in range(6):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/login")
            response = conn.getresponse()
            page = response.read().decode()
            anonymous = response.getheader("Set-Cookie").split(";", 1)[0]
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode(
                {"email": email, "password": PASSWORD, "csrf_token": token}
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": anonymous}
            conn.request("POST", "/login", body, headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 302 and response.getheader("Set-Cookie"):
                return response.getheader("Set-Cookie").split(";", 1)[0]
        except (OSError, http.client.HTTPException, AttributeError):
            pass
        time.sleep(1 + attempt)
    raise RuntimeError(f"{email} could not sign in")


def get(port: int, path: str, cookie: str, timeout: float) -> tuple[int | None, str, bytes, float]:
    """Status (None: no reply), content type, body and Retry-After (else PAUSE) of one GET."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        wait = response.getheader("Retry-After") or ""
        pause = float(wait) if wait.isdigit() else PAUSE
        return response.status, response.getheader("Content-Type") or "", body, pause
    except (OSError, http.client.HTTPException) as error:
        return None, type(error).__name__, b"", PAUSE


def pending_sentence(lang: str) -> str:
    """The "being made" sentence of the 202 page in ``lang`` (without it: the render failed)."""
    from babel.support import Translations

    sentence = (
        "The data changed since the report was last made, or it was never made. A new one is "
        "being made: this page reloads every few seconds and opens it when it is ready."
    )
    folder = bench_forms.ROOT / "surveyapp" / "translations"
    return Translations.load(str(folder), [lang]).gettext(sentence)


@dataclass
class Outcome:
    kind: str
    began: float
    seconds: float
    outcome: str  # rendered, stored, refused (503), failed, error, over budget, abandoned
    detail: str = ""


@dataclass
class Pressure:
    renders: list[Outcome] = field(default_factory=list)
    exports: list[Outcome] = field(default_factory=list)
    samples: dict[str, bytes] = field(default_factory=dict)  # one PDF/XLSX of each kind
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, into: list, outcome: Outcome, kind: str = "", body: bytes = b"") -> None:
        with self.lock:
            into.append(outcome)
            if body and kind not in self.samples:
                self.samples[kind] = body


def render_client(port, email, lang, jobs, offset, stop_at, budget, pressure: Pressure):
    """Ask for one report after the other, as an expert does, until ``stop_at``."""
    try:
        cookie = sign_in(port, email)
    except RuntimeError as error:
        pressure.errors.append(str(error))
        return
    queued = pending_sentence(lang)
    number = offset
    while time.monotonic() < stop_at:
        job = jobs[number % len(jobs)]
        number += 1
        began, asked = time.monotonic(), 0
        while True:
            status, kind, body, pause = get(port, job["path"], cookie, timeout=budget + GRACE)
            asked += 1
            took = time.monotonic() - began
            if status == 200 and kind.startswith("application/pdf") and body[:5] == b"%PDF-":
                outcome = "stored" if asked == 1 else "rendered"
                pressure.add(
                    pressure.renders, Outcome(job["kind"], began, took, outcome), job["kind"], body
                )
                break
            if status == 202:
                if queued not in html.unescape(body.decode()):
                    # The page says the report could not be made (the render failed).
                    pressure.add(
                        pressure.renders, Outcome(job["kind"], began, took, "failed", job["path"])
                    )
                    break
                if took > budget + GRACE:
                    pressure.add(
                        pressure.renders,
                        Outcome(job["kind"], began, took, "over budget", job["path"]),
                    )
                    break
                if time.monotonic() >= stop_at:
                    pressure.add(pressure.renders, Outcome(job["kind"], began, took, "abandoned"))
                    return
                time.sleep(POLL)
                continue
            if status == 503:
                pressure.add(pressure.renders, Outcome(job["kind"], began, took, "refused (503)"))
            else:
                what = f"HTTP {status} {kind}" if status else kind
                pressure.add(
                    pressure.renders,
                    Outcome(job["kind"], began, took, "error", f"{job['path']}: {what}"),
                )
            time.sleep(pause)
            break


def export_client(port, email, rounds, offset, stop_at, pressure: Pressure):
    """Download one round's XLSX export after the other, back to back, until ``stop_at``."""
    try:
        cookie = sign_in(port, email)
    except RuntimeError as error:
        pressure.errors.append(str(error))
        return
    number = offset
    while time.monotonic() < stop_at:
        round_id = rounds[number % len(rounds)]
        number += 1
        began = time.monotonic()
        status, kind, body, pause = get(
            port, f"/rounds/{round_id}/export.xlsx", cookie, timeout=300
        )
        took = time.monotonic() - began
        if status == 200 and "spreadsheetml" in kind and body[:2] == b"PK":
            pressure.add(pressure.exports, Outcome("xlsx", began, took, "exported"), "xlsx", body)
        elif status == 503:
            pressure.add(pressure.exports, Outcome("xlsx", began, took, "refused (503)"))
            time.sleep(pause)
        else:
            what = f"HTTP {status} {kind}" if status else kind
            pressure.add(pressure.exports, Outcome("xlsx", began, took, "error", what))
            time.sleep(pause)


def canary_in_samples(samples: dict[str, bytes], canary: str, workdir: Path) -> dict[str, bool]:
    """Whether the planted URLs are in what came back (so the check tested something)."""
    import zipfile

    seen = {}
    for kind, body in samples.items():
        path = workdir / f"sample-{kind}"
        path.write_bytes(body)
        if kind == "xlsx":
            with zipfile.ZipFile(path) as bundle:
                text = " ".join(
                    bundle.read(n).decode("utf-8", "replace") for n in bundle.namelist()
                )
        else:
            done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
            text = re.sub(r"\s+", "", done.stdout)  # a long URL is broken across lines
        seen[kind] = canary.removeprefix("http://") in text
    return seen


def summary(latencies: list[float], seconds: float) -> dict:
    pick = nothing_lost.percentile
    return {
        "saves": len(latencies),
        "per_s": len(latencies) / seconds if seconds else 0.0,
        "p50": pick(latencies, 0.5) * 1000,
        "p95": pick(latencies, 0.95) * 1000,
        "p99": pick(latencies, 0.99) * 1000,
        "max": max(latencies, default=float("nan")) * 1000,
    }


def times(outcomes: list[Outcome]) -> str:
    spent = [o.seconds for o in outcomes]
    if not spent:
        return ""
    pick = nothing_lost.percentile
    return f"p50 {pick(spent, 0.5):.1f} s, p95 {pick(spent, 0.95):.1f} s, max {max(spent):.1f} s"


def scenario(label: str, db_url: str, args) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="export-pressure-"))
    canary = Canary()
    threading.Thread(target=canary.serve_forever, daemon=True).start()
    bench_forms.prepare_database(db_url)
    items = nothing_lost.text_items()
    setup = nothing_lost.run_script(
        nothing_lost.SETUP, db_url, str(args.officers), PASSWORD, json.dumps(items)
    )
    planted = nothing_lost.run_script(
        PLANT,
        db_url,
        canary.url,
        PASSWORD,
        str(args.renders),
        str(args.exports),
        json.dumps(LANGUAGES),
    )
    officers = [
        nothing_lost.Officer(o["email"], o["assessment_id"], o["versions"])
        for o in setup["officers"]
    ]
    (port,) = bench_forms.free_ports(1)
    env = {
        "SURVEYAPP_CONFIG": "production",
        "SECRET_KEY": "export pressure",
        "TOTP_KEYS": "A" * 43 + "=",  # a valid Fernet key (a throwaway database)
        "DATABASE_URL": db_url,
        "SESSION_COOKIE_SECURE": "0",
        "REPORTS_RENDER_TIMEOUT": str(args.render_timeout),
        # As deploy/gunicorn.conf.py: a 60 s worker timeout (reports render elsewhere).
        "GUNICORN_CMD_ARGS": "--timeout 60",
    }
    server = bench_forms.gunicorn(
        "surveyapp:create_app()", port, env, bench_forms.ROOT, args.workers
    )
    pressure = Pressure()
    errors: list[str] = []
    baseline_s, pressure_s = args.baseline_minutes * 60, args.minutes * 60
    try:
        bench_forms.wait_for(port, "/login")
        canary_ok = get(canary.server_address[1], "/self-check", "", 5)[0] == 200
        start = time.monotonic()
        pressure_at, stop_at = start + baseline_s, start + baseline_s + pressure_s
        officer_threads = [
            threading.Thread(
                target=nothing_lost.officer_loop,
                args=(port, officer, items, stop_at, args.interval, errors),
            )
            for officer in officers
        ]
        for thread in officer_threads:
            thread.start()
        time.sleep(max(0.0, pressure_at - time.monotonic()))
        budget = float(args.render_timeout)
        jobs, rounds = planted["jobs"], planted["rounds"]
        load_threads = [
            threading.Thread(
                target=render_client,
                args=(
                    port,
                    email,
                    LANGUAGES[n % len(LANGUAGES)],
                    jobs,
                    n * 7,
                    stop_at,
                    budget,
                    pressure,
                ),
            )
            for n, email in enumerate(planted["readers"])
        ] + [
            threading.Thread(target=export_client, args=(port, email, rounds, n, stop_at, pressure))
            for n, email in enumerate(planted["exporters"])
        ]
        for thread in load_threads:
            thread.start()
        for thread in [*officer_threads, *load_threads]:
            thread.join()
        time.sleep(1)  # a renderer's last fetch, if any, reaches the canary
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        canary.shutdown()
    found = nothing_lost.run_script(
        nothing_lost.READ,
        db_url,
        json.dumps([o.assessment_id for o in officers]),
        json.dumps(items),
        str(setup["last_event"]),
    )
    lost = errors + pressure.errors + nothing_lost.broken_rules(officers, found)
    seen = canary_in_samples(pressure.samples, canary.url, workdir)

    timed = [pair for o in officers for pair in zip(o.latencies, o.ack_times, strict=True)]
    base = [latency for latency, began in timed if began < pressure_at]
    loaded = [latency for latency, began in timed if began >= pressure_at]
    before, during = summary(base, baseline_s), summary(loaded, pressure_s)
    ratio = during["p95"] / before["p95"] if before["p95"] else float("inf")
    retries = sum(o.retries for o in officers)
    failures: dict[str, int] = {}
    for officer in officers:
        for why, count in officer.failures.items():
            failures[why] = failures.get(why, 0) + count

    print(
        f"\n== {label}: {len(officers)} officers, one autosave every {args.interval:g} s each, "
        f"gunicorn {args.workers} sync workers; {args.baseline_minutes:g} min alone, then "
        f"{args.minutes:g} min with {args.renders} report readers and {args.exports} XLSX "
        f"exporters; render budget {budget:g} s"
    )
    print(f"planted canary URLs: {planted['planted']}")
    print(
        f"{'autosave':28}{'saves':>8}{'per s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    for name, row in (("baseline (F1 alone)", before), ("under pressure (F6)", during)):
        print(
            f"{name:28}{row['saves']:8d}{row['per_s']:8.1f}{row['p50']:9.0f}{row['p95']:9.0f}"
            f"{row['p99']:9.0f}{row['max']:9.0f}"
        )
    print(f"saves sent again after a failure: {retries} ({failures or 'none'})")
    by_outcome: dict[tuple[str, str], list[Outcome]] = {}
    for o in pressure.renders + pressure.exports:
        by_outcome.setdefault((o.kind, o.outcome), []).append(o)
    print(f"{'render/export':16}{'outcome':16}{'count':>7}  time (first request to answer)")
    for (kind, outcome), rows in sorted(by_outcome.items()):
        print(f"{kind:16}{outcome:16}{len(rows):7d}  {times(rows)}")
    details = sorted({o.detail for o in pressure.renders + pressure.exports if o.detail})
    for detail in details[:10]:
        print(f"  {detail}")
    print(
        f"canary: {len(canary.hits)} requests (self-check answered: {canary_ok}); planted URLs "
        f"found in the downloads: {seen or 'no download to look in'}"
    )
    for hit in canary.hits[:10]:
        print(f"  canary hit: {hit}")

    bad_renders = [o for o in pressure.renders if o.outcome in ("failed", "error", "over budget")]
    bad_exports = [o for o in pressure.exports if o.outcome == "error"]
    delivered = [o for o in pressure.renders if o.outcome in ("rendered", "stored")]
    exported = [o for o in pressure.exports if o.outcome == "exported"]
    checks = [
        (f"save p95 under pressure {ratio:.2f}x the baseline (target < 2x)", ratio < 2),
        (
            f"renders: {len(delivered)} delivered, {len(bad_renders)} failed, in error or over "
            f"budget (target 0)",
            bool(delivered) and not bad_renders,
        ),
        (
            f"exports: {len(exported)} delivered, {len(bad_exports)} in error (target 0)",
            bool(exported) and not bad_exports,
        ),
        (f"requests to the canary: {len(canary.hits)} (target 0)", canary_ok and not canary.hits),
        (f"lost or broken saves: {len(lost)} (target 0)", not lost),
    ]
    for text, met in checks:
        print(f"{text}: {'met' if met else 'NOT met'}")
    for problem in lost[:10]:
        print(f"  {problem}")
    if found["integrity"] is not None:
        print(f"integrity_check: {found['integrity']}")
    return all(met for _text, met in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="the pressure phase")
    parser.add_argument("--baseline-minutes", type=float, default=3, help="F1 alone, first")
    parser.add_argument("--officers", type=int, default=16)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between saves")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--renders", type=int, default=10, help="report readers at once")
    parser.add_argument("--exports", type=int, default=10, help="XLSX exporters at once")
    parser.add_argument(
        "--render-timeout", type=float, default=300, help="the app's REPORTS_RENDER_TIMEOUT"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_sqlite:
        workdir = Path(tempfile.mkdtemp(prefix="export-pressure-db-"))
        ok &= scenario("SQLite (WAL)", f"sqlite:///{workdir}/app.db", args)
    if not args.skip_postgres:
        import psycopg

        name = "surveyapp_export_pressure"
        with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            ok &= scenario(
                "PostgreSQL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", args
            )
        finally:
            with psycopg.connect(bench_forms.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
