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
        "Statistics of one score (0-100) in a group. With suppressed=true only n is given: "
        "fewer regions than the threshold have this score."
    ),
    "properties": {
        name: {"type": ["number", "null"]}
        for name in ("n", "median", "q1", "q3", "mean", "min", "max", "value", "rank", "gap")
    }
    | {"suppressed": {"type": "boolean"}, "reason": {"type": "string"}},
}
_GROUP = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "examples": ["country:ES"]},
        "kind": {"type": "string", "enum": ["all", "country", "category", "partnership", "custom"]},
        "value": {"type": "string"},
        "size": {"type": "integer"},
        "suppressed": {"type": "boolean"},
        "reason": {"type": "string"},
        "statistics": {
            "type": "object",
            "description": "kind (overall, dimension, aspect) -> key -> statistic",
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
            "schemas": {"Statistic": _STATISTIC, "Group": _GROUP, "Problem": _PROBLEM},
        },
        "paths": {
            "/rounds": _get("Assessment rounds", [], {"type": "object"}),
            "/rounds/{round_id}/regions/{code}/benchmark": _get(
                "A region's scores and its peer groups' statistics",
                [_ROUND, _CODE, _SCORE],
                {
                    "type": "object",
                    "properties": {
                        "scores": {"type": "object"},
                        "groups": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Group"},
                        },
                    },
                },
            ),
            "/rounds/{round_id}/groups": _get(
                "Every peer group of a round", [_ROUND], {"type": "object"}
            ),
            "/rounds/{round_id}/groups/{key}": _get(
                "One group's statistics",
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
            "/rounds/{round_id}/regions/{code}/partners": _get(
                "Suggested partner regions (named only with consent)",
                [_ROUND, _CODE, _SCORE],
                {"type": "object"},
            ),
        },
    }
