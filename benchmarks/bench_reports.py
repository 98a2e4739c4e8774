"""PDF report figures on a synthetic data set, beside the WeasyPrint reference of PERFORMANCE.md.

bench_analysis's synthetic questionnaire (150 scored items, 10 dimensions, 4 critical aspects)
answered by 300 regions in 2 rounds (--rounds; two, so that "change since the previous round" and
the trend have something to show) goes into a fresh database: every assessment validated, about
70% agreeing to be named. It has no good practices, experts' remarks, challenge tags or moderated
scores: those report sections are optional and come out empty (the script prints the counts).
Then, all in the same run:

  (1) the reference: ../shared/perf-baselines/bench_weasy.py --regions 1 (9 pages) and
      --regions 11 (99 pages), each in a fresh process, with this venv's python;
  (2) one region report, cold, in a fresh process: context built, then render_pdf() timed;
      target: render <= 0.8x the 9-page reference's time, peak RSS < 150 MB;
  (3) the working-group report of the 300 regions, cold, in a fresh process;
      target: time per page <= the 99-page reference's time per page, peak RSS < 500 MB;
  (4) build() (what ``flask reports build`` runs) on the working-group report plus the region
      report and response of --build-regions regions: 1 worker, then (stored reports deleted)
      2 workers; target: 2 workers >= 1.7x the reports per second of 1; then 2 workers again,
      which must find every report unchanged;
  (5) the stored working-group PDF served to a signed-in expert by the Flask test client
      (REPORTS_RENDER_INLINE, so a miss would render in the request): median and p95 of
      --requests GETs; target: median < 50 ms.

Also printed: the same region report rendered as a page has it rendered, from the context the
page built, by a worker of the web app's render pool (``reporting.executor.RenderPool``: a fresh
process with the app, which renders and stores the PDF), and that worker's peak RSS; two
9-page references rendering at once, i.e. what a second process gains on this machine at all (the
ceiling for (4)); and how many CPUs other processes kept busy during each part, since others'
work on the machine skews the parallel figures most (rendering processes run at nice 10).

Not measured here: form pages while reports render (W3 of PERFORMANCE.md); that needs gunicorn
and wrk, and ``benchmarks/bench_forms.py --with-render-load`` measures it.

"Cold" means what the reference means: a fresh process, timed after ``import weasyprint`` (that
import is shown apart, as the reference's import_s). The reference times HTML(...).render() and
write_pdf() of HTML it built before; ours times render_pdf(), i.e. also the Jinja template,
parsing the two stylesheets and creating the FontConfiguration (about 10 ms in all), so the ratio
is slightly in the reference's favour. Building the report's context (the round's scores from
the database) is timed apart and not in the ratio. The 9-page figures are medians of
--cold-runs fresh processes each. Peak RSS is ru_maxrss of the process that rendered (started
through a small launcher, see LAUNCHER), so for ours it includes Flask, SQLAlchemy, pandas and
the round's scores (shown as "before render").

Run: .venv/bin/python benchmarks/bench_reports.py [--database-url URL] [--build-regions 20]
     [--rounds 2] [--cold-runs 3] [--requests 20] [--profile] [--json FILE] [--keep-pdfs DIR]
The default is a throwaway SQLite file. A PostgreSQL URL is emptied first (DROP SCHEMA public):
give it a scratch database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = ROOT.parent / "shared" / "perf-baselines" / "bench_weasy.py"
REFERENCE_FIELDS = ("weasyprint", "pages", "runs", "import_s", "peak_rss_mb")
sys.path.insert(0, str(HERE))  # bench_analysis; also in spawned build workers (harmless)
sys.path.insert(0, str(ROOT))

EXPERT_EMAIL, EXPERT_PASSWORD = "expert@example.org", "bench-password-123"


#: Runs its arguments as a command in a process of its own, then writes that process's peak RSS
#: to stderr. On Linux a process inherits its parent's peak RSS through fork and exec
#: (ru_maxrss is at least the parent's peak when the child was started), so a child started
#: straight from this script, which holds 200+ MB of data, would report that. Started from this
#: small launcher it reports only its own peak.
LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(f'launched maxrss_kb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', "
    "file=sys.stderr); sys.exit(code)"
)


def launch(command: list[str], **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )


def fresh_process(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        capture_output=True,
        text=True,
        check=False,
        **options,
    )


def launched_peak_mb(stderr: str) -> float | None:
    found = re.search(r"launched maxrss_kb=(\d+)", stderr)
    return int(found.group(1)) / 1024 if found else None


class OtherLoad:
    """CPUs that other processes of the machine kept busy (average) while measuring.

    Busy time of all CPUs (/proc/stat) minus the CPU time of this process and of every child
    it waited for (the launchers count their own children). Others' work skews the parallel
    figures above all. A PostgreSQL server counts as "other" too, though it works for us here.
    Linux only (None elsewhere).
    """

    def __init__(self):
        self.phases: dict[str, float | None] = {}

    @staticmethod
    def snapshot() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as stat:
                values = [int(v) for v in stat.readline().split()[1:8]]
        except OSError:
            return None
        busy = values[0] + values[1] + values[2] + values[5] + values[6]  # not idle, iowait
        ours = sum(
            usage.ru_utime + usage.ru_stime
            for usage in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )
        return time.perf_counter(), busy / os.sysconf("SC_CLK_TCK"), ours

    def measure(self, phase: str, function, *args):
        before = self.snapshot()
        result = function(*args)
        after = self.snapshot()
        if before and after:
            wall = after[0] - before[0]
            others = (after[1] - before[1]) - (after[2] - before[2])
            self.phases[phase] = max(0.0, others) / wall if wall > 0 else None
        return result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def count_pages(path: Path) -> int | None:
    """Pages of a PDF: pdfinfo (poppler-utils) when installed, else its page objects."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=False
        ).stdout
        found = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
        if found:
            return int(found.group(1))
    # "/Type /Page" but not "/Type /Pages"; finds nothing if the objects are compressed.
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes())) or None


# ---------------------------------------------------------------------------------------------
# Fresh processes: the reference, and one of our reports rendered cold.


def reference_command(regions: int, repeat: int) -> list[str]:
    return [sys.executable, str(REFERENCE), "--regions", str(regions), "--repeat", str(repeat)]


def reference_result(command: list[str], returncode: int, stdout: str, stderr: str) -> dict:
    if returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    missing = [name for name in REFERENCE_FIELDS if name not in result]
    if missing or not result["runs"] or "total" not in result["runs"][0]:
        raise SystemExit(f"bench_weasy.py printed no {', '.join(missing) or 'runs'}: {result}")
    result["cold_s"] = result["runs"][0]["total"]  # the first render of the process
    warm = [run["total"] for run in result["runs"][1:]]
    result["warm_s"] = statistics.median(warm) if warm else None
    result["per_page_s"] = result["cold_s"] / result["pages"]
    result["fonttools"] = "fontTools" in stderr
    return result


def run_reference(regions: int, repeat: int) -> dict:
    """bench_weasy.py in a fresh process (it imports gen_report from its own folder)."""
    command = reference_command(regions, repeat)
    done = fresh_process(command, cwd=REFERENCE.parent)
    return reference_result(command, done.returncode, done.stdout, done.stderr)


def reference_in_parallel(repeat: int) -> float:
    """Two 9-page references rendering at once: the median time of their warm renders."""
    command = reference_command(1, repeat)
    children = [launch(command, cwd=REFERENCE.parent, text=True) for _ in range(2)]
    warm = []
    for process in children:
        stdout, stderr = process.communicate()
        warm += [
            run["total"]
            for run in reference_result(command, process.returncode, stdout, stderr)["runs"][1:]
        ]
    return statistics.median(warm)


def run_in_pool(url: str, page_job: Path) -> dict:
    """The report of ``page_job`` (a pickle of job, context, key and data version, as a page
    passes them) rendered by a worker of the web app's render pool, in a fresh process.

    The time runs from submitting the job to its outcome, so it includes starting the worker and
    its app (the app keeps its pool between renders).
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--pool-child", str(page_job)]
    done = fresh_process(command, env=os.environ | {"DATABASE_URL": url})
    if done.returncode != 0:
        raise SystemExit(f"rendering in the render pool failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pool_child(page_job: str) -> None:
    """In the fresh process: one page's render through a RenderPool of one worker. Its peak RSS
    is that of the worker alone (this process's children); this process holds the app and the
    context only, so the worker inherits no larger peak (see LAUNCHER)."""
    from surveyapp import create_app
    from surveyapp.reporting.executor import RenderPool

    app = create_app("development")
    job, context, key, version = pickle.loads(Path(page_job).read_bytes())  # noqa: S301 - ours
    with RenderPool(app, 1) as pool:
        start = time.perf_counter()
        outcome, message = pool.outcome(pool.submit(job, context, key, version))
        seconds = time.perf_counter() - start
    if outcome != "rendered":
        raise SystemExit(f"the render pool's worker did not render: {outcome} {message}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))


def run_child(report: str, url: str, round_id: int, region_id: int | None, tmp: Path, profile):
    """One report rendered cold in a fresh process (this script with --child)."""
    out = tmp / f"{report}.pdf"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", report]
    command += ["--round-id", str(round_id), "--out", str(out)]
    if region_id is not None:
        command += ["--region-id", str(region_id)]
    if profile:
        command.append("--profile")
    env = os.environ | {"DATABASE_URL": url}
    done = fresh_process(command, env=env)
    if done.returncode != 0:
        raise SystemExit(f"rendering the {report} report failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["pages"] = count_pages(out)
    result["per_page_s"] = result["render_s"] / result["pages"] if result["pages"] else None
    result["fonttools"] = "fontTools" in done.stderr
    if profile:
        profile = re.sub(r"launched maxrss_kb=\d+\n?", "", done.stderr)
        print(f"\n--- cProfile of a third {report} render (cumulative) ---\n{profile}")
    return result


def child(args) -> None:
    """In the fresh process: build the context, render once cold (timed), once warm."""
    start = time.perf_counter()
    from surveyapp import create_app
    from surveyapp.reporting.catalog import Job, build_context, definition
    from surveyapp.reporting.render import render_pdf

    app = create_app("development")
    app_s = time.perf_counter() - start
    start = time.perf_counter()
    import weasyprint  # noqa: F401 - timed apart, as the reference does

    import_s = time.perf_counter() - start
    imported = peak_rss_mb()
    with app.app_context():
        job = Job(args.child, args.round_id, args.region_id, "en", "moderated")
        start = time.perf_counter()
        report = definition(job)
        context = build_context(job)
        context_s = time.perf_counter() - start
        before = peak_rss_mb()
        start = time.perf_counter()
        pdf = render_pdf(report, context, "en")
        render_s = time.perf_counter() - start
        peak = peak_rss_mb()
        Path(args.out).write_bytes(pdf)
        start = time.perf_counter()
        render_pdf(report, context, "en")
        warm_s = time.perf_counter() - start
        if args.profile:  # a third render, so that the profiler's overhead is in no figure
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(render_pdf, report, context, "en")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    print(
        json.dumps(
            {
                "app_s": app_s,
                "import_s": import_s,
                "context_s": context_s,
                "render_s": render_s,
                "warm_s": warm_s,
                "rss_imported_mb": imported,
                "rss_before_mb": before,
                "peak_rss_mb": peak,
                "pdf_kb": len(pdf) // 1024,
            }
        )
    )


def combine(results: list[dict]) -> dict:
    """Several fresh processes' figures: the median of each time, the largest memory."""
    combined = dict(results[0])
    for name, value in results[0].items():
        if isinstance(value, bool):
            combined[name] = any(result[name] for result in results)
        elif isinstance(value, float):
            values = [result[name] for result in results]
            combined[name] = max(values) if "rss" in name else statistics.median(values)
    combined["processes"] = len(results)
    return combined


# ---------------------------------------------------------------------------------------------
# In this process: the data, build(), the cached download.


def describe_data(db, round_) -> str:
    from sqlalchemy import func, select, text

    from surveyapp.assessments.models import Assessment

    states = db.session.execute(
        select(Assessment.state, func.count())
        .where(Assessment.round_id == round_.id)
        .group_by(Assessment.state)
    ).all()
    named = db.session.scalar(
        select(func.count()).where(
            Assessment.round_id == round_.id, Assessment.consent_named.is_(True)
        )
    )
    optional = {
        table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
        for table in ("good_practices", "section_remarks", "challenge_tags", "moderated_scores")
    }
    return (
        f"{round_.name}: "
        + ", ".join(f"{count} {state}" for state, count in states)
        + f", {named} agreed to be named; optional content: "
        + ", ".join(f"{count} {table}" for table, count in optional.items())
    )


def build_subset(round_, regions: int) -> list:
    """The working-group report, and the region report and response of the first regions."""
    from surveyapp.reporting.build import round_jobs
    from surveyapp.reporting.catalog import WORKING_GROUP

    jobs = round_jobs(round_, ["en"])
    chosen = sorted({job.region_id for job in jobs if job.region_id is not None})[:regions]
    return [job for job in jobs if job.report == WORKING_GROUP or job.region_id in set(chosen)]


def timed_build(jobs: list, workers: int) -> tuple[float, dict, list]:
    from surveyapp.reporting.build import build
    from surveyapp.reporting.store import FAILED

    failures = []

    def done(job, outcome, message):
        if outcome == FAILED:
            failures.append(f"{job.report} {job.region_id or ''}: {message}")

    start = time.perf_counter()
    outcomes = build(jobs, workers, done)
    return time.perf_counter() - start, dict(outcomes), failures


def drop_stored(db, round_id: int) -> int:
    from sqlalchemy import delete

    from surveyapp.reporting.models import RenderedReport

    deleted = db.session.execute(delete(RenderedReport).where(RenderedReport.round_id == round_id))
    db.session.commit()
    return deleted.rowcount


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of 300 regions (>= 1)")
    parser.add_argument("--build-regions", type=int, default=20, help="regions in the build run")
    parser.add_argument("--requests", type=int, default=20, help="timed cached downloads")
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="fresh processes for the 9-page figures"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile of an extra render and download"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep-pdfs", help="copy the cold-rendered PDFs into this folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--round-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--region-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--pool-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pool_child:
        pool_child(args.pool_child)
        return
    if args.child:
        child(args)
        return

    tmp = Path(tempfile.mkdtemp())
    try:
        measure(args, tmp)
        if args.keep_pdfs:
            Path(args.keep_pdfs).mkdir(parents=True, exist_ok=True)
            for pdf in tmp.glob("*.pdf"):
                shutil.copy(pdf, args.keep_pdfs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp: Path) -> None:
    started = time.perf_counter()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ["DATABASE_URL"] = url

    import bench_analysis
    from sqlalchemy import func, select

    from surveyapp import create_app
    from surveyapp.assessments.models import Assessment
    from surveyapp.auth.models import Role
    from surveyapp.auth.operations import create_user
    from surveyapp.extensions import db
    from surveyapp.reporting.catalog import Job, build_context
    from surveyapp.reporting.models import RenderedReport
    from surveyapp.reporting.render import load_report
    from surveyapp.reporting.store import data_version_of, report_key
    from surveyapp.rounds.models import Round

    bench_analysis.ROUNDS = max(1, args.rounds)
    app = create_app("development", {"REPORTS_RENDER_INLINE": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        rounds, answers, seconds = bench_analysis.fresh_data(db, url, tmp)
        print(
            f"engine: {db.engine.dialect.name}; {answers:,} answers "
            f"({bench_analysis.REGIONS} regions x {len(rounds)} rounds x {bench_analysis.ITEMS} "
            f"items) generated in {seconds:.1f} s"
        )
        round_ = rounds[-1]
        round_id = round_.id
        print("data:", describe_data(db, round_))
        region_id = db.session.scalar(
            select(func.min(Assessment.region_id)).where(Assessment.round_id == round_id)
        )
        # The same report as a page passes it to the web app's render pool (item 2, web path).
        page_job = tmp / "page-job.pickle"
        job = Job("region", round_id, region_id)
        context = build_context(job)
        key = report_key(load_report("region"), context, "en")
        page_job.write_bytes(pickle.dumps((job, context, key, data_version_of(job))))
        create_user(email=EXPERT_EMAIL, name="Expert", role=Role.expert, password=EXPERT_PASSWORD)
        db.session.commit()
        db.engine.dispose()  # the children below open their own connections

    # (1) and (2), (3): fresh processes, one after the other (nothing else running).
    print("rendering the references and our reports in fresh processes ...", flush=True)
    runs = max(1, args.cold_runs)
    load = OtherLoad()

    def fresh_processes():
        # Each of ours right after its reference, so that both see the same machine (other
        # processes' load comes and goes over the minutes this takes).
        references, regions = [], []
        for n in range(runs):
            references.append(run_reference(1, repeat=3))
            regions.append(
                run_child("region", url, round_id, region_id, tmp, args.profile and n == 0)
            )
        reference_99 = run_reference(11, repeat=1)
        group = run_child("working-group", url, round_id, None, tmp, args.profile)
        return (
            combine(references),
            reference_99,
            combine(regions),
            group,
            run_in_pool(url, page_job),
        )

    ref9, ref99, region, group, isolated = load.measure("fresh processes", fresh_processes)
    # What two processes gain on this machine at all: two references rendering at once.
    parallel_warm = load.measure("2 references at once", reference_in_parallel, 6)
    ceiling = 2 * ref9["warm_s"] / parallel_warm

    # (4) build(): 1 worker, then 2, then 2 again with everything stored.
    print("building reports with 1 and 2 workers ...", flush=True)
    with app.app_context():
        jobs = build_subset(db.session.get(Round, round_id), args.build_regions)
        drop_stored(db, round_id)
        one_s, one_out, one_fail = load.measure("build, 1 worker", timed_build, jobs, 1)
        drop_stored(db, round_id)
        two_s, two_out, two_fail = load.measure("build, 2 workers", timed_build, jobs, 2)
        again_s, again_out, again_fail = load.measure("build again", timed_build, jobs, 2)
        stored = db.session.scalar(
            select(func.count())
            .select_from(RenderedReport)
            .where(RenderedReport.round_id == round_id)
        )

    # (5) the stored working-group PDF, downloaded by a signed-in expert.
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(RenderedReport))
    client = app.test_client()
    login = client.post("/login", data={"email": EXPERT_EMAIL, "password": EXPERT_PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"signing in as the expert failed: {login.status_code}")
    path = f"/benchmarks/rounds/{round_id}/working-group.pdf"

    def download() -> float:
        start = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - start
        if response.status_code != 200 or response.mimetype != "application/pdf":
            raise SystemExit(f"GET {path}: {response.status_code} {response.mimetype}")
        return seconds

    first_s = download()
    with app.app_context():
        rendered_by_get = (
            db.session.scalar(select(func.count()).select_from(RenderedReport)) - before
        )
    gets = load.measure("downloads", lambda: [download() for _ in range(args.requests)])
    get_median, get_p95 = statistics.median(gets), percentile(gets, 0.95)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(download)
        print("\n--- cProfile of one cached download (cumulative) ---")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)

    # The table.
    def verdict(ok: bool) -> str:  # ratios are compared as printed, to two decimals
        return "meets" if ok else "MISSES"

    def row(label, ours, ref="", ratio="", target=""):
        print(f"  {label:<46} {ours:>16} {ref:>16} {ratio:>7}  {target}")

    region_ratio = region["render_s"] / ref9["cold_s"]
    group_ratio = group["per_page_s"] / ref99["per_page_s"]
    rate_one, rate_two = len(jobs) / one_s, len(jobs) / two_s
    speedup = rate_two / rate_one
    harfbuzz = not any(r["fonttools"] for r in (ref9, ref99, region, group))
    print(
        f"\nWeasyPrint {ref9['weasyprint']}; HarfBuzz subsetting: "
        + ("yes" if harfbuzz else "NO (fontTools warning logged)")
        + f"; {os.cpu_count()} CPUs"
    )
    print(f"\n  {'figure':<46} {'ours':>16} {'reference':>16} {'ratio':>7}  target")
    row(
        f"(1) reference, 1 region, cold (warm), {runs}x",
        f"{ref9['cold_s']:.2f} s ({ref9['warm_s']:.2f})",
        f"{ref9['pages']} pages",
    )
    row(
        "(1) reference, 11 regions, cold",
        f"{ref99['cold_s']:.2f} s",
        f"{ref99['pages']} pages",
        target=f"{ref99['per_page_s'] * 1000:.0f} ms/page",
    )
    row(
        "(2) fresh process: create_app / import weasyprint",
        f"{region['app_s']:.2f} / {region['import_s']:.2f} s",
        f"- / {ref9['import_s']:.2f} s",
        target="not in the ratio",
    )
    row(
        "(2) region report, context (round's scores)",
        f"{region['context_s']:.2f} s",
        target="not in the ratio",
    )
    row(
        f"(2) region report, cold render, {region['pages']} p, {runs}x",
        f"{region['render_s']:.2f} s",
        f"{ref9['cold_s']:.2f} s",
        f"{region_ratio:.2f}x",
        f"<= 0.8x: {verdict(round(region_ratio, 2) <= 0.8)}",
    )
    row(
        "(2)   the same render again, warm",
        f"{region['warm_s']:.2f} s",
        f"{ref9['warm_s']:.2f} s",
        f"{region['warm_s'] / ref9['warm_s']:.2f}x",
    )
    row(
        "(2)   per page, cold",
        f"{region['per_page_s'] * 1000:.0f} ms",
        f"{ref9['per_page_s'] * 1000:.0f} ms",
        f"{region['per_page_s'] / ref9['per_page_s']:.2f}x",
    )
    row(
        "(2)   peak RSS (after imports; before render)",
        f"{region['peak_rss_mb']:.0f} ({region['rss_imported_mb']:.0f}; "
        f"{region['rss_before_mb']:.0f}) MB",
        f"{ref9['peak_rss_mb']:.0f} MB",
        f"{region['peak_rss_mb'] / ref9['peak_rss_mb']:.2f}x",
        f"< 150 MB: {verdict(region['peak_rss_mb'] < 150)}",
    )
    row(
        "(2) same report in the web app's render pool",
        f"{isolated['seconds']:.2f} s",
        target="incl. starting its worker; the app keeps it",
    )
    row(
        "(2)   its peak RSS",
        f"{isolated['peak_rss_mb']:.0f} MB",
        f"{ref9['peak_rss_mb']:.0f} MB",
        f"{isolated['peak_rss_mb'] / ref9['peak_rss_mb']:.2f}x",
        f"< 150 MB: {verdict(isolated['peak_rss_mb'] < 150)}",
    )
    row(
        "(3) working-group report, context",
        f"{group['context_s']:.2f} s",
        target="not in the ratio",
    )
    row(
        f"(3) working-group report, cold, {group['pages']} pages",
        f"{group['render_s']:.2f} s",
        f"{ref99['cold_s']:.2f} s",
    )
    row(
        "(3)   per page, cold (warm)",
        f"{group['per_page_s'] * 1000:.0f} ms ({group['warm_s'] / group['pages'] * 1000:.0f})",
        f"{ref99['per_page_s'] * 1000:.0f} ms",
        f"{group_ratio:.2f}x",
        f"<= 1x: {verdict(round(group_ratio, 2) <= 1)}",
    )
    row(
        "(3)   peak RSS (after imports; before render)",
        f"{group['peak_rss_mb']:.0f} ({group['rss_imported_mb']:.0f}; "
        f"{group['rss_before_mb']:.0f}) MB",
        f"{ref99['peak_rss_mb']:.0f} MB",
        f"{group['peak_rss_mb'] / ref99['peak_rss_mb']:.2f}x",
        f"< 500 MB: {verdict(group['peak_rss_mb'] < 500)}",
    )
    row(
        "(4) 9-page reference, 2 processes at once",
        f"{parallel_warm:.2f} s",
        f"{ref9['warm_s']:.2f} s",
        f"{ceiling:.2f}x",
        "2-process speed-up of this machine",
    )
    kinds = f"1 working-group + {args.build_regions} region + {args.build_regions} response"
    row(f"(4) build, 1 worker: {len(jobs)} reports", f"{one_s:.1f} s", target=kinds)
    row("(4)   reports per second, 1 worker", f"{rate_one:.2f}/s")
    row(
        "(4)   reports per second, 2 workers",
        f"{rate_two:.2f}/s",
        f"{rate_one:.2f}/s",
        f"{speedup:.2f}x",
        f">= 1.7x: {verdict(round(speedup, 2) >= 1.7)}",
    )
    unchanged = again_out.get("unchanged", 0)
    row(
        "(4) build again, 2 workers, nothing changed",
        f"{again_s:.1f} s",
        target=f"{unchanged} of {len(jobs)} unchanged, {again_out.get('rendered', 0)} rendered",
    )
    row(
        "(5) working-group PDF, first GET",
        f"{first_s * 1000:.0f} ms",
        target="scores not yet cached here; "
        + ("rendered in the request" if rendered_by_get else "PDF stored by the build"),
    )
    row(
        f"(5) cached working-group PDF, median of {len(gets)}",
        f"{get_median * 1000:.1f} ms",
        target=f"< 50 ms: {verdict(get_median < 0.050)}",
    )
    row("(5)   p95", f"{get_p95 * 1000:.1f} ms")
    print("  (6) form pages while reports render: not measured (see the docstring)")
    for label, outcomes, failures in (
        ("1 worker", one_out, one_fail),
        ("2 workers", two_out, two_fail),
        ("2 workers again", again_out, again_fail),
    ):
        print(f"  build outcomes, {label}: {outcomes}")
        for failure in failures[:5]:
            print(f"    failed: {failure}")
    print(f"  stored reports of the round after the builds: {stored}")
    print(
        "  CPUs kept busy by other processes meanwhile (average"
        + ("; includes the PostgreSQL server's work for us" if url.startswith("postgresql") else "")
        + "): "
        + ", ".join(
            f"{phase} {'?' if cpus is None else f'{cpus:.2f}'}"
            for phase, cpus in load.phases.items()
        )
    )
    print(f"total run time {time.perf_counter() - started:.0f} s")

    if args.json:
        figures = {
            "engine": url.split(":", 1)[0],
            "reference_9": ref9,
            "reference_99": ref99,
            "region": region,
            "working_group": group,
            "isolated_region": isolated,
            "reference_parallel_warm_s": parallel_warm,
            "other_load_cpus": load.phases,
            "build": {
                "reports": len(jobs),
                "one_worker_s": one_s,
                "two_workers_s": two_s,
                "again_s": again_s,
                "speedup": speedup,
                "outcomes": [one_out, two_out, again_out],
            },
            "cached_get": {"first_s": first_s, "median_s": get_median, "p95_s": get_p95},
        }
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
