"""Upward feedback as pure steps and pure digest sections: what a report asks of their manager reaches
that manager alone, with their name or without it, and never counts as a mood, a blocker or a highlight."""

from __future__ import annotations

import json
import random

from conversations.checkin import CheckinFlow
from conversations.checkin_answers import blockers_of, mood_of
from conversations.digest import UpwardAnswer, upward_section
from conversations.words import PlainDialect, Words
from tests.conversations.test_checkin_flow import BLOCKERS, DONE, LABELS, MOOD, converse, kinds, seeded
from tests.fixtures.sample_messages import SAMPLES

HELP = {"id": "help", "kind": "upward", "text": "How can your manager help you?", "required": False}
# a settings file may flag an upward question as a blocker or a highlight; it must count as neither
FLAGGED = {**HELP, "blocker": True, "highlight": True}
ANN, BEN, CAT, DAN = (
    {"id": 11, "display_name": "Ann"},
    {"id": 12, "display_name": "Ben"},
    {"id": 13, "display_name": "Cat"},
    {"id": 14, "display_name": "Dan"},
)
ASKS = [
    UpwardAnswer(ANN, "How can your manager help you?", "More time for 1:1s"),
    UpwardAnswer(BEN, "How can your manager help you?", "clearer priorities"),
    UpwardAnswer(CAT, "How can your manager help you?", "Budget for the conference"),
    UpwardAnswer(CAT, "What should your manager stop doing?", "Late-night messages"),
]
WORDS = Words(PlainDialect())


def digest_text(upward: dict) -> str:
    return WORDS.render("digest", {**SAMPLES["digest"], "upward": upward}).text


def answers_in(result, kind: str) -> list[str]:
    [message] = [message for message in result.outbound if message.kind == kind]
    return [item["answer"] for item in message.data["answers"]]


def test_named_upward_answers_come_under_each_persons_name() -> None:
    section = upward_section(ASKS, anonymous=False, threshold=5)
    assert (section["answered"], section["shown"]) == (3, True)
    assert [
        (entry["person"]["display_name"], [i["answer"] for i in entry["items"]]) for entry in section["people"]
    ] == [
        ("Ann", ["More time for 1:1s"]),
        ("Ben", ["clearer priorities"]),
        ("Cat", ["Budget for the conference", "Late-night messages"]),
    ]
    text = digest_text(section)
    assert "What your team asks of you\n• Ann · How can your manager help you?: More time for 1:1s\n" in text
    assert "• Cat · What should your manager stop doing?: Late-night messages" in text


def test_anonymous_answers_below_the_threshold_show_only_how_many_answered() -> None:
    section = upward_section(ASKS, anonymous=True, threshold=4)
    assert (section["answered"], section["shown"], section["questions"]) == (3, False, [])
    stored = json.dumps(section)
    for said in ("1:1s", "priorities", "conference", "Late-night", "Ann", "Ben", "Cat", '"id"'):
        assert said not in stored, f"{said!r} must not wait in the outbox below the threshold"
    text = digest_text(section)
    assert (
        "What your team asks of you\n3 reports answered this week. Answers come without names, and only once at "
        "least 4 of your reports answer in the same week." in text
    )
    assert "priorities" not in text and "conference" not in text


def test_anonymous_answers_at_the_threshold_are_shown_without_names() -> None:
    section = upward_section(ASKS, anonymous=True, threshold=3)
    assert section["shown"] is True and section["answered"] == 3
    stored = json.dumps(section)
    assert not any(name in stored for name in ("Ann", "Ben", "Cat", '"id"', '"person"')), stored
    text = digest_text(section)
    expected = (
        "What your team asks of you\n3 of your reports answered; without names, in alphabetical order:\n"
        "How can your manager help you?\n• Budget for the conference\n• clearer priorities\n• More time for 1:1s\n"
        "What should your manager stop doing?\n• Late-night messages\n"
    )
    assert expected in text
    assert " · " not in text.split("What your team asks of you")[1].split("Goals")[0], "no name before an answer"


def test_anonymous_answers_above_the_threshold_are_shown_too() -> None:
    more = [*ASKS, UpwardAnswer(DAN, "How can your manager help you?", "Nothing, all good")]
    section = upward_section(more, anonymous=True, threshold=2)
    assert section["answered"] == 4 and section["shown"] is True
    assert section["questions"][0]["answers"] == [
        "Budget for the conference",
        "clearer priorities",
        "More time for 1:1s",
        "Nothing, all good",
    ]


def test_the_order_of_anonymous_answers_says_nothing_about_who_wrote_them() -> None:
    """Whoever answered first, whatever the names sort as, the section is the same."""
    expected = upward_section(ASKS, anonymous=True, threshold=3)
    shuffled = list(ASKS)
    for seed in range(20):
        random.Random(seed).shuffle(shuffled)
        renamed = [
            UpwardAnswer({"id": 100 - index, "display_name": f"P{seed}{index}"}, ask.question, ask.answer)
            for index, ask in enumerate(shuffled)
        ]
        people = {ask.person["id"] for ask in renamed}
        assert len(people) == 4
        again = upward_section(renamed, anonymous=True, threshold=3)
        assert again["questions"] == expected["questions"], f"seed {seed}"


def test_the_manager_reads_a_named_upward_answer_in_the_immediate_message() -> None:
    state = seeded((MOOD, DONE, HELP))
    *_, done = converse(CheckinFlow(LABELS), state, "checkin.start:2026-W49", "4", "Shipped", "More 1:1 time")
    assert kinds(done) == ["checkin_done", "checkin_for_manager", "checkin_team_summary"]
    assert answers_in(done, "checkin_for_manager") == ["4 · Good", "Shipped", "More 1:1 time"]
    assert answers_in(done, "checkin_team_summary") == ["Shipped"], "the team channel never sees it"
    assert answers_in(done, "checkin_done") == ["4 · Good", "Shipped", "More 1:1 time"], "the person sees their own"
    told = WORDS.render("checkin_done", done.outbound[0].data).text
    assert "except what you asked of your manager: only Grace reads it." in told


def test_an_anonymous_upward_answer_is_left_out_of_the_managers_message_but_saved() -> None:
    state = seeded((MOOD, DONE, HELP), upward_anonymous=True, anonymity_threshold=4)
    *_, done = converse(CheckinFlow(LABELS), state, "checkin.start:2026-W49", "4", "Shipped", "More 1:1 time")
    to_manager = next(message for message in done.outbound if message.kind == "checkin_for_manager")
    assert answers_in(done, "checkin_for_manager") == ["4 · Good", "Shipped"]
    assert (
        "1:1 time" not in json.dumps(to_manager.data)
        and "1:1 time" not in WORDS.render("checkin_for_manager", to_manager.data).text
    )
    assert answers_in(done, "checkin_team_summary") == ["Shipped"]
    assert done.changes[0].answers["help"] == "More 1:1 time", "saved for the digest and the person's history"
    told = WORDS.render("checkin_done", done.outbound[0].data).text
    assert "Grace reads it without your name, in their weekly digest, once at least 4 of their reports" in told


def test_an_edit_of_only_an_anonymous_upward_answer_tells_the_manager_nothing() -> None:
    answers = {"mood": 4, "done": "Shipped", "help": "More 1:1 time"}
    state = seeded((MOOD, DONE, HELP), status="submitted", answers=answers, upward_anonymous=True)
    _, _, done = converse(CheckinFlow(LABELS), state, "checkin.start:2026-W49", "3", "A quieter Friday")
    assert kinds(done) == ["checkin_done"], "a note that someone changed something hidden would name them"
    assert done.changes[0].answers["help"] == "A quieter Friday"
    named = seeded((MOOD, DONE, HELP), status="submitted", answers=answers)
    _, _, told = converse(CheckinFlow(LABELS), named, "checkin.start:2026-W49", "3", "A quieter Friday")
    [to_manager] = [message for message in told.outbound if message.kind == "checkin_for_manager"]
    assert to_manager.data["changes"] == [
        {"question": "How can your manager help you?", "before": "More 1:1 time", "after": "A quieter Friday"}
    ]


def test_an_anonymous_edit_tells_the_manager_only_about_the_other_answers() -> None:
    answers = {"mood": 4, "done": "Shipped", "help": "More 1:1 time"}
    state = seeded((MOOD, DONE, HELP), status="submitted", answers=answers, upward_anonymous=True)
    _, _, _, done = converse(CheckinFlow(LABELS), state, "checkin.start:2026-W49", "all", "keep", "Shipped twice")
    # the third question is asked next; answer it too
    *_, done = converse(CheckinFlow(LABELS), done.state, "A quieter Friday")
    [to_manager] = [message for message in done.outbound if message.kind == "checkin_for_manager"]
    assert to_manager.data["changes"] == [{"question": "What got done?", "before": "Shipped", "after": "Shipped twice"}]
    assert "Friday" not in json.dumps(to_manager.data)


def test_an_upward_question_flagged_as_a_blocker_or_highlight_is_neither() -> None:
    questions = [MOOD, BLOCKERS, FLAGGED]
    answers = {"mood": 2, "blockers": "none", "help": "Unblock the legal review"}
    assert blockers_of(questions, answers) is None and mood_of(questions, answers) == 2
    *_, done = converse(
        CheckinFlow(LABELS), seeded(questions), "checkin.start:2026-W49", "2", "none", "Unblock the legal review"
    )
    assert done.changes[0].blockers is None
    assert done.outbound[0].data["hard_week"] is False, "a low mood with no blocker is not a hard week"
    assert answers_in(done, "checkin_team_summary") == []
