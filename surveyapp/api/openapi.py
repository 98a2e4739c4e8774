"""The OpenAPI 3.1 description of ``/api/v1`` (kept beside the views it describes)."""

from flask import current_app, url_for

_ROUND = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "NUTS code of the region, e.g. ES21",
    "schema": {"type": "string"},
}
_SCORE = {
    "name": "score",
    "in": "query",
    "required": False,
    "description": "'moderated' (default: the expert's score where given) or 'self'",
    "schema": {"type": "string", "enum": ["moderated", "self"]},
}
#: Every error is problem details (RFC 9457).
_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}


def _error(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


_ERRORS = {
    "401": _error("Not signed in and no valid token"),
    "403": _error("Not allowed for this user (e.g. another region's officer)"),
    "404": _error("No such round, region or group, or no submitted assessment"),
}
#: For operations that take ?score=.
_BAD_SCORE = {"400": _error("'score' is neither 'moderated' nor 'self'")}
_STATISTIC = {
    "type": "object",
    "description": (
        "Statistics of one index (0-100) in a group: the validated regions' moderated scores. "
        "n, the median, and the quartiles (type 7) from 10 regions (null for 5-9); never the "
        "minimum, maximum or mean. With suppressed=true only n is given: fewer regions than "
        "the threshold have this index. Figures are at full precision; pages print them to one "
        "decimal, half away from zero, on the value rounded to 9 decimals."
    ),
    "properties": {
        name: {"type": ["number", "null"]}
        for name in ("n", "median", "q1", "q3", "value", "rank", "gap")
    }
    | {
        "band": {
            "type": ["string", "null"],
            "enum": ["at_median", "q1", "q2", "q3", "q4", None],
            "description": "The region's band: at the median, else its quarter by rank",
        },
        "suppressed": {"type": "boolean"},
        "reason": {"type": "string"},
    },
}
_INDEX_SCORE = {
    "type": "object",
    "description": (
        "One index of the region: self-assessed and (where the user may see it) moderated "
        "score, null when coverage is below 2/3; coverage = counted weight / scored weight; "
        "counted and total items and the Don't-know count of the moderated score."
    ),
    "properties": {
        name: {"type": ["number", "null"]}
        for name in ("self", "moderated", "coverage_self", "coverage_moderated")
    }
    | {name: {"type": ["integer", "null"]} for name in ("counted", "total", "dk")},
}
_SCORES = {
    "type": "object",
    "description": (
        "kind -> key -> score: kind 'index' (key 'c7': the criterion-7 index, the mean of the "
        "six dimensions), 'dimension' (the six criterion-7 dimensions) and 'aspect' (the four "
        "critical aspects, never averaged together). There is no overall score."
    ),
    "additionalProperties": {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/Score"},
    },
}
_TREND = {
    "type": "object",
    "description": (
        "Median change of each index since the previous round over the panel of regions "
        "validated and shown in both rounds: n, median_change; suppressed below the threshold; "
        "cross_version when the two rounds use different questionnaire versions (both scored "
        "on their shared items)."
    ),
    "properties": {
        "previous_round": {"type": ["object", "null"]},
        "score": {"type": "string"},
        "trend": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer"},
                        "median_change": {"type": ["number", "null"]},
                        "suppressed": {"type": "boolean"},
                        "cross_version": {"type": "boolean"},
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    },
}
_PEER_COUNTS = {
    "type": "object",
    "description": (
        "Counted assessments the peer statistics use (validated by the time the round closed) "
        "and leave out; validated_late: of those left out, how many the experts validated after "
        "the round closed (a round's figures are frozen when it closes)"
    ),
    "properties": {
        "validated": {"type": "integer"},
        "left_out": {"type": "integer"},
        "validated_late": {"type": "integer"},
    },
}
_SIMILAR = {
    "type": "object",
    "description": (
        "The region's structurally similar regions (peer group kind 'similar'): the validated "
        "regions of the round nearest to it on Eurostat's structural indicators, standardised "
        "over the NUTS-2 regions, equal weights, Euclidean distance; scores play no part"
    ),
    "properties": {
        "indicators": {
            "type": "array",
            "description": "The indicators used and the year of each",
            "items": {
                "type": "object",
                "properties": {"indicator": {"type": "string"}, "year": {"type": "integer"}},
            },
        },
        "regions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "NUTS codes of the similar regions, by code; empty unless every one "
            "agreed to be named",
        },
        "unnamed": {"type": "integer", "description": "Similar regions not named"},
        "description": {"type": "string", "description": "The method in a sentence"},
    },
}
_CONTACT = {
    "type": "object",
    "description": (
        "A request to be put in touch: 'region' is the other region, or a placeholder while the "
        "asked region may not be named; 'contact' (name, email) only once accepted"
    ),
    "properties": {
        "id": {"type": "integer"},
        "region": {"type": "string"},
        "round": {"type": "string"},
        "state": {"type": "string", "enum": ["pending", "accepted", "declined", "withdrawn"]},
        "state_label": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "practice": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"]},
        "contact": {
            "type": ["object", "null"],
            "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
        },
    },
}
_GROUP = {
    "type": "object",
    "properties": {
        "peers": {"$ref": "#/components/schemas/PeerCounts"},
        "key": {"type": "string", "examples": ["country:ES"]},
        "kind": {
            "type": "string",
            "enum": ["all", "country", "category", "partnership", "custom", "similar"],
        },
        "value": {"type": "string"},
        "size": {"type": "integer"},
        "suppressed": {"type": "boolean"},
        "reason": {"type": "string"},
        "statistics": {
            "type": "object",
            "description": "kind (index, dimension, aspect) -> key -> statistic",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"$ref": "#/components/schemas/Statistic"},
            },
        },
    },
}


def _get(summary: str, parameters: list, schema: dict) -> dict:
    errors = _ERRORS | (_BAD_SCORE if _SCORE in parameters else {})
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}}}
            }
            | errors,
        }
    }


def openapi_document() -> dict:
    base = url_for("api.rounds").rsplit("/rounds", 1)[0]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "surveyapp API",
            "version": "1",
            "description": (
                "Read-only access to rounds, benchmarks, group aggregates and partner "
                "suggestions, with the same access rules as the pages. No statistic is given "
                "for fewer regions than the threshold (default 5); such entries carry "
                "suppressed=true and no numbers. Regions are named only when they consented."
            ),
        },
        "servers": [{"url": base}],
        "security": [{"token": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "s3t_... token"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    # __Host-session in production
                    "name": current_app.config["SESSION_COOKIE_NAME"],
                },
            },
            "schemas": {
                "Statistic": _STATISTIC,
                "Group": _GROUP,
                "Score": _INDEX_SCORE,
                "PeerCounts": _PEER_COUNTS,
                "Problem": _PROBLEM,
            },
        },
        "paths": {
            "/rounds": _get("Assessment rounds", [], {"type": "object"}),
            "/rounds/{round_id}/regions/{code}/benchmark": _get(
                "A region's scores and its peer groups' statistics",
                [_ROUND, _CODE, _SCORE],
                {
                    "type": "object",
                    "properties": {
                        "validated": {
                            "type": "boolean",
                            "description": "false: the figures are provisional (no rank, band)",
                        },
                        "validated_late": {
                            "type": "boolean",
                            "description": (
                                "true: the experts validated the assessment after the round "
                                "closed; its scores are validated, but the round's figures "
                                "(frozen when it closed) do not count it, so it has no rank"
                            ),
                        },
                        "peers": {"$ref": "#/components/schemas/PeerCounts"},
                        "scores": _SCORES,
                        "groups": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Group"},
                        },
                        "similar": _SIMILAR,
                    },
                },
            ),
            "/rounds/{round_id}/groups": _get(
                "Every peer group of a round", [_ROUND], {"type": "object"}
            ),
            "/rounds/{round_id}/groups/{key}": _get(
                "One group's statistics; a group too small to show (other than all) is not "
                "found, as one that does not exist",
                [
                    _ROUND,
                    {
                        "name": "key",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "examples": ["all", "country:ES"]},
                    },
                    _SCORE,
                ],
                {"$ref": "#/components/schemas/Group"},
            ),
            "/rounds/{round_id}/trend": _get(
                "Change of each index's median since the previous round, over the panel",
                [_ROUND, _SCORE],
                _TREND,
            ),
            "/contact-requests": _get(
                "Contact requests the user's regions received and sent (officers)",
                [],
                {
                    "type": "object",
                    "properties": {
                        "received": {"type": "array", "items": _CONTACT},
                        "sent": {"type": "array", "items": _CONTACT},
                    },
                },
            ),
            "/rounds/{round_id}/regions/{code}/partners": _get(
                "Suggested partner regions (named only with consent); each one's match and "
                "its two parts (shared, complementarity) run from 0 to 100, unrounded as "
                "every score of the API",
                [
                    _ROUND,
                    _CODE,
                    _SCORE,
                    {
                        "name": "domestic",
                        "in": "query",
                        "required": False,
                        "description": "1: include regions of the region's own Member State, "
                        "each marked domestic (default 0: only partners outside it)",
                        "schema": {"type": "string", "enum": ["0", "1"]},
                    },
                ],
                {"type": "object"},
            ),
        },
    }
