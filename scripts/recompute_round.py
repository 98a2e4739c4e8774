#!/usr/bin/env python3
"""Recompute every index of a round from its export bundle alone, and compare (method 2.0, D19).

An independent implementation of the method's annex: it imports nothing from surveyapp (only
the standard library), reads the export zip's ``items.csv`` (the annex's item table: home,
weight, scoring rule, gate, "not applicable" allowed), ``answers.csv`` (each assessment's
answers, statuses and experts' scores) and ``regions.csv`` (populations, validation, groups),
and rebuilds:

* every item's status (value, dk, blank, hidden by its gate, na_pending/accepted/rejected) and
  score, self and moderated, from the item's rule (scale, yes/no, percent, option scores, an
  absolute target, or a count against max(floor, rho x P^beta) with P the population in
  millions): under method 2.0 a hidden scored item, "Don't know" and a blank score 0, every
  "not applicable" the region claimed is left out of its self score, a pending or rejected one
  counts 0 in the moderated score and an accepted one is left out of both; an expert's score
  replaces the moderated one. Under method 1.0 (format-1 questionnaires) blanks, "Don't know",
  "not applicable" and hidden items are left out;
* every dimension and aspect index: the weighted mean over counted items, shown only when the
  counted weight is at least 2/3 of the index's scored weight (3 x counted >= 2 x total);
* the criterion-7 index: the plain mean of the six dimensions, shown only when all six are;
* the median (and, from 10 regions, the quartiles, numpy's "linear" = Hyndman-Fan type 7) of
  the validated regions' moderated scores in every group the bundle shows (at least 5 values).

Each figure is compared with ``results.csv`` at the precision it is printed with: one decimal,
half away from zero, on the value canonicalised to 9 decimals (half to even); item scores,
coverage and counts exactly; each CSV file's SHA-256 with the manifest's. A score column holds
the score as printed and ``<column>_exact`` every digit (bundles before issue 25: the digits in
the column and the printed text in ``<column>_shown``): the full-precision value is recomputed,
and the printed one must be the recomputed value as printed. CSV files are read as UTF-8 with
or without a byte-order mark. ``--api FILE`` (a
region's ``/benchmark`` response: its indices, its groups' n, median and quartiles, its
percentile rank 100 (B + 0.5 E) / N and band) and ``--pdf-text FILE`` (``pdftotext -layout`` of
its region report, with ``--region``: its indices, its rank in each of its groups and all
regions' medians and quartiles must appear as printed) are checked against the same figures.
Panel trends are listed in results.csv but not recomputed: a region without consent has another
id in each round's bundle. Every mismatch is listed and the exit status is 1; otherwise the last
line reads "N assessments, M indices, all match (...)".

    python scripts/recompute_round.py export.zip [--api benchmark.json]
        [--pdf-text region.txt --region ES21]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import sys
import zipfile
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{=")
NAN = float("nan")
#: Item statuses (answers.csv): how each counts in the self and the moderated score.
STATUSES = {"value", "dk", "blank", "hidden", "na_pending", "na_accepted", "na_rejected"}
#: Statuses counted as "Don't know" (0) in the moderated score when no expert scored them.
DK_LIKE = {"dk", "blank", "na_pending", "na_rejected"}
MIN_GROUP = 5
QUARTILES_FROM = 10


class UnknownRule(Exception):
    """items.csv names a scoring rule this script does not know: it cannot check the round."""


# -- reading ------------------------------------------------------------------------------------


def cell(text: str) -> str:
    """A CSV cell without the apostrophe the export puts before formula triggers."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8-sig")  # with the byte-order mark or without
    return [{k: cell(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def exact_and_printed(row: dict, column: str) -> tuple[str, str | None]:
    """(full-precision text, printed text or None) of a score column of a CSV row: the column
    holds the printed score and ``<column>_exact`` every digit; in earlier bundles the column
    held every digit and ``<column>_shown`` (results only) the printed score."""
    if f"{column}_exact" in row:
        return row[f"{column}_exact"], row[column]
    return row[column], row.get(f"{column}_shown")


def number(text: str) -> float:
    return float(text) if text not in ("", None) else NAN


def flag(text: str) -> bool:
    return text.strip().lower() in ("yes", "true", "1")


# -- the display rule (D11) ---------------------------------------------------------------------


def canonical(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("1e-9"), rounding=ROUND_HALF_EVEN)


def shown(value: float) -> str:
    """One decimal, half away from zero, on the canonical value; "" for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(canonical(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# -- item scores --------------------------------------------------------------------------------


def gate_open(gate: dict, answers: dict) -> bool:
    """Whether a ``show_if`` gate holds for the assessment's (self) answers."""
    value = answers.get(gate["item"])
    expected = gate["in"] if "in" in gate else [gate["equals"]]
    if isinstance(value, list):
        return any(choice in expected for choice in value)
    # yes/no (bool) and numbers never match each other (True == 1 in Python)
    same_type = any(type(value) is type(candidate) for candidate in expected)
    return value is not None and same_type and value in expected


def rule_score(rule: dict, value, population: float) -> float:
    """The score 0-100 of a substantive answer under an item's rule (NaN: cannot be scored)."""
    kind = rule["kind"]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "scale":
        return 20.0 * value if numeric and value in range(6) else NAN
    if kind == "yes_no":
        return (100.0 if value else 0.0) if isinstance(value, bool) else NAN
    if kind == "percent":
        return float(value) if numeric else NAN
    if kind == "choice":
        chosen = value if rule.get("multiple") else [value]
        if not isinstance(chosen, list) or any(c not in rule["scores"] for c in chosen):
            return NAN
        total = sum(rule["scores"][c] for c in chosen)
        return float(min(100, total)) if rule.get("multiple") else float(total)
    if not numeric:
        return NAN
    if kind == "target":
        return max(0.0, min(100.0, 100.0 * value / rule["target"]))
    if kind == "count":
        if math.isnan(population):
            return NAN  # a population is never guessed: the item is left out
        millions = population / 1e6
        target = max(rule["floor"], rule["per_million"] * millions ** rule["exponent"])
        return max(0.0, min(100.0, 100.0 * value / target))
    raise UnknownRule(f"items.csv: unknown rule kind {kind!r}")


def is_blank(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def classify(item: dict, value, visible: bool, na_decision: str, population: float):
    """(status, raw score of a substantive answer or NaN)."""
    raw = NAN
    if is_blank(value):
        status = "blank"
    elif value == "dk":
        status = "dk"
    elif value == "na":
        status = {"accepted": "na_accepted", "rejected": "na_rejected"}.get(
            na_decision, "na_pending"
        )
    else:
        status = "value"
        try:
            raw = rule_score(item["rule"], value, population)
        except (TypeError, KeyError, ValueError):
            raw = NAN  # e.g. a list stored for a single choice
        if math.isnan(raw) and item["rule"]["kind"] != "count":
            status = "blank"  # a stored value the version cannot score counts as no answer
    if not visible:
        status = "hidden"
    return status, raw


def item_scores(item: dict, status: str, raw: float, expert: float, method: str, population: float):
    """(self, moderated) item scores; NaN = left out of the index."""
    if method.startswith("1."):
        # Method 1.0: blanks, "Don't know", "not applicable" and hidden items are left out.
        own = raw if status == "value" else NAN
        moderated = own if math.isnan(expert) else expert
    else:
        if status == "value":
            own = raw
        elif status in ("hidden", "blank", "dk"):
            own = item["dk_score"]
        else:  # every "not applicable" the region claimed
            own = NAN
        moderated = item["dk_score"] if status in ("na_pending", "na_rejected") else own
        if not math.isnan(expert):
            moderated = expert
    if status == "na_accepted":
        moderated = NAN
    if item["rule"]["kind"] == "count" and math.isnan(population):
        # A population is never guessed: whatever the answer, the count is left out (an
        # expert's score still stands).
        own = NAN
        if math.isnan(expert):
            moderated = NAN
    return own, moderated


# -- indices ------------------------------------------------------------------------------------


def weighted_index(entries: list[tuple[float, float]], total_weight: float):
    """(value, coverage): weighted mean of counted items; NaN below 2/3 coverage."""
    counted = [(w, s) for w, s in entries if not math.isnan(s)]
    weight = sum(w for w, _ in counted)
    coverage = weight / total_weight if total_weight else NAN
    if not counted or 3 * weight < 2 * total_weight:
        return NAN, coverage
    return sum(w * s for w, s in counted) / weight, coverage


def quantile(sorted_values: list[float], p: float) -> float:
    """Hyndman-Fan type 7 (numpy "linear")."""
    h = (len(sorted_values) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (h - low) * (sorted_values[high] - sorted_values[low])


class Recomputed:
    """Every figure of a round recomputed from the bundle's tables (rows as csv.DictReader gives
    them) and its manifest; ``problems`` lists every mismatch found so far."""

    def __init__(self, manifest: dict, tables: dict[str, list[dict[str, str]]]):
        self.problems: list[str] = []
        #: Figures compared per source other than results.csv (API, PDF).
        self.checked: dict[str, int] = defaultdict(int)
        self.manifest = manifest
        self.items = {}
        for row in tables["items"]:
            self.items[row["item_id"]] = {
                "kind": row["home_kind"],
                "home": row["home"],
                "weight": float(row["weight"]),
                "rule": json.loads(row["rule"]),
                "dk_score": float(row["dk_score"] or 0),
                "gate": json.loads(row["gate"]) if row["gate"] else None,
                "allow_na": flag(row["allow_na"]),
            }
        self.regions = {row["assessment"]: row for row in tables["regions"]}
        self.answers = tables["answers"]
        self.results = tables.get("results", [])
        self.method = str(self.manifest.get("method", "2.0"))
        self.c7 = self.manifest.get("c7_dimensions") or sorted(
            {i["home"] for i in self.items.values() if i["kind"] == "dimension"}
        )
        self.scores: dict[tuple[str, str, str], dict] = {}
        self.compute_items()
        self.compute_indices()

    @classmethod
    def from_zip(cls, archive: zipfile.ZipFile) -> Recomputed:
        manifest = json.loads(archive.read("manifest.json"))
        names = ("items", "answers", "regions", "results")
        recomputed = cls(manifest, {name: read_csv(archive, f"{name}.csv") for name in names})
        for name, digest in manifest.get("files", {}).items():
            if hashlib.sha256(archive.read(name)).hexdigest() != digest:
                recomputed.problems.insert(0, f"{name}: SHA-256 differs from the manifest's")
        return recomputed

    def compute_items(self):
        values: dict[str, dict] = defaultdict(dict)
        rows: dict[str, list[dict]] = defaultdict(list)
        for row in self.answers:
            value = json.loads(row["self_value"]) if row["self_value"] else None
            values[row["assessment"]][row["item_id"]] = value
            if row["item_id"] in self.items:
                rows[row["assessment"]].append(row)
        self.item_results: dict[str, dict[str, tuple]] = defaultdict(dict)
        for assessment, its_rows in rows.items():
            region = self.regions.get(assessment)
            if region is None:
                self.problems.append(f"answers.csv: assessment {assessment} not in regions.csv")
                continue
            population = number(region["population"])
            answers = values[assessment]
            for row in its_rows:
                item = self.items[row["item_id"]]
                value = answers.get(row["item_id"])
                visible = item["gate"] is None or gate_open(item["gate"], answers)
                status, raw = classify(item, value, visible, row["na_decision"], population)
                where = f"answers.csv {assessment} {row['item_id']}"
                if status != row["status"]:
                    self.problems.append(f"{where}: status {row['status']!r}, expected {status!r}")
                expert = number(exact_and_printed(row, "expert_score")[0])
                own, moderated = item_scores(item, status, raw, expert, self.method, population)
                for name, mine in (("self_score", own), ("moderated_score", moderated)):
                    full, printed = exact_and_printed(row, name)
                    if not same_full(mine, number(full)):
                        self.problems.append(f"{where}: {name} {full!r}, recomputed {mine!r}")
                    elif printed is not None and printed != shown(mine):
                        self.problems.append(
                            f"{where}: {name} printed {printed!r}, recomputed {shown(mine)!r}"
                        )
                # Method 1.0 leaves a hidden item out of the index's scored items altogether.
                in_scope = not (status == "hidden" and math.isnan(own) and math.isnan(moderated))
                # Method 1.0 has no "Don't know": an item an expert scored 0 is just 0 there.
                dk_like = DK_LIKE if not self.method.startswith("1.") else {"dk"}
                as_dk = status in dk_like and moderated == 0
                self.item_results[assessment][row["item_id"]] = (own, moderated, in_scope, as_dk)
            missing = set(self.items) - set(self.item_results[assessment])
            for item_id in sorted(missing):
                self.problems.append(f"answers.csv: {assessment} has no row for item {item_id}")

    def compute_indices(self):
        homes: dict[tuple[str, str], list[str]] = defaultdict(list)
        for item_id, item in self.items.items():
            homes[(item["kind"], item["home"])].append(item_id)
        for assessment, results in self.item_results.items():
            dimensions = {}
            for (kind, key), item_ids in homes.items():
                in_scope = [i for i in item_ids if i in results and results[i][2]]
                if not in_scope:
                    continue
                total = sum(self.items[i]["weight"] for i in in_scope)
                entry = {}
                for column, position in (("self", 0), ("moderated", 1)):
                    pairs = [(self.items[i]["weight"], results[i][position]) for i in in_scope]
                    entry[column], entry[f"coverage_{column}"] = weighted_index(pairs, total)
                entry["counted"] = sum(1 for i in in_scope if not math.isnan(results[i][1]))
                entry["total"] = len(in_scope)
                entry["dk"] = sum(1 for i in in_scope if results[i][3])
                self.scores[(assessment, kind, key)] = entry
                if kind == "dimension":
                    dimensions[key] = entry
            if not dimensions:
                continue
            c7 = {}
            parts = [dimensions[d] for d in self.c7 if d in dimensions]
            for column in ("self", "moderated"):
                values = [p[column] for p in parts if not math.isnan(p[column])]
                complete = len(values) == len(self.c7)
                c7[column] = sum(values) / len(values) if complete else NAN
                c7[f"coverage_{column}"] = min(p[f"coverage_{column}"] for p in parts)
            for column in ("counted", "total", "dk"):
                c7[column] = sum(p[column] for p in parts)
            self.scores[(assessment, "index", "c7")] = c7

    # -- comparisons ----------------------------------------------------------------------------

    def check_results(self) -> int:
        seen = set()
        indices = 0
        for row in self.results:
            if row["record"] != "score":
                continue
            key = (row["assessment"], row["kind"], row["key"])
            seen.add(key)
            mine = self.scores.get(key)
            where = f"results.csv {'/'.join(key)}"
            if mine is None:
                self.problems.append(f"{where}: not recomputed (no such index or assessment)")
                continue
            indices += 1
            for column in ("self", "moderated"):
                full, printed = exact_and_printed(row, column)
                if shown(mine[column]) != shown(number(full)):
                    self.problems.append(
                        f"{where}: {column} {shown(number(full)) or 'not shown'}, "
                        f"recomputed {shown(mine[column]) or 'not shown'}"
                    )
                elif (printed or "") != shown(mine[column]):
                    self.problems.append(
                        f"{where}: {column} printed {printed!r}, recomputed {shown(mine[column])!r}"
                    )
                coverage = f"coverage_{column}"
                if row.get(coverage, "") != "" and not same_full(
                    mine[coverage], number(row[coverage])
                ):
                    self.problems.append(
                        f"{where}: {coverage} {row[coverage]}, recomputed {mine[coverage]!r}"
                    )
            for column in ("counted", "total", "dk"):
                if row.get(column, "") != "" and int(float(row[column])) != mine[column]:
                    self.problems.append(
                        f"{where}: {column} {row[column]}, recomputed {mine[column]}"
                    )
        for key in sorted(set(self.scores) - seen):
            self.problems.append(f"results.csv: no row for {'/'.join(key)}")
        return indices

    def group_statistics(self) -> dict[tuple[str, str, str], dict]:
        members: dict[str, list[str]] = defaultdict(list)
        for assessment, region in self.regions.items():
            if not flag(region["validated"]):
                continue
            for label in filter(None, (g.strip() for g in region["groups"].split(";"))):
                members[label].append(assessment)
        statistics = {}
        for group, assessments in members.items():
            for (kind, key), entry in self.statistics_of(assessments).items():
                statistics[(group, kind, key)] = entry
        return statistics

    def statistics_of(self, assessments) -> dict[tuple[str, str], dict]:
        """(kind, key) -> n, median, quartiles (and the values) of these assessments' moderated
        scores, where at least MIN_GROUP have one."""
        kinds = {(k, h) for (_a, k, h) in self.scores}
        statistics = {}
        for kind, key in kinds:
            # Ties, ranks and statistics use the canonical values (9 decimals).
            values = sorted(
                float(canonical(v))
                for a in assessments
                if not math.isnan(v := self.scores.get((a, kind, key), {}).get("moderated", NAN))
            )
            if len(values) < MIN_GROUP:
                continue
            entry = {"n": len(values), "median": quantile(values, 0.5), "q1": NAN, "q3": NAN}
            entry["values"] = values
            if len(values) >= QUARTILES_FROM:
                entry["q1"], entry["q3"] = quantile(values, 0.25), quantile(values, 0.75)
            statistics[(kind, key)] = entry
        return statistics

    def similar_statistics(self, assessment: str) -> dict[tuple[str, str], dict]:
        """The statistics of a region's structurally similar regions (regions.csv's
        similar_regions: validated regions), with the region itself once validated."""
        region = self.regions[assessment]
        members = [a.strip() for a in region.get("similar_regions", "").split(";") if a.strip()]
        if flag(region["validated"]):
            members.append(assessment)
        return self.statistics_of(members)

    def check_groups(self, statistics) -> int:
        listed = set()
        for row in self.results:
            if row["record"] != "group":
                continue
            key = (row["group"], row["kind"], row["key"])
            listed.add(key)
            where = f"results.csv group {'/'.join(key)}"
            mine = statistics.get(key)
            if mine is None:
                self.problems.append(
                    f"{where}: shown, but fewer than {MIN_GROUP} values recomputed"
                )
                continue
            self.compare_statistics(where, mine, row)
        for key in sorted(set(statistics) - listed):
            self.problems.append(f"results.csv: no group row for {'/'.join(key)}")
        return len(listed)

    def compare_statistics(self, where: str, mine: dict, theirs: dict) -> None:
        if int(float(theirs["n"])) != mine["n"]:
            self.problems.append(f"{where}: n {theirs['n']}, recomputed {mine['n']}")
        for name in ("median", "q1", "q3"):
            value, printed = theirs.get(name), None
            if f"{name}_exact" in theirs or f"{name}_shown" in theirs:  # a results.csv row
                value, printed = exact_and_printed(theirs, name)
            value = number(value) if isinstance(value, str) else (NAN if value is None else value)
            if shown(value) != shown(mine[name]):
                self.problems.append(
                    f"{where}: {name} {shown(value) or 'none'},"
                    f" recomputed {shown(mine[name]) or 'none'}"
                )
            elif printed is not None and printed != shown(mine[name]):
                self.problems.append(
                    f"{where}: {name} printed {printed!r}, recomputed {shown(mine[name])!r}"
                )

    def check_api(self, path: str, statistics) -> None:
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
        code = body["region"]["code"]
        assessment = self.assessment_of(code)
        if assessment is None:
            self.problems.append(f"{path}: region {code} is not named in regions.csv")
            return
        for kind, keys in body.get("scores", {}).items():
            for key, entry in keys.items():
                mine = self.scores.get((assessment, kind, key))
                if mine is None:
                    self.problems.append(f"{path}: {kind}/{key} is no recomputed index")
                    continue
                for column in ("self", "moderated"):
                    if column not in entry:
                        continue
                    self.checked["API"] += 1
                    if shown(none_nan(entry[column])) != shown(mine[column]):
                        self.problems.append(
                            f"{path}: {kind}/{key} {column} {entry[column]}, "
                            f"recomputed {shown(mine[column]) or 'not shown'}"
                        )
        for group in body.get("groups", []):
            if group.get("suppressed") or group.get("score", body.get("score")) == "self":
                continue
            for kind, keys in group.get("statistics", {}).items():
                for key, entry in keys.items():
                    if entry.get("suppressed"):
                        continue
                    if group["key"] == "similar":
                        mine = self.similar_statistics(assessment).get((kind, key))
                    else:
                        mine = statistics.get((group["key"], kind, key))
                    where = f"{path}: group {group['key']} {kind}/{key}"
                    if mine is None:
                        self.problems.append(f"{where}: shown, but not recomputed")
                        continue
                    self.compare_statistics(where, mine, entry)
                    self.checked["API"] += 1
                    own = self.scores[(assessment, kind, key)]["moderated"]
                    if body.get("score") != "moderated" or math.isnan(own):
                        continue
                    if shown(none_nan(entry.get("value"))) != shown(own):
                        self.problems.append(
                            f"{where}: value {entry.get('value')}, recomputed {own}"
                        )
                    if flag(self.regions[assessment]["validated"]):
                        self.check_rank(where, mine, own, entry)

    def check_rank(self, where: str, mine: dict, own: float, entry: dict) -> None:
        """Percentile rank 100 (B + 0.5 E) / N on canonical values (the region included), and
        the band: at the median when equal to it, else the quarter of the rank."""
        value = float(canonical(own))
        below = sum(1 for v in mine["values"] if v < value)
        equal = sum(1 for v in mine["values"] if v == value)
        rank = 100.0 * (below + 0.5 * equal) / mine["n"]
        if shown(none_nan(entry.get("rank"))) != shown(rank):
            self.problems.append(f"{where}: rank {entry.get('rank')}, recomputed {shown(rank)}")
        if canonical(own) == canonical(mine["median"]):
            band = "at_median"
        else:
            band = "q1" if rank < 25 else "q2" if rank < 50 else "q3" if rank < 75 else "q4"
        if "band" in entry and entry["band"] != band:
            self.problems.append(f"{where}: band {entry['band']}, recomputed {band}")

    def check_pdf(self, path: str, code: str, statistics) -> None:
        """Every figure of the region the report prints: its self-assessed and moderated
        indices; for each of its peer groups, its percentile rank in every index (once
        validated); for all regions, the median and quartiles. pdftotext's words are matched,
        so a figure must appear as printed (one decimal), wherever the layout puts it."""
        with open(path, encoding="utf-8") as handle:
            words = set(handle.read().split())
        assessment = self.assessment_of(code)
        if assessment is None:
            self.problems.append(f"{path}: region {code} is not named in regions.csv")
            return
        region = self.regions[assessment]
        labels = [g.strip() for g in region["groups"].split(";") if g.strip()]
        for (group, kind, key), entry in sorted(statistics.items()):
            if group not in labels:
                continue
            printed = {}
            if group == "all":
                printed = {name: shown(entry[name]) for name in ("median", "q1", "q3")}
            own = self.scores[(assessment, kind, key)]["moderated"]
            if flag(region["validated"]) and not math.isnan(own):
                value = float(canonical(own))
                below = sum(1 for v in entry["values"] if v < value)
                equal = sum(1 for v in entry["values"] if v == value)
                printed["rank"] = shown(100.0 * (below + 0.5 * equal) / entry["n"])
            for name, figure in printed.items():
                if not figure:
                    continue
                self.checked["PDF"] += 1
                if figure not in words:
                    self.problems.append(
                        f"{path}: group {group} {kind}/{key} {name} {figure}"
                        " does not appear in the report"
                    )
        for (a, kind, key), entry in sorted(self.scores.items()):
            if a != assessment:
                continue
            for column in ("self", "moderated"):
                printed = shown(entry[column])
                if not printed:
                    continue
                self.checked["PDF"] += 1
                if printed not in words:
                    self.problems.append(
                        f"{path}: {kind}/{key} {column} {printed} does not appear in the report"
                    )

    def assessment_of(self, code: str) -> str | None:
        for assessment, region in self.regions.items():
            if region.get("region_code") == code or assessment == code:
                return assessment
        return None


def none_nan(value):
    return NAN if value is None else float(value)


def same_full(mine: float, theirs: float) -> bool:
    """Equal as canonical values (both missing counts as equal)."""
    if math.isnan(mine) or math.isnan(theirs):
        return math.isnan(mine) and math.isnan(theirs)
    return canonical(mine) == canonical(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the round's export (CSV zip)")
    parser.add_argument("--api", action="append", default=[], help="a /benchmark response")
    parser.add_argument("--pdf-text", help="pdftotext of a region report (needs --region)")
    parser.add_argument("--region", help="region code or pseudonymous id of the region report")
    args = parser.parse_args(argv)
    try:
        with zipfile.ZipFile(args.export) as archive:
            recomputed = Recomputed.from_zip(archive)
    except UnknownRule as error:
        print(error)
        return 2
    indices = recomputed.check_results()
    statistics = recomputed.group_statistics()
    groups = recomputed.check_groups(statistics)
    for path in args.api:
        recomputed.check_api(path, statistics)
    if args.pdf_text:
        if not args.region:
            parser.error("--pdf-text needs --region")
        recomputed.check_pdf(args.pdf_text, args.region, statistics)
    assessments = len(recomputed.item_results)
    for problem in recomputed.problems:
        print(problem)
    if recomputed.problems:
        print(
            f"{len(recomputed.problems)} mismatches ({assessments} assessments, {indices} indices)"
        )
        return 1
    others = "".join(f", {count} {source} figures" for source, count in recomputed.checked.items())
    summary = f"{assessments} assessments, {indices} indices, all match"
    print(f"{summary} ({groups} group statistics{others})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
