#!/usr/bin/env python3
"""Audit a lock file's packages for known vulnerabilities (pip-audit); fail only where a fix exists.

Runs ``pip-audit -r LOCK --disable-pip`` (the lock's exact versions and hashes, no resolution, each
package for this Python and platform) with JSON output, lists every vulnerability found with its
fixed versions, and exits:

* 0: every package was audited, and no known vulnerability has a fixed release (those without a
  fix are listed, and pass: nothing to upgrade to yet);
* 1: at least one known vulnerability has a fixed release: raise that package's lower bound in
  pyproject.toml to the fixed version and run ``make lock``;
* 2: the audit could not be completed: pip-audit failed (offline: it cannot reach the
  vulnerability service, PyPI's JSON API per package and version,
  ``https://pypi.org/pypi/NAME/VERSION/json``), or some packages could not be looked up;
* 3: none of the packages could be looked up (the service answers, but "not found" for every
  package and version: a network that reaches the package index and not that API).

pip-audit itself has no option for "fail only when a fix exists" (it exits 1 on any finding),
and, without ``--strict``, reports packages it could not look up as skipped and exits 0: offline,
or where only the package index is reachable, it would pass having audited nothing. Hence this
filter, which treats a skipped package as a failed audit.

Usage: .venv/bin/python scripts/audit_dependencies.py [LOCK] [-- PIP_AUDIT_ARGS...]
(LOCK defaults to requirements-dev.lock; e.g. ``-- --ignore-vuln ID`` for an accepted finding.)
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement


def locked_here(lock: Path) -> int:
    """How many of the lock's pins apply to this Python and platform (their markers)."""
    count = 0
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line[:1].isalnum():
            continue
        try:
            req = Requirement(line.rstrip(" \\"))
        except InvalidRequirement:
            continue
        count += req.marker is None or req.marker.evaluate()
    return count


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    lock = Path(argv[0] if argv else "requirements-dev.lock")
    if not lock.is_file():
        print(f"audit: {lock} not found", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--disable-pip"]
        cmd += ["--format", "json", "--desc", "on", "--progress-spinner", "off"]
        cmd += ["--output", str(report), *extra]
        # pip-audit: exit 0 with no report when nothing was found or skipped, 0 with a report
        # listing skipped packages, 1 with a report when it found vulnerabilities, and 1 without
        # one when it failed (its error on stderr).
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        data = json.loads(report.read_text()) if report.is_file() else None

    if data is None:
        if run.returncode != 0:
            print(run.stderr.rstrip(), file=sys.stderr)
            print(
                f"audit FAILED TO RUN (pip-audit exit {run.returncode}): no vulnerability data, "
                "so nothing is known about these packages. Offline, or the vulnerability "
                "service unreachable?",
                file=sys.stderr,
            )
            return 2
        print(f"audit: {locked_here(lock)} packages from {lock}: no known vulnerabilities")
        return 0

    deps = data["dependencies"]
    skipped = [d for d in deps if "skip_reason" in d]
    audited = [d for d in deps if "skip_reason" not in d]
    findings = [(d, v) for d in audited for v in d["vulns"]]
    fixable = [(d, v) for d, v in findings if v["fix_versions"]]

    print(
        f"audit: {len(audited)} of {len(deps)} packages from {lock} audited; "
        f"{len(findings)} known vulnerabilities in them, {len(fixable)} with a fixed release"
    )
    for dep, vuln in findings:
        ids = ", ".join([vuln["id"], *vuln.get("aliases", [])])
        fix = ", ".join(vuln["fix_versions"]) or "none yet (reported, does not fail)"
        desc = " ".join((vuln.get("description") or "").split())
        print(f"  {dep['name']} {dep['version']}: {ids}; fixed in: {fix}")
        if desc:
            print(f"    {desc[:300]}{'...' if len(desc) > 300 else ''}")
    if skipped and not audited:
        print(
            f"audit NOT DONE: none of the {len(deps)} packages could be looked up, so nothing is "
            "known about them (the vulnerability service unreachable from here?):",
            file=sys.stderr,
        )
    elif skipped:
        print(f"audit INCOMPLETE: {len(skipped)} packages could not be looked up:", file=sys.stderr)
    if skipped:
        for dep in skipped[:10]:
            print(f"  {dep['name']}: {dep['skip_reason']}", file=sys.stderr)
        if len(skipped) > 10:
            print(f"  ... and {len(skipped) - 10} more", file=sys.stderr)
    if fixable:
        print(
            "audit FAILED: a fixed release exists for the vulnerabilities above: raise the "
            "package's lower bound in pyproject.toml to it (or, for a transitive dependency, "
            "`make lock LOCK_ARGS='--upgrade-package NAME'`) and commit the new lock files",
            file=sys.stderr,
        )
        return 1
    if skipped:
        return 2 if audited else 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
