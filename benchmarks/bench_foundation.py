"""Figures for the foundation: questionnaire parsing, demo seeding, home page.

Run: .venv/bin/python benchmarks/bench_foundation.py [--database-url URL]
(default: a throwaway SQLite file). Prints timings; asserts nothing.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(function, repeat=1):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.db"

    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.auth.queries import find_user_by_email
    from surveyapp.demo.operations import seed_demo
    from surveyapp.extensions import db
    from surveyapp.main.queries import home_overview
    from surveyapp.questionnaires.loader import load_file

    for version in (1, 2):
        path = ROOT / "questionnaires" / f"criterion7-interregional-v{version}.yaml"
        took = timed(lambda path=path: load_file(path), 10) * 1000
        print(f"parse + validate v{version}:         {took:8.1f} ms")

    app = create_app("development")
    with app.app_context():
        print(f"db upgrade (empty database):    {timed(upgrade) * 1000:8.1f} ms")
        result = {}

        def seed():
            result["demo"] = seed_demo(seed=7)
            db.session.commit()

        print(
            f"demo seed:                      {timed(seed):8.2f} s "
            f"({result['demo'].assessments} assessments, {result['demo'].answers} answers)"
        )
        officer = find_user_by_email("officer@demo.example")
        expert = find_user_by_email("expert@demo.example")
        for user in (officer, expert):
            elapsed = timed(lambda u=user: home_overview(u), 20)
            print(
                f"home overview ({user.role}):{' ' * (16 - len(user.role))}{elapsed * 1000:8.1f} ms"
            )
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = officer.get_id()
            session["_fresh"] = True
            session["login_at"] = session["seen_at"] = int(time.time())
        elapsed = timed(lambda: client.get("/"), 20)
        print(f"GET / as officer (full render): {elapsed * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
