"""One way to write an audit row (issue 21): surveyapp.audit.operations, which every operation
calls (log_event, log_events, logging_insert for a change and its events in one statement)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveyapp.assessments.operations import save_answer
from surveyapp.audit.models import AuditEvent
from surveyapp.extensions import db

SOURCE = Path(__file__).resolve().parents[1] / "surveyapp"


def audit_writes(source: str) -> list[int]:
    """The lines that build a write of audit events: an INSERT of AuditEvent or its table, or
    an AuditEvent object."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        callee = ast.unparse(node.func)
        arguments = [ast.unparse(argument) for argument in node.args]
        inserts = callee.rsplit(".", 1)[-1] == "insert" and any(
            argument.startswith("AuditEvent") for argument in arguments
        )
        if inserts or callee == "AuditEvent":
            lines.append(node.lineno)
    return sorted(lines)


def test_audit_writes_are_found():
    source = (
        "db.session.execute(insert(AuditEvent.__table__), rows)\n"
        "statement = sqlalchemy.insert(AuditEvent)\n"
        "db.session.add(AuditEvent(action='x'))\n"
        "select(AuditEvent)\n"
    )
    assert audit_writes(source) == [1, 2, 3]


def test_only_the_audit_package_writes_audit_events():
    found = [
        f"{path.relative_to(SOURCE.parent)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path.parent.name != "audit"
        for line in audit_writes(path.read_text())
    ]
    assert found == [], "write audit events through surveyapp.audit.operations"


@pytest.fixture
def officer(create_user, create_region):
    return create_user(regions=[create_region()])


def test_a_save_writes_its_events_through_the_audit_package(
    app, officer, create_assessment, monkeypatch
):
    """The locked path of a save writes its events by log_event (the one statement of an
    autosave on PostgreSQL, by logging_insert: tests/test_filling.py)."""
    from surveyapp.assessments import operations

    assessment = create_assessment(region=officer.regions[0])
    db.session.commit()
    logged = []
    original = operations.log_event

    def remembered(action, *args, **kwargs):
        logged.append(action)
        return original(action, *args, **kwargs)

    monkeypatch.setattr(operations, "log_event", remembered)
    save_answer(assessment, "maturity", 2, officer, comment="First", keep_comment=False)
    save_answer(assessment, "maturity", 3, officer, expected_version=1)
    db.session.commit()
    assert logged == ["answer.changed", "answer.comment_changed", "answer.changed"]
    count = select(func.count()).select_from(AuditEvent).where(AuditEvent.item_id == "maturity")
    assert db.session.scalar(count) == 3
