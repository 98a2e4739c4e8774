"""Structurally similar regions as a peer group: indicators imported from Eurostat's layouts,
the group on the dashboard, in the region report and in the API, with its method stated."""

from __future__ import annotations

import random
import re
import shutil

import pytest
from sqlalchemy import func, select

from surveyapp.analysis import similar
from surveyapp.analysis.dashboard import region_dashboard
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.regions.models import Region, RegionIndicator, RegionPopulation

#: Twenty regions in five Member States: (name, maturity level, named).
REGIONS = {
    f"{country}{number}": (f"Region {country}{number}", (number * 7) % 6, number % 2 == 0)
    for country in ("DE", "ES", "FR", "IT", "PL")
    for number in (11, 12, 13, 14)
}


def gdp_file(tmp_path, values: dict[str, float], year: int = 2025):
    """nama_10r_2gdp as Eurostat's SDMX-CSV download writes it (other units and aggregates
    mixed in, a value not available)."""
    lines = ["DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG"]
    for code, value in values.items():
        lines.append(
            f"ESTAT:NAMA_10R_2GDP(1.0),01/03/26,A,PPS_EU27_2020_HAB,{code},{year},{value},p"
        )
        lines.append(f"ESTAT:NAMA_10R_2GDP(1.0),01/03/26,A,EUR_HAB,{code},{year},1,")
    lines.append(f"ESTAT:NAMA_10R_2GDP(1.0),01/03/26,A,PPS_EU27_2020_HAB,EU27_2020,{year},1,")
    lines.append(f"ESTAT:NAMA_10R_2GDP(1.0),01/03/26,A,PPS_EU27_2020_HAB,ZZ99,{year},,")
    path = tmp_path / "nama_10r_2gdp.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def world(create_region, create_user, create_round, create_assessment):
    round_ = create_round()
    writer = create_user(email="writer@example.org")
    regions = {}
    for code, (name, level, consent) in REGIONS.items():
        region = create_region(code, name, thematic_partnerships=["photonics"])
        assessment = create_assessment(region=region, round_=round_)
        save_answer(assessment, "maturity", level, writer)
        save_answer(assessment, "budget_share", level * 20, writer)
        assessment.state = AssessmentState.validated
        assessment.consent_named = consent
        regions[code] = region
    db.session.commit()
    return {"round": round_, "regions": regions}


def structure(seed: int = 3) -> dict[str, dict[str, float]]:
    """Figures per region: the regions of each Member State alike (five clusters)."""
    rng = random.Random(seed)  # noqa: S311 - test figures
    centres = {
        "DE": {"density": 250, "gdp": 38_000, "agri": 2, "industry": 30, "tertiary": 30},
        "PL": {"density": 120, "gdp": 22_000, "agri": 9, "industry": 28, "tertiary": 33},
        "ES": {"density": 100, "gdp": 25_000, "agri": 6, "industry": 18, "tertiary": 40},
        "FR": {"density": 600, "gdp": 45_000, "agri": 2, "industry": 25, "tertiary": 45},
        "IT": {"density": 30, "gdp": 18_000, "agri": 15, "industry": 30, "tertiary": 20},
    }
    figures = {}
    for code in REGIONS:
        centre = centres[code[:2]]
        figures[code] = {name: value * rng.uniform(0.97, 1.03) for name, value in centre.items()}
        figures[code]["population"] = 1_000_000 * rng.uniform(0.9, 1.1)
    return figures


def import_structure(cli, tmp_path, figures) -> None:
    gdp = gdp_file(tmp_path, {code: round(f["gdp"], 1) for code, f in figures.items()})
    result = cli.invoke(args=["indicators", "import", str(gdp)])
    assert result.exit_code == 0, result.output
    assert f"{len(REGIONS)} created" in result.output and "not regions here" in result.output
    density = tmp_path / "demo_r_d3dens.tsv"
    density.write_text(
        "freq,unit,geo\\TIME_PERIOD\t2024 \t2025 \n"
        + "".join(f"A,PER_KM2,{code}\t: \t{f['density']:.1f} p\n" for code, f in figures.items()),
        encoding="utf-8",
    )
    result = cli.invoke(args=["indicators", "import", str(density)])
    assert result.exit_code == 0, result.output
    empers = tmp_path / "estat_nama_10r_3empers_filtered_en.tsv"
    rows = []
    for code, f in figures.items():
        rows.append(f"A,THS,EMP,TOTAL,{code}\t1000.0 \t1000.0 ")
        rows.append(f"A,THS,EMP,A,{code}\t: \t{10 * f['agri']:.1f} ")
        rows.append(f"A,THS,EMP,B-E,{code}\t: \t{10 * f['industry']:.1f} ")
    empers.write_text(
        "freq,unit,wstatus,nace_r2,geo\\TIME_PERIOD\t2024 \t2025 \n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    result = cli.invoke(args=["indicators", "import", str(empers)])
    assert result.exit_code == 0, result.output
    tertiary = tmp_path / "edat_lfse_04.tsv"
    tertiary.write_text(
        "freq,unit,sex,age,isced11,geo\\TIME_PERIOD\t2025 \n"
        + "".join(
            f"A,PC,T,Y25-64,ED5-8,{code}\t{f['tertiary']:.1f} \n" for code, f in figures.items()
        ),
        encoding="utf-8",
    )
    result = cli.invoke(args=["indicators", "import", str(tertiary)])
    assert result.exit_code == 0, result.output
    db.session.add_all(
        RegionPopulation(
            region_id=region_id(code), year=2026, population=int(f["population"]), source="test"
        )
        for code, f in figures.items()
    )
    db.session.commit()


def region_id(code: str) -> int:
    return db.session.scalar(select(Region.id).filter_by(code=code))


def test_imported_figures_give_each_region_its_structural_peers(app, cli, world, tmp_path):
    figures = structure()
    import_structure(cli, tmp_path, figures)
    assert db.session.scalar(select(func.count(RegionIndicator.id))) == len(REGIONS) * 5
    stored = db.session.scalar(
        select(RegionIndicator).filter_by(
            region_id=region_id("ES11"), indicator="employment_agriculture"
        )
    )
    assert stored.value == pytest.approx(figures["ES11"]["agri"], abs=0.01)
    assert stored.year == 2025 and stored.source == "Eurostat nama_10r_3empers"
    data = region_dashboard(world["regions"]["FR12"], world["round"], "en")
    columns = [column["label"] for column in data["groups"]["columns"]]
    assert "Structurally similar regions" in columns
    size = data["groups"]["columns"][columns.index("Structurally similar regions")]["size"]
    assert size == 1 + similar.NEAREST
    statement = data["similar"]
    # The method stated: indicators with their years, the source, what plays no part.
    for part in (
        "population (2026)",
        "GDP per head in purchasing power standards (2025)",
        "share of people aged 25-64 with tertiary education (2025)",
        "Eurostat nama_10r_2gdp",
        "scores play no part",
    ):
        assert part in statement
    # Some of the group did not agree to be named: then none is listed (named ones beside a
    # count of unnamed ones would let a reader of the public figures tell which they are).
    assert "The regions are not listed: not all of them agreed to be named." in statement
    for name, _level, _named in REGIONS.values():
        assert f"{name} (" not in statement
    # Where every one agreed, they are listed by code.
    from surveyapp.assessments.models import Assessment

    for assessment in db.session.scalars(select(Assessment)):
        assessment.consent_named = True
    db.session.commit()
    statement = region_dashboard(world["regions"]["FR12"], world["round"], "en")["similar"]
    assert "They are " in statement and "Region FR14 (FR14)" in statement
    listed = re.findall(r"\(([A-Z]{2}\d\d)\)", statement)
    assert len(listed) == similar.NEAREST and listed == sorted(listed)


def test_the_api_gives_the_group_and_its_method(
    app, cli, client, login, create_user, world, tmp_path
):
    import_structure(cli, tmp_path, structure())
    login(create_user(email="expert@example.org", role=Role.expert))
    round_id = world["round"].id
    body = client.get(f"/api/v1/rounds/{round_id}/regions/IT13/benchmark").get_json()
    group = next(g for g in body["groups"] if g["kind"] == "similar")
    assert group["size"] == 1 + similar.NEAREST and not group["suppressed"]
    described = body["similar"]
    assert [i["indicator"] for i in described["indicators"]] == list(similar.INDICATORS)
    assert {i["year"] for i in described["indicators"]} == {2025, 2026}
    # Some members did not agree to be named: none is listed, the unnamed ones are counted.
    assert described["regions"] == [] and 0 < described["unnamed"] <= similar.NEAREST


def test_without_figures_the_page_says_why_there_is_no_group(app, world):
    data = region_dashboard(world["regions"]["ES11"], world["round"], "en")
    assert "no structural indicators have been imported" in data["similar"]
    assert "Structurally similar regions" not in [c["label"] for c in data["groups"]["columns"]]


def test_a_bad_file_writes_nothing_and_names_the_line(app, cli, world, tmp_path):
    path = gdp_file(tmp_path, {"ES11": 25_000, "ES12": "25.5.1"})
    result = cli.invoke(args=["indicators", "import", str(path)])
    assert result.exit_code != 0
    assert "line 4: ES12 2025: '25.5.1 p' is not a number" in result.output
    assert db.session.scalar(select(func.count(RegionIndicator.id))) == 0


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_region_report_states_the_method(app, cli, world, tmp_path):
    from surveyapp.reporting.catalog import REGION, Job, build_context, definition
    from surveyapp.reporting.render import render_pdf
    from tests.test_reports import pdf_text

    import_structure(cli, tmp_path, structure())
    job = Job(REGION, world["round"].id, world["regions"]["ES12"].id)
    text = " ".join(
        pdf_text(render_pdf(definition(job), build_context(job), "en"), tmp_path).split()
    )
    assert "Structurally similar regions" in text
    assert "scores play no part" in text and "Eurostat edat_lfse_04" in text


def test_partners_outside_the_member_state_unless_asked_and_marked(
    app, cli, client, login, create_user, world, tmp_path
):
    import_structure(cli, tmp_path, structure())
    login(create_user(email="expert@example.org", role=Role.expert))
    url = f"/api/v1/rounds/{world['round'].id}/regions/ES12/partners"
    default = client.get(url).get_json()["partners"]
    assert default and not any(p["domestic"] for p in default)
    assert not any((p["code"] or "").startswith("ES") for p in default)
    both = client.get(url + "?domestic=1").get_json()["partners"]
    assert all(p["domestic"] == (p["code"] or "ES").startswith("ES") for p in both if p["code"])
    assert client.get(url + "?domestic=yes").status_code == 400
    page = client.get(f"/benchmarks/rounds/{world['round'].id}/regions/ES12?domestic=1").text
    assert "Only regions outside your Member State" in page


def test_the_export_lists_each_regions_similar_regions_by_its_ids(app, cli, world, tmp_path):
    from surveyapp.reporting.exports import export_tables

    import_structure(cli, tmp_path, structure())
    tables = export_tables(world["round"])
    regions = tables.regions.set_index("assessment")
    ids = set(regions.index)
    for similar_ids in regions["similar_regions"]:
        listed = [i.strip() for i in similar_ids.split(";")]
        assert len(listed) == similar.NEAREST and set(listed) <= ids
    # Regions that did not agree to be named appear by their pseudonymous id only.
    assert not any(
        code in cell
        for code, (_name, _level, named) in REGIONS.items()
        if not named
        for cell in regions["similar_regions"]
    )
    assert tables.manifest["similar"]["indicators"]["gdp_pps_per_head"] == 2025
    assert "Eurostat nama_10r_2gdp" in tables.manifest["similar"]["sources"]


def test_imported_figures_move_the_rounds_data_version(app, cli, world, tmp_path):
    """Stored reports and cached dashboards are kept under the data version: new figures must
    move it, or a report would keep naming the old similar regions."""
    from surveyapp.analysis.versions import query_data_versions

    round_id = world["round"].id
    before = query_data_versions([round_id])[round_id]
    import_structure(cli, tmp_path, structure())
    after = query_data_versions([round_id])[round_id]
    assert after != before
    # A corrected figure moves it again.
    stored = db.session.scalar(select(RegionIndicator).filter_by(indicator="density").limit(1))
    stored.value += 1
    db.session.commit()
    assert query_data_versions([round_id])[round_id] != after


def test_a_region_with_figures_but_no_comparable_peer_is_told_so(app, world):
    """ES11 and DE11 have every figure, the others only population and tertiary attainment;
    DE11 is not validated (no candidate): ES11 is placed but can be compared with no
    candidate, the others are not placed at all."""
    from surveyapp.assessments.models import Assessment

    figures = structure()
    for code, f in figures.items():
        rows = {"tertiary_attainment": f["tertiary"]}
        if code in ("ES11", "DE11"):
            rows |= {
                "density": f["density"],
                "gdp_pps_per_head": f["gdp"],
                "employment_agriculture": f["agri"],
                "employment_industry": f["industry"],
            }
        for indicator, value in rows.items():
            db.session.add(
                RegionIndicator(
                    region_id=region_id(code),
                    indicator=indicator,
                    year=2025,
                    value=value,
                    flags="",
                    source="test",
                )
            )
        db.session.add(
            RegionPopulation(
                region_id=region_id(code), year=2026, population=int(f["population"]), source="t"
            )
        )
    de11 = db.session.scalar(select(Assessment).filter_by(region_id=region_id("DE11")))
    de11.state = AssessmentState.submitted
    db.session.commit()
    data = region_dashboard(world["regions"]["ES11"], world["round"], "en")
    assert "no validated region of the round shares at least 4" in data["similar"]
    data = region_dashboard(world["regions"]["ES12"], world["round"], "en")
    assert "the region has fewer than 4" in data["similar"]


def test_a_region_above_nuts_2_is_told_why_it_has_no_similar_regions(
    app, cli, world, tmp_path, create_region, create_assessment
):
    import_structure(cli, tmp_path, structure())
    land = create_region("DE1", "Baden-Württemberg")  # NUTS 1 (a Land answers for itself)
    assessment = create_assessment(region=land, round_=world["round"])
    save_answer(assessment, "maturity", 3, world_writer())
    assessment.state = AssessmentState.validated
    db.session.commit()
    data = region_dashboard(land, world["round"], "en")
    assert "this region is at NUTS level 1" in data["similar"]


def world_writer():
    from surveyapp.auth.models import User

    return db.session.scalar(select(User).filter_by(email="writer@example.org"))
