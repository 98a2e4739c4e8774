"""``/api/v1``: rounds, a region's scores and benchmark, group aggregates, partner suggestions.

Read-only. Authentication by the browser session or a personal token
(``Authorization: Bearer s3t_...``); the access rules are those of the pages. Every figure
the pages suppress is suppressed here too ("suppressed": true, no numbers).
"""

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.api.openapi import openapi_document
from surveyapp.assessments.permissions import may_see_region
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.i18n import current_lang
from surveyapp.regions.queries import find_region
from surveyapp.rounds.models import Round
from surveyapp.rounds.queries import list_rounds

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: The values of ?score=.
SCORES = ("moderated", "self")
#: What a group shows of an index: never its minimum, maximum or mean (method 2.0, §7);
#: q1 and q3 are null for groups of 5-9 regions (median only).
STATISTICS = ("n", "median", "q1", "q3")
#: What a group's statistics add about the compared region.
FOCAL = ("value", "rank", "band", "gap")
#: Per index of a region: its two scores and what they rest on.
COVERAGE = ("counted", "total", "dk")
TOO_FEW = "too few regions to compare"


def _number(value):
    """A figure at full precision (the pages print it to one decimal, half away from zero, on
    the value to 9 decimals: the same float gives the same printed figure); None for none."""
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def _count(value):
    import pandas as pd

    return None if value is None or pd.isna(value) else int(value)


def _round_json(round_: Round) -> dict:
    return {
        "id": round_.id,
        "name": round_.name,
        "state": str(round_.state),
        "opens_on": round_.opens_on.isoformat(),
        "closes_on": round_.closes_on.isoformat(),
        "questionnaire": {
            "slug": round_.questionnaire.slug,
            "version": round_.questionnaire.version,
        },
    }


def _region_or_404(code: str):
    region = find_region(code)
    if region is None:
        abort(404)
    if not may_see_region(current_user, region.id):
        abort(403)
    return region


def _column(round_: Round) -> str:
    """?score=self for the regions' own scores; moderated (the default) where the user may see
    moderated scores (experts, admins, and officers once the round released them)."""
    score = request.args.get("score")
    if score is not None and score not in SCORES:
        abort(
            400,
            _(
                "The parameter 'score' must be 'moderated' or 'self', not '%(value)s'.",
                value=score[:50],
            ),
        )
    if score == "self":
        return "self"
    return round_.score_column_for(current_user)


def _statistics_json(table, with_focal: bool) -> dict:
    """Per kind (index, dimension, aspect) and key: numbers, or suppressed."""
    result: dict = {}
    for (kind, key), row in table.iterrows():
        if row["suppressed"]:
            entry = {"n": int(row["n"]), "suppressed": True, "reason": TOO_FEW}
        else:
            entry = {name: _number(row.get(name)) for name in STATISTICS} | {"suppressed": False}
            entry["n"] = int(row["n"])
            if with_focal:
                for name in FOCAL:
                    value = row.get(name)
                    entry[name] = value if isinstance(value, str) else _number(value)
        result.setdefault(kind, {})[key] = entry
    return result


def _scores_json(own, moderated_visible: bool) -> dict:
    """The region's indices: self (and moderated) scores, coverage, counted and total items,
    "Don't know" count (of the moderated score). An index below 2/3 coverage has no score."""
    scores: dict = {}
    for row in own.to_dict("records"):
        entry = {"self": _number(row["self"]), "coverage_self": _number(row.get("coverage_self"))}
        if moderated_visible:
            entry["moderated"] = _number(row["moderated"])
            entry["coverage_moderated"] = _number(row.get("coverage_moderated"))
            entry |= {name: _count(row.get(name)) for name in COVERAGE}
        else:
            entry["total"] = _count(row.get("total"))
        scores.setdefault(row["kind"], {})[row["key"]] = entry
    return scores


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/rounds")
@login_required
def rounds():
    return jsonify(rounds=[_round_json(r) for r in list_rounds()])


@bp.get("/rounds/<int:round_id>/regions/<code>/benchmark")
@login_required
def region_benchmark(round_id: int, code: str):
    """The region's scores and its peer groups' statistics."""
    from surveyapp.analysis import queries

    round_ = db.get_or_404(Round, round_id)
    region = _region_or_404(code)
    results = queries.round_scores(round_)
    focal = queries.assessment_of(results, region.id)
    if focal is None:
        abort(404, "This region has no submitted assessment in this round.")
    column = _column(round_)
    own = results.scores[results.scores["assessment_id"] == focal]
    # How the round's figures count the assessment (validated by the close, or later).
    counted = results.assessments.set_index("assessment_id").loc[focal]
    moderated_visible = round_.score_column_for(current_user) == "moderated"
    scores = _scores_json(own, moderated_visible)
    groups = []
    for benchmark in queries.region_benchmark(results, region.id, column):
        entry = {
            "key": benchmark.group.key,
            "kind": benchmark.group.kind,
            "value": benchmark.group.value,
            "suppressed": benchmark.suppressed,
        }
        if benchmark.suppressed:
            entry["reason"] = TOO_FEW
        else:
            entry["size"] = len(benchmark.group.members)
            entry["statistics"] = _statistics_json(benchmark.table, with_focal=True)
        groups.append(entry)
    return jsonify(
        region={"code": region.code, "name": region.name},
        round=_round_json(round_),
        score=column,
        # Before validation the region's figures are provisional: no percentile rank or band.
        validated=bool(counted["validated"]),
        validated_late=bool(counted["validated_late"]),
        scores=scores,
        peers=queries.peer_counts(results),
        groups=groups,
        similar=_similar_json(results, region.id),
    )


def _similar_json(results, region_id: int) -> dict:
    """How the region's structurally similar regions were chosen (analysis.similar), and those
    of them that agreed to be named."""
    from surveyapp.analysis import queries
    from surveyapp.analysis.dashboard import similar_statement

    found = queries.similar_regions(results, region_id)
    rows = results.assessments.set_index("region_id")
    named = [r for r in found.regions if bool(rows.loc[r, "consent_named"])]
    unnamed = len(found.regions) - len(named)
    # Listed only when every member agreed to be named (analysis.dashboard.similar_statement).
    codes = [] if unnamed else sorted(str(rows.loc[r, "code"]) for r in named)
    return {
        "indicators": [
            {"indicator": name, "year": found.basis.years[name]} for name in found.basis.indicators
        ],
        "regions": codes,
        "unnamed": unnamed,
        "description": similar_statement(results, region_id, current_lang()),
    }


@bp.get("/rounds/<int:round_id>/groups")
@login_required
def groups(round_id: int):
    """The peer groups of the round that may be shown, with their sizes."""
    from surveyapp.analysis import queries

    round_ = db.get_or_404(Round, round_id)
    results = queries.round_scores(round_)
    suppressed = queries.suppressed_groups(results)
    # The groups peer statistics are made of: of validated assessments, their sizes counted so.
    # Suppressed groups are left out altogether: even their names would tell that a small
    # country or partnership took part (and so would a group of drafts).
    listed = [
        {"key": g.key, "kind": g.kind, "value": g.value, "size": len(g.members)}
        for g in queries.round_peer_groups(results)
        if g.key not in suppressed
    ]
    return jsonify(round=_round_json(round_), groups=listed)


@bp.get("/rounds/<int:round_id>/groups/<key>")
@login_required
def group_aggregates(round_id: int, key: str):
    """One group's statistics (``all``, ``country:ES``, ``category:transition``, ...)."""
    from surveyapp.analysis import queries
    from surveyapp.analysis.peers import ALL as ALL_GROUP

    round_ = db.get_or_404(Round, round_id)
    _column(round_)  # ?score= is checked; peer statistics are always of moderated scores
    results = queries.round_scores(round_)
    found = queries.group_statistics(results, key, "moderated")
    # A suppressed group answers as one that does not exist (the list leaves it out): "too
    # few" would tell that a region of that small country or partnership took part. Only the
    # round as a whole says it is too small.
    if found is None or (found[1] is None and key != ALL_GROUP):
        abort(404, "No such group in this round.")
    group, table = found
    body = {"round": _round_json(round_), "key": group.key, "kind": group.kind}
    body |= {"value": group.value, "score": "moderated"}
    # Peer statistics count validated assessments only; how many were left out is stated.
    body["peers"] = queries.peer_counts(results)
    if table is None:
        return jsonify(body | {"suppressed": True, "reason": TOO_FEW})
    statistics = _statistics_json(table, with_focal=False)
    return jsonify(
        body | {"suppressed": False, "size": len(group.members)} | {"statistics": statistics}
    )


@bp.get("/contact-requests")
@login_required
def contact_requests():
    """The contact requests the user's regions received and sent, as their officers see them
    (the asked region named once it accepts or if it agreed to be named)."""
    from surveyapp.contacts.queries import as_seen_by, requests_of_regions

    regions = current_user.region_ids if current_user.role == Role.officer else frozenset()
    seen = as_seen_by(regions, requests_of_regions(regions), current_lang())
    for rows in seen.values():
        for row in rows:
            row["created_at"] = row["created_at"].isoformat()
            del row["may_answer"], row["may_withdraw"]
    return jsonify(seen)


@bp.get("/rounds/<int:round_id>/regions/<code>/partners")
@login_required
def partners(round_id: int, code: str):
    """Suggested partner regions; regions that did not consent are named by country only."""
    from surveyapp.analysis.dashboard import partner_list

    round_ = db.get_or_404(Round, round_id)
    region = _region_or_404(code)
    domestic = request.args.get("domestic", "0")
    if domestic not in ("0", "1"):
        abort(400, "'domestic' is neither 0 nor 1.")
    found = partner_list(region, round_, current_lang(), _column(round_), domestic == "1")
    if found is None:
        abort(404, "This region has no submitted assessment in this round.")
    return jsonify(region={"code": region.code, "name": region.name}, partners=found)


@bp.get("/rounds/<int:round_id>/trend")
@login_required
def trend(round_id: int):
    """The change of each index's median since the previous round, over the panel of regions
    validated and shown in both rounds (n given; suppressed below the threshold)."""
    from surveyapp.analysis import queries

    round_ = db.get_or_404(Round, round_id)
    column = _column(round_)
    earlier = [r for r in queries.comparable_rounds(round_) if r.id != round_.id]
    body = {"round": _round_json(round_), "score": column}
    if not earlier:
        return jsonify(body | {"previous_round": None, "trend": {}})
    previous = earlier[-1]
    result: dict = {}
    for (kind, key), row in queries.panel_trend(round_, previous, column).iterrows():
        suppressed = bool(row["suppressed"])
        entry = {"n": int(row["n"]), "suppressed": suppressed}
        entry["cross_version"] = bool(row["cross_version"])
        if suppressed:
            entry["reason"] = TOO_FEW
        else:
            entry["median_change"] = _number(row["median_change"])
        result.setdefault(kind, {})[key] = entry
    return jsonify(body | {"previous_round": _round_json(previous), "trend": result})
