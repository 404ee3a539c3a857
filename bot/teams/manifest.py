"""The Microsoft Teams app package: ``manifest.json`` (schema v1.19) and the two icons, zipped.

Teams installs a custom app from a zip holding ``manifest.json``, ``color.png`` and
``outline.png`` at its root (Teams → Apps → Manage your apps → Upload an app, or the Teams admin
center for the whole organisation). The bot's messaging endpoint is not in the manifest: it is set
on the Azure Bot resource whose Microsoft App ID the manifest names.

The commands Teams offers in its command menu are declared once here, as the words Cadence reads
in any chat (``conversations/commands.py``); a test checks each is one the engine routes. The icons
are drawn here too, so ``build_package`` works from an installed Cadence without the repository's
``manifests/teams`` folder, whose committed copies a test keeps identical to what is drawn.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MANIFEST_VERSION = "1.19"
SCHEMA_URL = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
PLACEHOLDER_APP_ID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_BASE_URL = "https://cadence.example.com"
EXAMPLE_APP_ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"

MANIFEST_FILE = "manifest.json"
COLOR_ICON_FILE = "color.png"
OUTLINE_ICON_FILE = "outline.png"
PACKAGE_FILES = (MANIFEST_FILE, COLOR_ICON_FILE, OUTLINE_ICON_FILE)
COLOR_ICON_SIZE = 192
OUTLINE_ICON_SIZE = 32

APP_NAME = "Cadence"
APP_FULL_NAME = "Cadence: weekly check-ins, kudos and goals"
APP_DESCRIPTION = "Weekly check-ins, kudos, goals and manager digests, right in Teams."
APP_LONG_DESCRIPTION = (
    "Cadence replaces the annual review with a weekly rhythm in chat. Everyone answers a short "
    "check-in in a chat with Cadence at their own local time, gives kudos and updates goals; "
    "managers get a weekly digest of their team. Chat with Cadence for your check-ins and goals, "
    "or mention it in a channel to thank someone in public. Self-hosted: your data stays with "
    "your company."
)
ACCENT_COLOR = "#2f4858"

PERSONAL = "personal"
TEAM = "team"
BOT_SCOPES = (PERSONAL, TEAM)
PERMISSIONS = ("identity", "messageTeamMembers")

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_LEADING_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_FALLBACK_VERSION = "1.0.0"


@dataclass(frozen=True)
class BotCommand:
    """An entry in Teams' command menu: ``title`` is inserted into the message box when picked, so
    it is the command exactly as Cadence reads it when typed; ``scopes`` are where it is offered."""

    title: str
    description: str
    scopes: tuple[str, ...] = (PERSONAL,)


# Teams shows at most 10 commands per scope. In a chat with Cadence (personal) everything a person
# does on their own; in a channel, where Cadence is mentioned, what is meant to be seen by others.
COMMANDS: tuple[BotCommand, ...] = (
    BotCommand("help", "What Cadence can do for you, and who sees what", (PERSONAL, TEAM)),
    BotCommand("checkin", "Answer this week's check-in now, or change your answers"),
    BotCommand(
        "checkin away", "No check-ins while you're away: checkin away next week, Dec 21 to Jan 4, list or cancel"
    ),
    BotCommand("kudos", "Thank someone in public: kudos @sam for untangling the release #ownership", (PERSONAL, TEAM)),
    BotCommand("kudos top", "The kudos leaderboard: kudos top [week|month|quarter] [#value]", (TEAM,)),
    BotCommand("goal", "Your goals and your team's, with their ids; goal show G-1, goal close G-1 done"),
    BotCommand("goal new", "Set a goal with key results"),
    BotCommand(
        "feedback", 'Give feedback (feedback give @sam) or ask for it (feedback request @a @b about "Q4 launch")'
    ),
    BotCommand("1on1", 'Your next 1:1 with someone and its agenda: 1on1 @sam, 1on1 add @sam "career plan"'),
    BotCommand("whoami", "What Cadence knows about you: team, manager, time zone"),
    BotCommand("privacy", "Who can read your check-ins, feedback and 1:1 notes, by name"),
)


def package_version() -> str:
    """Cadence's version as the ``major.minor.patch`` Teams requires (``0.2.0.dev1`` → ``0.2.0``);
    ``1.0.0`` when Cadence isn't installed as a package."""
    try:
        raw = importlib.metadata.version("cadence")
    except importlib.metadata.PackageNotFoundError:
        return _FALLBACK_VERSION
    match = _LEADING_VERSION.match(raw)
    if match is None:
        return _FALLBACK_VERSION
    return ".".join(str(int(part or 0)) for part in match.groups())


DEFAULT_VERSION = package_version()


def build_manifest(app_id: str, *, base_url: str | None = None, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """Return the Teams app manifest (schema v1.19) for the Azure bot whose Microsoft App ID is
    ``app_id``; the app and its one bot share that id.

    ``base_url`` is the public https address of this Cadence: the developer website, privacy and
    terms links point at it and its host is the one valid domain. ``None`` fills in
    ``https://cadence.example.com`` for the links and lists no domain, which a bot-only app
    doesn't need. ``version`` must change (upwards) for Teams to take an updated package.
    """
    app_id = check_app_id(app_id)
    if not _SEMVER.fullmatch(version):
        raise ValueError(f"Teams app version {version!r} must be major.minor.patch, for example 1.0.0.")
    base = normalise_base_url(base_url) if base_url is not None else PLACEHOLDER_BASE_URL
    valid_domains = [urlsplit(base).hostname] if base_url is not None else []

    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": APP_NAME,
            "websiteUrl": base,
            "privacyUrl": f"{base}{PRIVACY_PATH}",
            "termsOfUseUrl": f"{base}{TERMS_PATH}",
        },
        "name": {"short": APP_NAME, "full": APP_FULL_NAME},
        "description": {"short": APP_DESCRIPTION, "full": APP_LONG_DESCRIPTION},
        "icons": {"color": COLOR_ICON_FILE, "outline": OUTLINE_ICON_FILE},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": app_id,
                "scopes": list(BOT_SCOPES),
                "supportsFiles": True,  # a person's data is sent as a file (bot/teams/files.py)
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": [scope],
                        "commands": [
                            {"title": command.title, "description": command.description}
                            for command in commands_for(scope)
                        ],
                    }
                    for scope in BOT_SCOPES
                ],
            }
        ],
        "permissions": list(PERMISSIONS),
        "validDomains": valid_domains,
        "defaultInstallScope": PERSONAL,
    }


def render_manifest(app_id: str, *, base_url: str | None = None, version: str = DEFAULT_VERSION) -> str:
    """The manifest as JSON text (the exact bytes of the committed ``manifests/teams/manifest.json``
    for the placeholder app id)."""
    manifest = build_manifest(app_id, base_url=base_url, version=version)
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def commands_for(scope: str) -> tuple[BotCommand, ...]:
    """The commands Teams offers in ``scope`` (``personal`` or ``team``), in menu order."""
    return tuple(command for command in COMMANDS if scope in command.scopes)


def check_app_id(app_id: str) -> str:
    """``app_id`` without surrounding spaces, once it is a GUID as Teams requires."""
    candidate = app_id.strip() if isinstance(app_id, str) else ""
    if not _GUID.fullmatch(candidate):
        raise ValueError(
            f"Teams app id {app_id!r} is not a GUID; use the Microsoft App ID of Cadence's Azure bot, "
            f"for example {EXAMPLE_APP_ID}."
        )
    return candidate


def normalise_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, once it is an https address Teams accepts for links."""
    candidate = base_url.strip().rstrip("/")
    if not _is_acceptable_base_url(candidate):
        raise ValueError(
            f"Teams base URL {base_url!r} must be an https:// address with a host and no query or fragment, "
            f"for example {PLACEHOLDER_BASE_URL}."
        )
    return candidate


def _is_acceptable_base_url(candidate: str) -> bool:
    try:
        parts = urlsplit(candidate)
        _ = parts.port  # reading the port is what rejects "host:abc" and out-of-range ports
    except ValueError:
        return False
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return False
    return not any(character in candidate for character in "?#") and not any(char.isspace() for char in candidate)


# Icons: rhythm bars, a week's pulse rising and falling. Pillow comes with matplotlib.

_BAR_HEIGHTS = (3, 5, 7, 4, 6)  # in sevenths of the symbol's height
_BAR_COLORS = ("#86bbd8", "#33a1a1", "#f6ae2d", "#f26419", "#e4f0f6")


def color_icon() -> bytes:
    """The 192x192 full-colour icon: light rhythm bars on the accent colour."""
    from PIL import Image, ImageDraw

    scale = 4  # drawn large and scaled down, for smooth edges
    size = COLOR_ICON_SIZE * scale
    image = Image.new("RGB", (size, size), ACCENT_COLOR)
    draw = ImageDraw.Draw(image)
    bar_width, gap, symbol_height = 16 * scale, 8 * scale, 112 * scale
    left = (size - len(_BAR_HEIGHTS) * bar_width - (len(_BAR_HEIGHTS) - 1) * gap) // 2
    for index, (sevenths, color) in enumerate(zip(_BAR_HEIGHTS, _BAR_COLORS, strict=True)):
        height = symbol_height * sevenths // 7
        x = left + index * (bar_width + gap)
        top = (size - height) // 2
        draw.rounded_rectangle((x, top, x + bar_width - 1, top + height - 1), radius=bar_width // 2, fill=color)
    return _png(image.resize((COLOR_ICON_SIZE, COLOR_ICON_SIZE), Image.Resampling.LANCZOS))


def outline_icon() -> bytes:
    """The 32x32 outline icon: the same bars in opaque white on a fully transparent background,
    pixel-aligned (no anti-aliasing), as Teams requires."""
    from PIL import Image, ImageDraw

    size = OUTLINE_ICON_SIZE
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    bar_width, gap, symbol_height = 4, 2, 28
    left = (size - len(_BAR_HEIGHTS) * bar_width - (len(_BAR_HEIGHTS) - 1) * gap) // 2
    for index, sevenths in enumerate(_BAR_HEIGHTS):
        height = symbol_height * sevenths // 7
        x = left + index * (bar_width + gap)
        top = (size - height) // 2
        draw.rectangle((x, top, x + bar_width - 1, top + height - 1), fill=(255, 255, 255, 255))
    return _png(image)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def package_files(app_id: str, *, base_url: str | None = None, version: str = DEFAULT_VERSION) -> dict[str, bytes]:
    """The files of the app package, by their name in the zip."""
    return {
        MANIFEST_FILE: render_manifest(app_id, base_url=base_url, version=version).encode("utf-8"),
        COLOR_ICON_FILE: color_icon(),
        OUTLINE_ICON_FILE: outline_icon(),
    }


def build_package(
    app_id: str, out_path: str | Path, *, base_url: str | None = None, version: str = DEFAULT_VERSION
) -> Path:
    """Write the app package Teams uploads: a zip with ``manifest.json``, ``color.png`` and
    ``outline.png`` at its root (no folder). The same inputs give the same bytes. Returns the path."""
    files = package_files(app_id, base_url=base_url, version=version)  # refuses a bad id before writing
    path = Path(out_path)
    path.write_bytes(_zip(files.items()))
    return path


def _zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # no timestamp: reproducible
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return buffer.getvalue()


def write_package_folder(
    directory: str | Path, app_id: str = PLACEHOLDER_APP_ID, *, base_url: str | None = None
) -> tuple[Path, ...]:
    """Write the package's files unzipped into ``directory`` (how ``manifests/teams`` is made)."""
    folder = Path(directory)
    written = []
    for name, data in package_files(app_id, base_url=base_url).items():
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return tuple(written)
