"""Several processes writing at once (R36): none gets "database is locked" or any other database
error, every write is there, and SQLite's file stays sound. Both databases."""

import os
import subprocess
import sys
import time

from sqlalchemy import func, select, text

from surveyapp.assessments.models import Answer
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db

PROCESSES = 4
SAVES = 40

#: One writer: its own app and connections, as a gunicorn worker has; every save its own commit.
WRITER = """
import sys, time
from config import TestingConfig
from surveyapp import create_app
from surveyapp.assessments.models import Assessment
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import User
from surveyapp.extensions import db
assessment_id, user_id, saves, start_at = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                           float(sys.argv[4]))
app = create_app(TestingConfig)
with app.app_context():
    time.sleep(max(0.0, start_at - time.time()))  # all writers begin together
    for number in range(1, saves + 1):
        assessment, user = db.session.get(Assessment, assessment_id), db.session.get(User, user_id)
        save_answer(assessment, "practice", f"writer {assessment_id} save {number}", user)
        save_answer(assessment, "maturity", number % 6, user)
        db.session.commit()
        db.session.remove()
print("done")
"""


def test_processes_writing_at_once_all_succeed(
    app, create_user, create_region, create_round, create_assessment
):
    round_, writers = create_round(), []
    for number in range(PROCESSES):
        region = create_region(f"ES{number + 1}1", f"Region {number}")
        officer = create_user(email=f"officer{number}@example.org", regions=[region])
        writers.append((create_assessment(region=region, round_=round_).id, officer.id))
    db.session.commit()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    start_at = time.time() + 4  # time for every writer to start its app
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WRITER, str(a), str(u), str(SAVES), str(start_at)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a, u in writers
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0 and out.strip() == "done", err[-2000:]

    db.session.expire_all()
    for assessment_id, _user in writers:
        answers = db.session.scalars(select(Answer).filter_by(assessment_id=assessment_id)).all()
        assert {a.item_id: a.version for a in answers} == {"practice": SAVES, "maturity": SAVES}
        stored = {a.item_id: a.value for a in answers}
        assert stored["practice"] == f"writer {assessment_id} save {SAVES}"
        changes = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .filter_by(assessment_id=assessment_id, action="answer.changed")
        )
        assert changes == 2 * SAVES
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
