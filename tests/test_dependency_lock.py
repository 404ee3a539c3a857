"""requirements.lock (what `make run` and `make test` install) still covers pyproject.toml (what Cadence asks for),
and deploy/requirements.lock (what a production install holds) is its runtime part, at the same versions.

Someone who edits a requirement in pyproject.toml and forgets `make lock` gets a failing test here instead of a
machine that quietly runs a version pyproject.toml rules out.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
IMAGE_LOCK = ROOT / "deploy" / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: int

    @property
    def version(self) -> Version:
        (specifier,) = self.requirement.specifier
        return Version(specifier.version)


def locked(lock: Path = LOCK) -> dict[NormalizedName, Pin]:
    """The lock's entries by name; each is one requirement spread over lines ending in a backslash."""
    text = lock.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(HASH.sub("", line).strip())
        pins[canonicalize_name(requirement.name)] = Pin(requirement, len(HASH.findall(line)))
    return pins


def declared(extras: tuple[str, ...] | None = None) -> list[Requirement]:
    """Cadence's runtime requirements and those of ``extras`` (by default every one: dev, postgres)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project["optional-dependencies"]
    groups = [project["dependencies"], *(optional[name] for name in (optional if extras is None else extras))]
    return [Requirement(line) for group in groups for line in group]


def needed_by(lock: Path) -> dict[NormalizedName, list[str]]:
    """What each entry of a lock is there for: its "# via" lines (a package, or pyproject.toml itself)."""
    via: dict[NormalizedName, list[str]] = {}
    current: NormalizedName | None = None
    for line in lock.read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            current = canonicalize_name(Requirement(line.rstrip(" \\")).name)
            via[current] = []
        elif (
            current is not None
            and line.lstrip().startswith("#")
            and (reason := line.strip(" #").removeprefix("via").strip())
        ):
            via[current].append(reason)
    return via


def test_every_lock_entry_is_an_exact_version_with_hashes() -> None:
    pins = locked()

    assert len(pins) > 50, "requirements.lock looks truncated"
    for name, pin in pins.items():
        assert [specifier.operator for specifier in pin.requirement.specifier] == ["=="], name
        assert pin.hashes >= 1, f"{name} has no hash in requirements.lock"


def test_every_requirement_in_pyproject_is_locked_at_a_version_it_allows() -> None:
    pins = locked()

    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name].version, prereleases=True), (
            f"requirements.lock pins {name}=={pins[name].version}, which pyproject.toml's {requirement} rules "
            "out: run `make lock`"
        )


def test_what_the_extras_of_a_requirement_bring_is_locked_too() -> None:
    """psycopg[binary] needs psycopg-binary; its installed metadata says which packages an extra adds."""
    pins = locked()
    with_extras = [requirement for requirement in declared() if requirement.extras]

    assert with_extras, "pyproject.toml asks for no extras of a requirement any more: drop this test"
    for requirement in with_extras:
        for extra in requirement.extras:
            needs = [Requirement(line) for line in importlib.metadata.requires(requirement.name) or []]
            brought = [need for need in needs if need.marker is not None and need.marker.evaluate({"extra": extra})]
            assert brought, f"{requirement.name}[{extra}] brings nothing"
            for dependency in brought:
                name = canonicalize_name(dependency.name)
                assert name in pins, f"{requirement.name}[{extra}] needs {dependency}, not in requirements.lock"
                assert dependency.specifier.contains(pins[name].version, prereleases=True), name


def test_the_production_lock_pins_what_requirements_lock_pins() -> None:
    """One set of versions: what runs in production is what the tests ran on."""
    everything, production = locked(), locked(IMAGE_LOCK)

    assert len(production) > 30, "deploy/requirements.lock looks truncated"
    for name, pin in production.items():
        assert name in everything, (
            f"deploy/requirements.lock has {name}, which requirements.lock hasn't: run `make lock`"
        )
        assert pin.version == everything[name].version, f"{name}: the two locks differ; run `make lock`"
        assert pin.hashes >= 1, f"{name} has no hash in deploy/requirements.lock"


def test_the_production_lock_covers_the_runtime_and_postgres_and_leaves_the_tools_out() -> None:
    production, why = locked(IMAGE_LOCK), needed_by(IMAGE_LOCK)
    for requirement in declared(("postgres",)):
        name = canonicalize_name(requirement.name)
        assert name in production, f"{requirement} is not in deploy/requirements.lock: run `make lock`"
        assert requirement.specifier.contains(production[name].version, prereleases=True), name
    tools = {canonicalize_name(requirement.name) for requirement in declared(("dev",))} - {
        canonicalize_name(requirement.name) for requirement in declared(("postgres",))
    }
    assert {"pytest", "ruff", "uv"} <= tools
    for name in tools & production.keys():
        packages = [
            reason for reason in why[name] if reason not in ("cadence (pyproject.toml)", "-c requirements.lock")
        ]
        assert packages, (
            f"{name}, a development tool, is in deploy/requirements.lock though nothing at runtime needs it"
        )
