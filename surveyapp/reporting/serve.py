"""Serving a PDF report to a reader whose access the caller checked: from the store, or queued
for rendering outside the request while the page says so (202).

Pages of several features serve reports (benchmarks, publication, downloads); they call
:func:`send_report` here rather than each other's views.
"""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file, url_for

from surveyapp.reporting.catalog import Job


def send_report(job: Job, title: str):
    """The stored PDF of ``job``, or a "being prepared" page while it renders (202).

    A PDF is served from the store when one with the same key (data, templates, code) exists;
    otherwise it is queued for rendering outside the request, offering the previous version
    meanwhile. Nothing renders inside a request except in tests. ``?previous=1`` asks for the
    newest stored version even when the data changed since.
    """
    from surveyapp.reporting.catalog import build_context, definition, file_name
    from surveyapp.reporting.executor import is_pending, queue_render
    from surveyapp.reporting.store import find_rendered, latest_rendered, report_key

    report = definition(job)
    context = build_context(job)
    key = report_key(report, context, job.lang)
    stored = find_rendered(key)
    if stored is None:
        queue_render(key, job, context)
        stored = find_rendered(key)  # rendered at once when configured so (tests)
    if stored is None and request.args.get("previous"):
        stored = latest_rendered(job) or abort(404)
    if stored is not None:
        return send_file(
            io.BytesIO(stored.pdf), mimetype="application/pdf", download_name=file_name(job, report)
        )
    previous = latest_rendered(job)
    previous_url = url_for(request.endpoint, **request.view_args, previous=1) if previous else None
    return render_template(
        "reporting/pending.html",
        title=title,
        previous=previous,
        previous_url=previous_url,
        pending=is_pending(key),
    ), 202
