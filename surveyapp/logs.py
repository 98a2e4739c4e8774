"""Logs as JSON lines in production (``LOG_FORMAT=json``, the production default): one object
per line with its time, level, logger and message, and the security log's fields, as a log
shipper reads them. gunicorn's own logs, the access log included, take the same form through
``JsonGunicornLogger`` (gunicorn.conf.py)."""

from __future__ import annotations

import logging
import sys

from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter

#: The fields of every line (a record's extra fields follow them).
FIELDS = ["asctime", "levelname", "name", "message"]
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def json_formatter() -> logging.Formatter:
    return JsonFormatter(FIELDS, rename_fields=RENAMED, timestamp=False)


def configure_json_logging(level: int = logging.INFO) -> None:
    """The root logger writes JSON lines to standard error (replacing its handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class JsonGunicornLogger(Logger):
    """gunicorn's logger (its ``logger_class`` setting) writing JSON lines: the error log as
    the app's lines, and one line per request with its fields named."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(
            "request",
            extra={
                "remote": atoms["h"],
                "method": atoms["m"],
                "path": atoms["U"],
                "query": atoms["q"] or "",
                "status": int(atoms["s"]),
                "bytes": atoms["B"],
                "duration_ms": atoms["M"],
                "referer": atoms["f"],
                "user_agent": atoms["a"],
            },
        )
