"""Region attributes an administrator maintains (issue 22): category of region, Thematic
Partnership memberships with a role, macro-regional strategies; set on a page or from a CSV
(all or nothing), audited, and read by the peer groups without any demo data."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import surveyapp
from surveyapp.analysis.frame import load_assessments
from surveyapp.assessments.models import AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.regions.attributes_file import AttributesFileError, read_attributes_file
from surveyapp.regions.models import (
    MacroRegionalStrategy,
    PartnershipRole,
    Region,
    RegionCategory,
)
from surveyapp.regions.operations import import_attributes_file

GOOD = (
    "code,category,partnerships,strategies\n"
    "AT13,more_developed,,EUSDR;eusalp\n"
    "ES21,More developed,photonics:lead;bioeconomy,\n"
)


@pytest.fixture
def regions(create_region):
    return {code: create_region(code, f"Region {code}") for code in ("AT13", "ES21", "PL91")}


def events(action):
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def test_import_sets_the_named_attributes_with_their_source(tmp_path, regions):
    path = tmp_path / "attributes.csv"
    path.write_text(GOOD)
    result = import_attributes_file(path, "S3 Platform pages, 2024")
    db.session.commit()
    assert (result.changed, result.unchanged) == (2, 0)
    es21, at13 = (
        db.session.get(Region, regions["ES21"].id),
        db.session.get(Region, regions["AT13"].id),
    )
    assert es21.category == RegionCategory.more_developed
    assert es21.category_source == "S3 Platform pages, 2024"
    assert [(m.partnership, m.role, m.source) for m in es21.partnerships] == [
        ("bioeconomy", PartnershipRole.member, "S3 Platform pages, 2024"),
        ("photonics", PartnershipRole.lead, "S3 Platform pages, 2024"),
    ]
    assert es21.thematic_partnerships == ["bioeconomy", "photonics"]
    assert [s.strategy for s in at13.strategies] == [
        MacroRegionalStrategy.eusalp,
        MacroRegionalStrategy.eusdr,
    ]
    assert len(events("region.attributes_changed")) == 2
    assert events("regions.attributes_imported")[0].new_value["changed"] == 2
    # The same file again changes nothing and keeps the sources.
    assert import_attributes_file(path, "another source").changed == 0
    assert db.session.get(Region, regions["ES21"].id).category_source == "S3 Platform pages, 2024"


def test_only_the_file_columns_change(tmp_path, regions):
    path = tmp_path / "a.csv"
    path.write_text(GOOD)
    import_attributes_file(path, "first")
    path.write_text("code,partnerships,source\nES21,,row source\n")
    import_attributes_file(path)
    db.session.commit()
    es21 = db.session.get(Region, regions["ES21"].id)
    assert es21.thematic_partnerships == []
    assert es21.category == RegionCategory.more_developed  # no category column: kept


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("", "s", "line 1: the file is empty"),
        ("code,colour\nES21,red\n", "s", "line 1: unknown columns colour"),
        ("code\nES21\n", "s", "line 1: no attribute column"),
        ("code,category\nES21,developed\n", "s", "line 2: ES21: 'developed' is no category"),
        ("code,partnerships\nES21,photonics:chair\n", "s", "line 2: ES21: photonics: 'chair'"),
        ("code,partnerships\nES21,quantum\n", "s", "line 2: ES21: 'quantum' is no known"),
        ("code,strategies\nES21,EUSMED\n", "s", "line 2: ES21: 'EUSMED' is no macro-regional"),
        ("code,category\nES21,transition\nES21,transition\n", "s", "line 3: ES21 appears twice"),
        ("code,category\nES21,transition\n", None, "line 2: ES21: no source"),
        ("code,category\nnot a code,transition\n", "s", "line 2: 'NOT A CODE' is not a NUTS"),
        ('code,category\n"ES21,transition\n', "s", "line 2: 'ES21,TRANSITION' is not"),
    ],
)
def test_bad_files_name_the_line_and_reason(tmp_path, text, source, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(AttributesFileError) as raised:
        read_attributes_file(path, source)
    assert expected in str(raised.value)
    assert str(raised.value).startswith("bad.csv: ")


def test_a_bad_row_writes_nothing(tmp_path, regions):
    path = tmp_path / "a.csv"
    path.write_text(GOOD + "XX99,transition,,\n")
    with pytest.raises(AttributesFileError, match="line 4: XX99 is no region here"):
        import_attributes_file(path, "s")
    db.session.rollback()
    assert db.session.get(Region, regions["ES21"].id).category is None


def test_cli_import_and_errors(cli, tmp_path, regions):
    path = tmp_path / "a.csv"
    path.write_text(GOOD)
    result = cli.invoke(args=["regions", "attributes", "import", str(path), "--source", "S3P"])
    assert result.exit_code == 0, result.output
    assert "2 regions changed" in result.output
    path.write_text("code,category\nES21,transition\nPL91,poor\n")
    result = cli.invoke(args=["regions", "attributes", "import", str(path), "--source", "S3P"])
    assert result.exit_code == 1
    assert "a.csv: line 3: PL91: 'poor' is no category" in result.output
    db.session.expire_all()
    assert db.session.get(Region, regions["ES21"].id).category == RegionCategory.more_developed
    help_text = cli.invoke(args=["regions", "attributes", "import", "--help"]).output
    assert "code,category,partnerships,strategies,source" in help_text


def test_analysis_reads_memberships_without_demo_data(
    create_region, create_round, create_assessment
):
    round_ = create_round()
    for code, slugs in (("ES21", ["photonics", "bioeconomy"]), ("PL91", [])):
        region = create_region(code, code, thematic_partnerships=slugs)
        region.category = RegionCategory.transition
        create_assessment(region=region, round_=round_, state=AssessmentState.submitted)
    frame = load_assessments([round_.id]).set_index("code")
    assert frame.loc["ES21", "partnerships"] == ["bioeconomy", "photonics"]
    assert frame.loc["PL91", "partnerships"] == []
    assert frame.loc["PL91", "category"] == "transition"


def test_attribute_changes_need_an_admin(client, login, create_user, regions):
    officer = create_user("o@example.org", Role.officer, regions=[regions["ES21"]])
    login(officer)
    assert client.get("/admin/regions/ES21/attributes").status_code == 403


@pytest.fixture
def admin(create_user, login):
    user = create_user("admin@example.org", Role.admin)
    login(user)
    return user


def form_data(**values):
    data = {"category": "", "source": ""}
    data.update(values)
    return data


def test_admin_sets_attributes_on_the_page(client, admin, regions):
    page = client.get("/admin/regions/ES21/attributes")
    assert page.status_code == 200
    assert "No partnership recorded." in page.text
    assert "/admin/regions/ES21/attributes" in client.get("/admin/regions/ES21").text
    response = client.post(
        "/admin/regions/ES21/attributes",
        data=form_data(
            category="transition",
            tp_photonics="lead",
            tp_3d_printing="member",
            strategies=["eusalp"],
            source="S3 Platform page, 2025",
        ),
    )
    assert response.status_code == 302
    region = db.session.get(Region, regions["ES21"].id)
    db.session.refresh(region)
    assert region.category == RegionCategory.transition
    assert {(m.partnership, m.role) for m in region.partnerships} == {
        ("photonics", PartnershipRole.lead),
        ("3d-printing", PartnershipRole.member),
    }
    assert [s.strategy for s in region.strategies] == [MacroRegionalStrategy.eusalp]
    event = events("region.attributes_changed")[0]
    assert event.user_id == admin.id
    assert event.new_value["source"] == "S3 Platform page, 2025"
    page = client.get("/admin/regions/ES21/attributes").text
    assert "S3 Platform page, 2025" in page and "Lead region" in page


def test_the_page_asks_for_a_source_at_its_field(client, admin, regions):
    response = client.post("/admin/regions/ES21/attributes", data=form_data(category="transition"))
    assert response.status_code == 422
    assert 'id="source-error"' in response.text
    assert db.session.get(Region, regions["ES21"].id).category is None


@pytest.mark.parametrize("code", ["ES", "ES2"])
def test_a_category_is_for_nuts_2_regions_only(client, admin, create_region, tmp_path, code):
    region = create_region(code, f"Region {code}")
    response = client.post(
        f"/admin/regions/{code}/attributes",
        data=form_data(category="transition", tp_photonics="member", source="Decision 2021/1130"),
    )
    assert response.status_code == 422
    error = response.text.split('id="category-error"', 1)[1].split("</", 1)[0]
    assert f"this is a NUTS {region.level} region" in error
    assert 'value="Decision 2021/1130"' in response.text  # what was typed stays
    db.session.expire_all()
    assert (region.category, region.partnerships) == (None, [])
    # The same rule in a file, with its line; nothing of the file is written.
    path = tmp_path / "a.csv"
    path.write_text(GOOD + f"{code},transition,,\n")
    with pytest.raises(AttributesFileError, match=f"line 4: {code} is a NUTS {region.level} "):
        import_attributes_file(path, "s")
    db.session.rollback()
    assert db.session.get(Region, region.id).category is None
    # Partnerships and strategies are recorded at any level.
    path.write_text(f"code,partnerships\n{code},photonics\n")
    assert import_attributes_file(path, "s").changed == 1
    # A category stored before the rule does not block the region's other attributes.
    region.category = RegionCategory.transition
    db.session.commit()
    kept = client.post(
        f"/admin/regions/{code}/attributes",
        data=form_data(category="transition", tp_bioenergy="member", source="Platform page"),
    )
    assert kept.status_code == 302
    path.write_text(f"code,category,partnerships\n{code},transition,bioenergy\n")
    assert import_attributes_file(path, "s").unchanged == 1


def test_experts_read_but_do_not_edit(client, login, create_user, regions):
    login(create_user("e@example.org", Role.expert))
    page = client.get("/admin/regions/ES21/attributes")
    assert page.status_code == 200 and "<form" not in page.text.split("</header>", 1)[-1]
    response = client.post(
        "/admin/regions/ES21/attributes", data=form_data(category="transition", source="x")
    )
    assert response.status_code == 403


@pytest.fixture
def answered(regions, create_round):
    """ES21's submitted v2 answers about partnerships: a lead, while the record says member."""
    from surveyapp.assessments.models import Answer, Assessment
    from surveyapp.db import utcnow
    from surveyapp.questionnaires.operations import load_questionnaire

    questionnaire = load_questionnaire("questionnaires/criterion7-interregional-v2.yaml")
    round_ = create_round(name="2027", questionnaire=questionnaire.questionnaire)
    assessment = Assessment(
        region=regions["ES21"],
        round=round_,
        state=AssessmentState.submitted,
        submitted_at=utcnow(),
    )
    definition = questionnaire.questionnaire.parsed
    for item_id, value in {
        "par_tp_role": "lead",
        "par_tp_platforms": ["industrial_modernisation"],
        "par_tp_count": 1,
        "par_macro_regional": False,
    }.items():
        assessment.answers.append(
            Answer(item_id=item_id, section_id=definition.item(item_id).section_id, value=value)
        )
    db.session.add(assessment)
    regions["ES21"].thematic_partnerships = ["photonics"]  # a member, not a lead
    db.session.commit()
    return assessment


def test_the_region_answers_beside_the_record(client, admin, answered):
    page = client.get("/admin/regions/ES21/attributes").text
    assert "differ from the record on 1 question." in page
    role_row = page.split('id="compared-par_tp_role"', 1)[1].split("</tr>", 1)[0]
    assert "Lead region" in role_row and "Photonics (Member)" in role_row
    assert "No: they differ" in role_row
    platforms_row = page.split('id="compared-par_tp_platforms"', 1)[1].split("</tr>", 1)[0]
    assert "No: they differ" not in platforms_row


def test_several_values_show_one_per_line_in_both_columns(client, admin, answered):
    answer = next(a for a in answered.answers if a.item_id == "par_tp_platforms")
    answer.value = ["industrial_modernisation", "energy"]
    answered.region.thematic_partnerships = ["photonics", "bioenergy"]
    db.session.commit()
    page = client.get("/admin/regions/ES21/attributes").text
    row = page.split('id="compared-par_tp_platforms"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="answer-text">(.*?)</td>', row, re.S)
    assert len(cells) == 2 and all("\n" in cell for cell in cells), cells
    role_row = page.split('id="compared-par_tp_role"', 1)[1].split("</tr>", 1)[0]
    recorded = re.findall(r'<td class="answer-text">(.*?)</td>', role_row, re.S)[1]
    assert len(recorded.splitlines()) == 2, recorded  # a partnership per line
    css = (Path(surveyapp.__file__).parent / "static" / "app.css").read_text()
    assert re.search(r"\.comparison td\.answer-text \{[^}]*white-space: pre-line", css)


def test_the_review_page_shows_the_record_beside_the_answers(client, login, create_user, answered):
    login(create_user("e@example.org", Role.expert))
    definition = answered.round.questionnaire.parsed
    section = definition.item("par_tp_role").section_id
    page = client.get(f"/reviews/{answered.id}/sections/{section}").text
    assert 'id="record-beside"' in page and "differ from the record on 1 question." in page
    other = next(s.id for s in definition.sections if s.id != section)
    assert 'id="record-beside"' not in client.get(f"/reviews/{answered.id}/sections/{other}").text


def test_the_demo_invents_no_category_and_labels_its_memberships(app):
    from surveyapp.demo.operations import DEMO_ATTRIBUTE_SOURCE, DEMO_GROUP_NAME, seed_demo
    from surveyapp.regions.models import RegionGroup, RegionPartnership

    seed_demo(seed=3)
    db.session.commit()
    assert (
        db.session.scalars(select(Region.category).where(Region.category.is_not(None))).all() == []
    )
    sources = set(db.session.scalars(select(RegionPartnership.source)))
    assert sources == {DEMO_ATTRIBUTE_SOURCE}
    assert "synthetic" in DEMO_ATTRIBUTE_SOURCE
    group = db.session.scalar(select(RegionGroup).filter_by(name=DEMO_GROUP_NAME))
    assert "Synthetic" in group.name and len(group.regions) >= 10


def test_the_peer_attributes_key_moves_with_every_change(tmp_path, regions):
    from surveyapp.regions.queries import peer_attributes_key

    keys = [peer_attributes_key()]
    path = tmp_path / "a.csv"
    for text in (
        "code,category\nES21,transition\n",
        "code,category\nES21,more_developed\n",
        "code,partnerships\nES21,photonics\n",
        "code,partnerships\nES21,chemicals\n",  # a slug of the same length
        "code,partnerships\nES21,chemicals:lead\n",
        "code,partnerships\nAT13,chemicals:lead\nES21,\n",
    ):
        path.write_text(text)
        import_attributes_file(path, "s")
        db.session.commit()
        keys.append(peer_attributes_key())
    assert len(set(keys)) == len(keys)


def test_the_attributes_page_names_each_element_once(client, admin, regions):
    """The recorded values and the form's inputs shared the ids "category" and "strategies",
    so the form's labels pointed at the recorded values; the strategies' check boxes had a
    label pointing at their list instead of a legend."""
    page = client.get("/admin/regions/ES21/attributes").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for target in re.findall(r'<label for="([^"]+)"', page):
        element = re.search(rf'<(\w+)[^>]*\sid="{re.escape(target)}"', page).group(1)
        assert element in ("input", "select", "textarea"), (target, element)
    assert re.search(r"<fieldset[^>]*>\s*<legend>Macro-regional strategies</legend>", page)
