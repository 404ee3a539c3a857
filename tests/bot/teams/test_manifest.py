"""The generated Teams app package is one Teams accepts: the manifest validates against Microsoft's
v1.19 schema and keeps Teams' limits, its commands are ones Cadence's engine routes, the icons are
the sizes and colours Teams requires, and the committed ``manifests/teams`` copy stays in step.

The schema is Microsoft's published ``MicrosoftTeams.schema.json`` (MIT, LICENSE alongside it),
read from ``tests/fixtures/schemas/teams-manifest/v1.19``. It declares draft-04 but uses draft-06's ``const`` for ``manifestVersion``, which a
plain draft-04 validator silently ignores, so the validator here adds it. Any ``$ref`` to another
file resolves only to the files beside the schema: nothing is fetched (tests run offline).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.exceptions
import referencing.jsonschema
from PIL import Image

from bot.teams import manifest as teams_manifest
from bot.teams.manifest import (
    COMMANDS,
    PACKAGE_FILES,
    PERSONAL,
    PLACEHOLDER_APP_ID,
    SCHEMA_URL,
    TEAM,
    build_manifest,
    build_package,
    color_icon,
    commands_for,
    outline_icon,
    render_manifest,
)
from conversations.commands import read_command
from conversations.flows import all_flows

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_DIR = REPO_ROOT / "tests/fixtures/schemas/teams-manifest/v1.19"
SCHEMA_FILE = "MicrosoftTeams.schema.json"
COMMITTED_DIR = REPO_ROOT / "manifests/teams"
README_PATH = COMMITTED_DIR / "README.md"
REGENERATE_HINT = (
    'regenerate it with: .venv/bin/python -c "from bot.teams.manifest import write_package_folder; '
    "write_package_folder('manifests/teams')\""
)
APP_ID = "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
WHITE = (255, 255, 255)


def schema_dir() -> Path:
    assert (SCHEMA_DIR / SCHEMA_FILE).is_file(), f"Microsoft's Teams manifest schema belongs in {SCHEMA_DIR}"
    return SCHEMA_DIR


def local_registry(directory: Path) -> referencing.Registry:
    """Every schema file beside the main one, by its bare name and its published URL; any other
    reference fails rather than being fetched."""

    def refuse(uri: str) -> referencing.Resource:
        raise referencing.exceptions.NoSuchResource(ref=uri)

    base_url = SCHEMA_URL.rsplit("/", 1)[0]
    resources = []
    for path in sorted(directory.glob("*.json")):
        resource = referencing.Resource.from_contents(
            json.loads(path.read_text(encoding="utf-8")), default_specification=referencing.jsonschema.DRAFT4
        )
        resources += [(path.name, resource), (f"{base_url}/{path.name}", resource)]
    return referencing.Registry(retrieve=refuse).with_resources(resources)


@pytest.fixture(scope="module")
def manifest_validator() -> jsonschema.protocols.Validator:
    directory = schema_dir()
    schema = json.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8"))
    declared = jsonschema.validators.validator_for(schema)
    assert declared is jsonschema.Draft4Validator, "the schema changed draft: revisit the const workaround below"
    validator_class = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]}
    )
    validator_class.check_schema(schema)
    return validator_class(schema, registry=local_registry(directory), format_checker=validator_class.FORMAT_CHECKER)


def schema_errors(validator: jsonschema.protocols.Validator, manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def assert_valid(validator: jsonschema.protocols.Validator, manifest: dict[str, Any]) -> None:
    errors = schema_errors(validator, manifest)
    assert errors == [], "manifest does not match Microsoft's Teams schema:\n" + "\n".join(errors)


def the_bot(manifest: dict[str, Any]) -> dict[str, Any]:
    (bot,) = manifest["bots"]
    return bot


def command_lists(manifest: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    lists = {}
    for command_list in the_bot(manifest)["commandLists"]:
        (scope,) = command_list["scopes"]
        lists[scope] = command_list["commands"]
    return lists


# The schema


@pytest.mark.parametrize("base_url", [None, "https://bot.acme.test", "https://acme.test:8443/cadence/"])
def test_manifest_validates_against_teams_schema(manifest_validator, base_url):
    assert_valid(manifest_validator, build_manifest(APP_ID, base_url=base_url))


def test_the_validator_enforces_the_manifest_version(manifest_validator):
    # draft-04 has no "const"; without the workaround any manifestVersion would pass
    stale = build_manifest(APP_ID) | {"manifestVersion": "1.18"}

    assert schema_errors(manifest_validator, stale) == ["manifestVersion: '1.19' was expected"]


def test_manifest_names_schema_v1_19():
    manifest = build_manifest(APP_ID)

    assert (
        manifest["$schema"]
        == "https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/MicrosoftTeams.schema.json"
    )
    assert manifest["manifestVersion"] == "1.19"


# Teams' limits, spelled out so a failure names the one that was broken


def test_names_and_descriptions_fit_teams_limits():
    manifest = build_manifest(APP_ID)

    assert manifest["name"]["short"] == "Cadence"
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["name"]["full"]) <= 100
    assert len(manifest["developer"]["name"]) <= 32
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["short"]) < len(manifest["description"]["full"]) <= 4000
    for words in ("check-in", "kudos", "goals"):
        assert words in manifest["description"]["short"], f"the short description should mention {words}"


def test_every_command_fits_teams_limits():
    for command_list in command_lists(build_manifest(APP_ID)).values():
        assert 0 < len(command_list) <= 10
        titles = [command["title"] for command in command_list]
        assert len(set(titles)) == len(titles), f"a command is listed twice: {titles}"
        for command in command_list:
            assert 0 < len(command["title"]) <= 32, command
            assert 0 < len(command["description"]) <= 128, command


def test_bot_is_the_app_conversational_in_chats_and_channels():
    manifest = build_manifest(APP_ID)
    bot = the_bot(manifest)

    assert manifest["id"] == bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is True, "a person's data goes to them as a file in their chat"
    assert bot["isNotificationOnly"] is False
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert "webApplicationInfo" not in manifest, "Cadence has no single sign-on to declare"


# Commands


def engine_commands() -> set[str]:
    return {command for flow in all_flows() for command in flow.commands}


def test_every_teams_command_is_one_the_engine_routes():
    known = engine_commands()
    words = {command.split(" ", 1)[0] for command in known}

    for command in COMMANDS:
        assert command.title in known, f"{command.title!r} is not a command any flow in conversations/flows.py has"
        typed = read_command(command.title, words)
        assert typed is not None, f"{command.title!r} would not be read as a command when typed"
        assert " ".join(filter(None, (typed.command, typed.text))) == command.title


def test_every_command_word_is_offered_in_a_chat_or_named_in_help():
    # "cadence" is the umbrella word (Slack's /cadence) for help and whoami, both listed themselves.
    # Teams shows at most 10 commands: what doesn't fit in the menu is in help, which is.
    words = {command.split(" ", 1)[0] for command in engine_commands()} - {"cadence"}
    offered = {command.title.split(" ", 1)[0] for command in commands_for(PERSONAL)}
    help_text = (REPO_ROOT / "conversations/templates/help.j2").read_text(encoding="utf-8")

    assert "help" in offered
    assert {word for word in words - offered if f'"{word}' not in help_text} == set(), "name these in help.j2"


def test_command_lists_are_the_declared_commands_per_scope():
    lists = command_lists(build_manifest(APP_ID))

    assert set(lists) == {PERSONAL, TEAM}
    for scope, listed in lists.items():
        assert listed == [
            {"title": command.title, "description": command.description} for command in commands_for(scope)
        ]
    assert [command["title"] for command in lists[TEAM]] == ["help", "kudos", "kudos top"]
    assert set(COMMANDS) - set(commands_for(TEAM)) <= set(commands_for(PERSONAL)), "a command only in channels"
    assert all(len(listed) <= 10 for listed in lists.values()), "Teams shows at most 10 commands per scope"


# Ids, versions and URLs


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "cadence",
        "6f1a2b3c4d5e4f608a9b0c1d2e3f4a5b",
        "{6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b}",
        "6f1a2b3c-4d5e-4f60-8a9b",
    ],
)
def test_an_app_id_that_is_not_a_guid_is_refused_in_one_sentence(bad_id, tmp_path):
    for attempt in (lambda: build_manifest(bad_id), lambda: build_package(bad_id, tmp_path / "cadence-teams.zip")):
        with pytest.raises(ValueError) as raised:
            attempt()
        message = str(raised.value)
        assert message.startswith(f"Teams app id {bad_id!r} is not a GUID")
        assert message.endswith(f"for example {teams_manifest.EXAMPLE_APP_ID}.")
        assert message.count(". ") == 0 and "\n" not in message, "one sentence"
        assert teams_manifest._GUID.fullmatch(teams_manifest.EXAMPLE_APP_ID), "the example must itself be valid"
    assert not (tmp_path / "cadence-teams.zip").exists(), "nothing is written for a bad id"


def test_app_id_is_stripped_and_kept_as_given():
    manifest = build_manifest(f"  {APP_ID.upper()}\n")

    assert manifest["id"] == the_bot(manifest)["botId"] == APP_ID.upper()


def test_version_comes_from_cadence_and_can_be_given():
    assert build_manifest(APP_ID)["version"] == teams_manifest.package_version()
    assert build_manifest(APP_ID, version="2.3.4")["version"] == "2.3.4"
    with pytest.raises(ValueError, match=r"must be major\.minor\.patch, for example 1\.0\.0"):
        build_manifest(APP_ID, version="2.3")


def test_package_version_is_major_minor_patch(monkeypatch):
    for raw, expected in [("0.1.0", "0.1.0"), ("0.2.0.dev1", "0.2.0"), ("1.4", "1.4.0"), ("2", "2.0.0")]:
        monkeypatch.setattr(teams_manifest.importlib.metadata, "version", lambda name, raw=raw: raw)
        assert teams_manifest.package_version() == expected


def test_base_url_host_is_the_one_valid_domain_and_fills_the_links():
    manifest = build_manifest(APP_ID, base_url="https://bot.acme.test:8443/cadence/")

    assert manifest["validDomains"] == ["bot.acme.test"]
    assert manifest["developer"]["websiteUrl"] == "https://bot.acme.test:8443/cadence"
    assert manifest["developer"]["privacyUrl"] == "https://bot.acme.test:8443/cadence/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == "https://bot.acme.test:8443/cadence/terms"


def test_without_base_url_links_are_placeholders_and_no_domain_is_listed():
    manifest = build_manifest(APP_ID)

    assert manifest["validDomains"] == []
    assert manifest["developer"]["websiteUrl"] == "https://cadence.example.com"
    assert not any("*" in domain for domain in build_manifest(APP_ID, base_url="https://bot.acme.test")["validDomains"])


@pytest.mark.parametrize(
    "bad_url",
    [
        "",
        "cadence.example.com",
        "http://cadence.example.com",
        "https://",
        "https://cadence.example.com?team=1",
        "https://cadence.example.com/#x",
        "https://cadence.example.com:notaport",
        "https://user:secret@cadence.example.com",
    ],
)
def test_bad_base_urls_are_refused_with_an_example(bad_url):
    with pytest.raises(ValueError, match=r"must be an https:// address.*for example https://cadence\.example\.com\."):
        build_manifest(APP_ID, base_url=bad_url)


def test_render_manifest_is_the_built_manifest_as_json():
    text = render_manifest(APP_ID, base_url="https://bot.acme.test")

    assert text.endswith("}\n")
    assert json.loads(text) == build_manifest(APP_ID, base_url="https://bot.acme.test")


# Icons


def pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_color_icon_is_192_square_and_in_colour():
    image = pixels(color_icon())

    assert image.format == "PNG"
    assert image.size == (192, 192)
    colours = image.convert("RGB").getcolors(maxcolors=192 * 192)
    assert colours is not None and len(colours) > 2
    assert any(len({red, green, blue}) > 1 for _, (red, green, blue) in colours), "not greyscale"


def test_outline_icon_is_32_square_white_on_transparent():
    image = pixels(outline_icon())

    assert image.format == "PNG"
    assert image.size == (32, 32)
    rgba = image.convert("RGBA")
    raw = rgba.tobytes()
    data = [tuple(raw[offset : offset + 4]) for offset in range(0, len(raw), 4)]
    not_white = [
        (index % 32, index // 32, pixel) for index, pixel in enumerate(data) if pixel[3] != 0 and pixel[:3] != WHITE
    ]
    assert not_white == [], "every pixel must be fully transparent or white"
    assert {pixel[3] for pixel in data} == {0, 255}, "opaque white bars on a fully transparent background"
    assert all(rgba.getpixel(corner)[3] == 0 for corner in [(0, 0), (31, 0), (0, 31), (31, 31)])


def test_icons_are_drawn_the_same_every_time():
    assert color_icon() == color_icon()
    assert outline_icon() == outline_icon()


# The committed copy in manifests/teams


def test_committed_manifest_is_current():
    committed = (COMMITTED_DIR / "manifest.json").read_text(encoding="utf-8")

    assert committed == render_manifest(PLACEHOLDER_APP_ID), (
        f"manifests/teams/manifest.json is stale; {REGENERATE_HINT}"
    )
    assert json.loads(committed) == build_manifest(PLACEHOLDER_APP_ID)


def test_committed_manifest_validates(manifest_validator):
    assert_valid(manifest_validator, json.loads((COMMITTED_DIR / "manifest.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize(("name", "draw"), [("color.png", color_icon), ("outline.png", outline_icon)])
def test_committed_icons_are_the_drawn_icons(name, draw):
    # compared pixel for pixel, not byte for byte: another Pillow or zlib may compress differently
    committed, drawn = pixels((COMMITTED_DIR / name).read_bytes()), pixels(draw())

    assert (committed.mode, committed.size) == (drawn.mode, drawn.size)
    assert committed.tobytes() == drawn.tobytes(), f"manifests/teams/{name} is stale; {REGENERATE_HINT}"


def test_readme_command_table_matches_the_commands():
    readme = README_PATH.read_text(encoding="utf-8")
    section = readme.split("\n## Bot commands\n", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    where = {PERSONAL: "chat", TEAM: "channel"}

    assert rows == [
        f"| `{command.title}` | {command.description.replace('|', chr(92) + '|')} | "
        f"{', '.join(where[scope] for scope in command.scopes)} |"
        for command in COMMANDS
    ]


# The package


def test_build_package_writes_the_three_files_at_the_zip_root(tmp_path):
    out = build_package(APP_ID, tmp_path / "cadence-teams.zip", base_url="https://bot.acme.test")

    assert out == tmp_path / "cadence-teams.zip"
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(PACKAGE_FILES) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.read("color.png") == color_icon()
        assert archive.read("outline.png") == outline_icon()
    assert manifest == build_manifest(APP_ID, base_url="https://bot.acme.test")
    assert manifest["validDomains"] == ["bot.acme.test"]


def test_packaged_manifest_validates(tmp_path, manifest_validator):
    out = build_package(APP_ID, tmp_path / "cadence-teams.zip", base_url="https://bot.acme.test")

    with zipfile.ZipFile(out) as archive:
        assert_valid(manifest_validator, json.loads(archive.read("manifest.json")))


def test_build_package_is_reproducible_and_accepts_a_string_path(tmp_path):
    first = build_package(APP_ID, str(tmp_path / "one.zip"))
    second = build_package(APP_ID, tmp_path / "two.zip")

    assert first.read_bytes() == second.read_bytes()
