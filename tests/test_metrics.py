"""Prometheus metrics: off by default; on, /metrics counts requests by endpoint, with a token
when one is set."""

import pytest

from config import TestingConfig
from surveyapp import create_app


def _app(**settings):
    class Config(TestingConfig):
        pass

    for name, value in settings.items():
        setattr(Config, name, value)
    return create_app(Config)


def test_metrics_are_off_by_default(app, client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("token", [None, "s3cret"])
def test_metrics_count_requests_by_endpoint(token):
    app = _app(METRICS_ENABLED=True, METRICS_TOKEN=token)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if token:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    page = client.get("/metrics", headers=headers)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("surveyapp_http_request_duration_seconds_count")
        and 'endpoint="health.healthz"' in line
    )
    assert line.endswith(" 3.0")
    assert "surveyapp_info{" in text and "process_resident_memory_bytes" in text
    assert "Set-Cookie" not in page.headers
