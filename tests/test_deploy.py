"""deploy/ tells an operator how to run Cadence; these tests keep it true to Cadence as it is.

Each file there names things that live elsewhere: environment variables (bot/config.py), metrics
(bot/metrics.py), commands (bot/cli.py), the lock and the Makefile's way of installing it, the replicas of
compose.yaml that the proxy and Prometheus must both point at. A test here fails when one side changes
without the other. Nothing here needs Docker, systemd or Prometheus: the files are parsed, and the few
commands they run (the health check, the Makefile's awk) are run as they are written.
"""

from __future__ import annotations

import argparse
import configparser
import http.server
import json
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import build_parser
from bot.config import AppConfig
from bot.metrics import Metrics
from storage.database import Database

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEFAULT_GRACE_SECONDS = AppConfig.model_fields["cadence_shutdown_grace_seconds"].default
"""How long Cadence drains on SIGTERM: whatever stops it must wait longer than this before SIGKILL."""

COMPOSE_VARIABLES = {"POSTGRES_PASSWORD", "CADENCE_DOMAIN", "CADENCE_IMAGE"}
"""Read by compose.yaml itself (interpolated), not by Cadence."""
OUTBOUND_VARIABLES = {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}
"""Read by the HTTP libraries, not by AppConfig; the main README's configuration table lists them."""


# --- reading the files ------------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def cadence_image_services() -> dict[str, dict]:
    image = services()["migrate"]["image"]
    return {name: service for name, service in services().items() if service.get("image") == image}


def replicas() -> dict[str, dict]:
    """The services that run the image's own command, `cadence serve`: every Cadence service but migrate."""
    return {name: service for name, service in cadence_image_services().items() if "command" not in service}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage: what the image runs with."""
    instructions = dockerfile_instructions()
    last_from = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def env_example_assignments() -> list[tuple[str, str, bool]]:
    """(name, value, commented out) for each VARIABLE=value line of the example, set or commented."""
    found = []
    for line in (DEPLOY / "cadence.env.example").read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found.append((match.group(2), match.group(3), match.group(1) is not None))
    return found


def env_example_lines() -> dict[str, tuple[str, bool]]:
    """Each variable the example names: its value, and whether the line is commented out."""
    return {name: (value, commented) for name, value, commented in env_example_assignments()}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / "cadence.service").read_text())
    return parser


def seconds(duration: str) -> float:
    """A systemd or compose duration such as 30s, 2min, 1m30s or 90, in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", str(duration))
    assert parts, f"{duration!r} is not a duration"
    return sum(float(number) * units[unit] for number, unit in parts)


def alert_rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def caddy_upstreams() -> list[str]:
    text = (DEPLOY / "Caddyfile").read_text()
    [line] = re.findall(r"^\s*reverse_proxy\s+([^{\n]+)\{", text, re.MULTILINE)
    return line.split()


def rendered_metric_names(database: Database) -> set[str]:
    """Every sample name /metrics serves once one request has been answered and one event recorded, in a
    serving process with worker processes."""
    metrics = Metrics(database)
    metrics.count_processes(1, lambda: 1)
    metrics.observe("slack", "command", 200, 0.01)
    metrics.event("slack", "processed")
    text = metrics.render().decode()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


# --- compose.yaml -------------------------------------------------------------------------------------------


def test_compose_runs_postgres_a_migration_two_replicas_and_a_proxy() -> None:
    assert set(services()) >= {"postgres", "migrate", "proxy"}
    assert len(replicas()) == 2, f"replicas: {sorted(replicas())}"
    assert services()["postgres"]["image"].split(":")[1].startswith("15")


def test_postgres_keeps_its_data_in_a_volume_and_checks_it_is_ready() -> None:
    postgres = services()["postgres"]
    mounts = {mount.split(":")[1]: mount.split(":")[0] for mount in postgres["volumes"]}
    assert mounts["/var/lib/postgresql/data"] in compose()["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_migrate_runs_db_upgrade_once_postgres_is_healthy() -> None:
    migrate = services()["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_each_replica_starts_only_after_the_migration_succeeded() -> None:
    for name, replica in replicas().items():
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_each_replica_checks_its_health_at_healthz_and_the_proxy_waits_for_it() -> None:
    proxy = services()["proxy"]
    for name, replica in replicas().items():
        assert "/healthz" in " ".join(replica["healthcheck"]["test"]), name
        assert proxy["depends_on"][name]["condition"] == "service_healthy", name
    assert proxy["healthcheck"]["test"]


def test_the_cadence_services_share_the_image_the_env_file_and_the_database() -> None:
    database_urls = set()
    for name, service in cadence_image_services().items():
        assert service["env_file"] == "cadence.env", name
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        database_urls.add(service["environment"]["DATABASE_URL"])
    [url] = database_urls
    assert url.startswith("postgresql+psycopg://")
    assert urlparse(re.sub(r"\$\{[^}]*\}", "password", url)).hostname == "postgres"


def test_the_replicas_get_longer_than_the_drain_before_they_are_killed() -> None:
    for name, replica in replicas().items():
        assert seconds(replica["stop_grace_period"]) > DEFAULT_GRACE_SECONDS, name


def test_the_compose_variables_are_the_ones_compose_yaml_reads() -> None:
    """COMPOSE_VARIABLES may stand in the env example only because compose.yaml reads each of them."""
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.yaml").read_text()))
    assert interpolated == COMPOSE_VARIABLES


# --- Dockerfile ---------------------------------------------------------------------------------------------


def test_the_image_is_built_in_stages_all_on_python_3_11_slim() -> None:
    """Every stage on the same base: the virtual environment built in one runs on the other's Python."""
    instructions = dockerfile_instructions()
    arguments = dict(value.split("=", 1) for keyword, value in instructions if keyword == "ARG" and "=" in value)
    stages = [value.split()[0] for keyword, value in instructions if keyword == "FROM"]
    images = [re.sub(r"\$\{(\w+)\}", lambda name: arguments[name.group(1)], stage) for stage in stages]
    assert len(images) >= 2
    assert set(images) == {"python:3.11-slim"}


def test_the_image_runs_as_a_user_other_than_root() -> None:
    users = [arguments for keyword, arguments in runtime_stage() if keyword == "USER"]
    assert users, "the runtime stage sets no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_the_image_installs_exactly_the_lock_with_hashes_then_cadence_without_its_dependencies() -> None:
    runs = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"pip install [^&]*--require-hashes", runs)
    assert re.search(r"uv pip sync [^&]*--require-hashes [^&]*deploy/requirements\.lock", runs)
    assert re.search(r"uv pip install [^&]*--no-deps", runs)
    copied = [arguments.split()[0] for keyword, arguments in dockerfile_instructions() if keyword == "COPY"]
    assert "requirements.lock" in copied and "deploy/requirements.lock" in copied


def test_the_image_holds_cadence_s_environment_and_not_the_installer() -> None:
    """uv lives in an environment of its own in the build stage; only Cadence's is copied on."""
    runs = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN")
    installer = re.search(r"(/opt/\S+)/bin/uv pip sync --[^&]*--python (/opt/\S+)/bin/python", runs)
    assert installer and installer.group(1) != installer.group(2)
    copied_on = [arguments for keyword, arguments in runtime_stage() if keyword == "COPY"]
    assert copied_on == [f"--from=build {installer.group(2)} {installer.group(2)}"]


def test_the_image_picks_uv_out_of_the_lock_the_way_the_makefile_does() -> None:
    """The awk program that hands pip only uv's lines of the lock, in the Dockerfile as in the Makefile, and
    what it gives: uv at the locked version, with its hashes, and nothing else."""
    program = r"'/^[^ #]/ { uv = /^uv==/ } uv'"
    assert program in (ROOT / "Makefile").read_text()
    assert program in (DEPLOY / "Dockerfile").read_text()
    picked = subprocess.run(
        ["awk", shlex.split(program)[0], str(ROOT / "requirements.lock")], capture_output=True, text=True, check=True
    ).stdout
    requirements = [line for line in picked.splitlines() if not line.startswith((" ", "#"))]
    assert len(requirements) == 1 and requirements[0].startswith("uv==")
    assert "--hash=sha256:" in picked


def test_the_image_exposes_the_port_cadence_serves_on_and_serves_on_every_address() -> None:
    exposed = [arguments for keyword, arguments in runtime_stage() if keyword == "EXPOSE"]
    assert exposed == [str(AppConfig.model_fields["port"].default)]
    entrypoint = [json.loads(arguments) for keyword, arguments in runtime_stage() if keyword == "ENTRYPOINT"]
    command = [json.loads(arguments) for keyword, arguments in runtime_stage() if keyword == "CMD"]
    assert entrypoint == [["cadence"]]
    assert command == [["serve", "--host", "0.0.0.0"]]


class HealthServer(http.server.BaseHTTPRequestHandler):
    """Answers /healthz the way Cadence does, with the status the test sets."""

    status = 200

    def do_GET(self) -> None:
        status = self.status if self.path == "/healthz" else 404
        body = {200: b"ok", 503: b"database unavailable"}.get(status, b"not found")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[type[HealthServer], int]]:
    handler = type("Handler", (HealthServer,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def dockerfile_health_check() -> list[str]:
    [check] = [arguments for keyword, arguments in runtime_stage() if keyword == "HEALTHCHECK"]
    return json.loads(check.split(" CMD ", 1)[1])


def run_check(command: list[str], port: int) -> int:
    assert command[0] == "python", "the check must need nothing but the image's Python (no curl in a slim image)"
    env = {"PORT": str(port), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30).returncode


def test_the_image_health_check_passes_on_200_and_fails_on_503(health_server) -> None:
    handler, port = health_server
    command = dockerfile_health_check()
    assert "/healthz" in " ".join(command)
    assert run_check(command, port) == 0
    handler.status = 503
    assert run_check(command, port) != 0


def test_compose_checks_the_replicas_health_with_the_image_health_check() -> None:
    """Written out in compose.yaml too, so a reader sees what `service_healthy` waits for; the same check."""
    for name, replica in replicas().items():
        assert replica["healthcheck"]["test"] == ["CMD", *dockerfile_health_check()], name


def test_a_local_env_file_and_sqlite_files_stay_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "deploy/cadence.env", "*.db", "*.db.key", ".venv", ".git"} <= ignored


# --- cadence.env.example --------------------------------------------------------------------------------------


def config_variables() -> set[str]:
    return {name.upper() for name in AppConfig.model_fields}


def test_every_variable_cadence_reads_is_in_the_env_example() -> None:
    missing = config_variables() - set(env_example_lines())
    assert not missing, f"add these to deploy/cadence.env.example, with a comment: {sorted(missing)}"


def test_every_variable_in_the_env_example_is_read_by_cadence_or_compose() -> None:
    known = config_variables() | COMPOSE_VARIABLES | OUTBOUND_VARIABLES
    unknown = set(env_example_lines()) - known
    assert not unknown, f"deploy/cadence.env.example names variables nothing reads: {sorted(unknown)}"


def test_the_env_example_names_each_variable_once() -> None:
    """Twice, and the later line silently wins (in Docker and systemd alike) over the one a reader edited."""
    names = [name for name, _, _ in env_example_assignments()]
    assert sorted({name for name in names if names.count(name) > 1}) == []


def test_the_outbound_variables_are_the_ones_the_main_readme_documents() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in OUTBOUND_VARIABLES:
        assert f"`{name}`" in readme, name


def test_a_commented_variable_shows_cadences_default() -> None:
    for name, (value, commented) in env_example_lines().items():
        field = AppConfig.model_fields.get(name.lower())
        if not commented or field is None or field.default is None:
            continue
        default = field.default
        if isinstance(default, bool):
            assert value == str(default).lower(), f"{name}: the example shows {value!r}, the default is {default}"
        elif isinstance(default, int | float):
            assert float(value) == default, f"{name}: the example shows {value!r}, the default is {default}"
        else:
            assert value == default, f"{name}: the example shows {value!r}, the default is {default!r}"


def test_the_env_example_as_written_is_a_valid_production_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in config_variables():
        monkeypatch.delenv(name, raising=False)
    for name, (value, commented) in env_example_lines().items():
        if not commented:
            monkeypatch.setenv(name, value)
    config = AppConfig(_env_file=None)
    assert config.in_production
    assert config.database_url.startswith("sqlite:////var/lib/cadence/")


# --- cadence.service ----------------------------------------------------------------------------------------


def test_the_unit_runs_serve_as_a_dedicated_user_after_migrating() -> None:
    service = unit()["Service"]
    assert service["User"] not in ("", "root", "0")
    assert service["EnvironmentFile"] == "/etc/cadence/cadence.env"
    assert service["ExecStartPre"].split()[1:] == ["db", "upgrade"]
    assert service["ExecStart"].split()[1:] == ["serve"]
    assert service["ExecStart"].split()[0] == service["ExecStartPre"].split()[0]


def test_the_unit_restarts_on_failure_and_waits_for_the_drain_on_stop() -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert seconds(service["TimeoutStopSec"]) > DEFAULT_GRACE_SECONDS


def test_the_unit_is_hardened_and_may_write_only_where_sqlite_lives() -> None:
    service = unit()["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "yes"
    writable = service["ReadWritePaths"].split()
    database_url, _ = env_example_lines()["DATABASE_URL"]
    sqlite_directory = str(Path(database_url.removeprefix("sqlite:///")).parent)
    assert writable == [sqlite_directory]
    assert service["WorkingDirectory"] == sqlite_directory
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


# --- prometheus.yml and alerts.yml ----------------------------------------------------------------------------


def test_every_metric_an_alert_uses_is_one_cadence_serves(database: Database) -> None:
    served = rendered_metric_names(database)
    used = {name for rule in alert_rules() for name in re.findall(r"\bcadence_[a-z_]+", rule["expr"])}
    missing = used - served
    assert not missing, f"alerts.yml uses metrics /metrics doesn't serve: {sorted(missing)}"


def test_the_alerts_cover_the_metrics_that_matter() -> None:
    expressions = " ".join(rule["expr"] for rule in alert_rules())
    assert "sum(cadence_scheduler_leader) == 0" in expressions
    assert "sum(cadence_scheduler_leader) > 1" in expressions
    for metric in (
        "cadence_database_up",
        "cadence_outbox_oldest_pending_seconds",
        "cadence_inbox_oldest_queued_seconds",
        "cadence_inbox_failed",
        "cadence_ack_seconds_bucket",
    ):
        assert metric in expressions, metric


def test_the_ack_alert_fires_before_slacks_three_seconds() -> None:
    [rule] = [rule for rule in alert_rules() if "cadence_ack_seconds_bucket" in rule["expr"]]
    threshold = float(re.search(r">\s*([\d.]+)\s*$", rule["expr"]).group(1))
    assert 0 < threshold < 3


def test_every_alert_says_how_bad_it_is_and_is_explained_in_the_guide() -> None:
    guide = (DEPLOY / "README.md").read_text()
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert f"**{rule['alert']}**" in guide, f"deploy/README.md doesn't explain {rule['alert']}"


def test_prometheus_scrapes_every_replica_and_loads_the_alerts() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    [job] = config["scrape_configs"]
    targets = [target for static in job["static_configs"] for target in static["targets"]]
    assert sorted(targets) == sorted(f"{name}:{replica['environment']['PORT']}" for name, replica in replicas().items())
    assert job["metrics_path"] == "/metrics"
    assert 'job="cadence"' in " ".join(rule["expr"] for rule in alert_rules())
    assert job["job_name"] == "cadence"


# --- the proxy ------------------------------------------------------------------------------------------------


def test_the_proxy_balances_over_every_replica_and_checks_healthz() -> None:
    expected = sorted(f"{name}:{replica['environment']['PORT']}" for name, replica in replicas().items())
    assert sorted(caddy_upstreams()) == expected
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"^\s*health_uri\s+/healthz\s*$", caddyfile, re.MULTILINE)
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services()["proxy"]["volumes"]


def test_the_proxy_keeps_metrics_from_the_internet() -> None:
    assert re.search(r"^\s*respond\s+/metrics\s+404\s*$", (DEPLOY / "Caddyfile").read_text(), re.MULTILINE)


# --- deploy/README.md -----------------------------------------------------------------------------------------

PENDING_DOCUMENTS = {"SCALING.md"}
"""Linked from the guide, written later by someone else."""


def command_paths() -> set[tuple[str, ...]]:
    """Every `cadence ...` command path the CLI has: ('db',), ('db', 'upgrade'), ('serve',), ..."""
    paths: set[tuple[str, ...]] = set()

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    paths.add((*prefix, name))
                    walk(sub, (*prefix, name))

    walk(build_parser(), ())
    return paths


def guide_code() -> str:
    """The guide's code: its fenced blocks and its inline code spans."""
    text = (DEPLOY / "README.md").read_text()
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[a-z]*\n.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    paragraphs = re.sub(r"(?<!\n)\n(?!\n)", " ", prose)  # a code span may wrap onto the next line
    return "\n".join(blocks + re.findall(r"`([^`\n]+)`", paragraphs))


def test_every_cadence_command_the_guide_gives_exists() -> None:
    paths = command_paths()
    # `cadence`, its one global option maybe, then words (not paths): `cadence --database-url URL db current`
    named = re.findall(r"(?<![\w.=:@-])cadence((?: --database-url \S+)?(?: [a-z][a-z-]*(?![\w/.:-]))+)", guide_code())
    assert len(named) > 10, "the guide's commands weren't found"
    for words in named:
        path = tuple(re.sub(r"--database-url \S+", "", words).split())
        known = [length for length in range(1, len(path) + 1) if path[:length] in paths]
        assert known, f"`cadence{words}`: there is no `cadence {path[0]}`"
        deepest = path[: max(known)]
        subcommands = sorted(other[-1] for other in paths if other[:-1] == deepest)
        assert not subcommands, f"`cadence{words}`: `cadence {' '.join(deepest)}` takes one of {subcommands}"


def test_the_guide_links_only_to_files_that_exist_or_are_on_their_way() -> None:
    text = (DEPLOY / "README.md").read_text()
    targets = [target for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if "://" not in target]
    assert "SCALING.md" in targets
    for target in set(targets) - PENDING_DOCUMENTS:
        assert (DEPLOY / target).resolve().exists(), f"deploy/README.md links to {target}, which isn't there"


def test_the_guide_documents_every_metric_cadence_serves(database: Database) -> None:
    guide = (DEPLOY / "README.md").read_text()
    families = {re.sub(r"_(total|created|bucket|sum|count)$", "", name) for name in rendered_metric_names(database)}
    for family in families:
        assert f"`{family}" in guide, f"deploy/README.md's metrics table doesn't list {family}"
