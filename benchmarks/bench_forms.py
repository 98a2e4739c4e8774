"""Section page and autosave throughput under gunicorn, beside the reference app's figures.

The reference is ../shared/perf-baselines/webapp/app.py (Flask-WTF, 30 fields): /form_lean is
the page reference, a POST of its 30 answers the save reference. Both apps run here with the
same gunicorn settings (2 sync workers) and the same load generator (wrk, a second process on
127.0.0.1), on SQLite in WAL mode and on PostgreSQL. Targets (issue 4): the section page at
least 0.75x /form_lean with p99 under 100 ms; one autosave at least the 30-answer POST's
throughput with p99 under 250 ms.

The reference is loaded as PERFORMANCE.md loaded it (no cookie kept: each request starts a
session and sets its cookie); the section page as a browser loads it, keeping the cookie its
replies set (PAGE_LUA). The reference loaded the same way is printed beside, not as a target.

With --against REV it also runs the code of an earlier commit (a git worktree, its own database
seeded by its own code) beside this one and loads it in the same turns: the section page and the
autosave of this version as a ratio to that version's, measured in the same run (issue 25: a
feature's cost shown against the code before it, not against figures of another day).

With --with-render-load it measures the section page again while working-group reports render
back to back in a background process, as the app renders them (issue 7: at least half the
throughput is kept).

Both apps run side by side and wrk loads them in turn, --rounds times each (median printed):
a shared machine's speed drifts within minutes, and this way the drift moves both figures.

Run: .venv/bin/python benchmarks/bench_forms.py [--seconds 5] [--rounds 3] [--skip-postgres]
     [--with-render-load] [--against REV]
Needs wrk (apt-get install wrk) and, for PostgreSQL, the server on 127.0.0.1:5432.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "perf-baselines" / "webapp"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OFFICER = "officer@demo.example"

#: The pages as a browser loads them: the session cookie a reply sets is sent from then on. The
#: officer's session notes activity in its cookie (at most once a minute, auth/sessions.py): a
#: replayed cookie that is never renewed would have every request of a run longer than that
#: sign and set the cookie again, which no browser does.
PAGE_LUA = """
-- wrk builds a script's request once unless the script makes each one: made here, each request
-- carries the headers as the last reply left them.
function request()
  return wrk.format()
end
function response(status, headers, body)
  local cookie = headers["Set-Cookie"]
  if cookie then wrk.headers["Cookie"] = string.match(cookie, "^[^;]+") end
end
"""

#: wrk's connections (one thread each) for the autosave figure.
AUTOSAVE_CONNECTIONS = 8
AUTOSAVE_LUA = """
-- One connection per thread, each on its own item: the version chain stays consistent.
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end
function init(args)
  items = {}
  for item in string.gmatch(args[1], "[^,]+") do table.insert(items, item) end
  item = items[(index - 1) % #items + 1]
  version = 0
  level = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end
function request()
  level = (level + 1) % 6
  local body = string.format('{"value": ["%d"], "version": %d}', level, version)
  return wrk.format("POST", string.gsub(wrk.path, "__ITEM__", item), nil, body)
end
function response(status, headers, body)
  local v = string.match(body, '"version":%s*(%d+)')
  if v then version = tonumber(v) end
  -- As a browser does: the session cookie a reply sets is sent from then on (the session
  -- notes when this officer's presence was last written: at most every 30 s per section).
  local cookie = headers["Set-Cookie"]
  if cookie then wrk.headers["Cookie"] = string.match(cookie, "^[^;]+") end
end
"""


def free_ports(count: int) -> list[int]:
    """Ports free now, all different (the sockets are held until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_for(port: int, path: str = "/", timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status >= 500:
                raise OSError("not ready")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def gunicorn(app: str, port: int, env: dict, chdir: Path, workers: int = 2) -> subprocess.Popen:
    command = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        app,
    ]
    return subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)


def wrk(
    url: str,
    seconds: int,
    connections: int,
    threads: int,
    script: str | None = None,
    headers: dict | None = None,
    args: list[str] | None = None,
) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    if args:
        command += ["--", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    output = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def prepare_database(url: str, root: Path = ROOT) -> None:
    """Migrated and seeded with the demo by the code in ``root`` (flask imports it from there)."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "surveyapp"}
    flask = str(VENV_BIN / "flask")
    for args in (["db", "upgrade"], ["demo", "seed", "--seed", "7"]):
        subprocess.run([flask, *args], env=env, cwd=root, check=True, capture_output=True)


def earlier_tree(revision: str, workdir: Path) -> Path:
    """The code of ``revision`` in a git worktree of its own, its catalogues compiled."""
    tree = workdir / "earlier"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(VENV_BIN / "pybabel"), "compile", "-d", "surveyapp/translations"],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    return tree


def remove_tree(tree: Path) -> None:
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True
    )


def reset_officer_password(
    url: str, password: str, email: str = OFFICER, root: Path = ROOT
) -> None:
    code = (
        "from surveyapp import create_app\n"
        "from surveyapp.extensions import db\n"
        "from surveyapp.auth.queries import find_user_by_email\n"
        "app = create_app('development')\n"
        "with app.app_context():\n"
        f"    find_user_by_email({email!r}).set_password({password!r}); db.session.commit()\n"
    )
    env = {**os.environ, "DATABASE_URL": url}
    # python -c imports from its working directory first: the code of ``root``.
    subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True)


RENDER_LOAD = """
import sys
from surveyapp import create_app
from surveyapp.reporting.catalog import Job, build_context
from surveyapp.reporting.executor import RenderPool
from surveyapp.rounds.queries import list_rounds
app = create_app("development")
with app.app_context():
    round_ = list_rounds()[0]
    job = Job("working-group", round_.id, None)
    context = build_context(job)
renders = 0
with RenderPool(app, 1) as pool:  # as the app renders a page's report: a niced, capped worker
    while True:
        # A key of its own each time, so that every job renders (and stores) the report again.
        outcome, message = pool.outcome(pool.submit(job, context, f"render-load-{renders}"))
        if outcome != "rendered":
            sys.exit(f"render load: {outcome} {message}")
        renders += 1
        with open(sys.argv[1], "w") as out:
            out.write(str(renders))
"""


def start_render_load(db_url: str, workdir: Path) -> tuple[subprocess.Popen, Path]:
    """Working-group reports rendered back to back, as the app renders them in the background."""
    counter = workdir / "renders.txt"
    counter.write_text("0")
    env = {**os.environ, "DATABASE_URL": db_url}
    # A session of its own, so that stopping it stops its render pool's worker too.
    load = subprocess.Popen(
        [sys.executable, "-c", RENDER_LOAD, str(counter)], env=env, cwd=ROOT, start_new_session=True
    )
    return load, counter


def sign_in(port: int, password: str, email: str = OFFICER) -> tuple[str, str, int]:
    """Session cookie, CSRF token and the officer's draft assessment id."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    anonymous = response.getheader("Set-Cookie").split(";", 1)[0]
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": login_token})
    conn.request(
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": anonymous},
    )
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    conn.request("GET", "/", headers={"Cookie": cookie})
    home = conn.getresponse().read().decode()
    assessment_id = int(re.search(r'href="/assessments/(\d+)"', home).group(1))
    conn.request("GET", "/csrf-token", headers={"Cookie": cookie, "Accept": "application/json"})
    response = conn.getresponse()
    token = json.loads(response.read())["token"]
    # The token is kept in the session: use the cookie that carries it from now on.
    if response.getheader("Set-Cookie"):
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    return cookie, token, assessment_id


def scale_items(section_ids: tuple[str, ...]) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from surveyapp.questionnaires.loader import load_file

    # The demo's open round (the officer's draft) answers version 2.
    definition = load_file(ROOT / "questionnaires" / "criterion7-interregional-v2.yaml")
    return [
        item.id
        for section_id in section_ids
        for item in definition.section(section_id).items
        if item.type == "scale" and not item.show_if
    ]


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (its p99 with it), and the spread of the runs."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    middle = dict(ordered[len(ordered) // 2])
    middle["low"], middle["high"] = ordered[0]["rps"], ordered[-1]["rps"]
    middle["non2xx"] = sum(run["non2xx"] for run in runs)
    return middle


def measure(
    label: str,
    db_url: str,
    ref_db_url: str,
    seconds: int,
    rounds: int,
    workdir: Path,
    render_load: bool,
    earlier: tuple[str, Path, str] | None = None,
) -> dict:
    """Both apps run side by side and are loaded in turn, ``rounds`` times each: a machine
    whose speed drifts during the run (shared hosts do) moves both figures alike.

    :param earlier: (revision, its worktree, its database): that code runs too, loaded in the
        same turns (figures ``page_earlier`` and ``autosave_earlier``)."""
    ref_page_port, ref_post_port, port, earlier_port = free_ports(4)
    ref_env = {"DB_URL": ref_db_url}
    if ref_db_url.startswith("sqlite"):
        ref_env["SQLITE_WAL"] = "1"
        # WAL is kept in the file: set once here, the reference's workers find it set and do
        # not race for the lock that changing it takes ("database is locked" at boot).
        with sqlite3.connect(ref_db_url.removeprefix("sqlite:///")) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    # The reference creates its table as it starts, and its two workers race for it on a new
    # database (PostgreSQL: a duplicate key in pg_type, and the server stops): made once here.
    env = {**os.environ, **ref_env}
    subprocess.run([sys.executable, "-c", "import app"], cwd=REFERENCE, env=env, check=True)
    prepare_database(db_url)
    password = "benchmark password 1"
    reset_officer_password(db_url, password)
    env = {
        "SURVEYAPP_CONFIG": "production",
        "SECRET_KEY": "benchmark",
        "TOTP_KEYS": "A" * 43 + "=",  # a valid Fernet key (a throwaway database)
        "DATABASE_URL": db_url,
        "SESSION_COOKIE_SECURE": "0",
    }
    # As in PERFORMANCE.md: the page with CSRF on, the POST with CSRF off (wrk replays it).
    # Started one after the other: the reference creates its table when it starts.
    servers = []
    runs: dict[str, list[dict]] = {
        "ref_page": [],
        "ref_page_cookie": [],
        "page": [],
        "ref_post": [],
        "autosave": [],
    }
    if earlier:
        runs.update(page_earlier=[], autosave_earlier=[])
    figures: dict = {}
    try:
        servers.append(gunicorn("app:app", ref_page_port, {**ref_env, "CSRF": "1"}, REFERENCE))
        wait_for(ref_page_port, "/ping")
        servers.append(gunicorn("app:app", ref_post_port, {**ref_env, "CSRF": "0"}, REFERENCE))
        wait_for(ref_post_port, "/ping")
        servers.append(gunicorn("surveyapp:create_app()", port, env, ROOT))
        wait_for(port, "/login")
        ref_page = f"http://127.0.0.1:{ref_page_port}/form_lean"
        ref_post = f"http://127.0.0.1:{ref_post_port}/form"
        script = workdir / "autosave.lua"
        script.write_text(AUTOSAVE_LUA)
        page_lua = workdir / "page.lua"
        page_lua.write_text(PAGE_LUA)
        items = ",".join(scale_items(("strategy", "governance", "funding"))[:8])
        post_lua = str(REFERENCE / "post.lua")
        apps = {"": port}
        if earlier:
            _revision, tree, earlier_db = earlier
            prepare_database(earlier_db, tree)
            reset_officer_password(earlier_db, password, root=tree)
            servers.append(
                gunicorn(
                    "surveyapp:create_app()",
                    earlier_port,
                    {**env, "DATABASE_URL": earlier_db},
                    tree,
                )
            )
            wait_for(earlier_port, "/login")
            apps["_earlier"] = earlier_port
        targets = {}
        for suffix, app_port in apps.items():
            cookie, token, assessment_id = sign_in(app_port, password)
            base = f"http://127.0.0.1:{app_port}/assessments/{assessment_id}"
            targets[suffix] = (
                f"{base}/sections/strategy",
                f"{base}/answers/__ITEM__",
                cookie,
                token,
            )
        wrk(ref_page, 2, 16, 1)  # warm-up
        for page, _save, cookie, _token in targets.values():
            wrk(page, 2, 16, 1, str(page_lua), headers={"Cookie": cookie})
        for turn in range(rounds):
            # The two versions take turns at going first: the first runs just after a
            # reference run, whose writes the machine may still be flushing.
            order = list(targets.items())
            if turn % 2:
                order.reverse()
            runs["ref_page"].append(wrk(ref_page, seconds, 16, 1))
            for suffix, (page, _save, cookie, _token) in order:
                runs["page" + suffix].append(
                    wrk(page, seconds, 16, 1, str(page_lua), headers={"Cookie": cookie})
                )
            # The reference loaded as the page is (its cookie kept): shown beside, not a target.
            runs["ref_page_cookie"].append(wrk(ref_page, seconds, 16, 1, str(page_lua)))
            runs["ref_post"].append(wrk(ref_post, seconds, 8, 8, post_lua))
            for suffix, (_page, save, cookie, token) in order:
                runs["autosave" + suffix].append(
                    wrk(
                        save,
                        seconds,
                        AUTOSAVE_CONNECTIONS,
                        AUTOSAVE_CONNECTIONS,
                        str(script),
                        headers={"Cookie": cookie, "X-CSRFToken": token},
                        args=[items],
                    )
                )
        page, _save, cookie, _token = targets[""]
        figures = {key: median_run(values) for key, values in runs.items()}
        if render_load:
            load, counter = start_render_load(db_url, workdir)
            try:
                deadline = time.monotonic() + 120
                while int(counter.read_text() or 0) < 1 and time.monotonic() < deadline:
                    time.sleep(0.5)  # the report's data built, one render done: steady state
                before = int(counter.read_text() or 0)
                figures["page_rendering"] = wrk(
                    page, seconds, 16, 1, str(page_lua), headers={"Cookie": cookie}
                )
                figures["renders"] = int(counter.read_text() or 0) - before
            finally:
                os.killpg(load.pid, signal.SIGKILL)
                load.wait()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    report(label, figures, rounds, earlier[0] if earlier else None)
    return figures


def report(label: str, f: dict, rounds: int, revision: str | None = None) -> None:
    page_ratio = f["page"]["rps"] / f["ref_page"]["rps"]
    save_ratio = f["autosave"]["rps"] / f["ref_post"]["rps"]
    print(f"\n== {label} (gunicorn 2 sync workers, wrk on 127.0.0.1; median of {rounds} runs)")
    print(f"{'':34}{'req/s':>9}{'p99 ms':>9}{'non-2xx':>9}{'runs from-to':>16}")
    rows = [
        ("reference /form_lean", f["ref_page"]),
        ("  the same, its cookie kept", f["ref_page_cookie"]),
        ("section page (signed in)", f["page"]),
        ("reference POST 30 answers", f["ref_post"]),
        ("autosave one answer", f["autosave"]),
    ]
    if revision:
        rows += [
            (f"section page ({revision[:12]})", f["page_earlier"]),
            (f"autosave ({revision[:12]})", f["autosave_earlier"]),
        ]
    for name, r in rows:
        spread = f"{r['low']:.0f}-{r['high']:.0f}"
        print(f"{name:34}{r['rps']:9.0f}{r['p99_ms']:9.1f}{r['non2xx']:9d}{spread:>16}")
    page_ok = page_ratio >= 0.75 and f["page"]["p99_ms"] < 100
    save_ok = save_ratio >= 1.0 and f["autosave"]["p99_ms"] < 250
    print(
        f"section page: {page_ratio:.2f}x reference (target >= 0.75x, p99 < 100 ms): "
        f"{'met' if page_ok else 'NOT met'}"
    )
    print(
        f"autosave:     {save_ratio:.2f}x reference (target >= 1.0x, p99 < 250 ms): "
        f"{'met' if save_ok else 'NOT met'}"
    )
    # Each connection's first save of a run is based on version 0 while the answer exists
    # (from the run before): 409, and the script takes the version from the reply.
    expected_refusals = AUTOSAVE_CONNECTIONS * rounds
    refusals = f["autosave"]["non2xx"]
    print(
        f"autosave non-2xx: {refusals}, of at most {expected_refusals} expected (each "
        f"connection's first save of a run is based on version 0): "
        f"{'as expected' if refusals <= expected_refusals else 'MORE than expected'}"
    )
    if revision:
        for name, key in (("section page", "page"), ("autosave", "autosave")):
            ratio = f[key]["rps"] / f[key + "_earlier"]["rps"]
            print(
                f"{name} against {revision[:12]} in the same run: {ratio:.2f}x "
                f"(issue 25: within 5%, >= 0.95x): {'met' if ratio >= 0.95 else 'NOT met'}"
            )
    if "page_rendering" in f:
        loaded = f["page_rendering"]
        kept = loaded["rps"] / f["page"]["rps"]
        print(
            f"section page while working-group reports render ({f['renders']} rendered): "
            f"{loaded['rps']:.0f} req/s, p99 {loaded['p99_ms']:.1f} ms, {kept:.2f}x of the page "
            f"alone (issue 7 target >= 0.5x): {'met' if kept >= 0.5 else 'NOT met'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each figure (median)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--with-render-load",
        action="store_true",
        help="also measure the section page while reports render in the background",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run the code of this commit and compare with it in the same run",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench_forms needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="bench-forms-"))
    tree = earlier_tree(args.against, workdir) if args.against else None
    try:
        run_all(args, workdir, tree)
    finally:
        if tree:
            remove_tree(tree)


def run_all(args, workdir: Path, tree: Path | None) -> None:
    def earlier(db_url: str) -> tuple[str, Path, str] | None:
        return (args.against, tree, db_url) if tree else None

    measure(
        "SQLite (WAL)",
        f"sqlite:///{workdir}/app.db",
        f"sqlite:///{workdir}/ref.db",
        args.seconds,
        args.rounds,
        workdir,
        args.with_render_load,
        earlier(f"sqlite:///{workdir}/earlier.db"),
    )
    if args.skip_postgres:
        return
    import psycopg

    names = ("surveyapp_bench", "surveyapp_bench_ref", "surveyapp_bench_earlier")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        measure(
            "PostgreSQL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/surveyapp_bench",
            "postgresql+psycopg://postgres@127.0.0.1:5432/surveyapp_bench_ref",
            args.seconds,
            args.rounds,
            workdir,
            args.with_render_load,
            earlier("postgresql+psycopg://postgres@127.0.0.1:5432/surveyapp_bench_earlier"),
        )
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
