"""While the database is away, an activity from Teams gets a fast 503 (nothing recorded), which the
Bot Connector retries; once it is back, the same activity is handled once."""

from __future__ import annotations

import sqlalchemy as sa

from tests.bot.teams.conftest import ADA
from tests.bot.teams.harness import RunningTeams, activity, card_of, card_text


def database_away(*args, **kwargs):
    raise sa.exc.OperationalError("INSERT INTO inbox_requests", {}, ConnectionRefusedError("connection refused"))


def test_an_activity_while_the_database_is_away_gets_503_and_its_retry_is_handled(
    teams: RunningTeams, monkeypatch
) -> None:
    body = activity("message_personal", **teams.fill(ADA, text="help"))
    monkeypatch.setattr(teams.runtime.recorder, "write", database_away)
    away = teams.post(body)
    assert away.status_code == 503
    assert teams.microsoft.sent(ADA.conversation) == []
    monkeypatch.undo()
    assert teams.post(body).status_code == 200
    (reply,) = teams.sent(ADA.conversation)
    assert "kudos" in card_text(card_of(reply))
