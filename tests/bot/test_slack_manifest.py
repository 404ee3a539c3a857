"""The generated Slack manifest is one Slack accepts, asks for exactly what ``surface.py`` lists,
and the committed copy and its README stay in step with the code.

The schema is a copy of slackapi/manifest-schema's ``manifest.schema.1.0.0.json`` (MIT, LICENSE
alongside) taken from the shared schemas folder, because CI runs on a fresh clone where
``../shared`` does not exist. The classic-app schema has no remote ``$ref``s, so it validates
directly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from bot.slack import surface
from bot.slack.manifest import PLACEHOLDER_BASE_URL, build_manifest, render_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "tests/fixtures/schemas/slack-manifest/manifest.schema.1.0.0.json"
COMMITTED_MANIFEST_PATH = REPO_ROOT / "manifests/slack/manifest.json"
MANIFEST_README_PATH = REPO_ROOT / "manifests/slack/README.md"
REGENERATE_HINT = (
    'regenerate it with: .venv/bin/python -c "from pathlib import Path; from bot.slack.manifest import '
    "render_manifest; Path('manifests/slack/manifest.json').write_text(render_manifest("
    "'https://cadence.example.com'), encoding='utf-8')\""
)

# Slack refuses a manifest whose bot events need a scope it doesn't request, and the schema can't
# tell; these are the requirements from Slack's event reference for the events Cadence uses.
SCOPE_REQUIRED_BY_EVENT = {
    "app_home_opened": None,
    "message.im": "im:history",
    "team_join": "users:read",
    "user_change": "users:read",
    "tokens_revoked": None,
    "app_uninstalled": None,
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}


@pytest.fixture(scope="module")
def manifest_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def assert_valid(validator: jsonschema.protocols.Validator, manifest: dict) -> None:
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]
    assert errors == [], "manifest does not match Slack's schema:\n" + "\n".join(errors)


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
@pytest.mark.parametrize("base_url", [None, "https://bot.acme.test"], ids=["placeholder", "real-url"])
def test_manifest_validates_against_slack_schema(manifest_validator, base_url, socket_mode):
    assert_valid(manifest_validator, build_manifest(base_url, socket_mode=socket_mode))


def test_background_color_matches_schema_pattern():
    # The schema spells this pattern "regex" rather than "pattern", so jsonschema never checks it.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    color_pattern = schema["definitions"]["app-manifests.v1.display_information.schema"]["properties"][
        "background_color"
    ]["regex"]
    assert re.fullmatch(color_pattern, build_manifest()["display_information"]["background_color"])


def test_urls_are_filled_in_from_base_url():
    manifest = build_manifest("https://bot.acme.test/cadence/")

    events_url = "https://bot.acme.test/cadence/slack/events"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events_url
    assert manifest["settings"]["interactivity"]["request_url"] == events_url
    assert {command["url"] for command in manifest["features"]["slash_commands"]} == {events_url}
    assert manifest["oauth_config"]["redirect_urls"] == ["https://bot.acme.test/cadence/slack/oauth_redirect"]
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_placeholder_url_is_used_without_base_url():
    assert build_manifest() == build_manifest(PLACEHOLDER_BASE_URL)


@pytest.mark.parametrize("local_url", ["http://localhost:3000", "http://127.0.0.1:3000/"])
def test_plain_http_is_allowed_for_local_testing(local_url):
    manifest = build_manifest(local_url)

    assert manifest["settings"]["event_subscriptions"]["request_url"] == f"{local_url.rstrip('/')}/slack/events"


@pytest.mark.parametrize(
    "bad_url",
    [
        "",
        "cadence.example.com",
        "http://cadence.example.com",
        "ftp://cadence.example.com",
        "https://",
        "https://cadence.example.com?team=1",
        "https://cadence.example.com/#events",
        "https://cadence.example.com:notaport",
        "https://user:secret@cadence.example.com",
        "https://cadence example.com",
    ],
)
def test_bad_base_urls_are_refused_with_an_example(bad_url):
    with pytest.raises(ValueError, match=r"must be an https:// address.*for example https://cadence\.example\.com"):
        build_manifest(bad_url)


def test_socket_mode_has_no_request_urls():
    manifest = build_manifest(socket_mode=True)

    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in command for command in manifest["features"]["slash_commands"])
    assert "redirect_urls" not in manifest["oauth_config"], "a placeholder redirect URL would only mislead"


def test_socket_mode_keeps_a_real_oauth_redirect_url():
    manifest = build_manifest("https://bot.acme.test", socket_mode=True)

    assert manifest["oauth_config"]["redirect_urls"] == ["https://bot.acme.test/slack/oauth_redirect"]
    assert "request_url" not in manifest["settings"]["event_subscriptions"]


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
def test_manifest_asks_for_exactly_what_surface_lists(socket_mode):
    manifest = build_manifest(socket_mode=socket_mode)

    slash_commands = manifest["features"]["slash_commands"]
    assert [(command["command"], command["description"], command["usage_hint"]) for command in slash_commands] == [
        (command.command, command.description, command.usage_hint) for command in surface.SLASH_COMMANDS
    ]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(surface.BOT_EVENTS)
    assert manifest["oauth_config"]["scopes"] == {"bot": [scope.name for scope in surface.BOT_SCOPES]}


def test_every_bot_event_has_the_scope_slack_requires_for_it():
    requested_scopes = {scope.name for scope in surface.BOT_SCOPES}
    unknown_events = set(surface.BOT_EVENTS) - SCOPE_REQUIRED_BY_EVENT.keys()
    assert not unknown_events, f"add the scope Slack requires for {sorted(unknown_events)} to SCOPE_REQUIRED_BY_EVENT"

    missing = {
        event: SCOPE_REQUIRED_BY_EVENT[event]
        for event in surface.BOT_EVENTS
        if SCOPE_REQUIRED_BY_EVENT[event] is not None and SCOPE_REQUIRED_BY_EVENT[event] not in requested_scopes
    }
    assert missing == {}


def test_committed_manifest_is_current():
    committed = COMMITTED_MANIFEST_PATH.read_text(encoding="utf-8")

    assert committed == render_manifest(PLACEHOLDER_BASE_URL), f"{COMMITTED_MANIFEST_PATH} is stale; {REGENERATE_HINT}"


def test_render_manifest_is_the_built_manifest_as_json():
    assert json.loads(render_manifest("https://bot.acme.test", socket_mode=True)) == build_manifest(
        "https://bot.acme.test", socket_mode=True
    )


def table_rows_under(heading: str, markdown: str) -> list[str]:
    """The body rows of the first table after ``heading``, skipping its header and separator."""
    section = markdown.split(f"\n{heading}\n", 1)[1]
    table_lines = []
    for line in section.splitlines():
        if line.startswith("|"):
            table_lines.append(line)
        elif table_lines:
            break
    return table_lines[2:]


def test_readme_scope_table_lists_every_scope_with_its_reason():
    readme = MANIFEST_README_PATH.read_text(encoding="utf-8")

    assert table_rows_under("## Bot scopes", readme) == [
        f"| `{scope.name}` | {scope.why} |" for scope in surface.BOT_SCOPES
    ]


def escape_table_cell(text: str) -> str:
    """A literal ``|`` inside a Markdown table cell must be escaped or it splits the cell."""
    return text.replace("|", r"\|")


def test_readme_slash_command_table_matches_surface():
    readme = MANIFEST_README_PATH.read_text(encoding="utf-8")

    assert table_rows_under("## Slash commands", readme) == [
        f"| `{command.command}` | {command.description} | `{escape_table_cell(command.usage_hint)}` |"
        for command in surface.SLASH_COMMANDS
    ]
