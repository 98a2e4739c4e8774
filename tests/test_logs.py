"""Production logs as JSON lines, the app's and gunicorn's (deploy/gunicorn.conf.py), with the
real gunicorn (issue 24, part 4)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from surveyapp.logs import json_formatter

ROOT = Path(__file__).resolve().parents[1]


def test_a_record_is_one_json_line_with_its_fields():
    record = logging.LogRecord(
        "surveyapp.security", logging.WARNING, __file__, 1, "event=%s", ("login",), None
    )
    record.user_id = 7
    line = json_formatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "surveyapp.security"
    assert data["message"] == "event=login" and data["user_id"] == 7 and data["time"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_with_the_production_settings_logs_json_lines(tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "SESSION_COOKIE_SECURE": "0",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(  # noqa: S603
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    body = json.load(response)
                    break
            except OSError:
                time.sleep(0.1)
        assert body == {"status": "ok"}
        time.sleep(1)  # the worker writes the request's line once the response is sent
    finally:
        server.send_signal(signal.SIGTERM)
        output, errors = server.communicate(timeout=30)
    # The access log on standard output, the rest on standard error: JSON lines both.
    lines = [json.loads(line) for line in (output + errors).splitlines() if line.strip()]
    assert lines, errors
    requests = [line for line in lines if line.get("message") == "request"]
    assert any(r["path"] == "/healthz" and r["status"] == 200 for r in requests), lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
