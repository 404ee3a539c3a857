"""What the code listens to and what the manifest asks Slack for are the same, both ways."""

from __future__ import annotations

import io

from bot.cli import main
from bot.slack.listeners import register_all
from bot.slack.manifest import build_manifest


class RecordingApp:
    """Stands in for AsyncApp and records what each listener module registers."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.events: list[str] = []
        self.actions: list[object] = []
        self.views: list[object] = []
        self.shortcuts: list[str] = []

    def _record(self, into: list, key):
        into.append(key)
        return lambda function: function

    def command(self, name):
        return self._record(self.commands, name)

    def event(self, name):
        return self._record(self.events, name)

    def action(self, matcher):
        return self._record(self.actions, matcher)

    def view(self, matcher):
        return self._record(self.views, matcher)

    def shortcut(self, callback_id):
        return self._record(self.shortcuts, callback_id)


def registered() -> RecordingApp:
    app = RecordingApp()
    register_all(app, deps=None)  # listeners only read deps when they run
    return app


def test_every_registered_command_is_in_the_manifest_and_back() -> None:
    manifest_commands = {command["command"] for command in build_manifest()["features"]["slash_commands"]}
    assert set(registered().commands) == manifest_commands


def test_every_registered_event_is_subscribed_in_the_manifest_and_back() -> None:
    subscribed = {event.split(".")[0] for event in build_manifest()["settings"]["event_subscriptions"]["bot_events"]}
    assert set(registered().events) == subscribed


def test_every_registered_shortcut_is_in_the_manifest_and_back() -> None:
    assert set(registered().shortcuts) == {
        shortcut["callback_id"] for shortcut in build_manifest()["features"]["shortcuts"]
    }


def test_interactivity_is_on_because_buttons_and_forms_are_handled() -> None:
    app = registered()
    assert app.actions and app.views
    assert build_manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_the_cli_prints_the_manifest_with_the_given_url() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["manifest", "slack", "--url", "https://cadence.acme.example/"], out=out, err=err) == 0
    assert '"request_url": "https://cadence.acme.example/slack/events"' in out.getvalue()
    bad_out, bad_err = io.StringIO(), io.StringIO()
    assert main(["manifest", "slack", "--url", "ftp://nope"], out=bad_out, err=bad_err) == 1
    assert bad_err.getvalue().count("\n") == 1 and "https://" in bad_err.getvalue()
