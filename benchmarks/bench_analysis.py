"""Figures for the benchmarking engine on a synthetic data set, beside a bare pandas reference.

300 regions x 6 rounds x 150 scored items (270,000 answers; a format-2 questionnaire: six
dimensions and four aspects, 3 % "not applicable", 3 % "Don't know") go into a fresh database;
then:
  (a) loading one round's answers into a frame, and all rounds';
  (b) computing every score and every peer group's statistics for one round;
  (c) one region's dashboard request (in-process, signed in), cold and cached;
and the reference over the same round: pandas.read_sql of its answers joined to their
assessments plus one groupby(...).median() per dimension.

Run: .venv/bin/python benchmarks/bench_analysis.py [--database-url URL]
The default is a throwaway SQLite file. A PostgreSQL URL is emptied first (DROP SCHEMA public):
give it a scratch database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench.
Prints a table; asserts nothing.
"""

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

REGIONS, ROUNDS, ITEMS, DIMENSIONS, ASPECTS = 300, 6, 150, 6, 4
COUNTRIES = ["ES", "IT", "DE", "FR", "PL", "PT", "EL", "NL", "BE", "AT", "SE", "FI", "CZ", "RO"]
PARTNERSHIPS = ["photonics", "bioenergy", "smart-grids", "3d-printing", "high-tech-farming"]
#: Not made of the account's name or email (create_user refuses those).
BENCH_PASSWORD = "quiet harbour lantern 42"  # a throwaway database


def timed(function, repeat=5):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


class NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def questionnaire_file(folder: Path) -> Path:
    levels = [{"level": n, "label": f"Level {n}", "anchor": f"Anchor {n}"} for n in range(6)]
    homes = DIMENSIONS + ASPECTS
    items = [
        {
            "id": f"item_{n:03d}",
            "type": "scale",
            "text": f"Question {n}",
            **(
                {"dimension": f"dim_{n % homes}"}
                if n % homes < DIMENSIONS
                else {"aspect": f"aspect_{n % homes - DIMENSIONS}"}
            ),
            "allow_na": True,
            "na_reason": "Explain why it does not apply.",
            "levels": levels,
            "actions": [f"Action for question {n}"],
        }
        for n in range(ITEMS)
    ]
    data = {
        "format": 2,
        "slug": "bench",
        "version": 1,
        "title": "Benchmark questionnaire",
        "dimensions": [{"id": f"dim_{n}", "title": f"Dimension {n}"} for n in range(DIMENSIONS)],
        "aspects": [
            {"id": f"aspect_{n}", "title": f"Aspect {n}", "short_title": f"Aspect {n}"}
            for n in range(ASPECTS)
        ],
        "sections": [{"id": "all", "title": "All", "items": items}],
    }
    path = folder / "bench-v1.yaml"
    path.write_text(yaml.dump(data, Dumper=NoAliases))  # the loader refuses YAML aliases
    return path


def fill(db, path: Path) -> list:
    from sqlalchemy import insert

    from surveyapp.assessments.models import Answer, Assessment, AssessmentState
    from surveyapp.questionnaires.operations import load_questionnaire
    from surveyapp.regions.models import Region, RegionCategory
    from surveyapp.rounds.closing import closing_record
    from surveyapp.rounds.models import Round, RoundState

    rng = random.Random(11)  # noqa: S311 - synthetic data, not secrets
    questionnaire = load_questionnaire(path).questionnaire
    categories = list(RegionCategory)
    regions = [
        Region(
            code=f"{COUNTRIES[n % len(COUNTRIES)]}{n:03d}",
            name=f"Region {n}",
            country=COUNTRIES[n % len(COUNTRIES)],
            level=2,
            category=categories[n % 3],
            thematic_partnerships=rng.sample(PARTNERSHIPS, rng.randint(0, 2)),
        )
        for n in range(REGIONS)
    ]
    rounds = [
        Round(
            name=f"Round {n + 1}",
            questionnaire=questionnaire,
            opens_on=date(2024 + n // 2, 3 if n % 2 == 0 else 9, 1),
            closes_on=date(2024 + n // 2, 5 if n % 2 == 0 else 11, 30),
            state=RoundState.closed,
        )
        for n in range(ROUNDS)
    ]
    db.session.add_all(regions + rounds)
    db.session.flush()
    assessments = [
        {
            "region_id": region.id,
            "round_id": round_.id,
            "state": AssessmentState.validated,
            "version": 1,
            "consent_named": rng.random() < 0.7,
        }
        for round_ in rounds
        for region in regions
    ]
    db.session.execute(insert(Assessment), assessments)
    ids = db.session.execute(
        Assessment.__table__.select().with_only_columns(Assessment.id)
    ).scalars()
    rows = []
    for assessment_id in ids:
        level = rng.random() * 5
        for n in range(ITEMS):
            draw = rng.random()
            if draw < 0.03:
                value = "na"
            elif draw < 0.06:
                value = "dk"
            else:
                value = max(0, min(5, round(level + rng.gauss(0, 1))))
            rows.append(
                {
                    "assessment_id": assessment_id,
                    "item_id": f"item_{n:03d}",
                    "section_id": "all",
                    "value": value,
                }
            )
    for start in range(0, len(rows), 20000):
        db.session.execute(insert(Answer), rows[start : start + 20000])
    # As rounds.operations.close_round does: closed now, after the validations above (so they
    # count), keeping what each round's groups and targets were built from (its figures read
    # that record, as in production).
    closed_at = datetime.now(UTC)
    for round_ in rounds:
        round_.closed_at = closed_at
        db.session.add(closing_record(round_))
    db.session.commit()
    return rounds


def reference(db, round_id: int, items) -> None:
    """The bare floor: read_sql of the round's answers with their assessments, one median each."""
    import pandas as pd
    from sqlalchemy import text

    frame = pd.read_sql(
        text(
            "SELECT a.region_id, a.round_id, an.item_id, an.value FROM answers an "
            "JOIN assessments a ON a.id = an.assessment_id WHERE a.round_id = :round"
        ),
        db.session.connection(),
        params={"round": round_id},
    )
    frame["score"] = pd.to_numeric(frame["value"].astype(str), errors="coerce") * 20
    frame = frame.merge(items, on="item_id")
    for _dimension, part in frame.groupby("home"):
        part.groupby("region_id")["score"].median()


def all_group_statistics(results, threshold):
    """Every peer group of the round (all, each country, category and partnership)."""
    from surveyapp.analysis import peers

    regions = results.assessments
    by_region = regions.set_index("region_id")["assessment_id"]
    groups = peers.all_peer_groups(regions[regions["validated"]])
    wide = peers.wide_scores(results.scores, "moderated")
    for group in groups:
        members = by_region.reindex(list(group.members)).dropna().astype(int)
        peers.describe_wide(wide, members, threshold)
    return len(groups)


def fresh_data(db, url: str, tmp: Path) -> tuple[list, int, float]:
    """An emptied, upgraded database filled with the synthetic rounds (inside an app context).

    :returns: the rounds, the number of answers and the seconds it took to fill.
    """
    from flask_migrate import upgrade
    from sqlalchemy import text

    if url.startswith("postgresql"):
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    upgrade()
    start = time.perf_counter()
    rounds = fill(db, questionnaire_file(tmp))
    answers = db.session.execute(text("SELECT count(*) FROM answers")).scalar()
    return rounds, answers, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ["DATABASE_URL"] = url

    from surveyapp import create_app
    from surveyapp.analysis import frame, queries, scoring
    from surveyapp.auth.models import Role
    from surveyapp.auth.operations import create_user
    from surveyapp.extensions import db
    from surveyapp.regions.queries import find_region

    app = create_app("development")
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        rounds, answers, seconds = fresh_data(db, url, tmp)
        print(f"engine: {db.engine.dialect.name}; {answers:,} answers generated in {seconds:.1f} s")
        round_ = rounds[-1]
        definition = round_.questionnaire.parsed
        items = scoring.item_table(definition)[["item_id", "home"]]
        threshold = app.config["MIN_GROUP_SIZE"]

        ref = timed(lambda: reference(db, round_.id, items))
        load_round = timed(lambda: frame.load_answers(round_.id))
        load_all = timed(lambda: [frame.load_answers(r.id) for r in rounds], repeat=1)
        holder = {}

        def compute():
            holder["results"] = queries.compute_round_scores(round_)
            holder["groups"] = all_group_statistics(holder["results"], threshold)

        full = timed(compute)
        results = holder["results"]
        region_code = results.assessments["code"].iloc[0]
        create_user(
            email="bench@example.org",
            name="Bench",
            password=BENCH_PASSWORD,
            role=Role.officer,
            regions=[find_region(region_code)],
        )
        db.session.commit()
        round_id = round_.id

    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": BENCH_PASSWORD})
    url_path = f"/benchmarks/rounds/{round_id}/regions/{region_code}"

    def request():
        response = client.get(url_path)
        assert response.status_code == 200, response.status_code

    queries._cache.clear()
    cold = timed(lambda: (queries._cache.clear(), request()), repeat=3)
    request()
    warm = timed(request, repeat=20)
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("request()", globals(), locals(), str(tmp / "dash.prof"))
        pstats.Stats(str(tmp / "dash.prof")).sort_stats("cumulative").print_stats(30)
    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def row(label, seconds, note=""):
        print(f"  {label:<58} {seconds * 1000:9.1f} ms  {note}")

    print(f"\n{'figure':<60} {'time':>10}")
    row("reference: read_sql of one round + median per dimension", ref)
    row("(a) load one round's answers into a frame", load_round, f"{load_round / ref:.2f}x ref")
    row(f"(a) load all {ROUNDS} rounds' answers", load_all)
    row(
        f"(b) all scores + statistics of {holder['groups']} peer groups, one round",
        full,
        f"{full / ref:.2f}x ref (target <= 2x and < 500 ms)",
    )
    row("(c) region dashboard request, cache empty (whole round computed)", cold)
    row("(c) region dashboard request, aggregates cached", warm, "target < 150 ms")
    print(f"  peak memory (max RSS) {memory:,.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
