"""Administrators define custom peer groups; regions are compared with the groups they are in."""

from sqlalchemy import func, select

from surveyapp.analysis.dashboard import region_dashboard
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.regions.models import RegionGroup


def groups_count():
    return db.session.scalar(select(func.count()).select_from(RegionGroup))


def test_admin_creates_edits_and_deletes_a_group(client, login, create_user, scored_world):
    login(create_user(email="admin@example.org", role=Role.admin))
    response = client.post(
        "/admin/groups",
        data={"name": "Northern Spain", "codes": "es21, es22\nES23 ES24,ES25", "description": ""},
    )
    assert response.status_code == 302
    group = db.session.scalar(select(RegionGroup))
    assert [r.code for r in group.regions] == ["ES21", "ES22", "ES23", "ES24", "ES25"]
    page = client.get(f"/admin/groups/{group.id}").text
    assert "ES21 ES22 ES23 ES24 ES25" in page
    client.post(
        f"/admin/groups/{group.id}",
        data={"name": "North", "codes": "ES21 ES22 ES23 ES24 ES25 ES26", "description": "Coast"},
    )
    db.session.expire_all()
    assert group.name == "North" and len(group.regions) == 6
    # Deleting asks first: the list links to a page that says what it does, and only its
    # button deletes.
    listing = client.get("/admin/groups").text
    assert f'href="/admin/groups/{group.id}/delete"' in listing
    assert f'action="/admin/groups/{group.id}/delete"' not in listing
    confirm = client.get(f"/admin/groups/{group.id}/delete").text
    assert "Delete the group North?" in confirm and "Its regions stay as they are" in confirm
    assert f'action="/admin/groups/{group.id}/delete"' in confirm
    assert groups_count() == 1
    client.post(f"/admin/groups/{group.id}/delete")
    assert groups_count() == 0


def test_bad_input_is_reported_at_the_field_and_nothing_is_saved(
    client, login, create_user, scored_world
):
    login(create_user(email="admin@example.org", role=Role.admin))
    response = client.post("/admin/groups", data={"name": "X", "codes": "ES21 ZZ99 es2x"})
    assert response.status_code == 422
    assert "Unknown NUTS codes: ES2X, ZZ99. Nothing was saved." in response.text
    assert 'value="X"' in response.text  # what was typed stays in the form
    assert groups_count() == 0
    client.post("/admin/groups", data={"name": "Taken", "codes": "ES21"})
    response = client.post("/admin/groups", data={"name": "Taken", "codes": "ES22"})
    assert "Another group is already called Taken." in response.text
    assert groups_count() == 1
    # A name that differs only in case is the same name to a reader of the pages.
    response = client.post("/admin/groups", data={"name": "TAKEN", "codes": "ES22"})
    assert "Another group is already called TAKEN." in response.text
    assert groups_count() == 1


def test_member_regions_are_compared_with_their_custom_group(app, scored_world, create_user):
    admin = create_user(email="admin@example.org", role=Role.admin)
    from surveyapp.regions.operations import save_region_group

    save_region_group(None, "Five", "ES21 ES22 ES23 ES24 ES25", "", admin)
    save_region_group(None, "Others", "ES26 FR10", "", admin)
    db.session.commit()
    data = region_dashboard(scored_world["regions"]["ES21"], scored_world["round"], "en")
    # Five regions of six: it differs from "all regions" by one region, so it is suppressed.
    assert "Group: Five" in data["groups"]["suppressed"]
    save_region_group(
        db.session.scalar(select(RegionGroup).filter_by(name="Five")),
        "Five",
        "ES21 ES22 ES23 ES24 ES25 ES26",
        "",
        admin,
    )
    db.session.commit()
    data = region_dashboard(scored_world["regions"]["ES21"], scored_world["round"], "en")
    assert "Group: Five" in [column["label"] for column in data["groups"]["columns"]]
    # ES26's group holds only one counted region (FR10 is a draft): never shown to anyone.
    data = region_dashboard(scored_world["regions"]["ES26"], scored_world["round"], "en")
    assert "Group: Others" in data["groups"]["suppressed"]
