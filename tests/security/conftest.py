"""The fixtures of the platform suites, so hostile requests go over real HTTP against the same fakes:
``cadence`` serves Slack for team T0001 (Ada reports to Grace), ``teams`` serves the fake tenant."""

from __future__ import annotations

from tests.bot.conftest import isolated_environment
from tests.bot.slack.conftest import cadence, no_proxies_or_oauth_from_the_environment, slack
from tests.bot.teams.conftest import microsoft, teams

__all__ = ["cadence", "isolated_environment", "microsoft", "no_proxies_or_oauth_from_the_environment", "slack", "teams"]
