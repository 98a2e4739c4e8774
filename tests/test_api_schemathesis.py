"""Schemathesis against /api/v1/openapi.json, in process, as an expert, an officer and an admin:
no server error, no undocumented status, every response as its schema says."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from surveyapp.api.operations import issue_token
from surveyapp.auth.models import Role
from surveyapp.extensions import db


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def tokens(scored_world, create_user):
    users = {
        "expert": create_user(email="expert@example.org", role=Role.expert),
        "officer": create_user(
            email="officer@example.org", regions=[scored_world["regions"]["ES21"]]
        ),
        "admin": create_user(email="admin@example.org", role=Role.admin),
    }
    issued = {role: issue_token(user, "schemathesis") for role, user in users.items()}
    db.session.commit()
    return issued


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_openapi_document(app, case, tokens, scored_world):
    generated = dict(case.path_parameters or {})
    # As generated (mostly rounds and regions that do not exist), then on the world's round and
    # a region with a submitted assessment, so that the figures themselves are checked too.
    real = generated | {"round_id": scored_world["round"].id}
    if "code" in generated:
        real["code"] = "ES21"
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    # Invalid data stays as generated: the API must refuse it as it is.
    for parameters in (generated, real) if generated and not negative else (generated,):
        case.path_parameters = parameters
        for token in tokens.values():  # the expert's, the officer's and the admin's
            # A client of its own each time: no cookie is carried from one call to the next.
            case.call_and_validate(
                session=app.test_client(), headers={"Authorization": f"Bearer {token}"}
            )
