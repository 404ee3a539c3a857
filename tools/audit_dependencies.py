"""`make audit`: pip-audit over requirements.lock, saying plainly when nothing could be audited.

pip-audit asks PyPI about each locked release. Offline it stops with a traceback, and behind a mirror that
serves no per-release data it skips every package and still reports "No known vulnerabilities found": the
first would fail `make test` for a reason that isn't Cadence's, the second would read as a pass. This turns
both into one line and lets `make test` go on; it fails when pip-audit finds a known vulnerability (showing
pip-audit's own report) or when pip-audit itself breaks.

    python tools/audit_dependencies.py requirements.lock [--ignore-vuln ID ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

ADVISORY_DATABASE = "https://pypi.org/pypi/pip-audit/json"
"""Asked once before auditing: the host pip-audit's PyPI service queries for every locked release."""
REACHABILITY_TIMEOUT_SECONDS = 15  # pip-audit's own default timeout
VULNERABILITIES_FOUND = 1  # pip-audit's exit status when it reports one

UNREACHABLE = "pip-audit: the advisory database (PyPI) is unreachable; dependencies were not audited"


@dataclass(frozen=True)
class AuditResult:
    """What pip-audit's JSON report says about the locked packages."""

    audited: tuple[str, ...]
    unknown: tuple[str, ...]
    """Packages PyPI had no record of (pip-audit skips them): a private package, or a mirror without the data."""
    vulnerable: tuple[str, ...]

    @classmethod
    def from_report(cls, report: dict) -> AuditResult:
        dependencies = report["dependencies"]
        return cls(
            audited=tuple(entry["name"] for entry in dependencies if "skip_reason" not in entry),
            unknown=tuple(entry["name"] for entry in dependencies if "skip_reason" in entry),
            vulnerable=tuple(f"{entry['name']} {entry['version']}" for entry in dependencies if entry.get("vulns")),
        )


def advisory_database_reachable(url: str = ADVISORY_DATABASE) -> bool:
    """Whether PyPI answers at all (any HTTP status will do), through the same proxies pip-audit uses."""
    try:
        requests.head(url, timeout=REACHABILITY_TIMEOUT_SECONDS)
    except requests.RequestException:
        return False
    return True


def pip_audit_command(lock: Path, ignored_advisories: Sequence[str]) -> list[str]:
    """pip-audit reading the lock as it is: no pip, no resolving, nothing built; the hashes say it's complete."""
    ignores = [argument for advisory in ignored_advisories for argument in ("--ignore-vuln", advisory)]
    return [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        *ignores,
    ]


def summary(result: AuditResult, ignored_advisories: Sequence[str]) -> str:
    """The one line `make test` shows when nothing was found."""
    if not result.audited:
        return (
            f"pip-audit: the advisory database (PyPI) had no record of any of the {len(result.unknown)} locked "
            "packages (a mirror without PyPI's per-release data?); dependencies were not audited"
        )
    line = f"pip-audit: no known vulnerabilities in the {len(result.audited)} audited packages"
    if result.unknown:
        line += f"; PyPI had no record of {len(result.unknown)}, not audited: {', '.join(result.unknown)}"
    if ignored_advisories:
        line += f"; ignoring {', '.join(ignored_advisories)} as the Makefile says"
    return line


def audit(lock: Path, ignored_advisories: Sequence[str], *, advisory_database: str = ADVISORY_DATABASE) -> int:
    """Audits the lock and returns the exit status for `make`: 1 only for a vulnerability or a broken pip-audit."""
    if not advisory_database_reachable(advisory_database):
        print(UNREACHABLE)
        return 0
    command = pip_audit_command(lock, ignored_advisories)
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "pip-audit.json"
        finished = subprocess.run(
            [*command, "--format", "json", "--output", str(report_path)], capture_output=True, text=True
        )
        report = report_path.read_text() if report_path.exists() else ""
    if finished.returncode not in (0, VULNERABILITIES_FOUND) or not report:
        sys.stderr.write(finished.stderr)
        print(f"pip-audit: failed (exit status {finished.returncode}); see above", file=sys.stderr)
        return 1
    result = AuditResult.from_report(json.loads(report))
    if result.vulnerable:
        # Again in pip-audit's own table, with descriptions, for the person reading the failure.
        subprocess.run([*command, "--desc", "on"])
        print(
            f"pip-audit: known vulnerabilities in {', '.join(result.vulnerable)}. Move a package past its fix "
            "with `make lock UPGRADE=NAME`, or, if an advisory doesn't apply to Cadence, add it to AUDIT_IGNORE "
            "in the Makefile with the reason.",
            file=sys.stderr,
        )
        return 1
    print(summary(result, ignored_advisories))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path, help="the hashed requirements file to audit")
    parser.add_argument(
        "--ignore-vuln",
        action="append",
        default=[],
        metavar="ID",
        help="an advisory that doesn't apply to Cadence (say why where you pass it)",
    )
    arguments = parser.parse_args(argv)
    return audit(arguments.lock, arguments.ignore_vuln)


if __name__ == "__main__":
    sys.exit(main())
