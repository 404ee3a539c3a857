"""`make audit` runs the real pip-audit against a fake PyPI (tests/fakes/pypi_advisories.py), offline."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.fakes.pypi_advisories import FakeAdvisoryPyPI, advisory
from tools.audit_dependencies import UNREACHABLE, AuditResult, audit, pip_audit_command, summary

JINJA = ("jinja2", "3.1.6")
REQUESTS = ("requests", "2.34.2")
Releases = Mapping[tuple[str, str], Sequence[dict]]
ServePyPI = Callable[[Releases], FakeAdvisoryPyPI]
HASH = "sha256:" + "0" * 64  # pip-audit only needs the lock to be hashed; it doesn't download anything


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text(
        f"jinja2==3.1.6 \\\n    --hash={HASH}\n    # via cadence\nrequests==2.34.2 \\\n    --hash={HASH}\n",
    )
    return path


@pytest.fixture(autouse=True)
def own_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip-audit keeps an HTTP cache (pip's, or its own): one the fake's answers never reach."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PIP_NO_CACHE_DIR", raising=False)


@pytest.fixture
def serve_pypi(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServePyPI]:
    """Starts a fake PyPI with these releases and sends this process's and pip-audit's requests to it."""
    with ExitStack() as running:

        def serve(releases: Releases) -> FakeAdvisoryPyPI:
            pypi = running.enter_context(FakeAdvisoryPyPI(releases))
            for name, value in pypi.environment().items():
                monkeypatch.setenv(name, value)
            return pypi

        yield serve


def test_a_known_vulnerability_fails_the_audit_with_pip_audits_report(
    lock: Path, serve_pypi: ServePyPI, capfd: pytest.CaptureFixture[str]
) -> None:
    releases = {JINJA: [advisory("GHSA-test-jinj-a000", fixed_in="3.1.7", summary="Sandbox escape.")], REQUESTS: []}
    pypi = serve_pypi(releases)
    status = audit(lock, [])

    out, err = capfd.readouterr()
    assert status == 1
    table_row = next(line for line in out.splitlines() if line.startswith("jinja2"))
    assert table_row.split()[:4] == ["jinja2", "3.1.6", "GHSA-test-jinj-a000", "3.1.7"]
    assert "Sandbox escape." in table_row
    assert "known vulnerabilities in jinja2 3.1.6" in err
    assert "make lock UPGRADE=NAME" in err
    assert "/pypi/requests/2.34.2/json" in pypi.paths


def test_clean_releases_pass_with_one_line_naming_those_pypi_doesnt_know(
    lock: Path, serve_pypi: ServePyPI, capfd: pytest.CaptureFixture[str]
) -> None:
    pypi = serve_pypi({JINJA: []})
    status = audit(lock, [])

    assert status == 0
    assert capfd.readouterr().out == (
        "pip-audit: no known vulnerabilities in the 1 audited packages; PyPI had no record of 1, not audited: "
        "requests\n"
    )
    assert {"/pypi/jinja2/3.1.6/json", "/pypi/requests/2.34.2/json"} <= set(pypi.paths)


def test_a_pypi_without_release_data_says_nothing_was_audited() -> None:
    """As behind a mirror that serves the package index but not PyPI's per-release JSON."""
    result = AuditResult.from_report(
        {"dependencies": [{"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    )

    assert summary(result, []) == (
        "pip-audit: the advisory database (PyPI) had no record of any of the 1 locked packages (a mirror "
        "without PyPI's per-release data?); dependencies were not audited"
    )


def test_advisories_ignored_in_the_makefile_go_to_pip_audit_and_are_named(lock: Path) -> None:
    command = pip_audit_command(lock, ["GHSA-test-jinj-a000", "PYSEC-2099-1"])
    result = AuditResult(audited=("jinja2", "requests"), unknown=(), vulnerable=())

    assert command[-4:] == ["--ignore-vuln", "GHSA-test-jinj-a000", "--ignore-vuln", "PYSEC-2099-1"]
    assert summary(result, ["GHSA-test-jinj-a000"]) == (
        "pip-audit: no known vulnerabilities in the 2 audited packages; ignoring GHSA-test-jinj-a000 as the "
        "Makefile says"
    )


def test_an_unreachable_advisory_database_is_one_line_and_passes(
    lock: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refusing_proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, refusing_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    assert audit(lock, []) == 0
    assert capfd.readouterr().out == UNREACHABLE + "\n"


def test_a_pip_audit_that_breaks_fails_with_its_error(
    tmp_path: Path, serve_pypi: ServePyPI, capfd: pytest.CaptureFixture[str]
) -> None:
    unhashed = tmp_path / "unhashed.lock"
    unhashed.write_text("jinja2==3.1.6\n")
    serve_pypi({JINJA: []})
    status = audit(unhashed, [])

    err = capfd.readouterr().err
    assert status == 1
    assert "hash" in err.lower()
    assert err.rstrip().endswith("pip-audit: failed (exit status 1); see above")
