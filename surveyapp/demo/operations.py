"""Synthetic demonstration data: three rounds of plausible, varied answers from ~60 regions.

The two closed rounds answer questionnaire version 1 (method 1.0), the open round the latest
version (method 2.0): "Don't know" on some scored items, "not applicable" with a reason that the
expert accepts or rejects, evidence on most answers that ask for it, confirmations, assessments
submitted and never reviewed, counts of the last 12 months against targets relative to the
region's population. The populations are synthetic too, and labelled so, as are the regions'
Thematic Partnership memberships (their source says so) and the one custom peer group;
categories of region are left unset rather than invented.

Everything is drawn from one seeded random generator, so the same seed and the same date give
the same database. Nothing here describes a real region's situation.
"""

from __future__ import annotations

import math
import random
import secrets
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from surveyapp.actions.models import Action, ActionStatus, ActionUpdate
from surveyapp.assessments.models import Answer, Assessment, AssessmentState
from surveyapp.assessments.operations import event_value
from surveyapp.assessments.queries import has_assessments
from surveyapp.audit.operations import log_event, log_events
from surveyapp.auth.models import Role, User
from surveyapp.auth.operations import create_user
from surveyapp.auth.queries import find_user_by_email
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.challenges.operations import ensure_default_categories
from surveyapp.extensions import db
from surveyapp.practices.models import GoodPractice
from surveyapp.publication.operations import publish, publish_blocker
from surveyapp.questionnaires.definition import Definition, Item
from surveyapp.questionnaires.loader import shipped_files
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.questionnaires.types import ALONE_OPTIONS, DONT_KNOW, NOT_APPLICABLE
from surveyapp.regions.models import (
    PartnershipRole,
    Region,
    RegionGroup,
    RegionIndicator,
    RegionPopulation,
)
from surveyapp.regions.operations import (
    SHIPPED_REGIONS_FILE,
    RegionAttributes,
    import_indicator_file,
    import_regions_file,
    save_region_group,
    set_region_attributes,
)
from surveyapp.regions.partnerships import THEMATIC_PARTNERSHIPS
from surveyapp.reviews.models import ChangeRequest, ItemComment, ModeratedScore, SectionRemark
from surveyapp.rounds.closing import closing_record
from surveyapp.rounds.models import Round, RoundState
from surveyapp.rounds.operations import create_round

DEMO_SLUG = "criterion7-interregional"
#: The questionnaire version the closed rounds answer (the open round answers the latest).
DEMO_EARLIER_VERSION = 1
#: How the demo's populations are labelled wherever a population is shown or exported.
DEMO_POPULATION_SOURCE = "synthetic (demo) — not Eurostat data"
#: How the demo's structural indicators are labelled (the similar-regions group).
DEMO_INDICATOR_SOURCE = "synthetic (demo) — not Eurostat data"
#: The source recorded with the demo's Thematic Partnership memberships (all invented).
DEMO_ATTRIBUTE_SOURCE = "synthetic demo data — not the S3 Platform's membership lists"
#: The share of demo regions that lead one of their (invented) partnerships.
DEMO_LEAD_SHARE = 0.2
#: The demo's custom peer group: invented, and named so.
DEMO_GROUP_NAME = "Synthetic demo group"
DEMO_GROUP_DESCRIPTION = (
    "Synthetic demo data: an invented set of demo regions that shows how a custom peer group "
    "works; not a real network of regions."
)
#: Inhabitants drawn (log-uniform) per NUTS level: plausible magnitudes, no real figures.
DEMO_POPULATION_RANGES = {
    0: (500_000, 60_000_000),
    1: (1_000_000, 15_000_000),
    2: (300_000, 7_000_000),
}
#: Countries drawn from, and how many NUTS 2 regions each contributes.
DEMO_COUNTRIES = {
    "ES": 6,
    "IT": 6,
    "DE": 5,
    "FR": 5,
    "PL": 5,
    "PT": 4,
    "EL": 4,
    "NL": 4,
    "BE": 3,
    "AT": 3,
    "SE": 3,
    "FI": 3,
    "CZ": 3,
    "RO": 3,
    "HU": 2,
    "IE": 2,
}
DEMO_OFFICER_REGION = "ES21"
DEMO_MARKER = "demo.seeded"


#: The demo officer's region is middling, with clear strengths and weaknesses and some progress,
#: so that its benchmark shows something to act on.
DEMO_OFFICER_PROFILE_OFFSETS = {
    "governance": 1.3,
    "value_chains": 1.0,
    "universities_rtos": 0.8,
    "funding": -1.2,
    "multinationals": -1.4,
    "monitoring": -0.8,
}


class DemoRefused(RuntimeError):
    """The database holds assessments that may be real; seeding needs --force."""


@dataclass
class DemoResult:
    regions: int = 0
    rounds: int = 0
    assessments: int = 0
    answers: int = 0
    #: email -> password for the accounts to sign in with.
    logins: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None


def seed_demo(
    *,
    force: bool = False,
    seed: int = 7,
    today: date | None = None,
    rounds: int = 3,
    all_regions: bool = False,
) -> DemoResult:
    """Fill the database with synthetic rounds, regions, populations, users and answers.

    The closed rounds answer questionnaire version 1 and the open round the latest version
    (2: "Don't know", "not applicable" with a reason, evidence, counts per 12 months against a
    target relative to the region's population).

    :param force: add the demo data even when assessments already exist.
    :param rounds: how many half-year rounds, the last one open (at least 1).
    :param all_regions: every NUTS 2 region, each taking part in every round (in the open
        round as drawn: some not started), instead of about 60 regions that join round after
        round; production-sized data (benchmarks/migration_rehearsal.py).
    :raises DemoRefused: when assessments exist and ``force`` is false.
    """
    today = today or date.today()
    if has_assessments() and not force:
        raise DemoRefused(
            "the database already holds assessments, which may be real; demo seed only adds "
            "synthetic data to an empty database (use --force to add it anyway)"
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    earlier, current = _ensure_questionnaires()
    _ensure_regions()
    plan = _round_plan(today, rounds)
    if any(db.session.scalar(select(Round.id).filter_by(name=p.name)) for p in plan):
        return DemoResult(skipped="the demo rounds already exist")
    regions = _pick_regions(rng, all_regions)
    populations = _ensure_populations(regions, {p.reference_date.year for p in plan})
    _ensure_indicators(regions, {p.reference_date.year for p in plan})
    rounds = _make_rounds(plan, earlier, current)
    result = DemoResult(regions=len(regions), rounds=len(rounds))
    result.logins = _make_users(regions)
    authors = _region_authors(regions)
    profiles = {region.code: _Profile.draw(rng, earlier.parsed) for region in regions}
    profiles[DEMO_OFFICER_REGION] = DEMO_OFFICER_PROFILE
    expert = find_user_by_email("expert@demo.example")
    ensure_default_categories()
    categories = list(
        db.session.scalars(
            select(ChallengeCategory)
            .where(ChallengeCategory.active.is_(True))
            .order_by(ChallengeCategory.id)
        )
    )
    validated_before: set[str] = set()
    for number, round_ in enumerate(rounds):
        latest = number == len(rounds) - 1
        definition = round_.questionnaire.parsed
        validated_now = set()
        for region in regions:
            if not all_regions and not _takes_part(rng, number, len(rounds), region.code):
                continue
            if latest:
                outcome = _latest_outcome(rng, region.code, region.code in validated_before)
            else:
                outcome = _past_outcome(rng)
            if outcome == "not_started":
                continue
            if outcome == "validated":
                validated_now.add(region.code)
            profile = profiles[region.code]
            share = 0.5 if outcome == "draft" and region.code == DEMO_OFFICER_REGION else None
            answers = profile.answers(
                rng,
                definition,
                number,
                population=populations[region.code].get(round_.reference_day.year),
                share_filled=share,
                draft=outcome == "draft",
            )
            assessment = _make_assessment(
                rng, region, round_, outcome, answers, authors[region.code], today
            )
            if outcome in ("under_review", "changes_requested", "validated"):
                _add_review(
                    assessment, answers, number, expert, authors[region.code][0], categories
                )
            result.assessments += 1
            result.answers += len(answers.values)
        validated_before = validated_now
    db.session.flush()
    _make_action_plans(regions, rounds, categories, expert)
    _make_contact_requests(rounds)
    # As close_round keeps it: what the closed rounds' figures were built from when they closed.
    for round_ in rounds:
        if round_.state == RoundState.closed:
            db.session.add(closing_record(round_))
    db.session.flush()
    # The working group published the closed rounds' reports (see the public page), those
    # with enough submissions to show anything (a database seeded again may have too few).
    admin = find_user_by_email("admin@demo.example")
    for round_ in rounds:
        if round_.state == RoundState.closed and publish_blocker(round_) is None:
            publish(round_, admin)
    log_event(
        DEMO_MARKER,
        "database",
        None,
        new_value={"seed": seed, "regions": result.regions, "assessments": result.assessments},
    )
    return result


def _ensure_questionnaires() -> tuple[Questionnaire, Questionnaire]:
    """Load every shipped questionnaire file; the closed rounds' version (1) and the latest."""
    for path in shipped_files():
        load_questionnaire(path)
    versions = db.session.scalars(
        select(Questionnaire).filter_by(slug=DEMO_SLUG).order_by(Questionnaire.version)
    ).all()
    earlier = next((q for q in versions if q.version == DEMO_EARLIER_VERSION), versions[0])
    return earlier, versions[-1]


def _ensure_regions() -> None:
    if not db.session.scalar(select(func.count(Region.id))):
        import_regions_file(SHIPPED_REGIONS_FILE)


def _ensure_populations(regions: list[Region], years: set[int]) -> dict[str, dict[int, int]]:
    """A synthetic population for every demo region in every reference year of the rounds,
    labelled as such; a figure already stored (an administrator's, Eurostat's) is kept.

    Each region's figures come from a generator of its own (its code), so they do not change
    with the seed, and grow or shrink by a few per mille a year.
    """
    stored = {
        (p.region_id, p.year): p.population
        for p in db.session.scalars(
            select(RegionPopulation).where(RegionPopulation.region_id.in_([r.id for r in regions]))
        )
    }
    rows, populations = [], {}
    for region in regions:
        own = random.Random(f"demo-population-{region.code}")  # noqa: S311 - demo data
        low, high = DEMO_POPULATION_RANGES.get(region.level, DEMO_POPULATION_RANGES[2])
        base = math.exp(own.uniform(math.log(low), math.log(high)))
        growth = own.uniform(-0.006, 0.009)
        populations[region.code] = {}
        for year in sorted(years):
            population = stored.get((region.id, year))
            if population is None:
                population = round(base * (1 + growth) ** (year - min(years)), -2)
                rows.append(
                    {
                        "region_id": region.id,
                        "year": year,
                        "population": int(population),
                        "source": DEMO_POPULATION_SOURCE,
                    }
                )
            populations[region.code][year] = int(population)
    if rows:
        db.session.execute(insert(RegionPopulation.__table__), rows)
    return populations


#: The demo's structural indicators: Eurostat dataset -> (its dimensions, the rows of each
#: region as (codes of the dimensions, the generator's range of the value)). Shares are drawn
#: as parts of a total employment of 100.
_DEMO_INDICATOR_FILES = {
    "demo_r_d3dens": (("freq", "unit"), [(("A", "PER_KM2"), (15, 2500))]),
    "nama_10r_2gdp": (("freq", "unit"), [(("A", "PPS_EU27_2020_HAB"), (14_000, 60_000))]),
    "nama_10r_3empers": (
        ("freq", "unit", "wstatus", "nace_r2"),
        [
            (("A", "THS", "EMP", "TOTAL"), (100, 100)),
            (("A", "THS", "EMP", "A"), (0.5, 18)),
            (("A", "THS", "EMP", "B-E"), (8, 32)),
        ],
    ),
    "edat_lfse_04": (
        ("freq", "unit", "sex", "age", "isced11"),
        [(("A", "PC", "T", "Y25-64", "ED5-8"), (18, 52))],
    ),
}


def _ensure_indicators(regions: list[Region], years: set[int]) -> None:
    """Synthetic structural indicators for the demo's NUTS-2 regions, labelled as such, so that
    the similar-regions group has figures to work on; none when any indicator is stored (an
    administrator's Eurostat figures are never mixed with invented ones).

    They are written as Eurostat's SDMX-CSV files and imported as an administrator's would be
    (regions.operations.import_indicator_file), for the two years before each round's
    reference year (Eurostat's regional figures come a year or two late).
    """
    if db.session.scalar(select(func.count(RegionIndicator.id))):
        return
    figure_years = sorted({year - lag for year in years for lag in (1, 2)})
    with tempfile.TemporaryDirectory() as folder:
        for dataset, (dimensions, series) in _DEMO_INDICATOR_FILES.items():
            lines = [
                ",".join(("DATAFLOW", "LAST UPDATE", *dimensions, "geo")) + ","
                "TIME_PERIOD,OBS_VALUE,OBS_FLAG"
            ]
            for region in regions:
                if region.level != 2:
                    continue
                own = random.Random(f"demo-{dataset}-{region.code}")  # noqa: S311 - demo data
                for codes, (low, high) in series:
                    base = own.uniform(low, high)
                    for year in figure_years:
                        value = round(base * (1 + own.uniform(-0.01, 0.01)), 1)
                        lines.append(
                            f"ESTAT:{dataset.upper()}(1.0),,{','.join(codes)},{region.code},"
                            f"{year},{value},"
                        )
            path = Path(folder) / f"{dataset}.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_indicator_file(path, source=DEMO_INDICATOR_SOURCE)


def _make_contact_requests(rounds: list[Round]) -> None:
    """Two requests to be put in touch, from the partner suggestions of the demo officer's
    region in the latest closed round: one it received (waiting for its answer), one it sent
    (accepted), made and answered through the operations, as officers would."""
    from surveyapp.analysis import queries
    from surveyapp.contacts.models import ContactOrigin
    from surveyapp.contacts.operations import answer_contact, request_contact

    closed = [r for r in rounds if r.state == RoundState.closed]
    if not closed:
        return
    round_ = closed[-1]
    own = db.session.scalar(select(Region).filter_by(code=DEMO_OFFICER_REGION))
    results = queries.round_scores(round_)
    found = queries.partner_suggestions(results, own.id, limit=2)
    if len(found) < 2 or queries.assessment_of(results, own.id) is None:
        return
    asking, asked = found
    asker = db.session.get(Region, asking.region_id)
    request_contact(
        _officer_of(asker),
        asker,
        own.id,
        round_,
        ContactOrigin.suggestion,
        {
            "shared": asking.shared,
            "from_strengths": asking.their_strengths,
            "to_strengths": asking.your_strengths,
        },
        "Synthetic demo message: we would like to learn how you fund cooperation outside the "
        "Member State.",
    )
    sent = request_contact(
        find_user_by_email("officer2@demo.example"),
        own,
        asked.region_id,
        round_,
        ContactOrigin.suggestion,
        {
            "shared": asked.shared,
            "from_strengths": asked.your_strengths,
            "to_strengths": asked.their_strengths,
        },
        "Synthetic demo message: could we compare our monitoring of cooperation outcomes?",
    )
    answer_contact(_officer_of(db.session.get(Region, asked.region_id)), sent, accept=True)


def _officer_of(region: Region) -> User:
    return db.session.scalar(
        select(User).filter_by(email=f"officer.{region.code.lower()}@demo.example")
    )


@dataclass(frozen=True)
class _PlannedRound:
    name: str
    opens_on: date
    closes_on: date
    state: RoundState

    @property
    def reference_date(self) -> date:
        """The day the answers describe: the last day of the round."""
        return self.closes_on


def _round_dates(today: date, steps_back: int) -> tuple[str, date, date]:
    """The half-year round ``steps_back`` rounds before the one containing today."""
    half = (today.year * 2 + (today.month > 6)) - steps_back
    year, second = divmod(half, 2)
    if second:
        return f"{year} autumn", date(year, 9, 15), date(year, 12, 15)
    return f"{year} spring", date(year, 3, 1), date(year, 5, 31)


def _round_plan(today: date, count: int = 3) -> list[_PlannedRound]:
    """``count - 1`` closed rounds and the open one, oldest first."""
    plan = []
    for steps_back in range(max(count, 1) - 1, -1, -1):
        name, opens, closes = _round_dates(today, steps_back)
        state = RoundState.open if steps_back == 0 else RoundState.closed
        if steps_back == 0:
            opens, closes = min(opens, today), max(closes, today)
        plan.append(_PlannedRound(f"{name} (demo)", opens, closes, state))
    return plan


def _make_rounds(
    plan: list[_PlannedRound], earlier: Questionnaire, current: Questionnaire
) -> list[Round]:
    """The closed rounds on the earlier questionnaire version, the open one on the latest."""
    rounds = []
    for planned in plan:
        questionnaire = current if planned.state == RoundState.open else earlier
        round_ = create_round(
            planned.name,
            questionnaire,
            planned.opens_on,
            planned.closes_on,
            planned.state,
            reference_date=planned.reference_date,
        )
        # Past rounds' reviews are finished: their moderated scores are shown to officers.
        round_.moderated_released = planned.state == RoundState.closed
        if planned.state == RoundState.closed:
            # Closed at the end of its last day, after its reviews (stamped at 10:00 that day):
            # its figures are frozen with every demo validation in them.
            round_.closed_at = datetime.combine(planned.closes_on, time(18, 0), tzinfo=UTC)
        rounds.append(round_)
    return rounds


def _pick_regions(rng: random.Random, all_regions: bool = False) -> list[Region]:
    if all_regions:
        picked = list(db.session.scalars(select(Region).filter_by(level=2).order_by(Region.code)))
    else:
        picked = _sample_regions(rng)
    partnerships = list(THEMATIC_PARTNERSHIPS)
    for region in picked:
        # Draw for every region so the sequence does not depend on what is already set,
        # but never overwrite what an administrator entered. Categories of region are not
        # invented: a made-up category would contradict the Commission's list (Wien is no less
        # developed region), so they stay unset until an administrator records them.
        leads = rng.random() < DEMO_LEAD_SHARE
        memberships = sorted(rng.sample(partnerships, rng.randint(0, 4)))
        if region.partnerships or not memberships:
            continue
        roles = dict.fromkeys(memberships, PartnershipRole.member)
        if leads:
            roles[memberships[0]] = PartnershipRole.lead
        set_region_attributes(
            region,
            RegionAttributes(partnerships=roles),
            DEMO_ATTRIBUTE_SOURCE,
            only=("partnerships",),
        )
    picked.sort(key=lambda region: region.code)
    _ensure_demo_group(picked)
    return picked


def _sample_regions(rng: random.Random) -> list[Region]:
    """DEMO_COUNTRIES' share of each country's NUTS 2 regions, the demo officer's among them."""
    picked = []
    for country, count in DEMO_COUNTRIES.items():
        candidates = list(
            db.session.scalars(
                select(Region).filter_by(country=country, level=2).order_by(Region.code)
            )
        )
        chosen = rng.sample(candidates, min(count, len(candidates)))
        if country == DEMO_OFFICER_REGION[:2]:
            officer_region = next(r for r in candidates if r.code == DEMO_OFFICER_REGION)
            if officer_region not in chosen:
                chosen[0] = officer_region
        picked.extend(chosen)
    return picked


def _ensure_demo_group(regions: list[Region]) -> None:
    """A custom peer group of every fourth demo region, named and described as invented."""
    if db.session.scalar(select(RegionGroup.id).filter_by(name=DEMO_GROUP_NAME)) is None:
        codes = " ".join(region.code for region in regions[::4])
        save_region_group(None, DEMO_GROUP_NAME, codes, DEMO_GROUP_DESCRIPTION, None)


def _make_users(regions: list[Region]) -> dict[str, str]:
    """One login per role (passwords printed), plus non-login co-authors for every region."""
    officer_region = next(r for r in regions if r.code == DEMO_OFFICER_REGION)
    logins = {}
    for email, name, role, user_regions in (
        ("admin@demo.example", "Ada Admin", Role.admin, []),
        ("expert@demo.example", "Emil Expert", Role.expert, []),
        ("officer@demo.example", "Olga Officer", Role.officer, [officer_region]),
        ("officer2@demo.example", "Oscar Officer", Role.officer, [officer_region]),
    ):
        if find_user_by_email(email) is not None:
            continue
        # Not from the seeded generator: every installation gets its own passwords.
        password = f"demo-{role}-{secrets.token_hex(6)}"
        create_user(email, name, role, password, user_regions)
        logins[email] = password
    # Co-authors of the other regions cannot sign in: their password is a discarded secret.
    unusable_hash = generate_password_hash(secrets.token_urlsafe(32), method="scrypt")
    for region in regions:
        email = f"officer.{region.code.lower()}@demo.example"
        if find_user_by_email(email) is None:
            db.session.add(
                User(
                    email=email,
                    name=f"Officer {region.code}",
                    role=Role.officer,
                    password_hash=unusable_hash,
                    regions=[region],
                )
            )
    db.session.flush()
    return logins


def _region_authors(regions: list[Region]) -> dict[str, list[User]]:
    authors: dict[str, list[User]] = {region.code: [] for region in regions}
    for user in db.session.scalars(select(User).where(User.role == Role.officer).order_by(User.id)):
        for region in user.regions:
            if region.code in authors:
                authors[region.code].append(user)
    return authors


def _takes_part(rng: random.Random, number: int, total: int, code: str) -> bool:
    """Participation grows round after round; the demo officer's region always takes part."""
    if code == DEMO_OFFICER_REGION:
        return True
    return rng.random() < 0.7 + 0.3 * number / max(total - 1, 1)


def _past_outcome(rng: random.Random) -> str:
    return rng.choices(["validated", "submitted"], weights=[7, 3])[0]


def _latest_outcome(rng: random.Random, code: str, validated_before: bool) -> str:
    """Where the region stands in the open round. The experts review first the regions they
    validated last round, so a panel of regions is validated in both rounds."""
    if code == DEMO_OFFICER_REGION:
        return "draft"
    return rng.choices(
        ["submitted", "under_review", "changes_requested", "validated", "draft", "not_started"],
        weights=[25, 9, 6, 32 if validated_before else 8, 24, 12],
    )[0]


#: The workflow steps that bring a new assessment to each outcome.
_STEPS = {
    "draft": [],
    "submitted": ["submit"],
    "under_review": ["submit", "start_review"],
    "changes_requested": ["submit", "start_review", "request_changes"],
    "validated": ["submit", "start_review", "validate"],
}


def _make_assessment(rng, region, round_, outcome, answers, authors, today) -> Assessment:
    # Every timestamp falls inside the round (and not after today), so history reads sensibly.
    stamp = datetime.combine(min(round_.closes_on, today), time(10, 0), tzinfo=UTC)
    stamp = min(stamp, datetime.now(UTC))
    started = datetime.combine(round_.opens_on, time(9, 0), tzinfo=UTC)
    assessment = Assessment(
        region=region, round=round_, created_at=started, state_changed_at=started
    )
    db.session.add(assessment)
    steps = _STEPS[outcome]
    for step in steps:
        getattr(assessment, step)()
    if steps:
        assessment.submitted_at = assessment.state_changed_at = stamp
        assessment.consent_named = _consents(region.code)
    db.session.flush()  # the answers and events need the assessment's id
    definition = round_.questionnaire.parsed
    rows = [
        {
            "assessment_id": assessment.id,
            "item_id": item_id,
            "section_id": definition.item(item_id).section_id,
            "value": value,
            "na_reason": answers.na_reasons.get(item_id),
            "evidence": answers.evidence.get(item_id),
            "updated_at": stamp,
            "updated_by_id": rng.choice(authors).id,
        }
        for item_id, value in answers.values.items()
    ]
    trail = [_event(assessment, started, "assessment.started")]
    if rows:
        # One statement for all of them (the ORM's unit of work took most of the seed's time).
        ids = dict(
            db.session.execute(insert(Answer).returning(Answer.item_id, Answer.id), rows).all()
        )
        trail += [
            {
                **_event(assessment, row["updated_at"], "answer.changed"),
                "user_id": row["updated_by_id"],
                "object_type": "answer",
                "object_id": ids[row["item_id"]],
                "item_id": row["item_id"],
                # With its reason for "not applicable" and its evidence, as save_answer logs it.
                "new_value": event_value(row["value"], row["na_reason"], row["evidence"]),
            }
            for row in rows
        ]
    if steps:
        trail.append(
            _event(
                assessment,
                stamp,
                "assessment.submitted",
                authors[0],
                old_value=str(AssessmentState.draft),
                new_value=str(AssessmentState.submitted),
            )
        )
    _write_trail(trail)
    return assessment


def _event(assessment: Assessment, when: datetime, action: str, user=None, **values) -> dict:
    """An audit event as the operation it stands for writes it, dated in the demo's past (so
    that each demo assessment's history tells how its answers and state came about)."""
    return {
        "created_at": when,
        "user_id": user.id if user else None,
        "action": action,
        "object_type": "assessment",
        "object_id": assessment.id,
        "assessment_id": assessment.id,
        "item_id": None,
        "old_value": None,
        "new_value": None,
        **values,
    }


def _write_trail(events: list[dict]) -> None:
    log_events(events)


#: What the demo expert says: (comment, officer's reply, rationale for a lower score,
#: rationale for a higher one).
REVIEW_LINES = [
    (
        "Is this measure funded in the current programme, or only planned?",
        "It is funded: see the 2025 call under Priority 1, budget line 1.2.",
        "The measure is announced but not yet budgeted.",
        "The 2025 call funds the measure: it runs, beyond the level chosen.",
    ),
    (
        "Please add a link to the document that describes this.",
        "Added the link to the action plan, page 14.",
        "The evidence describes intentions rather than practice.",
        "The action plan shows the measure in practice with partners, beyond the level chosen.",
    ),
    (
        "Which partner regions does this involve?",
        "Three partners so far, listed in the project fiche.",
        "Only one partnership is active; the level describes several.",
        "Three partnerships are active, as the next level describes.",
    ),
]
#: Title, critical aspects and keywords the demo expert gives each demo good-practice text.
DEMO_PRACTICES = [
    ("Interregional matchmaking desk", ["sme_adoption", "innovation_agencies"], ["matchmaking"]),
    ("Joint calls with neighbouring regions", ["sme_adoption"], ["joint calls", "erdf"]),
    ("Shared catalogue of testing facilities", ["universities_rtos"], ["testing", "catalogue"]),
]
#: Why the demo expert rejects a "not applicable" (the item applies to the region).
NA_REJECTIONS = [
    "The reason given is not structural: the region could take part, so the question applies. "
    'It counts as "Don\'t know" until the region answers it.',
    "The region's own documents (the S3 analysis, chapter 2) describe what this question asks "
    "about, so it applies; any moderated level set here is what those documents show.",
]
#: The demo expert's covering message when asking for changes.
CHANGE_REQUEST = (
    "Please answer the questions I commented on and add evidence for the higher levels; "
    "I will look at the assessment again when you resubmit it."
)
REMARK = (
    "A clear section with good evidence. The cooperation measures would gain from a budget line "
    "of their own and from monitoring targets."
)


def _add_review(
    assessment: Assessment,
    answers: _Answers,
    round_number: int,
    expert: User,
    officer: User,
    categories: list[ChallengeCategory],
) -> None:
    """An expert's review: moderated scores, a resolved thread and a remark (own generator).

    On a format-2 questionnaire the expert also decides on the region's "not applicable"
    answers (all of them before validating) and confirms some answers as they stand.
    """
    rng = random.Random(f"{assessment.region.code}-{round_number}")  # noqa: S311 - demo data
    definition = assessment.round.questionnaire.parsed
    values = answers.values
    scored = [
        i
        for i in definition.items
        if i.type == "scale" and i.id in values and values[i.id] != DONT_KNOW
    ]
    assessment.reviewer = expert
    db.session.flush()  # the scores and remarks need the assessment's id
    stamp = assessment.state_changed_at
    validated = assessment.state == AssessmentState.validated
    trail = [
        _event(
            assessment, stamp, "review.started", expert, new_value=str(AssessmentState.under_review)
        )
    ]
    moderated = set()
    for item in rng.sample(scored, min(3, len(scored))):
        own = item.question_type.score(item, values[item.id])
        if own is None:
            continue
        moderated.add(item.id)
        comment, reply, lower_reason, higher_reason = rng.choice(REVIEW_LINES)
        lower = max(0.0, min(100.0, own + rng.choice([-20, -20, 20])))
        # A raised score is not justified with a reason for lowering it.
        rationale = higher_reason if lower > own else lower_reason
        trail.append(
            _event(assessment, stamp, "score.moderated", expert, item_id=item.id, new_value=lower)
        )
        db.session.add(
            ModeratedScore(
                assessment_id=assessment.id,
                item_id=item.id,
                score=lower,
                rationale=rationale if lower != own else None,
                expert=expert,
                updated_at=stamp,
            )
        )
        db.session.add_all(
            [
                ItemComment(
                    assessment=assessment,
                    item_id=item.id,
                    author=expert,
                    body=comment,
                    created_at=stamp,
                    resolved=validated,
                    resolved_by=officer if validated else None,
                    resolved_at=stamp if validated else None,
                ),
                *(
                    [
                        ItemComment(
                            assessment=assessment,
                            item_id=item.id,
                            author=officer,
                            body=reply,
                            created_at=stamp,
                            resolved=True,
                        )
                    ]
                    if validated
                    else []
                ),
            ]
        )
    if definition.format >= 2:
        trail += _decide_and_confirm(
            rng, assessment, definition, answers, moderated, expert, officer
        )
    practice = values.get("gp_good_practice")
    written_up = dict(zip(_GOOD_PRACTICE_TEXTS, DEMO_PRACTICES, strict=True)).get(practice)
    if assessment.state == AssessmentState.validated and written_up:
        title, aspects, tags = written_up
        db.session.add(
            GoodPractice(
                assessment=assessment,
                item_id="gp_good_practice",
                title=title,
                summary=practice,
                aspects=aspects,
                dimensions=["partnerships"],
                tags=tags,
                created_by=expert,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    if values.get("gp_main_challenges") and categories:
        aspect = rng.choice([None, *(a.id for a in definition.aspects)])
        for category in rng.sample(categories, 2):
            db.session.add(
                ChallengeTag(
                    assessment_id=assessment.id,
                    item_id="gp_main_challenges",
                    category_id=category.id,
                    aspect=aspect,
                    expert_id=expert.id,
                    created_at=stamp,
                )
            )
    section = rng.choice([s for s in definition.sections if any(i.is_scored for i in s.items)])
    db.session.add(
        SectionRemark(
            assessment_id=assessment.id,
            section_id=section.id,
            body=REMARK,
            expert=expert,
            updated_at=stamp,
        )
    )
    trail.append(_event(assessment, stamp, "remark.saved", expert, new_value=REMARK))
    if assessment.state == AssessmentState.changes_requested:
        db.session.add(
            ChangeRequest(
                assessment_id=assessment.id, expert=expert, message=CHANGE_REQUEST, created_at=stamp
            )
        )
        trail.append(
            _event(
                assessment,
                stamp,
                "review.changes_requested",
                expert,
                new_value=str(AssessmentState.changes_requested),
            )
        )
    if validated:
        trail.append(
            _event(
                assessment,
                stamp,
                "review.validated",
                expert,
                new_value=str(AssessmentState.validated),
            )
        )
    _write_trail(trail)


def _decide_and_confirm(rng, assessment, definition, answers, moderated, expert, officer) -> list:
    """The expert's decisions on "not applicable" answers (every one when the assessment is
    validated, most of them while under review: a rejection explains why the item applies and
    may set the moderated score) and explicit confirmations of a few answers as they stand."""
    stamp = assessment.state_changed_at
    validated = assessment.state == AssessmentState.validated
    values = answers.values
    trail = []
    for item in definition.items:
        if values.get(item.id) != NOT_APPLICABLE or not item.is_scored:
            continue
        if not validated and rng.random() < 0.3:
            continue  # still to decide
        weak = answers.na_reasons.get(item.id) in WEAK_NA_REASONS
        rejected = weak or rng.random() < 0.15
        score = rng.choice([None, 20.0]) if rejected and not weak else None
        rationale = (NA_REJECTIONS[0] if weak else NA_REJECTIONS[1]) if rejected else None
        db.session.add(
            ModeratedScore(
                assessment_id=assessment.id,
                item_id=item.id,
                score=score,
                na_decision="rejected" if rejected else "accepted",
                rationale=rationale,
                expert=expert,
                updated_at=stamp,
            )
        )
        # As reviews.operations.decide_not_applicable writes it.
        trail.append(
            _event(
                assessment,
                stamp,
                "review.na_rejected" if rejected else "review.na_accepted",
                expert,
                item_id=item.id,
                new_value=score,
            )
        )
        if rejected:
            db.session.add(
                ItemComment(
                    assessment=assessment,
                    item_id=item.id,
                    author=expert,
                    body=rationale,
                    created_at=stamp,
                    resolved=validated,
                    resolved_by=officer if validated else None,
                    resolved_at=stamp if validated else None,
                )
            )
        moderated.add(item.id)
    answered = [
        item
        for item in definition.items
        if item.is_scored
        and item.id not in moderated
        and item.id in values
        and values[item.id] not in (NOT_APPLICABLE, DONT_KNOW)
    ]
    count = rng.randint(4, 10) if validated else rng.randint(0, 4)
    for item in rng.sample(answered, min(count, len(answered))):
        # A confirmation keeps the region's answer: no score of its own (as confirm_item).
        db.session.add(
            ModeratedScore(
                assessment_id=assessment.id,
                item_id=item.id,
                score=None,
                confirmed=True,
                expert=expert,
                updated_at=stamp,
            )
        )
        trail.append(_event(assessment, stamp, "review.item_confirmed", expert, item_id=item.id))
    return trail


#: (title, solution, challenge kind (category code), aspect, status per round: oldest first)
DEMO_ACTIONS = [
    (
        "Set up an interregional matchmaking desk in the innovation agency",
        "A named owner for the partner list and scheduled follow-up with each company.",
        "partner_finding",
        "innovation_agencies",
        ["planned", "in_progress", "done"],
    ),
    (
        "Reserve co-financing for regional partners in projects led abroad",
        "A budget line in the ERDF programme for the regional share of I3 projects.",
        "funding",
        "sme_adoption",
        ["planned", "planned", "in_progress"],
    ),
    (
        "Publish a common catalogue of testing facilities in English",
        "University-industry liaison offices maintain one shared catalogue.",
        "data",
        "universities_rtos",
        ["planned", "done", "done"],
    ),
]


def _make_action_plans(regions, rounds, categories, expert) -> None:
    """Action plans for the demo officer's region and a few others, with progress per round."""
    by_code = {c.code: c for c in categories}
    planners = [r for r in regions if r.code == DEMO_OFFICER_REGION]
    planners += [r for r in regions if r.code != DEMO_OFFICER_REGION and _consents(r.code)][:4]
    for number, region in enumerate(planners):
        plan = DEMO_ACTIONS if number == 0 else [DEMO_ACTIONS[number % len(DEMO_ACTIONS)]]
        for title, solution, category, aspect, statuses in plan:
            action = Action(
                region=region,
                title=title,
                solution=solution,
                category=by_code.get(category),
                aspect=aspect,
                owner="Regional innovation agency",
                target_round=rounds[-1],
                created_by_id=expert.id,
                created_at=datetime.combine(rounds[0].opens_on, time(9, 0), tzinfo=UTC),
            )
            db.session.add(action)
            # Progress in the latest rounds (all of them when there are fewer than statuses).
            recent = rounds[-len(statuses) :]
            for round_, status in zip(recent, statuses[-len(recent) :], strict=True):
                action.updates.append(ActionUpdate(round=round_, status=ActionStatus(status)))
            action.status = ActionStatus(statuses[-1])


def _consents(code: str) -> bool:
    """About seven regions in ten agree to be named (fixed per region, not drawn from the rng)."""
    return code == DEMO_OFFICER_REGION or zlib.crc32(code.encode()) % 10 < 7


@dataclass
class _Answers:
    """A region's answers to one round: values, and the reasons and evidence beside them."""

    values: dict[str, Any] = field(default_factory=dict)
    #: item id -> why it does not apply (with a "not applicable" answer).
    na_reasons: dict[str, str] = field(default_factory=dict)
    #: item id -> a link or reference (format 2: on most answers that ask for evidence).
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass
class _Profile:
    """A region's latent maturity: a level overall, an offset per dimension, a yearly trend."""

    level: float
    offsets: dict[str, float]
    trend: float
    #: No multinational company has an establishment in the region (a structural "not
    #: applicable" on the multinationals questions that allow it, and little to report on
    #: the others).
    no_multinationals: bool = False

    @classmethod
    def draw(cls, rng: random.Random, definition: Definition) -> _Profile:
        return cls(
            level=rng.uniform(0.9, 4.0),
            offsets={d.id: rng.gauss(0, 0.7) for d in definition.dimensions},
            trend=rng.uniform(-0.05, 0.4),
            no_multinationals=rng.random() < 0.2,
        )

    def maturity(self, item: Item, round_number: int) -> float:
        """Expected level 0-5 of this region on this item in this round."""
        home = item.home or item.dimension or ""
        base = self.level + self.offsets.get(home, 0) + self.trend * round_number
        if self.no_multinationals and _about_multinationals(item):
            base = min(base, 0.5)
        return max(0.0, min(5.0, base))

    def not_applicable(self, rng: random.Random, item: Item) -> bool:
        """Whether the region answers "not applicable" (format 2, items that allow it)."""
        if _about_multinationals(item):
            return self.no_multinationals
        return rng.random() < 0.06

    def answers(
        self, rng, definition, round_number, population=None, share_filled=None, draft=False
    ) -> _Answers:
        """Answers for every visible item; drafts stop part-way through the questionnaire.

        On a format-2 questionnaire some scored answers are "Don't know", a "not applicable"
        comes with its reason, and most answers that ask for evidence have it.
        """
        items = list(definition.items)
        if share_filled is None and draft:
            share_filled = rng.uniform(0.2, 0.9)
        cut = len(items) if share_filled is None else int(len(items) * share_filled)
        method_2 = definition.format >= 2
        result = _Answers()
        for item in items[:cut]:
            if not item.is_visible(result.values):
                continue
            maturity = self.maturity(item, round_number)
            if method_2 and item.allow_dk and rng.random() < (0.07 if maturity < 2 else 0.025):
                value = DONT_KNOW
            elif method_2 and item.allow_na and self.not_applicable(rng, item):
                value = NOT_APPLICABLE
            elif method_2:
                value = _answer_v2(rng, item, maturity, population)
            else:
                value = _answer_for(rng, item, maturity)
            if value is None:
                continue
            value = item.question_type.clean(item, value)
            result.values[item.id] = value
            if value == NOT_APPLICABLE and method_2:
                result.na_reasons[item.id] = _na_reason_for(rng, item)
            elif method_2 and item.asks_evidence(value) and rng.random() < 0.8:
                result.evidence[item.id] = _evidence_for(rng, item)
        return result


DEMO_OFFICER_PROFILE = _Profile(level=2.4, offsets=DEMO_OFFICER_PROFILE_OFFSETS, trend=0.25)


def _answer_for(rng: random.Random, item: Item, maturity: float) -> Any:
    """A plausible answer of the item's type for a region of this maturity (0-5)."""
    kind, config = item.type, item.config
    noisy = maturity + rng.gauss(0, 0.8)
    if kind == "scale":
        if config.get("allow_na") and rng.random() < 0.05:
            return NOT_APPLICABLE
        return max(0, min(5, round(noisy)))
    if kind == "yes_no":
        return rng.random() < 0.15 + 0.16 * maturity
    if kind == "percent":
        return round(max(0.0, min(100.0, noisy * 14 + rng.uniform(0, 8))), 1)
    if kind == "number":
        return _number_for(rng, config, noisy)
    if kind in ("single_choice", "multi_choice"):
        return _choice_for(rng, item, noisy)
    if kind in ("text", "long_text"):
        return _text_for(rng, item)
    if kind == "url_list":
        return [
            f"https://www.example.org/s3/{item.id.replace('_', '-')}-{number}.pdf"
            for number in sorted(rng.sample(range(1, 10), rng.randint(1, 3)))
        ]
    return None


def _answer_v2(rng: random.Random, item: Item, maturity: float, population: int | None) -> Any:
    """As _answer_for, on a format-2 item ("not applicable" is decided by the profile), with
    counts of the last 12 months near a target relative to the region's population."""
    if item.type == "scale":
        return max(0, min(5, round(maturity + rng.gauss(0, 0.8))))
    if item.type == "number" and item.relative_target:
        noisy = maturity + rng.gauss(0, 0.8)
        target = _relative_target(item.relative_target, population)
        count = target * min(max(noisy, 0), 5) / 4 * rng.uniform(0.7, 1.2)
        high = item.config.get("max")
        return min(round(count), high) if high is not None else round(count)
    if item.type == "number" and isinstance(item.config.get("target"), dict):
        return _number_for(rng, {**item.config, "target": None}, maturity + rng.gauss(0, 0.8))
    return _answer_for(rng, item, maturity)


def _relative_target(rule: dict, population: int | None) -> float:
    """max(floor, rho x P^exponent), P in millions (1.5 million when the region has none)."""
    millions = (population or 1_500_000) / 1_000_000
    return max(rule.get("floor", 1), rule["per_million"] * millions ** rule.get("exponent", 0.5))


def _about_multinationals(item: Item) -> bool:
    return item.home == "multinationals" or item.id.startswith("mnc_")


def _na_reason_for(rng: random.Random, item: Item) -> str:
    """A reason as an officer writes it: mostly the structural one the item names, sometimes
    one an expert will not accept."""
    if rng.random() < 0.25:
        return rng.choice(WEAK_NA_REASONS)
    key = next((prefix for prefix in NA_REASONS if prefix and item.id.startswith(prefix)), "")
    return rng.choice(NA_REASONS[key])


def _evidence_for(rng: random.Random, item: Item) -> str:
    if rng.random() < 0.7:
        return f"https://www.example.org/s3/evidence/{item.id.replace('_', '-')}.pdf"
    return rng.choice(EVIDENCE_REFERENCES)


#: What officers write as the structural reason for "not applicable", by item id prefix.
NA_REASONS = {
    "mnc_": [
        "No multinational company has an establishment in the region.",
        "The only multinational establishment in the region is a sales office, with no "
        "production or research here.",
    ],
    "vch_clusters": [
        "No cluster organisation is active in any of our S3 priority areas.",
    ],
    "": [
        "The structure this question asks about does not exist in the region.",
    ],
}
#: Reasons that name no structural cause (the demo expert rejects them).
WEAK_NA_REASONS = [
    "We have not collected information on this yet.",
    "Not a priority in the current programming period.",
]

#: Evidence given as a reference rather than a link (synthetic documents).
EVIDENCE_REFERENCES = [
    "S3 action plan 2024, chapter 5 (interregional cooperation)",
    "Minutes of the S3 steering committee, 12 March, item 4",
    "ERDF programme, priority 1, specific objective 1.1, section 2.1.1.1",
    "Annual implementation report, annex 3 (list of projects)",
]


def _number_for(rng: random.Random, config: dict, noisy: float) -> float:
    low, high = config.get("min", 0), config.get("max")
    target = config.get("target") or (high if high is not None else 20)
    value = max(low, target * max(noisy, 0) / 4 * rng.uniform(0.7, 1.2))
    if high is not None:
        value = min(value, high)
    return round(value) if config.get("integer", True) else round(value, 1)


def _choice_for(rng: random.Random, item: Item, noisy: float) -> Any:
    options = item.config["options"]
    if item.type == "single_choice":
        if item.is_scored:
            best = min(options, key=lambda o: abs(o["score"] - noisy * 20) + rng.random() * 10)
            return best["value"]
        return rng.choice(options)["value"]
    # "None", "No analysis done", "Not known": chosen on their own or not at all (as the
    # questionnaire's rule accepts them).
    exclusive = [o["value"] for o in options if o["value"] in ALONE_OPTIONS]
    regular = [o["value"] for o in options if o["value"] not in exclusive]
    count = max(0, min(len(regular), round(noisy / 5 * len(regular) + rng.uniform(-1, 1))))
    count = min(count, item.config.get("max_choices") or count)
    if count == 0:
        return exclusive[:1] or [rng.choice(regular)]
    return rng.sample(regular, count)


#: The demo's good-practice answers (DEMO_PRACTICES gives each its title, in this order).
_GOOD_PRACTICE_TEXTS = [
    "A standing interregional matchmaking desk in the innovation agency pairs regional "
    "SMEs with partners from Thematic Partnership regions; it worked because one person "
    "owns the partner list and follow-up is scheduled with each company.",
    "Joint calls with two neighbouring regions pooled ERDF and national funds for pilot "
    "lines in advanced manufacturing; a shared evaluation panel kept the process simple.",
    "Our university-industry liaison offices publish a common catalogue of testing "
    "facilities in English, which made it easy for companies in partner regions to book them.",
]

_TEXTS = {
    "short": [
        "Regional development agency, S3 unit",
        "Managing authority of the regional ERDF programme",
        "Regional innovation agency, international cooperation office",
        "Department for economic development and research",
    ],
    "contributors": [
        "Managing authority, regional innovation agency, two universities and the cluster "
        "association.",
        "S3 unit with the research department, the chamber of commerce and the regional "
        "development agency.",
    ],
    "priorities": [
        "Agri-food, advanced manufacturing, renewable energy and health.",
        "Smart mobility, bioeconomy, digital industry and sustainable tourism.",
        "Blue economy, energy transition, life sciences and creative industries.",
    ],
    "good_practice": _GOOD_PRACTICE_TEXTS,
    "success": [
        "Political backing from the regional minister, a named coordinator with time for the "
        "task, and partners who met every quarter.",
        "Co-financing agreed before the call opened and a simple shared reporting template.",
    ],
    "challenge": [
        "Staff capacity: international cooperation depends on one or two people and stops "
        "when they leave. Co-financing rules differ between programmes and slow joint projects.",
        "Finding partners whose S3 priorities match ours at the same maturity is slow; "
        "legal barriers to funding beneficiaries outside the Member State remain unclear.",
        "Monitoring data on interregional projects is scattered across programmes, so we "
        "cannot show results to decision makers.",
    ],
    "support": [
        "Peer review of our cooperation measures by regions further along, and templates for "
        "agreements with partners outside the Member State.",
        "Help with combining ERDF, I3 and Horizon Europe funding for the same value chain.",
    ],
    "partnerships": [
        "Traceability and Big Data (Agri-Food), member, since 2019\n"
        "Smart Grids (Energy), co-lead, since 2021",
        "Photonics (Industrial Modernisation), member, since 2018",
    ],
    "justification": [
        "The S3 sets out interregional cooperation measures in its implementation chapter; "
        "participation in two Thematic Partnerships and the regional Interreg projects "
        "provide the main channels.",
        "Cooperation measures are described in the action plan and reviewed by the S3 "
        "steering committee each year.",
    ],
}

#: Which pool a free-text item draws from, by words in its id (the first match wins).
_TEXT_POOLS = [
    ("tp_names", "partnerships"),
    ("contributor", "contributors"),
    ("priorit", "priorities"),
    ("success", "success"),
    ("practice", "good_practice"),
    ("challenge", "challenge"),
    ("barrier", "challenge"),
    ("support", "support"),
]


def _text_for(rng: random.Random, item: Item) -> str:
    if item.type == "text":
        pool = _TEXTS["short"]
    else:
        key = next((pool for word, pool in _TEXT_POOLS if word in item.id), "justification")
        pool = _TEXTS[key]
    limit = item.question_type.max_length(item)
    return rng.choice(pool)[:limit]
