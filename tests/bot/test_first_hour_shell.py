"""The first hour in the shell, as the user-testing session met it: each test replays one of the
reported bugs and shows what a person reads now."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world

PROMPT_TIME = "/time 2026-12-03T10:00"  # Thursday 10:00 in Kolkata: the Platform team checks in on Thursdays


def demo(cadence: Cadence, lines: list[str], person: str = "priya") -> str:
    result = cadence("shell", "--demo", "--as", person, stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    return result.out


@freeze_time("2026-12-02 08:00:00")
def test_help_and_back_typed_during_a_check_in_are_not_answers(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "checkin", "help", "4", "help", "back", "keep", "Shipped the importer", "back",
                         "keep", "Roadmap", "none"])  # fmt: skip
    transcript(
        out,
        "1/4 How was your week?",
        "You're on question 1 of 4 of your check-in. Reply with your answer: a number from 1 to 5 or its word.",
        "2/4 What did you get done this week?",
        "You're on question 2 of 4",
        "1/4 How was your week?\nCurrent answer: 4 · Good · keep to keep it",
        "Thanks, your check-in is in ✅",
    )
    manager_copy = out.split("--- to Sam Okafor (demo) ---")[-1]
    assert "help" not in manager_copy and "back" not in manager_copy
    assert "Please answer with a number from 1 to 5" not in out


@freeze_time("2026-12-02 08:00:00")
def test_help_teaches_everything_and_managers_and_admins_see_their_part(cadence: Cadence) -> None:
    member = demo(cadence, ["hi"])
    transcript(member, "Check-ins", "checkin history", "Kudos", "kudos @sam for", "Goals", "goal update KR-3 40",
               "Time off", "checkin away next week", "whoami")  # fmt: skip
    assert "For managers" not in member and "For admins" not in member
    manager = demo(cadence, ["/cadence help"], person="sam")
    assert "For managers" in manager and "For admins" not in manager
    admin = demo(cadence, ["help"], person="maya.chen@demo.example")
    assert "For admins" in admin and "cadence config apply" in admin


@freeze_time("2026-12-02 08:00:00")
def test_a_prompts_buttons_never_hijack_the_answers_that_follow(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "checkin", "2", "3"])
    transcript(out, "[1] Start check-in  [2] Open form  [3] Skip this week", "1/4 How was your week?",
               "2/4 What did you get done this week?")  # fmt: skip
    after = out.split("2/4 What did you get done this week?")[1]
    assert "[form:" not in out and "Skipping week" not in out
    assert "3/4 What are your priorities" in after, "'3' was the answer to question 2"


@freeze_time("2026-12-02 08:00:00")
def test_an_earlier_messages_button_is_pressed_by_its_caption(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "checkin", "4", "Skip this week", "cancel", "Open form", "cancel"])
    transcript(out, "2/4 What did you get done this week?", "Skipping your check-in for 30 Nov – 6 Dec",
               "Okay, your check-in for 30 Nov – 6 Dec is not skipped.", "[form: Check-in 30 Nov – 6 Dec", "Form closed; nothing was sent.")  # fmt: skip


@freeze_time("2026-12-02 08:00:00")
def test_forms_honour_help_back_skip_cancel_and_quit(cadence: Cadence) -> None:
    out = demo(cadence, ["goal new", "help", "back", "Ship the importer", "back", "Ship it well", "1", "", "skip",
                         "cancel"])  # fmt: skip
    transcript(out, "[form: New goal", "Answer each field in turn. Say back for the previous field",
               "This is the first field.", "Whose goal is it?", "What do you want to achieve? (required)",
               "Whose goal is it?", "This one is required, so it can't be skipped.", "Form closed; nothing was sent.")  # fmt: skip
    assert "Created" not in out
    quitting = demo(cadence, ["goal new", "/quit", "whoami"])
    assert quitting.rstrip().endswith("Bye.") and "This is what I know about you" not in quitting


@freeze_time("2026-12-02 08:00:00")
def test_a_form_with_problems_asks_again_only_the_fields_that_have_them(cadence: Cadence) -> None:
    out = demo(cadence, ["goal new", "Ship the importer", "1", "", "2026-Q9", "Formats: one -> six", "", "2026-Q4",
                         "Formats: 1 -> 6"])  # fmt: skip
    transcript(out, "Please fix these fields; the rest is kept.", "isn't a period", "Period",
               "Key results, one per line", "Created G-")  # fmt: skip
    retry = out.split("Please fix these fields")[1]
    assert "What do you want to achieve?" not in retry, "the title was kept"


@freeze_time("2026-12-02 08:00:00")
def test_people_are_named_the_way_the_readme_says(cadence: Cadence) -> None:
    out = demo(cadence, ["/as", "/as elena", "kudos priya.nair@demo.example for the review #craft", "/as priya.nair",
                         "kudos @tom for the demo"])  # fmt: skip
    transcript(out, "Who do you want to be?", "sam.okafor@demo.example  Sam Okafor (demo) · manager",
               "You are now Elena Rossi (demo)", "Kudos sent to Priya Nair (demo)", "You are now Priya Nair (demo)",
               "Kudos sent to Tom Becker (demo)")  # fmt: skip


@freeze_time("2026-12-02 08:00:00")
def test_after_a_skip_checkin_starts_fresh_and_pause_says_the_right_thing(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "3", "1", "checkin away", "checkin", "pause", "checkin"])
    transcript(out, "Okay, your check-in for 30 Nov – 6 Dec is skipped", "Tell me when you're away",
               "You skipped your check-in for 30 Nov – 6 Dec, but it's not too late", "Paused. Say checkin (or tap Start check-in) when you're ready")  # fmt: skip
    assert "Reply keep to keep an answer" not in out and "stay as they were" not in out
    assert "kept your 0 answers" not in out


@freeze_time("2026-12-02 08:00:00")
def test_checkin_back_and_help_as_commands_and_time_off_cancelled(cadence: Cadence) -> None:
    out = demo(cadence, ["/checkin help", "/checkin back", "checkin away tomorrow", "checkin away cancel",
                         "checkin away list", "checkin away cancel"])  # fmt: skip
    transcript(out, "Your check-in for 30 Nov – 6 Dec is open until", "Say checkin to answer it one question at a time",
               "There's no question to go back to", "Enjoy your time off! Thu 3 Dec",
               "Cancelled: Thu 3 Dec. Check-ins come as usual on those days.", "You have no time off coming up.",
               "You have no time off coming up, so there's nothing to cancel.")  # fmt: skip
    assert "Great, 4 questions" not in out, "/checkin help and /checkin back don't start a check-in"


@freeze_time("2026-12-02 08:00:00")
def test_editing_a_submitted_check_in_jumps_to_one_answer_and_tells_the_manager_what_changed(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "1", "4", "Shipped it", "Roadmap", "none", "checkin", "2", "Shipped it twice"])
    transcript(out, "Which one do you want to change?", "2/4 What did you get done this week?",
               "Current answer: Shipped it", "Check-in updated ✅",
               "--- to Sam Okafor (demo) ---\nPriya Nair (demo) updated their check-in for 30 Nov – 6 Dec",
               "Priya Nair (demo) changed 1 answer:", "What did you get done this week?\nShipped it → Shipped it twice")  # fmt: skip


@freeze_time("2026-12-02 08:00:00")
def test_the_prompt_promises_what_the_check_in_asks_one_message_per_key_result(cadence: Cadence) -> None:
    out = demo(cadence, ["/time 2026-12-04T10:00", "1", "4", "Planned Q1", "Hiring", "none", "70, confidence 4, two big deals",
                         "keep"], person="maya")  # fmt: skip
    transcript(out, "Hi Maya Chen (demo)! How did your week go (30 Nov – 6 Dec)? 6 short questions, about 3 minutes.",
               "Great, 6 questions, about 3 minutes.", "5/6 KR-1 Paying customers: where is it now? (now 64, target 100)",
               "Reply with the new value, and if you like your confidence (1–5) and a note",
               "6/6 KR-2 NPS: where is it now?", "Thanks, your check-in is in ✅",
               "KR-1 Paying customers: where is it now? (now 64, target 100)\n64 → 70 · confidence 4 · two big deals")  # fmt: skip
    assert "1/16" not in out and "10 questions" not in out


@freeze_time("2026-12-02 08:00:00")
def test_a_shell_command_inside_a_form_closes_it_and_runs(cadence: Cadence) -> None:
    out = demo(cadence, ["goal new", "/as sam", "whoami"])
    transcript(out, "[form: New goal", "Form closed; nothing was sent.", "You are now Sam Okafor (demo)",
               "• Name: Sam Okafor (demo)")  # fmt: skip


@pytest.mark.parametrize(
    ("person", "lines", "form"),
    [
        ("priya", ["kudos"], "[form: Give kudos"),
        ("sam", ["goal update"], "[form: Update key results"),
        ("priya", ["goal new"], "[form: New goal"),
        ("priya", [PROMPT_TIME, "2"], "[form: Check-in 30 Nov – 6 Dec"),
    ],
)
@freeze_time("2026-12-02 08:00:00")
def test_every_form_takes_help_and_cancel_and_sends_nothing(
    cadence: Cadence, person: str, lines: list[str], form: str
) -> None:
    out = demo(cadence, [*lines, "help", "cancel", "whoami"], person=person)
    transcript(
        out, form, "Answer each field in turn.", "Form closed; nothing was sent.", "This is what I know about you"
    )
    assert "🎉" not in out and "Created" not in out and "✅" not in out, "nothing was sent"


@freeze_time("2026-12-02 08:00:00")
def test_a_typed_answer_that_matches_an_earlier_answer_button_is_an_answer(cadence: Cadence) -> None:
    out = demo(cadence, [PROMPT_TIME, "1", "4", "1 · Awful", "Roadmap", "none"])
    transcript(
        out, "2/4 What did you get done this week?", "3/4 What are your priorities", "Thanks, your check-in is in"
    )
    manager_copy = out.split("--- to Sam Okafor (demo) ---")[-1]
    assert (
        "How was your week?\n4 · Good" in manager_copy and "What did you get done this week?\n1 · Awful" in manager_copy
    )


@freeze_time("2026-12-02 08:00:00")
def test_the_clock_can_not_be_moved_off_the_calendar(cadence: Cadence) -> None:
    out = demo(cadence, ["/time 9999-12-31T23:00", "/time 0001-01-01T00:00", "whoami"])
    assert out.count("is too far from today to run the scheduler at") == 2 and "This is what I know about you" in out


@freeze_time("2026-12-02 08:00:00")
def test_a_goal_that_grows_a_skill_shows_under_my_growth_at_home(cadence: Cadence) -> None:
    out = demo(cadence, ["goal new", "Mentor two juniors", "1", "", "2026-Q4", "", "1", "home"])
    transcript(out, "A skill it grows (makes it a growth goal)", "[1] Mentoring", "Created G-",
               "My growth (since the start of 2026-Q3)", "• Growing Mentoring: G-", "Mentor two juniors")  # fmt: skip
