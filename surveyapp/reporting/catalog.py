"""Which reports exist, what each one needs, and how one is built from a job description.

A job names everything a rendered PDF depends on besides the data: the report, the round, the
region (none for the working-group report), the language and which score it shows. The same job
description serves the web pages, ``flask reports render|build`` and the background workers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import select

from surveyapp.assessments.models import Assessment
from surveyapp.extensions import db
from surveyapp.regions.models import Region
from surveyapp.reporting.render import ReportDefinition, load_report
from surveyapp.rounds.models import Round

REGION, WORKING_GROUP, RESPONSE = "region", "working-group", "response"
REPORTS = (REGION, WORKING_GROUP, RESPONSE)
#: Reports about one region (the others cover the whole round).
PER_REGION = (REGION, RESPONSE)


class JobError(ValueError):
    """A job that names something that does not exist."""


@dataclass(frozen=True)
class Job:
    report: str
    round_id: int
    region_id: int | None
    lang: str = "en"
    score: str = "moderated"
    #: For readers outside the working group (officers, the public): earlier rounds count with
    #: the scores they released (moderated only once released).
    released_only: bool = False

    def stored_as(self) -> dict:
        """The columns a RenderedReport of this job carries."""
        columns = {k: v for k, v in asdict(self).items() if k != "released_only"}
        return columns | {"audience": "released" if self.released_only else ""}


def build_context(job: Job) -> dict:
    """The report's data as plain values (call inside an app context)."""
    from surveyapp.reporting import context

    round_ = db.session.get(Round, job.round_id)
    if round_ is None:
        raise JobError(f"no round with the id {job.round_id}")
    if job.report == WORKING_GROUP:
        return context.working_group_report_context(round_, job.lang, job.score, job.released_only)
    region = db.session.get(Region, job.region_id) if job.region_id else None
    if region is None or job.report not in PER_REGION:
        raise JobError(f"the {job.report} report needs a region")
    if job.report == REGION:
        return context.region_report_context(region, round_, job.lang, job.score, job.released_only)
    assessment = db.session.scalar(
        select(Assessment).filter_by(region_id=region.id, round_id=round_.id)
    )
    if assessment is None:
        raise JobError(f"{region.code} has no assessment in {round_.name}")
    return context.response_report_context(assessment, job.lang)


def definition(job: Job) -> ReportDefinition:
    if job.report not in REPORTS:
        raise JobError(f"no report {job.report!r}; there are {', '.join(REPORTS)}")
    return load_report(job.report)


def file_name(job: Job, report: ReportDefinition) -> str:
    round_ = db.session.get(Round, job.round_id)
    region = db.session.get(Region, job.region_id) if job.region_id else None
    return report.file_name.format(
        region=region.code if region else "",
        round=re.sub(r"[^A-Za-z0-9]+", "-", round_.name).strip("-") if round_ else job.round_id,
        lang=job.lang,
    )
