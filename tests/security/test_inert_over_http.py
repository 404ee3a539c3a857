"""Hostile text typed into Cadence over real HTTP, as Slack and Teams deliver it, followed to what the
fake Web API and the fake Bot Connector receive: stored exactly as typed (SQL-looking text, template
syntax, emoji, combining characters and right-to-left text included), shown to others as words, never
as a ping, a mention, a link or markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from conversations.messages import Platform
from conversations.workspace_settings import validate_settings
from storage import connections, org_import, workspaces
from storage.models import CheckinResponse, Kudos, OneOnOneItem
from tests.bot.slack import conftest as slack_suite
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.bot.slack.test_checkin_slack import FRIDAY, dm, prompt
from tests.bot.teams.conftest import ADA, GRACE, seed_org
from tests.bot.teams.harness import RunningTeams, card_of, card_text
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action
from tests.fakes.teams_services import TENANT_ID, FakeMicrosoft

ORG = """email,name,slack_id,manager_email,timezone
grace@acme.example,Grace Hopper,U0002,,America/New_York
ada@acme.example,Ada Lovelace,U0001,grace@acme.example,Europe/London
"""
WORDS = "{{ 7*191 }} {% if true %}yes{% endif %} '; DROP TABLE kudos; -- 🎉👩🏽‍💻 Zoe\u0308 مرحبا بالعالم \u202eexe.txt"
"""What a person may type that Cadence must keep exactly: template syntax, SQL, emoji, combining and RTL."""
SETTINGS = {"kudos": {"channel": {"slack": "#kudos", "teams": "19:kudos@thread.tacv2"}}}
TUESDAY = datetime(2027, 3, 16, 9, tzinfo=UTC)


def configured(session, workspace) -> None:
    settings, problems = validate_settings(SETTINGS)
    assert not problems, problems
    workspaces.apply_settings(session, workspace, settings)


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi) -> Iterator[RunningCadence]:
    with RunningCadence(tmp_path, slack, clock=lambda: TUESDAY) as running:
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            assert org_import.import_org(session, workspace.id, ORG).ok
            configured(session, workspace)
        yield running


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            configured(session, connections.workspace_for(session, Platform.TEAMS, TENANT_ID))
        yield running


def stored_kudos(database) -> list[str]:
    with database.session_scope() as session:
        return [row.message for row in session.exec(select(Kudos))]


def test_slack_kudos_keep_what_was_typed_and_show_it_without_pinging_anyone(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    # what Slack sends when Ada types: @grace for <!channel> @here <@U0002> [a link labelled click] …
    typed = f"<@U0002|grace> for &lt;!channel&gt; <!here> &lt;@U0002&gt; <http://evil.example|click> {WORDS}"
    answer = cadence.command("/kudos", typed, user_id="U0001", channel_id="C0GENERAL")
    assert "Kudos sent to Grace Hopper" in answer["text"], answer["text"]
    assert stored_kudos(cadence.database) == [f"for <!channel> @here <@U0002> click {WORDS}"]

    posts = slack.wait_for_calls("chat.postMessage", 2)
    card = next(call for call in posts if call.args["channel"] == "#kudos")
    to_grace = next(call for call in posts if call.args["channel"] == "DU0002")
    for post in (card, to_grace):
        mrkdwn = [post.args["text"], *(block["text"]["text"] for block in post.args["blocks"] if "text" in block)]
        shown = "\n".join(mrkdwn)
        assert "<!channel>" not in shown and "<!here>" not in shown and "<http://evil" not in shown
        assert "for &lt;!channel&gt; @here &lt;@U0002&gt; click" in shown
        assert WORDS in shown, "template syntax, SQL, emoji, combining marks and RTL text shown as typed"
    assert "<@U0002>" in card.args["text"], "the mention Cadence makes itself still pings Grace"
    with cadence.database.session_scope() as session:
        assert len(session.exec(select(Kudos)).all()) == 1, "the kudos table is still there"


def test_a_talking_point_is_stored_verbatim_and_shown_to_the_other_side_as_words(cadence: RunningCadence) -> None:
    point = f"&lt;!channel&gt; review *everything* {WORDS}"
    added = cadence.command("/1on1", f'add <@U0002|grace> "{point}"', user_id="U0001")
    assert "Added to your 1:1 with Grace Hopper" in added["text"], added["text"]
    with cadence.database.session_scope() as session:
        [item] = session.exec(select(OneOnOneItem)).all()
    assert item.text == f"<!channel> review *everything* {WORDS}"
    graces = cadence.command("/1on1", "<@U0001|ada>", user_id="U0002")["text"]
    assert f"&lt;!channel&gt; review *everything* {WORDS}" in graces and "<!channel>" not in graces


def test_teams_kudos_keep_what_was_typed_and_show_it_without_mentions_links_or_markup(teams: RunningTeams) -> None:
    # Teams sends what Ada typed as HTML: her literal <at>…</at> arrives escaped
    typed = f"kudos @grace for &lt;at&gt;Everyone&lt;/at&gt; **loud** [click](http://evil.example) {WORDS}"
    assert teams.say(ADA, typed).status_code == 200
    wait_until(lambda: stored_kudos(teams.database), what="the kudos to be stored")
    assert stored_kudos(teams.database) == [f"for <at>Everyone</at> **loud** [click](http://evil.example) {WORDS}"]
    (card,) = teams.sent("19:kudos@thread.tacv2")
    content = card_of(card)
    text = card_text(content)
    assert {entity["mentioned"]["id"] for entity in content["msteams"]["entities"]} == {ADA.aad, GRACE.aad}
    assert "<at>Everyone</at>" not in text and "<\u200bat>Everyone<\u200b/at>" in text
    assert r"\*\*loud\*\*" in text and r"\[click\](http://evil.example)" in text
    assert WORDS.replace("*", r"\*") in text, "template syntax, SQL, emoji, combining marks and RTL text as typed"
    assert "Action.OpenUrl" not in str(content)


@pytest.fixture
def on_friday(tmp_path: Path, slack: FakeSlackApi) -> Iterator[RunningCadence]:
    """Check-in time for Ada, who reports to Grace."""
    with RunningCadence(tmp_path, slack, clock=lambda: FRIDAY) as running:
        slack_suite.seed_org(running)
        yield running


def test_a_check_in_answer_reaches_the_manager_as_words(on_friday: RunningCadence, slack: FakeSlackApi) -> None:
    prompt(on_friday, slack)
    on_friday.post(
        block_action("checkin.start:2026-W49", "checkin.start:2026-W49", user_id="U0001", channel_id="DU0001")
    )
    typed = f"&lt;!channel&gt; <!here> shipped <http://evil.example|the fix> {WORDS}"  # as Slack sends it
    for answer, expected_calls in (("4", 4), (typed, 5), ("Roadmap", 6)):
        slack.wait_for_calls("chat.postMessage", expected_calls - 1)
        dm(on_friday, answer)
    dm(on_friday, "none")
    calls = slack.wait_for_calls("chat.postMessage", 8)
    [to_grace] = [call for call in calls if call.args["channel"] == "DU0002"]
    shown = "\n".join([to_grace.args["text"], *(str(block.get("text", "")) for block in to_grace.args["blocks"])])
    assert f"&lt;!channel&gt; @here shipped the fix {WORDS}" in to_grace.args["text"], to_grace.args["text"]
    assert "<!channel>" not in shown and "<!here>" not in shown and "<http://evil" not in shown
    with on_friday.database.session_scope() as session:
        [response] = session.exec(select(CheckinResponse)).all()
    assert f"<!channel> @here shipped the fix {WORDS}" in response.answers.values(), response.answers
