"""The home page's feedback part as pure functions: the quarter where the person lives, the first words
of a piece of feedback, a "Give feedback" button per request waiting, and the ``home`` command."""

from __future__ import annotations

from datetime import UTC, datetime

from conversations.flow import State
from conversations.goal_progress import quarter_began_at, quarter_name
from conversations.home import (
    HOME,
    HOME_MESSAGE,
    FeedbackPart,
    HomeFacts,
    HomeFlow,
    OpenRequest,
    ReceivedFeedback,
    WaitingAsk,
    home_page,
    opening_words,
)
from conversations.messages import Actor, Inbound, Platform
from conversations.words import Labels, PlainDialect, Words

ADA = Actor(1, 1, "Ada", "ada@acme.test", "Asia/Tokyo", "member", "Platform", "Grace")
SAM, LIN = {"id": 2, "display_name": "Sam"}, {"id": 3, "display_name": "Lin"}
FACTS = HomeFacts(
    feedback=FeedbackPart(
        quarter="2026-Q4",
        received=4,
        latest=(
            ReceivedFeedback(SAM, "2026-12-03", "Your demo was clear"),
            ReceivedFeedback(None, "2026-11-02", "Thanks for the review"),
        ),
        waiting=(WaitingAsk("3:1806", LIN, "Q4 launch", "2026-12-18"), WaitingAsk("2:1807", SAM, "", "2026-12-20")),
        requests=(OpenRequest("the roadmap", "2026-12-01", (SAM,)), OpenRequest("hiring", "2026-12-02")),
    )
)


def test_this_quarter_begins_at_midnight_where_the_person_lives() -> None:
    evening_in_utc = datetime(2026, 9, 30, 20, 0, tzinfo=UTC)  # already 1 October in Tokyo, not in Los Angeles
    assert quarter_began_at(evening_in_utc, "Asia/Tokyo") == datetime(2026, 9, 30, 15, 0, tzinfo=UTC)
    assert quarter_began_at(evening_in_utc, "America/Los_Angeles") == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert (quarter_name(evening_in_utc, "Asia/Tokyo"), quarter_name(evening_in_utc, "America/Los_Angeles")) == (
        "2026-Q4",
        "2026-Q3",
    )


def test_the_first_words_of_feedback_are_enough_to_recognise_it() -> None:
    long = "You ran the planning meeting calmly and everyone left knowing what to do next week"
    assert opening_words(long) == "You ran the planning meeting calmly and everyone left knowing what to…"
    assert opening_words("", "Split the PR next time") == "Split the PR next time"
    assert opening_words("Clear\n\n demo", "more  tests") == "Clear demo more tests"


def test_each_request_waiting_for_an_answer_gets_a_give_feedback_button() -> None:
    page = home_page(ADA, FACTS, Labels())
    assert page.kind == HOME
    assert [(choice.label, choice.value) for choice in page.choices] == [
        ("Give feedback to Lin", "feedback.answer:3:1806"),
        ("Give feedback to Sam", "feedback.answer:2:1807"),
    ]
    assert page.data["next_one_on_one"] is None, "no 1:1 started: nothing about 1:1s on the page"


def test_the_feedback_part_reads_received_waiting_and_open_requests() -> None:
    text = Words(PlainDialect()).render(HOME, home_page(ADA, FACTS).data).text
    assert (
        "Feedback\n4 pieces of feedback received this quarter (2026-Q4), the latest:\n"
        "• 2026-12-03 · Sam: Your demo was clear\n• 2026-11-02 · someone who has left: Thanks for the review\n"
    ) in text
    assert "Waiting for your answer:\n• Lin asked for your feedback on “Q4 launch”, until 2026-12-18\n" in text
    assert "• Sam asked for your feedback, until 2026-12-20" in text
    assert (
        "Your open requests:\n• “the roadmap”, asked 2026-12-01: answered so far by Sam\n"
        "• “hiring”, asked 2026-12-02: nobody has answered yet"
    ) in text
    quiet = Words(PlainDialect()).render(HOME, home_page(ADA, HomeFacts(feedback=FeedbackPart("2026-Q4"))).data).text
    assert (
        'No feedback received this quarter (2026-Q4) yet. Ask for some with feedback request @sam about "the launch".'
        in (quiet)
    )
    assert "Waiting for your answer" not in quiet and "Your open requests" not in quiet


def test_typing_home_shows_the_same_page_as_a_message() -> None:
    typed = Inbound(Platform.TEAMS, "acme", "ada", "chat", text="home", actor=ADA)
    seeded = State("home", "show", FACTS.to_data())
    [message] = HomeFlow(Labels()).step(seeded, typed, datetime(2026, 12, 4, tzinfo=UTC)).outbound
    tab = home_page(ADA, FACTS, Labels())
    assert message.kind == HOME_MESSAGE and message.data == tab.data and message.choices == tab.choices
    words = Words(PlainDialect())
    assert words.render(HOME_MESSAGE, message.data).text == words.render(HOME, tab.data).text
