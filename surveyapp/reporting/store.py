"""Rendered reports: found by key, rendered outside the request by a small thread pool.

The embedded default renders in a background thread of the app process (one at a time, so a
render never takes more than one core from the web workers). Tests render synchronously
(``REPORTS_RENDER_INLINE``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import db
from surveyapp.reporting.models import RenderedReport
from surveyapp.reporting.render import ReportDefinition

log = logging.getLogger(__name__)
#: Bump when the rendering code changes in a way the templates do not show.
CODE_VERSION = "1"

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports")
_pending: dict[str, Future] = {}
_pending_lock = threading.Lock()


def report_key(report: ReportDefinition, context: dict, lang: str) -> str:
    """Hash of the input data (without the render time), the template files and the code."""
    digest = hashlib.sha256()
    data = {k: v for k, v in context.items() if k != "snapshot"}
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for path in sorted(report.folder.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    digest.update(f"{report.name}|{lang}|{CODE_VERSION}".encode())
    return digest.hexdigest()


def find_rendered(key: str) -> RenderedReport | None:
    return db.session.scalar(select(RenderedReport).filter_by(key=key))


def latest_rendered(report: str, round_id: int, region_id: int | None, lang: str, score: str):
    """The newest stored version, offered while a fresher one renders."""
    return db.session.scalar(
        select(RenderedReport)
        .filter_by(report=report, round_id=round_id, region_id=region_id, lang=lang, score=score)
        .order_by(RenderedReport.created_at.desc(), RenderedReport.id.desc())
        .limit(1)
    )


def _render_and_store(app: Flask, key: str, job: dict, context: dict) -> None:
    from surveyapp.reporting.render import load_report, render_pdf

    with app.app_context():
        try:
            if find_rendered(key) is not None:
                return
            pdf = render_pdf(load_report(job["report"]), context, job["lang"])
            db.session.add(
                RenderedReport(
                    key=key,
                    report=job["report"],
                    round_id=job["round_id"],
                    region_id=job["region_id"],
                    lang=job["lang"],
                    score=job["score"],
                    pdf=pdf,
                    size=len(pdf),
                )
            )
            db.session.commit()
        except IntegrityError:  # another app server stored the same report first
            db.session.rollback()
        except Exception:
            db.session.rollback()
            log.exception("rendering report %s failed", key)
        finally:
            with _pending_lock:
                _pending.pop(key, None)


def queue_render(key: str, job: dict, context: dict) -> None:
    """Render in the background (once per key at a time), or at once in tests.

    :param job: report, round_id, region_id, lang, score: where the PDF is stored.
    :param context: the report's data, already built to compute ``key``: plain data, so the
        worker renders from it instead of building it again.
    """
    app = current_app._get_current_object()
    if app.config.get("REPORTS_RENDER_INLINE"):
        _render_and_store(app, key, job, context)
        return
    with _pending_lock:
        if key in _pending:
            return
        _pending[key] = _executor.submit(_render_and_store, app, key, job, context)


def is_pending(key: str) -> bool:
    with _pending_lock:
        return key in _pending
