"""Outbound HTTP honours the standard proxy and certificate variables, Slack's clients included
(slack_sdk reads HTTPS_PROXY by itself but not NO_PROXY)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import AppConfig
from bot.outbound_http import proxy_for, ssl_context
from bot.slack.app import web_client
from tests.fakes.teams_services import FakeMicrosoft


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_the_proxy_is_used_unless_no_proxy_names_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    assert proxy_for("https://slack.com/api/") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    assert proxy_for("https://slack.com/api/") == "http://proxy.corp.example:3128"
    monkeypatch.setenv("NO_PROXY", "localhost,.slack.com")
    assert proxy_for("https://files.slack.com/upload") is None
    assert proxy_for("https://login.microsoftonline.com/") == "http://proxy.corp.example:3128"


def test_slacks_clients_take_the_proxy_and_its_bypass_list(monkeypatch: pytest.MonkeyPatch) -> None:
    config = AppConfig(_env_file=None, slack_bot_token="xoxb-1", slack_api_url="https://slack.com/api/")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    assert web_client(config).proxy == "http://proxy.corp.example:3128"
    monkeypatch.setenv("NO_PROXY", "slack.com")
    assert web_client(config).proxy is None, "slack_sdk alone would still send it to the proxy"


def test_a_company_certificate_authority_is_trusted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FakeMicrosoft() as microsoft:
        monkeypatch.setenv("SSL_CERT_FILE", microsoft.ca_bundle_path)
        names = {item["subject"][0][0][1] for item in ssl_context().get_ca_certs() if item.get("subject")}
        fake_ca = {item["subject"][0][0][1] for item in microsoft.client_ssl_context().get_ca_certs()}
        assert fake_ca <= names
