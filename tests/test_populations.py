"""Regions' populations (METHOD D5a): imported from Eurostat's demo_r_d2jan file or a simple CSV,
all or nothing; a round with size-relative counts opens only when every participating region
has one."""

import gzip
from datetime import date

import pytest
from sqlalchemy import func, select

from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.regions.models import RegionPopulation
from surveyapp.regions.operations import import_population_file
from surveyapp.regions.population_file import PopulationFileError, read_population_file
from surveyapp.regions.queries import population_for
from surveyapp.rounds.models import Round, RoundState
from surveyapp.rounds.operations import PopulationsMissing, create_round, open_round

EUROSTAT = (
    "freq,unit,sex,age,geo\\TIME_PERIOD\t2022 \t2023 \t2024 \n"
    "A,NR,F,TOTAL,ES21\t1127000 \t1128000 \t1129000 \n"
    "A,NR,T,TOTAL,ES21\t2208174 \t2213993 \t2227581 p\n"
    "A,NR,T,TOTAL,ES22\t664117 \t672155 e\t: \n"
    "A,NR,T,TOTAL,EU27_2020\t446735291 \t448387872 \t449206579 \n"
    "A,NR,T,TOTAL,ES30\t6751251 \t6871903 \t7009268 \n"
    "A,NR,T,Y_LT5,ES21\t80000 \t79000 \t78000 \n"
)


def populations():
    return {
        (p.region.code, p.year): (p.population, p.source)
        for p in db.session.scalars(select(RegionPopulation))
    }


@pytest.fixture
def regions(create_region):
    return {
        "ES21": create_region("ES21", "País Vasco"),
        "ES22": create_region("ES22", "Navarra"),
    }


def test_eurostat_file_whole_population_with_flags_and_gaps(tmp_path, regions):
    path = tmp_path / "demo_r_d2jan.tsv"
    path.write_text(EUROSTAT)
    result = import_population_file(path)
    db.session.commit()
    assert populations() == {
        ("ES21", 2022): (2208174, "Eurostat demo_r_d2jan"),
        ("ES21", 2023): (2213993, "Eurostat demo_r_d2jan"),
        ("ES21", 2024): (2227581, "Eurostat demo_r_d2jan"),  # "p": provisional, kept
        ("ES22", 2022): (664117, "Eurostat demo_r_d2jan"),
        ("ES22", 2023): (672155, "Eurostat demo_r_d2jan"),
        # 2024 is ":" (not available): nothing stored, nothing guessed
    }
    assert (result.created, result.missing, result.skipped) == (5, 1, 3)  # ES30 not a region here


def test_eurostat_file_gzipped_older_header_and_one_year(tmp_path, regions):
    text = EUROSTAT.replace("freq,unit,sex,age,geo\\TIME_PERIOD", "unit,sex,age,geo\\time")
    text = "\n".join(
        line.split(",", 1)[1] if line.startswith("A,") else line for line in text.splitlines()
    )
    path = tmp_path / "demo_r_d2jan.tsv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    import_population_file(path, years=frozenset({2023}))
    assert populations() == {
        ("ES21", 2023): (2213993, "Eurostat demo_r_d2jan"),
        ("ES22", 2023): (672155, "Eurostat demo_r_d2jan"),
    }


def test_eurostat_bad_values_are_named_by_line_and_nothing_is_written(tmp_path, regions):
    path = tmp_path / "demo.tsv"
    path.write_text(EUROSTAT.replace("2213993 ", "22l3993 ").replace("664117 ", "-5 "))
    with pytest.raises(PopulationFileError) as caught:
        import_population_file(path)
    assert caught.value.errors == [
        "line 3: ES21 2023: '22l3993' is not a population",
        "line 4: ES22 2022: '-5' is not a population",
    ]
    assert str(caught.value).startswith("demo.tsv: line 3:")
    assert populations() == {}


def test_csv_with_source_option_and_own_sources(tmp_path, regions):
    path = tmp_path / "pop.csv"
    path.write_text(
        "code,year,population,source\n"
        "ES21,2025,2230000,\n"
        "es22,2025,680000,Instituto de Estadística de Navarra\n"
    )
    result = import_population_file(path, source="INE padrón 2025")
    assert result.created == 2
    assert populations() == {
        ("ES21", 2025): (2230000, "INE padrón 2025"),
        ("ES22", 2025): (680000, "Instituto de Estadística de Navarra"),
    }
    # Loaded again with a corrected figure: replaced, not doubled.
    path.write_text("code,year,population\nES21,2025,2231000\n")
    result = import_population_file(path, source="INE padrón 2025 (revised)")
    assert (result.created, result.updated) == (0, 1)
    assert populations()[("ES21", 2025)] == (2231000, "INE padrón 2025 (revised)")


def test_csv_needs_a_source(tmp_path, regions):
    path = tmp_path / "pop.csv"
    path.write_text("code,year,population\nES21,2025,2230000\n")
    with pytest.raises(PopulationFileError, match="--source"):
        read_population_file(path)


def test_csv_bad_rows_each_named_and_nothing_written(tmp_path, regions):
    path = tmp_path / "pop.csv"
    path.write_text(
        "code,year,population\n"
        "ES21,2025,2230000\n"
        "ES22,twenty,680000\n"
        "ES22,2025,6.8e5\n"
        "ES21,2025,2230001\n"
        "FR10,2025,12300000\n"
        "not a code,2025,1\n"
    )
    with pytest.raises(PopulationFileError) as caught:
        import_population_file(path, source="INE")
    assert caught.value.errors == [
        "line 3: ES22: 'twenty' is not a year",
        "line 4: ES22 2025: '6.8e5' is not a population (a whole number from 1 to 2,000,000,000)",
        "line 5: ES21 2025 appears twice, first on line 2",
        "line 7: 'NOT A CODE' is not a NUTS code",
    ]
    # Only once the rows themselves are right, unknown regions are named (FR10 is not here).
    path.write_text("code,year,population\nES21,2025,2230000\nFR10,2025,12300000\n")
    with pytest.raises(PopulationFileError) as caught:
        import_population_file(path, source="INE")
    assert caught.value.errors == ["line 3: FR10 is no region here (flask regions import)"]
    assert populations() == {}


def test_population_for_takes_the_year_or_the_latest_earlier(tmp_path, regions):
    path = tmp_path / "pop.csv"
    path.write_text("code,year,population\nES21,2022,1\nES21,2024,3\n")
    import_population_file(path, source="test")
    es21 = regions["ES21"].id
    assert population_for(es21, 2024).population == 3
    assert population_for(es21, 2026).population == 3
    assert population_for(es21, 2023).population == 1
    assert population_for(es21, 2021) is None


def test_cli_imports_and_reports_errors(cli, tmp_path, regions):
    good = tmp_path / "demo_r_d2jan.tsv"
    good.write_text(EUROSTAT)
    result = cli.invoke(args=["regions", "population", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output and "1 not available" in result.output
    bad = tmp_path / "pop.csv"
    bad.write_text("code,year,population\nES21,2025,lots\n")
    result = cli.invoke(args=["regions", "population", "import", str(bad), "--source", "x"])
    assert result.exit_code != 0
    assert "pop.csv: line 2: ES21 2025: 'lots' is not a population" in result.output
    result = cli.invoke(args=["regions", "population", "import", str(bad)])
    assert result.exit_code != 0 and "--source" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(RegionPopulation.id))) == 5


# --- Opening a round whose questionnaire scores counts against a size-relative target -----

SIZED = """\
format: 2
slug: sized
version: 1
title: Size-relative counts
dimensions:
  - {id: partnerships, title: Partnerships}
aspects:
  - id: sme_adoption
    title: SME adoption of new technologies
    short_title: SME technology adoption
sections:
  - id: counts
    title: Counts
    items:
      - id: projects
        type: number
        integer: true
        min: 0
        text: Interregional projects in the last 12 months
        period: last_12_months
        target: {per_million: 2, exponent: 0.5, floor: 1}
        dimension: partnerships
        actions: [Join an interregional project.]
"""


@pytest.fixture
def sized_questionnaire(tmp_path):
    path = tmp_path / "sized-v1.yaml"
    path.write_text(SIZED)
    return load_questionnaire(path).questionnaire


@pytest.fixture
def planned(sized_questionnaire):
    round_ = Round(
        name="2027 spring",
        questionnaire=sized_questionnaire,
        opens_on=date(2027, 3, 1),
        closes_on=date(2027, 5, 31),
        state=RoundState.planned,
    )
    db.session.add(round_)
    db.session.commit()
    return round_


def test_open_is_refused_naming_the_participating_regions_without_population(
    tmp_path, create_region, create_user, create_assessment, planned
):
    es21, es22 = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    fr10, de1 = create_region("FR10", "Ile-de-France"), create_region("DE1", "Baden-Württemberg")
    create_region("ITC4", "Lombardia")  # no officer, no assessment: not participating
    create_user(email="o1@example.org", regions=[es21])
    create_user(email="o2@example.org", regions=[es22])
    create_user(email="gone@example.org", regions=[de1], active=False)  # deactivated
    create_assessment(region=fr10, round_=planned)
    path = tmp_path / "pop.csv"
    # ES21 has an earlier year (enough); ES22 only a later one (not enough).
    path.write_text("code,year,population\nES21,2025,2230000\nES22,2028,680000\n")
    import_population_file(path, source="test")
    db.session.commit()
    with pytest.raises(PopulationsMissing) as caught:
        open_round(planned)
    assert [region.code for region in caught.value.regions] == ["ES22", "FR10"]
    assert "flask regions population import" in str(caught.value)
    db.session.rollback()
    assert planned.state == RoundState.planned
    path.write_text("code,year,population\nES22,2027,680000\nFR10,2020,12000000\n")
    import_population_file(path, source="test")
    assert open_round(planned) is True
    assert planned.state == RoundState.open


def test_the_reference_year_decides(tmp_path, create_region, create_user, planned):
    es21 = create_region("ES21", "País Vasco")
    create_user(email="o1@example.org", regions=[es21])
    path = tmp_path / "pop.csv"
    path.write_text("code,year,population\nES21,2027,2230000\n")
    import_population_file(path, source="test")
    planned.reference_date = date(2026, 12, 31)
    with pytest.raises(PopulationsMissing):
        open_round(planned)
    planned.reference_date = None  # the closing day, in 2027
    assert open_round(planned)


def test_a_questionnaire_without_relative_counts_opens_as_before(
    create_region, create_user, create_round
):
    create_user(email="o1@example.org", regions=[create_region()])
    round_ = create_round(state=RoundState.planned)
    assert open_round(round_) and round_.state == RoundState.open


def test_created_open_is_checked_too(create_region, create_user, sized_questionnaire):
    create_user(email="o1@example.org", regions=[create_region()])
    with pytest.raises(PopulationsMissing):
        create_round(
            "2027 spring", sized_questionnaire, date(2027, 3, 1), date(2027, 5, 31), RoundState.open
        )


def test_cli_open_refused_and_reference_date(cli, create_region, create_user, planned):
    create_user(email="o1@example.org", regions=[create_region()])
    result = cli.invoke(args=["rounds", "open", str(planned.id)])
    assert result.exit_code != 0
    assert (
        "ES21 (País Vasco)" in result.output and "flask regions population import" in result.output
    )
    db.session.expire_all()
    assert db.session.get(Round, planned.id).state == RoundState.planned


def test_cli_create_with_reference_date(cli, small_questionnaire):
    result = cli.invoke(
        args=[
            "rounds", "create", "--name", "2027 autumn", "--questionnaire", "small:1",
            "--opens", "2027-09-01", "--closes", "2027-11-30", "--reference-date", "2027-06-30",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    round_ = db.session.scalar(select(Round).filter_by(name="2027 autumn"))
    assert round_.reference_day == date(2027, 6, 30)


def test_admin_open_refused_page_lists_regions_and_how_to_load(
    client, login, create_region, create_user, planned
):
    es21 = create_region()
    create_user(email="o1@example.org", regions=[es21])
    admin = create_user(email="admin@example.org", role=Role.admin, name="Ada")
    login(admin)
    response = client.post(f"/admin/rounds/{planned.id}/open")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The round was not opened." in page
    assert "/admin/regions/ES21" in page and "flask regions population import" in page
    db.session.expire_all()
    assert db.session.get(Round, planned.id).state == RoundState.planned


def test_admin_region_page_shows_populations(client, login, tmp_path, create_user, regions):
    path = tmp_path / "pop.csv"
    path.write_text("code,year,population\nES21,2024,2227581\n")
    import_population_file(path, source="INE padrón")
    db.session.commit()
    login(create_user(email="admin@example.org", role=Role.admin))
    page = client.get("/admin/regions/ES21").get_data(as_text=True)
    assert "2,227,581" in page and "INE padrón" in page and "2024" in page
    assert "No population is stored" in client.get("/admin/regions/ES22").get_data(as_text=True)
    listing = client.get("/admin/regions").get_data(as_text=True)
    assert "2,227,581" in listing


def test_admin_round_reference_date_form_and_page(client, login, create_user, small_questionnaire):
    login(create_user(email="admin@example.org", role=Role.admin))
    response = client.post(
        "/admin/rounds",
        data={
            "name": "2027 autumn",
            "questionnaire": small_questionnaire.id,
            "opens_on": "2027-09-01",
            "closes_on": "2027-11-30",
            "reference_date": "2027-06-30",
        },
    )
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round).filter_by(name="2027 autumn"))
    assert round_.reference_date == date(2027, 6, 30)
    page = client.get(f"/admin/rounds/{round_.id}").get_data(as_text=True)
    assert "June 30, 2027" in page or "Jun 30, 2027" in page
    response = client.post(f"/admin/rounds/{round_.id}/reference-date", data={"reference_date": ""})
    assert response.status_code == 302
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.reference_date is None and round_.reference_day == date(2027, 11, 30)
    assert "(the closing day)" in client.get(f"/admin/rounds/{round_.id}").get_data(as_text=True)


def test_a_reference_date_after_the_close_is_refused_at_its_field(
    client, login, create_user, small_questionnaire
):
    """A round from September to November 2027 was planned with a reference date in 2030, in
    silence: its counts would cover months no answer can know. Refused where it is typed, on
    the round form, on the change of date and by the operation the CLI uses."""
    from surveyapp.rounds.operations import ReferenceDateAfterClose, create_round

    login(create_user(email="admin@example.org", role=Role.admin))
    plan = {
        "name": "2027 autumn",
        "questionnaire": small_questionnaire.id,
        "opens_on": "2027-09-01",
        "closes_on": "2027-11-30",
        "reference_date": "2030-01-01",
    }
    response = client.post("/admin/rounds", data=plan)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The reference date cannot come after the round closes (Nov 30, 2027)" in page
    assert db.session.scalar(select(Round).filter_by(name="2027 autumn")) is None
    response = client.post("/admin/rounds", data={**plan, "reference_date": "2027-11-30"})
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round).filter_by(name="2027 autumn"))
    response = client.post(
        f"/admin/rounds/{round_.id}/reference-date", data={"reference_date": "2028-01-01"}
    )
    assert response.status_code == 422
    assert "cannot come after the round closes" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).reference_date == date(2027, 11, 30)
    with pytest.raises(ReferenceDateAfterClose):
        create_round(
            "2028 spring",
            small_questionnaire,
            date(2028, 3, 1),
            date(2028, 5, 31),
            reference_date=date(2028, 6, 1),
        )


def test_the_round_page_asks_for_populations_only_while_they_count(
    client, login, create_region, create_user, planned
):
    """A closed round's populations are those it kept when it closed (rounds.closing): its
    page no longer lists regions to load one for, which would change nothing of it."""
    from surveyapp.rounds.operations import close_round

    es21 = create_region()
    create_user(email="o1@example.org", regions=[es21])
    admin = create_user(email="admin@example.org", role=Role.admin, name="Ada")
    login(admin)
    page = client.get(f"/admin/rounds/{planned.id}").get_data(as_text=True)
    assert 'id="populations"' in page and 'id="missing-populations"' in page
    planned.state = RoundState.open
    assert close_round(planned, admin)
    db.session.commit()
    page = client.get(f"/admin/rounds/{planned.id}").get_data(as_text=True)
    assert 'id="populations"' not in page and 'id="missing-populations"' not in page
