"""Property-based: arbitrary bodies never cause a 5xx; valid values round-trip."""

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveyapp.assessments.models import Answer
from surveyapp.extensions import db
from surveyapp.text import MAX_JSON_DEPTH, clean_text, clean_value

ITEMS = [
    "maturity",
    "has_unit",
    "unit_staff",
    "budget_share",
    "role",
    "platforms",
    "platform_note",
    "practice",
    "evidence",
    "plain_number",
]
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: Any character, with lone surrogates (Cs) and control characters (Cc) often: JSON can carry
#: both, and a browser's form post the controls.
any_text = st.text(
    st.characters(exclude_categories=[]) | st.characters(categories=["Cs", "Cc"]), max_size=80
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture
def officer_client(app, create_region, create_user, create_assessment):
    region = create_region()
    user = create_user(regions=[region])
    assessment = create_assessment(region=region)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    return client, assessment.id


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(
            [*ITEMS, *(i + "__version" for i in ITEMS), *(i + "__comment" for i in ITEMS), "other"]
        ),
        st.lists(any_text, min_size=1, max_size=3),
        max_size=8,
    )
)
def test_arbitrary_section_posts_never_fail(officer_client, body):
    client, assessment_id = officer_client
    # Encoded by hand: lone surrogates go as the bytes UTF-8 would give them (not UTF-8).
    data = urllib.parse.urlencode(
        [(key, value) for key, values in body.items() for value in values],
        errors="surrogatepass",
    )
    for section in ("basics", "networks"):
        response = client.post(
            f"/assessments/{assessment_id}/sections/{section}",
            data=data,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code in (302, 422), response.status_code
    assert_answers_clean(assessment_id)


def assert_answers_clean(assessment_id):
    """What was stored is text that every page, export and PDF can encode."""
    db.session.expire_all()
    for answer in db.session.scalars(select(Answer).filter_by(assessment_id=assessment_id)):
        assert clean_value(answer.value) == answer.value
        assert answer.comment is None or clean_text(answer.comment) == answer.comment


@FUZZ
@given(item_id=st.sampled_from(ITEMS), payload=json_values)
def test_arbitrary_autosave_bodies_never_fail(officer_client, item_id, payload):
    client, assessment_id = officer_client
    response = client.post(f"/assessments/{assessment_id}/answers/{item_id}", json=payload)
    assert response.status_code in (200, 400, 409, 422), response.status_code


@FUZZ
@given(
    item_id=st.sampled_from(ITEMS),
    value=st.lists(any_text, max_size=3),
    comment=st.none() | any_text,
)
def test_autosave_with_any_strings_never_fails(officer_client, item_id, value, comment):
    client, assessment_id = officer_client
    url = f"/assessments/{assessment_id}/answers/{item_id}"
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id)
    )
    version = answer.version if answer else 0
    response = client.post(url, json={"value": value, "comment": comment, "version": version})
    assert response.status_code in (200, 422), response.status_code
    assert_answers_clean(assessment_id)


@FUZZ
@given(
    item_id=st.sampled_from(ITEMS),
    depth=st.integers(MAX_JSON_DEPTH + 1, 100_000),
    opener=st.sampled_from(["[", '{"a":']),
)
def test_deeply_nested_autosave_bodies_are_refused_with_a_message(
    officer_client, item_id, depth, opener
):
    client, assessment_id = officer_client
    closer = "]" if opener == "[" else "}"
    body = '{"value": ' + opener * depth + "1" + closer * depth + ', "version": 0}'
    response = client.post(
        f"/assessments/{assessment_id}/answers/{item_id}",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json["error"]


@FUZZ
@given(
    level=st.integers(0, 5) | st.just("na"),
    staff=st.integers(0, 500),
    share=st.decimals(0, 100, places=2).map(float),
    platforms=st.lists(
        st.sampled_from(["agri_food", "energy", "industrial", "blue"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    note=st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
        min_size=1,
        max_size=50,
    ),
)
def test_valid_values_round_trip(officer_client, level, staff, share, platforms, note):
    client, assessment_id = officer_client
    expected = {
        "maturity": level,
        "unit_staff": staff,
        "budget_share": share,
        "platforms": platforms,
        "platform_note": note,
    }
    raw = {
        "maturity": [str(level)],
        "unit_staff": [str(staff)],
        "budget_share": [str(share)],
        "platforms": platforms,
        "platform_note": [note],
    }
    for item_id, values in raw.items():
        answer = db.session.scalar(
            select(Answer).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        version = answer.version if answer else 0
        response = client.post(
            f"/assessments/{assessment_id}/answers/{item_id}",
            json={"value": values, "version": version},
        )
        assert response.status_code == 200, (item_id, values, response.json)
    db.session.expire_all()
    stored = {
        a.item_id: a.value
        for a in db.session.scalars(select(Answer).filter_by(assessment_id=assessment_id))
    }
    for item_id, value in expected.items():
        if item_id == "platforms":
            order = ["agri_food", "energy", "industrial", "blue"]
            value = sorted(value, key=order.index)
        assert stored[item_id] == value


@given(
    blank=st.text(
        alphabet=st.characters(whitelist_categories=("Cf", "Zs", "Zl", "Zp", "Cc")), max_size=20
    ),
    shown=st.characters(whitelist_categories=("L", "N", "P", "S")),
)
def test_text_is_visible_exactly_when_it_has_a_character_that_shows(blank, shown):
    from surveyapp.text import has_visible_text

    assert not has_visible_text(blank)
    assert has_visible_text(blank + shown + blank)
    # Characters of other categories that still show as blank.
    assert not has_visible_text(blank + "\u3164\u2800\u034f" + blank)
