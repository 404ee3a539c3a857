from __future__ import annotations

import pytest

from bot.config import AppConfig, ConfigError, check_slack


def config(**values) -> AppConfig:
    return AppConfig(_env_file=None, **values)


@pytest.mark.parametrize(
    ("values", "socket_mode", "names"),
    [
        ({}, False, "SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "xoxb-1"}, False, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": "xoxp-1", "slack_signing_secret": "s"}, False, "xoxb-"),
        ({"slack_bot_token": "xoxb-1"}, True, "SLACK_APP_TOKEN"),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xoxb-2"}, True, "xapp-"),
        ({"slack_client_id": "1.2"}, False, "SLACK_CLIENT_SECRET"),
        ({"slack_client_secret": "x"}, False, "SLACK_CLIENT_ID"),
        ({"slack_client_id": "1", "slack_client_secret": "x", "slack_bot_token": "xoxb-1"}, False, "not both"),
        (
            {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "slack_api_url": "slack.com"},
            False,
            "SLACK_API_URL",
        ),
    ],
)
def test_missing_or_contradictory_settings_name_the_variable(values, socket_mode, names) -> None:
    with pytest.raises(ConfigError, match=names) as caught:
        check_slack(config(**values), socket_mode=socket_mode)
    assert "\n" not in str(caught.value)


def test_complete_settings_pass() -> None:
    check_slack(config(slack_bot_token="xoxb-1", slack_signing_secret="s"), socket_mode=False)
    check_slack(config(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), socket_mode=True)
    check_slack(config(slack_client_id="1", slack_client_secret="x", slack_signing_secret="s"), socket_mode=False)
